/**
 * The producer: records are placed on partitions (partitioner), appended to per-partition open batches
 * (accumulator, bounded by bufferMemory), and a sender drains ready batches into one Produce request per leader
 * broker, pipelined up to maxInFlightRequestsPerConnection.
 *
 * Idempotence (the default) gives every batch a producer id, epoch and per-partition sequence number when it is
 * first sent, and keeps them across retries, so the broker drops duplicates and refuses gaps. Invariants:
 * - A partition's sealed batches are always (re)sent in sequence order. When one must be retried, the partition
 *   stops sending until its in-flight batches have all come back, then resends from the lowest sequence, one batch
 *   at a time until each resend is answered: the broker only accepts sequence n+1 after n, and recognises a resent
 *   batch as a duplicate only while it is among the producer's last five batches on the partition.
 * - An epoch bump (KIP-360: the broker lost our sequence state, or a batch failed for good) happens only with no
 *   batch in flight, and renumbers from 0 only the unacknowledged batches of the partitions whose sequence state is
 *   gone; other partitions finish their already-sent batches under the old identity first (they may be written).
 * - A batch's outcome is settled exactly once; records are acknowledged to the application only after the broker
 *   confirmed them with the configured acks.
 */
import { AbortError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { abortable, anySignal } from '../network/abort.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Cluster, TopicInfo } from '../network/cluster.js'
import type { Connection } from '../network/connection.js'
import { channels, type Logger, type ProduceChannelEvent } from '../network/instrumentation.js'
import { isRetriable } from '../network/policy.js'
import { apis, ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import { decodeRecordBatches, RecordBatchBuilder, type HeaderInput, type KafkaRecord, type RecordData } from '../records/index.js'
import { requireCompression } from '../records/compression.js'
import { RECORDS } from '../records/layout.js'
import { resealRecordBatch } from '../records/reseal.js'
import type { ClientContext } from '../kafka.js'
import { type ProducerOptions, resolveProducerOptions, type ResolvedProducerOptions } from './options.js'
import { partitionForKey, StickyPartitionCache } from './partitioner.js'
import { resolveSerializer, type ResolvedSerializer } from './serializers.js'
import { TransactionError, TransactionManager, type GroupMetadata, type TopicPartitionOffset } from './transactions.js'

const { DUPLICATE_SEQUENCE_NUMBER, OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, RECORD_LIST_TOO_LARGE, MESSAGE_TOO_LARGE } = ErrorCodes

/**
 * One record to send. `K` and `V` are what the producer's key and value serializers take (`Buffer | string | null`
 * without serializers); `null` and an absent key are never serialized: no key, or a tombstone value.
 */
export interface ProducerMessage<K = RecordData, V = RecordData> {
  key?: K | null
  value: V | null
  headers?: HeaderInput
  /** Send to this partition instead of letting the partitioner choose. */
  partition?: number
  /** Create time in ms since the epoch; default now. */
  timestamp?: number | bigint
}

export interface ProducerRecord<K = RecordData, V = RecordData> {
  topic: string
  messages: Array<ProducerMessage<K, V>>
}

/** Options of `send` and `sendBatch`. */
export interface SendOptions {
  /**
   * Cancels the call: its promise rejects with `AbortError` at once. Records not yet appended to a batch (the call
   * was waiting for topic metadata, the producer id or buffer memory) are not sent; records already in a batch may
   * still be written, as with the Java producer.
   */
  signal?: AbortSignal
}

/** What `transaction(work)` hands to `work`: sending inside the transaction, valid until `work` settles. */
export interface Transaction<K = RecordData, V = RecordData> {
  send(record: ProducerRecord<K, V>, options?: SendOptions): Promise<RecordMetadata[]>
  sendBatch(records: Array<ProducerRecord<K, V>>, options?: SendOptions): Promise<RecordMetadata[]>
  /**
   * Commits `offsets` for `consumer`'s group with the transaction (consume–transform–produce, exactly once). The
   * offsets are the next ones to consume (last processed + 1) of the partitions this transaction's output came from;
   * without them, `consumer.currentOffsets()` (a samsa consumer: everything it has handed out, the message in hand
   * included).
   */
  sendOffsets(options: { consumer: TransactionConsumer; offsets?: TopicPartitionOffset[] }): Promise<void>
  /** The same, given the group metadata directly. */
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], groupMetadata: GroupMetadata): Promise<void>
}

/** Anything that can say which group (generation, member) it consumes for: a samsa `Consumer` qualifies. */
export interface TransactionConsumer {
  groupMetadata(): GroupMetadata
  /**
   * Per owned partition, the offset after the last message handed to the application (what a transaction commits
   * when `sendOffsets` is given no offsets). A samsa `Consumer` has it.
   */
  currentOffsets?(): TopicPartitionOffset[]
}

export interface RecordMetadata {
  topic: string
  partition: number
  /** -1n with acks=0, where the broker reports nothing. */
  offset: bigint
  /** Create time, or the broker's log-append time when the topic uses it. */
  timestamp: number
}

/** The records of one `send`/`sendBatch` call: settles when all its records are acknowledged or one fails. */
class SendGroup {
  readonly results: RecordMetadata[]
  remaining: number
  settled = false
  readonly resolve: (results: RecordMetadata[]) => void
  readonly reject: (error: Error) => void

  constructor(count: number, resolve: (results: RecordMetadata[]) => void, reject: (error: Error) => void) {
    this.results = new Array(count)
    this.remaining = count
    this.resolve = resolve
    this.reject = reject
  }

  fail(error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }
}

class ProducerBatch {
  readonly builder: RecordBatchBuilder
  sealed: Buffer | null = null
  /** Who asked for each record, and at which index of their results. */
  readonly owners: SendGroup[] = []
  readonly ownerIndexes: number[] = []
  readonly timestamps: number[] = []
  full = false
  baseSequence = -1
  producerId = -1n
  producerEpoch = -1
  attempts = 0
  retryAt = 0
  inFlight = false
  settled = false
  readonly deadline: number
  readonly done: Promise<void>
  resolveDone!: () => void

  constructor(
    readonly partitionState: PartitionState,
    readonly createdAt: number,
    /** Buffer memory this batch holds until settled; a split hands it on to the pieces. */
    public reservedBytes: number,
    options: ResolvedProducerOptions,
    transactional: boolean,
  ) {
    this.builder = new RecordBatchBuilder({
      compression: options.compression,
      compressionLevel: options.compressionLevel,
      transactional,
      initialCapacity: Math.min(reservedBytes, options.batchSize) + 64,
    })
    this.deadline = createdAt + options.deliveryTimeoutMs
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  get recordCount(): number {
    return this.owners.length
  }
}

class PartitionState {
  readonly queue: ProducerBatch[] = []
  inFlight = 0
  nextSequence = 0
  lastAckedSequence = -1
  /** The broker lost (or we broke) this partition's sequence: the next epoch bump renumbers its unacknowledged batches. */
  resetOnEpochBump = false
  /**
   * After an epoch bump triggered elsewhere, batches sent under the previous producer id/epoch are still unresolved
   * here: they may be written already, so they are retried unchanged (the broker still deduplicates them), and the
   * partition starts the new sequence only once all of them are settled.
   */
  awaitingPreviousIdentity = false
  /** A batch must be resent: nothing new goes out until every in-flight batch has come back. */
  retrying = false
  /**
   * Uncompressed size at which new batches close: batchSize, or less after the broker refused a batch as
   * MESSAGE_TOO_LARGE (the topic's max.message.bytes is below batchSize), so that later batches are not refused and
   * split one by one. Back to batchSize at batchLimitRelaxAt, in case the topic's limit was raised meanwhile.
   */
  batchLimit: number
  batchLimitRelaxAt = 0
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly batchSize: number,
  ) {
    this.batchLimit = batchSize
  }
}

