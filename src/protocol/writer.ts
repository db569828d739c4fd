import { KafkaError } from '../errors.js'
import { LITTLE_ENDIAN, type UnknownTaggedField } from './reader.js'

/**
 * Two-pass message writer. Generated `size` functions walk a value once, returning its byte size and queueing
 * in `lengths` every figure the write pass would otherwise compute again (UTF-8 byte lengths of strings, sizes of
 * tagged fields). The caller then allocates one buffer of exactly that size and generated `write` functions fill
 * it, consuming the queue in the same order. No intermediate buffers, no concatenation.
 */
export class Writer {
  buf: Buffer
  pos: number
  /** Figures queued by the size pass, consumed in order by the write pass. */
  lengths: number[]
  /** Next entry of `lengths` the write pass will consume. */
  lengthIndex: number
  /** Version being written, for error messages. */
  version: number
  /**
   * Buffers that `raw` must not copy (record batches a producer already sealed): the write pass leaves them out of
   * `buf` and notes where they belong, and `vectored()` returns the frame as parts for one writev.
   */
  external: ReadonlySet<Buffer> | null
  /** Positions in `buf` where external buffers go, each followed by the buffer. */
  #splits: Array<number | Buffer> | null

  constructor(version = 0) {
    this.buf = EMPTY
    this.pos = 0
    this.lengths = []
    this.lengthIndex = 0
    this.version = version
    this.external = null
    this.#splits = null
  }

  /** Allocates the output (exactly `size` bytes, as the size pass computed) and rewinds the length queue. */
  allocate(size: number): Buffer {
    this.buf = Buffer.allocUnsafe(size)
    this.pos = 0
    this.lengthIndex = 0
    return this.buf
  }

  /** Queues the UTF-8 byte length of `s` and returns it. */
  measure(s: string): number {
    const n = s.length < 64 && isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8')
    this.lengths.push(n)
    return n
  }

  /** Reserves a slot in the length queue, filled later with `fill` (for sizes known only after nested sizing). */
  reserve(): number {
    return this.lengths.push(0) - 1
  }

  fill(slot: number, value: number): void {
    this.lengths[slot] = value
  }

  nextLength(): number {
    return this.lengths[this.lengthIndex++]!
  }

  // Fixed-width writes store bytes directly: the size pass made the buffer exactly large enough, and the
  // integer checks below are cheaper than Buffer#writeInt32BE's generic validation. Out-of-range values throw
  // instead of being truncated silently.

  int8(v: number): void {
    if (v !== (v << 24) >> 24) throw outOfRange(this, v, 'int8')
    this.buf[this.pos++] = v
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0
  }

  int16(v: number): void {
    if (v !== (v << 16) >> 16) throw outOfRange(this, v, 'int16')
    const buf = this.buf
    const pos = this.pos
    buf[pos] = v >> 8
    buf[pos + 1] = v
    this.pos = pos + 2
  }

  uint16(v: number): void {
    if (v !== (v & 0xffff)) throw outOfRange(this, v, 'uint16')
    const buf = this.buf
    const pos = this.pos
    buf[pos] = v >> 8
    buf[pos + 1] = v
    this.pos = pos + 2
  }

  int32(v: number): void {
    if (v !== (v | 0)) throw outOfRange(this, v, 'int32')
    const buf = this.buf
    const pos = this.pos
    buf[pos] = v >> 24
    buf[pos + 1] = v >> 16
    buf[pos + 2] = v >> 8
    buf[pos + 3] = v
    this.pos = pos + 4
  }

  uint32(v: number): void {
    if (v !== v >>> 0) throw outOfRange(this, v, 'uint32')
    const buf = this.buf
    const pos = this.pos
    buf[pos] = v >>> 24
    buf[pos + 1] = v >>> 16
    buf[pos + 2] = v >>> 8
    buf[pos + 3] = v
    this.pos = pos + 4
  }

