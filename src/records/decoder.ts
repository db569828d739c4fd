/**
 * Decoding record data: walking a fetch response's records (or a log segment, or one produced batch) batch by
 * batch, telling v2 batches from legacy messages by the magic byte, checking each v2 batch header (CRC32C,
 * sizes, compression) and its control record, then handing the records to a RecordCursor (record-cursor.ts),
 * eagerly or one at a time. Legacy message sets are legacy.ts's. Corrupt data throws RecordsDecodeError.
 */
import {
  COMPRESSION_NAMES,
  decompressAsync,
  decompressSync,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type CompressionCodec,
} from './compression.js'
import { crc32c } from './crc32c.js'
import {
  ATTRIBUTES,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_COUNT,
  RECORDS,
  TIMESTAMP_TYPE_FLAG,
  TRANSACTIONAL_FLAG,
} from './layout.js'
import { decodeLegacyMessage, legacyMinimumSize } from './legacy.js'
import {
  type BatchHeader,
  DecodedRecords,
  fail,
  MIN_RECORD_SIZE,
  RecordCursor,
  RecordReader,
  type RecordSource,
} from './record-cursor.js'
import type { ControlRecord, DecodeOptions, DecodeResult, KafkaRecord, RecordBatch } from './types.js'

export { RecordCursor, type RecordSource } from './record-cursor.js'

function readControl(records: KafkaRecord[], at: number): ControlRecord | null {
  if (records.length === 0) return null
  const { key, value } = records[0]
  if (key === null || key.length < 4) fail('control record key shorter than version + type', at)
  const version = key.readInt16BE(0)
  const typeId = key.readInt16BE(2)
  if (typeId === 0 || typeId === 1) {
    if (value === null || value.length < 6) fail('transaction marker value shorter than version + coordinator epoch', at)
    return { type: typeId === 1 ? 'commit' : 'abort', typeId, version, coordinatorEpoch: value.readInt32BE(2) }
  }
  return { type: 'other', typeId, version, coordinatorEpoch: -1 }
}

