/**
 * One partition's records from one fetch response (Java's CompletedFetch): a view on the response buffer, decoded a
 * batch at a time as the application reads, so a large response never blocks the event loop in one piece. A batch is
 * copied out of the response as it is opened when the response's memory is to be reused (SharedFrame). Also the
 * header-only scan the fetcher uses to move the fetch position past the whole batches it queued.
 */
import { BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, RECORD_COUNT } from '../records/layout.js'
import { compressedPayloadAt, decompressAsync, DEFAULT_MAX_DECOMPRESSED_BYTES, openRecordBatchAt, type RecordSource } from '../records/index.js'
import { DecodedRecords } from '../records/record-cursor.js'
import type { PartitionState } from './partition-state.js'

/**
 * A Fetch response's frame, shared by the chunks cut from it: handed back to its connection for the next large
 * response (receive-pool.ts) once no chunk will be read again. Records handed to the application never view it: an
 * uncompressed batch is copied when it is opened (a compressed one decompresses into memory of its own).
 */
export class SharedFrame {
  readonly #frame: Buffer
  readonly #reuse: (frame: Buffer) => void
  #chunks = 0
  #sealed = false

  constructor(frame: Buffer, reuse: (frame: Buffer) => void) {
    this.#frame = frame
    this.#reuse = reuse
  }

  hold(): void {
    this.#chunks++
  }

