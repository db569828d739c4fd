import { promisify } from 'node:util'
import type * as Zlib from 'node:zlib'
// Types only: every binding is required the first time a batch in its codec is compressed or decompressed.
import type * as Lz4Napi from 'lz4-napi'
import type * as Snappy from 'snappy'
import type * as ZstdNapi from 'zstd-napi'
import type * as ZstdNapiBinding from 'zstd-napi/binding.js'
import { CompressionCodecUnavailableError, KafkaError, RecordsDecodeError } from '../errors.js'

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** Codec ids as they appear in the low three attribute bits. */
export const COMPRESSION_IDS: Readonly<Record<CompressionCodec, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
export const COMPRESSION_NAMES: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * Default cap on the bytes one compressed batch may expand to. The broker's own limits (message.max.bytes,
 * default 1 MiB compressed) are far below this; it only exists so a hostile or corrupt payload cannot make a
 * small input allocate gigabytes.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

// node:zlib too loads on first use (gzip or zstd): importing it costs ~1.5 ms that most processes never need.
let zlibModule: typeof Zlib | undefined
const zlib = (): typeof Zlib => (zlibModule ??= require('node:zlib') as typeof Zlib)
let gzipAsync: ((data: Buffer, options: Zlib.ZlibOptions) => Promise<Buffer>) | undefined
let gunzipAsync: ((data: Uint8Array, options: Zlib.ZlibOptions) => Promise<Buffer>) | undefined

/**
 * The output chunk for asynchronous node:zlib decompression (gunzip, zstd). zlib hands output back a chunk at a
 * time, one thread-pool round trip each, and joins the chunks on the event loop: with its 16 KiB default a 2.4 MB
 * batch took 150 round trips and a copy of the whole output on the loop. `stated` is the size the data claims (the
 * gzip trailer's ISIZE; zstd frames need not state one); it comes off the network, so it only sizes the chunk,
 * capped at 32 times the compressed size and the limit.
 */
function asyncOutputChunkBytes(data: Uint8Array, limit: number, stated = Infinity): number {
  return Math.max(64 * 1024, Math.min(stated, 32 * data.length, limit))
}

/** A gzip member's ISIZE trailer field (its uncompressed size mod 2^32), 0 when too short to have one. */
function gzipStatedSize(data: Uint8Array): number {
  return data.length >= 18 ? (data[data.length - 4]! | (data[data.length - 3]! << 8) | (data[data.length - 2]! << 16) | (data[data.length - 1]! << 24)) >>> 0 : 0
}

// ---------------------------------------------------------------------------------------------------------------
// Bindings load on first use. Importing samsa loads none, so a process that never meets a snappy, lz4 or zstd batch
// never needs their native code; one that cannot load a binding fails only the batches in that codec.

/** A codec implementation loaded the first time it is needed; a load failure is kept and reported on every use. */
class LazyBinding<T> {
  #value: T | undefined
  #failure: { error: unknown } | undefined

  constructor(
    readonly codec: CompressionCodec,
    readonly load: () => T,
    readonly remedy: string,
  ) {}

