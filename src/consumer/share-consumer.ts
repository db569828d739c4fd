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
import { KafkaError, KafkaProtocolError, ProtocolDecodeError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Clock } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import type { Logger } from '../network/instrumentation.js'
import { abortable } from '../network/abort.js'
import { ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import type { ShareFetchResponse, ShareFetchResponsePartitionData } from '../protocol/generated/ShareFetchResponse.js'
import { decodeRecordBatchesAsync, type Header } from '../records/index.js'
import { resolveDeserializer } from './deserializers.js'
import { partitionKey } from './partition-state.js'
import { DeserializationError } from './errors.js'
import { request } from './request.js'
import { ShareMembership } from './share-membership.js'
import type { DeserializedOutput, Deserializer, DeserializerOption, TopicPartition } from './types.js'

const { UNSUPPORTED_VERSION, UNKNOWN_MEMBER_ID, SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH } = ErrorCodes

/**
 * `accept`, `release` and `reject` settle a record; `renew` (KIP-1222, Kafka 4.2+) only restarts its acquisition lock,
 * so the application keeps holding it and settles it later.
 */
export type ShareAcknowledgeType = 'accept' | 'release' | 'reject' | 'renew'
export type ShareAcknowledgementMode = 'implicit' | 'explicit'
/**
 * Java's share.acquire.mode (KIP-1206). `batch_optimized` lets the leader hand out whole record batches, so one
 * ShareFetch may acquire more than `maxPollRecords`; `record_limit` (Kafka 4.2+) makes `maxPollRecords` a hard limit.
 */
export type ShareAcquireMode = 'batch_optimized' | 'record_limit'

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

/** What one `commit()` achieved for a partition: `error` is null when the leader took every acknowledgement. */
export interface ShareAcknowledgementResult {
  topic: string
  partition: number
  error: KafkaProtocolError | null
}

/** What the client needs from `Kafka` (structurally the entry's ClientContext). */
export interface ShareConsumerContext {
  cluster: Cluster
  clientId: string
  logger: Logger
  clock: Clock
  release(): void
}

const ACK_GAP = 0
const ACK_RENEW = 4
const ACK_CODES: Record<ShareAcknowledgeType, number> = { accept: 1, release: 2, reject: 3, renew: ACK_RENEW }
const ACQUIRE_MODE_CODES: Record<ShareAcquireMode, number> = { batch_optimized: 0, record_limit: 1 }
/** ShareFetch / ShareAcknowledge v2 (Kafka 4.2) brought the acquire mode and renew acknowledgements. */
const RENEW_AND_ACQUIRE_MODE_VERSION = 2

const INITIAL_EPOCH = 0
const FINAL_EPOCH = -1
const MAX_EPOCH = 2 ** 31 - 1

type MessageState = 'buffered' | 'delivered' | 'acknowledged'

/**
 * One delivered record. `acknowledge` is a method on the prototype (not a closure per record); it needs the
 * consumer's `explicit` mode.
 */
/** Java's ShareConsumer.close() default. */
const CLOSE_TIMEOUT_MS = 30_000

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

interface AckRange {
  first: bigint
  last: bigint
  type: number
}

interface PendingAcks {
  topic: string
  partition: number
  ranges: AckRange[]
}

interface SessionPartition {
  topic: string
  topicId: string
  partition: number
}

/** One share session per partition leader: the epoch orders this member's requests to that broker. */
interface ShareSession {
  nodeId: number
  epoch: number
  /** Partitions the broker holds in the session (what a full request listed plus later additions). */
  partitions: Map<string, SessionPartition>
  /** Requests on one session run one at a time, or their epochs would cross. */
  lock: Promise<void>
}

const nextEpoch = (epoch: number): number => (epoch >= MAX_EPOCH ? 1 : epoch + 1)

/** Adjacent ranges of one type become one acknowledgement batch, so a run of accepts costs one entry. */
function mergeRanges(ranges: AckRange[]): Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
  const out: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && last.acknowledgeTypes[0] === r.type && last.lastOffset + 1n === r.first) last.lastOffset = r.last
    else out.push({ firstOffset: r.first, lastOffset: r.last, acknowledgeTypes: [r.type] })
  }
  return out
}

