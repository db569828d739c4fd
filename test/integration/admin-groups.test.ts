/**
 * Admin offsets/records and groups against the real broker. Groups are made with raw group requests (OffsetCommit
 * for empty classic groups, JoinGroup/SyncGroup for a classic member, ConsumerGroupHeartbeat for a KIP-848 member,
 * ShareGroupHeartbeat for a share member), so these tests do not depend on the consumer client.
 */
import {
  commitOffsets,
  eventually,
  joinClassicGroup,
  joinConsumerGroup,
  joinShareGroup,
  joinStreamsGroup,
  leaveShareGroup,
  openAdmin,
  produceRecords,
  produceValues,
  type TestAdmin,
  uniqueName,
} from './admin-support.js'

async function createTopic(t: TestAdmin, name: string, partitions: number): Promise<void> {
  const [created] = await t.admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }])
  expect(created!.error).toBeNull()
  await eventually(async () => expect((await t.admin.describeTopics([name]))[0]!.partitions).toHaveLength(partitions))
}

describe('Admin: offsets and records', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('lists earliest, latest, max-timestamp, by-timestamp and tiered specs per partition', async () => {
    const topic = uniqueName('offsets')
    await createTopic(t, topic, 2)
    const base = 1_700_000_000_000
    // Timestamps out of order, so max-timestamp is not simply the last record.
    // Checked and retried (a just-created partition may not have its leader yet): an unchecked Produce left the
    // partition empty now and then.
    await produceRecords(t.cluster, topic, 0, [
      { value: 'a', timestamp: base + 1000 },
      { value: 'b', timestamp: base + 5000 },
      { value: 'c', timestamp: base + 3000 },
    ])

    const results = await t.admin.listOffsets([
      { topic, partition: 0, spec: 'earliest' },
      { topic, partition: 0, spec: 'latest' },
      { topic, partition: 0, spec: 'max-timestamp' },
      { topic, partition: 0, spec: { timestamp: base + 2000 } },
      { topic, partition: 0, spec: { timestamp: base + 9000 } },
      { topic, partition: 1, spec: 'latest' },
      { topic, partition: 0, spec: 'earliest-local' },
      { topic, partition: 7, spec: 'latest' },
    ])
    expect(results.slice(0, 7).map((r) => r.error)).toEqual([null, null, null, null, null, null, null])
    expect(results[0]!.offset).toBe(0n)
    expect(results[1]!.offset).toBe(3n)
    expect(results[2]).toMatchObject({ offset: 1n, timestamp: base + 5000 })
    expect(results[3]).toMatchObject({ offset: 1n, timestamp: base + 5000 })
    expect(results[4]!.offset).toBe(-1n)
    expect(results[5]!.offset).toBe(0n)
    expect(results[6]!.offset).toBe(0n)
    expect(results[7]).toMatchObject({ topic, partition: 7, offset: -1n })
    expect(results[7]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })

    // Remote-storage specs on a topic without tiered storage: the broker answers, with no offset to give.
    const tiered = await t.admin.listOffsets([
      { topic, partition: 0, spec: 'latest-tiered' },
      { topic, partition: 0, spec: 'earliest-pending-upload' },
    ])
    for (const r of tiered) expect(r.error).toBeNull()
  })

  it('deletes records: moves the log start offset per partition, errors per partition', async () => {
    const topic = uniqueName('delete-records')
    await createTopic(t, topic, 2)
    await produceValues(t.cluster, topic, 0, ['a', 'b', 'c', 'd'])
    const results = await t.admin.deleteRecords([
      { topic, partition: 0, offset: 2n },
      { topic, partition: 1, offset: 5n },
    ])
    expect(results[0]).toEqual({ topic, partition: 0, lowWatermark: 2n, error: null })
    expect(results[1]!.error).toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' })
    const [earliest] = await t.admin.listOffsets([{ topic, partition: 0, spec: 'earliest' }])
    expect(earliest!.offset).toBe(2n)
  })
})

