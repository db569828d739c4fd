/**
 * The group and transaction coordinators at the wire level, with bare connections: the error codes and phases
 * clients rely on but rarely show (KIP-394 member ids, generations, fencing, NOT_COORDINATOR, require_stable,
 * KIP-848 epochs and revocation before reassignment).
 */
import { RawKafkaConnection } from '../helpers/raw-kafka-connection.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { ErrorCodes } from '../../src/protocol/generated/error-codes.js'
import { encodeRecordBatch } from '../../src/records/index.js'
import { FakeKafka, ManualClock } from '../../src/testing/index.js'
import { coordinatorPartition } from '../../src/testing/state.js'

describe('FakeKafka group coordinator on the wire', () => {
  let fake: FakeKafka
  const conns: RawKafkaConnection[] = []
  const open = async (broker: number): Promise<RawKafkaConnection> => {
    const c = await RawKafkaConnection.open({ host: '127.0.0.1', port: fake.cluster.brokers.get(broker)!.port }, `raw-${conns.length}`)
    conns.push(c)
    return c
  }
  const coordinator = (kind: 'group' | 'transaction', key: string): number => fake.cluster.coordinatorFor(kind, key).broker

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 't', partitions: 4 }, { name: 'u', partitions: 2 }], seed: 5 })
  })
  afterEach(async () => {
    for (const c of conns.splice(0)) c.close()
    await fake.stop()
  })

  it('finds coordinators one key at a time and batched, by Java String hash placement', async () => {
    const conn = await open(0)
    // "orders".hashCode() = -1008770331 → abs % 50 = 31, as Kafka's partitionFor computes it.
    expect(coordinatorPartition('orders')).toBe(31)
    const single = await conn.send(apis[ApiKeys.FindCoordinator], 3, { key: 'orders', keyType: 0 })
    expect(single).toMatchObject({ errorCode: 0, nodeId: coordinator('group', 'orders'), port: fake.cluster.brokers.get(coordinator('group', 'orders'))!.port })
    const batched = await conn.send(apis[ApiKeys.FindCoordinator], 6, { keyType: 1, coordinatorKeys: ['tx-a', 'tx-b'] })
    expect(batched.coordinators!.map((c) => [c.key, c.nodeId, c.errorCode])).toEqual([['tx-a', coordinator('transaction', 'tx-a'), 0], ['tx-b', coordinator('transaction', 'tx-b'), 0]])
    fake.cluster.setLeader(fake.cluster.coordinatorFor('group', 'orders').partition, -1)
    const offline = await conn.send(apis[ApiKeys.FindCoordinator], 4, { keyType: 0, coordinatorKeys: ['orders'] })
    expect(offline.coordinators![0]!.errorCode).toBe(ErrorCodes.COORDINATOR_NOT_AVAILABLE)
  })

  it('runs the classic protocol: member ids, generations, rebalances, sync, leave', async () => {
    const at = coordinator('group', 'g')
    const wrong = await open((at + 1) % 3)
    const join = (memberId: string) => ({ groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }], reason: null })
    expect((await wrong.send(apis[ApiKeys.JoinGroup], 9, join(''))).errorCode).toBe(ErrorCodes.NOT_COORDINATOR)

    const a = await open(at)
    const first = await a.send(apis[ApiKeys.JoinGroup], 9, join(''))
    expect(first.errorCode).toBe(ErrorCodes.MEMBER_ID_REQUIRED)
    const joinedA = await a.send(apis[ApiKeys.JoinGroup], 9, join(first.memberId))
    expect(joinedA).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, protocolName: 'range' })
    expect(joinedA.members.map((m) => m.memberId)).toEqual([first.memberId])
    const syncA = await a.send(apis[ApiKeys.SyncGroup], 5, { groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('all') }] })
    expect(syncA).toMatchObject({ errorCode: 0, assignment: Buffer.from('all') })

    // A second member: its first join gets an id; its real join starts a rebalance the leader learns of.
    const b = await open(at)
    const idB = (await b.send(apis[ApiKeys.JoinGroup], 9, join(''))).memberId
    const joiningB = b.send(apis[ApiKeys.JoinGroup], 9, join(idB))
    const heartbeat = (memberId: string, generationId: number) => a.send(apis[ApiKeys.Heartbeat], 4, { groupId: 'g', generationId, memberId, groupInstanceId: null })
    await waitFor(async () => (await heartbeat(first.memberId, 1)).errorCode === ErrorCodes.REBALANCE_IN_PROGRESS)
    const rejoinA = await a.send(apis[ApiKeys.JoinGroup], 9, join(first.memberId))
    const joinedB = await joiningB
    expect([rejoinA.generationId, joinedB.generationId]).toEqual([2, 2])
    expect(rejoinA.members).toHaveLength(2)
    expect(joinedB.members).toHaveLength(0)
    expect((await heartbeat(first.memberId, 1)).errorCode).toBe(ErrorCodes.ILLEGAL_GENERATION)
    expect((await heartbeat('nobody', 2)).errorCode).toBe(ErrorCodes.UNKNOWN_MEMBER_ID)

    // The follower's SyncGroup waits for the leader's.
    const syncB = b.send(apis[ApiKeys.SyncGroup], 5, { groupId: 'g', generationId: 2, memberId: idB, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })
    await a.send(apis[ApiKeys.SyncGroup], 5, { groupId: 'g', generationId: 2, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }, { memberId: idB, assignment: Buffer.from('B') }] })
    expect((await syncB).assignment).toEqual(Buffer.from('B'))

    const described = await a.send(apis[ApiKeys.DescribeGroups], 5, { groups: ['g'], includeAuthorizedOperations: false })
    expect(described.groups[0]).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' })
    expect(described.groups[0]!.members.map((m) => m.memberAssignment.toString()).sort()).toEqual(['A', 'B'])

    const left = await b.send(apis[ApiKeys.LeaveGroup], 5, { groupId: 'g', members: [{ memberId: idB, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] })
    expect(left.members!.map((m) => m.errorCode)).toEqual([0, ErrorCodes.UNKNOWN_MEMBER_ID])
    expect((await heartbeat(first.memberId, 2)).errorCode).toBe(ErrorCodes.REBALANCE_IN_PROGRESS)
  })

  it('fences the old member id of a static member that rejoined', async () => {
    const at = coordinator('group', 's')
    const a = await open(at)
    const join = (memberId: string) => ({ groupId: 's', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: 'i-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }], reason: null })
    const first = await a.send(apis[ApiKeys.JoinGroup], 9, join(''))
    expect(first.errorCode).toBe(0) // static members skip MEMBER_ID_REQUIRED
    await a.send(apis[ApiKeys.SyncGroup], 5, { groupId: 's', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'i-1', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('x') }] })
    const again = await a.send(apis[ApiKeys.JoinGroup], 9, join(''))
    expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId, skipAssignment: true })
    expect(again.memberId).not.toBe(first.memberId)
    const old = await a.send(apis[ApiKeys.Heartbeat], 4, { groupId: 's', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'i-1' })
    expect(old.errorCode).toBe(ErrorCodes.FENCED_INSTANCE_ID)
    const sync = await a.send(apis[ApiKeys.SyncGroup], 5, { groupId: 's', generationId: again.generationId, memberId: again.memberId, groupInstanceId: 'i-1', protocolType: 'consumer', protocolName: 'range', assignments: [] })
    expect(sync.assignment).toEqual(Buffer.from('x'))
  })

  it('commits and fetches offsets: simple commits, generations, many groups, require_stable', async () => {
    const at = coordinator('group', 'o1')
    const c = await open(at)
    const commit = (groupId: string, generation: number, memberId: string) =>
      c.send(apis[ApiKeys.OffsetCommit], 9, { groupId, generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: 'meta' }] }] })
    expect((await commit('o1', -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(0)
    expect((await commit('o1', 5, 'someone')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCodes.ILLEGAL_GENERATION)
    const v1 = await c.send(apis[ApiKeys.OffsetFetch], 1, { groupId: 'o1', topics: [{ name: 't', partitionIndexes: [0, 1] }] })
    expect(v1.topics![0]!.partitions.map((p) => p.committedOffset)).toEqual([42n, -1n])
    // Pending transactional offsets make require_stable fetches wait (UNSTABLE_OFFSET_COMMIT), others see the old value.
    fake.services.groups.pendingTxnOffsets.set('o1', new Map([[77n, new Map([['t\u00000', { offset: 50n, leaderEpoch: -1, metadata: '', commitTimestamp: 0 }]])]]))
    // A group without offsets on the same coordinator, so that both answers come from this broker.
    const missing = Array.from({ length: 100 }, (_, i) => `missing-${i}`).find((g) => coordinator('group', g) === at)!
    const request = (requireStable: boolean) => c.send(apis[ApiKeys.OffsetFetch], 9, { requireStable, groups: [{ groupId: 'o1', memberId: null, memberEpoch: -1, topics: null }, { groupId: missing, memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] }] })
    const stable = await request(true)
    expect(stable.groups![0]!.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCodes.UNSTABLE_OFFSET_COMMIT, committedOffset: -1n })
    const plain = await request(false)
    expect(plain.groups![0]!.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'meta' })
    expect(plain.groups![1]!.topics[0]!.partitions[0]!.committedOffset).toBe(-1n)
    fake.services.groups.completeTransaction('o1', 77n, true)
    expect((await request(true)).groups![0]!.topics[0]!.partitions[0]!.committedOffset).toBe(50n)

    const v10 = await c.send(apis[ApiKeys.OffsetCommit], 10, { groupId: 'o1', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ topicId: fake.cluster.topics.get('u')!.topicId, partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }] })
    expect(v10.topics[0]!.partitions[0]!.errorCode).toBe(0)
    expect(fake.services.groups.offsets.get('o1')!.get('u\u00001')!.offset).toBe(7n)

    const deleted = await c.send(apis[ApiKeys.OffsetDelete], 0, { groupId: 'o1', topics: [{ name: 'u', partitions: [{ partitionIndex: 1 }] }] })
    expect(deleted.topics[0]!.partitions[0]!.errorCode).toBe(0)
    expect((await c.send(apis[ApiKeys.OffsetDelete], 0, { groupId: 'nope', topics: [] })).errorCode).toBe(ErrorCodes.GROUP_ID_NOT_FOUND)
  })

  it('lists, filters and deletes groups', async () => {
    const coord = fake.services.groups
    for (const id of ['e1', 'e2']) coord.committed(id).set('t\u00000', { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 0 })
    const listed: string[] = []
    for (let b = 0; b < 3; b++) {
      const c = await open(b)
      const res = await c.send(apis[ApiKeys.ListGroups], 5, { statesFilter: ['empty'], typesFilter: ['classic'] })
      listed.push(...res.groups.map((g) => g.groupId))
      const none = await c.send(apis[ApiKeys.ListGroups], 5, { statesFilter: ['Stable'], typesFilter: [] })
      expect(none.groups).toEqual([])
    }
    expect(listed.sort()).toEqual(['e1', 'e2'])
    const c = await open(coordinator('group', 'e1'))
    const res = await c.send(apis[ApiKeys.DeleteGroups], 2, { groupsNames: ['e1', 'never'] })
    const wrongBroker = coordinator('group', 'never') === coordinator('group', 'e1') ? ErrorCodes.GROUP_ID_NOT_FOUND : ErrorCodes.NOT_COORDINATOR
    expect(res.results.map((r) => r.errorCode)).toEqual([0, wrongBroker])
    expect(coord.offsets.has('e1')).toBe(false)
  })
})

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not reached')
}