  get(): T {
    if (this.#value !== undefined) return this.#value
    if (this.#failure === undefined) {
      try {
        return (this.#value = this.load())
      } catch (error) {
        this.#failure = { error }
      }
    }
    throw new CompressionCodecUnavailableError(this.codec, this.remedy, { cause: this.#failure.error })
  }

  available(): boolean {
    try {
      this.get()
      return true
    } catch {
      return false
    }
  }
}

const REINSTALL = 'its prebuilt binary for this platform is an optional dependency; reinstall without --omit=optional (or --no-optional), on the platform that runs the application'
const snappyBinding = new LazyBinding<typeof Snappy>('snappy', () => require('snappy'), `samsa loads it from the \`snappy\` package: ${REINSTALL}`)
const lz4Binding = new LazyBinding<typeof Lz4Napi>('lz4', () => require('lz4-napi'), `samsa loads it from the \`lz4-napi\` package: ${REINSTALL}`)

/** zlib's zstd functions, in Node 22.15+ and 23.8+ (not yet in the @types/node this project compiles against). */
interface ZlibZstd {
  zstdCompressSync(data: Uint8Array, options?: { params?: Record<number, number> }): Buffer
  zstdDecompressSync(data: Uint8Array, options?: { maxOutputLength?: number; params?: Record<number, number> }): Buffer
  zstdCompress(data: Uint8Array, options: { params?: Record<number, number> }, callback: (error: Error | null, result: Buffer) => void): void
  zstdDecompress(
    data: Uint8Array,
    options: { maxOutputLength?: number; params?: Record<number, number>; chunkSize?: number },
    callback: (error: Error | null, result: Buffer) => void,
  ): void
  constants: { ZSTD_c_compressionLevel: number; ZSTD_d_windowLogMax: number }
}

/** The four operations samsa needs from a zstd implementation. */
interface ZstdBackend {
  readonly name: 'node:zlib' | 'zstd-napi'
  compressSync(data: Buffer, level: number | undefined): Buffer
  compressAsync(data: Buffer, level: number | undefined): Promise<Buffer>
  decompressSync(data: Uint8Array, limit: number, at: number): Buffer
  decompressAsync(data: Uint8Array, limit: number, at: number): Promise<Buffer>
}

/** Levels up to 19 use windows up to 2^23; allowing those keeps small limits from refusing ordinary frames. */
const ZSTD_WINDOW_LOG_MIN = 23
/** zstd's own default cap for decompression (128 MiB windows). */
const ZSTD_WINDOW_LOG_DEFAULT_MAX = 27

/** The window is allocated up front from the frame header: never let a header ask for more than the limit needs. */
function zstdWindowLogMax(limit: number): number {
  return Math.min(ZSTD_WINDOW_LOG_DEFAULT_MAX, Math.max(ZSTD_WINDOW_LOG_MIN, Math.ceil(Math.log2(limit + 1))))
}

function zlibZstdBackend(z: ZlibZstd): ZstdBackend {
  const { ZSTD_c_compressionLevel: LEVEL, ZSTD_d_windowLogMax: WINDOW_LOG_MAX } = z.constants
  const compressOptions = (level: number | undefined) => (level === undefined ? {} : { params: { [LEVEL]: level } })
  const decompressOptions = (limit: number) => ({ maxOutputLength: Math.max(1, limit), params: { [WINDOW_LOG_MAX]: zstdWindowLogMax(limit) } })
  const compress = promisify(z.zstdCompress)
  const decompress = promisify(z.zstdDecompress)
  return {
    name: 'node:zlib',
    compressSync: (data, level) => z.zstdCompressSync(data, compressOptions(level)),
    compressAsync: (data, level) => compress(data, compressOptions(level)),
    decompressSync: (data, limit) => z.zstdDecompressSync(data, decompressOptions(limit)),
    decompressAsync: (data, limit) => decompress(data, { ...decompressOptions(limit), chunkSize: asyncOutputChunkBytes(data, limit) }),
  }
}

const ZSTD_CHUNK = 128 * 1024

function zstdNapiBackend(): ZstdBackend {
  const zstd = require('zstd-napi') as typeof ZstdNapi
  const binding = require('zstd-napi/binding.js') as typeof ZstdNapiBinding
  let context: ZstdNapiBinding.DCtx | undefined
  // zstd-napi's one-shot decompress trusts the frame's declared content size (and, without one, grows without
  // bound), so decompression drives the streaming context directly with a running limit.
  const decompressSync = (data: Uint8Array, limit: number, at: number): Buffer => {
    const ctx = (context ??= new binding.DCtx())
    ctx.reset(binding.ResetDirective.sessionAndParameters)
    ctx.setParameter(binding.DParameter.windowLogMax, zstdWindowLogMax(limit))
    const chunks: Buffer[] = []
    let total = 0
    let input = data
    let hint = 1
    let outputFull = false
    do {
      const chunk = Buffer.allocUnsafe(Math.min(ZSTD_CHUNK, limit - total + 1))
      const [nextHint, produced, consumed] = ctx.decompressStream(chunk, input)
      if (produced === 0 && consumed === 0) {
        if (input.length === 0) break
        throw new RecordsDecodeError('zstd stream made no progress', at)
      }
      total += produced
      if (total > limit) throw tooLarge('zstd', total, limit, at)
      if (produced > 0) chunks.push(chunk.subarray(0, produced))
      input = input.subarray(consumed)
      hint = nextHint
      // A full output chunk means the decoder may still hold data even when all input is consumed.
      outputFull = produced === chunk.length
    } while (input.length > 0 || (hint !== 0 && outputFull))
    if (hint !== 0) throw new RecordsDecodeError('zstd frame truncated', at)
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)
  }
  const compressSync = (data: Buffer, level: number | undefined) => zstd.compress(data, level === undefined ? {} : { compressionLevel: level })
  return {
    name: 'zstd-napi',
    compressSync,
    // zstd-napi has no asynchronous API: it runs on the calling thread.
    compressAsync: async (data, level) => compressSync(data, level),
    decompressSync,
    decompressAsync: async (data, limit, at) => decompressSync(data, limit, at),
  }
}

/** node:zlib where this Node has zstd (22.15+, 23.8+), else the optional peer dependency zstd-napi. */
const zstdBinding = new LazyBinding<ZstdBackend>(
  'zstd',
  () => {
    const z = zlib() as unknown as Partial<ZlibZstd>
    return typeof z.zstdCompressSync === 'function' ? zlibZstdBackend(z as ZlibZstd) : zstdNapiBackend()
  },
  `Node ${process.versions.node} has no zstd in node:zlib (Node 22.15+ and 23.8+ have it); upgrade Node, or \`npm install zstd-napi\` next to samsa (an optional peer dependency; it compiles from source when no prebuilt binary downloads, so install scripts must run)`,
)

/**
 * Throws CompressionCodecUnavailableError unless `codec` can be used here, loading its binding if need be. The
 * producer calls it when a send arrives, so a send in an unavailable codec is refused before it takes buffer
 * memory, rather than failing later where the batch is compressed.
 */
export function requireCompression(codec: CompressionCodec): void {
  switch (codec) {
    case 'snappy':
      snappyBinding.get()
      return
    case 'lz4':
      lz4Binding.get()
      return
    case 'zstd':
      zstdBinding.get()
      return
  }
}

/**
 * Whether this process can compress and decompress `codec` (loading its binding now if it has not been loaded).
 * A batch in a codec that is not available fails with CompressionCodecUnavailableError.
 */
export function compressionAvailable(codec: CompressionCodec): boolean {
  switch (codec) {
    case 'none':
    case 'gzip':
      return true
    case 'snappy':
      return snappyBinding.available()
    case 'lz4':
      return lz4Binding.available()
    case 'zstd':
      return zstdBinding.available()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// snappy: the Java client writes xerial's framing (a magic header, then [int32 length][raw snappy block]...);
// librdkafka and KafkaJS write one raw snappy block. Both are read; xerial is written, as Java does.

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_LENGTH = 16
/** Java's SnappyOutputStream default block size; matching it keeps compressed sizes comparable. */
const XERIAL_BLOCK_SIZE = 32 * 1024

function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_LENGTH) return false
  for (let i = 0; i < 8; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

/** Snappy's raw format opens with the uncompressed length as a uint32 varint; read it to size-check first. */
function snappyDeclaredLength(data: Uint8Array, start: number, end: number, at: number): number {
  let result = 0
  for (let i = 0; i < 5; i++) {
    if (start + i >= end) throw new RecordsDecodeError('snappy block truncated in its length header', at)
    const b = data[start + i]
    result += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) return result
  }
  throw new RecordsDecodeError('snappy block length header is not a valid varint', at)
}

interface SnappyBlock {
  start: number
  end: number
  declared: number
}

function snappyBlocks(data: Uint8Array, limit: number, at: number): SnappyBlock[] {
  const blocks: SnappyBlock[] = []
  let total = 0
  if (!isXerial(data)) {
    const declared = snappyDeclaredLength(data, 0, data.length, at)
    if (declared > limit) throw tooLarge('snappy', declared, limit, at)
    blocks.push({ start: 0, end: data.length, declared })
    return blocks
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let pos = XERIAL_HEADER_LENGTH
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new RecordsDecodeError('xerial snappy block length truncated', at)
    const length = view.getInt32(pos)
    pos += 4
    if (length < 0 || pos + length > data.length) {
      throw new RecordsDecodeError(`xerial snappy block length ${length} exceeds the ${data.length - pos} bytes present`, at)
    }
    const declared = snappyDeclaredLength(data, pos, pos + length, at)
    total += declared
    if (total > limit) throw tooLarge('snappy', total, limit, at)
    blocks.push({ start: pos, end: pos + length, declared })
    pos += length
  }
  return blocks
}

function joinSnappyBlocks(blocks: SnappyBlock[], outputs: Buffer[], at: number): Buffer {
  if (outputs.length === 1) return checkedSnappyOutput(outputs[0], blocks[0], at)
  let total = 0
  for (const block of blocks) total += block.declared
  const result = Buffer.allocUnsafe(total)
  let pos = 0
  for (let i = 0; i < outputs.length; i++) {
    const out = checkedSnappyOutput(outputs[i], blocks[i], at)
    out.copy(result, pos)
    pos += out.length
  }
  return result
}

function checkedSnappyOutput(output: Buffer | string, block: SnappyBlock, at: number): Buffer {
  if (typeof output === 'string' || output.length !== block.declared) {
    throw new RecordsDecodeError('snappy block decompressed to a different length than it declares', at)
  }
  return output
}

function snappyCompressSync(data: Buffer): Buffer {
  const chunks: Buffer[] = [xerialHeader()]
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    chunks.push(...xerialBlock(snappyBinding.get().compressSync(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)))))
  }
  return Buffer.concat(chunks)
}

async function snappyCompressAsync(data: Buffer): Promise<Buffer> {
  const snappy = snappyBinding.get()
  const pending: Promise<Buffer>[] = []
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    pending.push(snappy.compress(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length))))
  }
  const blocks = await Promise.all(pending)
  return Buffer.concat([xerialHeader(), ...blocks.flatMap(xerialBlock)])
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_LENGTH)
  XERIAL_MAGIC.copy(header, 0)
  header.writeInt32BE(1, 8) // format version
  header.writeInt32BE(1, 12) // oldest reader version that understands it
  return header
}

