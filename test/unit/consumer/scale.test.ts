// Scale (issue #18, goal 5): the consumer's per-partition structures at 10 000 partitions. No timing asserts: the
// tests count the work done (walks of the assignment, look-ups) or check behaviour at a size where a quadratic path
// would take minutes.
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor, type AssignorMember } from '../../../src/consumer/assignors.js'
import { FetchSession, type FetchPartition } from '../../../src/consumer/fetch-session.js'
import { Fetcher, type FetcherCluster, type FetcherHost } from '../../../src/consumer/fetcher.js'
import { PartitionState } from '../../../src/consumer/partition-state.js'
import { ManualClock } from '../../../src/network/clock.js'
import { silentLogger } from '../../../src/network/instrumentation.js'

const PARTITIONS = 10_000

function states(topics: number, perTopic: number): PartitionState[] {
  const out: PartitionState[] = []
  for (let t = 0; t < topics; t++) {
    for (let p = 0; p < perTopic; p++) {
      const state = new PartitionState(`topic-${t}`, p)
      state.setPosition(0n)
      out.push(state)
    }
  }
  return out
}

const describe0 = (state: PartitionState): FetchPartition => ({
  partition: state.partition,
  currentLeaderEpoch: -1,
  fetchOffset: state.fetchPosition!,
  lastFetchedEpoch: -1,
  logStartOffset: -1n,
  partitionMaxBytes: 1 << 20,
})

describe('fetcher at 10 000 partitions', () => {
  /** A fetcher on one broker whose Fetch never answers (held in flight), counting walks of the assignment. */
  function heldFetcher(assigned: PartitionState[], buffered = { bytes: 0 }) {
    const clock = new ManualClock()
    let walks = 0
    let connections = 0
    const topicInfo = new Map<string, { name: string; topicId: string; isInternal: boolean; partitions: Array<{ partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; offlineReplicas: number[]; errorCode: number }> }>()
    for (const state of assigned) {
      let info = topicInfo.get(state.topic)
      if (!info) topicInfo.set(state.topic, (info = { name: state.topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [] }))
      info.partitions[state.partition] = { partition: state.partition, leader: 1, leaderEpoch: -1, replicas: [1], isr: [1], offlineReplicas: [], errorCode: 0 }
    }
    const cluster = {
      clock,
      connectionToNode: () => {
        connections++
        return new Promise(() => undefined) // in flight for good
      },
      topic: (name: string) => topicInfo.get(name),
      broker: (nodeId: number) => (nodeId === 1 ? { nodeId: 1, host: 'h', port: 1, rack: null } : undefined),
      refreshMetadata: async () => undefined,
      metadataMaxAgeMs: 300_000,
      retryOptions: { retries: 5, retryBackoffMs: 100, retryBackoffMaxMs: 1000 },
    } as unknown as FetcherCluster
    const host: FetcherHost = {
      partitions: () => {
        walks++
        return assigned
      },
      deliver: () => undefined,
      resetOffset: () => undefined,
      truncated: () => undefined,
      fatal: (error) => {
        throw error
      },
      bufferedBytes: () => buffered.bytes,
    }
    const fetcher = new Fetcher(
      cluster,
      { fetchMinBytes: 1, fetchMaxBytes: 50 << 20, fetchMaxWaitMs: 500, maxPartitionFetchBytes: 1 << 20, isolationLevel: 0, clientRack: null, checkCrcs: true, purpose: 'fetch:0', clientId: 'c', groupId: null, stallTimeoutMs: 60_000 },
      host,
      silentLogger,
    )
    return { fetcher, counts: () => ({ walks, connections }) }
  }

  it('a chunk released while its broker has a fetch in flight walks no partitions', () => {
    const assigned = states(1, PARTITIONS)
    const { fetcher, counts } = heldFetcher(assigned)
    fetcher.start()
    expect(counts()).toEqual({ walks: 1, connections: 1 })
    // The application drains one chunk of every partition: before, each release walked all 10 000 (10^8 steps).
    for (const state of assigned) {
      state.bufferedChunks = 0
      fetcher.released(state)
    }
    expect(counts()).toEqual({ walks: 1, connections: 1 })
  })

  it('a release still schedules when it frees a full buffer', () => {
    const assigned = states(1, 100)
    const buffered = { bytes: 100 << 20 }
    const { fetcher, counts } = heldFetcher(assigned, buffered)
    fetcher.start()
    expect(counts()).toEqual({ walks: 0, connections: 0 }) // buffer full: nothing fetched
    buffered.bytes = 0
    fetcher.released(assigned[0]!)
    expect(counts()).toEqual({ walks: 1, connections: 1 })
  })

  it('a release of a partition still holding two chunks, or not fetchable, starts nothing', () => {
    const assigned = states(1, 10)
    for (const state of assigned) state.bufferedChunks = 2
    const { fetcher, counts } = heldFetcher(assigned)
    fetcher.start()
    expect(counts()).toEqual({ walks: 1, connections: 0 }) // every partition has two chunks waiting
    fetcher.released(assigned[0]!) // still 2
    assigned[1]!.paused = true
    assigned[1]!.bufferedChunks = 1
    fetcher.released(assigned[1]!)
    expect(counts()).toEqual({ walks: 1, connections: 0 })
    assigned[2]!.bufferedChunks = 1
    fetcher.released(assigned[2]!) // fetchable now, and no fetch in flight
    expect(counts()).toEqual({ walks: 2, connections: 1 })
  })
})