describe('FakeKafka KIP-848 and transactions on the wire', () => {
  let fake: FakeKafka
  let conn: RawKafkaConnection

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 1, topics: [{ name: 't', partitions: 4 }, { name: 'topic-x', partitions: 1 }], seed: 9 })
    conn = await RawKafkaConnection.open({ host: '127.0.0.1', port: fake.cluster.brokers.get(0)!.port }, 'raw')
  })
  afterEach(async () => {
    conn.close()
    await fake.stop()
  })

  const hb = (memberId: string, memberEpoch: number, owned: number[] | null, full = false) =>
    conn.send(apis[ApiKeys.ConsumerGroupHeartbeat], 1, {
      groupId: 'cg', memberId, memberEpoch, instanceId: null, rackId: null,
      rebalanceTimeoutMs: full ? 30_000 : -1,
      subscribedTopicNames: full ? ['t'] : null, subscribedTopicRegex: null, serverAssignor: full ? 'uniform' : null,
      topicPartitions: owned === null ? null : [{ topicId: fake.cluster.topics.get('t')!.topicId, partitions: owned }].filter((t) => t.partitions.length > 0),
    })
  const parts = (r: { assignment: { topicPartitions: Array<{ partitions: number[] }> } | null }) => r.assignment?.topicPartitions.flatMap((t) => t.partitions).sort() ?? null

  it('assigns on the server, revokes before reassigning, and fences stale epochs', async () => {
    const a1 = await hb('member-a', 0, [], true)
    expect(a1).toMatchObject({ errorCode: 0, memberId: 'member-a', memberEpoch: 1 })
    expect(parts(a1)).toEqual([0, 1, 2, 3])
    const b1 = await hb('member-b', 0, [], true)
    // B is in the new epoch but gets nothing A still owns.
    expect(b1.memberEpoch).toBe(2)
    expect(parts(b1)).toEqual([])
    const a2 = await hb('member-a', 1, [0, 1, 2, 3])
    // A must give two partitions up first: its epoch stays until it has.
    expect(a2.memberEpoch).toBe(1)
    expect(parts(a2)!.length).toBe(2)
    const kept = parts(a2)!
    const a3 = await hb('member-a', 1, kept)
    expect(a3.memberEpoch).toBe(2)
    const b2 = await hb('member-b', 2, [])
    expect(parts(b2)).toEqual([0, 1, 2, 3].filter((p) => !kept.includes(p)))
    expect((await hb('member-a', 7, kept)).errorCode).toBe(ErrorCodes.FENCED_MEMBER_EPOCH)
    expect((await hb('nobody', 3, [])).errorCode).toBe(ErrorCodes.UNKNOWN_MEMBER_ID)

    const described = await conn.send(apis[ApiKeys.ConsumerGroupDescribe], 1, { groupIds: ['cg', 'none'], includeAuthorizedOperations: false })
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2, assignorName: 'uniform' })
    expect(described.groups[0]!.members.map((m) => m.assignment.topicPartitions[0]!.topicName)).toEqual(['t', 't'])
    expect(described.groups[1]!.errorCode).toBe(ErrorCodes.GROUP_ID_NOT_FOUND)

    const left = await hb('member-b', -1, null)
    expect(left.memberEpoch).toBe(-1)
    const a4 = await hb('member-a', 2, kept)
    expect(parts(a4)).toEqual([0, 1, 2, 3])
    expect(a4.memberEpoch).toBeGreaterThan(2)
  })

  it('subscribes by regex and assigns by range when asked', async () => {
    const res = await conn.send(apis[ApiKeys.ConsumerGroupHeartbeat], 1, { groupId: 'rx', memberId: 'm', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: null, subscribedTopicRegex: 'topic-.*', serverAssignor: 'range', topicPartitions: [] })
    expect(res.assignment!.topicPartitions).toEqual([{ topicId: fake.cluster.topics.get('topic-x')!.topicId, partitions: [0] }])
  })

  it('refuses transactional batches for partitions not in the transaction, and stale epochs', async () => {
    const init = await conn.send(apis[ApiKeys.InitProducerId], 5, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
    expect(init.errorCode).toBe(0)
    const records = encodeRecordBatch({ records: [{ value: 'v' }], producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true })
    const produce = (version: number) => conn.send(apis[ApiKeys.Produce], version, { transactionalId: 'tx', acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] })
    expect((await produce(9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCodes.INVALID_TXN_STATE)
    expect((await produce(11)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCodes.TRANSACTION_ABORTABLE)
    const end = await conn.send(apis[ApiKeys.EndTxn], 4, { transactionalId: 'tx', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true })
    expect(end.errorCode).toBe(ErrorCodes.INVALID_TXN_STATE)
    const again = await conn.send(apis[ApiKeys.InitProducerId], 5, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
    expect(again.producerEpoch).toBe(init.producerEpoch + 1)
    const stale = await conn.send(apis[ApiKeys.AddPartitionsToTxn], 3, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] })
    expect(stale.resultsByTopicV3AndBelow![0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCodes.PRODUCER_FENCED)
    const added = await conn.send(apis[ApiKeys.AddPartitionsToTxn], 4, { transactions: [{ transactionalId: 'tx', producerId: again.producerId, producerEpoch: again.producerEpoch, verifyOnly: false, topics: [{ name: 't', partitions: [0] }] }] })
    expect(added.resultsByTransaction![0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0)
    const ended = await conn.send(apis[ApiKeys.EndTxn], 5, { transactionalId: 'tx', producerId: again.producerId, producerEpoch: again.producerEpoch, committed: false })
    // EndTxn v5 (KIP-890) hands back the next epoch.
    expect(ended).toMatchObject({ errorCode: 0, producerId: again.producerId, producerEpoch: again.producerEpoch + 1 })
  })
})

describe('FakeKafka KIP-848 membership edges on the wire', () => {
  let fake: FakeKafka
  let conn: RawKafkaConnection
  let clock: ManualClock

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 1, topics: [{ name: 't', partitions: 2 }], seed: 4 })
    clock = new ManualClock()
    fake.services.groups.useClock(clock)
    conn = await RawKafkaConnection.open({ host: '127.0.0.1', port: fake.cluster.brokers.get(0)!.port }, 'raw')
  })
  afterEach(async () => {
    conn.close()
    await fake.stop()
  })

  const topicId = () => fake.cluster.topics.get('t')!.topicId
  const hb = (memberId: string, memberEpoch: number, instanceId: string | null, owned: number[] | null, full: boolean) =>
    conn.send(apis[ApiKeys.ConsumerGroupHeartbeat], 1, {
      groupId: 'edge', memberId, memberEpoch, instanceId, rackId: null, rebalanceTimeoutMs: full ? 5000 : -1,
      subscribedTopicNames: full ? ['t'] : null, subscribedTopicRegex: null, serverAssignor: null,
      topicPartitions: owned === null ? null : owned.length === 0 ? [] : [{ topicId: topicId(), partitions: owned }],
    })

  it('a static member leaving with -2 keeps its partitions for its successor; a live one is UNRELEASED_INSTANCE_ID', async () => {
    const first = await hb('s-1', 0, 'box-1', [], true)
    expect(first.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1])
    expect((await hb('s-2', 0, 'box-1', [], true)).errorCode).toBe(ErrorCodes.UNRELEASED_INSTANCE_ID)
    expect((await hb('s-1', -2, 'box-1', null, false)).memberEpoch).toBe(-2)
    const successor = await hb('s-2', 0, 'box-1', [], true)
    expect(successor).toMatchObject({ errorCode: 0, memberId: 's-2', memberEpoch: first.memberEpoch })
    expect(successor.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1])
    expect(fake.services.groups.groups.get('edge')!.members.size).toBe(1)
  })

  it('commits need the current member epoch (STALE_MEMBER_EPOCH) and sessions expire on the clock', async () => {
    const joined = await hb('m-1', 0, null, [], true)
    const commit = (epoch: number) => conn.send(apis[ApiKeys.OffsetCommit], 9, { groupId: 'edge', generationIdOrMemberEpoch: epoch, memberId: 'm-1', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] })
    expect((await commit(joined.memberEpoch + 5)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCodes.STALE_MEMBER_EPOCH)
    expect((await commit(joined.memberEpoch)).topics[0]!.partitions[0]!.errorCode).toBe(0)
    clock.advance(fake.services.groups.config.consumerSessionTimeoutMs)
    expect(fake.services.groups.groups.get('edge')!.members.size).toBe(0)
    expect((await hb('m-1', joined.memberEpoch, null, [0, 1], false)).errorCode).toBe(ErrorCodes.UNKNOWN_MEMBER_ID)
  })

  it('fences a member that does not give partitions up within its rebalance timeout', async () => {
    await hb('slow', 0, null, [], true)
    await hb('fast', 0, null, [], true)
    const told = await hb('slow', 1, null, [0, 1], false)
    expect(told.assignment!.topicPartitions[0]!.partitions).toHaveLength(1) // one partition to give up
    clock.advance(5000)
    expect(fake.services.groups.groups.get('edge')!.members.has('slow')).toBe(false)
    const fast = await hb('fast', 2, null, [], false)
    expect(fast.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1])
  })

  it('a classic rebalance ends at the rebalance timeout without the members that did not rejoin', async () => {
    const join = (c: RawKafkaConnection, memberId: string) => c.send(apis[ApiKeys.JoinGroup], 9, { groupId: 'classic-edge', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 8000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null })
    const idA = (await join(conn, '')).memberId
    expect((await join(conn, idA)).generationId).toBe(1)
    const other = await RawKafkaConnection.open({ host: '127.0.0.1', port: fake.cluster.brokers.get(0)!.port }, 'raw-b')
    const idB = (await join(other, '')).memberId
    const joiningB = join(other, idB)
    await waitFor(async () => (fake.services.groups.groups.get('classic-edge') as { state?: string }).state === 'PreparingRebalance')
    clock.advance(8000)
    const joinedB = await joiningB
    expect(joinedB).toMatchObject({ errorCode: 0, generationId: 2, leader: idB })
    expect(joinedB.members.map((m) => m.memberId)).toEqual([idB])
    other.close()
  })
})