function xerialBlock(block: Buffer): Buffer[] {
  const length = Buffer.allocUnsafe(4)
  length.writeInt32BE(block.length, 0)
  return [length, block]
}

function snappyDecompressSync(data: Uint8Array, limit: number, at: number): Buffer {
  const snappy = snappyBinding.get()
  const blocks = snappyBlocks(data, limit, at)
  const outputs = blocks.map((b) => snappy.uncompressSync(data.subarray(b.start, b.end), { asBuffer: true }) as Buffer)
  return joinSnappyBlocks(blocks, outputs, at)
}

async function snappyDecompressAsync(data: Uint8Array, limit: number, at: number): Promise<Buffer> {
  const snappy = snappyBinding.get()
  const blocks = snappyBlocks(data, limit, at)
  const outputs = await Promise.all(
    blocks.map((b) => snappy.uncompress(data.subarray(b.start, b.end), { asBuffer: true }) as Promise<Buffer>),
  )
  return joinSnappyBlocks(blocks, outputs, at)
}

// ---------------------------------------------------------------------------------------------------------------
// lz4: standard LZ4 frames (Kafka's KafkaLZ4BlockOutputStream writes independent blocks, no block checksums, no
// content size). Magic v0 message sets were written with a header checksum computed over the wrong bytes (the
// frame magic included); for those the checksum byte is recomputed before handing the frame to lz4-napi.

