import type * as NodeRsCrc32 from '@node-rs/crc32'

/**
 * CRC32C (Castagnoli) as Kafka's RecordBatch v2 uses it, and plain CRC32 (IEEE) for legacy message sets.
 *
 * Below NATIVE_THRESHOLD bytes a JavaScript slicing-by-8 table wins because crossing into native code costs more
 * than the hashing itself; above it the hardware CRC32C instruction behind @node-rs/crc32 is 3-4x faster than any
 * table in JS (measurements in docs/records.md). The binding loads the first time a checksum needs it; where it
 * cannot load (a platform without its prebuilt binary), the tables do all the work.
 */
const NATIVE_THRESHOLD = 256

const CASTAGNOLI_REVERSED = 0x82f63b78
const IEEE_REVERSED = 0xedb88320
const TABLE = buildSlicingTable(CASTAGNOLI_REVERSED)
let ieeeTable: Int32Array | undefined

/** undefined: not loaded yet; null: cannot be loaded here. */
let nativeBinding: typeof NodeRsCrc32 | null | undefined

/**
 * Loads the binding now. Loading takes 4-18 ms of one event-loop turn; clients call this when they are created, so
 * that the first batch they seal or check does not hold the loop that long in the middle of their traffic.
 */
export function preloadCrc32c(): void {
  native()
}

function native(): typeof NodeRsCrc32 | null {
  if (nativeBinding === undefined) {
    try {
      nativeBinding = require('@node-rs/crc32') as typeof NodeRsCrc32
    } catch {
      nativeBinding = null
    }
  }
  return nativeBinding
}

function buildSlicingTable(polynomial: number): Int32Array {
  const table = new Int32Array(256 * 8)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1
    table[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff] ^ (c >>> 8)
      table[k * 256 + n] = c
    }
  }
  return table
}

/** CRC32C in JavaScript (slicing-by-8); exported for tests and the benchmark. */
export function crc32cTable(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLE
  let c = ~0
  let i = start
  const blockEnd = end - ((end - start) & 7)
  for (; i < blockEnd; i += 8) {
    const a = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ c
    c =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]]
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

/** CRC32C of bytes[start, end), unsigned. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (end - start < NATIVE_THRESHOLD) return crc32cTable(bytes, start, end)
  const binding = native()
  if (binding === null) return crc32cTable(bytes, start, end)
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)
  return binding.crc32c(view) >>> 0
}

/** CRC32 (IEEE, as java.util.zip.CRC32) of bytes[start, end), unsigned: the legacy message set checksum. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const binding = native()
  if (binding === null) return crc32Table(bytes, start, end)
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)
  return binding.crc32(view) >>> 0
}

/** CRC32 (IEEE) in JavaScript, byte at a time: legacy message sets only, where the binding cannot load. */
export function crc32Table(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (ieeeTable ??= buildSlicingTable(IEEE_REVERSED))
  let c = ~0
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}
