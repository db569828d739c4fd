import { ProtocolDecodeError } from '../errors.js'

/** A tagged field the decoder did not recognise, kept so it can be re-encoded unchanged. */
export interface UnknownTaggedField {
  tag: number
  data: Buffer
}

// Node's Buffer has unchecked slice helpers that skip the argument validation `toString` does; they are not in
// @types/node, and other runtimes may lack them, so the reader falls back to `toString` when they are absent.
interface FastSlices {
  utf8Slice?: (start: number, end: number) => string
}

const hasUtf8Slice = typeof (Buffer.prototype as unknown as FastSlices).utf8Slice === 'function'

// Buffer#readBigInt64BE builds the bigint from two halves in JavaScript and is several times slower than letting
// a BigInt64Array do the conversion from eight copied bytes.
const int64Scratch = new BigInt64Array(1)
const int64Bytes = new Uint8Array(int64Scratch.buffer)
/** True on little-endian hosts, where the scratch bytes are stored in reverse of Kafka's big-endian order. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// Every Produce and Fetch response names its topics by id, and a client talks about few topics: comparing 16 bytes
// with the last ids seen is several times cheaper than encoding a new string for each (a producer's profile showed
// the encoding at up to 2 % of its time). Direct-mapped by the id's first byte, which is random for v4 uuids.
const UUID_SLOTS = 8
const uuidBytes = new Uint8Array(UUID_SLOTS * 16)
const uuidStrings: Array<string | null> = new Array<string | null>(UUID_SLOTS).fill(null)

function cachedUuid(buf: Buffer, at: number): string {
  const slot = buf[at]! & (UUID_SLOTS - 1)
  const base = slot * 16
  const cached = uuidStrings[slot] ?? null
  if (cached !== null) {
    let same = true
    for (let i = 0; i < 16; i++) {
      if (uuidBytes[base + i] !== buf[at + i]) {
        same = false
        break
      }
    }
    if (same) return cached
  }
  const s = buf.toString('base64url', at, at + 16)
  for (let i = 0; i < 16; i++) uuidBytes[base + i] = buf[at + i]!
  uuidStrings[slot] = s
  return s
}

/** Big-endian int64 at `at` (already bounds-checked). */
export function readInt64At(buf: Uint8Array, at: number): bigint {
  const b = int64Bytes
  if (LITTLE_ENDIAN) {
    b[7] = buf[at]!
    b[6] = buf[at + 1]!
    b[5] = buf[at + 2]!
    b[4] = buf[at + 3]!
    b[3] = buf[at + 4]!
    b[2] = buf[at + 5]!
    b[1] = buf[at + 6]!
    b[0] = buf[at + 7]!
  } else {
    for (let i = 0; i < 8; i++) b[i] = buf[at + i]!
  }
  return int64Scratch[0]!
}

/**
 * Bounds-checked reader over one message. Every read checks the remaining bytes first and throws
 * `ProtocolDecodeError` (with message name, version, field path and offset) instead of a RangeError; every
 * length or count is checked against the bytes left before anything is allocated for it.
 *
 * The `path` arguments are constant strings supplied by the generated code; they are only used to build errors.
 */
export class Reader {
  buf: Buffer
  pos: number
  /** Exclusive end of the readable range. */
  end: number
  /** Message name and version, only for error messages. */
  messageName: string | undefined
  version: number | undefined

  constructor(buf: Buffer, start = 0, end = buf.length, messageName?: string, version?: number) {
    this.buf = buf
    this.pos = start
    this.end = end
    this.messageName = messageName
    this.version = version
  }

  get remaining(): number {
    return this.end - this.pos
  }

  error(message: string, path?: string, offset = this.pos): ProtocolDecodeError {
    return new ProtocolDecodeError(message, {
      apiName: this.messageName,
      version: this.version,
      fieldPath: path,
      offset,
    })
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, path?: string): void {
    if (this.end - this.pos < n) {
      throw this.error(`truncated: need ${n} byte(s), ${this.end - this.pos} left`, path)
    }
  }

  int8(path?: string): number {
    if (this.pos >= this.end) this.need(1, path)
    return this.buf.readInt8(this.pos++)
  }

  bool(path?: string): boolean {
    if (this.pos >= this.end) this.need(1, path)
    return this.buf[this.pos++] !== 0
  }

