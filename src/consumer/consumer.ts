/**
 * The consumer's public API and the glue between its parts: subscription (a group membership, classic or KIP-848)
 * or manual assignment, the iteration styles (`for await`, `batches()`, `run()`) over the delivery buffer, the
 * application's look-ups, and closing. The parts own the rest: the fetcher fills the delivery buffer
 * (`delivery.ts`), positions and resets live in `positions.ts`, commits in `commits.ts`. What stays here is what
 * ties them to the group: partitions assigned, revoked or lost, and maxPollIntervalMs — a member whose application
 * holds a message too long leaves the group and rejoins at its next poll.
 *
 * A partition revoked while a message is in process is dropped from the bookkeeping first, so that message's offset
 * is never committed by this member; a `run()` message counts as processed when its handler resolves.
 */
import { EventEmitter } from 'node:events'
import { KafkaError, TelemetryDisabledError } from '../errors.js'
import type { ClientContext } from '../kafka.js'
import { anySignal, ownAbortReason } from '../network/abort.js'
import type { Clock } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { type ClientLogger, clientLogger } from '../network/logging.js'
import { type MetricSnapshot, MetricsRegistry } from '../network/metrics.js'
import { ClientTelemetry } from '../network/telemetry.js'
import { preloadCrc32c } from '../records/index.js'
import { Commits } from './commits.js'
import { DeliveryBuffer } from './delivery.js'
import { Fetcher } from './fetcher.js'
import { ConsumerMetrics } from './metrics.js'
import { batchIterator, messageIterator, runHandlers, type MessageSource } from './iterators.js'
import {
  EARLIEST_TIMESTAMP,
  fetchCommitted,
  LATEST_TIMESTAMP,
  listOffsets,
  type CommittedOffset,
  type CallBounds,
  type CallOptions,
  type ListedOffset,
} from './offsets.js'
import { resolveConsumerOptions, type ResolvedConsumerOptions } from './options.js'
import { partitionKey } from './partition-state.js'
import { ownership, skippedBatch } from './owned-batches.js'
import { Positions } from './positions.js'
import { Rebalancer } from './rebalance.js'
import type {
  CommitEvent,
  CommitOptions,
  ConsumerBatch,
  FetchEvent,
  GroupEvent,
  ConsumerGroupMetadata,
  ConsumerMessage,
  ConsumerOptions,
  OwnedBatch,
  PartitionLag,
  RebalanceEvent,
  RebalanceListener,
  RunOptions,
  TopicPartition,
  TruncationEvent,
} from './types.js'
import { resolveDeserializer } from './deserializers.js'


let nextInstance = 0

export declare interface Consumer<K = Buffer | null, V = Buffer | null> {
  on(event: 'rebalance', listener: (event: RebalanceEvent) => void): this
  on(event: 'error', listener: (error: KafkaError) => void): this
  on(event: 'truncation', listener: (event: TruncationEvent) => void): this
  /** Classic protocol: joins, heartbeats and announced rebalances (for instrumentation such as samsa/kafkajs's). */
  on(event: 'group', listener: (event: GroupEvent) => void): this
  /** Offsets the group accepted, one event per OffsetCommit. */
  on(event: 'commit', listener: (event: CommitEvent) => void): this
  /** Each Fetch's start and end, per broker. */
  on(event: 'fetch', listener: (event: FetchEvent) => void): this
}

let crash: (consumer: Consumer<unknown, unknown>) => Promise<void>

/**
 * For fault tests, not exported from the package: stops `consumer` as a crashed process would — no commit, no
 * leave, heartbeats and fetches just stop — so a test can watch the group expire the member.
 */
export function simulateConsumerCrash(consumer: Consumer<unknown, unknown>): Promise<void> {
  return crash(consumer)
}

/**
 * K and V are what `message.key` and `message.value` hold: `Buffer | null` without deserializers. `kafka.consumer()`
 * infers them from `keyDeserializer` / `valueDeserializer`.
 */
