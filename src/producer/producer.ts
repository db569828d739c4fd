/**
 * The producer's public face: `send`/`sendBatch` serialize records and hand them to the accumulator
 * (accumulator.ts: partitions, batches, buffer memory), whose ready batches the sender (sender.ts) writes as one
 * Produce request per leader broker; `flush`/`close` wait for both; transactions are delegated to the transaction
 * manager (transactions.ts), with the glue that keeps a transaction's records inside it (a commit waits for sends
 * still appending, an abort fails them). Sequence numbering under idempotence is sequences.ts.
 */
import { AbortError, KafkaError, TelemetryDisabledError } from '../errors.js'
import { abortable } from '../network/abort.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import { type ProducerSendContext, tracingChannels } from '../network/instrumentation.js'
import { type ClientLogger, clientLogger } from '../network/logging.js'
import { type MetricSnapshot, MetricsRegistry } from '../network/metrics.js'
import { ClientTelemetry } from '../network/telemetry.js'
import type { HeaderInput, RecordData } from '../records/index.js'
import { compressionAvailable, requireCompression } from '../records/compression.js'
import { preloadCrc32c } from '../records/crc32c.js'
import type { ClientContext } from '../kafka.js'
import { RecordAccumulator, type WireRecord } from './accumulator.js'
import { abortableSendGroup, type RecordMetadata, SendGroup } from './batch.js'
import { ProducerMetrics } from './metrics.js'
import { type ProducerOptions, resolveProducerOptions, type ResolvedProducerOptions } from './options.js'
import { resetSequences } from './sequences.js'
import { asError, type ProducerCluster, Sender } from './sender.js'
import { checkMessageFields, checkRecordList } from './validate.js'
import { resolveSerializer, type ResolvedSerializer } from './serializers.js'
import { TransactionError, TransactionManager, type GroupMetadata, type TopicPartitionOffset } from './transactions.js'

export type { RecordMetadata } from './batch.js'

/** What a producer is built from: `ClientContext` with the narrower cluster view the producer needs. */
export type ProducerContext = Omit<ClientContext, 'cluster' | 'clock'> & { cluster: ProducerCluster }

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


/** Copies of the records whose messages carry `added` too, replacing headers of the same name. */
function withHeaders<K, V>(input: Array<ProducerRecord<K, V>>, added: Record<string, string | Buffer>): Array<ProducerRecord<K, V>> {
  const names = new Set(Object.keys(added))
  return input.map((record) => ({
    topic: record.topic,
    messages: record.messages.map((message) => {
      const own = message.headers === undefined ? [] : Array.isArray(message.headers) ? message.headers : Object.entries(message.headers)
      const headers: Array<readonly [string, RecordData]> = []
      for (const header of own as ReadonlyArray<readonly [string, RecordData]>) if (!names.has(header[0])) headers.push(header)
      for (const name of names) headers.push([name, added[name]!])
      return { ...message, headers }
    }),
  }))
}

export class ProducerClosedError extends KafkaError {
  constructor(message = 'The producer is closed') {
    super(message)
  }
}

export class Producer<K = RecordData, V = RecordData> {
  readonly #context: ProducerContext
  readonly #clock: Clock
  readonly #logger: ClientLogger
  readonly #options: ResolvedProducerOptions
  readonly #transactions: TransactionManager
  readonly #accumulator: RecordAccumulator
  readonly #sender: Sender
  readonly #metrics: ProducerMetrics | null
  /** KIP-714 metrics push; null with enableMetricsPush false. */
  readonly #telemetry: ClientTelemetry | null
  /**
   * sendBatch calls whose records are not all appended yet (they may wait for metadata or buffer memory). A commit
   * waits for them so that every record sent before commitTransaction() is in the transaction; an abort makes them
   * fail instead (#transactionGeneration), so none is written after the transaction ended, under a stale epoch.
   */
  #pendingAppends = 0
  /** The sendBatch calls of #pendingAppends that had to wait, for flush() to wait on those made before it. */
  readonly #appending = new Set<Promise<void>>()
  readonly #appendWaiters: Array<() => void> = []
  #transactionGeneration = 0
  #endingTransaction = false
  readonly #keySerializer: ResolvedSerializer | null
  readonly #valueSerializer: ResolvedSerializer | null

