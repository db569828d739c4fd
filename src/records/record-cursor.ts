/**
 * The per-record half of the v2 decoder: reading one batch's records one at a time (varints, views over key, value
 * and header bytes, the header-key cache). The consumer decodes every fetched record through here, so the reader
 * and the cursor sit in one module, free of closures and per-record allocations beyond the record itself;
 * decoder.ts frames batches and checks their headers, legacy.ts reads magic 0/1 message sets.
 */
import { RecordsDecodeError } from '../errors.js'
import type { Header, KafkaRecord } from './types.js'

/**
 * A Buffer-compatible view constructor. `buf.subarray()` goes through TypedArray species lookup and costs about
 * twice as much as constructing the view directly; records carry two or three views each, so this matters.
 * Instances are real Buffers (Buffer.isBuffer, toString, equals all work): only the prototype chain is shared.
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype)

export function view(source: ArrayBufferLike, byteOffset: number, length: number): Buffer {
  return new BufferView(source as ArrayBuffer, byteOffset, length) as unknown as Buffer
}

const TWO_32 = 4294967296
const MAX_SAFE_BASE = Number.MAX_SAFE_INTEGER - TWO_32
/** Smallest possible record: length, attributes, timestamp delta, offset delta, key, value and header count. */
export const MIN_RECORD_SIZE = 7

/** A v2 batch header as decoder.ts reads it; the cursor takes its base offset, timestamps and record count. */
export interface BatchHeader {
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

export function fail(message: string, at: number): never {
  throw new RecordsDecodeError(message, at)
}

/**
 * Reads records out of one (decompressed) records region. A class with fields rather than closures so V8 keeps
 * one hidden class and inlines the small readers into the loop.
 */
export class RecordReader {
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
  /**
   * The offset after the last record read. A consumer needs it for every record (its position moves there); the
   * record after it usually has exactly that offset, so the one BigInt serves both.
   */
  nextOffset = -1n
  private nextOffsetDelta = -1
  /** The last record read, field by field: `advance` fills these instead of building a record object. */
  offset = -1n
  timestampMs = -1
  key: Buffer | null = null
  value: Buffer | null = null
  headers: Header[] = NO_HEADERS_READ
  private timestampDelta = 0

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
    if (!this.advance()) return null
    let timestamp: bigint
    const timestampDelta = this.timestampDelta
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
    return { offset: this.offset, timestamp, key: this.key, value: this.value, headers: this.headers }
  }

  /**
   * Reads the next record into `offset`, `timestampMs`, `key`, `value`, `headers` and `nextOffset`, for a reader
   * that builds its own object from them (the consumer's message); false after the last. Errors as `next`.
   */
  advance(): boolean {
    if (this.failure !== null) throw this.failure
    const i = this.index
    if (i >= this.count) return false
    try {
      this.read(i)
    } catch (error) {
      this.failure = error
      throw error
    }
    return true
  }

  private read(i: number): void {
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

    this.timestampDelta = timestampDelta
    if (this.logAppendTime) this.timestampMs = this.baseTimestampNumber
    else if (this.timestampsAsNumbers && Math.abs(timestampDelta) <= TWO_32) this.timestampMs = this.baseTimestampNumber + timestampDelta
    else this.timestampMs = Number(this.baseTimestamp + BigInt(timestampDelta))
    let offset: bigint
    if (this.offsetsAsNumbers) {
      offset = offsetDelta === this.nextOffsetDelta ? this.nextOffset : BigInt(this.baseOffsetNumber + offsetDelta)
      this.nextOffset = BigInt(this.baseOffsetNumber + offsetDelta + 1)
      this.nextOffsetDelta = offsetDelta + 1
    } else {
      offset = this.baseOffset + BigInt(offsetDelta)
      this.nextOffset = offset + 1n
    }
    this.offset = offset
    this.key = key
    this.value = value
    this.headers = headers
    this.index = i + 1
    if (i + 1 === this.count) this.checkEnd()
  }

  private checkEnd(): void {
    const reader = this.reader
    if (reader.pos !== reader.end) fail(`batch has ${reader.end - reader.pos} bytes after its ${this.count} records`, reader.at)
  }
}

/** Records handed out one at a time: lazily decoded (RecordCursor) or already decoded (legacy, control batches). */
export interface RecordSource {
  next(): KafkaRecord | null
  /**
   * Reads the next record into the fields below instead of a new object (a consumer builds its message from
   * them); false after the last.
   */
  advance(): boolean
  /** The last record `next` or `advance` read: its offset, the offset after it, and (after `advance`) its fields. */
  readonly offset: bigint
  readonly nextOffset: bigint
  readonly timestampMs: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Header[]
}

/** Shared by every source before its first record; never handed out. */
const NO_HEADERS_READ: Header[] = []

export class DecodedRecords implements RecordSource {
  private index = 0
  offset = -1n
  nextOffset = -1n
  timestampMs = -1
  key: Buffer | null = null
  value: Buffer | null = null
  headers: Header[] = NO_HEADERS_READ
  constructor(private readonly records: KafkaRecord[]) {}

  next(): KafkaRecord | null {
    if (this.index >= this.records.length) return null
    const record = this.records[this.index++]
    this.offset = record.offset
    this.nextOffset = record.offset + 1n
    return record
  }

  advance(): boolean {
    const record = this.next()
    if (record === null) return false
    this.timestampMs = Number(record.timestamp)
    this.key = record.key
    this.value = record.value
    this.headers = record.headers
    return true
  }
}