export class ShareConsumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ShareConsumerMessage<K, V>> {
  readonly groupId: string
  readonly #context: ShareConsumerContext
  readonly #cluster: Cluster
  readonly #logger: Logger
  readonly #mode: ShareAcknowledgementMode
  readonly #maxPollRecords: number
  readonly #acquireMode: ShareAcquireMode
  readonly #fetchMaxWaitMs: number
  readonly #fetchMinBytes: number
  readonly #fetchMaxBytes: number
  readonly #checkCrcs: boolean
  readonly #keyDeserializer: Deserializer<unknown> | null
  readonly #valueDeserializer: Deserializer<unknown> | null
  readonly #membership: ShareMembership
  readonly #purpose: string
  #topics: string[] = []
  #assignment: TopicPartition[] = []
  #assignmentWaiters: Array<() => void> = []
  readonly #sessions = new Map<number, ShareSession>()
  readonly #pending = new Map<string, PendingAcks>()
  #buffer: Array<ShareConsumerMessage<K, V>> = []
  #bufferHead = 0
  /** Delivered and not yet acknowledged: in implicit mode at most the last message handed out. */
  readonly #inHand = new Set<ShareConsumerMessage<K, V>>()
  #fatal: KafkaError | null = null
  #closed = false
  #round: Promise<void> | null = null
  /** Fetch rounds that failed in a row (for the backoff). */
  #failedRounds = 0
  #idleWake: (() => void) | null = null
  #renewalScheduled = false
  /** record_limit mode fetches from one leader per round; this picks whose turn it is. */
  #recordLimitTurn = 0
  #acquisitionLockTimeoutMs: number | null = null
  static #instances = 0

