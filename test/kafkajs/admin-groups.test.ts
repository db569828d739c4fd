/**
 * The facade admin's offsets, records and consumer groups on the real broker, compared with KafkaJS's own admin.
 * A KafkaJS consumer provides the running group member (a classic-protocol member, as KafkaJS programs have).
 */
import type { Admin as KafkaJSAdmin, Consumer as KafkaJSConsumer } from 'kafkajs'
import { AssignerProtocol } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'
import { KafkaJSBrokerNotFound, KafkaJSDeleteGroupsError, KafkaJSDeleteTopicRecordsError, KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../src/kafkajs/index.js'
import { joinConsumerGroup, openCluster } from '../integration/admin-support.js'
import { connectAdmins, disconnectAdmins, eventually, failureOf, oracleKafka } from './admin-oracle.js'
import { brokers, uniqueName, waitFor } from './support.js'

let admin: Admin
let oracle: KafkaJSAdmin

beforeAll(async () => ({ admin, oracle } = await connectAdmins()))
afterAll(() => disconnectAdmins(admin, oracle))

/** A topic with `counts[p]` records in partition p, each with a timestamp `start + offset * 1000`. */
async function topicWithRecords(counts: number[], start = Date.now() - 60_000): Promise<string> {
  const topic = uniqueName('records')
  await admin.createTopics({ topics: [{ topic, numPartitions: counts.length }] })
  const producer = oracleKafka().producer()
  await producer.connect()
  try {
    for (const [partition, count] of counts.entries()) {
      const messages = Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition, timestamp: String(start + i * 1000) }))
      if (messages.length > 0) await producer.send({ topic, messages })
    }
  } finally {
    await producer.disconnect()
  }
  return topic
}

describe('kafkajs admin: partition offsets and records', () => {
  it('fetchTopicOffsets and fetchTopicOffsetsByTimestamp answer as KafkaJS', async () => {
    const start = Date.now() - 60_000
    const topic = await topicWithRecords([3, 0], start)
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets).toEqual([
      { partition: 0, offset: '3', high: '3', low: '0' },
      { partition: 1, offset: '0', high: '0', low: '0' },
    ])
    // KafkaJS lists partitions in the order the broker answered; the facade sorts them.
    const byPartition = <T extends { partition: number }>(list: T[]) => list.slice().sort((a, b) => a.partition - b.partition)
    expect(offsets).toEqual(byPartition(await oracle.fetchTopicOffsets(topic)))
    for (const timestamp of [start + 1000, start + 10_000, undefined]) {
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).toEqual(byPartition(await oracle.fetchTopicOffsetsByTimestamp(topic, timestamp)))
    }
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, start + 1000)).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '0' },
    ])

    const failure = await failureOf(() => admin.fetchTopicOffsets(uniqueName('missing')))
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('deleteTopicRecords moves the low watermark; out-of-range offsets and unknown partitions reject as in KafkaJS', async () => {
    const topic = await topicWithRecords([5, 2])
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '-1' }] })
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, offset: '5', high: '5', low: '3' },
      { partition: 1, offset: '2', high: '2', low: '2' },
    ])

    // A refusal that is not retriable comes out of KafkaJS's retrier wrapped, the partitions on the cause.
    let caught: unknown
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '100' }] }).catch((e: unknown) => (caught = e))
    // (KafkaJS's spec says so; its admin here would only answer "Topic metadata not loaded" for a topic it never saw.)
    expect(caught).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(caught).toMatchObject({ name: 'KafkaJSNonRetriableError', message: 'Error while deleting records', retriable: false })
    const outOfRange = (caught as KafkaJSNonRetriableError).cause as KafkaJSDeleteTopicRecordsError
    expect(outOfRange).toBeInstanceOf(KafkaJSDeleteTopicRecordsError)
    expect(outOfRange).toMatchObject({ name: 'KafkaJSDeleteTopicRecordsError', message: 'Error while deleting records', retriable: false })
    expect(outOfRange.partitions).toEqual([{ partition: 0, offset: '100', error: expect.any(KafkaJSProtocolError) }])
    expect(outOfRange.partitions[0]!.error).toMatchObject({ type: 'OFFSET_OUT_OF_RANGE' })

    caught = undefined
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 7, offset: '1' }] }).catch((e: unknown) => (caught = e))
    const noLeader = caught as KafkaJSDeleteTopicRecordsError
    expect(noLeader.partitions).toEqual([{ partition: 7, offset: '1', error: expect.any(KafkaJSBrokerNotFound) }])
    expect(noLeader.partitions[0]!.error).toMatchObject({ message: 'Could not find the leader for the partition', retriable: false })
  })
})

