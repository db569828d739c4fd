/**
 * Producer identity and transactions: InitProducerId (idempotence and transactions), epoch bumps (KIP-360),
 * AddPartitionsToTxn batching (transaction v1), offsets in transactions, EndTxn, and transaction v2 (KIP-890) when
 * the cluster has finalized `transaction.version` ≥ 2 — then partitions join the transaction implicitly with
 * Produce and every EndTxn returns a new epoch.
 *
 * Errors are classified as KIP-1050 asks so that an application knows what to do next:
 * retriable (retried here), abortable (call abortTransaction, then carry on), fatal (close the producer), and
 * application-recoverable (re-create the producer / re-run initTransactions).
 */
import { KafkaError, KafkaProtocolError } from '../errors.js'
import type { SendOptions, Target } from '../network/cluster.js'
import type { ProducerCluster } from './sender.js'
import type { Logger } from '../network/instrumentation.js'
import { type ApiCodec, apis, ApiKeys, ErrorCodes, errorCodes } from '../protocol/index.js'
import type { ResolvedProducerOptions } from './options.js'

/**
 * What the application does about a transactional error (KIP-1050): `retriable` — call the same method again;
 * `abortable` — abort the transaction, then go on; `application-recoverable` — this producer is fenced or its id is
 * gone: close it and start a new one (initTransactions); `invalid-configuration` — fix permissions or settings;
 * `fatal` — close the producer.
 */
export type TransactionErrorKind = 'retriable' | 'abortable' | 'fatal' | 'application-recoverable' | 'invalid-configuration'

export class TransactionError extends KafkaError {
  readonly kind: TransactionErrorKind
  constructor(message: string, kind: TransactionErrorKind, cause?: unknown) {
    super(message, { cause, retriable: kind === 'retriable' })
    this.kind = kind
  }
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to consume (last processed + 1), as Kafka commits it. */
  offset: bigint
  leaderEpoch?: number
  metadata?: string | null
}

/** What the consumer reports about its group membership (its `groupMetadata()`). */
export interface GroupMetadata {
  groupId: string
  generationId?: number
  memberId?: string
  groupInstanceId?: string | null
}

type State = 'uninitialized' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'abortable-error' | 'fatal-error'

/** Codes after which this producer cannot go on (as Java's TransactionManager goes to its fatal state). */
const FATAL_CODES = new Set<number>([
  ErrorCodes.INVALID_PRODUCER_EPOCH,
  ErrorCodes.PRODUCER_FENCED,
  ErrorCodes.INVALID_PRODUCER_ID_MAPPING,
  ErrorCodes.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCodes.INVALID_TXN_STATE,
])
/** Transactional control requests back off at most this long: CONCURRENT_TRANSACTIONS clears within milliseconds. */
const TRANSACTION_MAX_BACKOFF_MS = 200

export class TransactionManager {
  readonly #cluster: ProducerCluster
  readonly #options: ResolvedProducerOptions
  readonly #logger: Logger
  readonly transactionalId: string | null
  producerId = -1n
  producerEpoch = -1
  #state: State = 'uninitialized'
  #error: Error | null = null
  #initializing: Promise<void> | null = null
  #transactionV2 = false
  #epochChanged = false
  /** Partitions with records in the current transaction, and those the coordinator already knows about. */
  readonly #partitions = new Set<string>()
  readonly #added = new Set<string>()
  /**
   * The coordinator may know of this transaction: a record was appended or offsets were sent in it. Until then
   * commit and abort end it here, without EndTxn, as Java's producer does: the coordinator has no transaction to end
   * (transaction v2 answers INVALID_TXN_STATE), and v1 would have nothing to write markers to.
   */
  #started = false
  #adding: Promise<void> | null = null
  #onPartitionsAdded: () => void = () => {}

  constructor(cluster: ProducerCluster, options: ResolvedProducerOptions, logger: Logger) {
    this.#cluster = cluster
    this.#options = options
    this.#logger = logger
    this.transactionalId = options.transactionalId
  }

  get isTransactional(): boolean {
    return this.transactionalId !== null
  }

  get usesTransactionV2(): boolean {
    return this.#transactionV2
  }

  /** Called by the producer so that sending resumes once partitions have joined the transaction. */
  setOnPartitionsAdded(callback: () => void): void {
    this.#onPartitionsAdded = callback
  }