describe('Admin: groups', () => {
  let t: TestAdmin
  let topic: string
  beforeAll(async () => {
    t = openAdmin()
    topic = uniqueName('groups')
    await createTopic(t, topic, 3)
  })
  afterAll(() => t.close())

  it('an empty classic group: list with filters, describe, list/alter/delete offsets, delete the group', async () => {
    const groupId = uniqueName('classic-empty')
    await commitOffsets(t.cluster, groupId, [
      { topic, partition: 0, offset: 5n },
      { topic, partition: 1, offset: 7n },
    ])

    const listed = await t.admin.listGroups()
    expect(listed.find((g) => g.groupId === groupId)).toEqual({ groupId, protocolType: '', state: 'Empty', type: 'classic' })
    expect((await t.admin.listGroups({ types: ['classic'], states: ['Empty'] })).map((g) => g.groupId)).toContain(groupId)
    expect((await t.admin.listGroups({ types: ['consumer'] })).map((g) => g.groupId)).not.toContain(groupId)
    expect((await t.admin.listGroups({ states: ['Stable'] })).map((g) => g.groupId)).not.toContain(groupId)

    const [described, missing] = await t.admin.describeGroups([groupId, uniqueName('no-such-group')], { includeAuthorizedOperations: true })
    expect(described).toMatchObject({ groupId, type: 'classic', state: 'Empty', members: [], error: null })
    expect(described!.authorizedOperations).toEqual(expect.arrayContaining(['read', 'describe', 'delete']))
    expect(missing!.error).toMatchObject({ errorName: 'GROUP_ID_NOT_FOUND' })

    const [offsets] = await t.admin.listConsumerGroupOffsets([groupId])
    expect(offsets!.error).toBeNull()
    const sorted = offsets!.offsets.sort((a, b) => a.partition - b.partition)
    expect(sorted.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      [topic, 0, 5n],
      [topic, 1, 7n],
    ])

    const altered = await t.admin.alterConsumerGroupOffsets(groupId, [
      { topic, partition: 0, offset: 1n, metadata: 'reset by test' },
      { topic, partition: 2, offset: 3n },
    ])
    expect(altered).toEqual([
      { topic, partition: 0, error: null },
      { topic, partition: 2, error: null },
    ])
    const [some] = await t.admin.listConsumerGroupOffsets([{ groupId, partitions: [{ topic, partition: 0 }, { topic, partition: 2 }] }])
    expect(some!.offsets.map((o) => [o.partition, o.offset, o.metadata])).toEqual([
      [0, 1n, 'reset by test'],
      [2, 3n, ''],
    ])

    const deleted = await t.admin.deleteConsumerGroupOffsets(groupId, [{ topic, partition: 1 }])
    expect(deleted).toEqual([{ topic, partition: 1, error: null }])
    const [after] = await t.admin.listConsumerGroupOffsets([groupId])
    expect(after!.offsets.map((o) => o.partition).sort()).toEqual([0, 2])

    const results = await t.admin.deleteGroups([groupId, uniqueName('never-existed')])
    expect(results[0]).toEqual({ groupId, error: null })
    expect(results[1]!.error).toMatchObject({ errorName: 'GROUP_ID_NOT_FOUND' })
    expect((await t.admin.listGroups()).map((g) => g.groupId)).not.toContain(groupId)
  })

  it('describes a classic group with a member and its decoded assignment; removes the member; deleting a non-empty group fails per group', async () => {
    const groupId = uniqueName('classic-member')
    const { memberId } = await joinClassicGroup(t.cluster, groupId, 'instance-1', topic, [0, 2])
    const [described] = await t.admin.describeConsumerGroups([groupId])
    expect(described).toMatchObject({ groupId, type: 'classic', state: 'Stable', protocolType: 'consumer', assignor: 'range', error: null })
    expect(described!.members).toEqual([
      expect.objectContaining({
        memberId,
        groupInstanceId: 'instance-1',
        clientId: 'samsa-admin-test',
        assignment: [{ topic, partitions: [0, 2] }],
        subscribedTopics: [topic],
        memberType: 'classic',
        memberMetadata: expect.any(Buffer),
        memberAssignment: expect.any(Buffer),
      }),
    ])

    const [classic] = await t.admin.describeClassicGroups([groupId])
    expect(classic).toEqual(described)

    const [notEmpty] = await t.admin.deleteGroups([groupId])
    expect(notEmpty!.error).toMatchObject({ errorName: 'NON_EMPTY_GROUP' })
    const inUse = await t.admin.alterConsumerGroupOffsets(groupId, [{ topic, partition: 0, offset: 0n }])
    expect(inUse[0]!.error).toMatchObject({ errorName: 'UNKNOWN_MEMBER_ID' })

    const removed = await t.admin.removeMembersFromConsumerGroup(groupId, [{ groupInstanceId: 'instance-1' }, { groupInstanceId: 'instance-9' }])
    expect(removed[0]).toMatchObject({ groupInstanceId: 'instance-1', error: null })
    expect(removed[1]!.error).toMatchObject({ errorName: 'UNKNOWN_MEMBER_ID' })
    const [after] = await t.admin.describeConsumerGroups([groupId])
    expect(after!.members).toEqual([])
    expect(after!.state).toBe('Empty')
  })

  it('removes every member when none are named', async () => {
    const groupId = uniqueName('classic-remove-all')
    await joinClassicGroup(t.cluster, groupId, 'only-one', topic, [1])
    const removed = await t.admin.removeMembersFromConsumerGroup(groupId)
    expect(removed).toEqual([{ memberId: expect.any(String), groupInstanceId: 'only-one', error: null }])
    expect((await t.admin.describeConsumerGroups([groupId]))[0]!.members).toEqual([])
  })

  it('describes a KIP-848 consumer group with member epochs and assignments; lists it by type', async () => {
    const groupId = uniqueName('consumer-848')
    const { memberId } = await joinConsumerGroup(t.cluster, groupId, topic)
    const [described] = await t.admin.describeConsumerGroups([groupId])
    expect(described).toMatchObject({ groupId, type: 'consumer', protocolType: 'consumer', error: null })
    expect(described!.groupEpoch).toBeGreaterThan(0)
    expect(described!.assignor).toEqual(expect.any(String))
    expect(described!.members).toHaveLength(1)
    const member = described!.members[0]!
    expect(member).toMatchObject({ memberId, clientId: 'samsa-admin-test', subscribedTopics: [topic], memberType: 'consumer', memberMetadata: null, memberAssignment: null })
    expect(member.memberEpoch).toBeGreaterThan(0)
    expect(member.targetAssignment).toEqual([{ topic, partitions: [0, 1, 2] }])

    const consumerGroups = await t.admin.listGroups({ types: ['consumer'] })
    expect(consumerGroups.find((g) => g.groupId === groupId)).toMatchObject({ type: 'consumer', protocolType: 'consumer' })
  })

  it('describes a share group (KIP-932)', async () => {
    const groupId = uniqueName('share')
    const memberId = await joinShareGroup(t.cluster, groupId, topic)
    const [described, missing] = await t.admin.describeShareGroups([groupId, uniqueName('no-share')])
    expect(described).toMatchObject({ groupId, state: 'Stable', error: null })
    expect(described!.members).toEqual([expect.objectContaining({ memberId, subscribedTopics: [topic], assignment: [{ topic, partitions: [0, 1, 2] }] })])
    expect(missing!.error).toMatchObject({ errorName: 'GROUP_ID_NOT_FOUND' })
    expect((await t.admin.listGroups({ types: ['share'] })).map((g) => g.groupId)).toContain(groupId)
  })

  it('share group offsets: list start offsets, alter them once the group is empty, delete the state of a topic', async () => {
    const groupId = uniqueName('share-offsets')
    await produceValues(t.cluster, topic, 0, ['s1', 's2', 's3', 's4'])
    const memberId = await joinShareGroup(t.cluster, groupId, topic)
    const listed = await eventually(async () => {
      const [result] = await t.admin.listShareGroupOffsets([groupId])
      expect(result!.error).toBeNull()
      expect(result!.offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2])
      return result!
    })
    for (const o of listed.offsets) expect(o.error).toBeNull()

    // The coordinator refuses to move offsets under an active member.
    await expect(t.admin.alterShareGroupOffsets(groupId, [{ topic, partition: 0, startOffset: 1n }])).rejects.toMatchObject({ errorName: 'NON_EMPTY_GROUP' })
    await leaveShareGroup(t.cluster, groupId, memberId)

    const altered = await t.admin.alterShareGroupOffsets(groupId, [{ topic, partition: 0, startOffset: 1n }])
    expect(altered).toEqual([{ topic, partition: 0, error: null }])
    await eventually(async () => {
      const [some] = await t.admin.listShareGroupOffsets([{ groupId, partitions: [{ topic, partition: 0 }] }])
      expect(some!.offsets).toEqual([expect.objectContaining({ topic, partition: 0, startOffset: 1n, error: null })])
    })

    expect(await t.admin.deleteShareGroupOffsets(groupId, [topic])).toEqual([{ topic, error: null }])
    await eventually(async () => {
      const [after] = await t.admin.listShareGroupOffsets([groupId])
      expect(after!.offsets).toEqual([])
    })
    expect(await t.admin.deleteGroups([groupId])).toEqual([{ groupId, error: null }])
    expect((await t.admin.listGroups({ types: ['share'] })).map((g) => g.groupId)).not.toContain(groupId)
  })

  it('describes a streams group (KIP-1071) with its topology and task assignment, lists it by type, deletes it once empty', async () => {
    const groupId = uniqueName('streams')
    const member = await joinStreamsGroup(t.cluster, groupId, topic)
    const [described, missing] = await t.admin.describeStreamsGroups([groupId, uniqueName('no-streams')])
    expect(described).toMatchObject({ groupId, error: null })
    expect(described!.groupEpoch).toBeGreaterThan(0)
    expect(described!.topology!.subtopologies).toEqual([
      { subtopologyId: '0', sourceTopics: [topic], repartitionSinkTopics: [], stateChangelogTopics: [], repartitionSourceTopics: [] },
    ])
    expect(described!.members).toHaveLength(1)
    expect(described!.members[0]).toMatchObject({ memberId: member.memberId, processId: 'samsa-admin-test-process', clientId: 'samsa-admin-test', isClassic: false })
    const tasks = described!.members[0]!.targetAssignment.activeTasks
    expect(tasks).toEqual([{ subtopologyId: '0', partitions: [0, 1, 2] }])
    expect(missing!.error).toMatchObject({ errorName: 'GROUP_ID_NOT_FOUND' })
    expect((await t.admin.listGroups({ types: ['streams'] })).map((g) => g.groupId)).toContain(groupId)

    await member.leave()
    // Streams groups keep committed offsets like consumer groups: the same requests read and change them.
    await eventually(async () => expect(await t.admin.alterStreamsGroupOffsets(groupId, [{ topic, partition: 1, offset: 2n }])).toEqual([{ topic, partition: 1, error: null }]))
    const [committed] = await t.admin.listStreamsGroupOffsets([groupId])
    expect(committed!.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([[topic, 1, 2n]])
    expect(await t.admin.deleteStreamsGroupOffsets(groupId, [{ topic, partition: 1 }])).toEqual([{ topic, partition: 1, error: null }])
    expect((await t.admin.listStreamsGroupOffsets([groupId]))[0]!.offsets).toEqual([])
    const [deleted] = await eventually(async () => {
      const results = await t.admin.deleteGroups([groupId])
      expect(results[0]!.error).toBeNull()
      return results
    })
    expect(deleted).toEqual({ groupId, error: null })
  })
})