function readBatchHeader(buf: Buffer, start: number, verifyCrc: boolean): BatchHeader {
  const batchLength = buf.readInt32BE(start + BATCH_LENGTH)
  const end = start + LOG_OVERHEAD + batchLength
  const crc = buf.readUInt32BE(start + CRC)
  if (verifyCrc) {
    const actual = crc32c(buf, start + ATTRIBUTES, end)
    if (actual !== crc) fail(`CRC32C mismatch: batch says ${crc}, bytes give ${actual}`, start)
  }
  const recordCount = buf.readInt32BE(start + RECORD_COUNT)
  if (recordCount < 0) fail(`negative record count ${recordCount}`, start)
  return {
    start,
    end,
    baseOffset: buf.readBigInt64BE(start),
    partitionLeaderEpoch: buf.readInt32BE(start + PARTITION_LEADER_EPOCH),
    crc,
    attributes: buf.readInt16BE(start + ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(start + LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(start + BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(start + MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(start + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(start + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(start + BASE_SEQUENCE),
    recordCount,
  }
}

function codecOf(attributes: number, at: number): CompressionCodec {
  const codec = COMPRESSION_NAMES[attributes & COMPRESSION_MASK]
  if (codec === undefined) fail(`unknown compression id ${attributes & COMPRESSION_MASK}`, at)
  return codec
}

function finishBatch(header: BatchHeader, records: KafkaRecord[], codec: CompressionCodec): RecordBatch {
  return batchOf(header, codec, records, (header.attributes & CONTROL_FLAG) !== 0 ? readControl(records, header.start) : null)
}

function batchOf<R>(header: BatchHeader, codec: CompressionCodec, records: R, control: ControlRecord | null): BatchOf<R> {
  const attributes = header.attributes
  const isControl = (attributes & CONTROL_FLAG) !== 0
  return {
    magic: 2,
    baseOffset: header.baseOffset,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    sizeInBytes: header.end - header.start,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    crc: header.crc,
    attributes,
    compression: codec,
    timestampType: attributes & TIMESTAMP_TYPE_FLAG ? 'log-append' : 'create',
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl,
    lastOffsetDelta: header.lastOffsetDelta,
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    recordCount: header.recordCount,
    records,
    control,
  }
}

type BatchOf<R> = Omit<RecordBatch, 'records'> & { records: R }

/** A batch whose records are read one at a time (openRecordBatchAt). */
export type LazyRecordBatch = BatchOf<RecordSource>

/**
 * Reads one batch's records from `data[start, end)`: the batch's own bytes, a copy of them (ownMemory) or its
 * decompressed records. Errors name the batch's position in the caller's input, whichever memory is read.
 */
function cursorOfRecords(data: Buffer, start: number, end: number, header: BatchHeader): RecordCursor {
  if (header.recordCount > (end - start) / MIN_RECORD_SIZE) {
    fail(`record count ${header.recordCount} cannot fit in ${end - start} bytes of records`, header.start)
  }
  const reader = new RecordReader(data, start, end, header.start)
  return new RecordCursor(reader, header, (header.attributes & TIMESTAMP_TYPE_FLAG) !== 0)
}

function cursorOfPlainBatch(buf: Buffer, header: BatchHeader): RecordCursor {
  return cursorOfRecords(buf, header.start + RECORDS, header.end, header)
}

/** A batch's records in memory of their own: decompressed, or copied (ownMemory). */
function cursorOfOwnMemory(data: Buffer, header: BatchHeader): RecordCursor {
  return cursorOfRecords(data, 0, data.length, header)
}

function ownCopy(bytes: Buffer | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes)
}

function recordsOfPlainBatch(buf: Buffer, header: BatchHeader): KafkaRecord[] {
  return drain(cursorOfPlainBatch(buf, header))
}

function recordsOfDecompressed(data: Buffer, header: BatchHeader): KafkaRecord[] {
  return drain(cursorOfOwnMemory(data, header))
}

function drain(cursor: RecordCursor): KafkaRecord[] {
  const records: KafkaRecord[] = new Array<KafkaRecord>(cursor.count)
  for (let i = 0; i < records.length; i++) records[i] = cursor.next()!
  return records
}

type Frame =
  | { kind: 'incomplete' }
  | { kind: 'v2'; header: BatchHeader; codec: CompressionCodec }
  | { kind: 'legacy'; magic: number; end: number }

/** Classifies the bytes at `pos`: a whole v2 batch, a whole legacy message, or the start of a partial one. */
function frameAt(buf: Buffer, pos: number, verifyCrc: boolean): Frame {
  const remaining = buf.length - pos
  if (remaining < LOG_OVERHEAD) return { kind: 'incomplete' }
  const length = buf.readInt32BE(pos + BATCH_LENGTH)
  if (remaining < MAGIC + 1) {
    if (length < 0) fail(`negative batch length ${length}`, pos)
    return { kind: 'incomplete' }
  }
  const magic = buf[pos + MAGIC]
  if (magic === 2) {
    if (length < MIN_BATCH_LENGTH) fail(`batch length ${length} is shorter than a batch header`, pos)
    if (length > remaining - LOG_OVERHEAD) return { kind: 'incomplete' }
    const header = readBatchHeader(buf, pos, verifyCrc)
    return { kind: 'v2', header, codec: codecOf(header.attributes, pos) }
  }
  if (magic === 0 || magic === 1) {
    if (length < legacyMinimumSize(magic)) fail(`legacy message size ${length} is below the minimum`, pos)
    if (length > remaining - LOG_OVERHEAD) return { kind: 'incomplete' }
    return { kind: 'legacy', magic, end: pos + LOG_OVERHEAD + length }
  }
  fail(`unknown magic byte ${magic}`, pos)
}

function resolveOptions(options: DecodeOptions | undefined): { verifyCrc: boolean; maxDecompressedBytes: number } {
  return {
    verifyCrc: options?.verifyCrc !== false,
    maxDecompressedBytes: options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  }
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
}

/**
 * Decodes every whole batch in `input` (a fetch response's records field, a log segment, or one produced batch).
 * RecordBatch v2 and legacy message sets (magic 0/1, compressed wrappers included) are told apart by the magic
 * byte. Corrupt data throws RecordsDecodeError; a partial trailing batch sets `incomplete` instead.
 */
export function decodeRecordBatches(input: Uint8Array, options?: DecodeOptions): DecodeResult {
  const buf = asBuffer(input)
  const { verifyCrc, maxDecompressedBytes } = resolveOptions(options)
  const batches: RecordBatch[] = []
  let pos = 0
  while (pos < buf.length) {
    const step = stepAt(buf, pos, verifyCrc, maxDecompressedBytes)
    if (step.kind === 'incomplete') return { batches, incomplete: true, bytesConsumed: pos }
    batches.push(step.kind === 'decoded' ? step.batch : inflated(step, decompressSync(step.codec, step.payload, { maxDecompressedBytes, at: pos })))
    pos = step.next
  }
  return { batches, incomplete: false, bytesConsumed: pos }
}

/** As `decodeRecordBatches`, but decompresses on libuv's thread pool (gzip, snappy, lz4) between batches. */
export async function decodeRecordBatchesAsync(input: Uint8Array, options?: DecodeOptions): Promise<DecodeResult> {
  const buf = asBuffer(input)
  const { verifyCrc, maxDecompressedBytes } = resolveOptions(options)
  const batches: RecordBatch[] = []
  let pos = 0
  while (pos < buf.length) {
    const step = stepAt(buf, pos, verifyCrc, maxDecompressedBytes)
    if (step.kind === 'incomplete') return { batches, incomplete: true, bytesConsumed: pos }
    batches.push(step.kind === 'decoded' ? step.batch : inflated(step, await decompressAsync(step.codec, step.payload, { maxDecompressedBytes, at: pos })))
    pos = step.next
  }
  return { batches, incomplete: false, bytesConsumed: pos }
}

/**
 * Decodes the one batch (or legacy message) starting at `pos`, so a consumer can spread a large fetch over
 * several event-loop turns. Returns null when only a partial batch remains. A legacy compressed wrapper yields one
 * batch holding all its inner messages; consecutive uncompressed legacy messages yield one batch each.
 */
export function decodeRecordBatchAt(
  input: Uint8Array,
  pos: number,
  options?: DecodeOptions,
): { batch: RecordBatch; next: number } | null {
  const buf = asBuffer(input)
  const { verifyCrc, maxDecompressedBytes } = resolveOptions(options)
  if (pos >= buf.length) return null
  const step = stepAt(buf, pos, verifyCrc, maxDecompressedBytes)
  if (step.kind === 'incomplete') return null
  if (step.kind === 'decoded') return { batch: step.batch, next: step.next }
  return { batch: inflated(step, decompressSync(step.codec, step.payload, { maxDecompressedBytes, at: pos })), next: step.next }
}

/**
 * One step of a walk over record data: a whole batch decoded (uncompressed v2, or a legacy message), a compressed
 * v2 batch whose payload the caller decompresses (synchronously or not), or the start of a partial batch.
 */
type Step =
  | { kind: 'incomplete' }
  | { kind: 'decoded'; batch: RecordBatch; next: number }
  | { kind: 'compressed'; header: BatchHeader; codec: CompressionCodec; payload: Buffer; next: number }

function stepAt(buf: Buffer, pos: number, verifyCrc: boolean, maxDecompressedBytes: number): Step {
  const frame = frameAt(buf, pos, verifyCrc)
  if (frame.kind === 'incomplete') return frame
  if (frame.kind === 'legacy') {
    const out: RecordBatch[] = []
    decodeLegacyMessage(buf, pos, frame.end, verifyCrc, maxDecompressedBytes, out)
    return { kind: 'decoded', batch: out[0], next: frame.end }
  }
  const { header, codec } = frame
  if (codec === 'none') return { kind: 'decoded', batch: finishBatch(header, recordsOfPlainBatch(buf, header), codec), next: header.end }
  return { kind: 'compressed', header, codec, payload: buf.subarray(pos + RECORDS, header.end), next: header.end }
}

function inflated(step: { header: BatchHeader; codec: CompressionCodec }, data: Buffer): RecordBatch {
  return finishBatch(step.header, recordsOfDecompressed(data, step.header), step.codec)
}

export interface OpenOptions extends DecodeOptions {
  /**
   * Records come out in memory of their own, never as views of `input`, which the caller is about to reuse. Costs
   * one copy of an uncompressed batch's records region (a compressed batch decompresses into memory of its own).
   */
  ownMemory?: boolean
  /**
   * The batch's payload already decompressed by the caller (`decompressAsync` of what `compressedPayloadAt` gave, off
   * the event loop); ignored unless the batch at `pos` is a compressed v2 batch. The header and CRC are still
   * checked here.
   */
  inflated?: Buffer
}

/**
 * The codec and compressed records of the v2 batch at `pos`, for a caller that decompresses them off the event loop
 * and hands the result to openRecordBatchAt (`inflated`). Null for anything else — uncompressed, legacy, partial or
 * malformed data, which openRecordBatchAt itself opens or reports. The CRC is not checked here.
 */
export function compressedPayloadAt(input: Uint8Array, pos: number): { codec: CompressionCodec; payload: Buffer } | null {
  const buf = asBuffer(input)
  // Delivery asks before every batch it opens: an uncompressed one is told apart by two bytes, without the header
  // object (and its four BigInts) that frameAt builds.
  if (buf.length - pos < RECORDS || buf[pos + MAGIC] !== 2 || (buf[pos + ATTRIBUTES + 1]! & COMPRESSION_MASK) === 0) return null
  let frame: Frame
  try {
    frame = frameAt(buf, pos, false)
  } catch {
    return null
  }
  if (frame.kind !== 'v2' || frame.codec === 'none') return null
  return { codec: frame.codec, payload: buf.subarray(pos + RECORDS, frame.header.end) }
}

/**
 * Like decodeRecordBatchAt, but the records are decoded as they are read (`records.next()`), so a consumer holds
 * one record at a time instead of a whole batch. The batch header (and its CRC, and decompression) is checked here;
 * each record when it is read. Control batches and legacy messages come decoded (they are small). Errors name
 * positions in `input`, copied batch or not.
 */
export function openRecordBatchAt(
  input: Uint8Array,
  pos: number,
  options?: OpenOptions,
): { batch: LazyRecordBatch; next: number } | null {
  const buf = asBuffer(input)
  const { verifyCrc, maxDecompressedBytes } = resolveOptions(options)
  const ownMemory = options?.ownMemory === true
  if (pos >= buf.length) return null
  const frame = frameAt(buf, pos, verifyCrc)
  if (frame.kind === 'incomplete') return null
  if (frame.kind === 'legacy') {
    const out: RecordBatch[] = []
    decodeLegacyMessage(buf, pos, frame.end, verifyCrc, maxDecompressedBytes, out)
    const batch = out[0]
    // A compressed wrapper's inner messages already view decompressed memory.
    if (ownMemory && batch.compression === 'none') {
      for (const record of batch.records) {
        record.key = ownCopy(record.key)
        record.value = ownCopy(record.value)
      }
    }
    return { batch: { ...batch, records: new DecodedRecords(batch.records) }, next: frame.end }
  }
  const { header, codec } = frame
  const cursor =
    codec !== 'none'
      ? cursorOfOwnMemory(options?.inflated ?? decompressSync(codec, buf.subarray(pos + RECORDS, header.end), { maxDecompressedBytes, at: pos }), header)
      : ownMemory
        ? cursorOfOwnMemory(Buffer.from(buf.subarray(pos + RECORDS, header.end)), header)
        : cursorOfPlainBatch(buf, header)
  if ((header.attributes & CONTROL_FLAG) !== 0) {
    const records = drain(cursor)
    return { batch: batchOf(header, codec, new DecodedRecords(records), readControl(records, header.start)), next: header.end }
  }
  return { batch: batchOf<RecordSource>(header, codec, cursor, null), next: header.end }
}
