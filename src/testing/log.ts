/**
 * One partition's log: RecordBatch v2 buffers as the producer sealed them, with the broker's fields (base offset,
 * partition leader epoch, log-append time) written in. Fetch hands the stored bytes back unchanged, as a broker
 * hands back its segment files. Every replica shares this one log: the fake has no replication lag, so the high
 * watermark is the log end offset. Transactions drive the last stable offset and the aborted list through
 * appendControl; the log keeps both from the batches it sees.
 */
import { crc32c } from '../records/crc32c.js'
import { encodeControlBatch, type ControlType } from '../records/encoder.js'
import { decodeRecordBatches } from '../records/decoder.js'
import type { KafkaRecord } from '../records/types.js'
import {
  ATTRIBUTES,
  BASE_OFFSET,
  CRC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  TIMESTAMP_TYPE_FLAG,
} from '../records/layout.js'

/** The header fields of a produced batch the log needs (read from the wire by produce.ts). */
export interface BatchHeaderFields {
  lastOffsetDelta: number
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordCount: number
  isTransactional: boolean
  isControl: boolean
}

/** A batch as stored: its header fields with the offsets the log gave it (lastOffset in place of the delta). */
export interface StoredBatch extends Omit<BatchHeaderFields, 'lastOffsetDelta'> {
  baseOffset: bigint
  lastOffset: bigint
  /** The whole batch as it goes on the wire (base offset and leader epoch filled in). */
  buffer: Buffer
  leaderEpoch: number
}

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
  /** Offset of the abort marker. */
  lastOffset: bigint
}

/** What the broker knows of one producer on one partition (Kafka's ProducerStateEntry). */
export interface ProducerEntry {
  epoch: number
  /** The last (at most 5) batches appended, for duplicate detection of retries. */
  batches: Array<{ firstSeq: number; lastSeq: number; baseOffset: bigint; lastOffset: bigint; timestamp: bigint }>
}

export interface AppendOptions {
  leaderEpoch: number
  /** Set for topics with message.timestamp.type=LogAppendTime: the broker's clock stamps the batch. */
  logAppendTime: bigint | null
}

/** Oldest first; Kafka keeps the last five batches per producer to recognise a retry. */
export const PRODUCER_BATCH_WINDOW = 5

export class PartitionLog {
  readonly batches: StoredBatch[] = []
  logStartOffset = 0n
  logEndOffset = 0n
  /** Leader epoch → first offset written in it (Kafka's leader-epoch checkpoint), ascending by epoch. */
  readonly epochs: Array<{ epoch: number; startOffset: bigint }> = []
  readonly producers = new Map<bigint, ProducerEntry>()
  /** Open transactions: producer id → offset of its first transactional batch here. */
  readonly ongoingTransactions = new Map<bigint, bigint>()
  readonly abortedTransactions: AbortedTransaction[] = []

  get highWatermark(): bigint {
    return this.logEndOffset
  }

  /** The first offset not yet decided by a transaction; the high watermark when none is open. */
  get lastStableOffset(): bigint {
    let lso = this.highWatermark
    for (const first of this.ongoingTransactions.values()) if (first < lso) lso = first
    return lso
  }

  /** Starts a leader epoch at the current end of the log, as a new leader does (epochs only grow). */
  beginEpoch(epoch: number): void {
    const last = this.epochs[this.epochs.length - 1]
    if (last !== undefined && last.epoch >= epoch) return
    if (last !== undefined && last.startOffset === this.logEndOffset) this.epochs.pop()
    this.epochs.push({ epoch, startOffset: this.logEndOffset })
  }