describe('fetch session at 10 000 partitions over 1 000 topics', () => {
  it('keeps topic ids for the topics it holds and finds each by id', () => {
    const all = states(1000, 10)
    const session = new FetchSession()
    const ids = new Map<string, string>()
    const idOf = (name: string): string => `id-${name}`
    const first = session.build(all, describe0)
    expect(first.incremental).toBe(false)
    expect(first.nextTopics.size).toBe(1000)
    for (const name of first.topics.keys()) ids.set(name, session.topicId(name, () => idOf(name)))
    session.accepted(7, first)
    for (const [name, id] of ids) expect(session.topicName(id, () => undefined)).toBe(name)

    // Half the topics leave the session: they are forgotten, and so are their ids.
    const kept = all.filter((s) => Number(s.topic.slice(6)) % 2 === 0)
    const second = session.build(kept, describe0)
    expect(second.incremental).toBe(true)
    expect(second.topics.size).toBe(0) // nothing moved
    expect([...second.forgotten.values()].reduce((n, l) => n + l.length, 0)).toBe(5000)
    session.accepted(7, second)
    expect(session.topicName('id-topic-0', () => 'looked up')).toBe('topic-0')
    expect(session.topicName('id-topic-1', () => 'looked up')).toBe('looked up')
  })

  it('an id two names shared passes to the remaining one when the first leaves', () => {
    const session = new FetchSession()
    const [a, b] = [new PartitionState('a', 0), new PartitionState('b', 0)]
    a.setPosition(0n)
    b.setPosition(0n)
    const both = session.build([a, b], describe0)
    session.topicId('a', () => 'ZERO')
    session.topicId('b', () => 'ZERO')
    session.accepted(1, both)
    expect(session.topicName('ZERO', () => undefined)).toBe('a')
    session.accepted(1, session.build([b], describe0))
    expect(session.topicName('ZERO', () => undefined)).toBe('b')
  })
})

describe('assignors at 10 000 partitions over 1 000 topics', () => {
  const topics = Array.from({ length: 1000 }, (_, t) => `topic-${t}`)
  const counts = new Map(topics.map((t) => [t, 10]))
  const members = (): AssignorMember[] =>
    ['c', 'a', 'b'].map((memberId) => ({ memberId, groupInstanceId: null, topics: [...topics], ownedPartitions: [], generation: -1 }))

  for (const assignor of [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor]) {
    it(`${assignor.name} assigns every partition once`, () => {
      const result = assignor.assign(members(), counts)
      const assigned = [...result.values()].flat()
      expect(assigned).toHaveLength(PARTITIONS)
      expect(new Set(assigned.map((tp) => `${tp.topic}-${tp.partition}`)).size).toBe(PARTITIONS)
    })
  }

  it('cooperative-sticky keeps owned partitions and balances a joining member', () => {
    const first = cooperativeStickyAssignor.assign(members().slice(0, 2), counts)
    const owned = members().slice(0, 2).map((m) => ({ ...m, ownedPartitions: first.get(m.memberId)!, generation: 1 }))
    const joined = { memberId: 'd', groupInstanceId: null, topics: [...topics], ownedPartitions: [], generation: -1 }
    const second = cooperativeStickyAssignor.assign([...owned, joined], counts)
    // Nothing moves to the new member this round (owners revoke first); what each keeps is a subset of what it had.
    for (const m of owned) {
      const had = new Set(first.get(m.memberId)!.map((tp) => `${tp.topic}-${tp.partition}`))
      expect(second.get(m.memberId)!.every((tp) => had.has(`${tp.topic}-${tp.partition}`))).toBe(true)
    }
    expect(owned.map((m) => second.get(m.memberId)!.length).sort()).toEqual([3333, 3334])
    expect(second.get('d')).toEqual([])
  })
})
