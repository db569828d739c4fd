import { compressAsync, compressSync, COMPRESSION_IDS, type CompressionCodec } from './compression.js'
import { crc32c } from './crc32c.js'
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CONTROL_FLAG,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_COUNT,
  RECORDS,
  TIMESTAMP_TYPE_FLAG,
  TRANSACTIONAL_FLAG,
  writeInt64Number,
} from './layout.js'

export type RecordData = Buffer | string | null
export type HeaderInput = ReadonlyArray<readonly [string, RecordData]> | Readonly<Record<string, RecordData>>

export interface RecordInput {
  key?: RecordData
  value: RecordData
  headers?: HeaderInput
  /** Milliseconds since the epoch; defaults to the time the batch is encoded. */
  timestamp?: number | bigint
  /** Offset relative to the batch's base offset; defaults to the record's index. */
  offsetDelta?: number
}

export interface BatchHeaderInput {
  compression?: CompressionCodec
  /** Codec level (gzip 1-9, zstd -7..22); snappy and lz4 have none. Defaults to each library's default. */
  compressionLevel?: number
  timestampType?: 'create' | 'log-append'
  transactional?: boolean
  partitionLeaderEpoch?: number
}

/** Fields the producer usually knows only when the batch is drained for sending (as the Java client sets them). */
export interface BatchDrainInput {
  baseOffset?: bigint
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  partitionLeaderEpoch?: number
}

export interface RecordBatchInput extends BatchHeaderInput, BatchDrainInput {
  records: readonly RecordInput[]
}

export interface RecordBatchBuilderOptions extends BatchHeaderInput {
  /** Bytes to preallocate; the buffer doubles when full. Default 16 KiB. */
  initialCapacity?: number
  /** Marks a control batch (transaction markers); only the broker writes these in practice. */
  control?: boolean
  /** A buffer to build into instead of allocating one (a pooled buffer); the builder moves out of it if it grows. */
  buffer?: Buffer
}

const EMPTY_HEADERS: ReadonlyArray<readonly [string, RecordData]> = []

/** Strings up to this many UTF-16 units are measured and written by a JS loop when they are pure ASCII. */
const SHORT_STRING = 64

/** UTF-8 byte length; short ASCII strings are measured without crossing into C++. */
function utf8Length(text: string): number {
  const length = text.length
  if (length > SHORT_STRING) return Buffer.byteLength(text)
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text)
  return length
}

function dataLength(data: RecordData | undefined): number {
  if (data === null || data === undefined) return -1
  return typeof data === 'string' ? utf8Length(data) : data.length
}

// Header names repeat across records; their UTF-8 bytes are encoded once and copied from here afterwards.
const HEADER_NAME_CACHE_LIMIT = 1024
const headerNameBytes = new Map<string, Buffer>()

function headerNameBytesOf(name: string): Buffer {
  let bytes = headerNameBytes.get(name)
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8')
    if (headerNameBytes.size < HEADER_NAME_CACHE_LIMIT) headerNameBytes.set(name, bytes)
  }
  return bytes
}

/** Bytes of a zigzag varint holding a 32-bit signed value already zigzagged to `u` (unsigned). */
function varuintSize(u: number): number {
  if (u < 0x80) return 1
  if (u < 0x4000) return 2
  if (u < 0x200000) return 3
  if (u < 0x10000000) return 4
  if (u < 0x800000000) return 5
  // Beyond 35 bits only timestamp deltas go; count 7-bit groups without bit operators (they truncate to 32 bits).
  let size = 5
  let rest = Math.floor(u / 0x800000000)
  while (rest > 0) {
    size++
    rest = Math.floor(rest / 128)
  }
  return size
}

/** Zigzag of a length, where -1 means null. */
function lengthZigzag(length: number): number {
  return length < 0 ? 1 : length * 2
}

/** 64-bit zigzag of a safe integer, as a non-negative number. */
function zigzag64(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function writeVaruint(buf: Buffer, u: number, pos: number): number {
  if (u < 0x80000000) {
    while (u >= 0x80) {
      buf[pos++] = (u & 0x7f) | 0x80
      u >>>= 7
    }
    buf[pos++] = u
    return pos
  }
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80
    u = Math.floor(u / 128)
  }
  buf[pos++] = u
  return pos
}

