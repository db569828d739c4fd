/**
 * The share-group consumer (KIP-932, "queues for Kafka"). Members of a share group may all be assigned the same
 * partition; the partition leader hands out records one acquisition at a time (ShareFetch), each with a delivery
 * count, and takes them back when the member acknowledges (ACCEPT / RELEASE / REJECT), when the acquisition lock
 * times out, or when the member's share session ends. Fetching is pulled by the application: nothing is acquired
 * ahead of what the iterator asks for, so records do not sit locked in a buffer nobody reads.
 *
 * Acknowledgement follows the Java client: in `implicit` mode (the default) a delivered message is ACCEPTed when
 * the application asks for the next one, or at `commit()`; in `explicit` mode the application acknowledges each
 * message. Acknowledgements ride on the next ShareFetch to the partition's leader, or go in a ShareAcknowledge at
 * `commit()` and `close()`. Like Java's close, `close()` sends only the acknowledgements already made: a message the
 * application has in hand, and records acquired but not yet handed out, go back to the group (released by the
 * broker when the share session ends), to be delivered again with a higher delivery count.
 */
import { KafkaError } from '../errors.js'
import type { Clock } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { type ClientLogger, clientLogger, type Logger } from '../network/logging.js'
import { type ConsumerProcessContext, publishSettled, tracingChannels } from '../network/instrumentation.js'
import { type MetricSnapshot, MetricsRegistry } from '../network/metrics.js'
import { ShareConsumerMetrics } from './share-metrics.js'
import { abortable } from '../network/abort.js'
import { preloadCrc32c, type Header } from '../records/index.js'
import { resolveDeserializer } from './deserializers.js'
import { DeserializationError } from './errors.js'
import { isAcquireMode, type ShareAcquireMode, type ShareAcknowledgementResult, ShareFetcher } from './share-fetcher.js'
import { ShareMembership } from './share-membership.js'
import { ACK_CODES, ACK_RENEW, PendingAcknowledgements, type ShareAcknowledgeType } from './share-session.js'
import type { DeserializedOutput, Deserializer, DeserializerOption, TopicPartition } from './types.js'

export type { ShareAcknowledgeType } from './share-session.js'
export type { ShareAcknowledgementResult } from './share-fetcher.js'
export type { ShareAcquireMode } from './share-fetcher.js'
export type ShareAcknowledgementMode = 'implicit' | 'explicit'

export interface ShareConsumerOptions {
  groupId: string
  /** Java's share.acknowledgement.mode. Default 'implicit'. */
  acknowledgementMode?: ShareAcknowledgementMode
  /**
   * Most records one ShareFetch acquires (Java's max.poll.records). Default 500. A limit the leader may exceed to
   * hand out whole batches in `batch_optimized` mode; strict in `record_limit` mode.
   */
  maxPollRecords?: number
  /** Java's share.acquire.mode. Default 'batch_optimized'. */
  shareAcquireMode?: ShareAcquireMode
  /** How long the leader may hold a ShareFetch waiting for records (Java's fetch.max.wait.ms). Default 500. */
  fetchMaxWaitMs?: number
  /** Default 1. */
  fetchMinBytes?: number
  /** Default 52 428 800. */
  fetchMaxBytes?: number
  clientRack?: string | null
  /** Check record batch CRCs. Default true. */
  checkCrcs?: boolean
  keyDeserializer?: DeserializerOption
  valueDeserializer?: DeserializerOption
}

/** What `message.key` holds for a share consumer made with options of type O (`Buffer | null` without a deserializer). */
export type ShareConsumerKey<O> = DeserializedOutput<O extends { keyDeserializer?: infer D } ? D : undefined>
/** What `message.value` holds for a share consumer made with options of type O. */
export type ShareConsumerValue<O> = DeserializedOutput<O extends { valueDeserializer?: infer D } ? D : undefined>

export const SHARE_CONSUMER_DEFAULTS = {
  acknowledgementMode: 'implicit' as ShareAcknowledgementMode,
  maxPollRecords: 500,
  shareAcquireMode: 'batch_optimized' as ShareAcquireMode,
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  checkCrcs: true,
}

/** What the client needs from `Kafka` (structurally the entry's ClientContext). */
export interface ShareConsumerContext {
  cluster: Cluster
  clientId: string
  logger: Logger
  clock: Clock
  release(): void
}

