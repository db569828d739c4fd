/**
 * `consumer.run()`'s engine: takes batches from samsa's consumer and hands them to `eachMessage` / `eachBatch`,
 * one partition per worker, at most `partitionsConsumedConcurrently` workers at once, each partition in order.
 *
 * A batch is owned (`nextOwnedBatch`): nothing of it counts as processed until the runner resolves an offset, so
 * commits — KafkaJS's after each batch, its threshold and interval, and samsa's own on revoke and close — never pass
 * a message whose handler has not finished. A batch whose partition was revoked, sought or paused meanwhile is
 * stale: the runner stops working on it, and its offsets no longer count (samsa's guarantee; KafkaJS keeps
 * processing revoked partitions and can commit over their new owner).
 *
 * A throwing handler is retried in place with KafkaJS's backoff (the messages it has not resolved are delivered
 * again); when the retries are spent the run crashes with `KafkaJSNumberOfRetriesExceeded`, as KafkaJS's does.
 */
import type { Consumer as SamsaConsumer } from '../consumer/consumer.js'
import type { ConsumerMessage, OwnedBatch, TopicPartition } from '../consumer/types.js'
import { type ConsumerProcessContext, tracingChannels } from '../network/instrumentation.js'
import { KafkaJSNumberOfRetriesExceeded, isKafkaJSError, toKafkaJSError } from './errors.js'
import type { InstrumentationEmitter } from './instrumentation.js'
import type { Logger } from './logger.js'
import {
  consumerEvents as events,
  type Batch,
  type EachBatchHandler,
  type EachMessageHandler,
  type IBatchProcessEvent,
  type IHeaders,
  type KafkaMessage,
  type Offsets,
  type OffsetsByTopicPartition,
  type PartitionOffset,
} from './consumer-types.js'

export interface ResolvedRetry {
  retries: number
  initialRetryTime: number
  maxRetryTime: number
  multiplier: number
  factor: number
}

/** KafkaJS's retry schedule: initialRetryTime × multiplier^n, randomised by ±factor, capped at maxRetryTime. */
export function retryTime(retry: ResolvedRetry, attempt: number): number {
  const base = Math.min(retry.maxRetryTime, retry.initialRetryTime * retry.multiplier ** attempt)
  return Math.round(base * (1 + retry.factor * (2 * Math.random() - 1)))
}

/** Resolved and committed offsets per partition, as KafkaJS's offset manager reports them (next offset to read). */
export class OffsetBook {
  readonly resolved = new Map<string, { topic: string; partition: number; offset: bigint }>()
  readonly committed = new Map<string, bigint>()

  /** The partition's resolved entry, made on first use; a batch looks it up once and then sets `offset`. */
  entry(topic: string, partition: number, firstOffset: bigint): { topic: string; partition: number; offset: bigint } {
    const key = `${topic}|${partition}`
    let entry = this.resolved.get(key)
    if (!entry) this.resolved.set(key, (entry = { topic, partition, offset: firstOffset }))
    // Without a commit seen yet, count from where this member started rather than from offset 0.
    if (!this.committed.has(key)) this.committed.set(key, firstOffset)
    return entry
  }

  markCommitted(topic: string, partition: number, offset: bigint): void {
    this.committed.set(`${topic}|${partition}`, offset)
  }

  forget(topic: string, partition: number): void {
    this.resolved.delete(`${topic}|${partition}`)
    this.committed.delete(`${topic}|${partition}`)
  }

  /** Messages resolved and not yet committed, summed over partitions (KafkaJS's autoCommitThreshold count). */
  countUncommitted(): bigint {
    let count = 0n
    for (const [key, { offset }] of this.resolved) {
      const committed = this.committed.get(key)
      count += committed === undefined ? offset : offset - committed
    }
    return count
  }

  /**
   * KafkaJS's runtime shape: partitions as strings (KafkaJS builds the list from object keys), although its
   * declarations, kept here, say number. Handing the result back to commitOffsetsIfNecessary or sendOffsets works.
   */
  uncommitted(): OffsetsByTopicPartition {
    const byTopic = new Map<string, Array<{ partition: string; offset: string }>>()
    for (const [key, { topic, partition, offset }] of this.resolved) {
      if (this.committed.get(key) === offset) continue
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      list.push({ partition: String(partition), offset: String(offset) })
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions as unknown as PartitionOffset[] })) }
  }
}

