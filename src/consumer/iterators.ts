/**
 * The three ways an application consumes — `for await` over messages, `batches()`, and the KafkaJS-style `run()`
 * with handlers — built on the consumer's next-message and next-batch steps. Each style says when what it handed
 * out is finished: a message when the next is asked for, a batch when the next batch is, a `run()` message when its
 * handler resolves; an `eachBatch` handler resolves offsets itself. Leaving a loop early (break, throw) leaves what
 * is in hand unfinished, so it is never committed.
 *
 * The same moments bound the samsa:consumer:process tracing channel: a handler's call (run inside the channel's
 * bound stores), or an iterator's hand-out until the next request or the loop's end.
 */
import { KafkaError } from '../errors.js'
import { type ConsumerProcessContext, publishSettled, tracingChannels } from '../network/instrumentation.js'
import type { DeliveryBuffer } from './delivery.js'
import type { ConsumerBatch, ConsumerMessage, EachBatchPayload, EachMessagePayload, RunOptions, TopicPartition } from './types.js'

/** What the iteration styles need from the consumer. */
export interface MessageSource<K, V> {
  readonly delivery: Pick<DeliveryBuffer<K, V>, 'forgetInProcess' | 'detachInProcess' | 'restoreInProcess'>
  /** Next message, or null once closed or aborted; the previous one counts as processed. */
  nextMessage(signal: AbortSignal | undefined): Promise<ConsumerMessage<K, V> | null>
  /** The same without a promise when a message is at hand; `undefined` when `nextMessage` must run. */
  nextMessageSync(signal: AbortSignal | undefined): ConsumerMessage<K, V> | null | undefined
  nextBatch(signal: AbortSignal | undefined): Promise<ConsumerBatch<K, V> | null>
  /** For the process tracing context. */
  readonly clientId: string
  readonly groupId: string | null
}

function processContext<K, V>(source: MessageSource<K, V>, style: ConsumerProcessContext['style'], messages: ReadonlyArray<ConsumerMessage<K, V>>): ConsumerProcessContext {
  const first = messages[0]!
  return { clientId: source.clientId, groupId: source.groupId, style, topic: first.topic, partition: first.partition, messages }
}

/** Publishes the start of processing what an iterator hands out; its end comes when the next is asked for. */
function startInHand<K, V>(source: MessageSource<K, V>, style: 'iterator' | 'batches', messages: ReadonlyArray<ConsumerMessage<K, V>>): ConsumerProcessContext {
  const context = processContext(source, style, messages)
  tracingChannels.consumerProcess.start.publish(context)
  tracingChannels.consumerProcess.end.publish(context)
  return context
}

/**
 * Runs a handler inside the process channel's bound stores. The handler is called from an async function so that
 * a synchronous throw also ends in `error`, `asyncStart`, `asyncEnd`.
 */
function traceHandler(context: ConsumerProcessContext, handler: () => Promise<void> | void): Promise<void> {
  return tracingChannels.consumerProcess.tracePromise(async () => handler(), context)
}

/** What `run()` handlers can do besides reading. */
export interface RunControls {
  heartbeat(): Promise<void>
  pause(partitions: TopicPartition[]): void
  resume(partitions: TopicPartition[]): void
  commitOffsetsIfNecessary(): Promise<void>
  /** The consumer is open (the signal is checked here). */
  open(): boolean
}

