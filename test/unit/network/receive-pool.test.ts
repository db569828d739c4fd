import { MAX_FREE_BYTES, ReceivePool } from '../../../src/network/receive-pool.js'

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

  it('keeps free memory up to MAX_FREE_BYTES, dropping the smallest past it', () => {
    const pool = new ReceivePool()
    // A burst of responses given back together (a consumer reading behind its fetches): all of them are kept.
    const burst = Array.from({ length: 16 }, () => pool.take(1_500_000))
    for (const t of burst) pool.give(t)
    const again = burst.map(() => pool.take(1_500_000))
    expect(again.every((t) => burst.some((old) => old.buffer === t.buffer))).toBe(true)
  })

  it('drops the smallest free memory past the cap, and never keeps a frame larger than the cap', () => {
    const pool = new ReceivePool()
    const huge = pool.take(MAX_FREE_BYTES + 1)
    pool.give(huge)
    expect(pool.take(MAX_FREE_BYTES).buffer === huge.buffer).toBe(false)
    const big = pool.take(MAX_FREE_BYTES - 100_000)
    const small = pool.take(1_000_000)
    pool.give(small)
    pool.give(big)
    expect(pool.take(MAX_FREE_BYTES - 100_000).buffer === big.buffer).toBe(true)
    expect(pool.take(1_000_000).buffer === small.buffer).toBe(false)
  })
})