function writeData(buf: Buffer, data: RecordData | undefined, length: number, pos: number): number {
  pos = writeVaruint(buf, lengthZigzag(length), pos)
  if (length <= 0) return pos
  if (typeof data === 'string') {
    if (length === data.length && length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) buf[pos + i] = data.charCodeAt(i)
    } else buf.write(data, pos, length, 'utf8')
  } else buf.set(data as Buffer, pos) // TypedArray#set stays in V8; Buffer#copy crosses into C++
  return pos + length
}

function headerEntries(headers: HeaderInput | undefined): ReadonlyArray<readonly [string, RecordData]> {
  if (headers === undefined) return EMPTY_HEADERS
  if (Array.isArray(headers)) return headers as ReadonlyArray<readonly [string, RecordData]>
  return Object.entries(headers as Readonly<Record<string, RecordData>>)
}

function toMillis(timestamp: number | bigint | undefined, now: number): number {
  if (timestamp === undefined) return now
  return typeof timestamp === 'bigint' ? Number(timestamp) : timestamp
}

/**
 * Builds one RecordBatch v2 by appending records straight into a growing buffer: one buffer per batch (plus one
 * for the compressed copy), no per-record objects. The header is written at `close()`, so producer id, epoch, base
 * sequence and base offset can be set when the batch is drained, not when it is opened.
 */
export class RecordBatchBuilder {
  private buf: Buffer
  private pos = RECORDS
  private recordCount = 0
  private lastOffsetDelta = -1
  private baseTimestamp = 0
  private maxTimestamp = 0
  private closed = false
  private readonly attributes: number
  private readonly compression: CompressionCodec
  private readonly compressionLevel: number | undefined
  private readonly partitionLeaderEpoch: number

  constructor(options: RecordBatchBuilderOptions = {}) {
    this.compression = options.compression ?? 'none'
    const id = COMPRESSION_IDS[this.compression]
    if (id === undefined) throw new TypeError(`unknown compression '${String(options.compression)}'`)
    this.compressionLevel = options.compressionLevel
    this.attributes =
      id |
      (options.timestampType === 'log-append' ? TIMESTAMP_TYPE_FLAG : 0) |
      (options.transactional ? TRANSACTIONAL_FLAG : 0) |
      (options.control ? CONTROL_FLAG : 0)
    this.partitionLeaderEpoch = options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH
    this.buf = options.buffer !== undefined && options.buffer.length >= RECORDS + 64 ? options.buffer : Buffer.allocUnsafe(Math.max(RECORDS + 64, options.initialCapacity ?? 16 * 1024))
  }

  /** Records appended so far. */
  get count(): number {
    return this.recordCount
  }

  /** Uncompressed size of the batch as it stands, header included: compare against `batchSize`. */
  /** The buffer the records are written into: the given one, unless the batch outgrew it. */
  get buffer(): Buffer {
    return this.buf
  }

  get sizeInBytes(): number {
    return this.pos
  }

  /** Bytes `append` would add for this record (the varint length prefix included). */
  static recordSize(
    key: RecordData | undefined,
    value: RecordData,
    headers: HeaderInput | undefined,
    timestampDelta: number,
    offsetDelta: number,
  ): number {
    const body = bodySize(dataLength(key), dataLength(value), headerEntries(headers), timestampDelta, offsetDelta)
    return body + varuintSize(body * 2)
  }

  /**
   * Whether appending this record keeps the uncompressed batch within `limit` bytes (the producer's `batchSize`).
   * An empty batch always has room, so a record larger than `limit` still gets a batch of its own, as in Java.
   */
  hasRoomFor(key: RecordData | undefined, value: RecordData, headers: HeaderInput | undefined, limit: number, timestamp?: number | bigint): boolean {
    if (this.recordCount === 0) return true
    const ts = timestamp === undefined ? Date.now() : typeof timestamp === 'bigint' ? Number(timestamp) : timestamp
    const size = RecordBatchBuilder.recordSize(key, value, headers, ts - this.baseTimestamp, this.lastOffsetDelta + 1)
    return this.pos + size <= limit
  }

  /**
   * Appends a record and returns its offset delta. `timestamp` defaults to now; the first record's timestamp
   * becomes the batch's base timestamp.
   */
  append(key: RecordData | undefined, value: RecordData, headers?: HeaderInput, timestamp?: number | bigint, offsetDelta?: number): number {
    if (this.closed) throw new Error('RecordBatchBuilder is closed')
    const ts = timestamp === undefined ? Date.now() : typeof timestamp === 'bigint' ? Number(timestamp) : timestamp
    if (this.recordCount === 0) {
      this.baseTimestamp = ts
      this.maxTimestamp = ts
    } else if (ts > this.maxTimestamp) this.maxTimestamp = ts
    const delta = offsetDelta ?? this.lastOffsetDelta + 1
    const entries = headerEntries(headers)
    const keyLength = dataLength(key)
    const valueLength = dataLength(value)
    const timestampDelta = ts - this.baseTimestamp
    const body = bodySize(keyLength, valueLength, entries, timestampDelta, delta)
    const needed = this.pos + body + 5
    if (needed > this.buf.length) this.grow(needed)
    this.pos = writeRecord(this.buf, this.pos, body, key, keyLength, value, valueLength, entries, timestampDelta, delta)
    this.recordCount++
    this.lastOffsetDelta = delta
    return delta
  }

