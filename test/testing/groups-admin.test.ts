/**
 * samsa's admin client over the group coordinator of FakeKafka: listing and describing classic and KIP-848
 * groups, offsets of an empty group, the refusals Kafka gives (offsets of a subscribed topic, a non-empty group),
 * and removing a static member.
 */
import { Kafka } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'

describe('FakeKafka groups through samsa admin', () => {
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'a', partitions: 2 }], seed: 1 })
    fake.services.groups.config.minSessionTimeoutMs = 1000
    kafka = new Kafka({ brokers: fake.bootstrap, clientId: 'admin-test', logger: false })
  })
  afterEach(async () => {
    await kafka.close()
    await fake.stop()
  })

  it('lists, describes, alters, deletes and removes as Kafka answers', async () => {
    const modern = kafka.consumer({ groupId: 'g-new', groupProtocol: 'consumer', autoOffsetReset: 'earliest' })
    const classic = kafka.consumer({ groupId: 'g-old', groupProtocol: 'classic', groupInstanceId: 'inst', autoOffsetReset: 'earliest', sessionTimeoutMs: 6000, heartbeatIntervalMs: 200 })
    await modern.subscribe(['a'])
    await classic.subscribe(['a'])
    await modern.waitForAssignment({ minPartitions: 2, timeoutMs: 30_000 })
    await classic.waitForAssignment({ minPartitions: 2, timeoutMs: 30_000 })
    const admin = kafka.admin()

    const listed = await admin.listGroups()
    expect(listed.map((g) => [g.groupId, g.type, g.state]).sort()).toEqual([['g-new', 'consumer', 'Stable'], ['g-old', 'classic', 'Stable']])
    const described = await admin.describeConsumerGroups(['g-new', 'g-old'])
    expect(described[0]).toMatchObject({ groupId: 'g-new', type: 'consumer', state: 'Stable', assignor: 'uniform', members: [{ clientId: 'admin-test', assignment: [{ topic: 'a', partitions: [0, 1] }] }] })
    expect(described[1]).toMatchObject({ groupId: 'g-old', type: 'classic', state: 'Stable', assignor: 'range', members: [{ groupInstanceId: 'inst', assignment: [{ topic: 'a', partitions: [0, 1] }] }] })

    expect((await admin.alterConsumerGroupOffsets('g-empty', [{ topic: 'a', partition: 0, offset: 3n }]))[0]!.error).toBeNull()
    const offsets = await admin.listConsumerGroupOffsets(['g-empty'])
    expect(offsets[0]!.offsets).toMatchObject([{ topic: 'a', partition: 0, offset: 3n }])
    const subscribed = await admin.deleteConsumerGroupOffsets('g-old', [{ topic: 'a', partition: 0 }])
    expect(subscribed[0]!.error?.errorName).toBe('GROUP_SUBSCRIBED_TO_TOPIC')

    const removed = await admin.removeMembersFromConsumerGroup('g-old', [{ groupInstanceId: 'inst' }])
    expect(removed[0]!.error).toBeNull()
    expect(fake.services.groups.groups.get('g-old')!.members.size).toBe(0)

    const deleted = await admin.deleteGroups(['g-new', 'g-empty', 'nope'])
    expect(deleted.map((d) => d.error?.errorName ?? null)).toEqual(['NON_EMPTY_GROUP', null, 'GROUP_ID_NOT_FOUND'])
    expect(fake.services.groups.offsets.has('g-empty')).toBe(false)

    await modern.close()
    await classic.close()
    await admin.close()
  }, 60_000)
})