export interface RunnerOptions {
  native: SamsaConsumer
  groupId: string
  /** For the samsa:consumer:process tracing context. */
  clientId: string
  logger: Logger
  emitter: InstrumentationEmitter
  retry: ResolvedRetry
  eachMessage: EachMessageHandler | null
  eachBatch: EachBatchHandler | null
  eachBatchAutoResolve: boolean
  autoCommit: boolean
  autoCommitInterval: number | null
  autoCommitThreshold: number | null
  concurrency: number
  offsets: OffsetBook
  /** Commits what is resolved (samsa's processed offsets), or exactly `offsets`. */
  commit(offsets?: Offsets): Promise<void>
  heartbeat(): Promise<void>
  pause(topic: string, partition: number): () => void
  isPaused(topic: string, partition: number): boolean
}

const toHeaders = (headers: ConsumerMessage['headers']): IHeaders => {
  const result: IHeaders = {}
  for (let i = 0; i < headers.length; i++) {
    const [key, value] = headers[i]!
    const prior = result[key]
    // KafkaJS's shape: one value per key, an array once a key repeats; a null value stays null at runtime.
    const v = value as Buffer
    result[key] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v]
  }
  return result
}

export function toKafkaMessage(m: ConsumerMessage): KafkaMessage {
  return {
    // KafkaJS's record-batch (v2) fields; samsa hands out no control records, and fetches record batches.
    magicByte: 2,
    attributes: 0,
    timestamp: String(m.timestamp),
    offset: String(m.offset),
    key: m.key,
    value: m.value,
    headers: m.headers.length === 0 ? {} : toHeaders(m.headers),
    isControlRecord: false,
  }
}

/** KafkaJS's batch view over one owned batch (lag figures are KafkaJS's: to highWatermark − 1). */
export function toBatch(owned: OwnedBatch, messages: KafkaMessage[]): Batch {
  const { topic, partition, highWatermark } = owned.batch
  const hw = highWatermark
  // Only skipped records (aborted, control): KafkaJS's offsets are those of the records it filtered out.
  const first = owned.skipped?.firstOffset ?? owned.batch.messages[0]?.offset ?? null
  const last = owned.skipped?.lastOffset ?? owned.batch.messages[owned.batch.messages.length - 1]?.offset ?? hw - 1n
  return {
    topic,
    partition,
    highWatermark: String(hw),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (first === null ? null : String(first)),
    lastOffset: () => String(last),
    offsetLag: () => String(hw - 1n - last),
    offsetLagLow: () => (first === null ? '0' : String(hw - 1n - first)),
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })

export class Runner {
  readonly #o: RunnerOptions
  #running = true
  readonly #stopping = new AbortController()
  /** Batches waiting per partition, in order; a partition is in `#active` while a worker runs it. */
  readonly #queues = new Map<string, OwnedBatch[]>()
  readonly #waiting: string[] = []
  readonly #active = new Map<string, Promise<void>>()
  #queued = 0
  #wakePuller: (() => void) | null = null
  #failure: Error | null = null
  #lastCommit = Date.now()
  /** Partitions being revoked: their handlers finish the message in hand and take no more (see finishRevoked). */
  readonly #revoking = new Set<string>()
  /** Ends when the runner stops: resolves after stop(), rejects with the error that crashed it. */
  readonly done: Promise<void>

  constructor(options: RunnerOptions) {
    this.#o = options
    this.done = this.#pull()
  }

  get running(): boolean {
    return this.#running
  }

