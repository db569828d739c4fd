/**
 * The native hooks samsa/kafkajs builds on, tested on samsa's own consumer against the broker: a classic-protocol
 * assignor with its own bytes, the 'group', 'commit' and 'fetch' events, and owned batches (resolve, giveBack,
 * staleness after a seek).
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { Kafka } from '../../src/kafka.js'
import type { Consumer } from '../../src/consumer/consumer.js'
import type { ProtocolAssignor } from '../../src/consumer/assignors.js'
import type { CommitEvent, ConsumerOptions, FetchEvent, GroupEvent } from '../../src/consumer/types.js'
import { brokers, createTopics, uniqueName, waitFor } from './support.js'
import { committedOffsets, produceSpread } from './consumer-support.js'

const open: Array<Consumer<unknown, unknown>> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

function consumer(groupId: string, extra: ConsumerOptions = {}): Consumer<unknown, unknown> {
  const c = new Kafka({ brokers, clientId: 'native-hooks', logger: false }).consumer({
    groupId,
    groupProtocol: 'classic',
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
    heartbeatIntervalMs: 300,
    fetchMaxWaitMs: 100,
    ...extra,
  })
  open.push(c)
  return c
}

describe('native hooks for samsa/kafkajs', () => {
  it('a ProtocolAssignor sends its own metadata, assigns from raw bytes and decodes its own assignment', async () => {
    const topic = uniqueName('hooks-assignor')
    await createTopics([{ topic, numPartitions: 2 }])
    const seen: { metadata: Buffer[]; decoded: Buffer[] } = { metadata: [], decoded: [] }
    const assignor: ProtocolAssignor = {
      name: 'EverythingToMe',
      metadata: (topics) => Buffer.from(JSON.stringify(topics)),
      async assign(members, topics) {
        seen.metadata.push(...members.map((m) => m.metadata))
        return members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(JSON.stringify(topics.flatMap((t) => [`${t}:0`, `${t}:1`]))) }))
      },
      decodeAssignment(bytes) {
        seen.decoded.push(bytes)
        return (JSON.parse(bytes.toString()) as string[]).map((s) => ({ topic: s.slice(0, s.lastIndexOf(':')), partition: Number(s.slice(s.lastIndexOf(':') + 1)) }))
      },
    }
    const groupEvents: GroupEvent[] = []
    const c = consumer(uniqueName('g'), { partitionAssignmentStrategy: [assignor] })
    c.on('group', (e) => groupEvents.push(e))
    await c.subscribe([topic])
    const assigned = await c.waitForAssignment({ minPartitions: 2, timeoutMs: 30_000 })
    expect(assigned.map((tp) => tp.partition).sort()).toEqual([0, 1])
    expect(seen.metadata.map(String)).toEqual([JSON.stringify([topic])])
    expect(seen.decoded.map(String)).toEqual([JSON.stringify([`${topic}:0`, `${topic}:1`])])
    await waitFor(() => groupEvents.some((e) => e.type === 'heartbeat'), 30_000, 'a heartbeat event')
    const joined = groupEvents.find((e) => e.type === 'joined')
    expect(joined).toMatchObject({ type: 'joined', protocol: 'EverythingToMe', generationId: expect.any(Number) })
    expect(joined!.type === 'joined' && joined!.leaderId === joined!.memberId).toBe(true)
  })

  it('owned batches count only what is resolved; giveBack re-delivers; a seek makes them stale', async () => {
    const topic = uniqueName('hooks-owned')
    await createTopics([{ topic }])
    await produceSpread(topic, 6, 1)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    const commits: CommitEvent[] = []
    const fetches: FetchEvent[] = []
    c.on('commit', (e) => commits.push(e))
    c.on('fetch', (e) => fetches.push(e))
    await c.subscribe([topic])
    const first = (await c.nextOwnedBatch())!
    expect(first.batch.messages.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n])
    first.resolve(1n)
    await c.commit()
    expect(await committedOffsets(groupId, topic, 1)).toEqual([2n])
    expect(commits.at(-1)!.offsets).toEqual([expect.objectContaining({ topic, partition: 0, offset: 2n })])
    // Taking the next batch does not count the held one as processed, and giving back re-reads from there.
    first.giveBack(2n)
    const again = (await c.nextOwnedBatch())!
    expect(again.batch.messages.map((m) => m.offset)).toEqual([2n, 3n, 4n, 5n])
    await c.commit()
    expect(await committedOffsets(groupId, topic, 1)).toEqual([2n])
    c.seek({ topic, partition: 0, offset: 0n })
    expect(again.stale()).toBe(true)
    again.resolve(5n)
    await c.commit()
    expect(await committedOffsets(groupId, topic, 1)).toEqual([2n])
    expect(fetches.some((e) => e.type === 'start')).toBe(true)
    expect(fetches.find((e) => e.type === 'done')).toEqual(expect.objectContaining({ type: 'done', nodeId: expect.any(Number), partitions: 1, bytes: expect.any(Number) }))
  })
})
