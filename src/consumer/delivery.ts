/**
 * The delivery buffer (Java's FetchBuffer and FetchCollector): the chunks the fetcher queued, turned into messages
 * one at a time for `for await`, `batches()` and `run()`, and the in-process bookkeeping that says what the
 * application has finished. "Finished" is defined by the iteration itself: a message counts as processed when the
 * application asks for the next one (the loop body returned), a batch when the next batch is asked for.
 *
 * Deserializers run as a message is handed out, never on the way without one (the default path has no extra
 * branch beyond a null check). A deserializer that throws holds the consumer at that record: it is not handed out,
 * its position is not passed, and every later request for a message retries it until it deserializes or a seek,
 * revoke or pause makes it stale.
 *
 * Event-loop fairness: a `for await` loop over buffered messages never returns to the event loop by itself (each
 * step is a resolved promise, i.e. a microtask). Delivery therefore yields with setImmediate once it has run for
 * SLICE_MS without a break, so heartbeats, socket reads and the application's own timers keep running. The slice is
 * measured with performance.now(): it bounds CPU work, so it is real time even when the client's clock is not.
 */
import { performance } from 'node:perf_hooks'
import type { KafkaError } from '../errors.js'
import { AbortError } from '../network/abort.js'
import type { RecordSource } from '../records/index.js'
import type { Header } from '../records/types.js'
import { DeserializationError } from './errors.js'
import type { FetchedChunk, NextBatch } from './fetched-chunk.js'
import type { PartitionState } from './partition-state.js'
import type { ConsumerBatch, ConsumerMessage, Deserializer } from './types.js'

/** What a message is built from: a record source positioned at it, or a held record's copy of those fields. */
interface RecordFields {
  readonly offset: bigint
  readonly timestampMs: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Header[]
}

/** How long delivery may run before it lets the event loop turn. */
const SLICE_MS = 2
/** Messages between reads of the clock while they are quick, and while they are slow (see #sliceExpired); powers of two. */
const MANY_MESSAGES = 64
const FEW_MESSAGES = 8
/** What counts as a slow message: a slice's worth of them is 256. */
const SLOW_MESSAGE_MS = SLICE_MS / 256
/** Buffered bytes from which data that arrives while the application waits is delivered from the next turn. */
const DELIVER_NEXT_TURN_BYTES = 64 * 1024

/** Messages handed out and not yet finished, per partition run: what `markProcessed` makes processed. */
export interface InProcess {
  state: PartitionState
  generation: number
  next: bigint
  epoch: number
}

/** Offsets of one partition that delivery moved past without a record to hand out (aborted data, markers). */
export interface SkippedRange {
  chunk: FetchedChunk
  first: bigint
  last: bigint
  epoch: number
}

export interface DeliveryHost {
  /** Iteration ends (the consumer closed). */
  closed(): boolean
  /** An error that ends iteration: thrown to the application. */
  fatal(): KafkaError | null
  /** A chunk of `state` left the buffer: room for the fetcher to fetch more. */
  released(state: PartitionState): void
  /** The application starts reading a record batch `bytes` long (consumer metrics). */
  batchOpened?(bytes: number): void
}

export interface DeliveryOptions {
  checkCrcs: boolean
  keyDeserializer: Deserializer<unknown> | null
  valueDeserializer: Deserializer<unknown> | null
}

export class DeliveryBuffer<K, V> {
  readonly #host: DeliveryHost
  readonly #checkCrcs: boolean
  readonly #keyDeserializer: Deserializer<unknown> | null
  readonly #valueDeserializer: Deserializer<unknown> | null
  readonly #deserializing: boolean
  readonly #ready: FetchedChunk[] = []
  #readyHead = 0
  #bufferedBytes = 0
  #current: { chunk: FetchedChunk; records: RecordSource | null; from: bigint | null; leaderEpoch: number } | null = null
  /** A record whose deserializer threw: handed out once it deserializes, dropped once stale. */
  #held: { chunk: FetchedChunk; record: RecordFields; leaderEpoch: number; next: bigint } | null = null
  #inProcess: InProcess[] = []
  #spareInProcess: InProcess | null = null
  #waiter: (() => void) | null = null
  /**
   * When set (samsa/kafkajs's runner), batches skipped in a row are collected into `#skipped` and delivery stops at
   * them, so that `takeSkipped()` can report them in order with the messages around them.
   */
  reportSkipped = false
  #skipped: SkippedRange | null = null
  #sliceStart = 0
  /** Messages since the clock was last read. */
  #sliceCount = 0
  /** Messages between reads of the clock (see #sliceExpired). */
  #checkEvery = FEW_MESSAGES
  #lastCheck = 0
  #yieldDue = false
  /** Delivery goes on in the turn of an I/O callback (data arrived, a batch decompressed), not in an immediate. */
  #inIoTurn = false
  /** The current chunk's next batch being decompressed off the event loop: next() waits for it, not for data. */
  #inflating: Promise<void> | null = null

