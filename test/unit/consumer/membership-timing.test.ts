// Heartbeat, backoff, rediscovery and unreachable-coordinator timing of the group memberships, in virtual time: a
// real Cluster on a ManualClock whose connections are scripted (scripted-cluster.ts). Times are virtual ms since the
// member started; jitter is pinned (Math.random = 0.5) so backoffs are exact.
import { ClassicMembership } from '../../../src/consumer/group-classic.js'
import { ConsumerProtocolMembership } from '../../../src/consumer/group-consumer-protocol.js'
import type { MembershipHost } from '../../../src/consumer/membership.js'
import type { TopicPartition } from '../../../src/consumer/types.js'
import { encodeAssignment } from '../../../src/consumer/group-classic.js'
import { KafkaError, TimeoutError } from '../../../src/errors.js'
import { silentLogger } from '../../../src/network/instrumentation.js'
import { ApiKeys, ErrorCodes } from '../../../src/protocol/index.js'
import { ScriptedCluster, topLevel } from './scripted-cluster.js'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'

interface Member {
  cluster: ScriptedCluster
  host: MembershipHost
  start: number
  fatal: Array<{ error: KafkaError; at: number }>
  owned: TopicPartition[]
  /** Virtual ms since start of each request of `apiKey`, with the node it went to. */
  times(apiKey: number): number[]
  nodes(apiKey: number): number[]
}

function member(overrides: Partial<MembershipHost> = {}): Member {
  const cluster = new ScriptedCluster({ retry: { initialBackoffMs: 100, maxBackoffMs: 1000 } })
  cluster.topicSpecs = [{ name: 't', topicId: TOPIC_ID, leaders: [1, 2] }]
  const clock = cluster.manualClock
  const fatal: Member['fatal'] = []
  const owned: TopicPartition[] = []
  const host: MembershipHost = {
    cluster,
    clock,
    logger: silentLogger,
    groupId: 'g',
    groupPurpose: 'group:test',
    groupInstanceId: null,
    clientRack: null,
    sessionTimeoutMs: 45_000,
    heartbeatIntervalMs: 3_000,
    rebalanceTimeoutMs: 300_000,
    groupRemoteAssignor: null,
    unreachableTimeoutMs: 10_000,
    subscription: () => ({ topics: ['t'], pattern: null }),
    owned: () => [...owned],
    assign: async (partitions) => void owned.push(...partitions),
    revoke: async (partitions) => void owned.splice(0, owned.length, ...owned.filter((o) => !partitions.some((p) => p.partition === o.partition))),
    lose: async () => void owned.splice(0),
    fatal: (error) => void fatal.push({ error, at: clock.now() - start }),
    stable: () => undefined,
    ...overrides,
  }
  const start = clock.now()
  return {
    cluster,
    host,
    start,
    fatal,
    owned,
    times: (apiKey) => cluster.requests(apiKey).map((r) => r.at - start),
    nodes: (apiKey) => cluster.requests(apiKey).map((r) => r.nodeId),
  }
}

/** A KIP-848 heartbeat answer: epoch 1, the broker's interval, no assignment change. */
const steady = (intervalMs: number) => topLevel(0, { memberId: 'm', memberEpoch: 1, heartbeatIntervalMs: intervalMs, assignment: null })

