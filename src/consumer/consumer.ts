/**
 * The consumer: subscription or manual assignment, the fetcher's buffered chunks turned into messages for
 * `for await`, `batches()` and `run()`, and offset bookkeeping that commits only what the application finished.
 *
 * "Finished" is defined by the iteration itself: a message counts as processed when the application asks for the
 * next one (the loop body returned), a batch when the next batch is asked for, a `run()` message when its handler
 * resolves. A partition revoked while a message is in process is dropped from the bookkeeping first, so that
 * message's offset is never committed by this member.
 *
 * Deserializers run as a message is handed out, never on the way without one (the default path has no extra
 * branch beyond a null check). A deserializer that throws holds the consumer at that record: it is not handed out,
 * its position is not passed, and every later request for a message retries it until it deserializes or a seek,
 * revoke or pause makes it stale.
 *
 * Event-loop fairness: a `for await` loop over buffered messages never returns to the event loop by itself (each
 * step is a resolved promise, i.e. a microtask). Delivery therefore yields with setImmediate once it has run for
 * SLICE_MS without a break, so heartbeats, socket reads and the application's own timers keep running.
 */
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import { KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import type { ClientContext } from '../kafka.js'
import { ErrorCodes } from '../protocol/index.js'
import { AbortError, abortError, anySignal, ownAbortReason, sleep } from '../network/abort.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { channels, type Logger, type RebalanceChannelEvent } from '../network/instrumentation.js'
import type { KafkaRecord } from '../records/types.js'
import type { RecordSource } from '../records/index.js'
import type { FetchedChunk } from './fetched-chunk.js'
import { Fetcher } from './fetcher.js'
import { PartitionState, partitionKey } from './partition-state.js'
import { ClassicMembership } from './group-classic.js'
import { ConsumerProtocolMembership } from './group-consumer-protocol.js'
import type { Membership, MembershipHost } from './membership.js'
import {
  commitOffsets,
  EARLIEST_TIMESTAMP,
  fetchCommitted,
  LATEST_TIMESTAMP,
  listOffsets,
  type CommittedOffset,
  type CallBounds,
  type CallOptions,
  type ListedOffset,
  parseIsoDurationMs,
} from './offsets.js'
import type {
  AssignorName,
  CommitOptions,
  ConsumerBatch,
  ConsumerGroupMetadata,
  ConsumerMessage,
  ConsumerOptions,
  Deserializer,
  PartitionLag,
  RebalanceEvent,
  RebalanceListener,
  RunOptions,
  TopicPartition,
  TopicPartitionOffset,
  TruncationEvent,
} from './types.js'
import { resolveDeserializer } from './deserializers.js'
import { DeserializationError, LogTruncationError } from './errors.js'

export const CONSUMER_DEFAULTS = {
  groupProtocol: 'consumer',
  partitionAssignmentStrategy: ['range', 'cooperative-sticky'] as AssignorName[],
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  maxPollIntervalMs: 300_000,
  enableAutoCommit: true,
  autoCommitIntervalMs: 5_000,
  autoOffsetReset: 'latest',
  isolationLevel: 'read_uncommitted',
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  checkCrcs: true,
  maxPollRecords: 500,
  closeTimeoutMs: 30_000,
} as const

/** How long delivery may run before it lets the event loop turn. */
const SLICE_MS = 2

let nextInstance = 0

const FENCING_CODES = new Set<number>([
  ErrorCodes.ILLEGAL_GENERATION,
  ErrorCodes.UNKNOWN_MEMBER_ID,
  ErrorCodes.FENCED_MEMBER_EPOCH,
  ErrorCodes.STALE_MEMBER_EPOCH,
  ErrorCodes.REBALANCE_IN_PROGRESS,
])

interface InProcess {
  state: PartitionState
  generation: number
  next: bigint
  epoch: number
}

type OptionalOptions = 'groupId' | 'groupInstanceId' | 'groupRemoteAssignor' | 'clientRack' | 'keyDeserializer' | 'valueDeserializer'
type Resolved = Required<Omit<ConsumerOptions, OptionalOptions>>

export declare interface Consumer<K = Buffer | null, V = Buffer | null> {
  on(event: 'rebalance', listener: (event: RebalanceEvent) => void): this
  on(event: 'error', listener: (error: KafkaError) => void): this
  on(event: 'truncation', listener: (event: TruncationEvent) => void): this
}

/**
 * K and V are what `message.key` and `message.value` hold: `Buffer | null` without deserializers. `kafka.consumer()`
 * infers them from `keyDeserializer` / `valueDeserializer`.
 */
let crash: (consumer: Consumer<unknown, unknown>) => Promise<void>

/**
 * For fault tests, not exported from the package: stops `consumer` as a crashed process would — no commit, no
 * leave, heartbeats and fetches just stop — so a test can watch the group expire the member.
 */
export function simulateConsumerCrash(consumer: Consumer<unknown, unknown>): Promise<void> {
  return crash(consumer)
}

export class Consumer<K = Buffer | null, V = Buffer | null> extends EventEmitter implements AsyncIterable<ConsumerMessage<K, V>> {
  readonly groupId: string | null
  readonly options: Resolved & Pick<ConsumerOptions, OptionalOptions>
  readonly #context: ClientContext
  readonly #cluster: Cluster
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #states = new Map<string, PartitionState>()
  readonly #fetcher: Fetcher
  readonly #ready: FetchedChunk[] = []
  #readyHead = 0
  #bufferedBytes = 0
  #current: { chunk: FetchedChunk; records: RecordSource | null; from: bigint | null; leaderEpoch: number } | null = null
  readonly #keyDeserializer: Deserializer<unknown> | null
  readonly #valueDeserializer: Deserializer<unknown> | null
  readonly #deserializing: boolean
  /** A record whose deserializer threw: handed out once it deserializes, dropped once stale. */
  #held: { chunk: FetchedChunk; record: KafkaRecord; leaderEpoch: number } | null = null
  #inProcess: InProcess[] = []
  #spareInProcess: InProcess | null = null
  #waiter: (() => void) | null = null
  #fatal: KafkaError | null = null
  #closed = false
  #closing: Promise<void> | null = null
  /** Fired by close(): ends the application's calls still running (committed, position, commit …). */
  readonly #closingCalls = new AbortController()
  #positionsTimer: ClockTimer | null = null
  /** Look-ups of positions that spent a whole budget in vain, in a row. */
  #positionFailures = 0
  #subscription: { topics: string[]; pattern: RegExp | null } | null = null
  #manual = false
  #membership: Membership | null = null
  #listener: RebalanceListener = {}
  #autoCommitTimer: ClockTimer | null = null
  #sliceStart = 0
  #sliceCount = 0
  #yieldDue = false
  #stableWaiters: Array<() => void> = []
  /** Waits on positions, the assignment or the consumer's state (position(), waitForAssignment()). */
  readonly #progressWaiters = new Set<() => void>()
  #lastPollAt: number
  /** The application holds a message (between handing it out and the next request): the poll clock runs. */
  #appBusy = false
  #pollTimer: ClockTimer | null = null
  /** Set when maxPollIntervalMs passed: the member left the group and rejoins at the next poll. */
  #leftForPollTimeout: Promise<void> | null = null
  /** Distinguishes this consumer's connections from other clients' on the shared pool. */
  readonly #instance = nextInstance++

  constructor(context: ClientContext, options: ConsumerOptions = {}) {
    super()
    this.#context = context
    this.#cluster = context.cluster
    this.#clock = context.clock
    this.#lastPollAt = this.#clock.now()
    this.#logger = context.logger
    this.groupId = options.groupId ?? null
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
    this.options = { ...CONSUMER_DEFAULTS, defaultApiTimeoutMs: context.cluster.defaultApiTimeoutMs, ...defined } as Consumer['options']
    this.#keyDeserializer = resolveDeserializer(options.keyDeserializer, 'keyDeserializer')
    this.#valueDeserializer = resolveDeserializer(options.valueDeserializer, 'valueDeserializer')
    this.#deserializing = this.#keyDeserializer !== null || this.#valueDeserializer !== null
    const reset = this.options.autoOffsetReset
    if (!['earliest', 'latest', 'none'].includes(reset)) {
      if (!reset.startsWith('by_duration:')) throw new KafkaError(`autoOffsetReset "${reset}" is not earliest, latest, none or by_duration:<ISO-8601>`)
      parseIsoDurationMs(reset.slice('by_duration:'.length))
    }
    this.#fetcher = new Fetcher(
      this.#cluster,
      {
        fetchMinBytes: this.options.fetchMinBytes,
        fetchMaxBytes: this.options.fetchMaxBytes,
        fetchMaxWaitMs: this.options.fetchMaxWaitMs,
        maxPartitionFetchBytes: this.options.maxPartitionFetchBytes,
        isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
        clientRack: this.options.clientRack ?? null,
        checkCrcs: this.options.checkCrcs,
        purpose: `fetch:${this.#instance}`,
        clientId: context.clientId,
        groupId: this.groupId,
        stallTimeoutMs: Math.max(this.options.defaultApiTimeoutMs * 4, this.options.fetchMaxWaitMs * 10),
      },
      {
        partitions: () => this.#states.values(),
        deliver: (chunk) => this.#deliver(chunk),
        resetOffset: (state) => void this.#resetPositions([state]),
        truncated: (state, endOffset, epoch, detectedBy) => this.#truncated(state, endOffset, epoch, detectedBy),
        fatal: (error) => this.#fail(error),
        bufferedBytes: () => this.#bufferedBytes,
      },
      this.#logger,
    )
  }

  // ---- subscription and assignment ----

  /** Subscribes to topics (or every topic matching a pattern) as a member of `groupId`. */
  async subscribe(topics: string | string[] | RegExp, listener: RebalanceListener = {}): Promise<void> {
    this.#checkOpen()
    if (!this.groupId) throw new KafkaError('subscribe() needs a groupId; use assign() without a group')
    if (this.#manual) throw new KafkaError('subscribe() after assign(): one consumer does one or the other')
    this.#listener = listener
    this.#subscription = topics instanceof RegExp ? { topics: [], pattern: topics } : { topics: typeof topics === 'string' ? [topics] : [...topics], pattern: null }
    if (this.#subscription.pattern === null) {
      this.#cluster.addInterest(this.#subscription.topics)
      // Warms the metadata the membership needs, without holding subscribe() on an unreachable cluster: the
      // membership's own rounds (bounded by defaultApiTimeoutMs) are what report that.
      void this.#cluster.topics(this.#subscription.topics).catch((error: unknown) => this.#logger.debug({ error }, 'subscribed topic has no metadata yet'))
    }
    if (this.#membership) {
      this.#membership.subscriptionChanged()
      return
    }
    this.#membership = this.#createMembership(this.options.groupProtocol)
    this.#membership.start()
    this.#pollTimer = this.#clock.setInterval(() => this.#checkPollInterval(), Math.max(100, Math.min(1000, this.options.maxPollIntervalMs / 4)))
    this.#pollTimer.unref?.()
    this.#startAutoCommit()
    this.#fetcher.start()
  }

  #createMembership(protocol: 'consumer' | 'classic'): Membership {
    const host = this.#membershipHost()
    if (protocol === 'classic') return new ClassicMembership(host, this.options.partitionAssignmentStrategy)
    return new ConsumerProtocolMembership(host, () => {
      this.#logger.info({ groupId: this.groupId }, 'the broker has no KIP-848 consumer groups; using the classic protocol')
      this.#membership = new ClassicMembership(host, this.options.partitionAssignmentStrategy)
      this.#membership.start()
    })
  }

  #membershipHost(): MembershipHost {
    const self = this
    return {
      cluster: this.#cluster,
      clock: this.#clock,
      logger: this.#logger,
      groupId: this.groupId!,
      groupPurpose: `group:${this.#instance}`,
      groupInstanceId: this.options.groupInstanceId ?? null,
      groupRemoteAssignor: this.options.groupRemoteAssignor ?? null,
      clientRack: this.options.clientRack ?? null,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      rebalanceTimeoutMs: this.options.maxPollIntervalMs,
      unreachableTimeoutMs: this.options.defaultApiTimeoutMs,
      subscription: () => this.#subscription ?? { topics: [], pattern: null },
      owned: () => [...this.#states.values()].map((s) => ({ topic: s.topic, partition: s.partition })),
      assign: (partitions) => self.#addPartitions(partitions, true),
      revoke: (partitions) => self.#removePartitions(partitions, 'revoked'),
      lose: (partitions) => self.#removePartitions(partitions, 'lost'),
      fatal: (error) => self.#fail(error),
      stable: () => {
        const waiters = self.#stableWaiters
        self.#stableWaiters = []
        for (const w of waiters) w()
      },
    }
  }

  /** Consumes exactly these partitions, without a group (nothing is committed unless groupId is set and you commit). */
  async assign(partitions: TopicPartition[]): Promise<void> {
    this.#checkOpen()
    if (this.#subscription) throw new KafkaError('assign() after subscribe(): one consumer does one or the other')
    this.#manual = true
    const wanted = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)))
    const removed = [...this.#states.values()].filter((s) => !wanted.has(partitionKey(s.topic, s.partition)))
    await this.#removePartitions(removed, null)
    await this.#addPartitions(partitions.filter((p) => !this.#states.has(partitionKey(p.topic, p.partition))), false)
    this.#startAutoCommit()
    this.#fetcher.start()
  }

  /** The partitions this consumer now owns. */
  assignment(): TopicPartition[] {
    return [...this.#states.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  async #addPartitions(partitions: TopicPartition[], fromGroup: boolean): Promise<void> {
    if (partitions.length === 0) return
    const topics = [...new Set(partitions.map((p) => p.topic))]
    await this.#cluster.topics(topics)
    const added: PartitionState[] = []
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition)
      if (this.#states.has(key)) continue
      const state = new PartitionState(topic, partition)
      this.#states.set(key, state)
      added.push(state)
    }
    if (fromGroup) {
      try {
        await this.#listener.onAssigned?.(partitions)
      } catch (error) {
        this.#logger.error({ error }, 'onAssigned threw')
      }
      this.emit('rebalance', { type: 'assigned', partitions } satisfies RebalanceEvent)
      if (channels.rebalance.hasSubscribers) this.#publishRebalance('assigned', partitions)
    }
    await this.#initPositions(added)
    this.#progressed()
    this.#fetcher.schedule()
  }

  async #removePartitions(partitions: TopicPartition[], reason: 'revoked' | 'lost' | null): Promise<void> {
    if (partitions.length === 0) return
    const states = partitions.map((p) => this.#states.get(partitionKey(p.topic, p.partition))).filter((s): s is PartitionState => s !== undefined)
    if (reason === 'revoked') {
      try {
        await this.#listener.onRevoked?.(partitions)
      } catch (error) {
        this.#logger.error({ error }, 'onRevoked threw')
      }
      // In-process messages of these partitions stay uncommitted: their handlers have not finished.
      if (this.groupId && this.options.enableAutoCommit) await this.#commitStates(states, this.#call({})).catch((error: unknown) => this.#logger.warn({ error }, 'commit on revoke failed'))
    } else if (reason === 'lost') {
      try {
        await this.#listener.onLost?.(partitions)
      } catch (error) {
        this.#logger.error({ error }, 'onLost threw')
      }
    }
    for (const state of states) {
      state.revoked = true
      this.#states.delete(partitionKey(state.topic, state.partition))
    }
    this.#progressed()
    if (reason) {
      this.emit('rebalance', { type: reason, partitions } satisfies RebalanceEvent)
      if (channels.rebalance.hasSubscribers) this.#publishRebalance(reason, partitions)
    }
  }

  #publishRebalance(type: RebalanceEvent['type'], partitions: TopicPartition[]): void {
    channels.rebalance.publish({
      clientId: this.#context.clientId,
      groupId: this.groupId,
      memberId: this.#membership?.identity()?.memberId || null,
      type,
      partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
    } satisfies RebalanceChannelEvent)
  }

  /**
   * Each look-up above already ran under a full budget (defaultApiTimeoutMs, the configured retries). A retriable
   * failure is tried again once more after a pause — the assignment still needs positions — while a failure that
   * cannot heal, or a second whole budget spent in vain, ends iteration with the error instead of a silent hang.
   */
  #positionsFailed(error: unknown, what: string, again: () => Promise<void>): void {
    const err = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
    if (this.#closing) return
    const retriable = err.retriable && !(err instanceof TimeoutError && this.#positionFailures > 0)
    if (!retriable) {
      this.#fail(err)
      return
    }
    this.#positionFailures++
    this.#logger.warn({ error: err.message }, `${what}; trying again`)
    this.#clock.clearTimeout(this.#positionsTimer)
    this.#positionsTimer = this.#clock.setTimeout(() => {
      this.#positionsTimer = null
      if (!this.#closed && !this.#closing) void again().then(() => (this.#positionFailures = 0))
    }, backoffDelayMs(this.#positionFailures - 1, this.#cluster.retryOptions))
  }

  /** Committed offsets for a group member, else the reset policy. */
  async #initPositions(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return
    let committed: CommittedOffset[] = []
    if (this.groupId) {
      try {
        committed = await fetchCommitted(this.#cluster, this.groupId, states, this.#membership?.identity() ?? null, this.#userCall({}), `group:${this.#instance}`)
      } catch (error) {
        this.#positionsFailed(error, 'could not read committed offsets', () => this.#initPositions(states.filter((s) => !s.revoked && s.needsPosition)))
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
    this.#progressed()
    await this.#resetPositions(needReset)
  }

  async #resetPositions(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return
    const policy = this.options.autoOffsetReset
    if (policy === 'none') {
      for (const state of states) {
        state.error = new KafkaError(`${state.topic}-${state.partition}: no committed offset and autoOffsetReset is 'none'`)
        this.#fail(state.error)
      }
      return
    }
    for (const state of states) {
      state.needsPosition = true
      state.generation++
    }
    const timestamp = policy === 'earliest' ? EARLIEST_TIMESTAMP : policy === 'latest' ? LATEST_TIMESTAMP : BigInt(this.#clock.now() - parseIsoDurationMs(policy.slice('by_duration:'.length)))
    try {
      const listed = await listOffsets(
        this.#cluster,
        states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp })),
        this.options.isolationLevel === 'read_committed' ? 1 : 0,
        this.#userCall({}),
      )
      // A seek while the offsets were being listed wins over the reset it makes unnecessary.
      const stillResetting = (l: ListedOffset): PartitionState | undefined => {
        const state = this.#states.get(partitionKey(l.topic, l.partition))
        return state?.needsPosition ? state : undefined
      }
      let missing: ListedOffset[] = []
      for (const l of listed) {
        if (l.offset < 0n) missing.push(l)
        else stillResetting(l)?.setPosition(l.offset)
      }
      // by_duration with nothing that recent: start at the end, as Java does.
      if (missing.length > 0) {
        const latest = await listOffsets(this.#cluster, missing.map((m) => ({ ...m, timestamp: LATEST_TIMESTAMP })), this.options.isolationLevel === 'read_committed' ? 1 : 0, this.#userCall({}))
        for (const l of latest) stillResetting(l)?.setPosition(l.offset)
        missing = []
      }
    } catch (error) {
      this.#positionsFailed(error, 'offset reset failed', () => this.#resetPositions(states.filter((s) => !s.revoked && s.needsPosition)))
      return
    }
    this.#progressed()
    this.#fetcher.schedule()
  }

  #truncated(state: PartitionState, endOffset: bigint, epoch: number, detectedBy: 'fetch' | 'validation'): void {
    const from = state.fetchPosition
    if (this.options.autoOffsetReset === 'none' && state.position !== null && endOffset < state.position) {
      // Records the application already has are gone from the log: only the application can decide where to go.
      state.error = new LogTruncationError(state.topic, state.partition, state.position, endOffset, epoch)
      state.generation++
      this.#fail(state.error)
      return
    }
    const target = state.position !== null && endOffset < state.position ? endOffset : (state.position ?? endOffset)
    this.#logger.warn({ topic: state.topic, partition: state.partition, from, to: target, epoch }, 'log truncation detected (KIP-320): moving back')
    const validatedLeaderEpoch = state.validatedLeaderEpoch
    state.setPosition(target, epoch)
    // The new position is where the leader says the logs diverge: it needs no check of its own.
    state.validatedLeaderEpoch = validatedLeaderEpoch
    if (state.processed !== null && state.processed > target) state.processed = target
    this.#progressed()
    this.emit('truncation', { topic: state.topic, partition: state.partition, offset: target, epoch, from: from ?? target, detectedBy } satisfies TruncationEvent)
  }

  // ---- delivery ----

  #deliver(chunk: FetchedChunk): void {
    this.#ready.push(chunk)
    this.#bufferedBytes += chunk.size
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = null
      waiter()
    }
  }

  #fail(error: KafkaError): void {
    if (this.#fatal) return
    this.#fatal = error
    this.#logger.error({ error }, 'consumer stopped by an error')
    if (this.listenerCount('error') > 0) this.emit('error', error)
    this.#progressed()
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = null
      waiter()
    }
  }

  #releaseChunk(chunk: FetchedChunk): void {
    chunk.state.bufferedChunks--
    chunk.state.bufferedBytes -= chunk.size
    this.#bufferedBytes -= chunk.size
    this.#fetcher.schedule()
  }

  /** Marks everything handed out so far as processed. */
  #markProcessed(): void {
    const list = this.#inProcess
    if (list.length === 0) return
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!
      if (p.state.revoked || p.state.generation !== p.generation) continue
      p.state.processed = p.next
      p.state.processedEpoch = p.epoch
    }
    if (list.length === 1) this.#spareInProcess = list[0]!
    // Reused, not replaced: this runs once per message. (eachBatch swaps the array out before handing it on.)
    list.length = 0
  }

  /**
   * The next record (and its partition) from the buffer, or null when nothing is buffered. Decodes one batch at a
   * time. Skips stale chunks (seek, revoke, pause happened after they were fetched).
   */
  #take(): KafkaRecord | null {
    for (;;) {
      const current = this.#current
      if (current !== null) {
        if (current.chunk.stale) {
          this.#finishCurrent()
          continue
        }
        if (current.records !== null) {
          let record: KafkaRecord | null
          try {
            record = current.records.next()
          } catch (error) {
            this.#finishCurrent()
            throw error
          }
          if (record !== null) {
            if (current.from !== null && record.offset < current.from) continue
            // The caller reads partition and epoch from #current: no per-message tuple for the GC.
            return record
          }
          current.records = null
        }
        // Opening a batch checks its CRC and decompresses it: start that on a fresh slice rather than at the end of a
        // spent one. Records are decoded one by one as they are taken, so no turn decodes a whole batch.
        if (performance.now() - this.#sliceStart > SLICE_MS / 2) {
          this.#yieldDue = true
          return null
        }
        let next: ReturnType<FetchedChunk['nextBatch']>
        try {
          next = current.chunk.nextBatch(this.options.checkCrcs)
        } catch (error) {
          this.#finishCurrent()
          throw error
        }
        if (next === null) {
          this.#finishCurrent()
          continue
        }
        current.records = next.records
        current.from = next.from
        current.leaderEpoch = next.leaderEpoch
        continue
      }
      if (this.#readyHead >= this.#ready.length) return null
      const chunk = this.#ready[this.#readyHead++]!
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead)
        this.#readyHead = 0
      }
      if (chunk.stale) {
        this.#releaseChunk(chunk)
        continue
      }
      this.#current = { chunk, records: null, from: null, leaderEpoch: -1 }
    }
  }

  #finishCurrent(): void {
    const current = this.#current
    if (!current) return
    this.#current = null
    this.#releaseChunk(current.chunk)
  }

  #toMessage(state: PartitionState, record: KafkaRecord, leaderEpoch: number): ConsumerMessage<K, V> {
    const next = record.offset + 1n
    state.position = next
    state.positionEpoch = leaderEpoch
    const list = this.#inProcess
    const generation = state.generation
    const last = list.length > 0 ? list[list.length - 1]! : null
    if (last !== null && last.state === state && last.generation === generation) {
      // Messages of one partition in a row (a batch): the last one decides what counts as processed.
      last.next = next
      last.epoch = leaderEpoch
    } else {
      // One message at a time is the common case: its bookkeeping object is recycled, not left to the GC.
      const entry = this.#spareInProcess
      if (entry !== null) {
        this.#spareInProcess = null
        entry.state = state
        entry.generation = generation
        entry.next = next
        entry.epoch = leaderEpoch
        list.push(entry)
      } else list.push({ state, generation, next, epoch: leaderEpoch })
    }
    return {
      topic: state.topic,
      partition: state.partition,
      offset: record.offset,
      timestamp: Number(record.timestamp),
      // Without deserializers K and V are Buffer | null (kafka.consumer() infers them from the options).
      key: record.key as K,
      value: record.value as V,
      headers: record.headers,
      leaderEpoch,
    }
  }

  /**
   * The message with key and value deserialized. Runs the deserializers before any bookkeeping, so that a throw
   * leaves the record unprocessed and the position at it; the record is held and retried by the next request.
   */
  #deserialized(chunk: FetchedChunk, record: KafkaRecord, leaderEpoch: number): ConsumerMessage<K, V> {
    const state = chunk.state
    let field: 'key' | 'value' = 'key'
    let key: unknown = record.key
    let value: unknown = record.value
    try {
      if (record.key !== null && this.#keyDeserializer !== null) key = this.#keyDeserializer(record.key, state.topic)
      field = 'value'
      if (record.value !== null && this.#valueDeserializer !== null) value = this.#valueDeserializer(record.value, state.topic)
    } catch (cause) {
      this.#held = { chunk, record, leaderEpoch }
      throw new DeserializationError(state.topic, state.partition, record.offset, field, cause)
    }
    this.#held = null
    this.#appBusy = true
    const message = this.#toMessage(state, record, leaderEpoch)
    message.key = key as K
    message.value = value as V
    return message
  }

  /** The held record's message; null when it went stale (seek, revoke, pause) and delivery goes on from the buffer. */
  #retryHeld(): ConsumerMessage<K, V> | null {
    const held = this.#held!
    if (held.chunk.stale || this.#current?.chunk !== held.chunk) {
      this.#held = null
      return null
    }
    return this.#deserialized(held.chunk, held.record, held.leaderEpoch)
  }

  /** Whether delivery has run long enough that the event loop should get a turn. */
  #sliceExpired(): boolean {
    if (this.#yieldDue) return true
    if (++this.#sliceCount < 64) return false
    this.#sliceCount = 0
    // Sticky until the yield happened: the fast path only notices, the slow path yields.
    this.#yieldDue = performance.now() - this.#sliceStart > SLICE_MS
    return this.#yieldDue
  }

  #waitForData(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiter = null
        reject(new AbortError(signal?.reason))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiter = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
    })
  }

  /**
   * maxPollIntervalMs in Node terms: heartbeats run on timers, so a member whose application is stuck (a handler
   * awaiting forever, a loop body that never returns) would otherwise keep its partitions while processing
   * nothing. When the application has held a message longer than maxPollIntervalMs, the member leaves the group
   * (its partitions count as lost: nothing in process gets committed) and rejoins when the application asks
   * for the next message.
   */
  #checkPollInterval(): void {
    if (!this.#membership || this.#leftForPollTimeout || this.#closed || this.#closing || !this.#appBusy) return
    const held = this.#clock.now() - this.#lastPollAt
    if (held <= this.options.maxPollIntervalMs) return
    this.#logger.warn({ groupId: this.groupId, heldMs: held }, 'maxPollIntervalMs exceeded: leaving the group until the application polls again')
    const membership = this.#membership
    this.#leftForPollTimeout = membership
      .stop(true)
      .then(() => this.#removePartitions(this.assignment(), 'lost'))
      .catch((error: unknown) => this.#logger.warn({ error }, 'leaving after maxPollIntervalMs failed'))
  }

  async #rejoinAfterPollTimeout(): Promise<void> {
    const leaving = this.#leftForPollTimeout
    if (!leaving) return
    await leaving
    this.#leftForPollTimeout = null
    if (!this.#closed && !this.#closing) this.#membership?.start()
  }

  /** Next message, or null once closed/aborted. The previous one counts as processed. */
  async #nextMessage(signal: AbortSignal | undefined): Promise<ConsumerMessage<K, V> | null> {
    this.#startPoll()
    if (this.#leftForPollTimeout) await this.#rejoinAfterPollTimeout()
    for (;;) {
      if (this.#closed || signal?.aborted) return null
      if (this.#fatal) throw this.#fatal
      // Yield before taking, so that nothing taken can go stale (seek, revoke) while the event loop turns.
      if (this.#sliceExpired()) {
        await yieldToEventLoop()
        this.#yieldDue = false
        this.#sliceStart = performance.now()
        continue
      }
      // After the slice check: an application retrying a failing record in a loop still lets the event loop turn.
      if (this.#held !== null) {
        const message = this.#retryHeld()
        if (message !== null) return message
        continue
      }
      const taken = this.#take()
      if (taken !== null) return this.#handOut(taken)
      if (this.#yieldDue) continue
      try {
        await this.#waitForData(signal)
      } catch (error) {
        if (error instanceof AbortError) return null
        throw error
      }
      // The data arrived in the turn that assembled and decoded the fetch response: deliver from the next one.
      this.#yieldDue = true
    }
  }

  /**
   * The common case without a promise of our own: a message is buffered and no yield is due. `undefined` means
   * "take the slow path" (nothing buffered, a yield is due, an error to throw, a rejoin to do).
   */
  #nextMessageSync(signal: AbortSignal | undefined): ConsumerMessage<K, V> | null | undefined {
    this.#startPoll()
    if (this.#closed || signal?.aborted) return null
    if (this.#fatal || this.#held !== null || this.#leftForPollTimeout || this.#sliceExpired()) return undefined
    const taken = this.#take()
    return taken === null ? undefined : this.#handOut(taken)
  }

  /** The application asks for more: what it held is finished, and the poll clock stops. */
  #startPoll(): void {
    this.#markProcessed()
    this.#lastPollAt = this.#clock.now()
    this.#appBusy = false
  }

  #handOut(record: KafkaRecord): ConsumerMessage<K, V> {
    const current = this.#current!
    if (this.#deserializing) return this.#deserialized(current.chunk, record, current.leaderEpoch)
    this.#appBusy = true
    return this.#toMessage(current.chunk.state, record, current.leaderEpoch)
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    return this.messages()
  }

  /** Messages one by one. `signal` ends the iteration cleanly (done), as does close(). */
  messages(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<ConsumerMessage<K, V>> {
    const signal = options.signal
    const done: IteratorResult<ConsumerMessage<K, V>> = { value: undefined, done: true }
    const iterator: AsyncIterableIterator<ConsumerMessage<K, V>> = {
      next: () => {
        let fast: ConsumerMessage<K, V> | null | undefined
        try {
          fast = this.#nextMessageSync(signal)
        } catch (error) {
          return Promise.reject(error)
        }
        if (fast !== undefined) return Promise.resolve(fast === null ? done : { value: fast, done: false })
        return this.#nextMessage(signal).then((message) => (message === null ? done : { value: message, done: false }))
      },
      return: async () => {
        // Leaving the loop early (break/throw): the last message is not known to be finished, so it stays uncommitted.
        this.#inProcess = []
        return done
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  /** Batches of up to maxPollRecords messages of one partition. A batch counts as processed when the next is asked for. */
  batches(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<ConsumerBatch<K, V>> {
    const signal = options.signal
    const done: IteratorResult<ConsumerBatch<K, V>> = { value: undefined, done: true }
    const iterator: AsyncIterableIterator<ConsumerBatch<K, V>> = {
      next: async () => {
        const batch = await this.#nextBatch(signal)
        return batch === null ? done : { value: batch, done: false }
      },
      return: async () => {
        this.#inProcess = []
        return done
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  async #nextBatch(signal: AbortSignal | undefined): Promise<ConsumerBatch<K, V> | null> {
    const first = await this.#nextMessage(signal)
    if (first === null) return null
    const state = this.#current?.chunk.state
    const messages = [first]
    const limit = this.options.maxPollRecords
    // Stay within the current decoded batch of the same partition: no extra decoding, no partition mixing.
    while (messages.length < limit) {
      const current = this.#current
      if (!current || current.chunk.state !== state || current.records === null || current.chunk.stale) break
      let record: KafkaRecord | null
      try {
        record = current.records.next()
      } catch {
        // Deliver what was read; the next take meets the same error (the cursor repeats it) and reports it.
        break
      }
      if (record === null) {
        current.records = null
        break
      }
      if (current.from !== null && record.offset < current.from) continue
      if (this.#deserializing) {
        try {
          messages.push(this.#deserialized(current.chunk, record, current.leaderEpoch))
        } catch {
          // Deliver what deserialized; the record is held and the next request reports it.
          break
        }
      } else messages.push(this.#toMessage(current.chunk.state, record, current.leaderEpoch))
    }
    const s = this.#states.get(partitionKey(first.topic, first.partition))
    const highWatermark = s?.highWatermark ?? -1n
    const nextOffset = messages[messages.length - 1]!.offset + 1n
    return { topic: first.topic, partition: first.partition, messages, highWatermark, lag: highWatermark >= nextOffset ? highWatermark - nextOffset : 0n }
  }

  /**
   * KafkaJS-style runner: calls `eachMessage` (or `eachBatch`) until `stop()`/`close()`/the signal; a handler
   * error stops the runner and rejects the returned promise (the message is not committed).
   */
  async run(options: RunOptions<K, V>): Promise<void> {
    const { eachMessage, eachBatch, signal } = options
    if (!eachMessage === !eachBatch) throw new KafkaError('run() takes exactly one of eachMessage or eachBatch')
    const heartbeat = (): Promise<void> => this.#membership?.heartbeatNow() ?? Promise.resolve()
    if (eachMessage) {
      for (;;) {
        const message = await this.#nextMessage(signal)
        if (message === null) return
        await eachMessage({
          topic: message.topic,
          partition: message.partition,
          message,
          heartbeat,
          pause: () => {
            const tp = [{ topic: message.topic, partition: message.partition }]
            this.pause(tp)
            return () => this.resume(tp)
          },
        })
      }
    }
    for (;;) {
      const batch = await this.#nextBatch(signal)
      if (batch === null) return
      const resolved = this.#inProcess
      this.#inProcess = []
      const state = resolved[0]?.state
      const generation = resolved[0]?.generation
      await eachBatch!({
        batch,
        resolveOffset: (offset) => {
          if (state && !state.revoked && state.generation === generation) state.processed = offset + 1n
        },
        heartbeat,
        commitOffsetsIfNecessary: () => (this.options.enableAutoCommit ? this.commit() : Promise.resolve()),
        isRunning: () => !this.#closed && !signal?.aborted,
        isStale: () => state === undefined || state.revoked || state.generation !== generation,
      })
      this.#inProcess = resolved
    }
  }

  // ---- positions ----

  /**
   * Moves the next offset to read. Buffered messages of the partition are dropped. With the `leaderEpoch` of the
   * record before `offset` (as `committed()` returns it), the position is first checked against the leader's log
   * (KIP-320), so a seek past a truncation is caught instead of skipping records.
   */
  seek({ topic, partition, offset, leaderEpoch }: TopicPartition & { offset: bigint; leaderEpoch?: number }): void {
    const state = this.#stateOf(topic, partition)
    state.setPosition(offset, leaderEpoch ?? -1)
    state.processed = null
    this.#progressed()
    this.#fetcher.schedule()
  }

  /** Stops fetching and delivering these partitions (buffered data is dropped and re-fetched on resume). */
  pause(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.#states.get(partitionKey(topic, partition))
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
      const state = this.#states.get(partitionKey(topic, partition))
      if (state) state.paused = false
    }
    this.#fetcher.schedule()
  }

  paused(): TopicPartition[] {
    return [...this.#states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  /** The next offset the application will see, waiting for it to be known (committed offset or reset). */
  /**
   * The next offset the application will see, waiting for it to be known (committed offset or reset), at most
   * `timeoutMs` (default defaultApiTimeoutMs).
   */
  async position({ topic, partition }: TopicPartition, options: CallBounds = {}): Promise<bigint> {
    const state = this.#stateOf(topic, partition)
    // Waits on the consumer's own progress (positions are looked up in the background), not a retry.
    return this.#cluster.withBudget(this.#userCall(options), (budget) =>
      this.#until(() => {
        if (!state.needsPosition && state.position !== null) return state.position
        if (state.error) throw state.error
        return undefined
      }, budget.signal),
    )
  }

  /** Committed offsets of the group for these partitions (null where none), within `timeoutMs`. */
  async committed(partitions: TopicPartition[], options: CallBounds = {}): Promise<CommittedOffset[]> {
    if (!this.groupId) throw new KafkaError('committed() needs a groupId')
    return fetchCommitted(this.#cluster, this.groupId, partitions, this.#membership?.identity() ?? null, this.#userCall(options), `group:${this.#instance}`)
  }

  /** The earliest offset whose timestamp is at or after each given timestamp (offset -1n when none). */
  async offsetsForTimes(partitions: Array<TopicPartition & { timestamp: number }>, options: CallBounds = {}): Promise<ListedOffset[]> {
    return listOffsets(
      this.#cluster,
      partitions.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: BigInt(p.timestamp) })),
      this.options.isolationLevel === 'read_committed' ? 1 : 0,
      this.#userCall(options),
    )
  }

  async beginningOffsets(partitions: TopicPartition[], options: CallBounds = {}): Promise<ListedOffset[]> {
    return listOffsets(this.#cluster, partitions.map((p) => ({ ...p, timestamp: EARLIEST_TIMESTAMP })), 0, this.#userCall(options))
  }

  async endOffsets(partitions: TopicPartition[], options: CallBounds = {}): Promise<ListedOffset[]> {
    const isolation = this.options.isolationLevel === 'read_committed' ? 1 : 0
    return listOffsets(this.#cluster, partitions.map((p) => ({ ...p, timestamp: LATEST_TIMESTAMP })), isolation, this.#userCall(options))
  }

  /** A call's bounds: its own `timeoutMs`, else this consumer's defaultApiTimeoutMs. */
  #call(options: CallBounds): CallOptions {
    return { signal: options.signal, timeoutMs: options.timeoutMs ?? this.options.defaultApiTimeoutMs }
  }

  /**
   * An application's call, or a look-up of positions: also ended by close(), so no promise of this consumer stays
   * pending, and no request goes out, after it. (Commits made while closing use `#call`.)
   */
  #userCall(options: CallBounds): CallOptions {
    const closing = this.#closingCalls.signal
    return { signal: options.signal ? anySignal([options.signal, closing]) : closing, timeoutMs: options.timeoutMs ?? this.options.defaultApiTimeoutMs }
  }

  /** Lag per assigned partition from the last fetch response's high watermark (no request). */
  lag(): PartitionLag[] {
    return [...this.#states.values()].map((s) => {
      const end = this.options.isolationLevel === 'read_committed' ? (s.lastStableOffset ?? s.highWatermark) : s.highWatermark
      return {
        topic: s.topic,
        partition: s.partition,
        position: s.position,
        highWatermark: s.highWatermark,
        lag: end !== null && s.position !== null ? (end > s.position ? end - s.position : 0n) : null,
      }
    })
  }

  #stateOf(topic: string, partition: number): PartitionState {
    const state = this.#states.get(partitionKey(topic, partition))
    if (!state) throw new KafkaError(`${topic}-${partition} is not assigned to this consumer`)
    return state
  }

  // ---- commits ----

  /**
   * Commits offsets: by default the processed offset of every owned partition (what the application finished),
   * or exactly `offsets`. The offset committed is the next one to read, as in every Kafka client.
   */
  async commit(options: CommitOptions = {}): Promise<void> {
    if (!this.groupId) throw new KafkaError('commit() needs a groupId')
    const call = this.#userCall(options)
    const work = options.offsets ? this.#commitList(options.offsets, call) : this.#commitStates([...this.#states.values()], call)
    if (options.sync === false) {
      work.catch((error: unknown) => this.#logger.warn({ error }, 'async commit failed'))
      return
    }
    await work
  }

  async #commitStates(states: PartitionState[], call: CallOptions): Promise<void> {
    const list: Array<TopicPartitionOffset & { state: PartitionState }> = []
    for (const s of states) {
      if (s.processed !== null && s.processed !== s.lastCommitted) list.push({ topic: s.topic, partition: s.partition, offset: s.processed, leaderEpoch: s.processedEpoch, state: s })
    }
    if (list.length === 0) return
    await this.#commitList(list, call)
    for (const item of list) item.state.lastCommitted = item.offset
  }

  /**
   * One commit under one budget: each attempt commits once with the member's current identity; while the member
   * has none (joining) or the coordinator says its epoch moved on (the next heartbeat brings the new one), the
   * budget backs off and tries again.
   */
  async #commitList(offsets: TopicPartitionOffset[], call: CallOptions): Promise<void> {
    const target = { kind: 'coordinator', type: 'group', key: this.groupId! } as const
    await this.#cluster.withBudget(call, (budget) =>
      budget.run(
        async () => {
          // Without a membership (assign() or no subscription) commits are standalone: no generation, no member id.
          const identityNow = () => (this.#membership ? this.#membership.identity() : { memberId: '', generationIdOrMemberEpoch: -1, groupInstanceId: null })
          let identity = identityNow()
          // A member still joining has no identity yet: wait for it (not an attempt), as long as the budget allows.
          while (identity === null) {
            await sleep(100, budget.signal, this.#clock)
            identity = identityNow()
          }
          try {
            await commitOffsets(this.#cluster, this.groupId!, offsets, identity, { budget }, `group:${this.#instance}`)
          } catch (error) {
            if (!(error instanceof KafkaProtocolError && FENCING_CODES.has(error.code) && this.#membership)) throw error
            this.#membership.commitFenced(error)
            throw new KafkaError(`Commit fenced (${error.errorName}): retrying with the member's next epoch`, { retriable: true, cause: error })
          }
        },
        (error) => this.#cluster.handleRetriableError(error, target),
      ),
    )
  }

  #startAutoCommit(): void {
    if (!this.groupId || !this.options.enableAutoCommit || this.#autoCommitTimer) return
    this.#autoCommitTimer = this.#clock.setInterval(() => {
      // One attempt, as Java's asynchronous auto-commit: a retry landing after a newer commit (the next tick's, or
      // close()'s final one) would move the group's offsets back. The next tick commits what is processed by then.
      void this.#commitStates([...this.#states.values()], { ...this.#call({}), retry: { retries: 0 } }).catch((error: unknown) =>
        error instanceof KafkaError && error.retriable
          ? this.#logger.debug({ error }, 'auto-commit failed; the next one follows in autoCommitIntervalMs')
          : this.#logger.warn({ error }, 'auto-commit failed'),
      )
    }, this.options.autoCommitIntervalMs)
    this.#autoCommitTimer.unref?.()
  }

  /**
   * Per owned partition whose position is known: the offset after the last message handed out (with its leader
   * epoch) — what a consume–transform–produce transaction commits for the messages it has consumed, the message in
   * hand included (`t.sendOffsets({ consumer })` uses it). Java users pass `consumer.position()` for the same.
   */
  currentOffsets(): Array<TopicPartition & { offset: bigint; leaderEpoch: number }> {
    const out: Array<TopicPartition & { offset: bigint; leaderEpoch: number }> = []
    for (const state of this.#states.values()) {
      if (state.revoked || state.needsPosition || state.position === null) continue
      out.push({ topic: state.topic, partition: state.partition, offset: state.position, leaderEpoch: state.positionEpoch })
    }
    return out
  }

  /** The group identity for `producer.sendOffsetsToTransaction` (exactly-once pipelines). */
  groupMetadata(): ConsumerGroupMetadata {
    if (!this.groupId) throw new KafkaError('groupMetadata() needs a groupId')
    const identity = this.#membership?.identity()
    return {
      groupId: this.groupId,
      generationId: identity?.generationIdOrMemberEpoch ?? -1,
      memberId: identity?.memberId ?? '',
      groupInstanceId: this.options.groupInstanceId ?? null,
    }
  }

  /** Resolves once the group has given this member a stable assignment (tests, start-up ordering). */
  async waitForAssignment(options: { signal?: AbortSignal; timeoutMs?: number; minPartitions?: number } = {}): Promise<TopicPartition[]> {
    const min = options.minPartitions ?? 1
    const timedOut = new AbortController()
    const timer = this.#clock.setTimeout(() => timedOut.abort(ownAbortReason(new KafkaError('No assignment within the timeout'))), options.timeoutMs ?? this.options.defaultApiTimeoutMs)
    try {
      return await this.#until(() => {
        if (this.#fatal) throw this.#fatal
        return this.#states.size >= min && [...this.#states.values()].every((s) => !s.needsPosition) ? this.assignment() : undefined
      }, options.signal ? anySignal([options.signal, timedOut.signal]) : timedOut.signal)
    } finally {
      this.#clock.clearTimeout(timer)
    }
  }

  /**
   * `check()`'s value once it has one, re-checked whenever positions, the assignment or the consumer's state move
   * (`#progressed`); `check` throws to fail the wait. Ends with the signal's error when it fires first.
   */
  #until<T>(check: () => T | undefined, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        this.#progressWaiters.delete(recheck)
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
      this.#progressWaiters.add(recheck)
      recheck()
    })
  }

  /** Positions, the assignment or the consumer's state moved: waiters re-check. */
  #progressed(): void {
    for (const recheck of [...this.#progressWaiters]) recheck()
  }

  /** Membership protocol in use ('consumer' or 'classic'), or null without a group. */
  get groupProtocol(): 'consumer' | 'classic' | null {
    return this.#membership?.protocol ?? null
  }

  /** Fetch statistics (for tests and benchmarks). */
  get fetchStats(): { fetches: number; incrementalFetches: number; validations: number } {
    return { fetches: this.#fetcher.fetchCount, incrementalFetches: this.#fetcher.incrementalFetchCount, validations: this.#fetcher.validationCount }
  }

  // ---- closing ----

  /**
   * Commits processed offsets (auto-commit), leaves the group (static members keep their place until their session
   * times out), stops fetching. Iterators end. Bounded by closeTimeoutMs.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing
    this.#closingCalls.abort(ownAbortReason(new KafkaError('The consumer is closed')))
    this.#closing = this.#close(options.timeoutMs ?? this.options.closeTimeoutMs)
    return this.#closing
  }

  async #close(timeoutMs: number): Promise<void> {
    const controller = new AbortController()
    const timer = this.#clock.setTimeout(() => controller.abort(new KafkaError('close() timed out')), timeoutMs)
    try {
      this.#fetcher.stop()
      const sessionsClosed = this.#fetcher.closeSessions()
      this.#clock.clearInterval(this.#autoCommitTimer)
      this.#clock.clearInterval(this.#pollTimer)
      this.#clock.clearTimeout(this.#positionsTimer)
      if (this.#leftForPollTimeout) await this.#leftForPollTimeout
      this.#inProcess = this.#inProcess.slice(0, 0)
      if (this.groupId && this.options.enableAutoCommit && this.#membership?.identity()) {
        await this.#commitStates([...this.#states.values()], { signal: controller.signal, timeoutMs: this.options.closeTimeoutMs }).catch((error: unknown) => this.#logger.warn({ error }, 'final commit failed'))
      }
      if (this.#membership) {
        const owned = this.assignment()
        if (owned.length > 0) {
          try {
            await this.#listener.onRevoked?.(owned)
          } catch (error) {
            this.#logger.error({ error }, 'onRevoked threw')
          }
        }
        await this.#membership.stop(!this.options.groupInstanceId || this.#membership.protocol === 'consumer', controller.signal)
      }
      await sessionsClosed
    } finally {
      this.#clock.clearTimeout(timer)
      this.#closed = true
      for (const state of this.#states.values()) state.revoked = true
      this.#states.clear()
      const waiter = this.#waiter
      this.#waiter = null
      waiter?.()
      this.#context.release()
    }
  }

  static {
    crash = (consumer) => consumer.#crash()
  }

  /** Stops as a crashed process would: see `simulateConsumerCrash`. */
  async #crash(): Promise<void> {
    this.#fetcher.stop()
    this.#clock.clearInterval(this.#autoCommitTimer)
    this.#clock.clearInterval(this.#pollTimer)
    this.#clock.clearTimeout(this.#positionsTimer)
    await this.#membership?.stop(false)
    this.#closed = true
    for (const state of this.#states.values()) state.revoked = true
    this.#states.clear()
    this.#closing = Promise.resolve()
    const waiter = this.#waiter
    this.#waiter = null
    waiter?.()
    this.#context.release()
  }

  #checkOpen(): void {
    if (this.#closed || this.#closing) throw new KafkaError('The consumer is closed')
  }

  /** `await using consumer = kafka.consumer(options)`: closes the consumer (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