  int16(path?: string): number {
    if (this.end - this.pos < 2) this.need(2, path)
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  uint16(path?: string): number {
    if (this.end - this.pos < 2) this.need(2, path)
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  int32(path?: string): number {
    if (this.end - this.pos < 4) this.need(4, path)
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  uint32(path?: string): number {
    if (this.end - this.pos < 4) this.need(4, path)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  int64(path?: string): bigint {
    if (this.end - this.pos < 8) this.need(8, path)
    const v = readInt64At(this.buf, this.pos)
    this.pos += 8
    return v
  }

  float64(path?: string): number {
    if (this.end - this.pos < 8) this.need(8, path)
    const v = this.buf.readDoubleBE(this.pos)
    this.pos += 8
    return v
  }

  /** A 16-byte UUID as Kafka's 22-character URL-safe base64 string (what Java's `Uuid.toString()` prints). */
  uuid(path?: string): string {
    if (this.end - this.pos < 16) this.need(16, path)
    const s = cachedUuid(this.buf, this.pos)
    this.pos += 16
    return s
  }

  /**
   * Unsigned LEB128 varint of at most 32 bits (5 bytes). A 5th byte carrying bits beyond bit 31, or a 6th byte,
   * is rejected: such input is overlong or out of range, never a value a Kafka writer produces.
   */
  uvarint(path?: string): number {
    const buf = this.buf
    let pos = this.pos
    const end = this.end
    if (pos < end) {
      const b0 = buf[pos]!
      if (b0 < 0x80) {
        this.pos = pos + 1
        return b0
      }
    }
    let value = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw this.error('truncated varint', path, this.pos)
      const b = buf[pos++]!
      if (i === 4 && b > 0x0f) throw this.error('unsigned varint overflows 32 bits', path, this.pos)
      value += (b & 0x7f) * 2 ** shift
      if (b < 0x80) {
        this.pos = pos
        return value
      }
      shift += 7
    }
    throw this.error('unsigned varint is longer than 5 bytes', path, this.pos)
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(path?: string): number {
    const u = this.uvarint(path)
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }

  /** Zigzag-encoded signed 64-bit varint (at most 10 bytes). */
  varlong(path?: string): bigint {
    const buf = this.buf
    let pos = this.pos
    let lo = 0
    let shift = 0
    // The first 28 bits accumulate in a number (exact), the rest in a bigint only when needed.
    for (let i = 0; i < 4; i++) {
      if (pos >= this.end) throw this.error('truncated varlong', path, this.pos)
      const b = buf[pos++]!
      lo |= (b & 0x7f) << shift
      if (b < 0x80) {
        this.pos = pos
        const u = BigInt(lo)
        return (u >> 1n) ^ -(u & 1n)
      }
      shift += 7
    }
    let value = BigInt(lo)
    let bigShift = 28n
    for (let i = 4; i < 10; i++) {
      if (pos >= this.end) throw this.error('truncated varlong', path, this.pos)
      const b = buf[pos++]!
      if (i === 9 && b > 0x01) throw this.error('varlong overflows 64 bits', path, this.pos)
      value |= BigInt(b & 0x7f) << bigShift
      if (b < 0x80) {
        this.pos = pos
        return (value >> 1n) ^ -(value & 1n)
      }
      bigShift += 7n
    }
    throw this.error('varlong is longer than 10 bytes', path, this.pos)
  }

  private utf8(length: number): string {
    const start = this.pos
    this.pos = start + length
    return hasUtf8Slice
      ? (this.buf as unknown as Required<FastSlices>).utf8Slice(start, start + length)
      : this.buf.toString('utf8', start, start + length)
  }

  private checkLength(length: number, path: string | undefined, at: number): void {
    if (length > this.end - this.pos) {
      throw this.error(`length ${length} exceeds the ${this.end - this.pos} byte(s) left`, path, at)
    }
  }

  /** int16-length string; -1 (null) is an error. */
  string(path?: string): string {
    const at = this.pos
    const length = this.int16(path)
    if (length < 0) throw this.error(length === -1 ? 'non-nullable string is null' : `invalid string length ${length}`, path, at)
    this.checkLength(length, path, at)
    return this.utf8(length)
  }

  nullableString(path?: string): string | null {
    const at = this.pos
    const length = this.int16(path)
    if (length < 0) {
      if (length === -1) return null
      throw this.error(`invalid string length ${length}`, path, at)
    }
    this.checkLength(length, path, at)
    return this.utf8(length)
  }

  /** Unsigned-varint (length + 1) string; 0 (null) is an error. */
  compactString(path?: string): string {
    const at = this.pos
    const n = this.uvarint(path)
    if (n === 0) throw this.error('non-nullable string is null', path, at)
    if (n - 1 > 0x7fff) throw this.error(`string length ${n - 1} exceeds 32767`, path, at)
    this.checkLength(n - 1, path, at)
    return this.utf8(n - 1)
  }

  compactNullableString(path?: string): string | null {
    const at = this.pos
    const n = this.uvarint(path)
    if (n === 0) return null
    if (n - 1 > 0x7fff) throw this.error(`string length ${n - 1} exceeds 32767`, path, at)
    this.checkLength(n - 1, path, at)
    return this.utf8(n - 1)
  }

  /** `length` raw bytes; a view into the input when `view`, else a copy (so the input can be released). */
  raw(length: number, view: boolean, path?: string): Buffer {
    this.checkLength(length, path, this.pos)
    const start = this.pos
    this.pos = start + length
    const slice = this.buf.subarray(start, start + length)
    return view ? slice : Buffer.from(slice)
  }

  private bytesLength(compact: boolean, nullable: boolean, path: string | undefined): number {
    const at = this.pos
    const length = compact ? this.uvarint(path) - 1 : this.int32(path)
    if (length < 0) {
      if (length === -1 && nullable) return -1
      throw this.error(length === -1 ? 'non-nullable bytes are null' : `invalid bytes length ${length}`, path, at)
    }
    this.checkLength(length, path, at)
    return length
  }

  bytes(view: boolean, path?: string): Buffer {
    return this.raw(this.bytesLength(false, false, path), view, path)
  }

  nullableBytes(view: boolean, path?: string): Buffer | null {
    const length = this.bytesLength(false, true, path)
    return length < 0 ? null : this.raw(length, view, path)
  }

  compactBytes(view: boolean, path?: string): Buffer {
    return this.raw(this.bytesLength(true, false, path), view, path)
  }

  compactNullableBytes(view: boolean, path?: string): Buffer | null {
    const length = this.bytesLength(true, true, path)
    return length < 0 ? null : this.raw(length, view, path)
  }

  /**
   * int32 element count of an array; -1 means null (returned as -1, rejected unless `nullable`). A count larger
   * than the bytes left is rejected before the caller allocates anything (the same rule as the Java client).
   */
  arrayLength(nullable: boolean, path?: string): number {
    const at = this.pos
    const n = this.int32(path)
    return this.checkCount(n, nullable, path, at)
  }

  /** Unsigned-varint (count + 1) array length; 0 means null. */
  compactArrayLength(nullable: boolean, path?: string): number {
    const at = this.pos
    const n = this.uvarint(path) - 1
    return this.checkCount(n, nullable, path, at)
  }

  private checkCount(n: number, nullable: boolean, path: string | undefined, at: number): number {
    if (n < 0) {
      if (n === -1 && nullable) return -1
      throw this.error(n === -1 ? 'non-nullable array is null' : `invalid array length ${n}`, path, at)
    }
    if (n > this.end - this.pos) {
      throw this.error(`array of ${n} element(s) cannot fit in the ${this.end - this.pos} byte(s) left`, path, at)
    }
    return n
  }

  /** Marker byte of a nullable struct: true when a struct follows, false for null. */
  structPresent(path?: string): boolean {
    return this.int8(path) >= 0
  }

  /** Reads a tagged field's size and checks it against the bytes left; returns the field's end offset. */
  taggedFieldEnd(path?: string): number {
    const at = this.pos
    const size = this.uvarint(path)
    this.checkLength(size, path, at)
    return this.pos + size
  }

  /** After decoding a known tagged field, the reader must be exactly at the end its size prefix announced. */
  expectTaggedEnd(end: number, path?: string): void {
    if (this.pos !== end) {
      throw this.error(`tagged field ends at offset ${this.pos} but its size prefix says ${end}`, path)
    }
  }
}