  /**
   * Stops taking batches; the messages in process finish (their offsets resolve), the rest is left. A handler that
   * does not finish within `boundMs` is left running: stop() returns, and that message is not committed.
   */
  async stop(boundMs: number): Promise<boolean> {
    this.#running = false
    this.#stopping.abort()
    this.#wakePuller?.()
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), boundMs)))
    try {
      return await Promise.race([this.done.then(() => true, () => true), bound])
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * samsa's onRevoked: the messages in process on these partitions finish (their offsets resolve, so the commit on
   * revoke includes them) and nothing more of them starts, at most `boundMs`. The partitions stay closed to the
   * runner until `released()`, when samsa has dropped them and their batches are stale.
   */
  async finishRevoked(partitions: TopicPartition[], boundMs: number): Promise<void> {
    const workers: Array<Promise<void>> = []
    for (const { topic, partition } of partitions) {
      const key = `${topic}|${partition}`
      this.#revoking.add(key)
      const worker = this.#active.get(key)
      if (worker) workers.push(worker)
    }
    if (workers.length === 0) return
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)))
    try {
      await Promise.race([Promise.all(workers), bound])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Revoked or lost partitions samsa has dropped: a later assignment of them is worked on again. */
  released(partitions: TopicPartition[]): void {
    if (this.#revoking.size === 0) return
    for (const { topic, partition } of partitions) this.#revoking.delete(`${topic}|${partition}`)
  }

  #gone(owned: OwnedBatch, key: string): boolean {
    return owned.stale() || (this.#revoking.size > 0 && this.#revoking.has(key))
  }

  async #pull(): Promise<void> {
    const limit = Math.max(1, this.#o.concurrency)
    try {
      while (this.#running && this.#failure === null) {
        // One batch ahead per worker slot: processing overlaps the next take, and memory stays bounded.
        if (this.#queued >= limit) {
          await new Promise<void>((resolve) => (this.#wakePuller = resolve))
          this.#wakePuller = null
          continue
        }
        let owned: OwnedBatch | null
        try {
          owned = await this.#o.native.nextOwnedBatch(this.#stopping.signal, { skipped: true })
        } catch (error) {
          throw toKafkaJSError(error)
        }
        if (owned === null) break
        this.#enqueue(owned, limit)
      }
    } catch (error) {
      this.#failure ??= error as Error
    }
    this.#running = false
    while (this.#active.size > 0) await Promise.all([...this.#active.values()])
    if (this.#failure) throw this.#failure
  }

  #enqueue(owned: OwnedBatch, limit: number): void {
    const key = `${owned.batch.topic}|${owned.batch.partition}`
    let queue = this.#queues.get(key)
    if (!queue) this.#queues.set(key, (queue = []))
    queue.push(owned)
    this.#queued++
    if (!this.#active.has(key) && !this.#waiting.includes(key)) this.#waiting.push(key)
    this.#startWorkers(limit)
  }

  #startWorkers(limit: number): void {
    while (this.#active.size < limit && this.#waiting.length > 0) {
      const key = this.#waiting.shift()!
      const worker = this.#work(key).finally(() => {
        this.#active.delete(key)
        if (this.#queues.get(key)?.length) this.#waiting.push(key)
        else this.#queues.delete(key)
        this.#startWorkers(limit)
      })
      this.#active.set(key, worker)
    }
  }

  async #work(key: string): Promise<void> {
    const queue = this.#queues.get(key)!
    while (queue.length > 0) {
      const owned = queue.shift()!
      this.#queued--
      this.#wakePuller?.()
      if (!this.#running || this.#failure !== null) continue
      try {
        await this.#process(owned)
      } catch (error) {
        this.#failure ??= error as Error
        this.#stopping.abort()
      }
    }
  }

  async #process(owned: OwnedBatch): Promise<void> {
    const { topic, partition } = owned.batch
    if (this.#gone(owned, `${topic}|${partition}`)) return
    // Fetched before a pause: handed back, read again on resume.
    if (this.#o.isPaused(topic, partition)) return owned.giveBack(owned.skipped?.firstOffset ?? owned.batch.messages[0]!.offset)
    if (owned.skipped) return this.#skipped(owned)
    const messages = owned.batch.messages.map(toKafkaMessage)
    const batch = toBatch(owned, messages)
    const emitter = this.#o.emitter
    const timed = emitter.listening(events.START_BATCH_PROCESS) || emitter.listening(events.END_BATCH_PROCESS)
    const startedAt = timed ? Date.now() : 0
    const payload: IBatchProcessEvent | null = timed
      ? {
          topic,
          partition,
          highWatermark: batch.highWatermark,
          offsetLag: batch.offsetLag(),
          offsetLagLow: batch.offsetLagLow(),
          batchSize: messages.length,
          firstOffset: batch.firstOffset() ?? batch.lastOffset(),
          lastOffset: batch.lastOffset(),
        }
      : null
    if (payload) emitter.emit(events.START_BATCH_PROCESS, payload)
    if (this.#o.eachMessage) await this.#eachMessage(owned, messages, this.#o.eachMessage)
    else await this.#eachBatch(owned, batch, this.#o.eachBatch!)
    if (payload) emitter.emit(events.END_BATCH_PROCESS, { ...payload, duration: Date.now() - startedAt })
    if (this.#o.autoCommit) await this.#commit()
  }

  /**
   * Records the application never sees (an aborted transaction's, control markers): as KafkaJS, the batch events
   * with an empty batch, and the offset moves past them, so commits and lag do not stay behind a marker.
   */
  async #skipped(owned: OwnedBatch): Promise<void> {
    const batch = toBatch(owned, [])
    const emitter = this.#o.emitter
    const startedAt = Date.now()
    const payload: IBatchProcessEvent = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: 0,
      firstOffset: batch.firstOffset()!,
      lastOffset: batch.lastOffset(),
    }
    emitter.emit(events.START_BATCH_PROCESS, payload)
    this.#resolve(owned, owned.skipped!.lastOffset)
    if (this.#o.autoCommit) await this.#commit()
    emitter.emit(events.END_BATCH_PROCESS, { ...payload, duration: Date.now() - startedAt })
  }

  #resolve(owned: OwnedBatch, offset: bigint): void {
    if (owned.stale()) return
    owned.resolve(offset)
    const { topic, partition, messages } = owned.batch
    this.#o.offsets.entry(topic, partition, messages[0]?.offset ?? offset).offset = offset + 1n
  }

  // The per-message path: no closure, promise or map look-up per message beyond the handler call itself.
  async #eachMessage(owned: OwnedBatch, messages: KafkaMessage[], handler: EachMessageHandler): Promise<void> {
    const { topic, partition } = owned.batch
    const key = `${topic}|${partition}`
    const offsets = owned.batch.messages
    const pause = (): (() => void) => this.#o.pause(topic, partition)
    const heartbeat = (): Promise<void> => this.#o.heartbeat()
    const resolved = this.#o.offsets.entry(topic, partition, offsets[0]!.offset)
    for (let i = 0; i < messages.length; i++) {
      if (!this.#running || this.#gone(owned, key)) return
      const payload = { topic, partition, message: messages[i]!, heartbeat, pause }
      try {
        if (tracingChannels.consumerProcess.hasSubscribers) await this.#traced(owned, 'eachMessage', [offsets[i]!], () => handler(payload))
        else await handler(payload)
      } catch (error) {
        const again = (): Promise<void> | void =>
          tracingChannels.consumerProcess.hasSubscribers ? this.#traced(owned, 'eachMessage', [offsets[i]!], () => handler(payload)) : handler(payload)
        if (!(await this.#retry(owned, error, again, () => offsets[i]!.offset))) return
      }
      if (owned.stale()) return
      const offset = offsets[i]!.offset
      owned.resolve(offset)
      resolved.offset = offset + 1n
      if (this.#commitDue()) await this.#commit()
      if (this.#o.isPaused(topic, partition)) {
        if (i + 1 < messages.length) owned.giveBack(offsets[i + 1]!.offset)
        return
      }
      // Each handler call resolves in a microtask, so a batch would otherwise run in one turn of the event loop —
      // and the next batch with it, taken meanwhile: 7-13 ms while the code is still cold. Yield on delivery's
      // slice, the clock the next take checks too (delivery reads it every few calls, more often while slow).
      const turn = this.#o.native.yieldIfSliceSpent()
      if (turn !== null) await turn
    }
  }

  /**
   * A handler call published on samsa:consumer:process, run inside its bound stores (as samsa's own run() does);
   * from an async function, so that a synchronous throw ends the operation too.
   */
  #traced(owned: OwnedBatch, style: 'eachMessage' | 'eachBatch', messages: readonly ConsumerMessage[], call: () => Promise<void> | void): Promise<void> {
    const { topic, partition } = owned.batch
    const context: ConsumerProcessContext = { clientId: this.#o.clientId, groupId: this.#o.groupId, style, topic, partition, messages }
    return tracingChannels.consumerProcess.tracePromise(async () => call(), context)
  }

  async #eachBatch(owned: OwnedBatch, batch: Batch, handler: EachBatchHandler): Promise<void> {
    const { topic, partition } = owned.batch
    const last = owned.batch.messages[owned.batch.messages.length - 1]?.offset
    let resolvedUpTo: bigint | null = null
    const payload = {
      resolveOffset: (offset: string): void => {
        const value = BigInt(offset)
        if (resolvedUpTo === null || value > resolvedUpTo) resolvedUpTo = value
        this.#resolve(owned, value)
      },
      heartbeat: (): Promise<void> => this.#o.heartbeat(),
      pause: (): (() => void) => this.#o.pause(topic, partition),
      commitOffsetsIfNecessary: (offsets?: Offsets): Promise<void> => (offsets ? this.#o.commit(offsets) : this.#commitIfNecessary(true)),
      uncommittedOffsets: (): OffsetsByTopicPartition => this.#o.offsets.uncommitted(),
      isRunning: (): boolean => this.#running,
      isStale: (): boolean => owned.stale(),
    }
    // A retry hands over the messages after the last resolved offset, as KafkaJS's re-fetch would.
    const call = (): Promise<void> => {
      const from = resolvedUpTo
      const pending = from === null ? batch : toBatch(owned, batch.messages.filter((m) => BigInt(m.offset) > from))
      if (!tracingChannels.consumerProcess.hasSubscribers) return handler({ batch: pending, ...payload })
      const messages = from === null ? owned.batch.messages : owned.batch.messages.filter((m) => m.offset > from)
      return this.#traced(owned, 'eachBatch', messages, () => handler({ batch: pending, ...payload }))
    }
    try {
      await call()
    } catch (error) {
      const from = (): bigint => (resolvedUpTo === null ? owned.batch.messages[0]!.offset : resolvedUpTo + 1n)
      if (!(await this.#retry(owned, error, call, from))) return
    }
    if (this.#o.eachBatchAutoResolve && last !== undefined) this.#resolve(owned, last)
    else if (this.#o.isPaused(topic, partition) && last !== undefined && (resolvedUpTo === null || resolvedUpTo < last)) {
      owned.giveBack(resolvedUpTo === null ? owned.batch.messages[0]!.offset : resolvedUpTo + 1n)
    }
  }

  /**
   * After a handler threw: calls it again with KafkaJS's backoff while the batch is still ours and running. True
   * once a call succeeded; false when the batch was given up (stopped, revoked, sought, paused); throws when
   * retries are spent. `from` is the first offset not processed.
   */
  async #retry(owned: OwnedBatch, firstError: unknown, call: () => Promise<void> | void, from: () => bigint): Promise<boolean> {
    const retry = this.#o.retry
    const { topic, partition } = owned.batch
    const key = `${topic}|${partition}`
    // Paused (typically by the failing handler itself): as in KafkaJS, nothing is delivered again until resume(),
    // when the partition is read again from the unprocessed message.
    const givenBack = (): boolean => {
      if (!this.#o.isPaused(topic, partition)) return false
      owned.giveBack(from())
      return true
    }
    let error = firstError
    for (let attempt = 0; ; attempt++) {
      const err = error instanceof Error ? error : new Error(String(error))
      if (!isKafkaJSError(err)) {
        this.#o.logger.error(`Error when calling ${this.#o.eachMessage ? 'eachMessage' : 'eachBatch'}`, {
          topic: owned.batch.topic,
          partition: owned.batch.partition,
          stack: err.stack,
          error: err,
        })
      }
      // What finished before the throw is committed, as KafkaJS does before it retries.
      if (this.#o.autoCommit) await this.#commit()
      if (givenBack()) return false
      const wait = retryTime(retry, attempt)
      if (attempt >= retry.retries) throw new KafkaJSNumberOfRetriesExceeded(err, { retryCount: attempt, retryTime: wait })
      await sleep(wait, this.#stopping.signal)
      // Stopped, revoked or sought while waiting: the message is no longer this run's to retry.
      if (!this.#running || this.#gone(owned, key) || givenBack()) return false
      try {
        await call()
        return true
      } catch (next) {
        error = next
      }
    }
  }

  async #commit(): Promise<void> {
    this.#lastCommit = Date.now()
    await this.#o.commit()
  }

  /** KafkaJS's rule: commit when autoCommitInterval has passed or autoCommitThreshold offsets are resolved. */
  #commitDue(evenWithoutAutoCommit = false): boolean {
    if (!this.#o.autoCommit && !evenWithoutAutoCommit) return false
    const { autoCommitInterval, autoCommitThreshold } = this.#o
    if (autoCommitInterval !== null && Date.now() >= this.#lastCommit + autoCommitInterval) return true
    return autoCommitThreshold !== null && this.#o.offsets.countUncommitted() >= BigInt(autoCommitThreshold)
  }

  async #commitIfNecessary(evenWithoutAutoCommit = false): Promise<void> {
    if (this.#commitDue(evenWithoutAutoCommit)) await this.#commit()
  }
}
