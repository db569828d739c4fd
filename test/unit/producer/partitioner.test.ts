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

describe('StickyPartitionCache', () => {
  it('sticks to one partition until its batch completes, then moves to another', () => {
    const cache = new StickyPartitionCache()
    const first = cache.partition('t', 6, [0, 1, 2, 3, 4, 5])
    for (let i = 0; i < 100; i++) expect(cache.partition('t', 6, [0, 1, 2, 3, 4, 5])).toBe(first)
    cache.onNewBatch('t', 6, [0, 1, 2, 3, 4, 5], first)
    expect(cache.partition('t', 6, [0, 1, 2, 3, 4, 5])).not.toBe(first)
  })
})