describe('kafkajs admin: group offsets', () => {
  it('setOffsets, resetOffsets and fetchOffsets (with and without topics, resolveOffsets) answer as KafkaJS', async () => {
    const topic = await topicWithRecords([4, 2])
    const groupId = uniqueName('offsets')

    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      {
        topic,
        partitions: [
          { partition: 0, offset: '-1', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
        ],
      },
    ])
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual(await oracle.fetchOffsets({ groupId, topics: [topic] }))

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] })
    const afterSet = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(afterSet[0]!.partitions).toEqual([
      { partition: 0, offset: '3', metadata: null },
      { partition: 1, offset: '-1', metadata: null },
    ])
    expect(afterSet).toEqual(await oracle.fetchOffsets({ groupId, topics: [topic] }))
    expect(await admin.fetchOffsets({ groupId })).toEqual(await oracle.fetchOffsets({ groupId }))

    await admin.resetOffsets({ groupId, topic, earliest: true })
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset)).toEqual(['-2', '-2'])
    await admin.resetOffsets({ groupId, topic, earliest: false })
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset)).toEqual(['-1', '-1'])

    const resolved = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true })
    expect(resolved[0]!.partitions.map((p) => p.offset)).toEqual(['4', '2'])
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual(resolved)
  })

  it('setOffsets refuses bad offsets with KafkaJS messages; a missing topic rejects with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = await topicWithRecords([1])
    const groupId = uniqueName('bad-offsets')
    expect(await failureOf(() => admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '-5' }] }))).toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Offset must not be a negative number',
    })
    expect(await failureOf(() => admin.setOffsets({ groupId, topic, partitions: [] }))).toMatchObject({ message: 'Invalid partitions' })
    const missing = await failureOf(() => admin.setOffsets({ groupId, topic: uniqueName('missing'), partitions: [{ partition: 0, offset: '0' }] }))
    expect(missing).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    const noPartition = await failureOf(() => admin.setOffsets({ groupId, topic, partitions: [{ partition: 5, offset: '0' }] }))
    expect(noPartition).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' })

    // Committed through the admin API: the group exists, without the 'consumer' protocol type a member would give it.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] })
    expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: '' })
  })
})