  constructor(context: ShareConsumerContext, options: ShareConsumerOptions) {
    if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) throw new KafkaError('shareConsumer: `groupId` is required')
    const mode = options.acknowledgementMode ?? SHARE_CONSUMER_DEFAULTS.acknowledgementMode
    if (mode !== 'implicit' && mode !== 'explicit') throw new KafkaError(`shareConsumer: acknowledgementMode must be 'implicit' or 'explicit', not ${JSON.stringify(mode)}`)
    this.groupId = options.groupId
    this.#context = context
    this.#cluster = context.cluster
    this.#logger = context.logger
    this.#mode = mode
    this.#maxPollRecords = options.maxPollRecords ?? SHARE_CONSUMER_DEFAULTS.maxPollRecords
    const acquireMode = options.shareAcquireMode ?? SHARE_CONSUMER_DEFAULTS.shareAcquireMode
    if (ACQUIRE_MODE_CODES[acquireMode] === undefined) throw new KafkaError(`shareConsumer: shareAcquireMode must be 'batch_optimized' or 'record_limit', not ${JSON.stringify(acquireMode)}`)
    this.#acquireMode = acquireMode
    this.#fetchMaxWaitMs = options.fetchMaxWaitMs ?? SHARE_CONSUMER_DEFAULTS.fetchMaxWaitMs
    this.#fetchMinBytes = options.fetchMinBytes ?? SHARE_CONSUMER_DEFAULTS.fetchMinBytes
    this.#fetchMaxBytes = options.fetchMaxBytes ?? SHARE_CONSUMER_DEFAULTS.fetchMaxBytes
    this.#checkCrcs = options.checkCrcs ?? SHARE_CONSUMER_DEFAULTS.checkCrcs
    this.#keyDeserializer = resolveDeserializer(options.keyDeserializer, 'keyDeserializer')
    this.#valueDeserializer = resolveDeserializer(options.valueDeserializer, 'valueDeserializer')
    if (!Number.isInteger(this.#maxPollRecords) || this.#maxPollRecords < 1) throw new KafkaError('shareConsumer: maxPollRecords must be a positive integer')
    const instance = ShareConsumer.#instances++
    // Own connections per consumer: the broker answers a connection's requests in order, so one member's
    // long-polling ShareFetch must not hold up another's (or its own heartbeat).
    this.#purpose = `share-${instance}`
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
    })
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
    return this.#acquisitionLockTimeoutMs
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
      this.#addAck(message.topic, message.partition, message.offset, message.offset, ACK_RENEW)
      this.#scheduleRenewal()
      return
    }
    this.#inHand.delete(message)
    message.state = 'acknowledged'
    this.#addAck(message.topic, message.partition, message.offset, message.offset, code)
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
    const sending = this.#sendAcknowledgements(false)
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
    const iterator: AsyncIterableIterator<ShareConsumerMessage<K, V>> = {
      next: () => this.#next(signal),
      return: async () => ({ done: true, value: undefined }),
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
    this.#idleWake?.()
    for (const wake of this.#assignmentWaiters.splice(0)) wake()
    const closing = async (): Promise<void> => {
      await this.#round?.catch(() => undefined)
      await this.#sendAcknowledgements(true).catch((error: unknown) => this.#logger.warn({ error }, 'share consumer: closing the share sessions failed'))
      await this.#membership.stop(true)
    }
    try {
      // Past the deadline (or on abort) the connections are closed anyway: the broker then frees the records this
      // member held when their acquisition locks expire, and drops the member after its session timeout.
      await this.#cluster.withBudget({ timeoutMs: options.timeoutMs ?? CLOSE_TIMEOUT_MS, signal: options.signal, bound: 'close timeoutMs' }, (budget) =>
        abortable(closing(), budget.signal),
      ).catch((error: unknown) => this.#logger.warn({ error }, 'share consumer: close did not finish in time; closing the connections'))
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
        return { done: false, value: message }
      }
      // One fetch round at a time, whichever iteration asked for it.
      const round = (this.#round ??= this.#fetchRound().finally(() => (this.#round = null)))
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
      this.#addAck(message.topic, message.partition, message.offset, message.offset, ACK_CODES.reject)
      throw new DeserializationError(message.topic, message.partition, message.offset, field, cause)
    }
  }

  #acceptInHand(): void {
    for (const message of this.#inHand) {
      message.state = 'acknowledged'
      this.#addAck(message.topic, message.partition, message.offset, message.offset, ACK_CODES.accept)
    }
    this.#inHand.clear()
  }

  #addAck(topic: string, partition: number, first: bigint, last: bigint, type: number): void {
    const key = partitionKey(topic, partition)
    let pending = this.#pending.get(key)
    if (!pending) this.#pending.set(key, (pending = { topic, partition, ranges: [] }))
    // Renewals are single offsets. One not sent yet is superseded by a final acknowledgement of the same record (two
    // outcomes for one offset in a request would be refused) and is pointless to send twice.
    if (first === last) {
      const unsentRenewal = pending.ranges.findIndex((r) => r.type === ACK_RENEW && r.first === first)
      if (unsentRenewal >= 0) {
        if (type === ACK_RENEW) return
        pending.ranges.splice(unsentRenewal, 1)
      }
    }
    pending.ranges.push({ first, last, type })
  }

  /** Coalesces the renewals made in one turn of the event loop into one ShareAcknowledge per leader. */
  #scheduleRenewal(): void {
    if (this.#renewalScheduled) return
    this.#renewalScheduled = true
    setImmediate(() => {
      this.#renewalScheduled = false
      if (this.#closed) return
      this.#sendAcknowledgements(false).then(
        (results) => {
          for (const r of results) if (r.error) this.#logger.warn({ topic: r.topic, partition: r.partition, error: r.error }, 'share acknowledgement (renewal) refused by the leader')
        },
        (error: unknown) => this.#logger.warn({ error }, 'share consumer: sending renewals failed'),
      )
    })
  }

  #hasRenewal(key: string): boolean {
    return this.#pending.get(key)?.ranges.some((r) => r.type === ACK_RENEW) ?? false
  }

  #noteLockTimeout(ms: number | undefined): void {
    if (ms !== undefined && ms > 0) this.#acquisitionLockTimeoutMs = ms
  }

  #takeAcks(key: string): PendingAcks | undefined {
    const pending = this.#pending.get(key)
    this.#pending.delete(key)
    return pending
  }

  #restoreAcks(acks: PendingAcks[]): void {
    for (const a of acks) for (const r of a.ranges) this.#addAck(a.topic, a.partition, r.first, r.last, r.type)
  }

  #assigned(partitions: TopicPartition[]): void {
    this.#assignment = partitions
    this.#idleWake?.()
    for (const wake of this.#assignmentWaiters.splice(0)) wake()
  }

  #fail(error: KafkaError): void {
    this.#fatal ??= error
    this.#idleWake?.()
  }

  #ensureOpen(): void {
    if (this.#closed) throw new KafkaError('the share consumer is closed')
  }

  /** A wait that a new assignment, a fatal error or close() ends early. */
  #sleep(ms: number): Promise<void> {
    const clock = this.#context.clock
    return new Promise((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer)
        if (this.#idleWake === done) this.#idleWake = null
        resolve()
      }
      const timer = clock.setTimeout(done, ms)
      this.#idleWake = done
    })
  }

  // ---- fetching ----

  /** One ShareFetch to each leader of an assigned partition (and each leader owed acknowledgements). */
  async #fetchRound(): Promise<void> {
    if (this.#assignment.length === 0) {
      await this.#sendAcknowledgements(false).catch(() => undefined)
      if (!this.#closed && !this.#fatal) await this.#sleep(this.#fetchMaxWaitMs)
      return
    }
    const byNode = new Map<number, SessionPartition[]>()
    for (const tp of this.#assignment) {
      try {
        const leader = await this.#cluster.leaderFor(tp.topic, tp.partition)
        const topicId = this.#cluster.topic(tp.topic)?.topicId
        if (!topicId) continue
        let list = byNode.get(leader.nodeId)
        if (!list) byNode.set(leader.nodeId, (list = []))
        list.push({ topic: tp.topic, topicId, partition: tp.partition })
      } catch (error) {
        this.#logger.debug({ error, topic: tp.topic, partition: tp.partition }, 'share consumer: no leader yet')
      }
    }
    // Sessions on brokers that no longer lead anything of ours still have partitions to forget.
    for (const nodeId of this.#sessions.keys()) if (!byNode.has(nodeId)) byNode.set(nodeId, [])
    if (byNode.size === 0) {
      await this.#sleep(Math.min(this.#fetchMaxWaitMs, 200))
      return
    }
    const fetchingNode = this.#recordLimitNode(byNode)
    const targets = [...byNode]
    const results = await Promise.allSettled(targets.map(([nodeId, wanted]) => {
      const session = this.#session(nodeId)
      // record_limit promises at most maxPollRecords per round, so the other leaders only get their acknowledgements.
      if (fetchingNode !== null && nodeId !== fetchingNode && wanted.length > 0) return this.#acknowledgeOnly(session).then(() => false)
      return this.#fetchFrom(session, wanted)
    }))
    let backOff = false
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        backOff ||= r.value
        return
      }
      backOff = true
      const error = r.reason instanceof KafkaError ? r.reason : new KafkaError(String(r.reason), { cause: r.reason })
      if (error instanceof KafkaProtocolError && !error.retriable) {
        this.#fail(error)
        return
      }
      this.#logger.debug({ error }, 'share fetch failed; retrying')
      // A leader that cannot be reached (killed, partitioned) stays the cached leader until metadata says otherwise:
      // ask, or every round would go back to the dead broker.
      const [, wanted] = targets[i]!
      for (const topic of new Set(wanted.map((p) => p.topic))) this.#cluster.handleRetriableError(error, { kind: 'leader', topic, partition: wanted.find((p) => p.topic === topic)!.partition })
    })
    // KIP-580 backoff, as the request policy's: grows while rounds keep failing, back to the start after one works.
    if (backOff) this.#failedRounds++
    else this.#failedRounds = 0
    if (backOff && !this.#closed && !this.#fatal) await this.#sleep(backoffDelayMs(this.#failedRounds - 1, this.#cluster.retryOptions))
  }

  /** In record_limit mode, the one leader (of those with partitions to fetch) this round fetches from, in turn. */
  #recordLimitNode(byNode: Map<number, SessionPartition[]>): number | null {
    if (this.#acquireMode !== 'record_limit') return null
    const candidates = [...byNode].filter(([, wanted]) => wanted.length > 0).map(([nodeId]) => nodeId).sort((a, b) => a - b)
    if (candidates.length <= 1) return null
    return candidates[this.#recordLimitTurn++ % candidates.length]!
  }

  /** ShareAcknowledge for whatever this session's partitions owe, without fetching. */
  #acknowledgeOnly(session: ShareSession): Promise<void> {
    return this.#locked(session, async () => {
      if (this.#closed || session.epoch === INITIAL_EPOCH) return
      const owed = [...this.#pending.keys()].filter((k) => session.partitions.has(k))
      if (owed.length === 0) return
      for (const r of await this.#acknowledgeOn(session, owed, false)) {
        if (r.error) this.#logger.warn({ topic: r.topic, partition: r.partition, error: r.error }, 'share acknowledgement refused by the leader')
      }
    })
  }

  #session(nodeId: number): ShareSession {
    let session = this.#sessions.get(nodeId)
    if (!session) this.#sessions.set(nodeId, (session = { nodeId, epoch: INITIAL_EPOCH, partitions: new Map(), lock: Promise.resolve() }))
    return session
  }

  #locked<T>(session: ShareSession, fn: () => Promise<T>): Promise<T> {
    const run = session.lock.then(fn)
    session.lock = run.then(() => undefined, () => undefined)
    return run
  }

  #resetSession(session: ShareSession): void {
    session.epoch = INITIAL_EPOCH
    session.partitions.clear()
  }

  /** Resolves true when the caller should back off before the next round. */
  #fetchFrom(session: ShareSession, wanted: SessionPartition[]): Promise<boolean> {
    return this.#locked(session, async () => {
      if (this.#closed) return false
      const wantedKeys = new Map(wanted.map((p) => [partitionKey(p.topic, p.partition), p]))
      // Acknowledgements for partitions this session will not fetch (no longer assigned here) go on their own, and so
      // do renewals: a ShareFetch carrying one must not fetch (the broker skips the fetch and wants its limits at 0).
      if (session.epoch !== INITIAL_EPOCH) {
        const separately = [...this.#pending.keys()].filter((k) => session.partitions.has(k) && (!wantedKeys.has(k) || this.#hasRenewal(k)))
        if (separately.length > 0) await this.#acknowledgeOn(session, separately, false)
      }
      const full = session.epoch === INITIAL_EPOCH
      // A new session cannot carry acknowledgements (the broker refuses them at epoch 0): they wait for the next request.
      const acks: PendingAcks[] = []
      const listed = new Map<string, { partition: SessionPartition; acks: PendingAcks | undefined }>()
      for (const [key, p] of wantedKeys) {
        const pending = full ? undefined : this.#takeAcks(key)
        if (pending) acks.push(pending)
        if (full || pending || !session.partitions.has(key)) listed.set(key, { partition: p, acks: pending })
      }
      const forgotten = full ? [] : [...session.partitions].filter(([key]) => !wantedKeys.has(key)).map(([, p]) => p)
      if (listed.size === 0 && forgotten.length === 0 && session.partitions.size === 0) return false
      const topics = new Map<string, Array<{ partitionIndex: number; acknowledgementBatches: ReturnType<typeof mergeRanges> }>>()
      for (const { partition, acks: pending } of listed.values()) {
        let list = topics.get(partition.topicId)
        if (!list) topics.set(partition.topicId, (list = []))
        list.push({ partitionIndex: partition.partition, acknowledgementBatches: pending ? mergeRanges(pending.ranges) : [] })
      }
      const forgottenByTopic = new Map<string, number[]>()
      for (const p of forgotten) {
        let list = forgottenByTopic.get(p.topicId)
        if (!list) forgottenByTopic.set(p.topicId, (list = []))
        list.push(p.partition)
      }
      const epochSent = session.epoch
      const acquireMode = this.#acquireMode
      let response: ShareFetchResponse
      try {
        response = await request(this.#cluster, { kind: 'node', nodeId: session.nodeId }, ApiKeys.ShareFetch, (version) => {
          if (acquireMode === 'record_limit' && version < RENEW_AND_ACQUIRE_MODE_VERSION) {
            throw errorFromCode(UNSUPPORTED_VERSION, 'ShareFetch', `shareAcquireMode 'record_limit' needs ShareFetch v2 (Kafka 4.2+); broker ${session.nodeId} speaks v${version}`)!
          }
          return {
            groupId: this.groupId,
            memberId: this.#membership.memberId,
            shareSessionEpoch: epochSent,
            maxWaitMs: this.#fetchMaxWaitMs,
            minBytes: this.#fetchMinBytes,
            maxBytes: this.#fetchMaxBytes,
            maxRecords: this.#maxPollRecords,
            batchSize: this.#maxPollRecords,
            shareAcquireMode: ACQUIRE_MODE_CODES[acquireMode],
            topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
            forgottenTopicsData: [...forgottenByTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
          }
        }, { purpose: this.#purpose, retry: { retries: 0 } })
      } catch (error) {
        // The request may or may not have reached the broker: start a new session rather than guess the epoch.
        this.#restoreAcks(acks)
        this.#resetSession(session)
        throw error
      }
      if (response.errorCode !== 0) {
        this.#restoreAcks(acks)
        if (response.errorCode === SHARE_SESSION_NOT_FOUND || response.errorCode === INVALID_SHARE_SESSION_EPOCH) {
          this.#logger.info({ nodeId: session.nodeId, error: response.errorCode }, 'share session lost; opening a new one')
          this.#resetSession(session)
          return false
        }
        // The member was removed from the group between heartbeats: the heartbeat loop rejoins under the same id,
        // and the next session is opened for the new membership. Not the application's problem.
        if (response.errorCode === UNKNOWN_MEMBER_ID) {
          this.#logger.info({ nodeId: session.nodeId }, 'share fetch: member unknown to the leader; waiting for the rejoin')
          this.#resetSession(session)
          return true
        }
        throw errorFromCode(response.errorCode, 'ShareFetch', response.errorMessage) ?? new KafkaError(`ShareFetch failed with ${response.errorCode}`)
      }
      session.epoch = nextEpoch(epochSent)
      this.#noteLockTimeout(response.acquisitionLockTimeoutMs)
      for (const { partition } of listed.values()) session.partitions.set(partitionKey(partition.topic, partition.partition), partition)
      for (const p of forgotten) session.partitions.delete(partitionKey(p.topic, p.partition))
      await this.#handleFetchResponse(session, response)
      return false
    })
  }

  async #handleFetchResponse(session: ShareSession, response: ShareFetchResponse): Promise<void> {
    let fatal: KafkaError | null = null
    for (const t of response.responses) {
      const topic = this.#cluster.topicNameById(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) {
        if (p.acknowledgeErrorCode !== 0) {
          this.#logger.warn({ topic, partition: p.partitionIndex, error: p.acknowledgeErrorCode }, 'share acknowledgement refused by the leader')
        }
        if (p.errorCode !== 0) {
          const error = errorFromCode(p.errorCode, `${topic}-${p.partitionIndex}`, p.errorMessage) ?? new KafkaError(`ShareFetch ${topic}-${p.partitionIndex} failed with ${p.errorCode}`)
          if (!error.retriable) {
            fatal ??= error
            continue
          }
          // Leadership moved (or the partition is not ready): refresh routing and fetch it from its new leader.
          const moved = p.currentLeader.leaderId >= 0 && this.#cluster.applyLeaderHint(topic, p.partitionIndex, p.currentLeader.leaderId, p.currentLeader.leaderEpoch)
          if (!moved) this.#cluster.handleRetriableError(error, { kind: 'leader', topic, partition: p.partitionIndex })
          session.partitions.delete(partitionKey(topic, p.partitionIndex))
          continue
        }
        if (p.acquiredRecords.length > 0) await this.#deliver(topic, p)
      }
    }
    if (fatal) throw fatal
  }

  /** Buffers the records inside the acquired ranges; acquired offsets with no record (control, compacted) are gaps. */
  async #deliver(topic: string, data: ShareFetchResponsePartitionData): Promise<void> {
    const ranges = [...data.acquiredRecords].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
    let previousLast = -1n
    for (const r of ranges) {
      if (r.firstOffset < 0n || r.lastOffset < r.firstOffset || r.firstOffset <= previousLast || r.deliveryCount < 1) {
        throw new ProtocolDecodeError(`ShareFetch ${topic}-${data.partitionIndex}: invalid acquired range ${r.firstOffset}..${r.lastOffset} (delivery count ${r.deliveryCount})`, { apiName: 'ShareFetch', fieldPath: 'AcquiredRecords', offset: 0 })
      }
      previousLast = r.lastOffset
    }
    const { batches } = await decodeRecordBatchesAsync(data.records, { verifyCrc: this.#checkCrcs })
    let rangeIndex = 0
    let covered = ranges[0]!.firstOffset // next acquired offset not yet accounted for
    const partition = data.partitionIndex
    for (const batch of batches) {
      if (batch.isControl) continue
      for (const record of batch.records) {
        while (rangeIndex < ranges.length && record.offset > ranges[rangeIndex]!.lastOffset) {
          const range = ranges[rangeIndex]!
          if (covered <= range.lastOffset) this.#addAck(topic, partition, covered, range.lastOffset, ACK_GAP)
          rangeIndex++
          if (rangeIndex < ranges.length) covered = ranges[rangeIndex]!.firstOffset
        }
        if (rangeIndex >= ranges.length) break
        const range = ranges[rangeIndex]!
        // Before the range (the batch started earlier) or a repeated offset: not ours to deliver.
        if (record.offset < covered) continue
        if (record.offset > covered) this.#addAck(topic, partition, covered, record.offset - 1n, ACK_GAP)
        covered = record.offset + 1n
        this.#buffer.push(new ShareConsumerMessage<K, V>(this, topic, partition, record.offset, Number(batch.timestampType === 'log-append' ? batch.maxTimestamp : record.timestamp), record.key as K, record.value as V, record.headers, range.deliveryCount))
      }
    }
    for (; rangeIndex < ranges.length; rangeIndex++) {
      const range = ranges[rangeIndex]!
      if (covered <= range.lastOffset) this.#addAck(topic, partition, covered, range.lastOffset, ACK_GAP)
      if (rangeIndex + 1 < ranges.length) covered = ranges[rangeIndex + 1]!.firstOffset
    }
  }

  // ---- acknowledging ----

  /** ShareAcknowledge to each leader owed acknowledgements; `closing` also ends every open session (epoch -1). */
  async #sendAcknowledgements(closing: boolean): Promise<ShareAcknowledgementResult[]> {
    const byNode = new Map<number, string[]>()
    const results: ShareAcknowledgementResult[] = []
    for (const [key, pending] of this.#pending) {
      let nodeId: number | undefined
      for (const s of this.#sessions.values()) if (s.partitions.has(key) && s.epoch !== INITIAL_EPOCH) nodeId = s.nodeId
      if (nodeId === undefined) {
        // No open session holds the partition: the records were acquired in a session that is gone, and the broker
        // released them when it ended.
        this.#pending.delete(key)
        results.push({ topic: pending.topic, partition: pending.partition, error: errorFromCode(SHARE_SESSION_NOT_FOUND, `${pending.topic}-${pending.partition}`)! })
        continue
      }
      let list = byNode.get(nodeId)
      if (!list) byNode.set(nodeId, (list = []))
      list.push(key)
    }
    if (closing) for (const s of this.#sessions.values()) if (s.epoch !== INITIAL_EPOCH && !byNode.has(s.nodeId)) byNode.set(s.nodeId, [])
    const perNode = await Promise.all([...byNode].map(([nodeId, keys]) => this.#locked(this.#session(nodeId), () => this.#acknowledgeOn(this.#session(nodeId), keys, closing))))
    for (const r of perNode) results.push(...r)
    return results
  }

  /** Must run under the session's lock. */
  async #acknowledgeOn(session: ShareSession, keys: string[], closing: boolean): Promise<ShareAcknowledgementResult[]> {
    const acks: PendingAcks[] = []
    for (const key of keys) {
      const pending = this.#takeAcks(key)
      // A closing session gives every held record back, renewed or not: renewing them first would be pointless.
      if (pending && closing) pending.ranges = pending.ranges.filter((r) => r.type !== ACK_RENEW)
      if (pending && pending.ranges.length > 0) acks.push(pending)
    }
    if (session.epoch === INITIAL_EPOCH) {
      return acks.map((a) => ({ topic: a.topic, partition: a.partition, error: errorFromCode(SHARE_SESSION_NOT_FOUND, `${a.topic}-${a.partition}`)! }))
    }
    if (acks.length === 0 && !closing) return []
    const topics = new Map<string, Array<{ partitionIndex: number; acknowledgementBatches: ReturnType<typeof mergeRanges> }>>()
    for (const a of acks) {
      const topicId = this.#cluster.topic(a.topic)?.topicId
      if (!topicId) continue
      let list = topics.get(topicId)
      if (!list) topics.set(topicId, (list = []))
      list.push({ partitionIndex: a.partition, acknowledgementBatches: mergeRanges(a.ranges) })
    }
    const epochSent = closing ? FINAL_EPOCH : session.epoch
    const failAll = (error: KafkaProtocolError): ShareAcknowledgementResult[] => acks.map((a) => ({ topic: a.topic, partition: a.partition, error }))
    const renewing = acks.some((a) => a.ranges.some((r) => r.type === ACK_RENEW))
    let refusedBeforeSending: KafkaProtocolError | null = null
    let response
    try {
      response = await request(this.#cluster, { kind: 'node', nodeId: session.nodeId }, ApiKeys.ShareAcknowledge, (version) => {
        if (renewing && version < RENEW_AND_ACQUIRE_MODE_VERSION) {
          throw (refusedBeforeSending = errorFromCode(UNSUPPORTED_VERSION, 'ShareAcknowledge', `renew acknowledgements need ShareAcknowledge v2 (Kafka 4.2+); broker ${session.nodeId} speaks v${version}`)!)
        }
        return {
          groupId: this.groupId,
          memberId: this.#membership.memberId,
          shareSessionEpoch: epochSent,
          isRenewAck: renewing,
          topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
        }
      }, { purpose: this.#purpose, retry: { retries: 0 } })
    } catch (error) {
      // Nothing reached the broker, so the session and its epoch are still good: only the renewals fail, the other
      // acknowledgements wait for the next request.
      if (refusedBeforeSending !== null && error === refusedBeforeSending) {
        const renewed = acks.filter((a) => a.ranges.some((r) => r.type === ACK_RENEW))
        this.#restoreAcks(acks.map((a) => ({ ...a, ranges: a.ranges.filter((r) => r.type !== ACK_RENEW) })))
        return renewed.map((a) => ({ topic: a.topic, partition: a.partition, error: error as KafkaProtocolError }))
      }
      this.#resetSession(session)
      if (error instanceof KafkaProtocolError) return failAll(error)
      throw error
    }
    if (closing) this.#resetSession(session)
    if (response.errorCode !== 0) {
      const error = errorFromCode(response.errorCode, 'ShareAcknowledge', response.errorMessage)!
      if (response.errorCode === SHARE_SESSION_NOT_FOUND || response.errorCode === INVALID_SHARE_SESSION_EPOCH) this.#resetSession(session)
      return failAll(error)
    }
    if (!closing) session.epoch = nextEpoch(epochSent)
    this.#noteLockTimeout(response.acquisitionLockTimeoutMs)
    const results: ShareAcknowledgementResult[] = []
    for (const t of response.responses) {
      const topic = this.#cluster.topicNameById(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) {
        results.push({ topic, partition: p.partitionIndex, error: p.errorCode === 0 ? null : errorFromCode(p.errorCode, `${topic}-${p.partitionIndex}`, p.errorMessage) })
      }
    }
    return results
  }

  /** `await using consumer = kafka.shareConsumer(options)`: closes the consumer (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
