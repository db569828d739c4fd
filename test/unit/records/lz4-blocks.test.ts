// lz4 frames decoded block by block (compression.ts lz4DecompressBlocks): stored and compressed blocks mixed, blocks
// that expand more than the first size guess, linked blocks left to the frame decoder, and the size limit.
import { createRequire } from 'node:module'
import { decompressSync, xxh32Short } from '../../../src/records/compression.js'
import { RecordsDecodeError } from '../../../src/errors.js'

const lz4 = createRequire(__filename)('lz4-napi') as typeof import('lz4-napi')
const limit = { maxDecompressedBytes: 64 * 1024 * 1024, at: 0 }

/** An lz4 frame of `blocks` (each [bytes, stored]) with the given FLG byte and 64 KiB blocks. */
function frame(flags: number, blocks: Array<[Buffer, boolean]>): Buffer {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flags, 0x40, 0])
  header[6] = (xxh32Short(header, 4, 6) >>> 8) & 0xff
  const parts: Buffer[] = [header]
  for (const [bytes, stored] of blocks) {
    const length = Buffer.alloc(4)
    length.writeUInt32LE((bytes.length | (stored ? 0x80000000 : 0)) >>> 0, 0)
    parts.push(length, bytes)
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts)
}

/** The first block of a frame lz4-napi wrote (compressed), for frames of our own. */
function compressedBlock(data: Buffer): Buffer {
  const whole = lz4.compressFrameSync(data, { contentChecksum: false, blockChecksums: false })
  const length = whole.readUInt32LE(7)
  expect(length >>> 31).toBe(0)
  return whole.subarray(11, 11 + length)
}

describe('lz4 frames, block by block', () => {
  const text = Buffer.from('{"id":1,"user":"u7919","currency":"EUR","note":"'.padEnd(99, 'x') + '}')

  it('joins compressed and stored blocks', () => {
    const first = Buffer.concat(Array.from({ length: 300 }, () => text))
    const second = Buffer.from('stored as it is')
    const out = decompressSync('lz4', frame(0x60, [[compressedBlock(first), false], [second, true]]), limit)
    expect(out.equals(Buffer.concat([first, second]))).toBe(true)
  })

  it('decodes a block that expands past the first guess (8x, at least 64 KiB)', () => {
    const zeros = Buffer.alloc(1024 * 1024)
    const whole = lz4.compressFrameSync(zeros, { contentChecksum: false, blockChecksums: false })
    expect(whole.readUInt32LE(7) * 8).toBeLessThan(zeros.length) // the guess is too small for this one
    expect(decompressSync('lz4', whole, limit).equals(zeros)).toBe(true)
  })

  it('frames lz4-napi writes (4 MiB blocks, one per batch) round-trip', () => {
    const data = Buffer.concat(Array.from({ length: 5000 }, (_, i) => Buffer.from(`${i}:${text.toString()}`)))
    expect(decompressSync('lz4', lz4.compressFrameSync(data, { contentChecksum: false, blockChecksums: false }), limit).equals(data)).toBe(true)
    expect(decompressSync('lz4', lz4.compressFrameSync(data, { contentChecksum: true, blockChecksums: true }), limit).equals(data)).toBe(true)
  })

  it('leaves frames of linked blocks to the frame decoder', () => {
    const data = Buffer.concat(Array.from({ length: 10 }, () => text))
    // FLG 0x40: version 1, blocks not independent. One block refers to nothing before it, so it decodes either way.
    expect(decompressSync('lz4', frame(0x40, [[compressedBlock(data), false]]), limit).equals(data)).toBe(true)
  })

  it('refuses a frame that could expand past maxDecompressedBytes, and truncated frames', () => {
    const zeros = lz4.compressFrameSync(Buffer.alloc(1024 * 1024), { contentChecksum: false, blockChecksums: false })
    expect(() => decompressSync('lz4', zeros, { maxDecompressedBytes: 100_000, at: 0 })).toThrow(/limit/)
    expect(() => decompressSync('lz4', zeros.subarray(0, zeros.length - 6), limit)).toThrow(RecordsDecodeError)
  })
})