const MAX_SEQUENCE = 0x7fffffff
/** How long a batch size learned from a MESSAGE_TOO_LARGE refusal holds before batchSize is tried again. */
const LEARNED_BATCH_LIMIT_MS = 5 * 60_000

/** No batch of the partition is still taking records: the last one is full or already sealed for sending, or none. */
function batchesFull(queue: readonly ProducerBatch[] | undefined): boolean {
  const last = queue === undefined || queue.length === 0 ? null : queue[queue.length - 1]!
  return last === null || last.full || last.sealed !== null
}

export class ProducerClosedError extends KafkaError {
  constructor(message = 'The producer is closed') {
    super(message)
  }
}

export class Producer<K = RecordData, V = RecordData> {
  readonly #context: ClientContext
  readonly #cluster: Cluster
  readonly #logger: Logger
  readonly #options: ResolvedProducerOptions
  readonly #sticky = new StickyPartitionCache()
  /** Whether the last #choosePartition left the choice to the sticky partitioner (KIP-794 counts only those). */
  #stickyChoice = false
  /** Every partition this producer has written to, for the sender's sweeps. */
  readonly #partitions: PartitionState[] = []
  readonly #statesByTopic = new Map<string, Array<PartitionState | undefined>>()
  readonly #transactions: TransactionManager
  #bufferUsed = 0
  readonly #memoryWaiters: Array<{ bytes: number; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = []
  #drainTimer: NodeJS.Timeout | null = null
  #drainAt = Infinity
  #drainScheduled = false
  #flushing = 0
  #closed = false
  #inFlightBatches = 0
  readonly #nodeInFlight = new Map<number, number>()
  readonly #nodeChains = new Map<number, Promise<void>>()
  #epochBump: Promise<void> | null = null
  #needsEpochBump = false
  readonly #idleWaiters: Array<() => void> = []
  /**
   * sendBatch calls whose records are not all appended yet (they may wait for metadata or buffer memory). A commit
   * waits for them so that every record sent before commitTransaction() is in the transaction; an abort makes them
   * fail instead (#transactionGeneration), so none is written after the transaction ended, under a stale epoch.
   */
  #pendingAppends = 0
  readonly #appendWaiters: Array<() => void> = []
  #transactionGeneration = 0
  #endingTransaction = false
  readonly #keySerializer: ResolvedSerializer | null
  readonly #valueSerializer: ResolvedSerializer | null

  /** Normally created with `kafka.producer(options)`, which infers `K` and `V` from the serializers. */
  constructor(context: ClientContext, options: ProducerOptions = {}) {
    this.#context = context
    this.#cluster = context.cluster
    this.#logger = context.logger
    this.#options = resolveProducerOptions(options)
    this.#keySerializer = resolveSerializer(options.keySerializer, 'key')
    this.#valueSerializer = resolveSerializer(options.valueSerializer, 'value')
    this.#transactions = new TransactionManager(this.#cluster, this.#options, this.#logger)
    this.#transactions.setOnPartitionsAdded(() => this.#scheduleDrain(0))
  }

  /** Bytes of buffer memory held by batches waiting to be sent or acknowledged (at most bufferMemory). */
  get bufferedBytes(): number {
    return this.#bufferUsed
  }