  /** Normally created with `kafka.producer(options)`, which infers `K` and `V` from the serializers. */
  constructor(context: ProducerContext, options: ProducerOptions = {}) {
    this.#context = context
    this.#clock = context.cluster.clock
    this.#options = resolveProducerOptions(options)
    const transactionalId = this.#options.transactionalId
    this.#logger = clientLogger(context.logger).child(transactionalId ? { client: 'producer', transactionalId } : { client: 'producer' })
    this.#keySerializer = resolveSerializer(options.keySerializer, 'key')
    this.#valueSerializer = resolveSerializer(options.valueSerializer, 'value')
    this.#transactions = new TransactionManager(context.cluster, this.#options, this.#logger)
    this.#accumulator = new RecordAccumulator(context.cluster, this.#options, this.#transactions, {
      wakeup: (delayMs) => this.#sender.wakeup(delayMs),
      inFlightTo: (nodeId) => this.#sender.inFlightTo(nodeId),
      checkGeneration: (generation) => this.#checkGeneration(generation),
      memoryWaited: (ns) => this.#metrics?.memoryWaited(ns, this.#clock.now()),
    })
    this.#metrics = context.cluster.networkMetrics
      ? new ProducerMetrics(new MetricsRegistry(this.#clock), context.clientId, context.cluster.networkMetrics, {
          available: () => this.#options.bufferMemory - this.#accumulator.bufferedBytes,
          total: this.#options.bufferMemory,
        })
      : null
    this.#sender = new Sender(context.cluster, this.#options, this.#accumulator, this.#transactions, this.#logger, context.clientId, this.#metrics)
    this.#transactions.setOnPartitionsAdded(() => this.#sender.wakeup(0))
    const metrics = this.#metrics
    const cluster = context.cluster
    this.#telemetry =
      this.#options.enableMetricsPush && metrics && cluster.backgroundConnection
        ? new ClientTelemetry({
            clock: this.#clock,
            logger: this.#logger,
            connection: (signal) => cluster.backgroundConnection!('default', signal),
            connect: (signal) => cluster.connectionFor({ kind: 'any' }, 'default', signal),
            metrics: () => metrics.registry.points(),
            // Java's producer adds its transactional.id to the telemetry resource.
            resource: (): Record<string, string> => (transactionalId === null ? {} : { transactional_id: transactionalId }),
            requestTimeoutMs: this.#options.requestTimeoutMs,
          })
        : null
    this.#telemetry?.start()
    // Native bindings load here rather than in the middle of the first batches (see preloadCrc32c); a codec that
    // cannot load still fails the first send, as documented.
    preloadCrc32c()
    compressionAvailable(this.#options.compression)
  }

  /**
   * The producer's metrics as of now, named as the Java producer's (`producer-metrics`, `producer-topic-metrics`,
   * `producer-node-metrics`); see docs/observability.md. Connection and request counts cover every client of the
   * same `Kafka` (they share its connections).
   */
  metrics(): MetricSnapshot[] {
    return this.#metrics?.registry.snapshot() ?? []
  }

  /**
   * The id the brokers gave this producer for client metrics push (KIP-714), as its base64url uuid string: the one
   * a broker's client-telemetry plugin sees. Resolves once the first GetTelemetrySubscriptions is answered; null when
   * the brokers do not support client telemetry (no telemetry plugin) or refused it; TimeoutError after `timeoutMs`
   * (default 60 000). Rejects with TelemetryDisabledError when `enableMetricsPush` is false (Java throws too).
   */
  async clientInstanceId(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string | null> {
    if (!this.#telemetry) throw new TelemetryDisabledError()
    return this.#telemetry.clientInstanceId(options)
  }

  /** Bytes of buffer memory held by batches waiting to be sent or acknowledged (at most bufferMemory). */
  get bufferedBytes(): number {
    return this.#accumulator.bufferedBytes
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
    if (!tracingChannels.producerSend.hasSubscribers) return this.#sendBatch(input, options)
    return this.#tracedSendBatch(input, options)
  }

  /**
   * sendBatch published on samsa:producer:send. The call runs inside the channel's bound stores (tracePromise), so
   * a tracer's send span is the active context for whatever the call does; headers a subscriber adds at `start` go
   * on copies of the messages.
   */
  #tracedSendBatch(input: Array<ProducerRecord<K, V>>, options: SendOptions | undefined): Promise<RecordMetadata[]> {
    let messageCount = 0
    for (const record of input) messageCount += record.messages?.length ?? 0
    const context: ProducerSendContext = {
      clientId: this.#context.clientId,
      transactionalId: this.#options.transactionalId,
      records: input,
      messageCount,
      headers: {},
    }
    return tracingChannels.producerSend.tracePromise(
      () => this.#sendBatch(Object.keys(context.headers).length === 0 ? input : withHeaders(input, context.headers), options),
      context,
    )
  }

  #sendBatch(input: Array<ProducerRecord<K, V>>, options?: SendOptions): Promise<RecordMetadata[]> {
    const signal = options?.signal
    let records: WireRecord[]
    let total: number
    try {
      if (signal?.aborted) throw new AbortError(signal.reason)
      if (this.#sender.closed) throw new ProducerClosedError()
      if (this.#endingTransaction) throw new TransactionError('send() while the transaction is being committed or aborted', 'fatal')
      this.#transactions.checkCanSend()
      // A codec whose binding cannot load fails the send here, before its records take buffer memory.
      requireCompression(this.#options.compression)
      // Without serializers K and V are RecordData: the records go on as they are, no copy.
      total = checkRecordList(input)
      records = this.#keySerializer === null && this.#valueSerializer === null ? (input as unknown as WireRecord[]) : this.#serialize(input)
      checkMessageFields(records)
    } catch (error) {
      return Promise.reject(error)
    }
    if (total === 0) return Promise.resolve([])
    const generation = this.#transactionGeneration
    this.#pendingAppends++
    // The common case appends every record synchronously, right here: no await, no extra promise, no closure (nor
    // a closure's context, which V8 would allocate on entry: the waiting paths' closures live in #appendLater).
    // Waiting (for the producer id, topic metadata or buffer memory) continues from where the loop stopped.
    const group = signal === undefined ? new SendGroup(total) : abortableSendGroup(total, signal)
    const promise = group.promise()
    let waiting: Promise<void> | null
    try {
      waiting = this.#transactions.needsProducerId()
        ? this.#appendWithProducerId(records, group, generation, signal)
        : this.#accumulator.append(records, group, generation, 0, 0, 0, signal)
    } catch (error) {
      group.fail(asError(error))
      this.#appendDone()
      return promise
    }
    if (waiting === null) this.#appendDone()
    else this.#appendLater(waiting, group)
    return promise
  }

  #appendWithProducerId(records: WireRecord[], group: SendGroup, generation: number, signal: AbortSignal | undefined): Promise<void> {
    return abortable(this.#transactions.ensureProducerId(), signal).then(() => this.#accumulator.append(records, group, generation, 0, 0, 0, signal) ?? undefined)
  }

  /** A send whose records wait to be appended: its failure fails the call; flush() and commits wait for it. */
  #appendLater(waiting: Promise<void>, group: SendGroup): void {
    const appending: Promise<void> = waiting
      .catch((error: unknown) => group.fail(asError(error)))
      .finally(() => {
        this.#appending.delete(appending)
        this.#appendDone()
      })
    this.#appending.add(appending)
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
    // Checked first: splice(0) allocates an array, and this runs once per send() that appends at once.
    if (--this.#pendingAppends === 0 && this.#appendWaiters.length > 0) for (const waiter of this.#appendWaiters.splice(0)) waiter()
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
    this.#sender.flushing++
    try {
      // Records of send() calls made before this flush count even while they wait to be appended (for the producer
      // id, metadata or memory), as Java's send() has appended its record by the time it returns.
      if (this.#appending.size > 0) await abortable(Promise.all([...this.#appending]), signal)
      const pending: Array<Promise<void>> = []
      for (const state of this.#accumulator.partitions) for (const batch of state.queue) pending.push(batch.done)
      if (pending.length === 0 && this.#sender.inFlightBatches === 0) return
      this.#sender.wakeup(0)
      await abortable(Promise.all(pending), signal)
      if (this.#sender.inFlightBatches > 0) await abortable(this.#sender.idle(), signal)
    } finally {
      this.#sender.flushing--
    }
  }

  /**
   * Flushes within `timeoutMs` (default 30 000), then fails whatever is left with ProducerClosedError and releases
   * the connections this producer used. `options.signal` ends the wait early: the producer closes at once as after
   * the timeout (records not yet acknowledged fail with ProducerClosedError) and the call rejects with `AbortError`.
   */
  async close(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#sender.closed) return
    const signal = options.signal
    let outcome: 'flushed' | 'timeout' | 'aborted' = 'aborted'
    const timeoutMs = options.timeoutMs ?? 30_000
    const deadline = this.#clock.now() + timeoutMs
    if (!signal?.aborted) {
      let timer: ClockTimer | undefined
      let onAbort: (() => void) | undefined
      const stopped = new Promise<'timeout' | 'aborted'>((resolve) => {
        timer = this.#clock.setTimeout(() => resolve('timeout'), timeoutMs)
        if (signal) signal.addEventListener('abort', (onAbort = () => resolve('aborted')), { once: true })
      })
      outcome = await Promise.race([this.flush().then(() => 'flushed' as const), stopped])
      this.#clock.clearTimeout(timer)
      if (onAbort) signal!.removeEventListener('abort', onAbort)
      // A concurrent close() finished while this one waited.
      if (this.#sender.closed) return
    }
    this.#sender.closed = true
    if (outcome !== 'flushed') this.#sender.failEverything(new ProducerClosedError('The producer closed before these records were acknowledged'))
    this.#sender.stop()
    this.#accumulator.failMemoryWaiters(new ProducerClosedError())
    // The last metrics push (Terminating) gets what is left of the close timeout; an aborted close skips it.
    await this.#telemetry?.close({ timeoutMs: outcome === 'aborted' ? 0 : Math.max(0, deadline - this.#clock.now()) })
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
    for (const state of this.#accumulator.partitions) resetSequences(state)
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
      this.#sender.failUnsent(new TransactionError('The transaction was aborted before these records were sent', 'abortable'))
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
      this.#logger.error({ err: abortError, transactionError: cause instanceof Error ? cause.message : String(cause) }, 'aborting the transaction failed; the transaction coordinator aborts it after transactionTimeoutMs')
    }
  }

  #afterTransactionEnd(): void {
    // Transaction v2 bumps the epoch at every commit/abort; sequences restart with it.
    if (this.#transactions.epochChanged()) for (const state of this.#accumulator.partitions) resetSequences(state)
  }
}

function guardError(): KafkaError {
  return new KafkaError('This Transaction is over: its transaction() callback has already settled')
}

