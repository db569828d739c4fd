/**
 * Legacy message sets (magic 0 and 1), the format of data written before RecordBatch v2 (Kafka 0.11): offset
 * int64, size int32, crc int32 (CRC32 of the rest), magic int8, attributes int8, [timestamp int64 in v1], key
 * (int32 length), value (int32 length). A compressed message wraps a whole inner message set in its value. Each
 * message or wrapper decodes to one RecordBatch, so callers see one shape whatever the magic.
 */
import { COMPRESSION_NAMES, decompressSync, type CompressionCodec, type DecompressOptions } from './compression.js'
import { crc32 } from './crc32c.js'
import { BATCH_LENGTH, COMPRESSION_MASK, LOG_OVERHEAD, MAGIC, TIMESTAMP_TYPE_FLAG } from './layout.js'
import { fail, view } from './record-cursor.js'
import type { KafkaRecord, RecordBatch } from './types.js'

export function legacyMinimumSize(magic: number): number {
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

export function decodeLegacyMessage(
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