  /**
   * The transaction protocol in use once `initTransactions()` has run: 2 when the cluster finalized
   * `transaction.version` ≥ 2 (KIP-890: partitions join implicitly, every commit/abort bumps the epoch), else 1.
   * Null for a producer without transactions or before initialisation.
   */
  get transactionVersion(): 1 | 2 | null {
    if (!this.#transactions.isTransactional || this.#transactions.producerId < 0n) return null
    return this.#transactions.usesTransactionV2 ? 2 : 1
  }

  /** The options in effect, defaults filled in. */
  get options(): Readonly<ResolvedProducerOptions> {
    return this.#options
  }

  // ---- public API ----

  /**
   * Sends records to one topic; resolves with each record's partition and offset once acknowledged.
   *
   * `options.signal` cancels the call: its promise rejects with `AbortError` at once. Records still waiting to be
   * appended to a batch (for topic metadata, the producer id or buffer memory) are then not sent; records already
   * appended to a batch may still be delivered, since a batch is sent whole (as in Java's and Node's clients).
   */
  send(record: ProducerRecord<K, V>, options?: SendOptions): Promise<RecordMetadata[]> {
    return this.sendBatch([record], options)
  }

  /**
   * Sends records to several topics; resolves in input order once every record is acknowledged. `options.signal`
   * cancels the call as with `send`: records not yet appended are not sent, records already in a batch may be.
   */
  sendBatch(input: Array<ProducerRecord<K, V>>, options?: SendOptions): Promise<RecordMetadata[]> {
    const signal = options?.signal
    let records: WireRecord[]
    try {
      if (signal?.aborted) throw new AbortError(signal.reason)
      if (this.#closed) throw new ProducerClosedError()
      if (this.#endingTransaction) throw new TransactionError('send() while the transaction is being committed or aborted', 'fatal')
      this.#transactions.checkCanSend()
      // A codec whose binding cannot load fails the send here, before its records take buffer memory.
      requireCompression(this.#options.compression)
      // Without serializers K and V are RecordData: the records go on as they are, no copy.
      records = this.#keySerializer === null && this.#valueSerializer === null ? (input as unknown as WireRecord[]) : this.#serialize(input)
    } catch (error) {
      return Promise.reject(error)
    }
    let total = 0
    for (const r of records) total += r.messages.length
    if (total === 0) return Promise.resolve([])
    const generation = this.#transactionGeneration
    this.#pendingAppends++
    // The common case appends every record synchronously inside the executor: no await, no extra promise. Waiting
    // (for the producer id, topic metadata or buffer memory) continues from where the loop stopped.
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      // Only a call with a signal pays for the abort listener; without one, no closure per call.
      const group = signal === undefined ? new SendGroup(total, resolve, reject) : abortableSendGroup(total, resolve, reject, signal)
      let waiting: Promise<void> | null
      try {
        waiting = this.#transactions.needsProducerId()
          ? abortable(this.#transactions.ensureProducerId(), signal).then(() => this.#appendFrom(records, group, generation, 0, 0, 0, signal) ?? undefined)
          : this.#appendFrom(records, group, generation, 0, 0, 0, signal)
      } catch (error) {
        group.fail(asError(error))
        this.#appendDone()
        return
      }
      if (waiting === null) this.#appendDone()
      else waiting.catch((error: unknown) => group.fail(asError(error))).finally(() => this.#appendDone())
    })
  }

  /** Copies of the records with serialized keys and values; a serializer's error fails the whole call before anything is appended. */
  #serialize(input: Array<ProducerRecord<K, V>>): WireRecord[] {
    const keySerializer = this.#keySerializer
    const valueSerializer = this.#valueSerializer
    const out: WireRecord[] = new Array(input.length)
    for (let r = 0; r < input.length; r++) {
      const { topic, messages } = input[r]!
      const serialized: ProducerMessage[] = new Array(messages.length)
      for (let m = 0; m < messages.length; m++) {
        const message = messages[m]!
        const key = message.key
        const value = message.value
        serialized[m] = {
          key: key === undefined || key === null || keySerializer === null ? (key as RecordData | undefined) : keySerializer(key, topic),
          value: value === null || value === undefined || valueSerializer === null ? ((value ?? null) as RecordData) : valueSerializer(value, topic),
          headers: message.headers,
          partition: message.partition,
          timestamp: message.timestamp,
        }
      }
      out[r] = { topic, messages: serialized }
    }
    return out
  }

  #appendDone(): void {
    if (--this.#pendingAppends === 0) for (const waiter of this.#appendWaiters.splice(0)) waiter()
  }

  async #appendsSettled(): Promise<void> {
    while (this.#pendingAppends > 0) await new Promise<void>((resolve) => this.#appendWaiters.push(resolve))
  }

  /** A transactional send must not append once its transaction has started to abort. */
  #checkGeneration(generation: number): void {
    if (this.#transactions.isTransactional && generation !== this.#transactionGeneration) {
      throw new TransactionError('The transaction was aborted before these records were appended', 'abortable')
    }
  }

  /**
   * Sends everything buffered now, and resolves when all of it is acknowledged or failed. `options.signal` stops the
   * waiting (rejecting with `AbortError`); the records go on being sent.
   */
  async flush(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = options?.signal
    if (signal?.aborted) throw new AbortError(signal.reason)
    const pending: Array<Promise<void>> = []
    for (const state of this.#partitions) for (const batch of state.queue) pending.push(batch.done)
    if (pending.length === 0 && this.#inFlightBatches === 0) return
    this.#flushing++
    try {
      this.#scheduleDrain(0)
      await abortable(Promise.all(pending), signal)
      if (this.#inFlightBatches > 0) await abortable(new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), signal)
    } finally {
      this.#flushing--
    }
  }

  /**
   * Flushes within `timeoutMs` (default 30 000), then fails whatever is left with ProducerClosedError and releases
   * the connections this producer used. `options.signal` ends the wait early: the producer closes at once as after
   * the timeout (records not yet acknowledged fail with ProducerClosedError) and the call rejects with `AbortError`.
   */
  async close(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return
    const signal = options.signal
    let outcome: 'flushed' | 'timeout' | 'aborted' = 'aborted'
    if (!signal?.aborted) {
      const timeoutMs = options.timeoutMs ?? 30_000
      let timer: NodeJS.Timeout | undefined
      let onAbort: (() => void) | undefined
      const stopped = new Promise<'timeout' | 'aborted'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
        if (signal) signal.addEventListener('abort', (onAbort = () => resolve('aborted')), { once: true })
      })
      outcome = await Promise.race([this.flush().then(() => 'flushed' as const), stopped])
      clearTimeout(timer)
      if (onAbort) signal!.removeEventListener('abort', onAbort)
      // A concurrent close() finished while this one waited.
      if (this.#closed) return
    }
    this.#closed = true
    if (outcome !== 'flushed') this.#failEverything(new ProducerClosedError('The producer closed before these records were acknowledged'))
    if (this.#drainTimer) clearTimeout(this.#drainTimer)
    for (const waiter of this.#memoryWaiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(new ProducerClosedError())
    }
    this.#context.release()
    if (outcome === 'aborted') throw new AbortError(signal!.reason)
  }

  /** `await using producer = kafka.producer()`: closes the producer (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---- transactions (delegated; see transactions.ts) ----

  /** Registers the transactional id with its coordinator and fences older producers using it. */
  async initTransactions(): Promise<void> {
    await this.#transactions.initTransactions()
    // A new producer id or epoch: every partition's sequence starts again at 0.
    for (const state of this.#partitions) this.#resetSequences(state)
  }

  beginTransaction(): void {
    this.#transactions.beginTransaction()
  }

  /** Commits the consumer's offsets as part of the transaction (consume–transform–produce, exactly once). */
  async sendOffsetsToTransaction(offsets: TopicPartitionOffset[], groupMetadata: GroupMetadata): Promise<void> {
    await this.#transactions.sendOffsetsToTransaction(offsets, groupMetadata)
  }

  async commitTransaction(): Promise<void> {
    if (this.#endingTransaction) throw new TransactionError('commitTransaction() while the transaction is already ending', 'fatal')
    this.#endingTransaction = true
    try {
      // Records of send() calls made before this commit belong to the transaction even if not appended yet.
      await this.#appendsSettled()
      await this.flush()
      await this.#transactions.commitTransaction()
    } finally {
      this.#endingTransaction = false
    }
    this.#afterTransactionEnd()
  }

  async abortTransaction(): Promise<void> {
    if (this.#endingTransaction) throw new TransactionError('abortTransaction() while the transaction is already ending', 'fatal')
    this.#endingTransaction = true
    try {
      // Records not yet sent are dropped: they belong to the aborted transaction. Sends still appending fail too:
      // written after the abort, they would carry an epoch the coordinator has already moved past.
      this.#transactionGeneration++
      this.#failUnsent(new TransactionError('The transaction was aborted before these records were sent', 'abortable'))
      await this.#appendsSettled()
      await this.flush().catch(() => undefined)
      await this.#transactions.abortTransaction()
    } finally {
      this.#endingTransaction = false
    }
    this.#afterTransactionEnd()
  }

  /**
   * Runs `work` in a transaction and returns its result: begins, commits when `work` returns, aborts when it throws
   * and rethrows its error. A commit that fails is aborted too (when the transaction can still be aborted) and its
   * error thrown. An abort that fails is logged; the error that caused it is the one thrown. The `Transaction`
   * handed to `work` refuses calls once `work` has settled, so a stray late send cannot land in a later transaction.
   */
  async transaction<T>(work: (transaction: Transaction<K, V>) => Promise<T>): Promise<T> {
    this.beginTransaction()
    let open = true
    const guard = (): void => {
      if (!open) throw guardError()
    }
    const transaction: Transaction<K, V> = {
      send: (record, options) => (open ? this.send(record, options) : Promise.reject(guardError())),
      sendBatch: (records, options) => (open ? this.sendBatch(records, options) : Promise.reject(guardError())),
      sendOffsets: async ({ consumer, offsets }) => {
        guard()
        const toCommit = offsets ?? consumer.currentOffsets?.()
        if (!Array.isArray(toCommit)) throw new KafkaError('sendOffsets() needs the offsets to commit (the next offset to consume per partition), or a consumer with currentOffsets()')
        await this.sendOffsetsToTransaction(toCommit, consumer.groupMetadata())
      },
      sendOffsetsToTransaction: async (offsets, groupMetadata) => {
        guard()
        await this.sendOffsetsToTransaction(offsets, groupMetadata)
      },
    }
    let result: T
    try {
      result = await work(transaction)
    } catch (error) {
      open = false
      await this.#abortAfter(error)
      throw error
    }
    open = false
    try {
      await this.commitTransaction()
    } catch (error) {
      await this.#abortAfter(error)
      throw error
    }
    return result
  }

  /** Aborts after `cause` ended the transaction, when it can still be aborted; an abort failure is logged, not thrown. */
  async #abortAfter(cause: unknown): Promise<void> {
    if (!this.#transactions.canAbort()) return
    try {
      await this.abortTransaction()
    } catch (abortError) {
      this.#logger.error({ error: abortError, cause }, 'aborting the transaction failed; the transaction coordinator aborts it after transactionTimeoutMs')
    }
  }

  #afterTransactionEnd(): void {
    // Transaction v2 bumps the epoch at every commit/abort; sequences restart with it.
    if (this.#transactions.epochChanged()) for (const state of this.#partitions) this.#resetSequences(state)
  }

  // ---- appending ----

  /**
   * Appends records from `records[recordIndex].messages[messageIndex]` on. Returns null when everything was appended
   * synchronously, or a promise for the rest when it had to wait (metadata, buffer memory).
   */
  #appendFrom(
    records: ProducerRecord[],
    group: SendGroup,
    generation: number,
    recordIndex: number,
    messageIndex: number,
    index: number,
    signal: AbortSignal | undefined,
  ): Promise<void> | null {
    for (; recordIndex < records.length; recordIndex++, messageIndex = 0) {
      // Failed or aborted meanwhile (after a wait): nothing more of this call is appended.
      if (group.settled) return null
      const record = records[recordIndex]!
      const topic = record.topic
      const info = this.#cluster.topic(topic)
      if (!info) {
        const at = recordIndex
        const from = index
        return this.#cluster
          .topics([topic], { signal, timeoutMs: this.#options.maxBlockMs, bound: 'maxBlockMs' })
          .then(() => this.#appendFrom(records, group, generation, at, messageIndex, from, signal) ?? undefined)
      }
      const states = this.#topicStates(topic)
      const messages = record.messages
      for (; messageIndex < messages.length; messageIndex++, index++) {
        if (group.settled) return null
        this.#checkGeneration(generation)
        const message = messages[messageIndex]!
        let partition = this.#choosePartition(topic, info, message)
        // As Java checks before appending: a sticky partition whose batches are all full or gone (sent) moves on
        // once batchSize bytes went to it, so records sent one at a time switch at batchSize too.
        if (this.#stickyChoice && batchesFull(states[partition]?.queue)) {
          partition = this.#sticky.beforeAppend(topic, this.#options.batchSize, info.partitions.length, availablePartitions(info))
        }
        const state = states[partition] ?? this.#newPartitionState(states, topic, partition)
        const wait = this.#append(state, message, group, index, info, generation, signal, this.#stickyChoice)
        if (wait) {
          const at = recordIndex
          const next = messageIndex + 1
          const from = index + 1
          return wait.then(() => this.#appendFrom(records, group, generation, at, next, from, signal) ?? undefined)
        }
      }
    }
    return null
  }

  #choosePartition(topic: string, info: TopicInfo, message: ProducerMessage): number {
    this.#stickyChoice = false
    const count = info.partitions.length
    if (message.partition !== undefined) {
      if (!Number.isInteger(message.partition) || message.partition < 0 || message.partition >= count) {
        throw new KafkaError(`Partition ${message.partition} does not exist in ${topic} (${count} partitions)`)
      }
      return message.partition
    }
    const key = message.key === undefined || message.key === null ? null : typeof message.key === 'string' ? Buffer.from(message.key) : message.key
    if (this.#options.partitioner) {
      const available = info.partitions.filter((p) => p.leader >= 0).map((p) => p.partition)
      const chosen = this.#options.partitioner({ topic, key, partitionCount: count, availablePartitions: available })
      if (chosen !== undefined) {
        if (!Number.isInteger(chosen) || chosen < 0 || chosen >= count) throw new KafkaError(`Partitioner chose invalid partition ${chosen}`)
        return chosen
      }
    }
    if (key !== null) return partitionForKey(key, count)
    this.#stickyChoice = true
    return this.#sticky.partition(topic, count, availablePartitions(info))
  }

  /** Appends one record; returns a promise only when the caller must wait for buffer memory. */
  #append(
    state: PartitionState,
    message: ProducerMessage,
    group: SendGroup,
    index: number,
    info: TopicInfo,
    generation: number,
    signal: AbortSignal | undefined,
    sticky: boolean,
  ): Promise<void> | null {
    const timestamp = message.timestamp === undefined ? Date.now() : Number(message.timestamp)
    const queue = state.queue
    const open = queue.length > 0 ? queue[queue.length - 1]! : null
    if (open && !open.full && open.sealed === null) {
      const before = open.builder.sizeInBytes
      if (open.builder.tryAppend(message.key, message.value, message.headers, timestamp, state.batchLimit) >= 0) {
        this.#recordOwner(open, timestamp, group, index)
        if (open.builder.sizeInBytes >= state.batchLimit) this.#closeBatch(open, info)
        if (sticky) this.#stickyAppended(state, open.builder.sizeInBytes - before, info)
        return null
      }
      this.#closeBatch(open, info)
    }
    const recordSize = RecordBatchBuilder.recordSize(message.key, message.value, message.headers, 0, 0) + 61
    if (recordSize > this.#options.maxRequestSize) {
      throw errorFromCode(RECORD_LIST_TOO_LARGE, `${state.topic}-${state.partition}`, `a record of ${recordSize} bytes exceeds maxRequestSize ${this.#options.maxRequestSize}`)!
    }
    const reserve = Math.max(this.#options.batchSize, recordSize)
    if (this.#bufferUsed + reserve > this.#options.bufferMemory && this.#bufferUsed > 0) {
      return this.#waitForMemory(reserve, signal).then(() => {
        if (group.settled) {
          // The call failed or was aborted while this record waited: it is not appended.
          this.#releaseMemory(reserve)
          return
        }
        try {
          this.#checkGeneration(generation)
        } catch (error) {
          this.#releaseMemory(reserve)
          throw error
        }
        this.#openBatchWith(state, message, timestamp, group, index, reserve, info, sticky)
      })
    }
    this.#bufferUsed += reserve
    this.#openBatchWith(state, message, timestamp, group, index, reserve, info, sticky)
    return null
  }

  /**
   * KIP-794, as Java's BuiltInPartitioner: the sticky partition of unkeyed records moves on once `batchSize` bytes
   * have been produced to it and no batch of it is still open (the last one full, sent or none), or once
   * 2 × `batchSize` bytes have been produced whatever the batches.
   */
  #stickyAppended(state: PartitionState, appendedBytes: number, info: TopicInfo): void {
    this.#sticky.onAppended(state.topic, state.partition, appendedBytes, this.#options.batchSize, batchesFull(state.queue), info.partitions.length, availablePartitions(info))
  }

  #openBatchWith(state: PartitionState, message: ProducerMessage, timestamp: number, group: SendGroup, index: number, reserve: number, info: TopicInfo, sticky: boolean): void {
    const now = Date.now()
    if (state.batchLimit < state.batchSize && now >= state.batchLimitRelaxAt) state.batchLimit = state.batchSize
    const batch = new ProducerBatch(state, now, reserve, this.#options, this.#transactions.isTransactional)
    state.queue.push(batch)
    this.#transactions.onPartitionUsed(state.topic, state.partition)
    batch.builder.tryAppend(message.key, message.value, message.headers, timestamp, Infinity)
    this.#recordOwner(batch, timestamp, group, index)
    if (batch.builder.sizeInBytes >= state.batchLimit) this.#closeBatch(batch, info)
    else this.#scheduleDrain(this.#options.lingerMs)
    // As Java counts a new batch: the record with the batch's header.
    if (sticky) this.#stickyAppended(state, batch.builder.sizeInBytes, info)
  }

  #recordOwner(batch: ProducerBatch, timestamp: number, group: SendGroup, index: number): void {
    batch.owners.push(group)
    batch.ownerIndexes.push(index)
    batch.timestamps.push(timestamp)
  }

  #closeBatch(batch: ProducerBatch, info: TopicInfo): void {
    if (batch.full) return
    batch.full = true
    const state = batch.partitionState
    // With requests already in flight to this partition's leader, the next response sweeps every ready batch into
    // one request; draining now would send this batch alone and use up an in-flight slot.
    const leader = info.partitions[state.partition]?.leader ?? -1
    if ((this.#nodeInFlight.get(leader) ?? 0) === 0) this.#scheduleDrain(0)
  }

  #waitForMemory(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
    this.#scheduleDrain(0)
    return new Promise((resolve, reject) => {
      const waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#memoryWaiters.indexOf(waiter)
          if (i >= 0) this.#memoryWaiters.splice(i, 1)
          waiter.reject(new TimeoutError(`Could not allocate ${bytes} bytes of bufferMemory within maxBlockMs (${this.#options.maxBlockMs} ms)`, { retriable: false }))
        }, this.#options.maxBlockMs),
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          clearTimeout(waiter.timer)
          const i = this.#memoryWaiters.indexOf(waiter)
          if (i >= 0) this.#memoryWaiters.splice(i, 1)
          reject(new AbortError(signal.reason))
          // The waiters behind this one may fit now.
          this.#releaseMemory(0)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        waiter.resolve = () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }
        waiter.reject = (error: Error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        }
      }
      this.#memoryWaiters.push(waiter)
    })
  }

  #releaseMemory(bytes: number): void {
    this.#bufferUsed -= bytes
    while (this.#memoryWaiters.length > 0) {
      const next = this.#memoryWaiters[0]!
      if (this.#bufferUsed + next.bytes > this.#options.bufferMemory && this.#bufferUsed > 0) break
      this.#memoryWaiters.shift()
      clearTimeout(next.timer)
      this.#bufferUsed += next.bytes
      next.resolve()
    }
  }

  /** Partition states of a topic, indexed by partition: one Map lookup per send, not one per record. */
  #topicStates(topic: string): Array<PartitionState | undefined> {
    let states = this.#statesByTopic.get(topic)
    if (!states) {
      states = []
      this.#statesByTopic.set(topic, states)
    }
    return states
  }

  #newPartitionState(states: Array<PartitionState | undefined>, topic: string, partition: number): PartitionState {
    const state = new PartitionState(topic, partition, this.#options.batchSize)
    states[partition] = state
    this.#partitions.push(state)
    return state
  }


  // ---- draining ----

  #scheduleDrain(delayMs: number): void {
    if (delayMs <= 0) {
      if (this.#drainScheduled) return
      this.#drainScheduled = true
      setImmediate(() => {
        this.#drainScheduled = false
        this.#drain()
      })
      return
    }
    const at = Date.now() + delayMs
    if (at >= this.#drainAt) return
    if (this.#drainTimer) clearTimeout(this.#drainTimer)
    this.#drainAt = at
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null
      this.#drainAt = Infinity
      this.#drain()
    }, delayMs)
  }

  #drain(): void {
    if (this.#epochBump || this.#transactions.blocksSending()) return
    if (this.#needsEpochBump) {
      this.#startEpochBump()
      return
    }
    const now = Date.now()
    const linger = this.#options.lingerMs
    // Waiting senders mean buffer memory is exhausted: send what we have rather than wait out linger (as Java does).
    const flushing = this.#flushing > 0 || this.#closed || this.#memoryWaiters.length > 0
    const perNode = new Map<number, ProducerBatch[][]>()
    let wakeAt = Infinity
    let needMetadata = false
    for (const state of this.#partitions) {
      if (state.queue.length === 0) continue
      this.#expireQueued(state, now)
      if (state.retrying && state.inFlight > 0) continue
      const info = this.#cluster.topic(state.topic)?.partitions[state.partition]
      const leader = info?.leader ?? -1
      if (leader < 0 || !this.#cluster.broker(leader)) {
        needMetadata = true
        continue
      }
      if (!this.#transactions.partitionReady(state.topic, state.partition)) continue
      // A broker accepts any first sequence from a producer it has no state for, so until the partition's first
      // batch is acknowledged, a later batch must not overtake it: one batch in flight until then.
      const maxInFlight = state.lastAckedSequence < 0 ? 1 : this.#options.maxInFlightRequestsPerConnection
      const limit = this.#options.idempotent ? maxInFlight - state.inFlight : Infinity
      const idempotent = this.#options.idempotent
      let slot = 0
      let retryInFlight = false
      for (let i = 0; i < state.queue.length && slot < limit; i++) {
        const batch = state.queue[i]!
        if (batch.inFlight) {
          if (batch.attempts > 1) retryInFlight = true
          continue
        }
        // A resent batch may already be written (its answer was lost with a killed leader). Anything sent while it is
        // out could reach a new leader first and push it out of the broker's five-batch duplicate window, and then its
        // retry would be refused as out of sequence. So, as in the Java client, a resend goes alone: only when nothing
        // else of the partition is in flight, and nothing follows it until it is answered.
        if (idempotent && (retryInFlight || (batch.sealed !== null && (state.inFlight > 0 || slot > 0)))) break
        if (batch.sealed === null && state.awaitingPreviousIdentity) break
        if (batch.retryAt > now) {
          wakeAt = Math.min(wakeAt, batch.retryAt)
          break
        }
        const ready = batch.full || i < state.queue.length - 1 || flushing || now - batch.createdAt >= linger
        if (!ready) {
          wakeAt = Math.min(wakeAt, batch.createdAt + linger)
          break
        }
        let slots = perNode.get(leader)
        if (!slots) perNode.set(leader, (slots = []))
        ;(slots[slot] ??= []).push(batch)
        slot++
        if (idempotent && batch.sealed !== null) break
      }
      if (slot > 0) state.retrying = false
    }
    if (needMetadata) {
      void this.#cluster.refreshMetadata([]).catch(() => undefined)
      wakeAt = Math.min(wakeAt, now + this.#options.retryBackoffMs)
    }
    for (const [nodeId, slots] of perNode) {
      // A partition whose batch did not fit in one request must not have its next batch go out ahead of it.
      const heldBack = new Set<PartitionState>()
      for (const slot of slots) {
        const inFlight = this.#nodeInFlight.get(nodeId) ?? 0
        if (inFlight >= this.#options.maxInFlightRequestsPerConnection) break
        const batches = heldBack.size === 0 ? slot : slot.filter((b) => !heldBack.has(b.partitionState))
        if (batches.length === 0) continue
        const taken = this.#limitRequestSize(batches)
        for (let i = taken.length; i < batches.length; i++) heldBack.add(batches[i]!.partitionState)
        this.#sendRequest(nodeId, taken)
      }
    }
    if (wakeAt !== Infinity) this.#scheduleDrain(Math.max(1, wakeAt - Date.now()))
    this.#transactions.requestPartitions()
  }

  /** Keeps a request under maxRequestSize; batches left out go in a later request. */
  #limitRequestSize(batches: ProducerBatch[]): ProducerBatch[] {
    let size = 0
    const taken: ProducerBatch[] = []
    for (const batch of batches) {
      const batchSize = batch.sealed?.length ?? batch.builder.sizeInBytes
      if (taken.length > 0 && size + batchSize > this.#options.maxRequestSize) break
      size += batchSize
      taken.push(batch)
    }
    return taken
  }

  #expireQueued(state: PartitionState, now: number): void {
    for (let i = 0; i < state.queue.length; i++) {
      const batch = state.queue[i]!
      if (batch.inFlight || batch.deadline > now) continue
      state.queue.splice(i--, 1)
      this.#failBatch(batch, new TimeoutError(`Records for ${state.topic}-${state.partition} expired after deliveryTimeoutMs (${this.#options.deliveryTimeoutMs} ms) before they could be sent`, { retriable: false }))
    }
  }

  #sendRequest(nodeId: number, batches: ProducerBatch[]): void {
    const { producerId, producerEpoch } = this.#transactions
    const idempotent = this.#options.idempotent
    let asyncSealing: Array<Promise<void>> | null = null
    for (const batch of batches) {
      batch.inFlight = true
      batch.attempts++
      batch.partitionState.inFlight++
      this.#inFlightBatches++
      if (batch.sealed === null) {
        const state = batch.partitionState
        const drain = idempotent ? { producerId, producerEpoch, baseSequence: state.nextSequence } : {}
        if (idempotent) {
          batch.baseSequence = state.nextSequence
          batch.producerId = producerId
          batch.producerEpoch = producerEpoch
          state.nextSequence = (state.nextSequence + batch.recordCount) % (MAX_SEQUENCE + 1)
        }
        batch.full = true
        if (batch.builder.sizeInBytes >= this.#options.asyncCompressionMinBytes && this.#options.compression !== 'none') {
          ;(asyncSealing ??= []).push(batch.builder.closeAsync(drain).then((bytes) => void (batch.sealed = bytes)))
        } else {
          batch.sealed = batch.builder.close(drain)
        }
      }
    }
    this.#nodeInFlight.set(nodeId, (this.#nodeInFlight.get(nodeId) ?? 0) + 1)
    // Requests to one broker are handed to its connection in drain order even when sealing is asynchronous, so
    // sequence numbers reach the broker in order.
    const previous = this.#nodeChains.get(nodeId) ?? Promise.resolve()
    const link = previous.then(async () => {
      if (asyncSealing) await Promise.all(asyncSealing)
      const connection = await this.#cluster.connectionToNode(nodeId, 'produce')
      return this.#dispatch(connection, batches)
    })
    const written = link.then(
      ({ response }) => response,
      (error: unknown) => Promise.reject(error),
    )
    this.#nodeChains.set(nodeId, link.then(() => undefined, () => undefined))
    written.then(
      (response) => this.#onResponse(nodeId, batches, response, null),
      (error: unknown) => this.#onResponse(nodeId, batches, null, asError(error)),
    )
  }

  /** Enqueues the request on the connection synchronously; the response promise is wrapped so the chain does not wait for it. */
  #dispatch(connection: Connection, batches: ProducerBatch[]): { response: Promise<ProduceResponseShape | null> } {
    const version = connection.versions.require(ApiKeys.Produce, 3)
    const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>()
    // Sealed batches go to the socket as they are (one writev), not copied into the request frame.
    const zeroCopy = new Set<Buffer>()
    for (const batch of batches) {
      const state = batch.partitionState
      let list = byTopic.get(state.topic)
      if (!list) byTopic.set(state.topic, (list = []))
      list.push({ index: state.partition, records: batch.sealed! })
      zeroCopy.add(batch.sealed!)
    }
    const topicData = [...byTopic].map(([name, partitionData]) => {
      const topicId = this.#cluster.topic(name)?.topicId
      return version >= 13 ? { topicId, partitionData } : { name, partitionData }
    })
    const body = {
      transactionalId: this.#transactions.transactionalId,
      acks: this.#options.acks,
      timeoutMs: this.#options.requestTimeoutMs,
      topicData,
    }
    const expectResponse = this.#options.acks !== 0
    const response = connection.send(apis[ApiKeys.Produce], body as never, {
      version,
      expectResponse,
      timeoutMs: this.#options.requestTimeoutMs,
      zeroCopy,
    }) as Promise<ProduceResponseShape | undefined>
    return { response: response.then((r) => r ?? null) }
  }

  #onResponse(nodeId: number, batches: ProducerBatch[], response: ProduceResponseShape | null, error: Error | null): void {
    this.#nodeInFlight.set(nodeId, Math.max(0, (this.#nodeInFlight.get(nodeId) ?? 1) - 1))
    const results = new Map<string, ProducePartitionResponseShape>()
    // Partitions whose new leader the response named (KIP-951): retried there without a metadata refresh.
    let hinted: Set<string> | undefined
    if (response) {
      for (const topic of response.responses) {
        const name = topic.name || (topic.topicId ? this.#cluster.topicNameById(topic.topicId) : undefined) || ''
        for (const p of topic.partitionResponses) results.set(`${name}\u0000${p.index}`, p)
        for (const p of topic.partitionResponses) {
          const hint = p.currentLeader
          if (p.errorCode === 0 || !hint || hint.leaderId < 0) continue
          const endpoint = response.nodeEndpoints?.find((n) => n.nodeId === hint.leaderId)
          if (this.#cluster.applyLeaderHint(name, p.index, hint.leaderId, hint.leaderEpoch, endpoint && { ...endpoint, rack: endpoint.rack ?? null })) {
            hinted ??= new Set()
            hinted.add(`${name}\u0000${p.index}`)
          }
        }
      }
    }
    for (const batch of batches) {
      const state = batch.partitionState
      batch.inFlight = false
      state.inFlight--
      this.#inFlightBatches--
      if (error) {
        this.#retryOrFail(batch, error)
        continue
      }
      if (this.#options.acks === 0) {
        this.#completeBatch(batch, -1n, -1n)
        continue
      }
      const result = results.get(`${state.topic}\u0000${state.partition}`)
      if (!result) {
        this.#retryOrFail(batch, new KafkaError(`Produce response lacks ${state.topic}-${state.partition}`, { retriable: true }))
        continue
      }
      const code = result.errorCode
      if (code === 0 || code === DUPLICATE_SEQUENCE_NUMBER) {
        this.#completeBatch(batch, result.baseOffset, result.logAppendTimeMs ?? -1n)
        continue
      }
      const protocolError = errorFromCode(code, `${state.topic}-${state.partition}`, result.errorMessage ?? null)!
      this.#handleBatchError(batch, protocolError, hinted?.has(`${state.topic}\u0000${state.partition}`) ?? false)
    }
    if (this.#inFlightBatches === 0) for (const waiter of this.#idleWaiters.splice(0)) waiter()
    this.#scheduleDrain(0)
  }

  #handleBatchError(batch: ProducerBatch, error: KafkaProtocolError, leaderHinted: boolean): void {
    const state = batch.partitionState
    const code = error.code
    if (this.#options.idempotent && (code === OUT_OF_ORDER_SEQUENCE_NUMBER || code === UNKNOWN_PRODUCER_ID)) {
      batch.retryAt = Date.now() + this.#options.retryBackoffMs
      if (state.queue.some((other) => other !== batch && !other.settled && other.baseSequence >= 0 && sequenceBefore(other, batch))) {
        // An earlier batch of this partition is waiting to be resent: this one was refused only because it came too soon.
        this.#requeue(batch)
        return
      }
      if (this.#transactions.isTransactional) {
        this.#transactions.markAbortable(error)
        this.#failBatch(batch, error)
        return
      }
      // The broker has no usable sequence state for us (expired producer state, or a gap we cannot fill):
      // bump the epoch and resend every unacknowledged batch from sequence 0 (KIP-360).
      this.#logger.warn(
        {
          topic: state.topic,
          partition: state.partition,
          error: error.errorName,
          baseSequence: batch.baseSequence,
          attempts: batch.attempts,
          lastAckedSequence: state.lastAckedSequence,
          queued: state.queue.map((b) => b.baseSequence),
        },
        'resetting producer sequence with an epoch bump',
      )
      state.resetOnEpochBump = true
      this.#needsEpochBump = true
      this.#requeue(batch)
      return
    }
    if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
      this.#transactions.markFatal(error)
      this.#failEverything(error)
      return
    }
    if (code === MESSAGE_TOO_LARGE) {
      if (batch.recordCount > 1 && this.#splitAndRequeue(batch, error)) return
      this.#failBatch(batch, error)
      this.#closeSequenceGap(batch)
      // As in Java, a transaction that lost records must not commit: the application has to abort it.
      if (this.#transactions.isTransactional) this.#transactions.markAbortable(error)
      return
    }
    if (leaderHinted && isRetriable(error) && Date.now() < batch.deadline && !this.#closed) {
      // The response named the new leader and the cache already has it: resend there at once, no metadata refresh.
      this.#requeue(batch)
      return
    }
    this.#retryOrFail(batch, error)
  }

  /**
   * KIP-126, as the Java producer does: a batch of several records that the broker refused as MESSAGE_TOO_LARGE (the
   * topic's max.message.bytes is below batchSize, was lowered, or compression did not shrink the records) is cut into
   * batches of at most half its size, which take its place in the partition's queue, and the topic's later batches
   * close at that size too (PartitionState.batchLimit). A piece that is still too large is split again; a single
   * record that is too large fails alone (#closeSequenceGap).
   *
   * The broker refused the batch, so none of it is written and its sequence numbers are still the next the broker
   * expects. The pieces take over that range in order (the first piece the batch's base sequence, each next one
   * after the previous piece's last record), so batches already numbered after it stay valid: those in flight come
   * back OUT_OF_ORDER_SEQUENCE_NUMBER and are requeued behind the pieces (#handleBatchError). The pieces are sealed
   * here with that numbering, and sealed batches are sent one at a time in sequence order, like resends.
   */
  #splitAndRequeue(batch: ProducerBatch, error: KafkaProtocolError): boolean {
    if (batch.settled || batch.sealed === null) return false
    let records: KafkaRecord[]
    try {
      records = decodeRecordBatches(batch.sealed, { verifyCrc: false }).batches[0]?.records ?? []
    } catch {
      return false
    }
    if (records.length !== batch.recordCount) return false
    const state = batch.partitionState
    // Half the records plus a batch header each: every refusal at least halves what is retried, so splitting ends.
    // A limit already learned from an earlier refusal on this topic saves the refusals in between.
    const halfSize = RECORDS + Math.ceil((batch.builder.sizeInBytes - RECORDS) / 2)
    const pieceLimit = Math.min(halfSize, state.batchLimit)
    const transactional = this.#transactions.isTransactional
    const pieces: ProducerBatch[] = []
    let piece: ProducerBatch | null = null
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const timestamp = batch.timestamps[i]!
      if (piece === null || piece.builder.tryAppend(record.key, record.value, record.headers, timestamp, pieceLimit) < 0) {
        piece = new ProducerBatch(state, batch.createdAt, pieceLimit, this.#options, transactional)
        piece.builder.tryAppend(record.key, record.value, record.headers, timestamp, Infinity)
        piece.full = true
        pieces.push(piece)
      }
      this.#recordOwner(piece, timestamp, batch.owners[i]!, batch.ownerIndexes[i]!)
    }

    // The refused batch's buffer memory passes to the pieces, and it counts as done (for flush and commit) only
    // once every piece is settled.
    const share = Math.floor(batch.reservedBytes / pieces.length)
    for (const p of pieces) p.reservedBytes = share
    pieces[0]!.reservedBytes += batch.reservedBytes - share * pieces.length
    batch.settled = true
    const refusedDone = batch.resolveDone // not the batch itself: its buffers can go while the pieces are out
    void Promise.all(pieces.map((p) => p.done)).then(refusedDone)

    let sequence = batch.baseSequence
    if (sequence >= 0) {
      for (const p of pieces) {
        p.baseSequence = sequence
        p.producerId = batch.producerId
        p.producerEpoch = batch.producerEpoch
        // Synchronous compression: splitting is rare, and an unsealed piece would be numbered anew when sent.
        p.sealed = p.builder.close({ producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: sequence })
        sequence = (sequence + p.recordCount) % (MAX_SEQUENCE + 1)
      }
    }
    const queue = state.queue
    const at = queue.indexOf(batch)
    if (at >= 0) queue.splice(at, 1)
    let insertAt = 0
    while (insertAt < queue.length && queue[insertAt]!.sealed !== null && sequenceBefore(queue[insertAt]!, pieces[0]!)) insertAt++
    queue.splice(insertAt, 0, ...pieces)
    if (this.#options.idempotent) state.retrying = true

    const relaxAt = Date.now() + LEARNED_BATCH_LIMIT_MS
    for (const other of this.#statesByTopic.get(state.topic) ?? []) {
      if (!other || other.batchLimit <= pieceLimit) continue
      other.batchLimit = pieceLimit
      other.batchLimitRelaxAt = relaxAt
    }
    this.#logger.warn(
      {
        topic: state.topic,
        partition: state.partition,
        records: batch.recordCount,
        bytes: batch.sealed.length,
        pieces: pieces.length,
        pieceLimit,
        baseSequence: batch.baseSequence,
        error: error.message,
      },
      'splitting a batch the broker refused as too large',
    )
    return true
  }

  /**
   * The broker refused `failed` without writing any of it, so its sequence numbers are a gap the broker would never
   * see filled: the partition's later batches move down to close it, as the Java producer does, and need no epoch
   * bump. Only while none of them is on the wire (a batch being sent cannot be renumbered) and all carry the current
   * producer identity; otherwise the broker refuses them as out of order and #handleBatchError bumps the epoch.
   * Splitting sends its pieces one at a time, so a piece that is a single oversized record always closes its gap here.
   */
  #closeSequenceGap(failed: ProducerBatch): void {
    const { producerId, producerEpoch } = this.#transactions
    if (failed.baseSequence < 0 || failed.producerId !== producerId || failed.producerEpoch !== producerEpoch) return
    const state = failed.partitionState
    const later = state.queue.filter((b) => b.sealed !== null && sequenceBefore(failed, b))
    if (later.some((b) => b.inFlight || b.producerId !== producerId || b.producerEpoch !== producerEpoch)) return
    const gap = failed.recordCount
    for (const batch of later) {
      batch.baseSequence = (batch.baseSequence - gap + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1)
      resealRecordBatch(batch.sealed!, producerId, producerEpoch, batch.baseSequence)
    }
    state.nextSequence = (state.nextSequence - gap + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1)
  }

  #retryOrFail(batch: ProducerBatch, error: Error): void {
    const now = Date.now()
    if (isRetriable(error) && now < batch.deadline && !this.#closed) {
      this.#logger.debug(
        { topic: batch.partitionState.topic, partition: batch.partitionState.partition, baseSequence: batch.baseSequence, attempts: batch.attempts, error: error.message },
        'retrying a produce batch',
      )
      if (error instanceof KafkaError) this.#cluster.handleRetriableError(error, { kind: 'leader', topic: batch.partitionState.topic, partition: batch.partitionState.partition })
      batch.retryAt = now + backoffDelayMs(batch.attempts - 1, { initialBackoffMs: this.#options.retryBackoffMs, maxBackoffMs: this.#options.retryBackoffMaxMs })
      this.#requeue(batch)
      return
    }
    const reason =
      isRetriable(error) && now >= batch.deadline
        ? new TimeoutError(`Records for ${batch.partitionState.topic}-${batch.partitionState.partition} were not acknowledged within deliveryTimeoutMs`, { cause: error, retriable: false })
        : error
    this.#failBatch(batch, reason)
    // A sealed idempotent batch that failed for good is unresolved: it may have been written (only its answer was
    // lost). Nothing is renumbered on a guess: the partition carries on with the next sequences. If the batch was
    // written they are in order; if not, the broker refuses the next batch with OUT_OF_ORDER_SEQUENCE_NUMBER, which
    // proves the gap and triggers the epoch bump in #handleBatchError (renumbering only refused batches).
    if (this.#transactions.isTransactional) this.#transactions.markAbortable(reason)
  }

  /** Puts a batch back for another attempt, keeping the partition's sealed batches in sequence order. */
  #requeue(batch: ProducerBatch): void {
    const state = batch.partitionState
    if (this.#options.idempotent) state.retrying = true
    const queue = state.queue
    const at = queue.indexOf(batch)
    if (at >= 0) queue.splice(at, 1)
    let i = 0
    while (i < queue.length && queue[i]!.sealed !== null && sequenceBefore(queue[i]!, batch)) i++
    queue.splice(i, 0, batch)
  }

  #completeBatch(batch: ProducerBatch, baseOffset: bigint, logAppendTime: bigint): void {
    const state = batch.partitionState
    const at = state.queue.indexOf(batch)
    if (at >= 0) state.queue.splice(at, 1)
    if (batch.baseSequence >= 0) state.lastAckedSequence = (batch.baseSequence + batch.recordCount - 1) % (MAX_SEQUENCE + 1)
    this.#maybeAdoptNewIdentity(state)
    if (this.#settleBatch(batch) && channels.produce.hasSubscribers) this.#publishSettled(batch, baseOffset, undefined)
    const appendTime = logAppendTime >= 0n ? Number(logAppendTime) : -1
    for (let i = 0; i < batch.owners.length; i++) {
      const group = batch.owners[i]!
      if (group.settled) continue
      group.results[batch.ownerIndexes[i]!] = {
        topic: state.topic,
        partition: state.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: appendTime >= 0 ? appendTime : batch.timestamps[i]!,
      }
      if (--group.remaining === 0) {
        group.settled = true
        group.resolve(group.results)
      }
    }
  }

  #failBatch(batch: ProducerBatch, error: Error): void {
    const state = batch.partitionState
    const at = state.queue.indexOf(batch)
    if (at >= 0) state.queue.splice(at, 1)
    this.#maybeAdoptNewIdentity(state)
    if (this.#settleBatch(batch) && channels.produce.hasSubscribers) this.#publishSettled(batch, undefined, error)
    for (const group of batch.owners) group.fail(error)
  }

  /** True when this call settled the batch (a batch settles once, however many paths reach it). */
  #settleBatch(batch: ProducerBatch): boolean {
    if (batch.settled) return false
    batch.settled = true
    this.#releaseMemory(batch.reservedBytes)
    batch.resolveDone()
    return true
  }

  #publishSettled(batch: ProducerBatch, baseOffset: bigint | undefined, error: Error | undefined): void {
    const state = batch.partitionState
    const event: ProduceChannelEvent = {
      clientId: this.#context.clientId,
      topic: state.topic,
      partition: state.partition,
      records: batch.recordCount,
      bytes: batch.sealed?.length ?? batch.builder.sizeInBytes,
      durationMs: Date.now() - batch.createdAt,
    }
    if (baseOffset !== undefined) event.baseOffset = baseOffset
    if (error !== undefined) event.error = error
    channels.produce.publish(event)
  }

