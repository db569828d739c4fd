/**
 * The sender: the producer's I/O loop. It wakes when the accumulator has something ready (a full batch, linger or
 * a backoff elapsed, a flush), takes what may be sent, seals it (numbering it when idempotent), and writes one
 * Produce request per leader broker, pipelined up to maxInFlightRequestsPerConnection per connection and handed to
 * the connection in drain order so sequence numbers reach the broker in order. It owns what is in flight and every
 * batch's outcome: acknowledged (records resolved), retried (backoff, metadata refresh or the KIP-951 leader hint),
 * split (MESSAGE_TOO_LARGE), renumbered (an epoch bump when the broker lost our sequence state) or failed. A batch
 * settles exactly once; records are acknowledged only after the broker confirmed them with the configured acks.
 */
import { ConnectionError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import type { Connection } from '../network/connection.js'
import { channels, type Logger, type ProduceChannelEvent } from '../network/instrumentation.js'
import type { NetworkMetrics } from '../network/metrics.js'
import { isRetriable } from '../network/policy.js'
import { apis, ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import { LEARNED_BATCH_LIMIT_MS, type RecordAccumulator } from './accumulator.js'
import { type ProducerBatch, sequenceBefore } from './batch.js'
import type { ProducerMetrics } from './metrics.js'
import type { ResolvedProducerOptions } from './options.js'
import { acknowledged, adoptNewIdentityIfSettled, assignSequence, closeSequenceGap, renumberAfterEpochBump } from './sequences.js'
import { splitRefusedBatch } from './split.js'
import type { TransactionManager } from './transactions.js'

const { DUPLICATE_SEQUENCE_NUMBER, OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, MESSAGE_TOO_LARGE } = ErrorCodes

/**
 * What the producer needs from the cluster: topic metadata, connections, and the shared retry policy. A narrow view,
 * so that unit tests can script it (as Java's MockClient) while production passes the `Cluster`.
 */
export type ProducerCluster = Pick<
  Cluster,
  'clock' | 'topic' | 'topics' | 'broker' | 'refreshMetadata' | 'connectionToNode' | 'connectionFor' | 'applyLeaderHint' | 'handleRetriableError' | 'topicNameById' | 'withBudget' | 'send'
> & { readonly networkMetrics?: NetworkMetrics; backgroundConnection?: Cluster['backgroundConnection'] }

/** The part of a connection the sender writes Produce requests to. */
export type ProduceConnection = Pick<Connection, 'send' | 'versions'> & { readonly nodeId?: number | null }

interface ProducePartitionResponseShape {
  index: number
  errorCode: number
  baseOffset: bigint
  logAppendTimeMs?: bigint
  logStartOffset?: bigint
  errorMessage?: string | null
  currentLeader?: { leaderId: number; leaderEpoch: number }
}

interface ProduceResponseShape {
  responses: Array<{ name?: string; topicId?: string; partitionResponses: ProducePartitionResponseShape[] }>
  nodeEndpoints?: Array<{ nodeId: number; host: string; port: number; rack?: string | null }>
  throttleTimeMs?: number
}

export class Sender {
  readonly #cluster: ProducerCluster
  readonly #options: ResolvedProducerOptions
  readonly #accumulator: RecordAccumulator
  readonly #transactions: TransactionManager
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #clientId: string
  readonly #metrics: ProducerMetrics | null
  #drainTimer: ClockTimer | null = null
  #drainAt = Infinity
  #drainScheduled = false
  #inFlightBatches = 0
  readonly #nodeInFlight = new Map<number, number>()
  readonly #nodeChains = new Map<number, Promise<void>>()
  #epochBump: Promise<void> | null = null
  #needsEpochBump = false
  readonly #idleWaiters: Array<() => void> = []
  /** flush() calls waiting: every batch is ready whatever linger says. */
  flushing = 0
  /** The producer is closed (the producer reads this flag too): nothing is retried any more, everything left is sent at once. */
  closed = false

  constructor(
    cluster: ProducerCluster,
    options: ResolvedProducerOptions,
    accumulator: RecordAccumulator,
    transactions: TransactionManager,
    logger: Logger,
    clientId: string,
    metrics: ProducerMetrics | null = null,
  ) {
    this.#cluster = cluster
    this.#options = options
    this.#accumulator = accumulator
    this.#transactions = transactions
    this.#clock = cluster.clock
    this.#logger = logger
    this.#clientId = clientId
    this.#metrics = metrics
  }

  get inFlightBatches(): number {
    return this.#inFlightBatches
  }

  inFlightTo(nodeId: number): number {
    return this.#nodeInFlight.get(nodeId) ?? 0
  }

  /** Resolves once nothing is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlightBatches > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Runs the loop again in `delayMs` (0: on the next turn of the event loop, once for any number of calls). */
  wakeup(delayMs: number): void {
    if (delayMs <= 0) {
      if (this.#drainScheduled) return
      this.#drainScheduled = true
      setImmediate(() => {
        this.#drainScheduled = false
        this.#runGuarded()
      })
      return
    }
    const at = this.#clock.now() + delayMs
    if (at >= this.#drainAt) return
    if (this.#drainTimer) this.#clock.clearTimeout(this.#drainTimer)
    this.#drainAt = at
    this.#drainTimer = this.#clock.setTimeout(() => {
      this.#drainTimer = null
      this.#drainAt = Infinity
      this.#runGuarded()
    }, delayMs)
  }

  /**
   * The loop runs from timers and setImmediate, where an exception would end the application's process. One that
   * gets this far is a bug of ours: the records the producer holds fail with it, and the producer goes on.
   */
  #runGuarded(): void {
    try {
      this.#run()
    } catch (error) {
      this.#logger.error({ err: error }, 'the producer sender failed; failing the records it held')
      this.failEverything(new KafkaError(`The producer's sender failed: ${asError(error).message}`, { cause: error }))
    }
  }

  stop(): void {
    if (this.#drainTimer) this.#clock.clearTimeout(this.#drainTimer)
    this.#drainTimer = null
  }

  #run(): void {
    if (this.#epochBump || this.#transactions.blocksSending()) return
    if (this.#needsEpochBump) {
      this.#startEpochBump()
      return
    }
    const now = this.#clock.now()
    const maxInFlight = this.#options.maxInFlightRequestsPerConnection
    const flushing = this.flushing > 0 || this.closed || this.#accumulator.exhausted
    const { perNode, expired, needMetadata, wakeAt: readyAt } = this.#accumulator.drain(now, flushing, maxInFlight)
    let wakeAt = readyAt
    for (const batch of expired) {
      const state = batch.partitionState
      this.#failBatch(batch, new TimeoutError(`Records for ${state.topic}-${state.partition} expired after deliveryTimeoutMs (${this.#options.deliveryTimeoutMs} ms) before they could be sent`, { retriable: false }))
    }
    if (needMetadata) {
      void this.#cluster.refreshMetadata([]).catch(() => undefined)
      wakeAt = Math.min(wakeAt, now + this.#options.retryBackoffMs)
    }
    for (const [nodeId, slots] of perNode) {
      // A partition whose batch did not fit in one request must not have its next batch go out ahead of it.
      const heldBack = new Set<ProducerBatch['partitionState']>()
      for (const slot of slots) {
        if (this.inFlightTo(nodeId) >= maxInFlight) break
        const batches = heldBack.size === 0 ? slot : slot.filter((b) => !heldBack.has(b.partitionState))
        if (batches.length === 0) continue
        const taken = this.#limitRequestSize(batches)
        for (let i = taken.length; i < batches.length; i++) heldBack.add(batches[i]!.partitionState)
        this.#sendRequest(nodeId, taken)
      }
    }
    if (wakeAt !== Infinity) this.wakeup(Math.max(1, wakeAt - this.#clock.now()))
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

  #sendRequest(nodeId: number, drained: ProducerBatch[]): void {
    const idempotent = this.#options.idempotent
    let asyncSealing: Array<Promise<void>> | null = null
    let batches = drained
    for (const batch of drained) {
      if (batch.sealed !== null) continue
      try {
        const header = idempotent ? assignSequence(batch, this.#transactions) : {}
        batch.full = true
        if (batch.builder.sizeInBytes >= this.#options.asyncCompressionMinBytes && this.#options.compression !== 'none') {
          ;(asyncSealing ??= []).push(batch.builder.closeAsync(header).then((bytes) => void (batch.sealed = bytes)))
        } else {
          batch.sealed = batch.builder.close(header)
        }
      } catch (error) {
        // A batch that cannot be sealed (a bug of ours or of a compression binding) fails alone, its sequence
        // numbers given back; thrown on, the error would escape from a timer and end the application's process.
        this.#failBatch(batch, new KafkaError(`Could not seal a batch for ${batch.partitionState.topic}-${batch.partitionState.partition}: ${asError(error).message}`, { cause: error }))
        closeSequenceGap(batch, this.#transactions)
        batches = batches.filter((b) => b !== batch)
      }
    }
    if (batches.length === 0) return
    for (const batch of batches) {
      batch.inFlight = true
      batch.attempts++
      batch.partitionState.inFlight++
      this.#inFlightBatches++
    }
    this.#nodeInFlight.set(nodeId, this.inFlightTo(nodeId) + 1)
    // Requests to one broker are handed to its connection in drain order even when sealing is asynchronous, so
    // sequence numbers reach the broker in order.
    const previous = this.#nodeChains.get(nodeId) ?? Promise.resolve()
    const link = previous.then(async () => {
      if (asyncSealing) await Promise.all(asyncSealing)
      const connection = await this.#cluster.connectionToNode(nodeId, 'produce')
      return this.#dispatch(connection, batches)
    })
    this.#nodeChains.set(
      nodeId,
      link.then(
        () => undefined,
        () => undefined,
      ),
    )
    link.then(({ response }) => response).then(
      (response) => this.#onResponse(nodeId, batches, response, null),
      (error: unknown) => this.#onResponse(nodeId, batches, null, asError(error)),
    )
  }

  /** Enqueues the request on the connection synchronously; the response promise is wrapped so the chain does not wait for it. */
  #dispatch(connection: ProduceConnection, batches: ProducerBatch[]): { response: Promise<ProduceResponseShape | null> } {
    const version = connection.versions.require(ApiKeys.Produce, 3)
    const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>()
    // Sealed batches go to the socket as they are (one writev), not copied into the request frame.
    const zeroCopy = new Set<Buffer>()
    const metrics = this.#metrics
    const now = metrics === null ? 0 : this.#clock.now()
    let records = 0
    for (const batch of batches) {
      const state = batch.partitionState
      if (metrics !== null) {
        metrics.batchSent(state.topic, batch.recordCount, batch.sealed!.length, batch.builder.sizeInBytes, now)
        records += batch.recordCount
      }
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
    const response = connection.send(apis[ApiKeys.Produce], body as never, {
      version,
      expectResponse: this.#options.acks !== 0,
      timeoutMs: this.#options.requestTimeoutMs,
      zeroCopy,
    }) as Promise<ProduceResponseShape | undefined>
    if (metrics === null) return { response: response.then((r) => r ?? null) }
    metrics.requestSent(records, now)
    const nodeId = connection.nodeId ?? -1
    const sentAt = performance.now()
    return {
      response: response.then((r) => {
        if (r) metrics.response(nodeId, performance.now() - sentAt, r.throttleTimeMs ?? 0, this.#clock.now())
        return r ?? null
      }),
    }
  }

  #onResponse(nodeId: number, batches: ProducerBatch[], response: ProduceResponseShape | null, error: Error | null): void {
    this.#nodeInFlight.set(nodeId, Math.max(0, (this.#nodeInFlight.get(nodeId) ?? 1) - 1))
    if (error === null) this.#accumulator.onResponseFrom(nodeId)
    else if (error instanceof ConnectionError) this.#accumulator.onUnreachable(nodeId)
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
        this.#completeBatch(batch, -1n, -1n, -1n)
        continue
      }
      const result = results.get(`${state.topic}\u0000${state.partition}`)
      if (!result) {
        this.#retryOrFail(batch, new KafkaError(`Produce response lacks ${state.topic}-${state.partition}`, { retriable: true }))
        continue
      }
      const code = result.errorCode
      if (code === 0 || code === DUPLICATE_SEQUENCE_NUMBER) {
        this.#completeBatch(batch, result.baseOffset, result.logAppendTimeMs ?? -1n, result.logStartOffset ?? -1n)
        continue
      }
      const protocolError = errorFromCode(code, `${state.topic}-${state.partition}`, result.errorMessage ?? null)!
      this.#handleBatchError(batch, protocolError, hinted?.has(`${state.topic}\u0000${state.partition}`) ?? false)
    }
    if (this.#inFlightBatches === 0) for (const waiter of this.#idleWaiters.splice(0)) waiter()
    this.wakeup(0)
  }

  #handleBatchError(batch: ProducerBatch, error: KafkaProtocolError, leaderHinted: boolean): void {
    const state = batch.partitionState
    const code = error.code
    if (this.#options.idempotent && (code === OUT_OF_ORDER_SEQUENCE_NUMBER || code === UNKNOWN_PRODUCER_ID)) {
      batch.retryAt = this.#clock.now() + this.#options.retryBackoffMs
      if (state.queue.some((other) => other !== batch && !other.settled && other.baseSequence >= 0 && sequenceBefore(other, batch))) {
        // An earlier batch of this partition is waiting to be resent: this one was refused only because it came too soon.
        this.#accumulator.requeue(batch)
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
          errorName: error.errorName,
          baseSequence: batch.baseSequence,
          attempts: batch.attempts,
          lastAckedSequence: state.lastAckedSequence,
          queued: state.queue.map((b) => b.baseSequence),
        },
        'resetting producer sequence with an epoch bump',
      )
      state.resetOnEpochBump = true
      this.#needsEpochBump = true
      this.#accumulator.requeue(batch)
      return
    }
    if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
      this.#transactions.markFatal(error)
      this.failEverything(error)
      return
    }
    if (code === MESSAGE_TOO_LARGE) {
      if (this.#split(batch, error)) return
      this.#failBatch(batch, error)
      closeSequenceGap(batch, this.#transactions)
      // As in Java, a transaction that lost records must not commit: the application has to abort it.
      if (this.#transactions.isTransactional) this.#transactions.markAbortable(error)
      return
    }
    if (leaderHinted && isRetriable(error) && this.#clock.now() < batch.deadline && !this.closed) {
      // The response named the new leader and the cache already has it: resend there at once, no metadata refresh.
      this.#metrics?.batchRetried(state.topic, batch.recordCount, this.#clock.now())
      this.#accumulator.requeue(batch)
      return
    }
    this.#retryOrFail(batch, error)
  }

  /**
   * Splits a batch refused as too large (see split.ts) and puts the pieces in its place; the topic's later batches
   * close at the piece size too, for a while. Batches numbered after it that are in flight come back
   * OUT_OF_ORDER_SEQUENCE_NUMBER and are requeued behind the pieces.
   */
  #split(batch: ProducerBatch, error: KafkaProtocolError): boolean {
    const split = splitRefusedBatch(batch, this.#options, this.#transactions.isTransactional)
    if (split === null) return false
    const { pieces, pieceLimit } = split
    const state = batch.partitionState
    this.#accumulator.replace(batch, pieces)
    this.#accumulator.learnBatchLimit(state.topic, pieceLimit, this.#clock.now() + LEARNED_BATCH_LIMIT_MS)
    this.#logger.warn(
      {
        topic: state.topic,
        partition: state.partition,
        records: batch.recordCount,
        bytes: batch.sealed?.length,
        pieces: pieces.length,
        pieceLimit,
        baseSequence: batch.baseSequence,
        error: error.message,
      },
      'splitting a batch the broker refused as too large',
    )
    return true
  }

  #retryOrFail(batch: ProducerBatch, error: Error): void {
    const now = this.#clock.now()
    const state = batch.partitionState
    if (isRetriable(error) && now < batch.deadline && !this.closed) {
      this.#logger.debug({ topic: state.topic, partition: state.partition, baseSequence: batch.baseSequence, attempts: batch.attempts, err: error }, 'retrying a produce batch')
      if (error instanceof KafkaError) this.#cluster.handleRetriableError(error, { kind: 'leader', topic: state.topic, partition: state.partition })
      batch.retryAt = now + backoffDelayMs(batch.attempts - 1, { initialBackoffMs: this.#options.retryBackoffMs, maxBackoffMs: this.#options.retryBackoffMaxMs })
      this.#metrics?.batchRetried(state.topic, batch.recordCount, now)
      this.#accumulator.requeue(batch)
      return
    }
    const reason =
      isRetriable(error) && now >= batch.deadline
        ? new TimeoutError(`Records for ${state.topic}-${state.partition} were not acknowledged within deliveryTimeoutMs`, { cause: error, retriable: false })
        : error
    this.#failBatch(batch, reason)
    // A sealed idempotent batch that failed for good is unresolved: it may have been written (only its answer was
    // lost). Nothing is renumbered on a guess: the partition carries on with the next sequences. If the batch was
    // written they are in order; if not, the broker refuses the next batch with OUT_OF_ORDER_SEQUENCE_NUMBER, which
    // proves the gap and triggers the epoch bump in #handleBatchError (renumbering only refused batches).
    if (this.#transactions.isTransactional) this.#transactions.markAbortable(reason)
  }

  #completeBatch(batch: ProducerBatch, baseOffset: bigint, logAppendTime: bigint, logStartOffset: bigint): void {
    const state = batch.partitionState
    this.#accumulator.remove(batch)
    // With acks=0 no answer proves the request left the socket, so its buffer is not reused.
    if (this.#options.acks !== 0) this.#accumulator.recycle(batch)
    acknowledged(batch)
    if (adoptNewIdentityIfSettled(state)) this.wakeup(0)
    if (this.#settle(batch) && channels.produce.hasSubscribers) this.#publishSettled(batch, baseOffset, undefined)
    const appendTime = logAppendTime >= 0n ? Number(logAppendTime) : -1
    const known = baseOffset >= 0n
    // One bigint per record: counting up costs one allocation, baseOffset + BigInt(i) two.
    let offset = known ? baseOffset : -1n
    for (let i = 0; i < batch.owners.length; i++) {
      if (known && i > 0) offset += 1n
      const group = batch.owners[i]!
      if (group.settled) continue
      group.results[batch.ownerIndexes[i]!] = {
        topic: state.topic,
        partition: state.partition,
        offset,
        timestamp: appendTime >= 0 ? appendTime : batch.timestamps[i]!,
        logStartOffset,
      }
      if (--group.remaining === 0) {
        group.settled = true
        group.resolve(group.results)
      }
    }
  }

  #failBatch(batch: ProducerBatch, error: Error): void {
    this.#accumulator.remove(batch)
    if (adoptNewIdentityIfSettled(batch.partitionState)) this.wakeup(0)
    const settled = this.#settle(batch)
    if (settled && this.#metrics !== null) this.#metrics.batchFailed(batch.partitionState.topic, batch.recordCount, this.#clock.now())
    if (settled && channels.produce.hasSubscribers) this.#publishSettled(batch, undefined, error)
    for (const group of batch.owners) group.fail(error)
  }

  /** True when this call settled the batch (a batch settles once, however many paths reach it). */
  #settle(batch: ProducerBatch): boolean {
    if (batch.settled) return false
    batch.settled = true
    this.#accumulator.releaseMemory(batch.reservedBytes)
    batch.resolveDone()
    return true
  }

  #publishSettled(batch: ProducerBatch, baseOffset: bigint | undefined, error: Error | undefined): void {
    const state = batch.partitionState
    const event: ProduceChannelEvent = {
      clientId: this.#clientId,
      topic: state.topic,
      partition: state.partition,
      records: batch.recordCount,
      bytes: batch.sealed?.length ?? batch.builder.sizeInBytes,
      durationMs: this.#clock.now() - batch.createdAt,
    }
    if (baseOffset !== undefined) event.baseOffset = baseOffset
    if (error !== undefined) event.error = error
    channels.produce.publish(event)
  }

  /** Fails batches not yet sent (an aborted transaction's records). */
  failUnsent(error: Error): void {
    for (const state of this.#accumulator.partitions) {
      for (const batch of [...state.queue]) if (!batch.inFlight && batch.sealed === null) this.#failBatch(batch, error)
    }
  }

  failEverything(error: Error): void {
    for (const state of this.#accumulator.partitions) {
      for (const batch of [...state.queue]) this.#failBatch(batch, error)
    }
  }

  /**
   * KIP-360: once nothing is in flight, a new epoch (a non-transactional producer gets a new producer id), then the
   * sequence repair of sequences.ts (renumberAfterEpochBump).
   */
  #startEpochBump(): void {
    if (this.#epochBump) return
    this.#epochBump = (async () => {
      await this.idle()
      this.#needsEpochBump = false
      await this.#transactions.bumpEpoch()
      renumberAfterEpochBump(this.#accumulator.partitions, this.#transactions)
    })()
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'producer epoch bump failed')
        this.failEverything(asError(error))
      })
      .finally(() => {
        this.#epochBump = null
        this.wakeup(0)
      })
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new KafkaError(String(error))
}
