import { ReceivePool } from '../../../src/network/receive-pool.js'

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