  #failUnsent(error: Error): void {
    for (const state of this.#partitions) {
      for (const batch of [...state.queue]) if (!batch.inFlight && batch.sealed === null) this.#failBatch(batch, error)
    }
  }

  #failEverything(error: Error): void {
    for (const state of this.#partitions) {
      for (const batch of [...state.queue]) this.#failBatch(batch, error)
    }
  }

  #resetSequences(state: PartitionState): void {
    state.nextSequence = 0
    state.lastAckedSequence = -1
  }

  /** KIP-360: with nothing in flight, get a new epoch and renumber every unacknowledged batch from sequence 0. */
  /** The last batch sent under the previous producer identity is settled: new batches start the new sequence. */
  #maybeAdoptNewIdentity(state: PartitionState): void {
    if (!state.awaitingPreviousIdentity) return
    // New batches are not sealed while the flag is set, so every sealed batch left is one of the previous identity.
    if (state.queue.some((b) => b.sealed !== null)) return
    state.awaitingPreviousIdentity = false
    this.#resetSequences(state)
    this.#scheduleDrain(0)
  }

  /**
   * KIP-360: with nothing in flight, get a new epoch (a non-transactional producer gets a new producer id). Only the
   * partitions whose broker sequence state is gone (resetOnEpochBump) renumber their unacknowledged batches from
   * sequence 0: the broker has refused them, so they cannot be written yet. Elsewhere a sealed batch whose last attempt
   * ended without an answer (a killed leader, a timeout) may well be written; renumbered, the broker could not
   * recognise it as a retry and would store it twice. Those are retried unchanged, and their partition switches to the
   * new identity once they are settled (awaitingPreviousIdentity).
   */
  #startEpochBump(): void {
    if (this.#epochBump) return
    this.#epochBump = (async () => {
      while (this.#inFlightBatches > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
      this.#needsEpochBump = false
      await this.#transactions.bumpEpoch()
      const { producerId, producerEpoch } = this.#transactions
      for (const state of this.#partitions) {
        state.retrying = false
        const pending = state.queue.some((b) => b.sealed !== null)
        if (!state.resetOnEpochBump) {
          if (pending) state.awaitingPreviousIdentity = true
          else this.#resetSequences(state)
          continue
        }
        state.resetOnEpochBump = false
        state.awaitingPreviousIdentity = false
        this.#resetSequences(state)
        for (const batch of state.queue) {
          if (batch.sealed === null) continue
          batch.baseSequence = state.nextSequence
          batch.producerId = producerId
          batch.producerEpoch = producerEpoch
          resealRecordBatch(batch.sealed, producerId, producerEpoch, batch.baseSequence)
          state.nextSequence = (state.nextSequence + batch.recordCount) % (MAX_SEQUENCE + 1)
        }
      }
    })()
      .catch((error: unknown) => {
        this.#logger.error({ error }, 'producer epoch bump failed')
        this.#failEverything(asError(error))
      })
      .finally(() => {
        this.#epochBump = null
        this.#scheduleDrain(0)
      })
  }
}