export class Consumer<K = Buffer | null, V = Buffer | null> extends EventEmitter implements AsyncIterable<ConsumerMessage<K, V>> {
  readonly groupId: string | null
  readonly options: ResolvedConsumerOptions
  readonly #context: ClientContext
  readonly #cluster: Cluster
  readonly #clock: Clock
  readonly #logger: ClientLogger
  readonly #positions: Positions
  readonly #delivery: DeliveryBuffer<K, V>
  readonly #commits: Commits | null
  readonly #fetcher: Fetcher
  readonly #metrics: ConsumerMetrics
  /** KIP-714 metrics push; null with enableMetricsPush false. */
  readonly #telemetry: ClientTelemetry | null
  /** The steps the iteration styles are built on (see iterators.ts). */
  readonly #source: MessageSource<K, V>
  #fatal: KafkaError | null = null
  #closed = false
  #closing: Promise<void> | null = null
  /** Fired by close(): ends the application's calls still running (committed, position, commit …). */
  readonly #closingCalls = new AbortController()
  readonly #group: Rebalancer
  #subscription: { topics: string[]; pattern: RegExp | null } | null = null
  #manual = false
  readonly #reschedule = (): void => this.#fetcher.schedule()
  /** Distinguishes this consumer's connections from other clients' on the shared pool. */
  readonly #instance = nextInstance++

