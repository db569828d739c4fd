import { FrameReader } from '../../../src/network/frame-reader.js'
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

/** Feeds `bytes` the way a socket with `onread` does, at most `readSize` bytes per read. */
function read(reader: FrameReader, bytes: Buffer, readSize: number): void {
  for (let at = 0; at < bytes.length; ) {
    const target = reader.readTarget()
    const n = Math.min(target.length, readSize, bytes.length - at)
    bytes.copy(target, 0, at, at + n)
    at += n
    reader.received(n)
  }
}

describe('ReceivePool', () => {
  it('hands given-back memory to the next frame that fits, and new memory while none is given back', () => {
    const pool = new ReceivePool()
    const first = pool.take(100_000)
    const second = pool.take(100_000)
    expect(first.length).toBe(100_000)
    expect(second.buffer).not.toBe(first.buffer)
    pool.give(first)
    const third = pool.take(90_000)
    expect(third.buffer).toBe(first.buffer)
    expect(third.length).toBe(90_000)
    // Too large for anything given back: new memory.
    pool.give(third)
    expect(pool.take(600_000).buffer).not.toBe(first.buffer)
  })

  it('ignores memory it did not hand out, and a frame given back twice', () => {
    const pool = new ReceivePool()
    const foreign = Buffer.alloc(200_000)
    pool.give(foreign)
    expect(pool.take(100_000).buffer).not.toBe(foreign.buffer)
    const taken = pool.take(100_000)
    pool.give(taken)
    pool.give(taken)
    const a = pool.take(100_000)
    const b = pool.take(100_000)
    // One given back: only one of the two next frames may read into it, or two frames would share memory.
    expect(a.buffer).toBe(taken.buffer)
    expect(b.buffer).not.toBe(taken.buffer)
  })

  it('keeps at most four free buffers, the largest', () => {
    const pool = new ReceivePool()
    const sizes = [100_000, 300_000, 700_000, 1_500_000, 3_000_000]
    const taken = sizes.map((size) => pool.take(size))
    for (const t of taken) pool.give(t)
    const again = sizes.map((size) => pool.take(size))
    // The smallest was dropped; the 100 kB frame takes the next smallest kept, and one frame gets new memory.
    const reused = again.filter((t) => taken.some((old) => old.buffer === t.buffer))
    expect(reused).toHaveLength(4)
    expect(again[0]!.buffer).toBe(taken[1]!.buffer)
  })
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
