/**
 * What the group memberships (classic, KIP-848, KIP-932 share groups) share: the loop that keeps a member alive on
 * its own timer (so no fetch or application code can delay a heartbeat), the coordinator requests on the member's
 * own connection, and the owned-versus-target comparison classic and KIP-848 reconcile with. Each protocol supplies
 * one round (join or heartbeat, and the wait before the next) and the meaning of its own error codes.
 */
import { KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { ClockTimer } from '../network/clock.js'
import type { SendOptions } from '../network/cluster.js'
import { type Apis, ApiKeys } from '../protocol/index.js'
import type { GroupCluster, MembershipHost } from './membership.js'
import type { GroupMetricsSink } from './metrics.js'
import { request, type RequestInputOf, type ResponseOf } from './request.js'
import type { TopicPartition } from './types.js'

/**
 * What a protocol makes of a failed round. `rejoin`: it has reset its state (fenced, rebalance) and the next
 * round runs at once. `fatal`: the application gets the error and the loop ends. `stop`: the protocol has
 * already handed over (to the other protocol) and the loop just ends. `retry`: the common rule applies — a
 * broker error that is not retriable is fatal, anything else is retried after `retryBackoffMs()`.
 */
/** Failed rounds back off at most this long (Java's retry.backoff.max.ms). */
const MAX_RETRY_BACKOFF_MS = 1000

export type RoundFailure = 'rejoin' | 'fatal' | 'stop' | 'retry'

export interface MembershipRounds {
  /** One join or heartbeat, including the wait before the next one (which `MembershipLoop.wake` cuts short). */
  round(): Promise<void>
  failed(error: KafkaError): Promise<RoundFailure> | RoundFailure
  retryBackoffMs(): number
}

/** The loop needs only a clock, somewhere to log and someone to tell when the member cannot go on. */
export type MembershipLoopHost = Pick<MembershipHost, 'clock' | 'logger' | 'fatal' | 'unreachableTimeoutMs'>

export class MembershipLoop {
  readonly #host: MembershipLoopHost
  readonly #rounds: MembershipRounds
  #running = false
  #loop: Promise<void> | null = null
  #wake: (() => void) | null = null
  #abort = new AbortController()
  /** When the first of the current run of failed rounds began (null after a round that worked). */
  #failingSince: number | null = null
  /** Ends the member when failures have gone on for `unreachableTimeoutMs`, even in the middle of a round. */
  #unreachableTimer: ClockTimer | null = null
  #lastError: KafkaError | null = null
  #failedRounds = 0

  constructor(host: MembershipLoopHost, rounds: MembershipRounds) {
    this.#host = host
    this.#rounds = rounds
  }

  get running(): boolean {
    return this.#running
  }

  /** For the round's requests: `halt()` aborts it, so stopping never waits out a JoinGroup held by the broker. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#abort = new AbortController()
    // Until the first round works, the member has not reached its coordinator: that too is bounded.
    this.#failingSince = this.#host.clock.now()
    this.#armUnreachable()
    this.#loop = this.#run()
  }

  /** Ends the wait between rounds now, because the state the member reports has changed. */
  wake(): void {
    this.#wake?.()
  }

  /** A wait that `wake()` or `halt()` ends early; none once halted, so a stop never sits out a heartbeat interval. */
  pause(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve()
    const clock = this.#host.clock
    return new Promise((resolve) => {
      const timer = clock.setTimeout(done, ms)
      function done(): void {
        clock.clearTimeout(timer)
        resolve()
      }
      this.#wake = () => {
        this.#wake = null
        done()
      }
    })
  }

  /** Stops the loop and waits for it, so the protocol's leave cannot race a round still in flight. */
  async halt(): Promise<void> {
    this.#running = false
    this.#wake?.()
    this.#abort.abort()
    await this.#loop?.catch(() => undefined)
  }

  /**
   * Rounds keep failing (coordinator unreachable, silent, loading): retrying is right for a while, but a member
   * that has not reached its coordinator for `unreachableTimeoutMs` since the first failing round began (or since
   * it started, before its first round worked) ends with a TimeoutError the application sees, instead of an
   * iterator that waits forever. The timer also cuts short a round still hanging at that moment.
   */
  #failing(roundStartedAt: number, error: KafkaError): void {
    this.#lastError = error
    this.#failingSince ??= roundStartedAt
    this.#armUnreachable()
  }

  #armUnreachable(): void {
    const limit = this.#host.unreachableTimeoutMs
    const since = this.#failingSince
    if (limit === undefined || since === null || this.#unreachableTimer) return
    this.#unreachableTimer = this.#host.clock.setTimeout(() => {
      this.#unreachableTimer = null
      if (!this.#running) return
      this.#running = false
      this.#wake?.()
      this.#abort.abort()
      const last = this.#lastError
      this.#host.fatal(
        new TimeoutError(`The group coordinator could not be reached for ${limit} ms (defaultApiTimeoutMs)${last ? `: ${last.message}` : ''}`, {
          cause: last,
          retriable: false,
        }),
      )
    }, Math.max(0, since + limit - this.#host.clock.now()))
  }

  #clearUnreachable(): void {
    this.#host.clock.clearTimeout(this.#unreachableTimer)
    this.#unreachableTimer = null
    this.#lastError = null
  }

  async #run(): Promise<void> {
    try {
      await this.#loopRounds()
    } finally {
      this.#clearUnreachable()
    }
  }

  async #loopRounds(): Promise<void> {
    while (this.#running) {
      const roundStartedAt = this.#host.clock.now()
      try {
        await this.#rounds.round()
        this.#failingSince = null
        this.#failedRounds = 0
        this.#clearUnreachable()
      } catch (error) {
        if (!this.#running) break
        const kafkaError = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
        let outcome = await this.#rounds.failed(kafkaError)
        if (outcome === 'retry' && kafkaError instanceof KafkaProtocolError && !kafkaError.retriable) outcome = 'fatal'
        if (!this.#running) break
        if (outcome === 'retry') this.#failing(roundStartedAt, kafkaError)
        if (outcome === 'fatal') {
          this.#running = false
          this.#host.fatal(kafkaError)
          return
        }
        if (outcome === 'stop') {
          this.#running = false
          return
        }
        if (outcome === 'retry') {
          this.#host.logger.debug({ err: kafkaError }, 'group request failed; retrying')
          // KIP-580, as the request policy: from the protocol's base, doubling while rounds keep failing.
          const base = this.#rounds.retryBackoffMs()
          await this.pause(backoffDelayMs(this.#failedRounds++, { initialBackoffMs: base, maxBackoffMs: Math.max(base, MAX_RETRY_BACKOFF_MS) }))
        }
      }
    }
  }
}

type GroupApiKey = Extract<keyof Apis, number>

const topLevelErrorCode = (response: { errorCode: number }): number => response.errorCode

/** Where a member's coordinator requests go: its group, on its own connection. */
export type GroupRequestHost = Pick<MembershipHost, 'cluster' | 'groupId' | 'groupPurpose'> & { readonly metrics?: Pick<GroupMetricsSink, 'heartbeat'> | null }

/**
 * A request to the group's coordinator on this member's connection, retried under its own budget (for calls
 * outside the loop, such as leaving); finding the coordinator, and finding it again after NOT_COORDINATOR, is the
 * cluster's job. The response's top-level error code is raised unless `options.errorCode` says otherwise.
 */
export function groupRequest<K extends GroupApiKey>(
  host: GroupRequestHost,
  apiKey: K,
  body: RequestInputOf<K> | ((version: number) => RequestInputOf<K>),
  options: SendOptions = {},
): Promise<ResponseOf<K>> {
  return request(host.cluster, { kind: 'coordinator', type: 'group', key: host.groupId }, apiKey, body, {
    purpose: host.groupPurpose,
    errorCode: topLevelErrorCode,
    ...options,
  })
}

/**
 * One attempt of a round's request (join, sync, heartbeat): the membership loop is what retries, with its backoff,
 * so the request itself never does. What a retriable failure proves stale (the coordinator, metadata) is dropped
 * all the same, before the loop's next round.
 */
export function roundRequest<K extends GroupApiKey>(
  host: GroupRequestHost,
  apiKey: K,
  body: RequestInputOf<K> | ((version: number) => RequestInputOf<K>),
  options: Omit<SendOptions, 'retry'> = {},
): Promise<ResponseOf<K>> {
  const sent = groupRequest(host, apiKey, body, { ...options, retry: { retries: 0 } })
  const metrics = host.metrics
  if (!metrics || (apiKey !== ApiKeys.Heartbeat && apiKey !== ApiKeys.ConsumerGroupHeartbeat && apiKey !== ApiKeys.ShareGroupHeartbeat)) return sent
  const startedAt = performance.now()
  return sent.then((response) => {
    metrics.heartbeat(performance.now() - startedAt)
    return response
  })
}

/** What to give up (owned, no longer in the target) and what to take (in the target, not yet owned). */
export function diffAssignment(owned: TopicPartition[], target: TopicPartition[]): { revoked: TopicPartition[]; added: TopicPartition[] } {
  const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`
  const targetKeys = new Set(target.map(key))
  const ownedKeys = new Set(owned.map(key))
  return {
    revoked: owned.filter((tp) => !targetKeys.has(key(tp))),
    added: target.filter((tp) => !ownedKeys.has(key(tp))),
  }
}

/**
 * A server-side assignment (KIP-848, KIP-932) by topic name: ids metadata does not know yet trigger one refresh
 * each; topics still unknown after it are returned apart, for the caller to ask again. Assigned topics are added to
 * the metadata the cluster keeps fresh.
 */
export async function assignmentByName(
  cluster: Pick<GroupCluster, 'refreshMetadata' | 'topicNameById' | 'addInterest'>,
  topicPartitions: Array<{ topicId: string; partitions: number[] }>,
): Promise<{ partitions: TopicPartition[]; unknownTopicIds: string[] }> {
  const partitions: TopicPartition[] = []
  const unknownTopicIds: string[] = []
  for (const t of topicPartitions) {
    let name = cluster.topicNameById(t.topicId)
    if (name === undefined) {
      await cluster.refreshMetadata('all')
      name = cluster.topicNameById(t.topicId)
    }
    if (name === undefined) {
      unknownTopicIds.push(t.topicId)
      continue
    }
    cluster.addInterest([name])
    for (const partition of t.partitions) partitions.push({ topic: name, partition })
  }
  return { partitions, unknownTopicIds }
}
