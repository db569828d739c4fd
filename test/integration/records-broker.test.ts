/**
 * samsa/records against a real broker (KAFKA_BROKERS, started by the jest global setup): batches of every codec go
 * out in raw Produce requests and come back through Fetch, over a bare socket, so only the record codec (plus the
 * generated Produce/Fetch codecs and frame.ts) is exercised. Also checks what the broker itself rewrites: a topic
 * with compression.type=gzip recompresses our batches, and a LogAppendTime topic restamps them.
 */
import { ApiKeys, apis, errorName } from '../../src/protocol/index.js'
import { firstBroker, RawKafkaConnection } from '../helpers/raw-kafka-connection.js'
import { decodeRecordBatches, encodeRecordBatch, type CompressionCodec, type RecordInput } from '../../src/records/index.js'

const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const T0 = Date.now() - 60_000
let connection: RawKafkaConnection
const versions = new Map<number, number>()

function version(apiKey: number): number {
  const broker = versions.get(apiKey)
  if (broker === undefined) throw new Error(`broker lacks API ${apiKey}`)
  return Math.min(broker, apis[apiKey]!.highestVersion())
}

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<string> {
  const api = apis[ApiKeys.CreateTopics]
  const response = await connection.send(api, version(ApiKeys.CreateTopics), {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 30_000,
  })
  const [created] = response.topics
  expect(errorName(created!.errorCode)).toBe('NONE')
  return created!.topicId!
}

/** Produce v13 addresses topics by id, earlier versions by name: fill both, the codec writes what the version has. */
async function produce(topic: string, topicId: string, records: Buffer): Promise<bigint> {
  const api = apis[ApiKeys.Produce]
  // A topic created a moment ago may not have its leader in place yet on the broker that answers: wait that out
  // (these retriable errors only), the rest must be NONE.
  for (let attempt = 0; ; attempt++) {
    const response = await connection.send(api, version(ApiKeys.Produce), {
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, topicId, partitionData: [{ index: 0, records }] }],
    })
    const partition = response.responses[0]!.partitionResponses[0]!
    const name = errorName(partition.errorCode)
    if (attempt < 50 && (name === 'NOT_LEADER_OR_FOLLOWER' || name === 'LEADER_NOT_AVAILABLE' || name === 'UNKNOWN_TOPIC_OR_PARTITION' || name === 'UNKNOWN_TOPIC_ID')) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      continue
    }
    expect(name).toBe('NONE')
    return partition.baseOffset
  }
}

async function fetchRecords(topic: string, topicId: string, fetchOffset: bigint, partitionMaxBytes = 8 * 1024 * 1024): Promise<Buffer> {
  const api = apis[ApiKeys.Fetch]
  const response = await connection.send(api, version(ApiKeys.Fetch), {
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 64 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes }] }],
  })
  const partition = response.responses[0]!.partitions[0]!
  expect(errorName(partition.errorCode)).toBe('NONE')
  return partition.records ?? Buffer.alloc(0)
}

function sampleRecords(label: string, count: number): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 4 === 0 ? null : `${label}-key-${i}`,
    value: i % 11 === 5 ? null : Buffer.from(`${label} value ${i} `.repeat(1 + (i % 40))),
    headers: [
      ['codec', label],
      ['dup', `${i}`],
      ['dup', null],
    ],
    timestamp: T0 + i,
  }))
}

function expectSameRecords(decoded: ReturnType<typeof decodeRecordBatches>['batches'][number]['records'], input: RecordInput[], baseOffset: bigint) {
  expect(decoded.map((r) => r.offset)).toEqual(input.map((_, i) => baseOffset + BigInt(i)))
  expect(decoded.map((r) => r.key)).toEqual(input.map((r) => (r.key === null || r.key === undefined ? null : Buffer.from(r.key))))
  expect(decoded.map((r) => r.value)).toEqual(input.map((r) => (r.value === null ? null : Buffer.from(r.value))))
  expect(decoded.map((r) => r.headers)).toEqual(
    input.map((r) => (r.headers as Array<[string, string | null]>).map(([k, v]) => [k, v === null ? null : Buffer.from(v)])),
  )
}

