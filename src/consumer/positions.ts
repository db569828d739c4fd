/**
 * Positions (Java's SubscriptionState with the offset look-ups of its OffsetFetcher): the assigned partitions and,
 * for each, where the application reads next. A new partition starts at the group's committed offset, else where
 * the reset policy says (ListOffsets: earliest, latest, or by_duration); OFFSET_OUT_OF_RANGE and a leader that does
 * not know our epoch apply the policy again, and a log truncation found by KIP-320 moves the position back. Also
 * seek, pause and resume, and the waits that resolve when positions or the assignment move, so callers
 * wait on the consumer's progress instead of polling it.
 */
import { KafkaError, TimeoutError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { abortError } from '../network/abort.js'
import type { Logger } from '../network/instrumentation.js'
import { LogTruncationError } from './errors.js'
import { type CallOptions, type CommittedOffset, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type ListedOffset, listOffsets, parseIsoDurationMs } from './offsets.js'
import { PartitionState, partitionKey } from './partition-state.js'
import type { PartitionLag, TopicPartition, TruncationEvent } from './types.js'

export interface PositionsHost {
  readonly cluster: Cluster
  readonly clock: Clock
  readonly logger: Logger
  /** `earliest`, `latest`, `none` or `by_duration:<ISO-8601>`. */
  readonly autoOffsetReset: string
  readonly readCommitted: boolean
  /** The group's committed offsets for these partitions (null without a group: the reset policy decides). */
  committed(states: PartitionState[]): Promise<CommittedOffset[]> | null
  /** Bounds of a look-up made for the application (ended by close()). */
  call(): CallOptions
  /** Positions became known or moved: the fetcher may fetch. */
  fetchable(): void
  /** An error that ends iteration. */
  fail(error: KafkaError): void
  /** Closing: look-ups that fail are not tried again. */
  closing(): boolean
  truncation(event: TruncationEvent): void
}

export class Positions {
  readonly states = new Map<string, PartitionState>()
  readonly #host: PositionsHost
  #retryTimer: ClockTimer | null = null
  /** Look-ups of positions that spent a whole budget in vain, in a row. */
  #failures = 0
  readonly #waiters = new Set<() => void>()

  constructor(host: PositionsHost) {
    this.#host = host
    const reset = host.autoOffsetReset
    if (!['earliest', 'latest', 'none'].includes(reset)) {
      if (!reset.startsWith('by_duration:')) throw new KafkaError(`autoOffsetReset "${reset}" is not earliest, latest, none or by_duration:<ISO-8601>`)
      parseIsoDurationMs(reset.slice('by_duration:'.length))
    }
  }

  has(topic: string, partition: number): boolean {
    return this.states.has(partitionKey(topic, partition))
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(partitionKey(topic, partition))
  }

  /** The partition's state; throws when it is not assigned. */
  of(topic: string, partition: number): PartitionState {
    const state = this.get(topic, partition)
    if (!state) throw new KafkaError(`${topic}-${partition} is not assigned to this consumer`)
    return state
  }

  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  /** New states for the partitions not assigned yet (positions still to be found: see `init`). */
  add(partitions: TopicPartition[]): PartitionState[] {
    const added: PartitionState[] = []
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition)
      if (this.states.has(key)) continue
      const state = new PartitionState(topic, partition)
      this.states.set(key, state)
      added.push(state)
    }
    return added
  }

  /** The partitions leave the assignment: whatever still refers to their states sees them revoked. */
  remove(states: PartitionState[]): void {
    for (const state of states) {
      state.revoked = true
      this.states.delete(partitionKey(state.topic, state.partition))
    }
    this.progressed()
  }

  /** Stops retrying look-ups and drops every partition (close). */
  clear(): void {
    this.#host.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    for (const state of this.states.values()) state.revoked = true
    this.states.clear()
    this.progressed()
  }

  /** Committed offsets for a group member, else the reset policy. */
  async init(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return
    let committed: CommittedOffset[] = []
    const lookup = this.#host.committed(states)
    if (lookup) {
      try {
        committed = await lookup
      } catch (error) {
        this.#failed(error, 'could not read committed offsets', () => this.init(states.filter((s) => !s.revoked && s.needsPosition)))
        return
      }
    }
    const byKey = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c]))
    const needReset: PartitionState[] = []
    for (const state of states) {
      if (state.revoked || !state.needsPosition) continue
      const c = byKey.get(partitionKey(state.topic, state.partition))
      if (c && c.offset !== null) {
        state.setPosition(c.offset, c.leaderEpoch)
        state.lastCommitted = c.offset
      } else needReset.push(state)
    }
    this.progressed()
    await this.reset(needReset)
  }

  /** Applies the reset policy (no committed offset, OFFSET_OUT_OF_RANGE, an epoch the leader does not know). */
  async reset(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return
    const host = this.#host
    const policy = host.autoOffsetReset
    if (policy === 'none') {
      for (const state of states) {
        state.error = new KafkaError(`${state.topic}-${state.partition}: no committed offset and autoOffsetReset is 'none'`)
        host.fail(state.error)
      }
      return
    }
    for (const state of states) {
      state.needsPosition = true
      state.generation++
    }
    const isolation = host.readCommitted ? 1 : 0
    const timestamp = policy === 'earliest' ? EARLIEST_TIMESTAMP : policy === 'latest' ? LATEST_TIMESTAMP : BigInt(host.clock.now() - parseIsoDurationMs(policy.slice('by_duration:'.length)))
    try {
      const listed = await listOffsets(host.cluster, states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp })), isolation, host.call())
      // A seek while the offsets were being listed wins over the reset it makes unnecessary.
      const stillResetting = (l: ListedOffset): PartitionState | undefined => {
        const state = this.get(l.topic, l.partition)
        return state?.needsPosition ? state : undefined
      }
      const missing: ListedOffset[] = []
      for (const l of listed) {
        if (l.offset < 0n) missing.push(l)
        else stillResetting(l)?.setPosition(l.offset)
      }
      // by_duration with nothing that recent: start at the end, as Java does.
      if (missing.length > 0) {
        const latest = await listOffsets(host.cluster, missing.map((m) => ({ ...m, timestamp: LATEST_TIMESTAMP })), isolation, host.call())
        for (const l of latest) stillResetting(l)?.setPosition(l.offset)
      }
    } catch (error) {
      this.#failed(error, 'offset reset failed', () => this.reset(states.filter((s) => !s.revoked && s.needsPosition)))
      return
    }
    this.progressed()
    host.fetchable()
  }

  /**
   * Each look-up already ran under a full budget (defaultApiTimeoutMs, the configured retries). A retriable
   * failure is tried again once more after a pause — the assignment still needs positions — while a failure that
   * cannot heal, or a second whole budget spent in vain, ends iteration with the error instead of a silent hang.
   */
  #failed(error: unknown, what: string, again: () => Promise<void>): void {
    const host = this.#host
    const err = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
    if (host.closing()) return
    const retriable = err.retriable && !(err instanceof TimeoutError && this.#failures > 0)
    if (!retriable) {
      host.fail(err)
      return
    }
    this.#failures++
    host.logger.warn({ err }, `${what}; trying again`)
    host.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = host.clock.setTimeout(() => {
      this.#retryTimer = null
      if (!host.closing()) void again().then(() => (this.#failures = 0))
    }, backoffDelayMs(this.#failures - 1, host.cluster.retryOptions))
  }

  /**
   * KIP-320: the leader's log for `epoch` ends at `endOffset`, below where we fetch. Moves back to it — or, with
   * autoOffsetReset 'none', when records the application already has are gone, stops with LogTruncationError.
   */
  truncated(state: PartitionState, endOffset: bigint, epoch: number, detectedBy: 'fetch' | 'validation'): void {
    const from = state.fetchPosition
    if (this.#host.autoOffsetReset === 'none' && state.position !== null && endOffset < state.position) {
      // Records the application already has are gone from the log: only the application can decide where to go.
      state.error = new LogTruncationError(state.topic, state.partition, state.position, endOffset, epoch)
      state.generation++
      this.#host.fail(state.error)
      return
    }
    const target = state.position !== null && endOffset < state.position ? endOffset : (state.position ?? endOffset)
    this.#host.logger.warn({ topic: state.topic, partition: state.partition, from, to: target, epoch }, 'log truncation detected (KIP-320): moving back')
    const validatedLeaderEpoch = state.validatedLeaderEpoch
    state.setPosition(target, epoch)
    // The new position is where the leader says the logs diverge: it needs no check of its own.
    state.validatedLeaderEpoch = validatedLeaderEpoch
    if (state.processed !== null && state.processed > target) state.processed = target
    this.progressed()
    this.#host.truncation({ topic: state.topic, partition: state.partition, offset: target, epoch, from: from ?? target, detectedBy })
  }

  seek(topic: string, partition: number, offset: bigint, leaderEpoch: number): void {
    const state = this.of(topic, partition)
    state.setPosition(offset, leaderEpoch)
    state.processed = null
    this.progressed()
    this.#host.fetchable()
  }

  pause(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.get(topic, partition)
      if (!state || state.paused) continue
      state.paused = true
      if (state.position !== null) {
        state.fetchPosition = state.position
        state.fetchEpoch = state.positionEpoch
      }
      state.generation++
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.get(topic, partition)
      if (state) state.paused = false
    }
    this.#host.fetchable()
  }

  paused(): TopicPartition[] {
    return [...this.states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  lag(): PartitionLag[] {
    return [...this.states.values()].map((s) => {
      const end = this.#host.readCommitted ? (s.lastStableOffset ?? s.highWatermark) : s.highWatermark
      return {
        topic: s.topic,
        partition: s.partition,
        position: s.position,
        highWatermark: s.highWatermark,
        lag: end !== null && s.position !== null ? (end > s.position ? end - s.position : 0n) : null,
      }
    })
  }

  /** Per partition whose position is known: the offset after the last message handed out, with its leader epoch. */
  currentOffsets(): Array<TopicPartition & { offset: bigint; leaderEpoch: number }> {
    const out: Array<TopicPartition & { offset: bigint; leaderEpoch: number }> = []
    for (const state of this.states.values()) {
      if (state.revoked || state.needsPosition || state.position === null) continue
      out.push({ topic: state.topic, partition: state.partition, offset: state.position, leaderEpoch: state.positionEpoch })
    }
    return out
  }

  /** Resolves with the partition's position once it is known (committed offset or reset), or its error. */
  position(state: PartitionState, signal: AbortSignal): Promise<bigint> {
    return this.#until(() => {
      if (!state.needsPosition && state.position !== null) return state.position
      if (state.error) throw state.error
      return undefined
    }, signal)
  }

  /** Resolves once at least `min` partitions are assigned, all with positions; `fatal` ends the wait with its error. */
  assigned(min: number, fatal: () => KafkaError | null, signal: AbortSignal): Promise<TopicPartition[]> {
    return this.#until(() => {
      const error = fatal()
      if (error) throw error
      return this.states.size >= min && [...this.states.values()].every((s) => !s.needsPosition) ? this.assignment() : undefined
    }, signal)
  }

  /**
   * `check()`'s value once it has one, re-checked whenever positions, the assignment or the consumer's state move
   * (`progressed`); `check` throws to fail the wait. Ends with the signal's error when it fires first.
   */
  #until<T>(check: () => T | undefined, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        this.#waiters.delete(recheck)
        signal.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => {
        finish()
        reject(abortError(signal))
      }
      const recheck = (): void => {
        let value: T | undefined
        try {
          value = check()
        } catch (error) {
          finish()
          return reject(error)
        }
        if (value === undefined) return
        finish()
        resolve(value)
      }
      if (signal.aborted) return reject(abortError(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(recheck)
      recheck()
    })
  }

  /** Positions, the assignment or the consumer's state moved: waiters re-check. */
  progressed(): void {
    for (const recheck of [...this.#waiters]) recheck()
  }
}
