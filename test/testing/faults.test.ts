/**
 * Faults on demand against samsa's clients: injected error codes are retried, a silent broker ends in the request
 * timeout, a dropped connection is reopened, and broker kills and leader moves keep an idempotent producer's
 * records exactly once and in order.
 */
import { connect } from 'node:net'
import { Kafka, TimeoutError } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'
import { ErrorCodes } from '../../src/protocol/generated/error-codes.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { encodeRecordBatch } from '../../src/records/index.js'
import { RawKafkaConnection } from '../helpers/raw-kafka-connection.js'

describe('FakeKafka faults', () => {
  const problems: string[] = []
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }], seed: 3, log: (l) => problems.push(l) })
    kafka = new Kafka({ brokers: fake.bootstrap, logger: false, retry: { initialBackoffMs: 10, maxBackoffMs: 50 } })
  })
  afterEach(async () => {
    await kafka.close()
    await fake.stop()
    expect(problems).toEqual([])
  })

  it('an injected retriable error is retried and the send succeeds once', async () => {
    const rule = fake.control({ api: 'Produce', times: 2, action: { errorCode: ErrorCodes.NOT_LEADER_OR_FOLLOWER } })
    const producer = kafka.producer({ retryBackoffMs: 10 })
    const [meta] = await producer.send({ topic: 'orders', messages: [{ value: 'x', partition: 0 }] })
    await producer.close()
    expect(rule.hits).toBe(2)
    expect(meta!.offset).toBe(0n)
    expect(fake.records('orders', 0).map((r) => r.value!.toString())).toEqual(['x'])
  })

  it('an injected non-retriable error reaches the caller with its name', async () => {
    fake.control({ api: 'CreateTopics', action: { errorCode: ErrorCodes.POLICY_VIOLATION } })
    const admin = kafka.admin()
    const [result] = await admin.createTopics([{ name: 'blocked' }])
    expect(result!.error?.errorName).toBe('POLICY_VIOLATION')
    await admin.close()
  })

  it('a silent broker ends in the request timeout', async () => {
    const slow = new Kafka({ brokers: fake.bootstrap, logger: false, requestTimeoutMs: 300, retry: { retries: 0 } })
    fake.control({ api: 'Metadata', action: 'silent' })
    const admin = slow.admin()
    const started = Date.now()
    await expect(admin.listTopics({ timeoutMs: 1500 })).rejects.toBeInstanceOf(TimeoutError)
    expect(Date.now() - started).toBeLessThan(5000)
    await admin.close()
    await slow.close()
  })

  it('a delay holds the answer; a dropped connection is reopened and the call retried', async () => {
    const delayed = fake.control({ api: 'Metadata', times: 1, action: { delayMs: 200 } })
    const admin = kafka.admin()
    const started = Date.now()
    await admin.listTopics()
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(delayed.hits).toBe(1)
    const dropped = fake.control({ api: 'DescribeConfigs', times: 1, action: 'drop' })
    const [configs] = await admin.describeConfigs([{ type: 'topic', name: 'orders' }])
    expect(configs!.error).toBeNull()
    expect(dropped.hits).toBe(1)
    await admin.close()
  })

  it('rules match per broker and retire after `times`; remove() retires early', async () => {
    const onBroker1 = fake.control({ api: 'ListOffsets', broker: 1, action: 'pass' })
    const admin = kafka.admin()
    await admin.listOffsets([0, 1, 2].map((partition) => ({ topic: 'orders', partition, spec: 'latest' as const })))
    const toBroker1 = fake.requests.filter((r) => r.apiName === 'ListOffsets' && r.broker === 1).length
    expect(onBroker1.hits).toBe(toBroker1)
    onBroker1.remove()
    await admin.listOffsets([{ topic: 'orders', partition: 0, spec: 'latest' }])
    expect(onBroker1.hits).toBe(toBroker1)
    await admin.close()
  })

  it('killBroker moves leadership while an idempotent producer keeps writing: nothing lost, nothing duplicated', async () => {
    const producer = kafka.producer({ lingerMs: 2, retryBackoffMs: 20, requestTimeoutMs: 2000, deliveryTimeoutMs: 30_000 })
    const partition0Leader = fake.cluster.partition('orders', 0)!.leader
    const sends: Array<Promise<unknown>> = []
    for (let i = 0; i < 600; i++) {
      sends.push(producer.send({ topic: 'orders', messages: [{ value: `v${i}`, partition: i % 3 }] }))
      if (i === 200) await fake.killBroker(partition0Leader)
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5))
    }
    await Promise.all(sends)
    await producer.close()
    expect(fake.cluster.partition('orders', 0)!.leader).not.toBe(partition0Leader)
    expect(fake.cluster.partition('orders', 0)!.leaderEpoch).toBe(1)
    for (let p = 0; p < 3; p++) {
      const values = fake.records('orders', p).map((r) => Number(r.value!.toString().slice(1)))
      const expected = Array.from({ length: 200 }, (_, i) => i * 3 + p)
      expect(values).toEqual(expected)
    }
    await fake.restartBroker(partition0Leader)
    const admin = kafka.admin()
    const [desc] = await admin.describeTopics(['orders'])
    expect(desc!.partitions[0]!.isr).toContain(partition0Leader)
    await admin.close()
  })

  it('a killed broker refuses connections on its port and accepts them again after restart', async () => {
    const { port } = fake.cluster.brokers.get(2)!
    await fake.killBroker(2)
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => resolve(true))
      s.on('connect', () => {
        s.destroy()
        resolve(false)
      })
    })
    expect(refused).toBe(true)
    // Still registered: Metadata lists it and names it offline; DescribeCluster v2 shows it fenced on request.
    const admin = kafka.admin()
    const [desc] = await admin.describeTopics(['orders'])
    expect(desc!.partitions.every((p) => p.leader !== 2 && p.offlineReplicas.includes(2))).toBe(true)
    expect((await admin.describeCluster()).nodes.map((n) => n.nodeId)).toEqual([0, 1])
    const withFenced = await admin.describeCluster({ includeFencedBrokers: true })
    expect(withFenced.nodes.map((n) => [n.nodeId, n.isFenced])).toEqual([[0, false], [1, false], [2, true]])
    await admin.close()
    await fake.restartBroker(2)
    expect(fake.cluster.brokers.get(2)).toMatchObject({ port, alive: true })
  })

  it('moveLeader: the producer and a consumer follow the new leader under the bumped epoch', async () => {
    const producer = kafka.producer({ retryBackoffMs: 10 })
    await producer.send({ topic: 'orders', messages: [{ value: 'before', partition: 1 }] })
    const consumer = kafka.consumer({ autoOffsetReset: 'earliest', valueDeserializer: 'string', fetchMaxWaitMs: 50 })
    await consumer.assign([{ topic: 'orders', partition: 1 }])
    const seen: string[] = []
    const reading = (async () => {
      for await (const m of consumer) {
        seen.push(m.value as string)
        if (seen.length === 2) break
      }
    })()
    const p = fake.cluster.partition('orders', 1)!
    const from = p.leader
    const to = p.replicas.find((r) => r !== from)!
    fake.moveLeader('orders', 1, to)
    expect([p.leader, p.leaderEpoch]).toEqual([to, 1])
    await producer.send({ topic: 'orders', messages: [{ value: 'after', partition: 1 }] })
    await reading
    expect(seen).toEqual(['before', 'after'])
    expect(fake.records('orders', 1).map((r) => r.leaderEpoch)).toEqual([0, 1])
    await producer.close()
    await consumer.close()
  })

  it('after moveLeader the old leader answers NOT_LEADER_OR_FOLLOWER (naming the new one) and old epochs are fenced', async () => {
    const p = fake.cluster.partition('orders', 2)!
    const from = p.leader
    const to = p.replicas.find((r) => r !== from)!
    fake.moveLeader('orders', 2, to)
    const open = (id: number) => RawKafkaConnection.open({ host: '127.0.0.1', port: fake.cluster.brokers.get(id)!.port }, 'raw')
    const old = await open(from)
    const produced = await old.send(apis[ApiKeys.Produce], 11, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'orders', partitionData: [{ index: 2, records: encodeRecordBatch({ records: [{ value: 'x' }] }) }] }],
    })
    const answer = produced.responses[0]!.partitionResponses[0]!
    expect([answer.errorCode, answer.currentLeader?.leaderId, answer.currentLeader?.leaderEpoch]).toEqual([ErrorCodes.NOT_LEADER_OR_FOLLOWER, to, 1])
    expect(produced.nodeEndpoints?.map((n) => n.nodeId)).toEqual([0, 1, 2])
    old.close()
    const fetchAt = async (id: number, currentLeaderEpoch: number) => {
      const conn = await open(id)
      const res = await conn.send(apis[ApiKeys.Fetch], 12, {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: 'orders', partitions: [{ partition: 2, currentLeaderEpoch, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      })
      conn.close()
      return res.responses[0]!.partitions[0]!.errorCode
    }
    expect(await fetchAt(from, 0)).toBe(ErrorCodes.NOT_LEADER_OR_FOLLOWER)
    expect(await fetchAt(to, 0)).toBe(ErrorCodes.FENCED_LEADER_EPOCH)
    expect(await fetchAt(to, 2)).toBe(ErrorCodes.UNKNOWN_LEADER_EPOCH)
    expect(await fetchAt(to, 1)).toBe(0)
    expect(fake.records('orders', 2)).toEqual([])
  })

  it('setPartitionCount grows a topic that clients then see', async () => {
    fake.setPartitionCount('orders', 5)
    const admin = kafka.admin()
    const [desc] = await admin.describeTopics(['orders'])
    expect(desc!.partitions.length).toBe(5)
    await admin.close()
    const producer = kafka.producer()
    const [meta] = await producer.send({ topic: 'orders', messages: [{ value: 'p4', partition: 4 }] })
    expect(meta!.partition).toBe(4)
    await producer.close()
  })
})
