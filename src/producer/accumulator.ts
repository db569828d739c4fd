/**
 * The record accumulator: where records wait between `send` and the wire. It owns the per-partition queues of
 * batches, buffer memory (`bufferMemory`; a sender waits up to `maxBlockMs` for room), where each record goes (an
 * explicit partition, a custom partitioner, the key's hash, else the KIP-794 sticky partition with adaptive load
 * figures), and the answer to "what may be sent as of time t": per leader broker, request slots of ready batches
 * in the order the idempotence rules allow, with linger, retry backoff and the per-partition in-flight limits
 * applied. It does no I/O and reads time only from what it is given; the sender asks it and sends.
 */
import { AbortError, KafkaError, TimeoutError } from '../errors.js'
import { abortable } from '../network/abort.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { TopicInfo } from '../network/cluster.js'
import { errorFromCode, ErrorCodes } from '../protocol/index.js'
import { RecordBatchBuilder, type RecordData } from '../records/index.js'
import { BATCH_HEADROOM, PartitionState, ProducerBatch, type SendGroup, sequenceBefore } from './batch.js'
import { BatchBufferPool } from './buffer-pool.js'
import type { ResolvedProducerOptions } from './options.js'
import { partitionForKey, StickyPartitionCache } from './partitioner.js'
import type { ProducerCluster } from './sender.js'
import type { TransactionManager } from './transactions.js'

/** One record to append, its key and value already serialized. */
export interface WireMessage {
  key?: RecordData | null
  value: RecordData | null
  headers?: import('../records/index.js').HeaderInput
  partition?: number
  timestamp?: number | bigint
}

export interface WireRecord {
  topic: string
  messages: WireMessage[]
}

/** What the accumulator needs from the producer and its sender. */
export interface AccumulatorHost {
  /** Look at the queues again in `delayMs` (0: as soon as possible). */
  wakeup(delayMs: number): void
  /** Requests in flight to a broker: a batch that fills up then waits for the next response to sweep it along. */
  inFlightTo(nodeId: number): number
  /** Throws when a transactional send's transaction ended while the send waited. */
  checkGeneration(generation: number): void
  /** A send waited `ns` for buffer memory (producer metrics). */
  memoryWaited?(ns: number): void
}

/** What may be sent now: per leader broker, request slots (slot i holds the i-th batch of each partition). */
export interface Drain {
  perNode: Map<number, ProducerBatch[][]>
  /** Batches that waited past deliveryTimeoutMs without being sent; removed from their queues. */
  expired: ProducerBatch[]
  /** Some partition has no known leader: metadata needs a refresh. */
  needMetadata: boolean
  /** When the next batch becomes ready by time (linger or backoff), or Infinity. */
  wakeAt: number
}

interface MemoryWaiter {
  bytes: number
  resolve: () => void
  reject: (error: Error) => void
  timer: ClockTimer
  /** performance.now() when the wait began. */
  since: number
}

/** How long a batch size learned from a MESSAGE_TOO_LARGE refusal holds before batchSize is tried again. */
export const LEARNED_BATCH_LIMIT_MS = 5 * 60_000

export class RecordAccumulator {
  readonly #cluster: ProducerCluster
  readonly #options: ResolvedProducerOptions
  readonly #transactions: TransactionManager
  readonly #host: AccumulatorHost
  readonly #clock: Clock
  readonly #sticky: StickyPartitionCache
  /** Every partition written to, for the drain sweeps. */
  readonly partitions: PartitionState[] = []
  readonly #statesByTopic = new Map<string, Array<PartitionState | undefined>>()
  readonly #topicWaits = new Map<string, Promise<unknown>>()
  #lookupInfo: TopicInfo | null = null
  #lookup: () => number[] = () => []
  /**
   * Adaptive availability, per broker, as Java's node latency stats: when it last had a batch ready to send, and
   * when it last could also take it (a free in-flight slot, a working connection). Ready minus drained is how long
   * ready data has been waiting for that broker.
   */
  readonly #readyAt = new Map<number, number>()
  readonly #drainedAt = new Map<number, number>()
  /** Brokers whose last request failed without a response (connection lost or refused), until one answers. */
  readonly #unreachable = new Set<number>()
  #bufferUsed = 0
  readonly #memoryWaiters: MemoryWaiter[] = []
  readonly #buffers: BatchBufferPool

