import { RecordsDecodeError } from '../errors.js'
import {
  COMPRESSION_NAMES,
  decompressAsync,
  decompressSync,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type CompressionCodec,
  type DecompressOptions,
} from './compression.js'
import { crc32, crc32c } from './crc32c.js'
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
import type { ControlRecord, DecodeOptions, DecodeResult, Header, KafkaRecord, RecordBatch } from './types.js'

/**
 * A Buffer-compatible view constructor. `buf.subarray()` goes through TypedArray species lookup and costs about
 * twice as much as constructing the view directly; records carry two or three views each, so this matters.
 * Instances are real Buffers (Buffer.isBuffer, toString, equals all work): only the prototype chain is shared.
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype)

function view(source: ArrayBufferLike, byteOffset: number, length: number): Buffer {
  return new BufferView(source as ArrayBuffer, byteOffset, length) as unknown as Buffer
}

const TWO_32 = 4294967296
const MAX_SAFE_BASE = Number.MAX_SAFE_INTEGER - TWO_32
/** Smallest possible record: length, attributes, timestamp delta, offset delta, key, value and header count. */
const MIN_RECORD_SIZE = 7

interface BatchHeader {
  start: number
  end: number
  baseOffset: bigint
  partitionLeaderEpoch: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

function fail(message: string, at: number): never {
  throw new RecordsDecodeError(message, at)
}

/**
 * Reads records out of one (decompressed) records region. A class with fields rather than closures so V8 keeps
 * one hidden class and inlines the small readers into the loop.
 */
class RecordReader {
  buf: Buffer
  pos: number
  end: number
  /** Position of the batch in the caller's input, for error messages. */
  at: number
  private readonly source: ArrayBufferLike
  private readonly sourceOffset: number

  constructor(buf: Buffer, pos: number, end: number, at: number) {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.at = at
    this.source = buf.buffer
    this.sourceOffset = buf.byteOffset
  }

  /** Zigzag varint, 32-bit signed. */
  varint(): number {
    const buf = this.buf
    let pos = this.pos
    if (pos >= this.end) fail('record truncated inside a varint', this.at)
    let b = buf[pos++]
    if (b < 0x80) {
      this.pos = pos
      return (b >>> 1) ^ -(b & 1)
    }
    let result = b & 0x7f
    let shift = 7
    for (;;) {
      if (pos >= this.end) fail('record truncated inside a varint', this.at)
      b = buf[pos++]
      if (shift === 28) {
        if (b > 0x0f) fail('varint longer than 32 bits', this.at)
        result |= b << 28
        break
      }
      result |= (b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7
    }
    this.pos = pos
    return (result >>> 1) ^ -(result & 1)
  }

  /** Zigzag varlong as a number; exact up to 2^53, which holds every real timestamp delta. */
  varlong(): number {
    const buf = this.buf
    let pos = this.pos
    if (pos >= this.end) fail('record truncated inside a varlong', this.at)
    let b = buf[pos++]
    if (b < 0x80) {
      this.pos = pos
      return (b >>> 1) ^ -(b & 1)
    }
    let value = b & 0x7f
    let scale = 128
    for (let i = 1; ; i++) {
      if (pos >= this.end) fail('record truncated inside a varlong', this.at)
      b = buf[pos++]
      if (i === 9 && b > 0x01) fail('varlong longer than 64 bits', this.at)
      value += (b & 0x7f) * scale
      if (b < 0x80) break
      scale *= 128
    }
    this.pos = pos
    const half = Math.floor(value / 2)
    return value % 2 === 0 ? half : -half - 1
  }

  /** Varint-length-prefixed bytes as a view; -1 means null. */
  bytes(): Buffer | null {
    const length = this.varint()
    if (length < 0) {
      if (length === -1) return null
      fail(`negative length ${length}`, this.at)
    }
    const pos = this.pos
    if (length > this.end - pos) fail(`length ${length} exceeds the ${this.end - pos} bytes left in the record`, this.at)
    this.pos = pos + length
    return view(this.source, this.sourceOffset + pos, length)
  }

  headerKey(): string {
    const length = this.varint()
    if (length < 0) fail(`header key length ${length} is negative`, this.at)
    const pos = this.pos
    if (length > this.end - pos) fail(`header key length ${length} exceeds the record`, this.at)
    this.pos = pos + length
    return cachedString(this.buf, pos, length)
  }
}

// Header keys repeat across records ("traceparent", "content-type"...). Comparing a few bytes against the last key
// seen in the same slot is several times cheaper than decoding UTF-8 into a fresh string each time.
const KEY_CACHE_SLOTS = 16
const KEY_CACHE_MAX_LENGTH = 32
const cachedKeyBytes: Uint8Array[] = Array.from({ length: KEY_CACHE_SLOTS }, () => new Uint8Array(0))
const cachedKeyStrings: string[] = new Array<string>(KEY_CACHE_SLOTS).fill('')

function cachedString(buf: Buffer, pos: number, length: number): string {
  if (length === 0) return ''
  if (length > KEY_CACHE_MAX_LENGTH) return buf.toString('utf8', pos, pos + length)
  const slot = (length * 31 + buf[pos] + buf[pos + length - 1] * 7) & (KEY_CACHE_SLOTS - 1)
  const cached = cachedKeyBytes[slot]
  if (cached.length === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (cached[i] !== buf[pos + i]) {
        same = false
        break
      }
    }
    if (same) return cachedKeyStrings[slot]
  }
  const text = buf.toString('utf8', pos, pos + length)
  cachedKeyBytes[slot] = new Uint8Array(buf.subarray(pos, pos + length))
  cachedKeyStrings[slot] = text
  return text
}

function readInt64Number(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
}

/**
 * The records of one v2 batch, decoded one at a time on request. A consumer that hands records out as they are
 * decoded keeps only the current record alive (young-generation GC stays cheap) and never spends a whole batch's
 * decode in one event-loop turn. Every record is bounds-checked as it is read; once the last one is read, bytes
 * left over in the batch are an error too.
 */
export class RecordCursor implements RecordSource {
  readonly count: number
  private readonly reader: RecordReader
  private index = 0
  private readonly baseOffset: bigint
  private readonly baseOffsetNumber: number
  private readonly offsetsAsNumbers: boolean
  private readonly baseTimestamp: bigint
  private readonly baseTimestampNumber: number
  private readonly timestampsAsNumbers: boolean
  private readonly logAppendTime: boolean
  // Records of one batch very often share a timestamp: the BigInt is reused instead of allocated per record.
  private lastTimestampDelta = 0
  private lastTimestamp: bigint
  private failure: unknown = null