  /**
   * Appends one validated batch (the caller checked CRC, magic and producer sequences): assigns its offsets and
   * writes the broker-owned header fields. Returns the stored batch.
   */
  append(batch: Buffer, header: BatchHeaderFields, options: AppendOptions): StoredBatch {
    const buffer = Buffer.from(batch)
    const baseOffset = this.logEndOffset
    buffer.writeBigInt64BE(baseOffset, BASE_OFFSET)
    buffer.writeInt32BE(options.leaderEpoch, PARTITION_LEADER_EPOCH)
    let maxTimestamp = header.maxTimestamp
    if (options.logAppendTime !== null) {
      // The timestamp type and max timestamp are inside the CRC, so stamping them means a new checksum.
      buffer.writeInt16BE(buffer.readInt16BE(ATTRIBUTES) | TIMESTAMP_TYPE_FLAG, ATTRIBUTES)
      buffer.writeBigInt64BE(options.logAppendTime, MAX_TIMESTAMP)
      buffer.writeUInt32BE(crc32c(buffer, ATTRIBUTES, buffer.length), CRC)
      maxTimestamp = options.logAppendTime
    }
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset + BigInt(header.lastOffsetDelta),
      buffer,
      leaderEpoch: options.leaderEpoch,
      maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      recordCount: header.recordCount,
      isTransactional: header.isTransactional,
      isControl: header.isControl,
    }
    this.#push(stored)
    if (stored.isTransactional && !stored.isControl && !this.ongoingTransactions.has(stored.producerId)) {
      this.ongoingTransactions.set(stored.producerId, baseOffset)
    }
    return stored
  }

  /**
   * Writes a transaction marker (what the transaction coordinator's WriteTxnMarkers makes a leader do): closes the
   * producer's open transaction here, recording it as aborted for read_committed fetches when it was aborted.
   */
  appendControl(input: { producerId: bigint; producerEpoch: number; type: ControlType; coordinatorEpoch: number; leaderEpoch: number; timestamp?: number }): StoredBatch {
    const baseOffset = this.logEndOffset
    const buffer = encodeControlBatch({
      type: input.type,
      coordinatorEpoch: input.coordinatorEpoch,
      producerId: input.producerId,
      producerEpoch: input.producerEpoch,
      baseOffset,
      timestamp: input.timestamp,
      partitionLeaderEpoch: input.leaderEpoch,
    })
    const timestamp = BigInt(input.timestamp ?? Date.now())
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset,
      buffer,
      leaderEpoch: input.leaderEpoch,
      maxTimestamp: timestamp,
      producerId: input.producerId,
      producerEpoch: input.producerEpoch,
      baseSequence: -1,
      recordCount: 1,
      isTransactional: true,
      isControl: true,
    }
    this.#push(stored)
    const first = this.ongoingTransactions.get(input.producerId)
    if (first !== undefined) {
      this.ongoingTransactions.delete(input.producerId)
      if (input.type === 'abort') this.abortedTransactions.push({ producerId: input.producerId, firstOffset: first, lastOffset: baseOffset })
    }
    return stored
  }

  #push(stored: StoredBatch): void {
    this.batches.push(stored)
    this.logEndOffset = stored.lastOffset + 1n
  }

  /** Index of the first batch whose last offset is at or past `offset`, or batches.length. */
  indexOf(offset: bigint): number {
    let lo = 0
    let hi = this.batches.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /**
   * Whole batches from the one holding `offset` up to (excluding) `upTo`, within `maxBytes` — except that the
   * first batch comes whatever its size when `minOneBatch` (KIP-74: a consumer must always make progress).
   */
  read(offset: bigint, upTo: bigint, maxBytes: number, minOneBatch: boolean): StoredBatch[] {
    const out: StoredBatch[] = []
    let bytes = 0
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const batch = this.batches[i]!
      if (batch.baseOffset >= upTo) break
      if (bytes + batch.buffer.length > maxBytes && !(minOneBatch && out.length === 0)) break
      out.push(batch)
      bytes += batch.buffer.length
    }
    return out
  }

  /** Aborted transactions overlapping [from, to): what a read_committed consumer must filter out. */
  abortedIn(from: bigint, to: bigint): AbortedTransaction[] {
    return this.abortedTransactions.filter((t) => t.lastOffset >= from && t.firstOffset < to)
  }

  /** Moves the log start forward (DeleteRecords, retention): whole batches below it are dropped. */
  truncateBefore(offset: bigint): void {
    if (offset <= this.logStartOffset) return
    this.logStartOffset = offset
    while (this.batches.length > 0 && this.batches[0]!.lastOffset < offset) this.batches.shift()
  }

  /** Decoded records from `from` on (for test assertions and timestamp lookups); control batches skipped. */
  records(from = this.logStartOffset): Array<KafkaRecord & { batch: StoredBatch }> {
    const out: Array<KafkaRecord & { batch: StoredBatch }> = []
    for (let i = this.indexOf(from); i < this.batches.length; i++) {
      const batch = this.batches[i]!
      if (batch.isControl) continue
      for (const decoded of decodeRecordBatches(batch.buffer, { verifyCrc: false }).batches) {
        for (const record of decoded.records) if (record.offset >= from) out.push({ ...record, batch })
      }
    }
    return out
  }

  /** The leader epoch a batch holding `offset` was written in, -1 when unknown (KIP-320 answers). */
  epochAt(offset: bigint): number {
    const i = this.indexOf(offset)
    const batch = this.batches[i]
    if (batch !== undefined && batch.baseOffset <= offset) return batch.leaderEpoch
    let epoch = -1
    for (const entry of this.epochs) if (entry.startOffset <= offset) epoch = entry.epoch
    return epoch
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the offset where it ended (the next epoch's
   * start, or the log end for the latest); -1/-1 when the log knows no epoch that old.
   */
  endOffsetFor(epoch: number): { leaderEpoch: number; endOffset: bigint } {
    let found = -1
    for (let i = 0; i < this.epochs.length; i++) if (this.epochs[i]!.epoch <= epoch) found = i
    if (found < 0) return { leaderEpoch: -1, endOffset: -1n }
    const next = this.epochs[found + 1]
    return { leaderEpoch: this.epochs[found]!.epoch, endOffset: next === undefined ? this.logEndOffset : next.startOffset }
  }
}