const LZ4_MAGIC = 0x184d2204
const LZ4_BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]
/** LZ4's worst-case expansion: each compressed byte can produce at most 255 output bytes (plus a small tail). */
const LZ4_MAX_RATIO = 255

function lz4FrameHeaderLength(data: Uint8Array, at: number): number {
  if (data.length < 7) throw new RecordsDecodeError('lz4 frame shorter than its header', at)
  if ((data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0 !== LZ4_MAGIC) {
    throw new RecordsDecodeError('lz4 frame has a bad magic number', at)
  }
  const flags = data[4]
  if (flags >> 6 !== 1) throw new RecordsDecodeError(`lz4 frame version ${flags >> 6} is not supported`, at)
  const length = 7 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0)
  if (data.length < length) throw new RecordsDecodeError('lz4 frame header truncated', at)
  return length
}

/** A data block of an lz4 frame: where its bytes start, how many, and whether they are stored uncompressed. */
interface Lz4Block {
  start: number
  length: number
  stored: boolean
}

/**
 * Walks the block headers (no decompression) to bound the output size before allocating it: the frame's blocks,
 * checked against its structure, and the frame's declared block size. Throws when the frame is malformed or could
 * decompress past `limit`.
 */
function lz4CheckedBlocks(data: Uint8Array, limit: number, at: number): { blocks: Lz4Block[]; blockMax: number } {
  const headerLength = lz4FrameHeaderLength(data, at)
  const flags = data[4]
  const blockMax = LZ4_BLOCK_MAX_SIZES[(data[5] >> 4) & 7]
  if (blockMax === 0) throw new RecordsDecodeError('lz4 frame declares an invalid block size', at)
  const blockChecksum = flags & 0x10 ? 4 : 0
  const blocks: Lz4Block[] = []
  let bound = 0
  let pos = headerLength
  for (;;) {
    if (pos + 4 > data.length) throw new RecordsDecodeError('lz4 frame truncated (no end mark)', at)
    const word = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0
    pos += 4
    if (word === 0) break
    const length = word & 0x7fffffff
    if (length > blockMax) throw new RecordsDecodeError(`lz4 block of ${length} bytes exceeds the frame's ${blockMax}`, at)
    const stored = word >>> 31 === 1
    bound += stored ? length : Math.min(blockMax, length * LZ4_MAX_RATIO)
    if (bound > limit) throw tooLarge('lz4', bound, limit, at)
    blocks.push({ start: pos, length, stored })
    pos += length + blockChecksum
    if (pos > data.length) throw new RecordsDecodeError('lz4 block truncated', at)
  }
  return { blocks, blockMax }
}

