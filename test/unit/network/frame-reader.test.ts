import { ConnectionError } from '../../../src/errors.js'
import { FrameReader, READ_BYTES_PER_TURN } from '../../../src/network/frame-reader.js'
import { ReceivePool } from '../../../src/network/receive-pool.js'

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

/** Compares many or large frames quickly (toEqual walks a Buffer byte by byte). */
function expectFrames(actual: Buffer[], expected: Buffer[]): void {
  expect(actual.map((f) => f.length)).toEqual(expected.map((f) => f.length))
  expect(Buffer.concat(actual).equals(Buffer.concat(expected))).toBe(true)
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

  it('hands on frames as views of the memory the socket read into, without copying', () => {
    const delivered: Buffer[] = []
    const reader = new FrameReader(1 << 30, (f) => delivered.push(f), 'b')
    const bytes = Buffer.concat([frame(payload(64, 9)), frame(payload(10, 3))])
    const target = reader.readTarget()
    bytes.copy(target)
    reader.received(bytes.length)
    expect(delivered).toEqual([payload(64, 9), payload(10, 3)])
    expect(delivered[0]!.buffer).toBe(target.buffer)
    expect(delivered[0]!.byteOffset).toBe(target.byteOffset + 4)
  })

  /**
   * Feeds `bytes` the way a socket with `onread` does: each read fills at most `readSize` bytes of the target. The
   * bytes read between two pauses the reader asked for are added up in `turns`, one entry per turn.
   */
  function read(reader: FrameReader, bytes: Buffer, readSize: number, turns: number[] = [0]): Buffer[] {
    const targets: Buffer[] = []
    for (let at = 0; at < bytes.length; ) {
      const target = reader.readTarget()
      targets.push(target)
      const n = Math.min(target.length, readSize, bytes.length - at)
      bytes.copy(target, 0, at, at + n)
      at += n
      turns[turns.length - 1]! += n
      if (!reader.received(n)) turns.push(0)
    }
    return targets
  }

  it('reads a large frame straight into a buffer of its own, and keeps delivered frames intact', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(1 << 30, (f) => frames.push(f), 'b')
    const large = payload(3 * 1024 * 1024 + 5, 11)
    const smalls = Array.from({ length: 2000 }, (_, i) => payload(4 + ((i * 37) % 900), i))
    const bytes = Buffer.concat([...smalls.slice(0, 1000).map(frame), frame(large), ...smalls.slice(1000).map(frame)])
    const targets = read(reader, bytes, 100_000)
    expectFrames(frames, [...smalls.slice(0, 1000), large, ...smalls.slice(1000)])
    // The large frame arrived in reads into its own memory: the delivered frame is that memory, whole.
    const own = frames[1000]!
    expect(own.byteOffset).toBe(0)
    expect(own.buffer.byteLength).toBe(large.length)
    expect(targets.filter((t) => t.buffer === own.buffer).length).toBeGreaterThan(25)
    // Later reads went to fresh memory, never over what was handed out (checked again after all reads).
    expectFrames(frames.slice(0, 1000), smalls.slice(0, 1000))
  })

  it('asks the socket to pause after a megabyte, and offers no more than the turn has left to one read', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(1 << 30, (f) => frames.push(f), 'b')
    const large = payload(3 * 1024 * 1024 + 5, 4)
    const smalls = Array.from({ length: 400 }, (_, i) => payload(100 + i, i))
    const bytes = Buffer.concat([frame(large), ...smalls.map(frame)])
    // A socket reading as much as each target holds (the kernel had everything), pausing when told to.
    const turns: number[] = [0]
    const targets = read(reader, bytes, Infinity, turns)
    expect(Math.max(...targets.map((t) => t.length))).toBeLessThanOrEqual(READ_BYTES_PER_TURN)
    expectFrames(frames, [large, ...smalls])
    // A whole megabyte per turn until the stream runs out, the small frames after the large one included.
    expect(Math.max(...turns)).toBeLessThanOrEqual(READ_BYTES_PER_TURN)
    expect(turns.length).toBe(Math.ceil(bytes.length / READ_BYTES_PER_TURN))
  })

  it('moves a small frame that does not fit to a fresh receive buffer, and reads at least 8 KiB at a time', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(1 << 30, (f) => frames.push(f), 'b')
    const sizes = Array.from({ length: 500 }, (_, i) => 100 + ((i * 977) % 15_000))
    const payloads = sizes.map((n, i) => payload(n, i))
    const targets = read(reader, Buffer.concat(payloads.map(frame)), 4096 + 3)
    expectFrames(frames, payloads)
    expect(Math.min(...targets.map((t) => t.length))).toBeGreaterThan(0)
    // Most reads land in a receive buffer with at least 8 KiB free, except for the end of a frame that fits.
    expect(targets.filter((t) => t.length < 8 * 1024).length).toBeLessThan(targets.length / 4)
  })

  it('gives a stopped reader somewhere harmless to read into, and ignores what arrives', () => {
    const frames: Buffer[] = []
    const reader = new FrameReader(1024, (f) => frames.push(f), 'b')
    reader.stop()
    const target = reader.readTarget()
    expect(target.length).toBeGreaterThan(0)
    frame(payload(2, 1)).copy(target, 0, 0, target.length)
    reader.received(target.length)
    expect(frames).toEqual([])
  })

  it('assembles a large frame chunk by chunk, with the next frame in the same chunk as its end', () => {
    const large = payload(1024 * 1024 + 3, 5)
    const bytes = Buffer.concat([frame(large), frame(small[0]!)])
    // The first chunk holds less than the large frame, so it moves to a buffer of its own that the later ones fill.
    expectFrames(feed(bytes, [1000, 64 * 1024, 500 * 1024, 600 * 1024]), [large, small[0]!])
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

  describe('FrameReader with a ReceivePool', () => {
    it('reads a large frame into memory a delivered frame was given back from, and leaves frames still out alone', () => {
      const pool = new ReceivePool()
      const frames: Buffer[] = []
      const reader = new FrameReader(1 << 30, (f) => frames.push(f), 'b', pool)
      const large = [payload(300_000, 1), payload(250_000, 2), payload(280_000, 3)]
      read(reader, frame(large[0]!), 65_536)
      read(reader, frame(large[1]!), 65_536)
      expect(frames[0]!.equals(large[0]!)).toBe(true)
      expect(frames[1]!.buffer).not.toBe(frames[0]!.buffer)
      pool.give(frames[0]!)
      read(reader, frame(large[2]!), 65_536)
      expect(frames[2]!.buffer).toBe(frames[0]!.buffer)
      expect(frames[2]!.equals(large[2]!)).toBe(true)
      // The frame not given back was not written over.
      expect(frames[1]!.equals(large[1]!)).toBe(true)
    })

    it('never pools small frames, which are views of the shared receive buffer', () => {
      const pool = new ReceivePool()
      const frames: Buffer[] = []
      const reader = new FrameReader(1 << 30, (f) => frames.push(f), 'b', pool)
      read(reader, Buffer.concat([frame(payload(100, 1)), frame(payload(200, 2))]), 65_536)
      pool.give(frames[0]!)
      expect(pool.take(20_000).buffer).not.toBe(frames[0]!.buffer)
    })
  })
})
