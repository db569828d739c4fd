/**
 * The sharded request shape: a call about many items (partitions, group ids, transactional ids) is split by the
 * node that owns each item (its partition leader or its coordinator), one request per node, and retried per item
 * under the call's one budget. Each round is one attempt of the budget; an item whose answer is a retriable error
 * goes to the next round after what the error proves stale is refreshed, the others keep their answer.
 */
import { type KafkaError, KafkaProtocolError } from '../errors.js'
import { type Budget, isRetriable } from './policy.js'

export interface ShardRouting<I> {
  /** Items by the node that should answer for them. */
  byNode: Map<number, I[]>
  /** Items that cannot be routed this round, with why (no leader, unknown topic, coordinator not found…). */
  unroutable: Array<[I, KafkaError]>
}

export interface ShardedCall<I, R extends { error: KafkaProtocolError | null }> {
  items: I[]
  keyOf(item: I): string
  /** Routes the pending items (one attempt at metadata or coordinator look-ups). */
  route(items: I[], budget: Budget): Promise<ShardRouting<I>>
  /** One request to `nodeId` for `items`: an answer per item key. */
  send(nodeId: number, items: I[], budget: Budget): Promise<Map<string, R>>
  /** The result of an item that fails without an answer (unroutable, or unanswered after the last round). */
  failed(item: I, error: KafkaProtocolError): R
  /** Refreshes whatever `error` proves stale for `item` before the next round. */
  stale(item: I, error: KafkaError): void
}

export function sendSharded<I, R extends { error: KafkaProtocolError | null }>(budget: Budget, call: ShardedCall<I, R>): Promise<R[]> {
  return budget.loop(() => rounds(budget, call))
}

async function rounds<I, R extends { error: KafkaProtocolError | null }>(budget: Budget, call: ShardedCall<I, R>): Promise<R[]> {
  const results = new Map<string, R>()
  let pending = call.items
  while (pending.length > 0) {
    budget.check()
    budget.attempts++
    const last = budget.attempts > budget.retry.retries
    const retry: I[] = []
    let lastError: KafkaError | null = null
    const again = (item: I, error: KafkaError): boolean => {
      if (last || !isRetriable(error)) return false
      call.stale(item, error)
      retry.push(item)
      lastError = error
      return true
    }
    const { byNode, unroutable } = await call.route(pending, budget)
    for (const [item, error] of unroutable) {
      if (again(item, error)) continue
      if (!(error instanceof KafkaProtocolError)) throw error
      results.set(call.keyOf(item), call.failed(item, error))
    }
    await Promise.all(
      [...byNode].map(async ([nodeId, items]) => {
        let answers: Map<string, R>
        try {
          answers = await call.send(nodeId, items, budget)
        } catch (error) {
          // The whole request failed (node gone, connection lost): route these items again, or give up with it.
          if (budget.signal.aborted || last || !isRetriable(error)) throw error
          for (const item of items) again(item, error)
          return
        }
        for (const item of items) {
          const key = call.keyOf(item)
          const answer = answers.get(key)
          if (answer?.error && again(item, answer.error)) continue
          results.set(key, answer ?? call.failed(item, unanswered(key)))
        }
      }),
    )
    pending = retry
    if (pending.length > 0) await budget.pause(lastError!)
  }
  return call.items.map((item) => results.get(call.keyOf(item))!)
}

function unanswered(key: string): KafkaProtocolError {
  return new KafkaProtocolError(-1, 'UNKNOWN_SERVER_ERROR', false, { context: key.replace('\u0000', '-'), message: 'the broker did not answer for this item' })
}