/**
 * Decompresses a frame of independent blocks block by block with lz4-napi's block decoder, or returns null for
 * frames it leaves to the frame decoder (linked blocks). lz4-napi's frame decoder sets up buffers for the frame's
 * declared block size whatever the data: lz4-napi and @platformatic/kafka write frames declaring 4 MiB blocks, and
 * decoding a 100 KB batch from one took ~1.5 ms, 4x the block decoder's time (docs/benchmarks.md).
 * The header checksum and the content and block checksums are not checked here: the batch CRC32C (or the legacy
 * message CRC) covers these bytes already; the walk checks the frame's structure and the size limit.
 */
function lz4DecompressBlocks(data: Uint8Array, limit: number, at: number): Buffer | null {
  lz4FrameHeaderLength(data, at)
  if ((data[4] & 0x20) === 0) return null // linked blocks: each block refers back into the previous one
  // Refuses what could exceed the limit before anything is decoded, as for the frame decoder.
  const { blocks, blockMax } = lz4CheckedBlocks(data, limit, at)
  const lz4 = lz4Binding.get()
  const outputs: Buffer[] = []
  let total = 0
  for (const { start, length, stored } of blocks) {
    let output: Buffer
    if (stored) {
      output = Buffer.from(data.buffer, data.byteOffset + start, length)
    } else {
      // lz4-napi's block input: the output size (little-endian u32), then the block. The decoder allocates that
      // size and trims to what it wrote, so a first guess of 8x the block (records compress 2-6x) spares a large
      // allocation; a block that decodes larger is refused and decoded again with the largest possible size.
      const input = Buffer.allocUnsafe(4 + length)
      input.set(data.subarray(start, start + length), 4)
      const largest = Math.min(blockMax, length * LZ4_MAX_RATIO)
      const guess = Math.min(largest, Math.max(64 * 1024, length * 8))
      input.writeUInt32LE(guess, 0)
      try {
        output = lz4.uncompressSync(input)
      } catch (error) {
        if (guess === largest) throw error
        input.writeUInt32LE(largest, 0)
        output = lz4.uncompressSync(input)
      }
    }
    total += output.length
    outputs.push(output)
  }
  return outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs, total)
}

function lz4Prepare(data: Uint8Array, limit: number, at: number, legacyHeaderChecksum: boolean): Buffer {
  lz4CheckedBlocks(data, limit, at)
  const frame = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (!legacyHeaderChecksum) return frame
  const headerLength = lz4FrameHeaderLength(data, at)
  const fixed = Buffer.from(frame)
  fixed[headerLength - 1] = (xxh32Short(fixed, 4, headerLength - 1) >>> 8) & 0xff
  return fixed
}

const PRIME32_1 = 2654435761
const PRIME32_2 = 2246822519
const PRIME32_3 = 3266489917
const PRIME32_4 = 668265263
const PRIME32_5 = 374761393

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** XXH32 with seed 0 for inputs under 16 bytes: all an LZ4 frame descriptor ever needs. */
export function xxh32Short(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start
  if (length >= 16) throw new RangeError('xxh32Short handles fewer than 16 bytes')
  let h = (PRIME32_5 + length) | 0
  let i = start
  for (; i + 4 <= end; i += 4) {
    const word = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
    h = (h + Math.imul(word, PRIME32_3)) | 0
    h = Math.imul(rotl32(h, 17), PRIME32_4)
  }
  for (; i < end; i++) {
    h = (h + Math.imul(bytes[i], PRIME32_5)) | 0
    h = Math.imul(rotl32(h, 11), PRIME32_1)
  }
  h ^= h >>> 15
  h = Math.imul(h, PRIME32_2)
  h ^= h >>> 13
  h = Math.imul(h, PRIME32_3)
  h ^= h >>> 16
  return h >>> 0
}