interface ProducePartitionResponseShape {
  index: number
  errorCode: number
  baseOffset: bigint
  logAppendTimeMs?: bigint
  errorMessage?: string | null
  currentLeader?: { leaderId: number; leaderEpoch: number }
}

interface ProduceResponseShape {
  responses: Array<{ name?: string; topicId?: string; partitionResponses: ProducePartitionResponseShape[] }>
  nodeEndpoints?: Array<{ nodeId: number; host: string; port: number; rack?: string | null }>
}

function sequenceBefore(a: ProducerBatch, b: ProducerBatch): boolean {
  if (a.baseSequence < 0) return false
  if (b.baseSequence < 0) return true
  return a.baseSequence < b.baseSequence
}

function availablePartitions(info: TopicInfo): number[] {
  const out: number[] = []
  for (const p of info.partitions) if (p.leader >= 0) out.push(p.partition)
  return out
}

type WireRecord = ProducerRecord<RecordData, RecordData>

/** A SendGroup that fails with AbortError when `signal` fires, and stops listening once settled. */
function abortableSendGroup(
  count: number,
  resolve: (results: RecordMetadata[]) => void,
  reject: (error: Error) => void,
  signal: AbortSignal,
): SendGroup {
  const onAbort = (): void => group.fail(new AbortError(signal.reason))
  const group = new SendGroup(
    count,
    (results) => {
      signal.removeEventListener('abort', onAbort)
      resolve(results)
    },
    (error) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    },
  )
  signal.addEventListener('abort', onAbort, { once: true })
  return group
}

function guardError(): KafkaError {
  return new KafkaError('This Transaction is over: its transaction() callback has already settled')
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new KafkaError(String(error))
}