type MessageState = 'buffered' | 'delivered' | 'acknowledged'

/** Java's ShareConsumer.close() default. */
const CLOSE_TIMEOUT_MS = 30_000

/**
 * One delivered record. `acknowledge` is a method on the prototype (not a closure per record); it needs the
 * consumer's `explicit` mode.
 */
export class ShareConsumerMessage<K = Buffer | null, V = Buffer | null> {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  /** Milliseconds since the epoch. */
  readonly timestamp: number
  key: K
  value: V
  readonly headers: Header[]
  /** How many times the group has handed this record out, this delivery included (1 on the first). */
  readonly deliveryCount: number
  /** @internal */
  state: MessageState = 'buffered'
  readonly #owner: ShareConsumer<K, V>

  constructor(owner: ShareConsumer<K, V>, topic: string, partition: number, offset: bigint, timestamp: number, key: K, value: V, headers: Header[], deliveryCount: number) {
    this.#owner = owner
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.timestamp = timestamp
    this.key = key
    this.value = value
    this.headers = headers
    this.deliveryCount = deliveryCount
  }

  /**
   * Explicit mode: records the outcome; it reaches the broker with the next fetch, `commit()` or `close()`. `renew`
   * is sent at once (the application is busy with the record, not fetching) and the record stays held.
   */
  acknowledge(type: ShareAcknowledgeType = 'accept'): void {
    this.#owner.acknowledge(this, type)
  }
}

export class ShareConsumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ShareConsumerMessage<K, V>> {
  readonly groupId: string
  readonly #context: ShareConsumerContext
  readonly #cluster: Cluster
  readonly #logger: ClientLogger
  readonly #mode: ShareAcknowledgementMode
  readonly #keyDeserializer: Deserializer<unknown> | null
  readonly #valueDeserializer: Deserializer<unknown> | null
  readonly #membership: ShareMembership
  readonly #fetcher: ShareFetcher
  #topics: string[] = []
  #assignment: TopicPartition[] = []
  #assignmentWaiters: Array<() => void> = []
  readonly #pending = new PendingAcknowledgements()
  #buffer: Array<ShareConsumerMessage<K, V>> = []
  #bufferHead = 0
  /** Delivered and not yet acknowledged: in implicit mode at most the last message handed out. */
  readonly #inHand = new Set<ShareConsumerMessage<K, V>>()
  #fatal: KafkaError | null = null
  #closed = false
  #round: Promise<void> | null = null
  #renewalScheduled = false
  static #instances = 0

  readonly #metrics: ShareConsumerMetrics

  /**
   * The share consumer's metrics as of now, named as the Java share consumer's: ShareFetch, records and
   * acknowledgements (`consumer-share-fetch-manager-metrics`), heartbeats and assignment changes
   * (`consumer-share-coordinator-metrics`), and connections, requests and bytes (`consumer-metrics`, which count every
   * client of the same `Kafka`: they share its connections).
   */
  metrics(): MetricSnapshot[] {
    return this.#metrics.registry.snapshot()
  }