describe('kafkajs admin: groups', () => {
  let consumer: KafkaJSConsumer | null = null
  afterEach(async () => {
    await consumer?.disconnect()
    consumer = null
  })

  it('lists, describes and deletes a group as KafkaJS; a group with a running member refuses setOffsets and deleteGroups', async () => {
    const topic = await topicWithRecords([1, 1])
    const groupId = uniqueName('group')
    consumer = oracleKafka().consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let consumed = 0
    await consumer.run({
      eachMessage: async () => {
        consumed++
      },
    })
    await waitFor(() => consumed === 2, 30_000, 'the KafkaJS consumer to read both records')

    expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' })
    expect((await admin.listGroups()).groups.sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual(
      (await oracle.listGroups()).groups.sort((a, b) => a.groupId.localeCompare(b.groupId)),
    )

    const missingGroup = uniqueName('no-such-group')
    const described = await eventually(async () => {
      const answer = await admin.describeGroups([groupId, missingGroup])
      expect(answer.groups[0]!.state).toBe('Stable')
      return answer
    })
    // KafkaJS orders groups as its coordinator lookups finish; the facade keeps the order asked for.
    const byId = (d: typeof described) => d.groups.slice().sort((a, b) => a.groupId.localeCompare(b.groupId))
    expect(byId(described)).toEqual(byId(await oracle.describeGroups([groupId, missingGroup])))
    expect(described.groups.map((g) => g.groupId)).toEqual([groupId, missingGroup])
    expect(described.groups[1]).toEqual({ errorCode: 0, groupId: missingGroup, state: 'Dead', protocolType: '', protocol: '', members: [] })
    const [member] = described.groups[0]!.members
    expect(member).toEqual({ memberId: expect.any(String), clientId: 'kafkajs-oracle', clientHost: expect.any(String), memberMetadata: expect.any(Buffer), memberAssignment: expect.any(Buffer) })
    expect(AssignerProtocol.MemberMetadata.decode(member!.memberMetadata)!.topics).toEqual([topic])
    expect(AssignerProtocol.MemberAssignment.decode(member!.memberAssignment)!.assignment).toEqual({ [topic]: [0, 1] })

    expect(await failureOf(() => admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }))).toEqual({
      name: 'KafkaJSNonRetriableError',
      message: 'The consumer group must have no running instances, current state: Stable',
      retriable: false,
    })

    let caught: unknown
    await admin.deleteGroups([groupId]).catch((e: unknown) => (caught = e))
    expect(caught).toBeInstanceOf(KafkaJSDeleteGroupsError)
    const nonEmpty = caught as KafkaJSDeleteGroupsError
    expect(nonEmpty.message).toBe('Error in DeleteGroups')
    expect(nonEmpty.groups).toEqual([{ groupId, errorCode: 68, error: expect.any(KafkaJSProtocolError) }])
    expect(nonEmpty.groups[0]!.error).toMatchObject({ type: 'NON_EMPTY_GROUP' })

    await consumer.disconnect()
    consumer = null
    await eventually(async () => expect((await admin.describeGroups([groupId])).groups[0]!.state).toBe('Empty'))
    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }])

    caught = undefined
    await admin.deleteGroups([groupId]).catch((e: unknown) => (caught = e))
    expect((caught as KafkaJSDeleteGroupsError).groups).toEqual([{ groupId, errorCode: 69, error: expect.objectContaining({ type: 'GROUP_ID_NOT_FOUND' }) }])
  })

  it('describes a KIP-848 group with classic-protocol member bytes that AssignerProtocol decodes', async () => {
    const topic = await topicWithRecords([1])
    const groupId = uniqueName('kip-848')
    const cluster = openCluster(brokers)
    try {
      const { memberId } = await joinConsumerGroup(cluster, groupId, topic)
      const { groups } = await admin.describeGroups([groupId])
      expect(groups).toEqual([
        {
          errorCode: 0,
          groupId,
          state: expect.any(String),
          protocolType: 'consumer',
          protocol: expect.any(String),
          members: [{ memberId, clientId: expect.any(String), clientHost: expect.any(String), memberMetadata: expect.any(Buffer), memberAssignment: expect.any(Buffer) }],
        },
      ])
      const [member] = groups[0]!.members
      expect(AssignerProtocol.MemberMetadata.decode(member!.memberMetadata)).toMatchObject({ version: 0, topics: [topic] })
      expect(AssignerProtocol.MemberAssignment.decode(member!.memberAssignment)).toMatchObject({ version: 0, assignment: expect.any(Object) })
      expect(await failureOf(() => admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }))).toMatchObject({
        name: 'KafkaJSNonRetriableError',
        message: `The consumer group must have no running instances, current state: ${groups[0]!.state}`,
      })
    } finally {
      cluster.close()
    }
  })
})
