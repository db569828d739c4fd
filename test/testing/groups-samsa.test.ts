/**
 * samsa's consumer in groups on FakeKafka: classic and KIP-848 groups of three, rebalances when members come and
 * go, offsets that outlive the members, static membership, and a session that expires on a virtual clock.
 */
import { Kafka } from '../../src/index.js'
import { simulateConsumerCrash, type Consumer } from '../../src/consumer/consumer.js'
import { FakeKafka, ManualClock } from '../../src/testing/index.js'
import type { ClassicGroup } from '../../src/testing/groups/coordinator.js'
import { waitFor } from '../helpers/wait.js'

const TOPIC = 'events'
const PARTITIONS = 6

function owned(consumers: Consumer[]): string[] {
  return consumers.flatMap((c) => c.assignment().map((tp) => `${tp.topic}-${tp.partition}`)).sort()
}

const ALL = Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}-${p}`).sort()

describe.each(['classic', 'consumer'] as const)('FakeKafka %s group with samsa consumers', (groupProtocol) => {
  let fake: FakeKafka
  let kafka: Kafka
  const open: Consumer[] = []

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: TOPIC, partitions: PARTITIONS }], seed: 7 })
    fake.services.groups.config.minSessionTimeoutMs = 1000
    fake.services.groups.config.consumerHeartbeatIntervalMs = 200
    kafka = new Kafka({ brokers: fake.bootstrap, clientId: 'groups-test', logger: false })
  })

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)))
    await kafka.close()
    await fake.stop()
  })

  function member(groupId: string, extra: Record<string, unknown> = {}): Consumer {
    const c = kafka.consumer({ groupId, groupProtocol, autoOffsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000, fetchMaxWaitMs: 100, enableAutoCommit: false, ...extra }) as unknown as Consumer
    open.push(c)
    return c
  }

  it('balances three members, rebalances as one leaves, and covers every partition exactly once', async () => {
    const members = [member('g3'), member('g3'), member('g3')]
    for (const m of members) await m.subscribe([TOPIC])
    await waitFor(() => owned(members).join() === ALL.join() && members.every((m) => m.assignment().length === 2), 30_000, 'three members with two partitions each')
    const leaving = members.pop()!
    await leaving.close()
    await waitFor(() => owned(members).join() === ALL.join() && members.every((m) => m.assignment().length === 3), 30_000, 'two members covering all six')
    const group = fake.services.groups.groups.get('g3')!
    expect(group.members.size).toBe(2)
    expect(group.type).toBe(groupProtocol)
  })

  it('keeps committed offsets across member restarts', async () => {
    const producer = kafka.producer()
    for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic: TOPIC, messages: Array.from({ length: 5 }, (_, i) => ({ value: `p${p}-${i}`, partition: p })) })
    await producer.close()
    const first = member('resume')
    await first.subscribe([TOPIC])
    let seen = 0
    for await (const _ of first) if (++seen === 30) break
    const tps = ALL.map((_, partition) => ({ topic: TOPIC, partition }))
    await first.commit({ offsets: tps.map((tp) => ({ ...tp, offset: 5n })) })
    await first.close()
    const second = member('resume')
    await second.subscribe([TOPIC])
    await second.waitForAssignment({ minPartitions: PARTITIONS, timeoutMs: 30_000 })
    const committed = await second.committed(tps)
    expect(committed.map((c) => c.offset)).toEqual(tps.map(() => 5n))
    const offsets = fake.services.groups.offsets.get('resume')!
    expect(offsets.size).toBe(PARTITIONS)
  })
})

describe('FakeKafka group coordinator details', () => {
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: TOPIC, partitions: PARTITIONS }], seed: 11 })
    fake.services.groups.config.minSessionTimeoutMs = 1000
    kafka = new Kafka({ brokers: fake.bootstrap, clientId: 'groups-detail', logger: false })
  })

  afterEach(async () => {
    await kafka.close()
    await fake.stop()
  })

  it('lets a static member rejoin with its assignment and no new generation', async () => {
    const options = { groupId: 'static', groupProtocol: 'classic', groupInstanceId: 'worker-1', autoOffsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000 } as const
    const first = kafka.consumer(options)
    await first.subscribe([TOPIC])
    const before = (await first.waitForAssignment({ minPartitions: PARTITIONS, timeoutMs: 30_000 })).map((tp) => tp.partition).sort()
    const group = fake.services.groups.groups.get('static') as ClassicGroup
    const generation = group.generationId
    await simulateConsumerCrash(first as unknown as Consumer)
    const second = kafka.consumer(options)
    await second.subscribe([TOPIC])
    const after = (await second.waitForAssignment({ minPartitions: PARTITIONS, timeoutMs: 30_000 })).map((tp) => tp.partition).sort()
    expect(after).toEqual(before)
    expect(group.generationId).toBe(generation)
    expect([...group.staticMembers.keys()]).toEqual(['worker-1'])
    await second.close()
  })

  it('expires a crashed member when its session times out on the coordinator clock', async () => {
    const clock = new ManualClock()
    fake.services.groups.useClock(clock)
    const consumer = kafka.consumer({ groupId: 'expiry', groupProtocol: 'classic', autoOffsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000 })
    await consumer.subscribe([TOPIC])
    await consumer.waitForAssignment({ minPartitions: PARTITIONS, timeoutMs: 30_000 })
    const group = fake.services.groups.groups.get('expiry') as ClassicGroup
    expect(group.members.size).toBe(1)
    await simulateConsumerCrash(consumer as unknown as Consumer)
    clock.advance(5999)
    expect(group.members.size).toBe(1)
    clock.advance(1)
    expect(group.members.size).toBe(0)
    expect(group.state).toBe('Empty')
  })

  it('sends group requests to the leader of the group partition and follows it when it moves', async () => {
    const admin = kafka.admin()
    const { broker } = fake.cluster.coordinatorFor('group', 'somewhere')
    const consumer = kafka.consumer({ groupId: 'somewhere', groupProtocol: 'classic', autoOffsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000 })
    await consumer.subscribe([TOPIC])
    await consumer.waitForAssignment({ minPartitions: PARTITIONS, timeoutMs: 30_000 })
    const joins = fake.requests.filter((r) => r.apiName === 'JoinGroup')
    expect(new Set(joins.map((r) => r.broker))).toEqual(new Set([broker]))
    // Moving the coordinator: the member follows it and the group carries on.
    await fake.killBroker(broker)
    const moved = fake.cluster.coordinatorFor('group', 'somewhere').broker
    expect(moved).not.toBe(broker)
    fake.requests.length = 0
    await waitFor(() => fake.requests.some((r) => r.apiName === 'Heartbeat' && r.broker === moved), 30_000, 'a heartbeat to the new coordinator')
    // samsa's admin asks every broker the metadata lists, and the fake still lists a killed one.
    await fake.restartBroker(broker)
    const groups = await admin.listGroups()
    expect(JSON.stringify(groups)).toContain('somewhere')
    await consumer.close()
    await admin.close()
  })
})
