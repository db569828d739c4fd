// Builds legacy (magic 0/1) messages for tests: samsa never writes these, but must read them.
import * as zlib from 'node:zlib'
import { crc32 } from '../../../src/records/crc32c.js'

export interface LegacyInput {
  offset: bigint
  key: Buffer | null
  value: Buffer | null
  timestamp?: bigint
  attributes?: number
}

export function legacyMessage(magic: 0 | 1, input: LegacyInput): Buffer {
  const keyLength = input.key === null ? 0 : input.key.length
  const valueLength = input.value === null ? 0 : input.value.length
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLength + 4 + valueLength
  const buf = Buffer.alloc(12 + size)
  buf.writeBigInt64BE(input.offset, 0)
  buf.writeInt32BE(size, 8)
  let pos = 16
  buf[pos++] = magic
  buf[pos++] = input.attributes ?? 0
  if (magic === 1) {
    buf.writeBigInt64BE(input.timestamp ?? -1n, pos)
    pos += 8
  }
  buf.writeInt32BE(input.key === null ? -1 : keyLength, pos)
  pos += 4
  if (input.key !== null) pos += input.key.copy(buf, pos)
  buf.writeInt32BE(input.value === null ? -1 : valueLength, pos)
  pos += 4
  if (input.value !== null) input.value.copy(buf, pos)
  buf.writeUInt32BE(crc32(buf, 16, buf.length), 12)
  return buf
}

/** A gzip-compressed wrapper as old producers wrote it; v1 inner offsets are relative (0..n-1). */
export function gzipWrapper(magic: 0 | 1, wrapperOffset: bigint, inner: LegacyInput[], timestamp = -1n, logAppend = false): Buffer {
  const set = Buffer.concat(inner.map((m) => legacyMessage(magic, m)))
  return legacyMessage(magic, {
    offset: wrapperOffset,
    key: null,
    value: zlib.gzipSync(set),
    timestamp,
    attributes: 1 | (logAppend ? 0x08 : 0),
  })
}