  int64(v: bigint): void {
    // Same reasoning as readInt64At: a BigInt64Array converts far faster than Buffer#writeBigInt64BE.
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`${String(v)} is not a valid int64 (bigint)`, '', this.version)
    int64Scratch[0] = v
    const buf = this.buf
    const pos = this.pos
    const b = int64Bytes
    if (LITTLE_ENDIAN) {
      buf[pos] = b[7]!
      buf[pos + 1] = b[6]!
      buf[pos + 2] = b[5]!
      buf[pos + 3] = b[4]!
      buf[pos + 4] = b[3]!
      buf[pos + 5] = b[2]!
      buf[pos + 6] = b[1]!
      buf[pos + 7] = b[0]!
    } else {
      for (let i = 0; i < 8; i++) buf[pos + i] = b[i]!
    }
    this.pos = pos + 8
  }

  float64(v: number): void {
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }

  uuid(v: string): void {
    // Validated in the size pass (checkUuid), so exactly 16 bytes decode here.
    this.buf.write(v, this.pos, 16, 'base64url')
    this.pos += 16
  }

  uvarint(v: number): void {
    const buf = this.buf
    let pos = this.pos
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    buf[pos++] = v
    this.pos = pos
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  /** Zigzag signed 64-bit varint. */
  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    const buf = this.buf
    let pos = this.pos
    while (u >= 0x80n) {
      buf[pos++] = Number(u & 0x7fn) | 0x80
      u >>= 7n
    }
    buf[pos++] = Number(u)
    this.pos = pos
  }

  /** Writes the string's bytes, whose length the size pass queued. No length prefix. */
  utf8(s: string, length: number): void {
    if (length === s.length && length < 32) {
      // Short ASCII (client ids, topic and group names): a plain loop beats the native encoder's call overhead.
      const out = this.buf
      const pos = this.pos
      for (let i = 0; i < length; i++) out[pos + i] = s.charCodeAt(i)
      this.pos = pos + length
      return
    }
    const buf = this.buf as unknown as FastWrites
    if (hasFastWrites) {
      // Equal lengths mean every character is ASCII, where latin1 encoding is identical and cheaper.
      if (length === s.length) buf.latin1Write(s, this.pos, length)
      else buf.utf8Write(s, this.pos, length)
    } else {
      this.buf.write(s, this.pos, length, 'utf8')
    }
    this.pos += length
  }

  string(s: string): void {
    const n = this.nextLength()
    this.int16(n)
    this.utf8(s, n)
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1)
    else this.string(s)
  }

  compactString(s: string): void {
    const n = this.nextLength()
    this.uvarint(n + 1)
    this.utf8(s, n)
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.buf[this.pos++] = 0
    else this.compactString(s)
  }

  raw(b: Buffer): void {
    if (this.external !== null && this.external.has(b)) {
      ;(this.#splits ??= []).push(this.pos, b)
      return
    }
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }

  /** The written frame as parts: slices of `buf` around the external buffers, in order (after a write pass). */
  vectored(): Buffer[] {
    const splits = this.#splits
    if (splits === null) return [this.buf.subarray(0, this.pos)]
    const parts: Buffer[] = []
    let from = 0
    for (let i = 0; i < splits.length; i += 2) {
      const at = splits[i] as number
      if (at > from) parts.push(this.buf.subarray(from, at))
      parts.push(splits[i + 1] as Buffer)
      from = at
    }
    if (this.pos > from) parts.push(this.buf.subarray(from, this.pos))
    return parts
  }

  bytes(b: Buffer): void {
    this.int32(b.length)
    this.raw(b)
  }

  nullableBytes(b: Buffer | null): void {
    if (b === null) this.int32(-1)
    else this.bytes(b)
  }

  compactBytes(b: Buffer): void {
    this.uvarint(b.length + 1)
    this.raw(b)
  }

  compactNullableBytes(b: Buffer | null): void {
    if (b === null) this.buf[this.pos++] = 0
    else this.compactBytes(b)
  }

  /** Writes the unknown tagged fields with tag < `below` starting at index `from`; returns the next index. */
  unknownTagsBelow(fields: readonly UnknownTaggedField[], from: number, below: number): number {
    let i = from
    while (i < fields.length && fields[i]!.tag < below) {
      const f = fields[i++]!
      this.uvarint(f.tag)
      this.uvarint(f.data.length)
      this.raw(f.data)
    }
    return i
  }
}