beforeAll(async () => {
  connection = await RawKafkaConnection.open(firstBroker(), 'samsa-records-test')
  const api = apis[ApiKeys.ApiVersions]
  const response = await connection.send(api, api.highestVersion(), { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' })
  for (const k of response.apiKeys) versions.set(k.apiKey, k.maxVersion)
})

afterAll(() => connection?.close())

describe('record batches through a real broker', () => {
  test('every codec produces and fetches back unchanged, the broker keeping the producer codec', async () => {
    const topic = `records-broker-${process.pid}-${Date.now()}`
    const topicId = await createTopic(topic)
    const sent: Array<{ codec: CompressionCodec; base: bigint; records: RecordInput[] }> = []
    for (const codec of CODECS) {
      const records = sampleRecords(codec, 150)
      const base = await produce(topic, topicId, encodeRecordBatch({ records, compression: codec }))
      sent.push({ codec, base, records })
    }
    const { batches, incomplete } = decodeRecordBatches(await fetchRecords(topic, topicId, 0n))
    expect(incomplete).toBe(false)
    expect(batches.map((b) => b.compression)).toEqual(CODECS)
    batches.forEach((batch, i) => {
      expect(batch.baseOffset).toBe(sent[i]!.base)
      expect(batch.timestampType).toBe('create')
      expect(batch.records.map((r) => r.timestamp)).toEqual(sent[i]!.records.map((r) => BigInt(r.timestamp as number)))
      expectSameRecords(batch.records, sent[i]!.records, sent[i]!.base)
    })
  })

  test('a gzip topic recompresses every codec, and samsa reads what the broker wrote', async () => {
    const topic = `records-broker-gzip-${process.pid}-${Date.now()}`
    const topicId = await createTopic(topic, { 'compression.type': 'gzip' })
    const sent: RecordInput[][] = []
    for (const codec of CODECS) {
      const records = sampleRecords(`re-${codec}`, 40)
      await produce(topic, topicId, encodeRecordBatch({ records, compression: codec }))
      sent.push(records)
    }
    const { batches } = decodeRecordBatches(await fetchRecords(topic, topicId, 0n))
    expect(batches.map((b) => b.compression)).toEqual(CODECS.map(() => 'gzip'))
    batches.forEach((batch, i) => expectSameRecords(batch.records, sent[i]!, BigInt(i * 40)))
  })

  test('a LogAppendTime topic restamps batches and samsa reports the broker time', async () => {
    const topic = `records-broker-lat-${process.pid}-${Date.now()}`
    const topicId = await createTopic(topic, { 'message.timestamp.type': 'LogAppendTime' })
    const before = BigInt(Date.now())
    await produce(topic, topicId, encodeRecordBatch({ records: sampleRecords('lat', 10), compression: 'lz4' }))
    const [batch] = decodeRecordBatches(await fetchRecords(topic, topicId, 0n)).batches
    expect(batch!.timestampType).toBe('log-append')
    expect(batch!.maxTimestamp).toBeGreaterThanOrEqual(before - 5000n) // broker clock, same machine
    expect(new Set(batch!.records.map((r) => r.timestamp))).toEqual(new Set([batch!.maxTimestamp]))
  })

  test('a fetch cut short by partitionMaxBytes ends in a partial batch, reported as incomplete', async () => {
    const topic = `records-broker-partial-${process.pid}-${Date.now()}`
    const topicId = await createTopic(topic)
    const sizes: number[] = []
    for (let i = 0; i < 3; i++) {
      const batch = encodeRecordBatch({ records: sampleRecords(`p${i}`, 30) })
      sizes.push(batch.length)
      await produce(topic, topicId, batch)
    }
    const cut = sizes[0]! + 100
    const payload = await fetchRecords(topic, topicId, 0n, cut)
    const result = decodeRecordBatches(payload)
    expect(result.batches.map((b) => b.baseOffset)).toEqual([0n])
    expect(result.bytesConsumed).toBe(sizes[0])
    // The broker may send the cut-off bytes of the next batch or stop at the batch boundary; both are legal.
    expect(result.incomplete).toBe(payload.length > sizes[0]!)
  })
})
