import { murmur2, partitionForKey, toPositive, StickyPartitionCache } from '../../../src/producer/partitioner.js'

describe('murmur2', () => {
  // Values the Java client's Utils.murmur2 returns for these inputs.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%s) = %d', (input, expected) => {
    expect(murmur2(Buffer.from(input))).toBe(expected)
  })

  it('toPositive clears the sign bit like Java (not Math.abs)', () => {
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-1)).toBe(2147483647)
    expect(partitionForKey(Buffer.from('foobar'), 7)).toBe((-790332482 & 0x7fffffff) % 7)
  })
})

describe('StickyPartitionCache (KIP-794)', () => {
  const all = [0, 1, 2, 3, 4, 5]
  /** A random source that walks the given partitions in order (as fractions of 6). */
  const sequence = (...picks: number[]): (() => number) => {
    let i = 0
    return () => (picks[i++ % picks.length]! + 0.5) / 6
  }

  it('stays on a partition until batchSize bytes went there and its batches are full', () => {
    const cache = new StickyPartitionCache(sequence(2, 4))
    expect(cache.partition('t', 6, all)).toBe(2)
    cache.onAppended('t', 2, 16_000, 16_384, true, 6, all)
    expect(cache.partition('t', 6, all)).toBe(2) // below batchSize
    cache.onAppended('t', 2, 1_000, 16_384, false, 6, all)
    expect(cache.partition('t', 6, all)).toBe(2) // past batchSize, but the batch is not full yet
    cache.onAppended('t', 2, 100, 16_384, true, 6, all)
    expect(cache.partition('t', 6, all)).toBe(4)
  })

  it('moves on after 2 x batchSize bytes even when every batch left by linger (records sent one at a time)', () => {
    const cache = new StickyPartitionCache(sequence(1, 3))
    expect(cache.partition('t', 6, all)).toBe(1)
    for (let i = 0; i < 31; i++) cache.onAppended('t', 1, 1_050, 16_384, false, 6, all)
    expect(cache.partition('t', 6, all)).toBe(1) // 32 550 bytes < 32 768
    cache.onAppended('t', 1, 1_050, 16_384, false, 6, all)
    expect(cache.partition('t', 6, all)).toBe(3)
  })

  it('before appending to a partition with no open batch, moves on once batchSize bytes went there', () => {
    const cache = new StickyPartitionCache(sequence(0, 5))
    expect(cache.partition('t', 6, all)).toBe(0)
    cache.onAppended('t', 0, 16_000, 16_384, false, 6, all)
    expect(cache.beforeAppend('t', 16_384, 6, all)).toBe(0)
    cache.onAppended('t', 0, 1_000, 16_384, false, 6, all)
    expect(cache.beforeAppend('t', 16_384, 6, all)).toBe(5)
    expect(cache.partition('t', 6, all)).toBe(5)
  })

  it('counts only the sticky partition, and draws from partitions that have a leader', () => {
    const cache = new StickyPartitionCache(sequence(0, 4)) // as fractions: 1st of 2, then 2nd of 2
    expect(cache.partition('t', 6, [3, 5])).toBe(3)
    cache.onAppended('t', 4, 100_000, 16_384, true, 6, [3, 5]) // a keyed record elsewhere
    expect(cache.partition('t', 6, [3, 5])).toBe(3)
    cache.onAppended('t', 3, 40_000, 16_384, false, 6, [3, 5])
    expect(cache.partition('t', 6, [3, 5])).toBe(5)
  })
  it('lists the available partitions only when it draws one (10 000 partitions, 100 000 records)', () => {
    // The accumulator passes a function: listing 10 000 partitions for every record made unkeyed sends O(partitions).
    const cache = new StickyPartitionCache(() => 0.5)
    let listings = 0
    const available = (): number[] => {
      listings++
      return Array.from({ length: 10_000 }, (_, p) => p)
    }
    let draws = 0
    let current = -1
    for (let i = 0; i < 100_000; i++) {
      const partition = cache.partition('t', 10_000, available)
      if (partition !== current) draws++
      current = partition
      cache.onAppended('t', partition, 110, 16_384, true, 10_000, available)
    }
    expect(current).toBe(5000)
    // One listing per draw (a draw may pick the same partition again): ~ records × 110 B / 16 KiB, not 100 000.
    expect(listings).toBeLessThan(1000)
    expect(listings).toBeGreaterThanOrEqual(draws)
  })
})

describe('StickyPartitionCache adaptive load (KIP-794 partitioner.adaptive.partitioning.enable)', () => {
  /** Draws the next partition `n` times with evenly spread random points, counting where each lands. */
  function histogram(cache: StickyPartitionCache, n: number, partitionCount: number): number[] {
    const counts = new Array<number>(partitionCount).fill(0)
    for (let i = 0; i < n; i++) {
      // 2 x batchSize bytes move the sticky partition on whatever the batches.
      const p = cache.partition('t', partitionCount, [0, 1, 2])
      counts[p]!++
      cache.onAppended('t', p, 200, 100, false, partitionCount, [0, 1, 2])
    }
    return counts
  }

  it('weights each partition by how much shorter its queue is than the longest (longest + 1 - own)', () => {
    let i = 0
    const points = 600
    const cache = new StickyPartitionCache(() => (i++ % points) / points)
    // Queues 0, 2, 5 batches: weights 6, 4, 1 out of 11.
    cache.updateLoad('t', [0, 2, 5], [0, 1, 2], 3)
    const counts = histogram(cache, 1200, 3)
    expect(counts.map((c) => Math.round((c / 1200) * 11))).toEqual([6, 4, 1])
  })

  it('stays uniform while every queue is equal or fewer than two partitions are known', () => {
    let i = 0
    const cache = new StickyPartitionCache(() => (i++ % 300) / 300)
    cache.updateLoad('t', [3, 3, 3], [0, 1, 2], 3)
    expect(histogram(cache, 900, 3)).toEqual([300, 300, 300])
    cache.updateLoad('t', [7], [2], 1)
    expect(histogram(cache, 900, 3)).toEqual([300, 300, 300])
  })

  it('never draws a partition left out of the figures (its broker unavailable), even with equal queues', () => {
    const cache = new StickyPartitionCache(Math.random)
    cache.updateLoad('t', [0, 0], [0, 2], 3)
    const counts = histogram(cache, 500, 3)
    expect(counts[1]).toBe(0)
    expect(counts[0]! + counts[2]!).toBe(500)
  })
})