  constructor(reader: RecordReader, header: BatchHeader, logAppendTime: boolean) {
    this.reader = reader
    this.count = header.recordCount
    this.baseOffset = header.baseOffset
    this.baseOffsetNumber = Number(header.baseOffset)
    this.offsetsAsNumbers = this.baseOffsetNumber >= 0 && this.baseOffsetNumber <= MAX_SAFE_BASE
    this.baseTimestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp
    this.baseTimestampNumber = Number(this.baseTimestamp)
    this.timestampsAsNumbers = Math.abs(this.baseTimestampNumber) <= MAX_SAFE_BASE
    this.logAppendTime = logAppendTime
    this.lastTimestamp = this.baseTimestamp
    if (this.count === 0) this.checkEnd()
  }

  /** The next record, or null after the last. After a decode error, every call throws that error again. */
  next(): KafkaRecord | null {
    if (this.failure !== null) throw this.failure
    const i = this.index
    if (i >= this.count) return null
    try {
      return this.read(i)
    } catch (error) {
      this.failure = error
      throw error
    }
  }

  private read(i: number): KafkaRecord {
    const reader = this.reader
    const length = reader.varint()
    const recordStart = reader.pos
    if (length < MIN_RECORD_SIZE - 1 || length > reader.end - recordStart) {
      fail(`record ${i} length ${length} does not fit the ${reader.end - recordStart} bytes left`, reader.at)
    }
    const batchEnd = reader.end
    reader.end = recordStart + length
    reader.pos++ // record attributes: unused
    const timestampDelta = reader.varlong()
    const offsetDelta = reader.varint()
    const key = reader.bytes()
    const value = reader.bytes()
    const headerCount = reader.varint()
    if (headerCount < 0 || headerCount > (reader.end - reader.pos) >> 1) {
      fail(`record ${i} header count ${headerCount} is impossible for its size`, reader.at)
    }
    const headers: Header[] = new Array<Header>(headerCount)
    for (let h = 0; h < headerCount; h++) headers[h] = [reader.headerKey(), reader.bytes()]
    if (reader.pos !== reader.end) fail(`record ${i} has ${reader.end - reader.pos} bytes beyond its fields`, reader.at)
    reader.end = batchEnd

    let timestamp: bigint
    if (this.logAppendTime) timestamp = this.baseTimestamp
    else if (timestampDelta === this.lastTimestampDelta) timestamp = this.lastTimestamp
    else {
      timestamp =
        this.timestampsAsNumbers && Math.abs(timestampDelta) <= TWO_32
          ? BigInt(this.baseTimestampNumber + timestampDelta)
          : this.baseTimestamp + BigInt(timestampDelta)
      this.lastTimestampDelta = timestampDelta
      this.lastTimestamp = timestamp
    }
    const offset = this.offsetsAsNumbers ? BigInt(this.baseOffsetNumber + offsetDelta) : this.baseOffset + BigInt(offsetDelta)
    this.index = i + 1
    if (i + 1 === this.count) this.checkEnd()
    return { offset, timestamp, key, value, headers }
  }

