/**
 * samsa's own producer, consumer (assign, no group) and admin against FakeKafka: the paths an application's tests
 * would exercise, with what the fake stored checked directly.
 */
import { Kafka, type KafkaProtocolError } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'
import { connect } from 'node:net'
import { apis, ApiKeys, decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/index.js'
import { ScramMechanism } from '../../src/network/sasl/index.js'
import { onSizePrefixedFrames, sizePrefixed } from '../helpers/frames.js'

async function readN(kafka: Kafka, topic: string, partition: number, n: number, options: Record<string, unknown> = {}): Promise<Array<{ offset: bigint; key: string | null; value: string | null }>> {
  const consumer = kafka.consumer({ autoOffsetReset: 'earliest', keyDeserializer: 'string', valueDeserializer: 'string', fetchMaxWaitMs: 100, ...options })
  await consumer.assign([{ topic, partition }])
  const out: Array<{ offset: bigint; key: string | null; value: string | null }> = []
  if (n > 0) {
    for await (const m of consumer) {
      out.push({ offset: m.offset, key: m.key as string | null, value: m.value as string | null })
      if (out.length === n) break
    }
  }
  await consumer.close()
  return out
}

describe('FakeKafka with samsa clients', () => {
  const problems: string[] = []
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'orders', partitions: 3 }], seed: 42, log: (l) => problems.push(l) })
    kafka = new Kafka({ brokers: fake.bootstrap, clientId: 'fake-test', logger: false })
  })

  afterEach(async () => {
    await kafka.close()
    await fake.stop()
    expect(problems).toEqual([])
  })

  it.each([0, 1, 'all'] as const)('produces with acks=%s and the records are in the log', async (acks) => {
    const producer = kafka.producer({ acks, idempotent: acks === 'all', lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v1', partition: 1 }, { key: 'k', value: 'v2', partition: 1 }] })
    await producer.flush()
    await producer.close()
    // acks=0 has no answer to wait for: poll the fake until the request has been handled.
    for (let i = 0; i < 100 && fake.records('orders', 1).length < 2; i++) await new Promise((r) => setTimeout(r, 10))
    const records = fake.records('orders', 1)
    expect(records.map((r) => [r.offset, r.value?.toString()])).toEqual([[0n, 'v1'], [1n, 'v2']])
    const producedWithId = records[0]!.producerId >= 0n
    expect(producedWithId).toBe(acks === 'all')
  })

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('round-trips %s batches', async (compression) => {
    const producer = kafka.producer({ compression, lingerMs: 5 })
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-${'x'.repeat(i % 50)}`, partition: 2 }))
    const metas = await producer.send({ topic: 'orders', messages })
    await producer.close()
    expect(metas.map((m) => m.offset)).toEqual(messages.map((_, i) => BigInt(i)))
    const read = await readN(kafka, 'orders', 2, 200)
    expect(read.map((r) => r.value)).toEqual(messages.map((m) => m.value))
  })

  it('keyed records land where the Java partitioner puts them, and a consumer reads them in order', async () => {
    const producer = kafka.producer()
    const metas = await producer.send({ topic: 'orders', messages: Array.from({ length: 30 }, (_, i) => ({ key: `customer-${i % 5}`, value: String(i) })) })
    await producer.close()
    const byKey = new Map<string, number>()
    metas.forEach((m, i) => {
      const key = `customer-${i % 5}`
      expect(byKey.get(key) ?? m.partition).toBe(m.partition)
      byKey.set(key, m.partition)
    })
    for (let p = 0; p < 3; p++) {
      const stored = fake.records('orders', p)
      expect(stored.map((r) => r.offset)).toEqual(stored.map((_, i) => BigInt(i)))
    }
  })

  it('long polls: a waiting consumer gets a record produced later without spinning', async () => {
    const consumer = kafka.consumer({ autoOffsetReset: 'latest', valueDeserializer: 'string', fetchMaxWaitMs: 5000 })
    await consumer.assign([{ topic: 'orders', partition: 0 }])
    expect(await consumer.position({ topic: 'orders', partition: 0 })).toBe(0n)
    const fetchesBefore = fake.requests.filter((r) => r.apiName === 'Fetch').length
    const got = (async () => {
      for await (const m of consumer) return m.value
      return null
    })()
    await new Promise((r) => setTimeout(r, 300))
    const producer = kafka.producer()
    await producer.send({ topic: 'orders', messages: [{ value: 'late', partition: 0 }] })
    await producer.close()
    expect(await got).toBe('late')
    // Without long polling a 300 ms wait at fetchMaxWaitMs 5 s would be one or two fetches, not dozens.
    expect(fake.requests.filter((r) => r.apiName === 'Fetch').length - fetchesBefore).toBeLessThan(10)
    await consumer.close()
  })

  it('lists offsets: earliest, latest, by timestamp, max timestamp', async () => {
    const producer = kafka.producer()
    const now = Date.now()
    await producer.send({
      topic: 'orders',
      messages: [
        { value: 'a', partition: 0, timestamp: now - 30_000 },
        { value: 'b', partition: 0, timestamp: now - 10_000 },
        { value: 'c', partition: 0, timestamp: now - 20_000 },
      ],
    })
    await producer.close()
    const admin = kafka.admin()
    const tp = { topic: 'orders', partition: 0 }
    const results = await admin.listOffsets([
      { ...tp, spec: 'earliest' },
    ])
    expect(results[0]!.offset).toBe(0n)
    expect((await admin.listOffsets([{ ...tp, spec: 'latest' }]))[0]!.offset).toBe(3n)
    expect((await admin.listOffsets([{ ...tp, spec: { timestamp: now - 15_000 } }]))[0]!.offset).toBe(1n)
    expect((await admin.listOffsets([{ ...tp, spec: { timestamp: now + 1000 } }]))[0]!.offset).toBe(-1n)
    const max = (await admin.listOffsets([{ ...tp, spec: 'max-timestamp' }]))[0]!
    expect([max.offset, max.timestamp]).toEqual([1n, now - 10_000])
    await admin.close()
  })

  it('creates, describes, grows and deletes topics with the errors Kafka gives', async () => {
    const admin = kafka.admin()
    const [created, dup, bad] = await admin.createTopics([
      { name: 'invoices', numPartitions: 4, replicationFactor: 2, configs: { 'retention.ms': '1000' } },
      { name: 'orders', numPartitions: 1 },
      { name: 'zero', numPartitions: 0 },
    ])
    expect(created!.error).toBeNull()
    expect(created!.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(created!.configs.find((c) => c.name === 'retention.ms')?.value).toBe('1000')
    expect((dup!.error as KafkaProtocolError).errorName).toBe('TOPIC_ALREADY_EXISTS')
    expect((bad!.error as KafkaProtocolError).errorName).toBe('INVALID_PARTITIONS')
    const [tooMany] = await admin.createTopics([{ name: 'rf', replicationFactor: 4 }])
    expect((tooMany!.error as KafkaProtocolError).errorName).toBe('INVALID_REPLICATION_FACTOR')
    const [validated] = await admin.createTopics([{ name: 'dry', numPartitions: 2 }], { validateOnly: true })
    expect(validated!.error).toBeNull()
    expect(fake.cluster.topics.has('dry')).toBe(false)

    const [desc] = await admin.describeTopics(['invoices'])
    expect(desc!.partitions.map((p) => p.replicas.length)).toEqual([2, 2, 2, 2])
    const [grown] = await admin.createPartitions([{ name: 'invoices', count: 6 }])
    expect(grown!.error).toBeNull()
    const [shrunk] = await admin.createPartitions([{ name: 'invoices', count: 2 }])
    expect((shrunk!.error as KafkaProtocolError).errorName).toBe('INVALID_PARTITIONS')
    expect(fake.cluster.topics.get('invoices')!.partitions.length).toBe(6)

    expect((await admin.listTopics()).map((t) => t.name).sort()).toEqual(['invoices', 'orders'])
    const [deleted, missing] = await admin.deleteTopics(['invoices', 'nope'])
    expect(deleted!.error).toBeNull()
    expect((missing!.error as KafkaProtocolError).errorName).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    const ordersId = fake.cluster.topics.get('orders')!.topicId
    const [byId] = await admin.deleteTopics([{ topicId: ordersId }])
    expect(byId!.error).toBeNull()
    expect(fake.cluster.topics.size).toBe(0)
    await admin.close()
  })

  it('describes and alters topic configs (defaults vs overrides) and shows broker configs', async () => {
    const admin = kafka.admin()
    const [before] = await admin.describeConfigs([{ type: 'topic', name: 'orders' }])
    const retention = before!.configs.find((c) => c.name === 'retention.ms')!
    expect([retention.value, retention.isDefault, retention.source]).toEqual(['604800000', true, 'default'])
    const [altered] = await admin.incrementalAlterConfigs([{ type: 'topic', name: 'orders', set: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } }])
    expect(altered!.error).toBeNull()
    const [appended] = await admin.incrementalAlterConfigs([{ type: 'topic', name: 'orders', append: { 'cleanup.policy': 'delete' } }])
    expect(appended!.error).toBeNull()
    const [after] = await admin.describeConfigs([{ type: 'topic', name: 'orders', keys: ['retention.ms', 'cleanup.policy'] }], { includeSynonyms: true })
    expect(after!.configs.map((c) => [c.name, c.value, c.source])).toEqual([
      ['cleanup.policy', 'compact,delete', 'dynamic-topic'],
      ['retention.ms', '1000', 'dynamic-topic'],
    ])
    const [invalid] = await admin.incrementalAlterConfigs([{ type: 'topic', name: 'orders', set: { 'no.such.config': '1' } }])
    expect((invalid!.error as KafkaProtocolError).errorName).toBe('INVALID_CONFIG')
    const [replaced] = await admin.alterConfigs([{ type: 'topic', name: 'orders', configs: { 'segment.ms': '100000' } }])
    expect(replaced!.error).toBeNull()
    expect([...fake.cluster.topics.get('orders')!.configs]).toEqual([['segment.ms', '100000']])
    const [broker] = await admin.describeConfigs([{ type: 'broker', name: '1' }])
    expect(broker!.configs.find((c) => c.name === 'node.id')?.value).toBe('1')
    await admin.close()
  })

  it('deletes records: the log start moves and consumers start there', async () => {
    const producer = kafka.producer()
    await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 0 })) })
    await producer.close()
    const admin = kafka.admin()
    const [result] = await admin.deleteRecords([{ topic: 'orders', partition: 0, offset: 4n }])
    expect(result!.lowWatermark).toBe(4n)
    const [tooFar] = await admin.deleteRecords([{ topic: 'orders', partition: 0, offset: 99n }])
    expect((tooFar!.error as KafkaProtocolError).errorName).toBe('OFFSET_OUT_OF_RANGE')
    expect((await admin.listOffsets([{ topic: 'orders', partition: 0, spec: 'earliest' }]))[0]!.offset).toBe(4n)
    await admin.close()
    const read = await readN(kafka, 'orders', 0, 6)
    expect(read[0]).toMatchObject({ offset: 4n, value: 'v4' })
  })

  it('describes the cluster: id, controller, brokers', async () => {
    const admin = kafka.admin()
    const cluster = await admin.describeCluster()
    expect(cluster.clusterId).toBe(fake.clusterId)
    expect(cluster.nodes.map((b) => b.nodeId)).toEqual([0, 1, 2])
    expect(cluster.controllerId).toBe(0)
    await admin.close()
  })

  it('auto-creates a topic on first use with the default partition count', async () => {
    const autoKafka = new Kafka({ brokers: fake.bootstrap, allowAutoTopicCreation: true, logger: false })
    const producer = autoKafka.producer()
    const [meta] = await producer.send({ topic: 'fresh', messages: [{ value: 'x' }] })
    await producer.close()
    await autoKafka.close()
    expect(meta!.offset).toBe(0n)
    expect(fake.cluster.topics.get('fresh')!.partitions.length).toBe(1)
  })

  it('records every request for assertions', async () => {
    const admin = kafka.admin()
    await admin.listTopics()
    await admin.close()
    const kinds = new Set(fake.requests.map((r) => r.apiName))
    expect(kinds.has('ApiVersions')).toBe(true)
    expect(kinds.has('Metadata')).toBe(true)
    expect(fake.requests.every((r) => r.clientId === 'fake-test')).toBe(true)
  })
})

describe('FakeKafka with SASL', () => {
  const users = [
    { mechanism: 'PLAIN' as const, username: 'alice', password: 'alice-secret' },
    { mechanism: 'SCRAM-SHA-256' as const, username: 'bob', password: 'bob-secret' },
    { mechanism: 'SCRAM-SHA-512' as const, username: 'carol', password: 'carol-secret' },
  ]
  let fake: FakeKafka
  beforeAll(async () => {
    fake = await FakeKafka.start({ sasl: users, topics: [{ name: 't' }] })
  })
  afterAll(() => fake.stop())

  it.each([
    ['plain', 'alice', 'alice-secret'],
    ['scram-sha-256', 'bob', 'bob-secret'],
    ['scram-sha-512', 'carol', 'carol-secret'],
  ] as const)('authenticates with %s and then produces', async (mechanism, username, password) => {
    const kafka = new Kafka({ brokers: fake.bootstrap, sasl: { mechanism, username, password }, logger: false })
    const producer = kafka.producer()
    const [meta] = await producer.send({ topic: 't', messages: [{ value: mechanism }] })
    expect(meta!.offset).toBeGreaterThanOrEqual(0n)
    await producer.close()
    await kafka.close()
  })

  it.each([
    ['plain', 'alice', 'wrong'],
    ['scram-sha-256', 'bob', 'wrong'],
    ['scram-sha-512', 'mallory', 'carol-secret'],
  ] as const)('refuses %s with a bad password or user', async (mechanism, username, password) => {
    const kafka = new Kafka({ brokers: fake.bootstrap, sasl: { mechanism, username, password }, logger: false })
    const admin = kafka.admin()
    await expect(admin.listTopics({ timeoutMs: 3000 })).rejects.toMatchObject({ name: expect.stringMatching(/Authentication|SASL/i) })
    await admin.close()
    await kafka.close()
  })

  it.each([
    ['PLAIN', 'alice', 'alice-secret'],
    ['SCRAM-SHA-512', 'carol', 'carol-secret'],
  ] as const)('speaks the unframed exchange after SaslHandshake v0 (%s)', async (mechanism, username, password) => {
    const socket = connect(fake.cluster.brokers.get(0)!.port, '127.0.0.1')
    await new Promise((r) => socket.once('connect', r))
    const frames: Buffer[] = []
    const waiters: Array<(f: Buffer) => void> = []
    onSizePrefixedFrames(socket, (f) => (waiters.length > 0 ? waiters.shift()!(f) : frames.push(f)))
    const next = () => new Promise<Buffer>((resolve) => (frames.length > 0 ? resolve(frames.shift()!) : waiters.push(resolve)))
    socket.write(encodeRequestFrame(apis[ApiKeys.SaslHandshake], 0, 1, 'raw', { mechanism }))
    expect(decodeResponseFrame(apis[ApiKeys.SaslHandshake], 0, await next()).body.errorCode).toBe(0)
    const exchange = async (bytes: Buffer) => {
      socket.write(sizePrefixed(bytes))
      return next()
    }
    if (mechanism === 'PLAIN') expect((await exchange(Buffer.from(`\0${username}\0${password}`))).length).toBe(0)
    else await new ScramMechanism('sha512', username, password).authenticate(exchange)
    socket.write(encodeRequestFrame(apis[ApiKeys.Metadata], 12, 2, 'raw', { topics: null }))
    expect(decodeResponseFrame(apis[ApiKeys.Metadata], 12, await next()).body.topics.map((t) => t.name)).toContain('t')
    socket.destroy()
  })

  it('closes a connection that skips authentication', async () => {
    const kafka = new Kafka({ brokers: fake.bootstrap, logger: false, connectTimeoutMs: 1000 })
    const admin = kafka.admin()
    await expect(admin.listTopics({ timeoutMs: 1500 })).rejects.toBeDefined()
    await admin.close()
    await kafka.close()
  })
})