  constructor(context: ClientContext, options: ConsumerOptions = {}) {
    super()
    this.#context = context
    this.#cluster = context.cluster
    this.#clock = context.clock
    this.groupId = options.groupId ?? null
    this.#logger = clientLogger(context.logger).child(this.groupId === null ? { client: 'consumer' } : { client: 'consumer', groupId: this.groupId })
    this.options = resolveConsumerOptions(options, context.cluster.defaultApiTimeoutMs)
    // The checksum binding loads now, not in the turn that delivers the first batch (see preloadCrc32c).
    if (this.options.checkCrcs) preloadCrc32c()
    const keyDeserializer = resolveDeserializer(options.keyDeserializer, 'keyDeserializer')
    const valueDeserializer = resolveDeserializer(options.valueDeserializer, 'valueDeserializer')
    const groupId = this.groupId
    this.#positions = new Positions({
      cluster: this.#cluster,
      clock: this.#clock,
      logger: this.#logger,
      autoOffsetReset: this.options.autoOffsetReset,
      readCommitted: this.options.isolationLevel === 'read_committed',
      committed: (states) =>
        groupId ? fetchCommitted(this.#cluster, groupId, states, this.#group.membership?.identity() ?? null, this.#userCall({}), `group:${this.#instance}`) : null,
      call: () => this.#userCall({}),
      fetchable: () => this.#fetcher.schedule(),
      fail: (error) => this.#fail(error),
      closing: () => this.#closed || this.#closing !== null,
      truncation: (event) => this.emit('truncation', event satisfies TruncationEvent),
    })
    const metrics = new ConsumerMetrics(new MetricsRegistry(this.#clock), context.clientId, this.#cluster.networkMetrics, {
      partitions: () => this.#positions.states.values(),
      readCommitted: this.options.isolationLevel === 'read_committed',
      grouped: groupId !== null,
      takeConsumed: () => this.#delivery.takeHandedOut(),
    })
    this.#metrics = metrics
    this.#telemetry = this.options.enableMetricsPush
      ? new ClientTelemetry({
          clock: this.#clock,
          logger: this.#logger,
          connection: (signal) => this.#cluster.backgroundConnection('default', signal),
          connect: (signal) => this.#cluster.anyConnection('default', signal),
          metrics: () => metrics.registry.points(),
          resource: () => consumerTelemetryResource(this.options),
        })
      : null
    this.#telemetry?.start()
    this.#delivery = new DeliveryBuffer<K, V>(
      {
        closed: () => this.#closed,
        fatal: () => this.#fatal,
        released: (state) => this.#fetcher.released(state),
        batchOpened: (bytes) => metrics.consumed(this.#delivery.takeHandedOut(), bytes),
      },
      { checkCrcs: this.options.checkCrcs, keyDeserializer, valueDeserializer },
    )
    this.#source = {
      delivery: this.#delivery,
      nextMessage: (signal) => (this.#readsNothing() ? Promise.reject(nothingToRead()) : this.#nextMessage(signal)),
      nextMessageSync: (signal) => (this.#readsNothing() ? undefined : this.#nextMessageSync(signal)),
      nextBatch: (signal) => (this.#readsNothing() ? Promise.reject(nothingToRead()) : this.#nextBatch(signal)),
      clientId: context.clientId,
      groupId,
    }
    this.#commits = groupId
      ? new Commits({
          cluster: this.#cluster,
          clock: this.#clock,
          logger: this.#logger,
          groupId,
          purpose: `group:${this.#instance}`,
          membership: () => this.#group.membership,
          commitObserver: () => (this.listenerCount('commit') > 0 ? (event) => this.emit('commit', event) : null),
          metrics,
        })
      : null
    this.#group = new Rebalancer({
      cluster: this.#cluster,
      clock: this.#clock,
      logger: this.#logger,
      clientId: context.clientId,
      groupId,
      groupPurpose: `group:${this.#instance}`,
      options: this.options,
      positions: this.#positions,
      commits: this.#commits,
      subscription: () => this.#subscription ?? { topics: [], pattern: null },
      commitCall: () => this.#call({}),
      fetchable: () => this.#fetcher.schedule(),
      fail: (error) => this.#fail(error),
      emit: (event) => this.emit('rebalance', event satisfies RebalanceEvent),
      closing: () => this.#closed || this.#closing !== null,
      observe: (event) => {
        if (this.listenerCount('group') > 0) this.emit('group', event)
      },
      metrics,
    })
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
        partitions: () => this.#positions.states.values(),
        deliver: (chunk) => this.#delivery.push(chunk),
        resetOffset: (state) => void this.#positions.reset([state]),
        truncated: (state, endOffset, epoch, detectedBy) => this.#positions.truncated(state, endOffset, epoch, detectedBy),
        fatal: (error) => this.#fail(error),
        bufferedBytes: () => this.#delivery.bufferedBytes,
        fetchObserver: () => (this.listenerCount('fetch') > 0 ? (event) => this.emit('fetch', event) : null),
        metrics,
      },
      this.#logger,
    )
  }

  /**
   * The consumer's metrics as of now, named as the Java consumer's (`consumer-fetch-manager-metrics`,
   * `consumer-coordinator-metrics`, `consumer-metrics`); see docs/observability.md. Connection and request counts
   * cover every client of the same `Kafka` (they share its connections).
   */
  metrics(): MetricSnapshot[] {
    return this.#metrics.registry.snapshot()
  }

  // ---- subscription and assignment ----

  /** Subscribes to topics (or every topic matching a pattern) as a member of `groupId`. */
  async subscribe(topics: string | string[] | RegExp, listener: RebalanceListener = {}): Promise<void> {
    this.#checkOpen()
    if (!this.groupId) throw new KafkaError('subscribe() needs a groupId; use assign() without a group')
    if (this.#manual) throw new KafkaError('subscribe() after assign(): one consumer does one or the other')
    const subscription = topics instanceof RegExp ? { topics: [], pattern: topics } : { topics: subscribedTopics(topics), pattern: null }
    this.#group.listener = listener
    this.#subscription = subscription
    if (this.#subscription.pattern === null) {
      this.#cluster.addInterest(this.#subscription.topics)
      // Warms the metadata the membership needs, without holding subscribe() on an unreachable cluster: the
      // membership's own rounds (bounded by defaultApiTimeoutMs) are what report that.
      void this.#cluster.topics(this.#subscription.topics).catch((error: unknown) => this.#logger.debug({ err: error }, 'subscribed topic has no metadata yet'))
    }
    if (this.#group.membership) {
      this.#group.membership.subscriptionChanged()
      return
    }
    this.#group.join()
    this.#startAutoCommit()
    this.#fetcher.start()
  }

  /** Consumes exactly these partitions, without a group (nothing is committed unless groupId is set and you commit). */
  async assign(partitions: TopicPartition[]): Promise<void> {
    this.#checkOpen()
    if (this.#subscription) throw new KafkaError('assign() after subscribe(): one consumer does one or the other')
    this.#manual = true
    const wanted = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)))
    const removed = [...this.#positions.states.values()].filter((s) => !wanted.has(partitionKey(s.topic, s.partition)))
    await this.#group.remove(removed, null)
    await this.#group.add(partitions.filter((p) => !this.#positions.has(p.topic, p.partition)), false)
    this.#startAutoCommit()
    this.#fetcher.start()
  }

  /** The partitions this consumer now owns. */
  assignment(): TopicPartition[] {
    return this.#positions.assignment()
  }

  #fail(error: KafkaError): void {
    if (this.#fatal) return
    this.#fatal = error
    this.#logger.error({ err: error }, 'consumer stopped by an error')
    if (this.listenerCount('error') > 0) this.emit('error', error)
    this.#positions.progressed()
    this.#delivery.wake()
  }

  // ---- iteration ----

  /**
   * Reading (messages(), batches(), run()) with nothing subscribed or assigned: as Java's poll(), an error, since
   * the wait could only end with close(). samsa/kafkajs subscribes as its runner starts, through nextOwnedBatch.
   */
  #readsNothing(): boolean {
    return this.#subscription === null && !this.#manual && !this.#closed
  }

  /** The application asks for more: what it held is finished, and the poll clock stops. */
  #startPoll(): void {
    this.#delivery.markProcessed()
    this.#group.polled()
  }

  /** Next message, or null once closed/aborted. The previous one counts as processed. */
  async #nextMessage(signal: AbortSignal | undefined): Promise<ConsumerMessage<K, V> | null> {
    this.#startPoll()
    if (this.#group.leftForPollTimeout) await this.#group.rejoinIfLeft()
    const message = await this.#delivery.next(signal)
    if (message !== null) this.#group.handedOut()
    return message
  }

  /** The fast path: a message without a promise of our own; `undefined` when the slow path must run. */
  #nextMessageSync(signal: AbortSignal | undefined): ConsumerMessage<K, V> | null | undefined {
    this.#startPoll()
    if (this.#group.leftForPollTimeout && !this.#closed && !signal?.aborted) return undefined
    const message = this.#delivery.nextSync(signal)
    if (message) this.#group.handedOut()
    return message
  }

  async #nextBatch(signal: AbortSignal | undefined): Promise<ConsumerBatch<K, V> | null> {
    const first = await this.#nextMessage(signal)
    return first === null ? null : this.#delivery.batchFrom(first, this.options.maxPollRecords)
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    return this.messages()
  }

  /** Messages one by one. `signal` ends the iteration cleanly (done), as does close(). */
  messages(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<ConsumerMessage<K, V>> {
    return messageIterator(this.#source, options.signal)
  }

  /** Batches of up to maxPollRecords messages of one partition. A batch counts as processed when the next is asked for. */
  batches(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<ConsumerBatch<K, V>> {
    return batchIterator(this.#source, options.signal)
  }

  /**
   * KafkaJS-style runner: calls `eachMessage` (or `eachBatch`) until `stop()`/`close()`/the signal; a handler
   * error stops the runner and rejects the returned promise (the message is not committed).
   */
  async run(options: RunOptions<K, V>): Promise<void> {
    return runHandlers(this.#source, options, {
      heartbeat: () => this.#group.membership?.heartbeatNow() ?? Promise.resolve(),
      pause: (partitions) => this.pause(partitions),
      resume: (partitions) => this.resume(partitions),
      commitOffsetsIfNecessary: () => (this.options.enableAutoCommit ? this.commit() : Promise.resolve()),
      open: () => !this.#closed,
    })
  }

  /**
   * For runners that call handlers themselves (samsa/kafkajs), after each handler call: a promise that lets the
   * event loop turn once delivery has held it for its slice (2 ms), or null while the slice lasts. Handler calls that
   * resolve in microtasks never return to the event loop by themselves.
   */
  yieldIfSliceSpent(): Promise<void> | null {
    return this.#delivery.yieldIfSliceSpent()
  }

  /**
   * For runners that keep several batches in process at once (samsa/kafkajs's `partitionsConsumedConcurrently`):
   * the next batch, of which nothing counts as processed until its `resolve(offset)` says so. Asking for the next
   * one does not mark this one processed, unlike `batches()`. Null once closed or aborted.
   */
  async nextOwnedBatch(signal?: AbortSignal, options: { skipped?: boolean } = {}): Promise<OwnedBatch<K, V> | null> {
    if (options.skipped) this.#delivery.reportSkipped = true
    let batch = await this.#nextBatch(signal)
    while (batch === null) {
      const skipped = options.skipped ? skippedBatch<K, V>(this.#delivery, this.#reschedule) : null
      if (skipped !== null) return skipped
      // Null without skipped records to report (or only stale ones): closed, aborted, or read on.
      if (this.#closed || this.#closing !== null || signal?.aborted || this.#fatal) return null
      batch = await this.#nextBatch(signal)
    }
    const entry = this.#delivery.detachInProcess()[0]
    if (!entry) return { batch, resolve: () => {}, stale: () => true, giveBack: () => {} }
    const { state, epoch } = entry
    return { batch, ...ownership(state, epoch, this.#reschedule) }
  }

  // ---- positions ----

  /**
   * Moves the next offset to read. Buffered messages of the partition are dropped. With the `leaderEpoch` of the
   * record before `offset` (as `committed()` returns it), the position is first checked against the leader's log
   * (KIP-320), so a seek past a truncation is caught instead of skipping records.
   */
  seek({ topic, partition, offset, leaderEpoch }: TopicPartition & { offset: bigint; leaderEpoch?: number }): void {
    checkOffset('seek()', offset)
    this.#positions.seek(topic, partition, offset, leaderEpoch ?? -1)
  }

  /** Stops fetching and delivering these partitions (buffered data is dropped and re-fetched on resume). */
  pause(partitions: TopicPartition[]): void {
    this.#positions.pause(partitions)
  }

  resume(partitions: TopicPartition[]): void {
    this.#positions.resume(partitions)
  }

  paused(): TopicPartition[] {
    return this.#positions.paused()
  }

  /**
   * The next offset the application will see, waiting for it to be known (committed offset or reset), at most
   * `timeoutMs` (default defaultApiTimeoutMs).
   */
  async position({ topic, partition }: TopicPartition, options: CallBounds = {}): Promise<bigint> {
    const state = this.#positions.of(topic, partition)
    // Waits on the consumer's own progress (positions are looked up in the background), not a retry.
    return this.#cluster.withBudget(this.#userCall(options), (budget) => this.#positions.position(state, budget.signal))
  }

  /** Committed offsets of the group for these partitions (null where none), within `timeoutMs`. */
  async committed(partitions: TopicPartition[], options: CallBounds = {}): Promise<CommittedOffset[]> {
    if (!this.groupId) throw new KafkaError('committed() needs a groupId')
    return fetchCommitted(this.#cluster, this.groupId, partitions, this.#group.membership?.identity() ?? null, this.#userCall(options), `group:${this.#instance}`)
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
    return this.#positions.lag()
  }

  // ---- commits ----

  /**
   * Commits offsets: by default the processed offset of every owned partition (what the application finished),
   * or exactly `offsets`. The offset committed is the next one to read, as in every Kafka client.
   */
  async commit(options: CommitOptions = {}): Promise<void> {
    const commits = this.#commits
    if (!commits) throw new KafkaError('commit() needs a groupId')
    // An array here (KafkaJS's commitOffsets shape) would read as no options: a commit of nothing, silently.
    if (Array.isArray(options)) throw new KafkaError('commit() takes { offsets: [{ topic, partition, offset }] }, or nothing to commit what was processed; not an array')
    for (const entry of options.offsets ?? []) checkOffset('commit()', entry.offset)
    const call = this.#userCall(options)
    const work = options.offsets ? commits.commit(options.offsets, call) : commits.commitProcessed(this.#positions.states.values(), call)
    if (options.sync === false) {
      work.catch((error: unknown) => this.#logger.warn({ err: error }, 'async commit failed'))
      return
    }
    await work
  }

  #startAutoCommit(): void {
    if (!this.options.enableAutoCommit) return
    this.#commits?.startAutoCommit(this.options.autoCommitIntervalMs, () => this.#positions.states.values(), () => this.#call({}))
  }

  /**
   * Per owned partition whose position is known: the offset after the last message handed out (with its leader
   * epoch) — what a consume–transform–produce transaction commits for the messages it has consumed, the message in
   * hand included (`t.sendOffsets({ consumer })` uses it). Java users pass `consumer.position()` for the same.
   */
  currentOffsets(): Array<TopicPartition & { offset: bigint; leaderEpoch: number }> {
    return this.#positions.currentOffsets()
  }

  /** The group identity for `producer.sendOffsetsToTransaction` (exactly-once pipelines). */
  groupMetadata(): ConsumerGroupMetadata {
    if (!this.groupId) throw new KafkaError('groupMetadata() needs a groupId')
    const identity = this.#group.membership?.identity()
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
      return await this.#positions.assigned(min, () => this.#fatal, options.signal ? anySignal([options.signal, timedOut.signal]) : timedOut.signal)
    } finally {
      this.#clock.clearTimeout(timer)
    }
  }

  /** Membership protocol in use ('consumer' or 'classic'), or null without a group. */
  get groupProtocol(): 'consumer' | 'classic' | null {
    return this.#group.membership?.protocol ?? null
  }

  /** Fetch statistics (for tests and benchmarks). */
  get fetchStats(): { fetches: number; incrementalFetches: number; validations: number } {
    return { fetches: this.#fetcher.fetchCount, incrementalFetches: this.#fetcher.incrementalFetchCount, validations: this.#fetcher.validationCount }
  }

  /**
   * The id the brokers gave this consumer for client metrics push (KIP-714), as its base64url uuid string: the one
   * a broker's client-telemetry plugin sees. Resolves once the first GetTelemetrySubscriptions is answered; null when
   * the brokers do not support client telemetry (no telemetry plugin) or refused it; TimeoutError after `timeoutMs`
   * (default 60 000). Rejects with TelemetryDisabledError when `enableMetricsPush` is false (Java throws too).
   */
  async clientInstanceId(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string | null> {
    if (!this.#telemetry) throw new TelemetryDisabledError()
    return this.#telemetry.clientInstanceId(options)
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
    const closeStarted = this.#clock.now()
    const controller = new AbortController()
    const timer = this.#clock.setTimeout(() => controller.abort(new KafkaError('close() timed out')), timeoutMs)
    try {
      this.#fetcher.stop()
      const sessionsClosed = this.#fetcher.closeSessions()
      this.#commits?.stopAutoCommit()
      this.#group.stopPollCheck()
      if (this.#group.leftForPollTimeout) await this.#group.leftForPollTimeout
      this.#delivery.forgetInProcess()
      const membership = this.#group.membership
      if (this.#commits && this.options.enableAutoCommit && membership?.identity()) {
        await this.#commits
          .commitProcessed(this.#positions.states.values(), { signal: controller.signal, timeoutMs: this.options.closeTimeoutMs })
          .catch((error: unknown) => this.#logger.warn({ err: error }, 'final commit failed'))
      }
      if (membership) {
        const owned = this.assignment()
        if (owned.length > 0) {
          try {
            await this.#group.listener.onRevoked?.(owned)
          } catch (error) {
            this.#logger.error({ err: error }, 'onRevoked threw')
          }
        }
        await membership.stop(!this.options.groupInstanceId || membership.protocol === 'consumer', controller.signal)
      }
      await sessionsClosed
      // The last metrics push (Terminating), within what is left of the close timeout.
      if (this.#telemetry && !controller.signal.aborted) await this.#telemetry.close({ timeoutMs: Math.max(0, closeStarted + timeoutMs - this.#clock.now()) })
    } finally {
      void this.#telemetry?.close({ timeoutMs: 0 })
      this.#clock.clearTimeout(timer)
      this.#closed = true
      this.#positions.clear()
      this.#delivery.wake()
      this.#context.release()
    }
  }

  static {
    crash = (consumer) => consumer.#crash()
  }

  /** Stops as a crashed process would: see `simulateConsumerCrash`. */
  async #crash(): Promise<void> {
    this.#fetcher.stop()
    this.#commits?.stopAutoCommit()
    this.#group.stopPollCheck()
    await this.#group.membership?.stop(false)
    void this.#telemetry?.close({ timeoutMs: 0 })
    this.#closed = true
    this.#positions.clear()
    this.#closing = Promise.resolve()
    this.#delivery.wake()
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

/** Java's consumer puts its group, static membership and rack on the telemetry resource. */
function consumerTelemetryResource(options: { groupId?: string; groupInstanceId?: string; clientRack?: string }): Record<string, string> {
  const resource: Record<string, string> = {}
  if (options.groupId) resource.group_id = options.groupId
  if (options.groupInstanceId) resource.group_instance_id = options.groupInstanceId
  if (options.clientRack) resource.client_rack = options.clientRack
  return resource
}

/**
 * subscribe()'s topics as a list, or a KafkaError saying what it takes: from JavaScript, KafkaJS's
 * `{ topics, fromBeginning }` is the likely mistake, and spreading it failed with "topics is not iterable".
 */
function subscribedTopics(topics: unknown): string[] {
  if (typeof topics !== 'string' && !Array.isArray(topics)) {
    const kafkajs = typeof topics === 'object' && topics !== null && ('topics' in topics || 'topic' in topics)
    throw new KafkaError(
      `subscribe() takes a topic, an array of topics or a RegExp${kafkajs ? " (KafkaJS's { topics, fromBeginning } is what samsa/kafkajs takes; here fromBeginning is the consumer option autoOffsetReset: 'earliest')" : ''}`,
    )
  }
  const list: unknown[] = typeof topics === 'string' ? [topics] : [...(topics as unknown[])]
  for (const topic of list) {
    if (typeof topic !== 'string' || topic.length === 0) throw new KafkaError('subscribe(): every topic is a non-empty string')
  }
  return list as string[]
}

function nothingToRead(): KafkaError {
  return new KafkaError('The consumer has no subscription or assignment: call subscribe() or assign() before reading messages')
}

/** Offsets are bigints; a number or string would stall the fetches or commits that encode it much later. */
function checkOffset(call: string, offset: unknown): void {
  if (typeof offset !== 'bigint') throw new KafkaError(`${call}: the offset is a ${typeof offset}; offsets are bigints (42n, BigInt(text))`)
}