  /**
   * Appends the record only if the batch stays within `limit` bytes (a first record always fits); returns its
   * offset delta, or -1 when it did not fit. One size computation for both the check and the write: the
   * producer's accumulator calls this for every record.
   */
  tryAppend(key: RecordData | undefined, value: RecordData, headers: HeaderInput | undefined, timestamp: number, limit: number): number {
    if (this.closed) throw new Error('RecordBatchBuilder is closed')
    const first = this.recordCount === 0
    const delta = this.lastOffsetDelta + 1
    const entries = headerEntries(headers)
    const keyLength = dataLength(key)
    const valueLength = dataLength(value)
    const timestampDelta = first ? 0 : timestamp - this.baseTimestamp
    const body = bodySize(keyLength, valueLength, entries, timestampDelta, delta)
    const end = this.pos + body + varuintSize(body * 2)
    if (!first && end > limit) return -1
    if (first) {
      this.baseTimestamp = timestamp
      this.maxTimestamp = timestamp
    } else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    if (end > this.buf.length) this.grow(end)
    this.pos = writeRecord(this.buf, this.pos, body, key, keyLength, value, valueLength, entries, timestampDelta, delta)
    this.recordCount++
    this.lastOffsetDelta = delta
    return delta
  }

  private grow(needed: number): void {
    let capacity = this.buf.length * 2
    while (capacity < needed) capacity *= 2
    const next = Buffer.allocUnsafe(capacity)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** Finishes the batch synchronously (compressing on this thread) and returns its bytes. */
  close(drain: BatchDrainInput = {}): Buffer {
    const records = this.finishRecords()
    if (this.compression === 'none') return this.seal(this.buf.subarray(0, this.pos), drain)
    return this.sealCompressed(compressSync(this.compression, records, this.compressionLevel), drain)
  }

  /** Like `close()`, but compresses on libuv's thread pool where the codec binding allows it. */
  async closeAsync(drain: BatchDrainInput = {}): Promise<Buffer> {
    const records = this.finishRecords()
    if (this.compression === 'none') return this.seal(this.buf.subarray(0, this.pos), drain)
    return this.sealCompressed(await compressAsync(this.compression, records, this.compressionLevel), drain)
  }

  private finishRecords(): Buffer {
    if (this.closed) throw new Error('RecordBatchBuilder is closed')
    this.closed = true
    return this.buf.subarray(RECORDS, this.pos)
  }

  private sealCompressed(compressed: Buffer, drain: BatchDrainInput): Buffer {
    // The uncompressed records are not needed once compressed: the batch goes into the builder's own buffer when it
    // fits (it usually does), which saves allocating one (and faulting its pages in) per batch.
    const length = RECORDS + compressed.length
    const batch = length <= this.buf.length ? this.buf.subarray(0, length) : Buffer.allocUnsafe(length)
    batch.set(compressed, RECORDS)
    return this.seal(batch, drain)
  }

  private seal(batch: Buffer, drain: BatchDrainInput): Buffer {
    batch.writeBigInt64BE(drain.baseOffset ?? 0n, BASE_OFFSET)
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH)
    batch.writeInt32BE(drain.partitionLeaderEpoch ?? this.partitionLeaderEpoch, PARTITION_LEADER_EPOCH)
    batch[MAGIC] = 2
    batch.writeInt16BE(this.attributes, ATTRIBUTES)
    batch.writeInt32BE(this.lastOffsetDelta < 0 ? 0 : this.lastOffsetDelta, LAST_OFFSET_DELTA)
    const base = this.recordCount === 0 ? -1 : this.baseTimestamp
    writeInt64Number(batch, base, BASE_TIMESTAMP)
    writeInt64Number(batch, this.recordCount === 0 ? -1 : this.maxTimestamp, MAX_TIMESTAMP)
    batch.writeBigInt64BE(drain.producerId ?? NO_PRODUCER_ID, PRODUCER_ID)
    batch.writeInt16BE(drain.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH)
    batch.writeInt32BE(drain.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE)
    batch.writeInt32BE(this.recordCount, RECORD_COUNT)
    batch.writeUInt32BE(crc32c(batch, ATTRIBUTES, batch.length), CRC)
    return batch
  }
}

