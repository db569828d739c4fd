/** The consumer's instrumentation events and their KafkaJS payloads, on the real broker. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { AssignerProtocol, type Consumer, type PartitionAssigner } from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { produceSpread } from './consumer-support.js'

const open: Consumer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.disconnect()))
})

describe('consumer events', () => {
  it('reports the run: connect, join, heartbeats, fetches, batches, commits, stop, disconnect', async () => {
    const topic = uniqueName('events')
    await createTopics([{ topic }])
    const groupId = uniqueName('g')
    const c = newKafka().consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 300 })
    const events: Array<{ type: string; payload: unknown; id: unknown; timestamp: number }> = []
    for (const name of ['CONNECT', 'GROUP_JOIN', 'HEARTBEAT', 'FETCH_START', 'FETCH', 'START_BATCH_PROCESS', 'END_BATCH_PROCESS', 'COMMIT_OFFSETS', 'STOP', 'DISCONNECT', 'REQUEST'] as const) {
      c.on(c.events[name], (e) => events.push(e))
    }
    const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Record<string, unknown>)
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    await c.run({ eachMessage: async () => {} })
    await produceSpread(topic, 3, 1)
    await waitFor(() => of('consumer.commit_offsets').length > 0 && of('consumer.heartbeat').length > 0, 30_000, 'a commit and a heartbeat')
    await c.disconnect()

    expect(of('consumer.connect')).toEqual([null, null])
    const [join] = of('consumer.group_join')
    expect(join).toEqual({
      groupId,
      memberId: expect.any(String),
      leaderId: join!.memberId,
      isLeader: true,
      memberAssignment: { [topic]: [0] },
      groupProtocol: 'RoundRobinAssigner',
      duration: expect.any(Number),
    })
    expect(of('consumer.heartbeat')[0]).toEqual({ groupId, memberId: join!.memberId, groupGenerationId: expect.any(Number) })
    // Broker ids and partitions as strings: KafkaJS's runtime values (its declarations say number).
    expect(of('consumer.fetch_start')[0]).toEqual({ nodeId: expect.any(String) })
    expect(of('consumer.fetch')[0]).toEqual({ numberOfBatches: expect.any(Number), duration: expect.any(Number), nodeId: expect.any(String) })
    const [start] = of('consumer.start_batch_process')
    expect(start).toEqual({ topic, partition: 0, highWatermark: '3', offsetLag: expect.any(String), offsetLagLow: '2', batchSize: expect.any(Number), firstOffset: '0', lastOffset: expect.any(String) })
    expect(of('consumer.end_batch_process')[0]).toEqual({ ...start, duration: expect.any(Number) })
    expect(of('consumer.commit_offsets').at(-1)).toEqual({ groupId, memberId: join!.memberId, groupGenerationId: expect.any(Number), topics: [{ topic, partitions: [{ partition: '0', offset: '3' }] }] })
    expect(of('consumer.stop')).toEqual([null])
    expect(of('consumer.disconnect')).toEqual([null])
    // This consumer's own requests, with KafkaJS's request payload.
    const requested = new Set(of('consumer.network.request').map((r) => r.apiName))
    for (const api of ['Metadata', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'Fetch', 'OffsetCommit']) expect(requested).toContain(api)
    expect(of('consumer.network.request').find((r) => r.apiName === 'Fetch')).toEqual({
      broker: expect.any(String),
      clientId: 'samsa-kafkajs-test',
      correlationId: expect.any(Number),
      size: expect.any(Number),
      createdAt: expect.any(Number),
      sentAt: expect.any(Number),
      pendingDuration: expect.any(Number),
      duration: expect.any(Number),
      apiName: 'Fetch',
      apiKey: 1,
      apiVersion: expect.any(Number),
    })
    expect(events.every((e) => typeof e.timestamp === 'number' && e.id !== undefined)).toBe(true)
  })

  it('rejects unknown event names with KafkaJS’s message, and a remover stops a listener', async () => {
    const c = newKafka().consumer({ groupId: uniqueName('g') })
    expect(() => c.on('consumer.nope' as never, () => {})).toThrow(/^Event name should be one of consumer\.events\.HEARTBEAT, consumer\.events\.COMMIT_OFFSETS/)
    let connects = 0
    const remove = c.on(c.events.CONNECT, () => void connects++)
    await c.connect()
    remove()
    await c.connect()
    await c.disconnect()
    expect(connects).toBe(1)
  })

  it('reports RECEIVED_UNSUBSCRIBED_TOPICS and leaves those topics alone', async () => {
    const topic = uniqueName('subscribed')
    const extra = uniqueName('extra')
    await createTopics([{ topic }, { topic: extra }])
    await produceSpread(extra, 2, 1)
    const greedy: PartitionAssigner = () => ({
      name: 'GreedyAssigner',
      version: 0,
      protocol: ({ topics }) => ({ name: 'GreedyAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
      assign: async ({ members }) =>
        members.map((m) => ({
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { [topic]: [0], [extra]: [0] }, userData: Buffer.alloc(0) }),
        })),
    })
    const groupId = uniqueName('g')
    const c = newKafka().consumer({ groupId, partitionAssigners: [greedy], maxWaitTimeInMs: 100 })
    open.push(c)
    const reports: unknown[] = []
    let joined: Record<string, number[]> | null = null
    c.on(c.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => reports.push(e.payload))
    c.on(c.events.GROUP_JOIN, (e) => (joined = e.payload.memberAssignment))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seenTopics = new Set<string>()
    await c.run({ eachMessage: async ({ topic: t }) => void seenTopics.add(t) })
    await waitFor(() => joined !== null, 30_000, 'the join')
    expect(reports).toEqual([
      { groupId, generationId: expect.any(Number), memberId: expect.any(String), assignedTopics: [topic, extra], topicsSubscribed: [topic], topicsNotSubscribed: [extra] },
    ])
    expect(joined).toEqual({ [topic]: [0] })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(seenTopics.has(extra)).toBe(false)
  })
})