  constructor(context: ShareConsumerContext, options: ShareConsumerOptions) {
    if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) throw new KafkaError('shareConsumer: `groupId` is required')
    const mode = options.acknowledgementMode ?? SHARE_CONSUMER_DEFAULTS.acknowledgementMode
    if (mode !== 'implicit' && mode !== 'explicit') throw new KafkaError(`shareConsumer: acknowledgementMode must be 'implicit' or 'explicit', not ${JSON.stringify(mode)}`)
    this.groupId = options.groupId
    // The checksum binding loads now, not in the turn that delivers the first batch (see preloadCrc32c).
    if (options.checkCrcs ?? SHARE_CONSUMER_DEFAULTS.checkCrcs) preloadCrc32c()
    this.#context = context
    this.#cluster = context.cluster
    this.#logger = clientLogger(context.logger).child({ client: 'share-consumer', groupId: this.groupId })
    this.#mode = mode
    const maxPollRecords = options.maxPollRecords ?? SHARE_CONSUMER_DEFAULTS.maxPollRecords
    const acquireMode = options.shareAcquireMode ?? SHARE_CONSUMER_DEFAULTS.shareAcquireMode
    if (!isAcquireMode(acquireMode)) throw new KafkaError(`shareConsumer: shareAcquireMode must be 'batch_optimized' or 'record_limit', not ${JSON.stringify(acquireMode)}`)
    this.#keyDeserializer = resolveDeserializer(options.keyDeserializer, 'keyDeserializer')
    this.#valueDeserializer = resolveDeserializer(options.valueDeserializer, 'valueDeserializer')
    if (!Number.isInteger(maxPollRecords) || maxPollRecords < 1) throw new KafkaError('shareConsumer: maxPollRecords must be a positive integer')
    const instance = ShareConsumer.#instances++
    this.#metrics = new ShareConsumerMetrics(new MetricsRegistry(context.clock), context.clientId, this.#cluster.networkMetrics)
    this.#membership = new ShareMembership({
      cluster: this.#cluster,
      clock: context.clock,
      logger: this.#logger,
      groupId: this.groupId,
      clientRack: options.clientRack ?? null,
      purpose: `share-group-${instance}`,
      subscription: () => this.#topics,
      assigned: (partitions) => this.#assigned(partitions),
      unreachableTimeoutMs: this.#cluster.defaultApiTimeoutMs,
      fatal: (error) => this.#fail(error),
      metrics: this.#metrics,
    })
    this.#fetcher = new ShareFetcher(
      {
        cluster: this.#cluster,
        clock: context.clock,
        logger: this.#logger,
        groupId: this.groupId,
        memberId: () => this.#membership.memberId,
        assignment: () => this.#assignment,
        closed: () => this.#closed,
        fatal: () => this.#fatal,
        fail: (error) => this.#fail(error),
        metrics: this.#metrics,
        received: (topic, partition, offset, timestamp, key, value, headers, deliveryCount) =>
          this.#buffer.push(new ShareConsumerMessage<K, V>(this, topic, partition, offset, timestamp, key as K, value as V, headers, deliveryCount)),
      },
      {
        maxPollRecords,
        acquireMode,
        fetchMaxWaitMs: options.fetchMaxWaitMs ?? SHARE_CONSUMER_DEFAULTS.fetchMaxWaitMs,
        fetchMinBytes: options.fetchMinBytes ?? SHARE_CONSUMER_DEFAULTS.fetchMinBytes,
        fetchMaxBytes: options.fetchMaxBytes ?? SHARE_CONSUMER_DEFAULTS.fetchMaxBytes,
        checkCrcs: options.checkCrcs ?? SHARE_CONSUMER_DEFAULTS.checkCrcs,
        // Own connections per consumer: the broker answers a connection's requests in order, so one member's
        // long-polling ShareFetch must not hold up another's (or its own heartbeat).
        purpose: `share-${instance}`,
      },
      this.#pending,
    )
  }

  /** The member id this client generated and the group knows it by. */
  get memberId(): string {
    return this.#membership.memberId
  }

  get memberEpoch(): number {
    return this.#membership.memberEpoch
  }

  /**
   * How long the leaders lock the records they hand out, as the last ShareFetch or ShareAcknowledge answer said
   * (the group's `share.record.lock.duration.ms`); null before the first answer. A record held longer than this
   * goes back to the group unless it is renewed (`acknowledge('renew')`) in time.
   */
  get acquisitionLockTimeoutMs(): number | null {
    return this.#fetcher.acquisitionLockTimeoutMs
  }

  /** The partitions the broker last assigned to this member (shared with other members). */
  assignment(): TopicPartition[] {
    return this.#assignment.map((tp) => ({ ...tp }))
  }

  /** Joins the group (or changes the subscription). Records arrive through iteration. */
  async subscribe(topics: string[]): Promise<void> {
    this.#ensureOpen()
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new KafkaError('shareConsumer.subscribe: give a non-empty list of topic names')
    }
    this.#topics = [...new Set(topics)]
    this.#cluster.addInterest(this.#topics)
    if (this.#membership.running) this.#membership.subscriptionChanged()
    else this.#membership.start()
  }

  /**
   * Explicit mode: records the outcome of a delivered message (also `message.acknowledge(type)`). `renew` restarts
   * the record's acquisition lock and may be repeated; it is sent in the background right away (`await commit()`
   * to wait for it and see whether the leader took it), and the message still needs a final accept, release or
   * reject.
   */
  acknowledge(message: ShareConsumerMessage<K, V>, type: ShareAcknowledgeType = 'accept'): void {
    if (this.#mode !== 'explicit') throw new KafkaError("acknowledge() needs acknowledgementMode 'explicit'; in implicit mode moving to the next message accepts the last one")
    const code = ACK_CODES[type]
    if (code === undefined) throw new KafkaError(`acknowledge type must be 'accept', 'release', 'reject' or 'renew', not ${JSON.stringify(type)}`)
    if (!this.#inHand.has(message)) {
      throw new KafkaError(message.state === 'acknowledged'
        ? `${message.topic}-${message.partition} offset ${message.offset} is already acknowledged`
        : `${message.topic}-${message.partition} offset ${message.offset} was not delivered by this consumer`)
    }
    if (code === ACK_RENEW) {
      this.#pending.add(message.topic, message.partition, message.offset, message.offset, ACK_RENEW)
      this.#scheduleRenewal()
      return
    }
    this.#inHand.delete(message)
    message.state = 'acknowledged'
    this.#pending.add(message.topic, message.partition, message.offset, message.offset, code)
  }

  /**
   * Sends every acknowledgement made so far (in implicit mode, first accepts the messages handed out) with
   * ShareAcknowledge, and resolves with one result per partition that had acknowledgements.
   */
  async commit(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ShareAcknowledgementResult[]> {
    this.#ensureOpen()
    if (this.#mode === 'implicit') this.#acceptInHand()
    // A ShareAcknowledge moves the session epoch, so it is never cut off mid-request: the caller stops waiting at
    // its deadline or signal, and the request (bounded by requestTimeoutMs) finishes in the background.
    const sending = this.#fetcher.sendAcknowledgements(false)
    return this.#cluster.withBudget(options, (budget) => abortable(sending, budget.signal))
  }

  [Symbol.asyncIterator](): AsyncIterator<ShareConsumerMessage<K, V>> {
    return this.messages()
  }

  /**
   * Messages one by one. `signal` ends the iteration (done) as close() does; a fetch in flight then finishes in the
   * background and its records wait in the buffer for the next iteration, so none is lost or acknowledged unseen.
   */
  messages(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<ShareConsumerMessage<K, V>> {
    const signal = options.signal
    // samsa:consumer:process, when someone traces: a message is in process from its hand-out until the next is
    // asked for or the loop is left (as the consumer's iterator; the implicit acknowledgement happens then too).
    let inHand: ConsumerProcessContext | null = null
    const settle = (): void => {
      if (inHand === null) return
      publishSettled(tracingChannels.consumerProcess, inHand)
      inHand = null
    }
    const traced = (result: IteratorResult<ShareConsumerMessage<K, V>>): IteratorResult<ShareConsumerMessage<K, V>> => {
      if (result.done || !tracingChannels.consumerProcess.hasSubscribers) return result
      const message = result.value
      inHand = { clientId: this.#context.clientId, groupId: this.groupId, style: 'iterator', topic: message.topic, partition: message.partition, messages: [message] }
      tracingChannels.consumerProcess.start.publish(inHand)
      tracingChannels.consumerProcess.end.publish(inHand)
      return result
    }
    const iterator: AsyncIterableIterator<ShareConsumerMessage<K, V>> = {
      next: () => {
        settle()
        const next = this.#next(signal)
        return tracingChannels.consumerProcess.hasSubscribers ? next.then(traced) : next
      },
      return: async () => {
        settle()
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  /**
   * Sends the acknowledgements already made and closes each share session (so the broker frees this member's
   * other acquired records at once), then leaves the group. A pending iteration ends.
   */
  async close(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#fetcher.wake()
    for (const wake of this.#assignmentWaiters.splice(0)) wake()
    const closing = async (): Promise<void> => {
      await this.#round?.catch(() => undefined)
      await this.#fetcher.sendAcknowledgements(true).catch((error: unknown) => this.#logger.warn({ err: error }, 'share consumer: closing the share sessions failed'))
      await this.#membership.stop(true)
    }
    try {
      // Past the deadline (or on abort) the connections are closed anyway: the broker then frees the records this
      // member held when their acquisition locks expire, and drops the member after its session timeout.
      await this.#cluster.withBudget({ timeoutMs: options.timeoutMs ?? CLOSE_TIMEOUT_MS, signal: options.signal, bound: 'close timeoutMs' }, (budget) =>
        abortable(closing(), budget.signal),
      ).catch((error: unknown) => this.#logger.warn({ err: error }, 'share consumer: close did not finish in time; closing the connections'))
    } finally {
      this.#buffer = []
      this.#bufferHead = 0
      this.#inHand.clear()
      this.#context.release()
    }
  }

  // ---- iteration ----

  async #next(signal?: AbortSignal): Promise<IteratorResult<ShareConsumerMessage<K, V>>> {
    if (this.#mode === 'implicit') this.#acceptInHand()
    for (;;) {
      if (this.#fatal) {
        const error = this.#fatal
        throw error
      }
      if (this.#closed || signal?.aborted) return { done: true, value: undefined }
      if (this.#bufferHead < this.#buffer.length) {
        const message = this.#buffer[this.#bufferHead]!
        this.#buffer[this.#bufferHead++] = undefined as never
        if (this.#bufferHead === this.#buffer.length) {
          this.#buffer = []
          this.#bufferHead = 0
        }
        this.#deserialize(message)
        message.state = 'delivered'
        this.#inHand.add(message)
        this.#metrics.handedOut()
        return { done: false, value: message }
      }
      // One fetch round at a time, whichever iteration asked for it.
      const round = (this.#round ??= this.#fetcher.fetchRound().finally(() => (this.#round = null)))
      if (!signal) await round
      else if (await abortable(round, signal).then(() => false, (error: unknown) => (signal.aborted ? true : Promise.reject(error)))) {
        return { done: true, value: undefined }
      }
    }
  }

  #deserialize(message: ShareConsumerMessage<K, V>): void {
    let field: 'key' | 'value' = 'key'
    try {
      if (this.#keyDeserializer && message.key !== null) message.key = this.#keyDeserializer(message.key as Buffer, message.topic) as K
      field = 'value'
      if (this.#valueDeserializer && message.value !== null) message.value = this.#valueDeserializer(message.value as Buffer, message.topic) as V
    } catch (cause) {
      // Redelivering a record its deserializer cannot read would fail the same way each time: reject it (it stays
      // in the log, archived for this group) and let the application see why.
      message.state = 'acknowledged'
      this.#pending.add(message.topic, message.partition, message.offset, message.offset, ACK_CODES.reject)
      throw new DeserializationError(message.topic, message.partition, message.offset, field, cause)
    }
  }

  #acceptInHand(): void {
    for (const message of this.#inHand) {
      message.state = 'acknowledged'
      this.#pending.add(message.topic, message.partition, message.offset, message.offset, ACK_CODES.accept)
    }
    this.#inHand.clear()
  }

  /** Coalesces the renewals made in one turn of the event loop into one ShareAcknowledge per leader. */
  #scheduleRenewal(): void {
    if (this.#renewalScheduled) return
    this.#renewalScheduled = true
    setImmediate(() => {
      this.#renewalScheduled = false
      if (this.#closed) return
      this.#fetcher.sendAcknowledgements(false).then(
        (results) => {
          for (const r of results) if (r.error) this.#logger.warn({ topic: r.topic, partition: r.partition, err: r.error }, 'share acknowledgement (renewal) refused by the leader')
        },
        (error: unknown) => this.#logger.warn({ err: error }, 'share consumer: sending renewals failed'),
      )
    })
  }

  #assigned(partitions: TopicPartition[]): void {
    if (!sameAssignment(this.#assignment, partitions)) this.#metrics.assignmentChanged()
    this.#assignment = partitions
    this.#fetcher.wake()
    for (const wake of this.#assignmentWaiters.splice(0)) wake()
  }

  #fail(error: KafkaError): void {
    this.#fatal ??= error
    this.#fetcher.wake()
  }

  #ensureOpen(): void {
    if (this.#closed) throw new KafkaError('the share consumer is closed')
  }

  /** `await using consumer = kafka.shareConsumer(options)`: closes the consumer (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function sameAssignment(a: TopicPartition[], b: TopicPartition[]): boolean {
  if (a.length !== b.length) return false
  const key = (p: TopicPartition) => `${p.topic}\u0000${p.partition}`
  const seen = new Set(a.map(key))
  return b.every((p) => seen.has(key(p)))
}