  checkCanSend(): void {
    if (this.#state === 'fatal-error') throw new TransactionError(`The producer hit a fatal error: ${this.#error?.message}`, 'fatal', this.#error)
    if (!this.isTransactional) return
    if (this.#state === 'abortable-error') {
      throw new TransactionError(`The transaction must be aborted: ${this.#error?.message}`, 'abortable', this.#error)
    }
    if (this.#state !== 'in-transaction') throw new TransactionError('send() outside a transaction: call beginTransaction() first', 'fatal')
  }

  /**
   * A transactional control request (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn)
   * under one budget of `maxBlockMs`, as Java bounds them: the coordinator answers CONCURRENT_TRANSACTIONS or
   * COORDINATOR_LOAD_IN_PROGRESS until the previous transaction's markers are written or the log is loaded, so these
   * are retried for as long as that budget lasts rather than a fixed number of times, with a short backoff.
   */
  async #control<Req, Res>(target: Target, api: ApiCodec<Req, Res>, body: Req | ((version: number) => Req), options: Omit<SendOptions, 'budget' | 'retry' | 'deadline'> = {}): Promise<Res> {
    return this.#cluster.withBudget(
      { timeoutMs: this.#options.maxBlockMs, bound: 'maxBlockMs', retry: { retries: Number.POSITIVE_INFINITY, maxBackoffMs: TRANSACTION_MAX_BACKOFF_MS } },
      (budget) => this.#cluster.send(target, api, body, { ...options, budget }),
    )
  }

  /** True until an idempotent producer has its producer id (sends then wait for `ensureProducerId`). */
  needsProducerId(): boolean {
    return this.#options.idempotent && this.producerId < 0n
  }

  /** An idempotent producer gets its id lazily, on the first send. */
  async ensureProducerId(): Promise<void> {
    if (!this.#options.idempotent || this.producerId >= 0n) return
    if (this.isTransactional) throw new TransactionError('Call initTransactions() before sending', 'fatal')
    this.#initializing ??= this.#initProducerId(null).finally(() => (this.#initializing = null))
    await this.#initializing
    this.#state = 'ready'
  }

  async #initProducerId(transactionalId: string | null, bump?: { producerId: bigint; producerEpoch: number }): Promise<void> {
    const target = transactionalId === null ? ({ kind: 'any' } as const) : ({ kind: 'coordinator', type: 'transaction', key: transactionalId } as const)
    const response = await this.#control(
      target,
      apis[ApiKeys.InitProducerId],
      {
        transactionalId,
        transactionTimeoutMs: this.#options.transactionTimeoutMs,
        producerId: bump?.producerId ?? -1n,
        producerEpoch: bump?.producerEpoch ?? -1,
      },
      {
        errorCode: (r: { errorCode: number }) => r.errorCode,
        // KIP-360 bumps need v3+; a plain id works on any version.
        version: (negotiated) => (bump && negotiated < 3 ? failTooOld('InitProducerId v3 (epoch bump)') : negotiated),
      },
    )
    this.producerId = response.producerId ?? -1n
    this.producerEpoch = response.producerEpoch ?? -1
    this.#logger.info({ producerId: String(this.producerId), producerEpoch: this.producerEpoch }, bump ? 'producer epoch bumped' : 'producer id assigned')
    if (transactionalId !== null) {
      const connection = await this.#cluster.connectionFor(target, 'default')
      this.#transactionV2 = connection.versions.featureLevel('transaction.version') >= 2 && (connection.versions.get(ApiKeys.EndTxn) ?? 0) >= 5
    }
  }

  /** KIP-360: a new epoch for the same producer id, so sequences restart without losing idempotence. */
  async bumpEpoch(): Promise<void> {
    await this.#initProducerId(this.transactionalId, { producerId: this.producerId, producerEpoch: this.producerEpoch })
  }

  /** True once after the producer id or epoch changed; the producer then restarts its sequence numbers. */
  epochChanged(): boolean {
    const changed = this.#epochChanged
    this.#epochChanged = false
    return changed
  }

  // ---- transactions ----

  async initTransactions(): Promise<void> {
    if (!this.isTransactional) throw new TransactionError('initTransactions() needs a transactionalId', 'fatal')
    if (this.#state !== 'uninitialized' && this.#state !== 'ready') throw new TransactionError(`initTransactions() in state ${this.#state}`, 'fatal')
    await this.#initProducerId(this.transactionalId)
    this.#state = 'ready'
  }

  beginTransaction(): void {
    if (!this.isTransactional) throw new TransactionError('beginTransaction() needs a transactionalId', 'fatal')
    if (this.#state === 'fatal-error') this.checkCanSend()
    if (this.#state !== 'ready') throw new TransactionError(`beginTransaction() in state ${this.#state}`, 'fatal')
    this.#state = 'in-transaction'
    this.#partitions.clear()
    this.#added.clear()
    this.#started = false
  }

  canAbort(): boolean {
    return this.#state === 'in-transaction' || this.#state === 'abortable-error'
  }

  blocksSending(): boolean {
    return this.#state === 'fatal-error'
  }

  markAbortable(error: Error): void {
    if (!this.isTransactional || this.#state === 'fatal-error') return
    this.#state = 'abortable-error'
    this.#error = error
  }

  markFatal(error: Error): void {
    this.#state = 'fatal-error'
    this.#error = error
  }

  onPartitionUsed(topic: string, partition: number): void {
    if (!this.isTransactional) return
    this.#started = true
    this.#partitions.add(`${topic}\u0000${partition}`)
  }

  /** With transaction v1, a partition's batches wait until AddPartitionsToTxn has registered it. */
  partitionReady(topic: string, partition: number): boolean {
    if (!this.isTransactional || this.#transactionV2) return true
    return this.#added.has(`${topic}\u0000${partition}`)
  }

  /** Registers every partition used so far but not yet added, in one AddPartitionsToTxn request. */
  requestPartitions(): void {
    if (!this.isTransactional || this.#transactionV2 || this.#adding || this.#state !== 'in-transaction') return
    const pending = [...this.#partitions].filter((p) => !this.#added.has(p))
    if (pending.length === 0) return
    this.#adding = this.#addPartitions(pending)
      .then(() => {
        for (const p of pending) this.#added.add(p)
      })
      .catch((error: unknown) => {
        const err = error instanceof Error ? error : new KafkaError(String(error))
        if (err instanceof KafkaProtocolError && FATAL_CODES.has(err.code)) this.markFatal(err)
        else this.markAbortable(err)
        this.#logger.warn({ err }, 'AddPartitionsToTxn failed')
      })
      .finally(() => {
        this.#adding = null
        this.#onPartitionsAdded()
      })
  }

  async #addPartitions(keys: string[]): Promise<void> {
    const byTopic = new Map<string, number[]>()
    for (const key of keys) {
      const [topic, partition] = key.split('\u0000') as [string, string]
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      list.push(Number(partition))
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }))
    const transactionalId = this.transactionalId!
    await this.#control(
      { kind: 'coordinator', type: 'transaction', key: transactionalId },
      apis[ApiKeys.AddPartitionsToTxn],
      (version: number) =>
        version >= 4
          ? { transactions: [{ transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, verifyOnly: false, topics }] }
          : { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: this.producerId, v3AndBelowProducerEpoch: this.producerEpoch, v3AndBelowTopics: topics },
      { errorCode: (r: AddPartitionsResponseShape) => firstAddPartitionsError(r) },
    )
  }

  async sendOffsetsToTransaction(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    this.checkCanSend()
    // Set before any request: one that fails may still have reached the coordinator, and EndTxn then must follow.
    this.#started = true
    const transactionalId = this.transactionalId!
    if (!this.#transactionV2) {
      await this.#control(
        { kind: 'coordinator', type: 'transaction', key: transactionalId },
        apis[ApiKeys.AddOffsetsToTxn],
        { transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: group.groupId },
        { errorCode: (r: { errorCode: number }) => r.errorCode },
      ).catch((error: unknown) => this.#classify(error))
    }
    const byTopic = new Map<string, TopicPartitionOffset[]>()
    for (const o of offsets) {
      let list = byTopic.get(o.topic)
      if (!list) byTopic.set(o.topic, (list = []))
      list.push(o)
    }
    // TxnOffsetCommit v6+ names topics by id: a topic this producer never wrote to must have its metadata first.
    const unknown = [...byTopic.keys()].filter((name) => this.#cluster.topic(name) === undefined)
    if (unknown.length > 0) await this.#cluster.topics(unknown, { timeoutMs: this.#options.maxBlockMs, bound: 'maxBlockMs' }).catch((error: unknown) => this.#classify(error))
    await this
      .#control(
        { kind: 'coordinator', type: 'group', key: group.groupId },
        apis[ApiKeys.TxnOffsetCommit],
        (version: number) => ({
          transactionalId,
          groupId: group.groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          generationIdOrMemberEpoch: group.generationId ?? -1,
          memberId: group.memberId ?? '',
          groupInstanceId: group.groupInstanceId ?? null,
          topics: [...byTopic].map(([name, list]) => ({
            ...(version >= 6 ? { topicId: this.#cluster.topic(name)?.topicId } : { name }),
            partitions: list.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: o.offset,
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? null,
            })),
          })),
        }),
        {
          purpose: 'group',
          errorCode: (r: { topics: Array<{ partitions: Array<{ errorCode: number }> }> }) =>
            r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0)?.errorCode ?? 0,
        },
      )
      .catch((error: unknown) => this.#classify(error))
  }

  async commitTransaction(): Promise<void> {
    if (this.#state === 'abortable-error') {
      throw new TransactionError(`Cannot commit: ${this.#error?.message}; abort the transaction`, 'abortable', this.#error)
    }
    if (this.#state !== 'in-transaction') throw new TransactionError(`commitTransaction() in state ${this.#state}`, 'fatal')
    await this.#endTransaction(true)
  }

  async abortTransaction(): Promise<void> {
    if (this.#state === 'fatal-error') this.checkCanSend()
    if (!this.canAbort()) throw new TransactionError(`abortTransaction() in state ${this.#state}`, 'fatal')
    await this.#endTransaction(false)
  }

  async #endTransaction(commit: boolean): Promise<void> {
    const previous = this.#state
    this.#state = commit ? 'committing' : 'aborting'
    // Wait for registrations in flight, so that EndTxn covers every partition written to.
    while (this.#adding) await this.#adding
    if (this.#started) {
      const transactionalId = this.transactionalId!
      try {
        const response = await this.#control(
          { kind: 'coordinator', type: 'transaction', key: transactionalId },
          apis[ApiKeys.EndTxn],
          { transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: commit },
          { errorCode: (r: { errorCode: number }) => r.errorCode },
        )
        if (response.producerId !== undefined && response.producerId >= 0n) {
          if (response.producerId !== this.producerId || response.producerEpoch !== this.producerEpoch) this.#epochChanged = true
          this.producerId = response.producerId
          this.producerEpoch = response.producerEpoch ?? this.producerEpoch
        }
      } catch (error) {
        // A retriable failure after the whole maxBlockMs budget leaves the transaction as it was, so the
        // application can call the same method again (as Java's commitTransaction after a TimeoutException); the
        // coordinator takes a repeated EndTxn for a transaction it already ended as a success.
        this.#classify(error, () => (this.#state = previous))
      }
    }
    this.#partitions.clear()
    this.#added.clear()
    this.#started = false
    this.#state = 'ready'
    this.#error = null
  }

  /**
   * KIP-1050: a code after which this producer cannot go on puts it in its fatal state, and the error's class in
   * Kafka's table (application-recoverable, invalid-configuration, fatal) tells the application what to do; a
   * retriable failure (left after the maxBlockMs budget) changes nothing (`restore` undoes the call's state); any
   * other failure makes the transaction abortable.
   */
  #classify(error: unknown, restore?: () => void): never {
    if (error instanceof KafkaProtocolError && FATAL_CODES.has(error.code)) {
      this.markFatal(error)
      const category = errorCodes.get(error.code)?.category
      const kind: TransactionErrorKind = category === 'application-recoverable' || category === 'invalid-configuration' ? category : 'fatal'
      const advice = kind === 'application-recoverable' ? '; close this producer and start a new one' : kind === 'invalid-configuration' ? '; check the permissions and settings' : ''
      throw new TransactionError(`Transaction error${advice}: ${error.message}`, kind, error)
    }
    if (error instanceof KafkaError && error.retriable) {
      restore?.()
      throw new TransactionError(`Transaction operation failed, retry it: ${error.message}`, 'retriable', error)
    }
    this.markAbortable(error instanceof Error ? error : new KafkaError(String(error)))
    throw new TransactionError(`The transaction must be aborted: ${String((error as Error)?.message ?? error)}`, 'abortable', error)
  }
}

interface AddPartitionsResponseShape {
  errorCode?: number
  resultsByTransaction?: Array<{ topicResults: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }> }>
  resultsByTopicV3AndBelow?: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }>
}

function firstAddPartitionsError(response: AddPartitionsResponseShape): number {
  if (response.errorCode) return response.errorCode
  const topics = [
    ...(response.resultsByTopicV3AndBelow ?? []),
    ...(response.resultsByTransaction ?? []).flatMap((t) => t.topicResults),
  ]
  for (const t of topics) for (const p of t.resultsByPartition) if (p.partitionErrorCode !== 0) return p.partitionErrorCode
  return 0
}

function failTooOld(what: string): never {
  throw new KafkaError(`The broker is too old for ${what}`)
}