  constructor(cluster: ProducerCluster, options: ResolvedProducerOptions, transactions: TransactionManager, host: AccumulatorHost, random?: () => number) {
    this.#cluster = cluster
    this.#options = options
    this.#transactions = transactions
    this.#host = host
    this.#clock = cluster.clock
    this.#sticky = new StickyPartitionCache(random)
    this.#buffers = new BatchBufferPool(options.batchSize + BATCH_HEADROOM, options.bufferMemory)
  }

  get bufferedBytes(): number {
    return this.#bufferUsed
  }

  /** Senders wait for buffer memory: the sender sends what it has rather than wait out linger (as Java does). */
  get exhausted(): boolean {
    return this.#memoryWaiters.length > 0
  }

  statesOf(topic: string): ReadonlyArray<PartitionState | undefined> {
    return this.#statesByTopic.get(topic) ?? []
  }

  // ---- appending ----

  /**
   * The partitions of `info` with a leader, listed only when the sticky partitioner draws a new partition
   * (O(partitions), not paid per record). The lookup is kept for the last topic info seen, so that a send() does
   * not allocate a closure for it.
   */
  #availableLookup(info: TopicInfo): () => number[] {
    if (this.#lookupInfo !== info) {
      this.#lookupInfo = info
      this.#lookup = () => availablePartitions(info)
    }
    return this.#lookup
  }

  /**
   * The metadata wait for a topic not yet known, one per topic whoever asks meanwhile: a burst of sends before the
   * first metadata arrives (a producer's start) waits on one retry loop rather than one loop, timer and abort
   * controller per send (50 000 such sends took 2.3 s and 350 MB of heap with a loop each). As Java's producer waits
   * on its one metadata object. Bounded by maxBlockMs from the first asker; a send's own signal still cancels it alone.
   */
  #topicMetadata(topic: string): Promise<unknown> {
    let wait = this.#topicWaits.get(topic)
    if (wait === undefined) {
      wait = this.#cluster.topics([topic], { timeoutMs: this.#options.maxBlockMs, bound: 'maxBlockMs' }).finally(() => this.#topicWaits.delete(topic))
      this.#topicWaits.set(topic, wait)
    }
    return wait
  }

  /**
   * Appends records from `records[recordIndex].messages[messageIndex]` on. Returns null when everything was appended
   * synchronously, or a promise for the rest when it had to wait (metadata, buffer memory).
   */
  append(
    records: WireRecord[],
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
      if (!info) return this.#appendAfter(abortable(this.#topicMetadata(topic), signal), records, group, generation, recordIndex, messageIndex, index, signal)
      const states = this.#topicStates(topic)
      const available = this.#availableLookup(info)
      const messages = record.messages
      for (; messageIndex < messages.length; messageIndex++, index++) {
        if (group.settled) return null
        this.#host.checkGeneration(generation)
        const message = messages[messageIndex]!
        let partition = this.#placedPartition(topic, info, message)
        const sticky = partition < 0
        if (sticky) {
          partition = this.#sticky.partition(topic, info.partitions.length, available)
          // As Java checks before appending: a sticky partition whose batches are all full or gone (sent) moves on
          // once batchSize bytes went to it, so records sent one at a time switch at batchSize too.
          if (states[partition]?.batchesFull ?? true) {
            partition = this.#sticky.beforeAppend(topic, this.#options.batchSize, info.partitions.length, available)
          }
        }
        const state = states[partition] ?? this.#newPartitionState(states, topic, partition)
        const wait = this.#appendOne(state, message, group, index, info, generation, signal, sticky ? available : null)
        if (wait) return this.#appendAfter(wait, records, group, generation, recordIndex, messageIndex + 1, index + 1, signal)
      }
    }
    return null
  }

  /**
   * The rest of an append once `wait` is over. A closure of its own here, not in append(): V8 allocates the context
   * a closure captures when the enclosing function is entered, so a closure on append()'s slow path would cost
   * every send() an allocation, taken or not.
   */
  #appendAfter(
    wait: Promise<unknown>,
    records: WireRecord[],
    group: SendGroup,
    generation: number,
    recordIndex: number,
    messageIndex: number,
    index: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return wait.then(() => this.append(records, group, generation, recordIndex, messageIndex, index, signal) ?? undefined)
  }

  /** The partition an explicit choice, a custom partitioner or the key gives; -1 leaves it to the sticky partitioner. */
  #placedPartition(topic: string, info: TopicInfo, message: WireMessage): number {
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
    if (key !== null && !this.#options.partitionerIgnoreKeys) return partitionForKey(key, count)
    return -1
  }

  /** Appends one record; returns a promise only when the caller must wait for buffer memory. */
  #appendOne(
    state: PartitionState,
    message: WireMessage,
    group: SendGroup,
    index: number,
    info: TopicInfo,
    generation: number,
    signal: AbortSignal | undefined,
    sticky: (() => number[]) | null,
  ): Promise<void> | null {
    const timestamp = message.timestamp === undefined ? this.#clock.now() : Number(message.timestamp)
    const queue = state.queue
    const open = queue.length > 0 ? queue[queue.length - 1]! : null
    if (open && !open.full && open.sealed === null) {
      const before = open.builder.sizeInBytes
      if (open.builder.tryAppend(message.key, message.value, message.headers, timestamp, state.batchLimit) >= 0) {
        open.addOwner(timestamp, group, index)
        if (open.builder.sizeInBytes >= state.batchLimit) this.#closeBatch(open, info)
        if (sticky) this.#stickyAppended(state, open.builder.sizeInBytes - before, info, sticky)
        return null
      }
      this.#closeBatch(open, info)
    }
    const recordSize = RecordBatchBuilder.recordSize(message.key, message.value, message.headers, 0, 0) + 61
    if (recordSize > this.#options.maxRequestSize) {
      // Java's RecordTooLargeException, which is MESSAGE_TOO_LARGE (RECORD_LIST_TOO_LARGE is a broker's segment limit).
      throw errorFromCode(ErrorCodes.MESSAGE_TOO_LARGE, `${state.topic}-${state.partition}`, `a record of ${recordSize} bytes exceeds maxRequestSize ${this.#options.maxRequestSize}`)!
    }
    const reserve = Math.max(this.#options.batchSize, recordSize)
    if (this.#bufferUsed + reserve > this.#options.bufferMemory && this.#bufferUsed > 0) {
      return this.#openBatchAfterMemory(state, message, timestamp, group, index, reserve, info, generation, signal, sticky)
    }
    this.#bufferUsed += reserve
    this.#openBatchWith(state, message, timestamp, group, index, reserve, info, sticky)
    return null
  }

  /** Waits for buffer memory, then opens the batch; apart from #appendOne for the reason #appendAfter gives. */
  #openBatchAfterMemory(
    state: PartitionState,
    message: WireMessage,
    timestamp: number,
    group: SendGroup,
    index: number,
    reserve: number,
    info: TopicInfo,
    generation: number,
    signal: AbortSignal | undefined,
    sticky: (() => number[]) | null,
  ): Promise<void> {
    return this.#waitForMemory(reserve, signal).then(() => {
      if (group.settled) {
        // The call failed or was aborted while this record waited: it is not appended.
        this.releaseMemory(reserve)
        return
      }
      try {
        this.#host.checkGeneration(generation)
      } catch (error) {
        this.releaseMemory(reserve)
        throw error
      }
      this.#openBatchWith(state, message, timestamp, group, index, reserve, info, sticky)
    })
  }

  /**
   * KIP-794, as Java's BuiltInPartitioner: the sticky partition of unkeyed records moves on once `batchSize` bytes
   * have been produced to it and no batch of it is still open (the last one full, sent or none), or once
   * 2 × `batchSize` bytes have been produced whatever the batches.
   */
  #stickyAppended(state: PartitionState, appendedBytes: number, info: TopicInfo, available: () => number[]): void {
    this.#sticky.onAppended(state.topic, state.partition, appendedBytes, this.#options.batchSize, state.batchesFull, info.partitions.length, available)
  }

  #openBatchWith(state: PartitionState, message: WireMessage, timestamp: number, group: SendGroup, index: number, reserve: number, info: TopicInfo, sticky: (() => number[]) | null): void {
    const now = this.#clock.now()
    if (state.batchLimit < state.batchSize && now >= state.batchLimitRelaxAt) state.batchLimit = state.batchSize
    const batch = new ProducerBatch(state, now, reserve, this.#options, this.#transactions.isTransactional, reserve <= this.#options.batchSize ? this.#buffers.take() : undefined)
    state.queue.push(batch)
    this.#transactions.onPartitionUsed(state.topic, state.partition)
    batch.builder.tryAppend(message.key, message.value, message.headers, timestamp, Infinity)
    batch.addOwner(timestamp, group, index)
    if (batch.builder.sizeInBytes >= state.batchLimit) this.#closeBatch(batch, info)
    else this.#host.wakeup(this.#options.lingerMs)
    // As Java counts a new batch: the record with the batch's header.
    if (sticky) this.#stickyAppended(state, batch.builder.sizeInBytes, info, sticky)
  }

  #closeBatch(batch: ProducerBatch, info: TopicInfo): void {
    if (batch.full) return
    batch.full = true
    const state = batch.partitionState
    // With requests already in flight to this partition's leader, the next response sweeps every ready batch into
    // one request; draining now would send this batch alone and use up an in-flight slot.
    const leader = info.partitions[state.partition]?.leader ?? -1
    if (this.#host.inFlightTo(leader) === 0) this.#host.wakeup(0)
  }

  // ---- memory ----

  #waitForMemory(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
    this.#host.wakeup(0)
    return new Promise((resolve, reject) => {
      const waiter: MemoryWaiter = {
        bytes,
        resolve,
        reject,
        since: performance.now(),
        timer: this.#clock.setTimeout(() => {
          const i = this.#memoryWaiters.indexOf(waiter)
          if (i >= 0) this.#memoryWaiters.splice(i, 1)
          waiter.reject(new TimeoutError(`Could not allocate ${bytes} bytes of bufferMemory within maxBlockMs (${this.#options.maxBlockMs} ms)`, { retriable: false }))
        }, this.#options.maxBlockMs),
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          this.#clock.clearTimeout(waiter.timer)
          const i = this.#memoryWaiters.indexOf(waiter)
          if (i >= 0) this.#memoryWaiters.splice(i, 1)
          reject(new AbortError(signal.reason))
          // The waiters behind this one may fit now.
          this.releaseMemory(0)
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

  releaseMemory(bytes: number): void {
    this.#bufferUsed -= bytes
    while (this.#memoryWaiters.length > 0) {
      const next = this.#memoryWaiters[0]!
      if (this.#bufferUsed + next.bytes > this.#options.bufferMemory && this.#bufferUsed > 0) break
      this.#memoryWaiters.shift()
      this.#clock.clearTimeout(next.timer)
      this.#bufferUsed += next.bytes
      this.#host.memoryWaited?.((performance.now() - next.since) * 1e6)
      next.resolve()
    }
  }

  /** Fails every send waiting for memory (the producer closed). */
  failMemoryWaiters(error: Error): void {
    for (const waiter of this.#memoryWaiters.splice(0)) {
      this.#clock.clearTimeout(waiter.timer)
      waiter.reject(error)
    }
  }

  // ---- draining ----

  /**
   * What may be sent as of `now`. `flushing` makes every batch ready regardless of linger. Expired batches are taken
   * out of their queues and returned for the sender to fail.
   */
  drain(now: number, flushing: boolean, maxInFlightPerNode: number): Drain {
    const linger = this.#options.lingerMs
    const idempotent = this.#options.idempotent
    const perNode = new Map<number, ProducerBatch[][]>()
    const expired: ProducerBatch[] = []
    let wakeAt = Infinity
    let needMetadata = false
    const availabilityTimeout = this.#options.partitionerAdaptivePartitioningEnable ? this.#options.partitionerAvailabilityTimeoutMs : 0
    const readyNodes = availabilityTimeout > 0 ? new Set<number>() : null
    let lingering: LingeringBatch[] | null = null
    for (const state of this.partitions) {
      if (state.queue.length === 0) continue
      this.#takeExpired(state, now, expired)
      if (state.retrying && state.inFlight > 0) continue
      const leader = this.#cluster.topic(state.topic)?.partitions[state.partition]?.leader ?? -1
      if (leader < 0 || !this.#cluster.broker(leader)) {
        needMetadata = true
        continue
      }
      if (readyNodes !== null && !readyNodes.has(leader) && firstWaitingReady(state, now, flushing, linger)) readyNodes.add(leader)
      if (!this.#transactions.partitionReady(state.topic, state.partition)) continue
      // A broker accepts any first sequence from a producer it has no state for, so until the partition's first
      // batch is acknowledged, a later batch must not overtake it: one batch in flight until then.
      const maxInFlight = state.lastAckedSequence < 0 ? 1 : maxInFlightPerNode
      const limit = idempotent ? maxInFlight - state.inFlight : Infinity
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
          ;(lingering ??= []).push({ batch, leader, slot })
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
    // As Java's drain: a request that goes to a broker anyway also takes the batches still lingering for it, rather
    // than leave them to wait out lingerMs and go in a request of their own. Only into requests that exist already: a
    // lingering batch alone is no reason to send. The wake-up stays, for a request the in-flight limit holds back.
    if (lingering !== null) {
      for (const { batch, leader, slot } of lingering) {
        const slots = perNode.get(leader)
        if (slots !== undefined && slot < slots.length) slots[slot]!.push(batch)
        wakeAt = Math.min(wakeAt, batch.createdAt + linger)
      }
    }
    if (readyNodes !== null) {
      for (const nodeId of readyNodes) {
        this.#readyAt.set(nodeId, now)
        const drainedAt = this.#drainedAt.get(nodeId)
        if (drainedAt === undefined || (this.#host.inFlightTo(nodeId) < maxInFlightPerNode && !this.#unreachable.has(nodeId))) {
          this.#drainedAt.set(nodeId, now)
        } else if (now - drainedAt <= availabilityTimeout) {
          // Look again when this broker would turn unavailable, so new records avoid it from then on.
          wakeAt = Math.min(wakeAt, drainedAt + availabilityTimeout + 1)
        }
      }
    }
    if (this.#options.partitionerAdaptivePartitioningEnable) this.#updateLoad()
    return { perNode, expired, needMetadata, wakeAt }
  }

  #takeExpired(state: PartitionState, now: number, expired: ProducerBatch[]): void {
    for (let i = 0; i < state.queue.length; i++) {
      const batch = state.queue[i]!
      if (batch.inFlight || batch.deadline > now) continue
      state.queue.splice(i--, 1)
      expired.push(batch)
    }
  }

  /** A response came back from `nodeId` (adaptive availability). */
  onResponseFrom(nodeId: number): void {
    this.#unreachable.delete(nodeId)
  }

  /** A request to `nodeId` failed without a response: it cannot take batches until it answers again. */
  onUnreachable(nodeId: number): void {
    this.#unreachable.add(nodeId)
  }

  /**
   * Adaptive partitioning: the queue lengths (batches not yet sent) of each topic's partitions, leaving out
   * partitions with no leader and, with partitionerAvailabilityTimeoutMs, those with batches waiting for a broker
   * that has had ready data it could not take for longer than that (as Java: a partition with nothing waiting stays
   * in the draw, with the largest weight).
   */
  #updateLoad(): void {
    const timeout = this.#options.partitionerAvailabilityTimeoutMs
    for (const [topic, states] of this.#statesByTopic) {
      const info = this.#cluster.topic(topic)
      if (!info) continue
      // As Java: uniform until every partition of the topic has had a batch, since a partition the figures do not
      // list would never be drawn.
      if (states.length < info.partitions.length || states.includes(undefined)) {
        this.#sticky.updateLoad(topic, [], [], 0)
        continue
      }
      const queueSizes: number[] = []
      const partitions: number[] = []
      let known = 0
      for (const state of states) {
        if (state === undefined) continue
        known++
        const leader = info.partitions[state.partition]?.leader ?? -1
        if (leader < 0) continue
        // Batches waiting to be sent; those on the wire are the broker's queue, not ours.
        const waiting = state.queue.length - state.inFlight
        if (timeout > 0 && waiting > 0 && (this.#readyAt.get(leader) ?? 0) - (this.#drainedAt.get(leader) ?? 0) > timeout) continue
        queueSizes.push(waiting)
        partitions.push(state.partition)
      }
      this.#sticky.updateLoad(topic, queueSizes, partitions, known)
    }
  }

  // ---- queue upkeep (the sender's outcomes) ----

  /** Puts a batch back for another attempt, keeping the partition's sealed batches in sequence order. */
  requeue(batch: ProducerBatch): void {
    const state = batch.partitionState
    if (this.#options.idempotent) state.retrying = true
    const queue = state.queue
    const at = queue.indexOf(batch)
    if (at >= 0) queue.splice(at, 1)
    let i = 0
    while (i < queue.length && queue[i]!.sealed !== null && sequenceBefore(queue[i]!, batch)) i++
    queue.splice(i, 0, batch)
  }

  /** Puts the pieces of a split batch in its place, in sequence order among the partition's sealed batches. */
  replace(batch: ProducerBatch, pieces: ProducerBatch[]): void {
    const state = batch.partitionState
    const queue = state.queue
    const at = queue.indexOf(batch)
    if (at >= 0) queue.splice(at, 1)
    let insertAt = 0
    while (insertAt < queue.length && queue[insertAt]!.sealed !== null && sequenceBefore(queue[insertAt]!, pieces[0]!)) insertAt++
    queue.splice(insertAt, 0, ...pieces)
    if (this.#options.idempotent) state.retrying = true
  }

  /** The batch buffer of a batch the broker acknowledged goes back to the pool (see BatchBufferPool). */
  recycle(batch: ProducerBatch): void {
    this.#buffers.give(batch.builder.buffer)
  }

  /** Takes a settled batch out of its queue. */
  remove(batch: ProducerBatch): void {
    const queue = batch.partitionState.queue
    const at = queue.indexOf(batch)
    if (at >= 0) queue.splice(at, 1)
  }

  /** After a MESSAGE_TOO_LARGE split: the topic's batches close at `limit` until `relaxAt`. */
  learnBatchLimit(topic: string, limit: number, relaxAt: number): void {
    for (const other of this.#statesByTopic.get(topic) ?? []) {
      if (!other || other.batchLimit <= limit) continue
      other.batchLimit = limit
      other.batchLimitRelaxAt = relaxAt
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
    this.partitions.push(state)
    return state
  }
}

/** A partition's open batch that is not ready by itself (not full, linger not over), and the request slot it would take. */
interface LingeringBatch {
  batch: ProducerBatch
  leader: number
  slot: number
}

/** The partition's first batch not yet on the wire could go now by time (linger, backoff), whatever the in-flight limits. */
function firstWaitingReady(state: PartitionState, now: number, flushing: boolean, linger: number): boolean {
  const queue = state.queue
  for (let i = 0; i < queue.length; i++) {
    const batch = queue[i]!
    if (batch.inFlight) continue
    return batch.retryAt <= now && (batch.full || i < queue.length - 1 || flushing || now - batch.createdAt >= linger)
  }
  return false
}

function availablePartitions(info: TopicInfo): number[] {
  const out: number[] = []
  for (const p of info.partitions) if (p.leader >= 0) out.push(p.partition)
  return out
}