  constructor(host: DeliveryHost, options: DeliveryOptions) {
    this.#host = host
    this.#checkCrcs = options.checkCrcs
    this.#keyDeserializer = options.keyDeserializer
    this.#valueDeserializer = options.valueDeserializer
    this.#deserializing = this.#keyDeserializer !== null || this.#valueDeserializer !== null
  }

  /** Bytes fetched and not yet handed out (the fetcher stops at fetchMaxBytes). */
  get bufferedBytes(): number {
    return this.#bufferedBytes
  }

  /** A chunk the fetcher queued. */
  push(chunk: FetchedChunk): void {
    this.#ready.push(chunk)
    this.#bufferedBytes += chunk.size
    this.wake()
  }

  /** Ends a wait for data: there is data, an error to throw, or iteration is over. */
  wake(): void {
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = null
      waiter()
    }
  }

  /** Marks everything handed out so far as processed. */
  markProcessed(): void {
    const list = this.#inProcess
    if (list.length === 0) return
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!
      if (p.state.revoked || p.state.generation !== p.generation) continue
      p.state.processed = p.next
      p.state.processedEpoch = p.epoch
    }
    // Reused, not replaced: this runs once per message. (eachBatch swaps the array out before handing it on.) The
    // one-entry case pops: setting length goes through the runtime, a pop does not.
    if (list.length === 1) this.#spareInProcess = list.pop()!
    else list.length = 0
  }

  /** What is in process is not known to be finished (a loop left early, close): it stays unprocessed. */
  forgetInProcess(): void {
    this.#inProcess = []
  }

  /** Takes the in-process list away while eachBatch runs (it resolves offsets itself), to be put back after. */
  detachInProcess(): InProcess[] {
    const list = this.#inProcess
    this.#inProcess = []
    return list
  }

  restoreInProcess(list: InProcess[]): void {
    this.#inProcess = list
  }

  /** The skipped offsets delivery stopped at (see reportSkipped); null when none, or when they went stale. */
  takeSkipped(): SkippedRange | null {
    const skipped = this.#skipped
    this.#skipped = null
    return skipped !== null && !skipped.chunk.stale ? skipped : null
  }

  /**
   * Next message, or null once closed/aborted — or, with reportSkipped, when skipped offsets wait in takeSkipped().
   * The caller has marked the previous one processed.
   */
  async next(signal: AbortSignal | undefined): Promise<ConsumerMessage<K, V> | null> {
    for (;;) {
      if (this.#host.closed() || signal?.aborted) return null
      const fatal = this.#host.fatal()
      if (fatal) throw fatal
      if (this.#skipped !== null) return null
      // Yield before taking, so that nothing taken can go stale (seek, revoke) while the event loop turns.
      if (this.#sliceExpired()) {
        await this.#yieldTurn()
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
      if (this.#skipped !== null) return null
      if (this.#yieldDue) continue
      if (this.#inflating !== null) {
        const inflating = this.#inflating
        this.#inflating = null
        await inflating
        this.#inIoTurn = true
        // The loop was free while the batch decompressed: records of it start a fresh slice.
        this.#startSlice()
        continue
      }
      try {
        await this.#waitForData(signal)
      } catch (error) {
        if (error instanceof AbortError) return null
        throw error
      }
      this.#inIoTurn = true
      // A large response took its turn to parse (partition headers, batch positions, cold code early on): deliver
      // from the next turn. A small one, the low-rate case where latency counts, is delivered in the turn that read
      // it, with a fresh slice (the loop was idle while waiting).
      if (this.#bufferedBytes >= DELIVER_NEXT_TURN_BYTES) {
        this.#yieldDue = true
      } else {
        this.#startSlice()
      }
    }
  }

  /**
   * The common case without a promise of our own: a message is buffered and no yield is due. `undefined` means
   * "take the slow path" (nothing buffered, a yield is due, an error to throw).
   */
  nextSync(signal: AbortSignal | undefined): ConsumerMessage<K, V> | null | undefined {
    if (this.#host.closed() || signal?.aborted) return null
    if (this.#host.fatal() || this.#held !== null || this.#skipped !== null || this.#sliceExpired()) return undefined
    const taken = this.#take()
    return taken === null ? undefined : this.#handOut(taken)
  }

  /**
   * A batch for `batches()`: `first` (just handed out by `next`) and what follows it in the same decoded record
   * batch of the same partition, up to `limit` messages — no extra decoding, no partition mixing — and fewer once
   * the delivery slice is spent.
   */
  batchFrom(first: ConsumerMessage<K, V>, limit: number): ConsumerBatch<K, V> {
    const state = this.#current?.chunk.state
    const messages = [first]
    const started = performance.now()
    // As often as #sliceExpired reads it: more often while messages are slow.
    const checkMask = this.#checkEvery - 1
    while (messages.length < limit) {
      // Hundreds of records decoded in cold code took over 10 ms: a batch takes at most a slice to build. Measured
      // from here, not from the slice's start, so that the application's work on the last batch does not shorten this
      // one (short batches cost a runner more per message).
      if ((messages.length & checkMask) === 0 && performance.now() - started > SLICE_MS) {
        this.#yieldDue = true
        break
      }
      const current = this.#current
      if (!current || current.chunk.state !== state || current.records === null || current.chunk.stale) break
      const record = current.records
      try {
        if (!record.advance()) {
          current.records = null
          break
        }
      } catch {
        // Deliver what was read; the next take meets the same error (the cursor repeats it) and reports it.
        break
      }
      if (current.from !== null && record.offset < current.from) continue
      if (this.#deserializing) {
        try {
          messages.push(this.#deserialized(current.chunk, record, current.leaderEpoch, record.nextOffset))
        } catch {
          // Deliver what deserialized; the record is held and the next request reports it.
          break
        }
      } else messages.push(this.#toMessage(current.chunk.state, record, current.leaderEpoch, record.nextOffset))
    }
    // The clock is read once per batch here. Counted per call, it was read every 64 batches, and an application
    // working on each batch held the event loop for tens of milliseconds; adding the batch's messages to the count
    // would pass their quick building off as the pace of the application's work (see #sliceExpired).
    this.#clockRead(performance.now())
    const highWatermark = state && !state.revoked ? (state.highWatermark ?? -1n) : -1n
    const nextOffset = messages[messages.length - 1]!.offset + 1n
    return { topic: first.topic, partition: first.partition, messages, highWatermark, lag: highWatermark >= nextOffset ? highWatermark - nextOffset : 0n }
  }

  #releaseChunk(chunk: FetchedChunk): void {
    chunk.release()
    chunk.state.bufferedChunks--
    chunk.state.bufferedBytes -= chunk.size
    this.#bufferedBytes -= chunk.size
    this.#host.released(chunk.state)
  }

  /**
   * The next record (and its partition) from the buffer, or null when nothing is buffered. Decodes one batch at a
   * time. Skips stale chunks (seek, revoke, pause happened after they were fetched).
   */
  #take(): RecordSource | null {
    for (;;) {
      const current = this.#current
      if (current !== null) {
        if (current.chunk.stale) {
          this.#finishCurrent()
          continue
        }
        const records = current.records
        if (records !== null) {
          let read: boolean
          try {
            read = records.advance()
          } catch (error) {
            this.#finishCurrent()
            throw error
          }
          if (read) {
            if (current.from !== null && records.offset < current.from) continue
            // The source holds the record's fields and #current its partition and epoch: no per-record object.
            return records
          }
          current.records = null
        }
        // Opening a batch checks its CRC and decompresses it: start that on a fresh slice rather than at the end of a
        // spent one. Records are decoded one by one as they are taken, so no turn decodes a whole batch.
        if (performance.now() - this.#sliceStart > SLICE_MS / 2) {
          this.#yieldDue = true
          return null
        }
        // A large compressed batch decompresses off the event loop first (next() waits for it); nextSync takes the
        // slow path meanwhile.
        const inflating = current.chunk.inflateNext()
        if (inflating !== null) {
          this.#inflating = inflating
          return null
        }
        let next: NextBatch | null
        try {
          next = current.chunk.nextBatch(this.#checkCrcs)
        } catch (error) {
          this.#finishCurrent()
          throw error
        }
        if (next === null) {
          this.#finishCurrent()
          // Skipped batches are reported per chunk (as KafkaJS reports per fetched partition): stop here.
          if (this.#skipped !== null) return null
          continue
        }
        current.records = next.records
        current.from = next.from
        // The batch after this one, if large and compressed, decompresses on the thread pool while this one is read.
        current.chunk.inflateNext()
        if (next.count > 0) this.#host.batchOpened?.(next.bytes)
        current.leaderEpoch = next.leaderEpoch
        if (next.skipped !== undefined) {
          if (this.reportSkipped) this.#addSkipped(current.chunk, next.skipped, next.leaderEpoch)
        } else if (this.#skipped !== null) return null // records follow skipped ones: report those first
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

  #addSkipped(chunk: FetchedChunk, range: { first: bigint; last: bigint }, epoch: number): void {
    const skipped = this.#skipped
    if (skipped !== null && skipped.chunk === chunk) {
      skipped.last = range.last
      if (epoch >= 0) skipped.epoch = epoch
    } else this.#skipped = { chunk, first: range.first, last: range.last, epoch }
  }

  #finishCurrent(): void {
    const current = this.#current
    if (!current) return
    this.#current = null
    this.#releaseChunk(current.chunk)
  }

  /** Messages handed out since the metrics last took the count (see takeHandedOut). */
  #handedOut = 0

  /** Messages handed out since the last call: the consumer metrics fold them in per batch and when read. */
  takeHandedOut(): number {
    const n = this.#handedOut
    this.#handedOut = 0
    return n
  }

  /** `next` is the offset after the record (the cursor's, which the following record's offset reuses). */
  #toMessage(state: PartitionState, record: RecordFields, leaderEpoch: number, next: bigint): ConsumerMessage<K, V> {
    // A plain increment: the sensor is updated per batch (batchOpened) and on read, never per message.
    this.#handedOut++
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
      timestamp: record.timestampMs,
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
  #deserialized(chunk: FetchedChunk, record: RecordFields, leaderEpoch: number, next: bigint): ConsumerMessage<K, V> {
    const state = chunk.state
    let field: 'key' | 'value' = 'key'
    let key: unknown = record.key
    let value: unknown = record.value
    try {
      if (record.key !== null && this.#keyDeserializer !== null) key = this.#keyDeserializer(record.key, state.topic)
      field = 'value'
      if (record.value !== null && this.#valueDeserializer !== null) value = this.#valueDeserializer(record.value, state.topic)
    } catch (cause) {
      // The source moves on; the held record keeps its own copy of the fields.
      const { offset, timestampMs, key: rawKey, value: rawValue, headers } = record
      this.#held = { chunk, record: { offset, timestampMs, key: rawKey, value: rawValue, headers }, leaderEpoch, next }
      throw new DeserializationError(state.topic, state.partition, record.offset, field, cause)
    }
    this.#held = null
    const message = this.#toMessage(state, record, leaderEpoch, next)
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
    return this.#deserialized(held.chunk, held.record, held.leaderEpoch, held.next)
  }

  #handOut(record: RecordSource): ConsumerMessage<K, V> {
    const current = this.#current!
    const next = record.nextOffset
    if (this.#deserializing) return this.#deserialized(current.chunk, record, current.leaderEpoch, next)
    return this.#toMessage(current.chunk.state, record, current.leaderEpoch, next)
  }

  /**
   * For a runner that calls handlers itself between takes (samsa/kafkajs's eachMessage), after each handler: a
   * promise that lets the event loop turn once delivery's slice is spent — one clock for both, so that neither yields
   * right after the other did — or null while the slice lasts. Counts as a message: the clock is read as often as
   * for messages taken.
   */
  yieldIfSliceSpent(): Promise<void> | null {
    return this.#sliceExpired() ? this.#yieldTurn() : null
  }

  async #yieldTurn(): Promise<void> {
    await yieldToEventLoop()
    // From the turn that handled I/O (a Fetch response, a decompression) an immediate runs in that same turn, before
    // timers get theirs: the first delivery slice after a large response held timers for the response's parse and
    // the slice together (13 ms in cold code). A second immediate runs after them.
    if (this.#inIoTurn) await yieldToEventLoop()
    this.#inIoTurn = false
    this.#yieldDue = false
    this.#startSlice()
  }

  #startSlice(): void {
    this.#sliceStart = this.#lastCheck = performance.now()
    this.#sliceCount = 0
  }

  /**
   * Whether delivery has run long enough that the event loop should get a turn. Reading the clock costs about 50 ns,
   * so it is read every MANY_MESSAGES while messages are quick; while each takes more than SLOW_MESSAGE_MS (code not
   * yet optimised: the first records a process reads took ~80 µs each, and 64 of them held the loop 5 ms past its
   * slice), every FEW_MESSAGES.
   */
  #sliceExpired(): boolean {
    if (this.#yieldDue) return true
    if (++this.#sliceCount < this.#checkEvery) return false
    const now = performance.now()
    this.#checkEvery = now - this.#lastCheck > this.#sliceCount * SLOW_MESSAGE_MS ? FEW_MESSAGES : MANY_MESSAGES
    return this.#clockRead(now)
  }

  /** The clock read `now`: the count starts again from here, and a spent slice makes a yield due. */
  #clockRead(now: number): boolean {
    this.#sliceCount = 0
    this.#lastCheck = now
    // Sticky until the yield happened: the fast path only notices, the slow path yields.
    if (now - this.#sliceStart > SLICE_MS) this.#yieldDue = true
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
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
