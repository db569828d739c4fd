/**
 * Fidelity against another client: KafkaJS 2.2.4 (its own protocol code, older API versions) produces, administers
 * and authenticates through FakeKafka, and samsa reads back what it wrote. Keyed records land on the partition
 * Java's murmur2 partitioner (KafkaJS's default since 2.0) picks, as on a real broker. KafkaJS's consumer always
 * joins a group; groups are a later part of FakeKafka, so its consumption is not covered here.
 */
import { Kafka as KafkaJS, logLevel, CompressionTypes } from 'kafkajs'
import { Kafka } from '../../src/index.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import { FakeKafka } from '../../src/testing/index.js'

describe('FakeKafka with KafkaJS', () => {
  const problems: string[] = []
  let fake: FakeKafka
  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'events', partitions: 6 }], seed: 11, log: (l) => problems.push(l) })
  })
  afterEach(async () => {
    await fake.stop()
    // The fake hung up on nobody and no handler failed.
    expect(problems).toEqual([])
  })

  const kafkajs = (extra: Record<string, unknown> = {}) => new KafkaJS({ clientId: 'kjs', brokers: fake.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 }, ...extra })

  it('places keyed records where the Java partitioner does, in order, readable by samsa', async () => {
    const producer = kafkajs().producer()
    await producer.connect()
    const messages = Array.from({ length: 120 }, (_, i) => ({ key: `user-${i % 17}`, value: `event-${i}` }))
    const results = await producer.send({ topic: 'events', messages, acks: -1 })
    await producer.disconnect()
    expect(results.every((r) => r.errorCode === 0)).toBe(true)
    const expectedByPartition = new Map<number, string[]>()
    for (const m of messages) {
      const p = partitionForKey(Buffer.from(m.key), 6)
      expectedByPartition.set(p, [...(expectedByPartition.get(p) ?? []), m.value])
    }
    for (let p = 0; p < 6; p++) {
      expect(fake.records('events', p).map((r) => r.value!.toString())).toEqual(expectedByPartition.get(p) ?? [])
    }
    const kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
    const consumer = kafka.consumer({ autoOffsetReset: 'earliest', valueDeserializer: 'string' })
    const partition = partitionForKey(Buffer.from('user-3'), 6)
    await consumer.assign([{ topic: 'events', partition }])
    const got: string[] = []
    for await (const m of consumer) {
      got.push(m.value as string)
      if (got.length === expectedByPartition.get(partition)!.length) break
    }
    expect(got).toEqual(expectedByPartition.get(partition))
    await consumer.close()
    await kafka.close()
  })

  it('writes gzip batches and idempotent batches (sequence numbers checked by the fake)', async () => {
    const producer = kafkajs().producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'events', compression: CompressionTypes.GZIP, messages: [{ value: `g${i}`, partition: 2 }, { value: `h${i}`, partition: 2 }] })
    }
    await producer.disconnect()
    const stored = fake.records('events', 2)
    expect(stored.map((r) => r.value!.toString())).toEqual(['g0', 'h0', 'g1', 'h1', 'g2', 'h2', 'g3', 'h3', 'g4', 'h4'])
    expect(new Set(stored.map((r) => r.producerId)).size).toBe(1)
    expect(stored[0]!.producerId >= 0n).toBe(true)
  })

  it('administers topics: create, metadata, offsets, configs, delete', async () => {
    const admin = kafkajs().admin()
    await admin.connect()
    expect(await admin.createTopics({ topics: [{ topic: 'audit', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }] })).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic: 'audit' }] })).toBe(false)
    const { topics } = await admin.fetchTopicMetadata({ topics: ['audit'] })
    expect(topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([3, 3])
    const producer = kafkajs().producer()
    await producer.connect()
    await producer.send({ topic: 'audit', messages: [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }] })
    await producer.disconnect()
    const offsets = await admin.fetchTopicOffsets('audit')
    expect(offsets.sort((a, b) => a.partition - b.partition).map((o) => [o.partition, o.high, o.low])).toEqual([[0, '0', '0'], [1, '2', '0']])
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'audit', configNames: ['retention.ms'] }] })
    expect(configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue])).toEqual([['retention.ms', '60000']])
    await admin.deleteTopics({ topics: ['audit'] })
    expect(await admin.listTopics()).toEqual(['events'])
    await admin.disconnect()
  })

  it('authenticates with PLAIN and SCRAM-SHA-256/512 against the fake SASL listener', async () => {
    await fake.stop()
    fake = await FakeKafka.start({
      topics: [{ name: 'events' }],
      sasl: [
        { mechanism: 'PLAIN', username: 'p', password: 'pp' },
        { mechanism: 'SCRAM-SHA-256', username: 's2', password: 'ss2' },
        { mechanism: 'SCRAM-SHA-512', username: 's5', password: 'ss5' },
      ],
    })
    for (const sasl of [
      { mechanism: 'plain', username: 'p', password: 'pp' },
      { mechanism: 'scram-sha-256', username: 's2', password: 'ss2' },
      { mechanism: 'scram-sha-512', username: 's5', password: 'ss5' },
    ]) {
      const producer = kafkajs({ sasl }).producer()
      await producer.connect()
      await producer.send({ topic: 'events', messages: [{ value: sasl.mechanism }] })
      await producer.disconnect()
    }
    expect(fake.records('events', 0).map((r) => r.value!.toString())).toEqual(['plain', 'scram-sha-256', 'scram-sha-512'])
    const bad = kafkajs({ sasl: { mechanism: 'scram-sha-256', username: 's2', password: 'nope' }, retry: { retries: 0 } }).producer()
    await expect(bad.connect()).rejects.toThrow(/SASL|authentication/i)
  })
})