describe('group membership timing (virtual time, scripted coordinator)', () => {
  const stops: Array<() => Promise<void>> = []
  beforeEach(() => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    jest.restoreAllMocks()
  })

  function started(m: Member, membership: { start(): void; stop(leave: boolean): Promise<void> }): void {
    membership.start()
    stops.push(async () => {
      await membership.stop(false)
      m.cluster.close()
    })
  }

  it('KIP-848: heartbeats at the interval the broker gives, the first one full and the rest incremental', async () => {
    const m = member()
    m.cluster.reply(ApiKeys.ConsumerGroupHeartbeat, steady(2_000))
    m.cluster.handle(ApiKeys.ConsumerGroupHeartbeat, () => steady(2_500))
    const membership = new ConsumerProtocolMembership(m.host, null)
    started(m, membership)
    await m.cluster.manualClock.advance(7_100)
    // 2 000 after the first answer, then 2 500 (the interval each answer carries).
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0, 2_000, 4_500, 7_000])
    const bodies = m.cluster.requests(ApiKeys.ConsumerGroupHeartbeat).map((r) => r.body)
    expect(bodies[0]).toMatchObject({ memberEpoch: 0, subscribedTopicNames: ['t'], rebalanceTimeoutMs: 300_000 })
    expect(bodies.slice(1).map((b) => [b.memberEpoch, b.subscribedTopicNames])).toEqual([
      [1, null],
      [1, null],
      [1, null],
    ])
    expect(membership.identity()).toMatchObject({ generationIdOrMemberEpoch: 1 })
  })

  it('KIP-848: an assignment is heartbeated back at once, then the interval resumes', async () => {
    const m = member()
    m.cluster.reply(ApiKeys.ConsumerGroupHeartbeat, topLevel(0, { memberId: 'm', memberEpoch: 1, heartbeatIntervalMs: 3_000, assignment: { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0, 1] }] } }))
    m.cluster.handle(ApiKeys.ConsumerGroupHeartbeat, () => steady(3_000))
    started(m, new ConsumerProtocolMembership(m.host, null))
    await m.cluster.manualClock.advance(3_500)
    expect(m.owned).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ])
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0, 0, 3_000])
    // The reconciled partitions are reported by topic id in the heartbeat that follows the assignment.
    expect(m.cluster.requests(ApiKeys.ConsumerGroupHeartbeat)[1]!.body.topicPartitions).toEqual([{ topicId: TOPIC_ID, partitions: [0, 1] }])
  })

  it('KIP-848: a retriable heartbeat error backs off from min(interval, 1 s), doubling while rounds fail, up to 1 s', async () => {
    const m = member()
    const loading = topLevel(ErrorCodes.COORDINATOR_LOAD_IN_PROGRESS)
    m.cluster.reply(ApiKeys.ConsumerGroupHeartbeat, steady(400), loading, loading, loading)
    m.cluster.handle(ApiKeys.ConsumerGroupHeartbeat, () => steady(400))
    started(m, new ConsumerProtocolMembership(m.host, null))
    await m.cluster.manualClock.advance(3_300)
    // ok at 0; fails at 400, 800 (+400), 1 600 (+800); +1 000 (1 600 capped at Java's retry.backoff.max.ms) → ok at
    // 2 600, and the next heartbeat one interval later.
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0, 400, 800, 1_600, 2_600, 3_000])
    expect(m.fatal).toEqual([])
  })

  it('classic: join, sync, then heartbeats at heartbeatIntervalMs with the session and rebalance timeouts in the join', async () => {
    const m = member()
    m.cluster.handle(ApiKeys.JoinGroup, (r) =>
      r.body.memberId === ''
        ? topLevel(ErrorCodes.MEMBER_ID_REQUIRED, { generationId: -1, protocolType: 'consumer', protocolName: null, leader: '', skipAssignment: false, memberId: 'm-1', members: [] })
        : topLevel(0, { generationId: 7, protocolType: 'consumer', protocolName: 'range', leader: 'other', skipAssignment: false, memberId: 'm-1', members: [] }),
    )
    m.cluster.handle(ApiKeys.SyncGroup, () => topLevel(0, { protocolType: 'consumer', protocolName: 'range', assignment: encodeAssignment([{ topic: 't', partition: 1 }]) }))
    m.cluster.handle(ApiKeys.Heartbeat, () => topLevel(0))
    started(m, new ClassicMembership(m.host, ['range']))
    await m.cluster.manualClock.advance(9_500)
    const joins = m.cluster.requests(ApiKeys.JoinGroup)
    expect(joins.map((j) => [j.body.memberId, j.body.sessionTimeoutMs, j.body.rebalanceTimeoutMs])).toEqual([
      ['', 45_000, 300_000],
      ['m-1', 45_000, 300_000],
    ])
    expect(m.times(ApiKeys.SyncGroup)).toEqual([0])
    expect(m.owned).toEqual([{ topic: 't', partition: 1 }])
    expect(m.times(ApiKeys.Heartbeat)).toEqual([3_000, 6_000, 9_000])
    expect(m.cluster.requests(ApiKeys.Heartbeat).map((r) => r.body.generationId)).toEqual([7, 7, 7])
  })

  it('classic: REBALANCE_IN_PROGRESS on a heartbeat rejoins at once, without a backoff', async () => {
    const m = member()
    m.cluster.handle(ApiKeys.JoinGroup, () => topLevel(0, { generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: 'other', skipAssignment: false, memberId: 'm-1', members: [] }))
    m.cluster.handle(ApiKeys.SyncGroup, () => topLevel(0, { protocolType: 'consumer', protocolName: 'range', assignment: encodeAssignment([]) }))
    m.cluster.reply(ApiKeys.Heartbeat, topLevel(ErrorCodes.REBALANCE_IN_PROGRESS))
    m.cluster.handle(ApiKeys.Heartbeat, () => topLevel(0))
    started(m, new ClassicMembership(m.host, ['range']))
    await m.cluster.manualClock.advance(6_500)
    expect(m.times(ApiKeys.JoinGroup)).toEqual([0, 3_000])
    expect(m.times(ApiKeys.Heartbeat)).toEqual([3_000, 6_000])
  })

  it('a lost coordinator (NOT_COORDINATOR) is looked up again after the backoff, and the heartbeat follows it', async () => {
    const m = member()
    m.cluster.reply(ApiKeys.ConsumerGroupHeartbeat, steady(1_000), topLevel(ErrorCodes.NOT_COORDINATOR))
    m.cluster.handle(ApiKeys.ConsumerGroupHeartbeat, () => steady(1_000))
    started(m, new ConsumerProtocolMembership(m.host, null))
    await m.cluster.manualClock.advance(500)
    expect(m.times(ApiKeys.FindCoordinator)).toEqual([0])
    m.cluster.coordinatorNode = 3
    await m.cluster.manualClock.advance(2_600)
    // Heartbeat at 1 000 fails; backoff min(1 000, 1 000) = 1 000; at 2 000 the coordinator is found again (node 3).
    expect(m.times(ApiKeys.FindCoordinator)).toEqual([0, 2_000])
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0, 1_000, 2_000, 3_000])
    expect(m.nodes(ApiKeys.ConsumerGroupHeartbeat)).toEqual([1, 1, 3, 3])
    expect(m.fatal).toEqual([])
  })

  it('a coordinator unreachable for unreachableTimeoutMs ends the member with a TimeoutError, at that moment', async () => {
    const m = member()
    m.cluster.handle(ApiKeys.ConsumerGroupHeartbeat, () => steady(3_000))
    started(m, new ConsumerProtocolMembership(m.host, null))
    await m.cluster.manualClock.advance(1_000)
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0])
    // The coordinator moves to a node that is down: every round from the one at 3 000 on fails.
    m.cluster.coordinatorNode = 2
    m.cluster.down.add(2)
    m.cluster.reply(ApiKeys.ConsumerGroupHeartbeat, topLevel(ErrorCodes.NOT_COORDINATOR))
    await m.cluster.manualClock.advance(20_000)
    expect(m.fatal).toHaveLength(1)
    const { error, at } = m.fatal[0]!
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.message).toMatch(/could not be reached for 10000 ms/)
    // Failing since the round that began at 3 000: fatal exactly unreachableTimeoutMs later.
    expect(at).toBe(13_000)
    // The member kept looking for its coordinator until then, and stopped after.
    const lookups = m.times(ApiKeys.FindCoordinator)
    expect(lookups.length).toBeGreaterThan(3)
    expect(Math.max(...lookups)).toBeLessThan(13_000)
    expect(m.times(ApiKeys.ConsumerGroupHeartbeat)).toEqual([0, 3_000])
  })
})