// latin1Write/utf8Write are Node's unchecked encoders; @types/node omits them and other runtimes may lack them.
interface FastWrites {
  latin1Write(s: string, offset: number, length: number): number
  utf8Write(s: string, offset: number, length: number): number
}
const hasFastWrites = typeof (Buffer.prototype as unknown as Partial<FastWrites>).utf8Write === 'function' &&
  typeof (Buffer.prototype as unknown as Partial<FastWrites>).latin1Write === 'function'

const EMPTY = Buffer.alloc(0)
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const int64Scratch = new BigInt64Array(1)
const int64Bytes = new Uint8Array(int64Scratch.buffer)

function outOfRange(w: Writer, v: number, type: string): EncodeError {
  // The write pass does not track field paths (it is the hot path); the size pass reports paths for its checks.
  return new EncodeError(`${v} is not a valid ${type}`, '', w.version)
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

/** Bytes taken by `v` as an unsigned varint. */
export function uvarintSize(v: number): number {
  if (v < 0x80) return 1
  if (v < 0x4000) return 2
  if (v < 0x200000) return 3
  if (v < 0x10000000) return 4
  return 5
}

/** Bytes taken by `v` as a zigzag varint. */
export function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0)
}

/** Bytes taken by `v` as a zigzag varlong. */
export function varlongSize(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
  let n = 1
  while (u >= 0x80n) {
    u >>= 7n
    n++
  }
  return n
}

/** Raised while encoding: a value cannot be represented at the requested version. */
export class EncodeError extends KafkaError {
  readonly fieldPath: string
  readonly version: number

  constructor(message: string, fieldPath: string, version: number) {
    super(fieldPath ? `${message} (field ${fieldPath}, version ${version})` : `${message} (version ${version})`)
    this.fieldPath = fieldPath
    this.version = version
  }
}

const UUID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/

/** Size-pass check that a uuid string is the 22-character base64url form of 16 bytes. */
export function checkUuid(w: Writer, v: string, path: string): void {
  if (typeof v !== 'string' || !UUID_PATTERN.test(v)) {
    throw new EncodeError(`invalid uuid ${JSON.stringify(v)}: expected 22 url-safe base64 characters`, path, w.version)
  }
}

export function nullNotAllowed(w: Writer, path: string): never {
  throw new EncodeError('null is not allowed for this field at this version', path, w.version)
}

export function notInVersion(w: Writer, path: string): never {
  throw new EncodeError('a non-default value was given for a field this version does not have', path, w.version)
}

export function stringTooLong(w: Writer, path: string, length: number): never {
  throw new EncodeError(`string of ${length} bytes exceeds 32767`, path, w.version)
}

/**
 * Sorts unknown tagged fields for writing and rejects tags the version already defines.
 * Returns undefined when there are none (the common case, so the generated fast path stays branch-light).
 */
export function prepareUnknownTags(
  w: Writer,
  fields: readonly UnknownTaggedField[] | undefined,
  knownTags: readonly number[],
  path: string,
): UnknownTaggedField[] | undefined {
  if (fields === undefined || fields.length === 0) return undefined
  const sorted = [...fields].sort((a, b) => a.tag - b.tag)
  for (let i = 0; i < sorted.length; i++) {
    const tag = sorted[i]!.tag
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new EncodeError(`invalid tag ${tag}`, path, w.version)
    if (knownTags.includes(tag)) throw new EncodeError(`unknown tagged field reuses known tag ${tag}`, path, w.version)
    if (i > 0 && sorted[i - 1]!.tag === tag) throw new EncodeError(`duplicate tag ${tag}`, path, w.version)
  }
  return sorted
}

/** Size of unknown tagged fields (tag, size prefix, data), already prepared. */
export function unknownTagsSize(fields: readonly UnknownTaggedField[]): number {
  let n = 0
  for (const f of fields) n += uvarintSize(f.tag) + uvarintSize(f.data.length) + f.data.length
  return n
}