const LZ4_FRAME_OPTIONS = { contentChecksum: false, blockChecksums: false }

// ---------------------------------------------------------------------------------------------------------------

function tooLarge(codec: string, size: number, limit: number, at: number): RecordsDecodeError {
  return new RecordsDecodeError(`${codec} payload would decompress to at least ${size} bytes, over the ${limit}-byte limit (maxDecompressedBytes)`, at)
}

function wrapFailure(codec: string, error: unknown, at: number): KafkaError {
  if (error instanceof RecordsDecodeError || error instanceof CompressionCodecUnavailableError) return error
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new RecordsDecodeError(`${codec} payload exceeds the maxDecompressedBytes limit`, at, { cause: error })
  }
  return new RecordsDecodeError(`${codec} payload failed to decompress`, at, { cause: error })
}

export interface DecompressOptions {
  /** Refuse payloads that would expand beyond this many bytes. */
  maxDecompressedBytes: number
  /** Byte position of the batch, for error messages. */
  at: number
  /** Legacy magic v0 lz4 frames carry a miscomputed header checksum. */
  legacyLz4HeaderChecksum?: boolean
}

/** Compresses synchronously on the calling thread. `level` is ignored by codecs without levels (snappy, lz4). */
export function compressSync(codec: CompressionCodec, data: Buffer, level?: number): Buffer {
  switch (codec) {
    case 'none':
      return data
    case 'gzip':
      return zlib().gzipSync(data, level === undefined ? undefined : { level })
    case 'snappy':
      return snappyCompressSync(data)
    case 'lz4':
      return lz4Binding.get().compressFrameSync(data, LZ4_FRAME_OPTIONS)
    case 'zstd':
      return zstdBinding.get().compressSync(data, level)
  }
}

/**
 * Compresses on libuv's thread pool where the implementation can (gzip, snappy, lz4, and zstd from node:zlib).
 * zstd-napi has no asynchronous API, so zstd through it runs on the calling thread.
 */
export async function compressAsync(codec: CompressionCodec, data: Buffer, level?: number): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data
    case 'gzip':
      return (gzipAsync ??= promisify(zlib().gzip))(data, level === undefined ? {} : { level })
    case 'snappy':
      return snappyCompressAsync(data)
    case 'lz4':
      return lz4Binding.get().compressFrame(data, LZ4_FRAME_OPTIONS)
    case 'zstd':
      return zstdBinding.get().compressAsync(data, level)
  }
}

export function decompressSync(codec: CompressionCodec, data: Uint8Array, options: DecompressOptions): Buffer {
  const { maxDecompressedBytes: limit, at } = options
  try {
    switch (codec) {
      case 'none':
        return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      case 'gzip':
        return zlib().gunzipSync(data, { maxOutputLength: Math.max(1, limit) })
      case 'snappy':
        return snappyDecompressSync(data, limit, at)
      case 'lz4':
        return lz4DecompressBlocks(data, limit, at) ?? lz4Binding.get().decompressFrameSync(lz4Prepare(data, limit, at, options.legacyLz4HeaderChecksum === true))
      case 'zstd':
        return zstdBinding.get().decompressSync(data, limit, at)
    }
  } catch (error) {
    throw wrapFailure(codec, error, at)
  }
}

export async function decompressAsync(codec: CompressionCodec, data: Uint8Array, options: DecompressOptions): Promise<Buffer> {
  const { maxDecompressedBytes: limit, at } = options
  try {
    switch (codec) {
      case 'gzip':
        return await (gunzipAsync ??= promisify(zlib().gunzip))(data, { maxOutputLength: Math.max(1, limit), chunkSize: asyncOutputChunkBytes(data, limit, gzipStatedSize(data)) })
      case 'snappy':
        return await snappyDecompressAsync(data, limit, at)
      case 'lz4':
        return await lz4Binding.get().decompressFrame(lz4Prepare(data, limit, at, options.legacyLz4HeaderChecksum === true))
      case 'zstd':
        return await zstdBinding.get().decompressAsync(data, limit, at)
      default:
        return decompressSync(codec, data, options)
    }
  } catch (error) {
    throw wrapFailure(codec, error, at)
  }
}