function bodySize(
  keyLength: number,
  valueLength: number,
  headers: ReadonlyArray<readonly [string, RecordData]>,
  timestampDelta: number,
  offsetDelta: number,
): number {
  let size =
    1 + // attributes
    varuintSize(zigzag64(timestampDelta)) +
    varuintSize(zigzag64(offsetDelta)) +
    varuintSize(lengthZigzag(keyLength)) +
    (keyLength > 0 ? keyLength : 0) +
    varuintSize(lengthZigzag(valueLength)) +
    (valueLength > 0 ? valueLength : 0) +
    varuintSize(headers.length * 2)
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]
    const nameLength = headerNameBytesOf(header[0]).length
    const headerValueLength = dataLength(header[1])
    size +=
      varuintSize(nameLength * 2) +
      nameLength +
      varuintSize(lengthZigzag(headerValueLength)) +
      (headerValueLength > 0 ? headerValueLength : 0)
  }
  return size
}

function writeRecord(
  buf: Buffer,
  pos: number,
  body: number,
  key: RecordData | undefined,
  keyLength: number,
  value: RecordData,
  valueLength: number,
  headers: ReadonlyArray<readonly [string, RecordData]>,
  timestampDelta: number,
  offsetDelta: number,
): number {
  pos = writeVaruint(buf, body * 2, pos)
  buf[pos++] = 0 // record attributes: unused by every Kafka version so far
  pos = writeVaruint(buf, zigzag64(timestampDelta), pos)
  pos = writeVaruint(buf, zigzag64(offsetDelta), pos)
  pos = writeData(buf, key, keyLength, pos)
  pos = writeData(buf, value, valueLength, pos)
  pos = writeVaruint(buf, headers.length * 2, pos)
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]
    const name = headerNameBytesOf(header[0])
    pos = writeData(buf, name, name.length, pos)
    pos = writeData(buf, header[1], dataLength(header[1]), pos)
  }
  return pos
}

function exactRecordsSize(records: readonly RecordInput[], now: number): number {
  let size = RECORDS
  if (records.length === 0) return size
  const base = toMillis(records[0].timestamp, now)
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    size += RecordBatchBuilder.recordSize(r.key, r.value, r.headers, toMillis(r.timestamp, now) - base, r.offsetDelta ?? i)
  }
  return size
}

function builderFor(input: RecordBatchInput): { builder: RecordBatchBuilder; now: number } {
  const now = Date.now()
  const builder = new RecordBatchBuilder({
    compression: input.compression,
    compressionLevel: input.compressionLevel,
    timestampType: input.timestampType,
    transactional: input.transactional,
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    initialCapacity: exactRecordsSize(input.records, now),
  })
  const records = input.records
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    builder.append(r.key, r.value, r.headers, r.timestamp ?? now, r.offsetDelta ?? i)
  }
  return { builder, now }
}

/** Encodes a complete RecordBatch v2 (magic 2), compressing synchronously. */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  return builderFor(input).builder.close(input)
}

/** Encodes a complete RecordBatch v2, compressing off the event loop where the codec binding allows it. */
export function encodeRecordBatchAsync(input: RecordBatchInput): Promise<Buffer> {
  return builderFor(input).builder.closeAsync(input)
}

export type ControlType = 'abort' | 'commit'

export interface ControlBatchInput {
  type: ControlType
  coordinatorEpoch: number
  producerId: bigint
  producerEpoch: number
  baseOffset?: bigint
  timestamp?: number
  partitionLeaderEpoch?: number
}

/** Encodes a transaction marker batch as a broker writes it (for tests and tools: clients never send these). */
export function encodeControlBatch(input: ControlBatchInput): Buffer {
  const builder = new RecordBatchBuilder({ control: true, transactional: true, partitionLeaderEpoch: input.partitionLeaderEpoch })
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0) // key schema version
  key.writeInt16BE(input.type === 'commit' ? 1 : 0, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0) // value schema version
  value.writeInt32BE(input.coordinatorEpoch, 2)
  builder.append(key, value, undefined, input.timestamp ?? Date.now(), 0)
  return builder.close({ baseOffset: input.baseOffset, producerId: input.producerId, producerEpoch: input.producerEpoch })
}
