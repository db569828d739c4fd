/**
 * Fidelity of the group coordinator against another client: KafkaJS 2.2.4 (its own group code: JoinGroup with
 * KIP-394 member ids, its own assignor, SyncGroup, heartbeats, OffsetCommit/OffsetFetch) runs a two-member group
 * through FakeKafka — balanced, every record consumed, and offsets that a later member resumes from.
 */
import { Kafka as KafkaJS, logLevel, type Consumer as KafkaJSConsumer } from 'kafkajs'
import { FakeKafka } from '../../src/testing/index.js'
import { waitFor } from '../helpers/wait.js'

const TOPIC = 'kjs-events'
const PARTITIONS = 6

describe('FakeKafka groups with KafkaJS', () => {
  const problems: string[] = []
  let fake: FakeKafka
  const consumers: KafkaJSConsumer[] = []

  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: TOPIC, partitions: PARTITIONS }], seed: 21, log: (l) => problems.push(l) })
  })
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)))
    await fake.stop()
    expect(problems).toEqual([])
  })

  const kafkajs = () => new KafkaJS({ clientId: 'kjs-group', brokers: fake.brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } })

  async function produce(from: number, count: number): Promise<void> {
    const producer = kafkajs().producer()
    await producer.connect()
    await producer.send({ topic: TOPIC, messages: Array.from({ length: count }, (_, i) => ({ value: `m${from + i}`, partition: (from + i) % PARTITIONS })) })
    await producer.disconnect()
  }

  /** A group member that records what it consumed and its latest assignment. */
  async function member(groupId: string, seen: string[]): Promise<{ consumer: KafkaJSConsumer; assigned: () => number[] }> {
    const consumer = kafkajs().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 200, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 })
    consumers.push(consumer)
    let assigned: number[] = []
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned = (e.payload.memberAssignment[TOPIC] ?? []).slice().sort((a, b) => a - b)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
    return { consumer, assigned: () => assigned }
  }

  it('balances two members, consumes every record, and a later member resumes at the committed offsets', async () => {
    await produce(0, 60)
    const seen: string[] = []
    const a = await member('kjs-g', seen)
    const b = await member('kjs-g', seen)
    await waitFor(() => a.assigned().length === 3 && b.assigned().length === 3 && new Set([...a.assigned(), ...b.assigned()]).size === PARTITIONS, 45_000, 'a balanced group')
    await waitFor(() => new Set(seen).size === 60, 45_000, 'every record consumed')
    const group = fake.services.groups.groups.get('kjs-g')!
    expect(group.type).toBe('classic')
    expect(group.members.size).toBe(2)
    // KafkaJS commits on its interval and when it stops: disconnecting both leaves the offsets at the end.
    await a.consumer.disconnect()
    await b.consumer.disconnect()
    const committed = fake.services.groups.offsets.get('kjs-g')!
    for (let p = 0; p < PARTITIONS; p++) expect(committed.get(`${TOPIC}\u0000${p}`)?.offset).toBe(10n)
    expect(group.members.size).toBe(0)

    await produce(60, 12)
    const later: string[] = []
    await member('kjs-g', later)
    await waitFor(() => later.length >= 12, 45_000, 'the new records')
    // Only what came after the commits: the group resumed, it did not start over.
    expect(later.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${60 + i}`).sort())
  }, 90_000)

  it('describes and lists the group through the KafkaJS admin', async () => {
    const seen: string[] = []
    await produce(0, 6)
    await member('kjs-admin', seen)
    await waitFor(() => seen.length === 6, 45_000, 'records')
    const admin = kafkajs().admin()
    await admin.connect()
    const { groups } = await admin.listGroups()
    expect(groups).toEqual([{ groupId: 'kjs-admin', protocolType: 'consumer' }])
    const described = await admin.describeGroups(['kjs-admin'])
    expect(described.groups[0]).toMatchObject({ groupId: 'kjs-admin', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' })
    expect(described.groups[0]!.members).toHaveLength(1)
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-admin', topics: [TOPIC] })
    expect(offsets[0]!.partitions).toHaveLength(PARTITIONS)
    await admin.disconnect()
  }, 60_000)
})
