import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor, type AssignorMember } from '../../../src/consumer/assignors.js'
import type { TopicPartition } from '../../../src/consumer/types.js'

function member(memberId: string, topics: string[], owned: TopicPartition[] = [], generation = -1, groupInstanceId: string | null = null): AssignorMember {
  return { memberId, groupInstanceId, topics, ownedPartitions: owned, generation }
}
const names = (list: TopicPartition[] | undefined): string[] => (list ?? []).map((tp) => `${tp.topic}-${tp.partition}`)

describe('range assignor', () => {
  it('gives each member a contiguous range per topic, the first ones one extra (Java placement)', () => {
    const result = rangeAssignor.assign([member('b', ['t', 'u']), member('a', ['t', 'u']), member('c', ['t'])], new Map([['t', 7], ['u', 2]]))
    expect(names(result.get('a'))).toEqual(['t-0', 't-1', 't-2', 'u-0'])
    expect(names(result.get('b'))).toEqual(['t-3', 't-4', 'u-1'])
    expect(names(result.get('c'))).toEqual(['t-5', 't-6'])
  })

  it('orders static members by instance id', () => {
    const result = rangeAssignor.assign([member('m1', ['t'], [], -1, 'z'), member('m2', ['t'], [], -1, 'a')], new Map([['t', 2]]))
    expect(names(result.get('m2'))).toEqual(['t-0'])
    expect(names(result.get('m1'))).toEqual(['t-1'])
  })
})

describe('roundrobin assignor', () => {
  it('deals partitions of all topics in turn, skipping members not subscribed', () => {
    const result = roundRobinAssignor.assign([member('a', ['t']), member('b', ['t', 'u'])], new Map([['t', 3], ['u', 2]]))
    expect(names(result.get('a'))).toEqual(['t-0', 't-2'])
    expect(names(result.get('b'))).toEqual(['t-1', 'u-0', 'u-1'])
  })
})

describe('cooperative-sticky assignor', () => {
  const counts = new Map([['t', 12]])
  const all = Array.from({ length: 12 }, (_, partition) => ({ topic: 't', partition }))

  it('balances a fresh group', () => {
    const result = cooperativeStickyAssignor.assign([member('a', ['t']), member('b', ['t']), member('c', ['t'])], counts)
    expect([...result.values()].map((l) => l.length)).toEqual([4, 4, 4])
    expect(new Set([...result.values()].flat().map((tp) => tp.partition)).size).toBe(12)
  })

  it('keeps owned partitions and withholds the ones that must move until their owner revoked them', () => {
    // a owns everything; b joins. a keeps 6, the other 6 are withheld this round (a revokes them first).
    const first = cooperativeStickyAssignor.assign([member('a', ['t'], all, 1), member('b', ['t'], [], -1)], counts)
    expect(first.get('a')!.length).toBe(6)
    expect(first.get('b')!.length).toBe(0)
    const kept = first.get('a')!
    // Follow-up rebalance: a reports only what it kept; b now gets the rest and a keeps exactly what it had.
    const second = cooperativeStickyAssignor.assign([member('a', ['t'], kept, 2), member('b', ['t'], [], -1)], counts)
    expect(names(second.get('a'))).toEqual(names(kept))
    expect(second.get('b')!.length).toBe(6)
  })

  it('moves nothing that does not need to move when a member leaves', () => {
    const owned = { a: all.slice(0, 4), b: all.slice(4, 8), c: all.slice(8) }
    const result = cooperativeStickyAssignor.assign([member('a', ['t'], owned.a, 3), member('b', ['t'], owned.b, 3)], counts)
    expect(names(result.get('a')).slice(0, 4)).toEqual(names(owned.a))
    expect(names(result.get('b')).slice(0, 4)).toEqual(names(owned.b))
    expect(result.get('a')!.length + result.get('b')!.length).toBe(12)
  })

  it('resolves a partition claimed by two members in favour of the newer generation', () => {
    const result = cooperativeStickyAssignor.assign([member('a', ['t'], [{ topic: 't', partition: 0 }], 1), member('b', ['t'], [{ topic: 't', partition: 0 }], 2)], new Map([['t', 2]]))
    expect(names(result.get('b'))).toContain('t-0')
    expect(names(result.get('a'))).not.toContain('t-0')
  })
})