export function messageIterator<K, V>(source: MessageSource<K, V>, signal: AbortSignal | undefined): AsyncIterableIterator<ConsumerMessage<K, V>> {
  const done: IteratorResult<ConsumerMessage<K, V>> = { value: undefined, done: true }
  // The process span of the message in hand, when someone traces: it ends when the next is asked for.
  let inHand: ConsumerProcessContext | null = null
  const handOut = (message: ConsumerMessage<K, V> | null): IteratorResult<ConsumerMessage<K, V>> => {
    if (message === null) return done
    if (tracingChannels.consumerProcess.hasSubscribers) inHand = startInHand(source, 'iterator', [message])
    return { value: message, done: false }
  }
  const iterator: AsyncIterableIterator<ConsumerMessage<K, V>> = {
    next: () => {
      if (inHand !== null) {
        publishSettled(tracingChannels.consumerProcess, inHand)
        inHand = null
      }
      let fast: ConsumerMessage<K, V> | null | undefined
      try {
        fast = source.nextMessageSync(signal)
      } catch (error) {
        return Promise.reject(error)
      }
      if (fast !== undefined) return Promise.resolve(handOut(fast))
      return source.nextMessage(signal).then(handOut)
    },
    return: async () => {
      // Leaving the loop early (break/throw): the last message is not known to be finished, so it stays uncommitted.
      source.delivery.forgetInProcess()
      if (inHand !== null) {
        publishSettled(tracingChannels.consumerProcess, inHand)
        inHand = null
      }
      return done
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

export function batchIterator<K, V>(source: MessageSource<K, V>, signal: AbortSignal | undefined): AsyncIterableIterator<ConsumerBatch<K, V>> {
  const done: IteratorResult<ConsumerBatch<K, V>> = { value: undefined, done: true }
  let inHand: ConsumerProcessContext | null = null
  const finish = (): void => {
    if (inHand !== null) {
      publishSettled(tracingChannels.consumerProcess, inHand)
      inHand = null
    }
  }
  const iterator: AsyncIterableIterator<ConsumerBatch<K, V>> = {
    next: async () => {
      finish()
      const batch = await source.nextBatch(signal)
      if (batch === null) return done
      if (tracingChannels.consumerProcess.hasSubscribers) inHand = startInHand(source, 'batches', batch.messages)
      return { value: batch, done: false }
    },
    return: async () => {
      source.delivery.forgetInProcess()
      finish()
      return done
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

/** Calls the handler for each message or batch until the consumer closes or the signal fires; a throw ends it. */
export async function runHandlers<K, V>(source: MessageSource<K, V>, options: RunOptions<K, V>, controls: RunControls): Promise<void> {
  const { eachMessage, eachBatch, signal } = options
  if (!eachMessage === !eachBatch) throw new KafkaError('run() takes exactly one of eachMessage or eachBatch')
  const heartbeat = (): Promise<void> => controls.heartbeat()
  if (eachMessage) {
    for (;;) {
      const message = await source.nextMessage(signal)
      if (message === null) return
      const payload: EachMessagePayload<K, V> = {
        topic: message.topic,
        partition: message.partition,
        message,
        heartbeat,
        pause: () => {
          const tp = [{ topic: message.topic, partition: message.partition }]
          controls.pause(tp)
          return () => controls.resume(tp)
        },
      }
      if (tracingChannels.consumerProcess.hasSubscribers) await traceHandler(processContext(source, 'eachMessage', [message]), () => eachMessage(payload))
      else await eachMessage(payload)
    }
  }
  for (;;) {
    const batch = await source.nextBatch(signal)
    if (batch === null) return
    // eachBatch resolves offsets itself: what it was handed is put back only once it returns.
    const resolved = source.delivery.detachInProcess()
    const state = resolved[0]?.state
    const generation = resolved[0]?.generation
    const payload: EachBatchPayload<K, V> = {
      batch,
      resolveOffset: (offset) => {
        if (state && !state.revoked && state.generation === generation) state.processed = offset + 1n
      },
      heartbeat,
      commitOffsetsIfNecessary: () => controls.commitOffsetsIfNecessary(),
      isRunning: () => controls.open() && !signal?.aborted,
      isStale: () => state === undefined || state.revoked || state.generation !== generation,
    }
    if (tracingChannels.consumerProcess.hasSubscribers) await traceHandler(processContext(source, 'eachBatch', batch.messages), () => eachBatch!(payload))
    else await eachBatch!(payload)
    source.delivery.restoreInProcess(resolved)
  }
}