  private checkEnd(): void {
    const reader = this.reader
    if (reader.pos !== reader.end) fail(`batch has ${reader.end - reader.pos} bytes after its ${this.count} records`, reader.at)
  }
}

/** Records handed out one at a time: lazily decoded (RecordCursor) or already decoded (legacy, control batches). */
export interface RecordSource {
  next(): KafkaRecord | null
}

class DecodedRecords implements RecordSource {
  private index = 0
  constructor(private readonly records: KafkaRecord[]) {}
  next(): KafkaRecord | null {
    return this.index < this.records.length ? this.records[this.index++] : null
  }
}

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

function cursorOfPlainBatch(buf: Buffer, header: BatchHeader): RecordCursor {
  const start = header.start + RECORDS
  if (header.recordCount > (header.end - start) / MIN_RECORD_SIZE) {
    fail(`record count ${header.recordCount} cannot fit in ${header.end - start} bytes`, header.start)
  }
  const reader = new RecordReader(buf, start, header.end, header.start)
  return new RecordCursor(reader, header, (header.attributes & TIMESTAMP_TYPE_FLAG) !== 0)
}

function cursorOfDecompressed(data: Buffer, header: BatchHeader): RecordCursor {
  if (header.recordCount > data.length / MIN_RECORD_SIZE) {
    fail(`record count ${header.recordCount} cannot fit in ${data.length} decompressed bytes`, header.start)
  }
  const reader = new RecordReader(data, 0, data.length, header.start)
  return new RecordCursor(reader, header, (header.attributes & TIMESTAMP_TYPE_FLAG) !== 0)
}

function recordsOfPlainBatch(buf: Buffer, header: BatchHeader): KafkaRecord[] {
  return drain(cursorOfPlainBatch(buf, header))
}

function recordsOfDecompressed(data: Buffer, header: BatchHeader): KafkaRecord[] {
  return drain(cursorOfDecompressed(data, header))
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

/**
 * Like decodeRecordBatchAt, but the records are decoded as they are read (`records.next()`), so a consumer holds
 * one record at a time instead of a whole batch. The batch header (and its CRC, and decompression) is checked here;
 * each record when it is read. Control batches and legacy messages come decoded (they are small).
 */
export function openRecordBatchAt(
  input: Uint8Array,
  pos: number,
  options?: DecodeOptions,
): { batch: LazyRecordBatch; next: number } | null {
  const buf = asBuffer(input)
  const { verifyCrc, maxDecompressedBytes } = resolveOptions(options)
  if (pos >= buf.length) return null
  const frame = frameAt(buf, pos, verifyCrc)
  if (frame.kind === 'incomplete') return null
  if (frame.kind === 'legacy') {
    const out: RecordBatch[] = []
    decodeLegacyMessage(buf, pos, frame.end, verifyCrc, maxDecompressedBytes, out)
    const batch = out[0]
    return { batch: { ...batch, records: new DecodedRecords(batch.records) }, next: frame.end }
  }
  const { header, codec } = frame
  const cursor =
    codec === 'none'
      ? cursorOfPlainBatch(buf, header)
      : cursorOfDecompressed(decompressSync(codec, buf.subarray(pos + RECORDS, header.end), { maxDecompressedBytes, at: pos }), header)
  if ((header.attributes & CONTROL_FLAG) !== 0) {
    const records = drain(cursor)
    return { batch: batchOf(header, codec, new DecodedRecords(records), readControl(records, header.start)), next: header.end }
  }
  return { batch: batchOf<RecordSource>(header, codec, cursor, null), next: header.end }
}

// ---------------------------------------------------------------------------------------------------------------
// Legacy message sets (magic 0 and 1): offset int64, size int32, crc int32 (CRC32 of the rest), magic int8,
// attributes int8, [timestamp int64 in v1], key (int32 length), value (int32 length).

function legacyMinimumSize(magic: number): number {
  return magic === 0 ? 14 : 22
}

interface LegacyMessage {
  offset: bigint
  magic: number
  attributes: number
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  crc: number
}

function readLegacyBytes(buf: Buffer, pos: number, end: number, at: number): [Buffer | null, number] {
  if (pos + 4 > end) fail('legacy message truncated in a length field', at)
  const length = buf.readInt32BE(pos)
  pos += 4
  if (length === -1) return [null, pos]
  if (length < 0 || length > end - pos) fail(`legacy length ${length} exceeds the ${end - pos} bytes left`, at)
  return [view(buf.buffer, buf.byteOffset + pos, length), pos + length]
}

function readLegacyMessage(buf: Buffer, pos: number, end: number, verifyCrc: boolean): LegacyMessage {
  const crc = buf.readUInt32BE(pos + LOG_OVERHEAD) // legacy CRC sits right after the size field
  const magic = buf[pos + MAGIC]
  if (magic > 1) fail(`legacy message set holds magic ${magic}`, pos)
  if (end - pos - LOG_OVERHEAD < legacyMinimumSize(magic)) fail('legacy message shorter than its header', pos)
  if (verifyCrc) {
    const actual = crc32(buf, pos + MAGIC, end)
    if (actual !== crc) fail(`CRC32 mismatch in legacy message: says ${crc}, bytes give ${actual}`, pos)
  }
  const attributes = buf[pos + MAGIC + 1]
  let cursor = pos + MAGIC + 2
  let timestamp = -1n
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(cursor)
    cursor += 8
  }
  const [key, afterKey] = readLegacyBytes(buf, cursor, end, pos)
  const [value, afterValue] = readLegacyBytes(buf, afterKey, end, pos)
  if (afterValue !== end) fail(`legacy message has ${end - afterValue} bytes beyond its value`, pos)
  return { offset: buf.readBigInt64BE(pos), magic, attributes, timestamp, key, value, crc }
}

function legacyBatch(first: LegacyMessage, wrapper: LegacyMessage, records: KafkaRecord[], codec: CompressionCodec, size: number): RecordBatch {
  const logAppend = wrapper.magic === 1 && (wrapper.attributes & TIMESTAMP_TYPE_FLAG) !== 0
  let maxTimestamp = -1n
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp
  const lastOffset = records.length > 0 ? records[records.length - 1].offset : wrapper.offset
  return {
    magic: wrapper.magic,
    baseOffset: records.length > 0 ? records[0].offset : wrapper.offset,
    lastOffset,
    sizeInBytes: size,
    partitionLeaderEpoch: -1,
    crc: wrapper.crc,
    attributes: wrapper.attributes,
    compression: codec,
    timestampType: logAppend ? 'log-append' : 'create',
    isTransactional: false,
    isControl: false,
    lastOffsetDelta: Number(lastOffset - (records.length > 0 ? records[0].offset : wrapper.offset)),
    baseTimestamp: first.timestamp,
    maxTimestamp,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: records.length,
    records,
    control: null,
  }
}

function decodeLegacyMessage(
  buf: Buffer,
  pos: number,
  end: number,
  verifyCrc: boolean,
  maxDecompressedBytes: number,
  out: RecordBatch[],
): void {
  const message = readLegacyMessage(buf, pos, end, verifyCrc)
  const codecId = message.attributes & COMPRESSION_MASK
  if (codecId === 0) {
    const record: KafkaRecord = { offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: [] }
    out.push(legacyBatch(message, message, [record], 'none', end - pos))
    return
  }
  if (codecId > 3) fail(`legacy message uses compression id ${codecId}, which needs magic 2`, pos)
  const codec = COMPRESSION_NAMES[codecId]
  if (message.value === null) fail('compressed legacy wrapper has a null value', pos)
  const options: DecompressOptions = { maxDecompressedBytes, at: pos, legacyLz4HeaderChecksum: message.magic === 0 }
  const inner = decompressSync(codec, message.value, options)
  const messages: LegacyMessage[] = []
  let innerPos = 0
  while (innerPos < inner.length) {
    if (inner.length - innerPos < MAGIC + 1) fail('compressed legacy message set ends in a partial message', pos)
    const size = inner.readInt32BE(innerPos + BATCH_LENGTH)
    const magic = inner[innerPos + MAGIC]
    if (magic > 1) fail(`inner legacy message has magic ${magic}`, pos)
    if (size < legacyMinimumSize(magic) || size > inner.length - innerPos - LOG_OVERHEAD) {
      fail(`inner legacy message size ${size} does not fit`, pos)
    }
    const innerEnd = innerPos + LOG_OVERHEAD + size
    const innerMessage = readLegacyMessage(inner, innerPos, innerEnd, verifyCrc)
    if ((innerMessage.attributes & COMPRESSION_MASK) !== 0) fail('nested compression in a legacy message set', pos)
    messages.push(innerMessage)
    innerPos = innerEnd
  }
  if (messages.length === 0) fail('compressed legacy wrapper holds no messages', pos)
  // v1 wrappers carry the absolute offset of their last inner message; inner offsets are relative to the first.
  const relativeBase = message.magic === 1 ? message.offset - messages[messages.length - 1].offset : 0n
  const logAppend = message.magic === 1 && (message.attributes & TIMESTAMP_TYPE_FLAG) !== 0
  const records: KafkaRecord[] = messages.map((m) => ({
    offset: relativeBase + m.offset,
    timestamp: logAppend ? message.timestamp : m.timestamp,
    key: m.key,
    value: m.value,
    headers: [],
  }))
  out.push(legacyBatch(messages[0], message, records, codec, end - pos))
}