  drop(): void {
    if (--this.#chunks === 0 && this.#sealed) this.#reuse(this.#frame)
  }

  /** No further chunk will hold the frame: it is reused when those that do are released (now, if none does). */
  seal(): void {
    if (this.#sealed) return
    this.#sealed = true
    if (this.#chunks === 0) this.#reuse(this.#frame)
  }
}

const RELEASED = Buffer.alloc(0)

/**
 * Compressed batches this large are decompressed off the event loop (libuv's thread pool) before they are opened.
 * Decompression time follows the output: 1.3 MB of JSON-like records took 8.5 ms with gzip and 3.2 ms with snappy,
 * 4 MB 13–17 ms with gzip, snappy or lz4 — in one turn. Below this a compressed batch opens in the turn that needs
 * it: the hop to a thread costs more than the work.
 */
export const ASYNC_DECOMPRESS_MIN_BYTES = 32 * 1024

/** The next batch's payload being decompressed off the event loop, or its outcome. */
interface Inflation {
  readonly pos: number
  /** Settles (never rejects); null once settled. */
  pending: Promise<void> | null
  /** The decompressed payload; null while pending, and after a failure (nextBatch then decompresses in place). */
  data: Buffer | null
}

/** A partition's records from one fetch response, decoded batch by batch as the application reads. */
export class FetchedChunk {
  readonly state: PartitionState
  readonly generation: number
  /** A view of the response frame; empty once released, so that nothing reads memory a later response reuses. */
  records: Buffer
  readonly size: number
  readonly #frame: SharedFrame | null
  pos = 0
  /** read_committed: aborted transactions by first offset, consumed as the batches pass them. */
  readonly aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null
  readonly abortedProducers: Set<bigint> | null
  highWatermark: bigint
  #inflation: Inflation | null = null

  constructor(
    state: PartitionState,
    records: Buffer,
    aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null,
    highWatermark: bigint,
    frame: SharedFrame | null = null,
  ) {
    this.state = state
    this.generation = state.generation
    this.records = records
    this.size = records.length
    this.#frame = frame
    frame?.hold()
    this.aborted = aborted && aborted.length > 0 ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : null
    this.abortedProducers = this.aborted ? new Set() : null
    this.highWatermark = highWatermark
  }

  /** Delivery is done with this chunk (read to its end, or dropped as stale): its share of the frame is given up. */
  release(): void {
    if (this.records === RELEASED) return
    this.records = RELEASED
    this.#frame?.drop()
  }

  get stale(): boolean {
    return this.state.revoked || this.state.generation !== this.generation
  }

  /**
   * A batch the application never sees (transaction marker, aborted data) still moves the position past it, so
   * that lag reaches zero and a commit after the last record does not point back at the marker. The result names
   * the offsets it moved past (`skipped`), for runners that report them (samsa/kafkajs's empty batches).
   */
  #skip(batch: { baseOffset: bigint; lastOffset: bigint; partitionLeaderEpoch: number }): NextBatch {
    const state = this.state
    const { baseOffset, lastOffset } = batch
    if (this.stale || state.position === null || lastOffset + 1n <= state.position) return EMPTY_BATCH
    const first = baseOffset > state.position ? baseOffset : state.position
    state.position = lastOffset + 1n
    return { records: NO_RECORDS, leaderEpoch: batch.partitionLeaderEpoch, from: null, skipped: { first, last: lastOffset }, count: 0, bytes: 0 }
  }

  /**
   * When the next batch is compressed and at least ASYNC_DECOMPRESS_MIN_BYTES: a promise that decompresses it off the
   * event loop (it never rejects; nextBatch reports a failure), to be awaited before nextBatch. Null when nextBatch
   * can go ahead now — also once that decompression is done. The frame stays held meanwhile, so that no later
   * response is read into the bytes being decompressed.
   */
  inflateNext(): Promise<void> | null {
    const current = this.#inflation
    if (current !== null && current.pos === this.pos) return current.pending
    const compressed = this.records === RELEASED ? null : compressedPayloadAt(this.records, this.pos)
    if (compressed === null || compressed.payload.length < ASYNC_DECOMPRESS_MIN_BYTES) return null
    const inflation: Inflation = { pos: this.pos, pending: null, data: null }
    const frame = this.#frame
    frame?.hold()
    inflation.pending = decompressAsync(compressed.codec, compressed.payload, { maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES, at: this.pos }).then(
      (data) => {
        inflation.data = data
        inflation.pending = null
        frame?.drop()
      },
      () => {
        // Opened synchronously instead, which checks the CRC first and then throws the decompression's own error.
        inflation.pending = null
        frame?.drop()
      },
    )
    this.#inflation = inflation
    return inflation.pending
  }

  /**
   * The next batch's records, decoded as they are read, or null when the chunk is exhausted. Control batches and
   * aborted transactions come back empty. `from` is set when the batch starts before the position (compressed
   * batches and compaction can hand back records that were delivered already): records below it are not delivered.
   */
  nextBatch(checkCrcs: boolean): NextBatch | null {
    if (this.pos >= this.size) return null
    const start = this.pos
    const inflation = this.#inflation
    const inflated = inflation !== null && inflation.pos === start && inflation.data !== null ? inflation.data : undefined
    this.#inflation = null
    const opened = openRecordBatchAt(this.records, start, { verifyCrc: checkCrcs, ownMemory: this.#frame !== null, inflated })
    if (opened === null) {
      this.pos = this.size
      return null
    }
    const bytes = opened.next - start
    this.pos = opened.next
    const batch = opened.batch
    if (this.aborted !== null) {
      while (this.aborted.length > 0 && this.aborted[0]!.firstOffset <= batch.lastOffset) this.abortedProducers!.add(this.aborted.shift()!.producerId)
      if (batch.isControl) {
        if (batch.control?.type === 'abort') this.abortedProducers!.delete(batch.producerId)
        return this.#skip(batch)
      }
      if (batch.isTransactional && this.abortedProducers!.has(batch.producerId)) return this.#skip(batch)
    }
    if (batch.isControl) return this.#skip(batch)
    const position = this.state.position ?? 0n
    const from = batch.baseOffset < position ? position : null
    // A batch that starts before the position hands out only what follows it: at most the offsets left.
    const count = from === null ? batch.recordCount : Math.max(0, Math.min(batch.recordCount, Number(batch.lastOffset - from + 1n)))
    return { records: batch.records, leaderEpoch: batch.partitionLeaderEpoch, from, count, bytes }
  }
}

/** One batch of a chunk: its records (none for a skipped batch), and for a skipped batch the offsets passed. */
export interface NextBatch {
  records: RecordSource
  leaderEpoch: number
  from: bigint | null
  skipped?: { first: bigint; last: bigint }
  /** Records the application will be handed from this batch, and the batch's size (consumer metrics). */
  count: number
  bytes: number
}

const NO_RECORDS: RecordSource = new DecodedRecords([])
const EMPTY_BATCH: NextBatch = { records: NO_RECORDS, leaderEpoch: -1, from: null, count: 0, bytes: 0 }

/**
 * Walks batch headers only: the offset after the last whole batch, that batch's leader epoch and the bytes the
 * whole batches span. A trailing partial batch (the broker cuts at the byte limit) is left for the next fetch.
 */
export function scanBatches(records: Buffer): { nextOffset: bigint; lastEpoch: number; bytes: number; records: number } {
  let pos = 0
  let count = 0
  let nextOffset = -1n
  let lastEpoch = -1
  const length = records.length
  while (pos + LOG_OVERHEAD + 5 <= length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH)
    if (size < 0) break
    const end = pos + LOG_OVERHEAD + size
    if (end > length) break
    const magic = records[pos + MAGIC]
    if (magic === 2) {
      if (pos + LAST_OFFSET_DELTA + 4 > end) break
      nextOffset = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + LAST_OFFSET_DELTA)) + 1n
      lastEpoch = records.readInt32BE(pos + 12)
      if (pos + RECORD_COUNT + 4 <= end) count += records.readInt32BE(pos + RECORD_COUNT)
    } else {
      // Legacy message (set): the outer offset is the last inner offset.
      nextOffset = records.readBigInt64BE(pos) + 1n
      count++
    }
    pos = end
  }
  return { nextOffset, lastEpoch, bytes: pos, records: count }
}
