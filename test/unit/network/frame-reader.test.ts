import { ConnectionError } from '../../../src/errors.js'
import { FrameReader } from '../../../src/network/frame-reader.js'

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length)
  out.writeInt32BE(payload.length, 0)
  payload.copy(out, 4)
  return out
}

function payload(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = (seed + i * 7) & 0xff
  return out
}

/** Feeds `bytes` to a new reader in chunks of the given sizes (the rest in one last chunk). */
function feed(bytes: Buffer, sizes: number[], maxFrameBytes = 1 << 30): Buffer[] {
  const frames: Buffer[] = []
  const reader = new FrameReader(maxFrameBytes, (f) => frames.push(Buffer.from(f)), 'broker:9092')
  let at = 0
  for (const size of sizes) {
    reader.push(bytes.subarray(at, at + size))
    at += size
  }
  if (at < bytes.length) reader.push(bytes.subarray(at))
  return frames
}

describe('FrameReader', () => {
  const small = [payload(10, 1), payload(4, 2), payload(300, 3)]
  const stream = Buffer.concat(small.map(frame))

  it('delivers several frames from one chunk, in order', () => {
    expect(feed(stream, [])).toEqual(small)
  })

  it('assembles frames split at every byte, size prefixes included', () => {
    expect(feed(stream, new Array<number>(stream.length).fill(1))).toEqual(small)
  })

  it('hands on a frame that sits in one chunk as a view of it, without copying', () => {
    const bytes = frame(payload(64, 9))
    let delivered: Buffer | null = null
    new FrameReader(1024, (f) => (delivered = f), 'b').push(bytes)
    expect(delivered!.buffer).toBe(bytes.buffer)
    expect(delivered!.byteOffset).toBe(bytes.byteOffset + 4)
  })

  it('assembles a large frame chunk by chunk, with the next frame in the same chunk as its end', () => {
    const large = payload(1024 * 1024 + 3, 5)
    const bytes = Buffer.concat([frame(large), frame(small[0]!)])
    // The first chunk holds less than the large frame, so it is assembled incrementally from the second on.
    expect(feed(bytes, [1000, 64 * 1024, 500 * 1024, 600 * 1024])).toEqual([large, small[0]])
  })

  it('refuses a size prefix beyond the limit or too small for a correlation id, and then stops', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(100, (f) => frames.push(f), 'broker:9092')
    expect(() => reader.push(frame(payload(101, 0)))).toThrow(ConnectionError)
    reader.push(frame(payload(8, 0)))
    expect(frames).toEqual([])

    const negative = Buffer.alloc(8)
    negative.writeInt32BE(-1, 0)
    expect(() => new FrameReader(100, () => {}, 'b').push(negative)).toThrow(/frame of -1 bytes \(limit 100\)/)
    expect(() => new FrameReader(100, () => {}, 'b').push(Buffer.from([0, 0, 0, 3, 1, 2, 3]))).toThrow(/frame of 3 bytes/)
  })

  it('delivers nothing more once stopped from inside a delivery', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(1024, (f) => {
      frames.push(f)
      reader.stop()
    }, 'b')
    reader.push(stream)
    expect(frames).toHaveLength(1)
    reader.push(stream)
    expect(frames).toHaveLength(1)
  })
})
