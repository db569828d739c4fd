/**
 * The producer against the Java client (kafka-clients at the pinned KAFKA_VERSION, the broker's release): what samsa
 * writes is read back by the Java consumer (test/java/clients/VerifyingConsumer.java) and must be exactly what was
 * sent — bytes, headers, timestamps — for every codec; transactions are honoured by a read_committed Java reader;
 * and keyed placement is the Java producer's, checked key by key against Java's own partitioner.
 */
import { createHash } from 'node:crypto'

import { Kafka } from '../../src/kafka.js'
import type { Admin } from '../../src/admin/admin.js'
import type { Producer, ProducerMessage, RecordMetadata } from '../../src/producer/producer.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { decodeRecordBatches, type CompressionCodec } from '../../src/records/index.js'
import { JavaClientReference, type JavaConsumedRecord, javaClientsClasspath, readTopicWithJava } from '../helpers/java-clients.js'
import { testBrokers } from '../helpers/kafka.js'
import { seededBytes } from '../helpers/raw-records.js'

const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `${process.pid}-${Date.now()}`
const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

let kafka: Kafka
let admin: Admin

beforeAll(() => {
  javaClientsClasspath() // compile once up front so the first test's time is not spent in javac
  kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-producer-interop', logger: false })
  admin = kafka.admin()
}, 10 * 60_000)

afterAll(async () => {
  await admin?.close()
  await kafka?.close()
})

async function createTopic(name: string, numPartitions: number): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions, replicationFactor: 1 }])
  if (result!.error) throw result!.error
  await kafka.cluster.topics([name])
}

function asBuffer(data: Buffer | string | null | undefined): Buffer | null {
  if (data === undefined || data === null) return null
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

function headerList(message: ProducerMessage): Array<[string, Buffer | null]> {
  const headers = message.headers ?? []
  const pairs = (Array.isArray(headers) ? headers : Object.entries(headers)) as Array<[string, Buffer | string | null]>
  return pairs.map(([key, value]) => [key, asBuffer(value)])
}

/** Shows bytes so that a mismatch says what differs: utf8 when printable, hex otherwise, null as null. */
function show(bytes: Buffer | null): string | null {
  if (bytes === null) return null
  const text = bytes.toString('utf8')
  return Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u001f]/.test(text) ? `utf8:${text}` : `hex:${bytes.toString('hex')}`
}

function comparable(record: { key: Buffer | null; value: Buffer | null; headers: Array<[string, Buffer | null]>; timestamp: number }) {
  return {
    key: show(record.key),
    value: record.value === null ? null : record.value.length > 200 ? `sha256:${createHash('sha256').update(record.value).digest('hex')}/${record.value.length}` : show(record.value),
    headers: record.headers.map(([k, v]) => [k, show(v)]),
    timestamp: record.timestamp,
  }
}

/** Messages covering the awkward cases: null and empty values, unicode, binary keys, ordered/duplicate/null headers. */
function interopMessages(count: number, seed: number): ProducerMessage[] {
  const random = seededBytes(seed)
  const T0 = 1_600_000_000_000
  const messages: ProducerMessage[] = [
    { key: 'null-value', value: null, timestamp: T0 },
    { key: 'empty-value', value: Buffer.alloc(0), timestamp: T0 + 1 },
    { key: null, value: 'no key', timestamp: T0 + 2 },
    { key: Buffer.alloc(0), value: 'empty key', timestamp: T0 + 3 },
    { key: 'ключ-🔑', value: 'héllo wörld — 日本語 — 🚀🚀 — \u0000 nul inside', timestamp: T0 + 4 },
    {
      key: 'headers',
      value: 'with headers',
      headers: [
        ['b', 'second letter first'],
        ['a', 'one'],
        ['a', 'two'],
        ['a', null],
        ['empty', Buffer.alloc(0)],
        ['ümlaut-ключ-🔑', Buffer.from([0, 255, 1, 254])],
      ],
      timestamp: T0 + 5,
    },
    { key: 'object-headers', value: 'headers as an object', headers: { first: 'x', second: null, third: 'z' }, timestamp: T0 + 6 },
    { key: 'big', value: Buffer.concat([Buffer.alloc(20_000, 'compressible '), random(2000)]), timestamp: T0 + 7 },
    // Timestamps need not increase within a batch; the Java reader must still see each one as written.
    { key: 'older', value: 'older timestamp', timestamp: T0 - 86_400_000 },
    { key: 'bigint-timestamp', value: 'timestamp as bigint', timestamp: BigInt(T0 + 8) },
  ]
  for (let i = messages.length; i < count; i++) {
    const keyLength = i % 7 === 0 ? 0 : 1 + (i % 40)
    messages.push({
      key: i % 5 === 0 ? `string-key-${i}` : random(keyLength),
      value: i % 11 === 0 ? null : i % 3 === 0 ? `value ${i} `.repeat(1 + (i % 30)) : random(i % 300),
      headers: i % 4 === 0 ? [['n', String(i)], ['n', String(i * 2)], ['z', null]] : undefined,
      timestamp: T0 + 1000 + i,
    })
  }
  return messages
}

/** Pairs what was sent with what Java read, by (partition, offset) from the producer's acknowledgements. */
function expectJavaReadsExactly(sent: ProducerMessage[], acks: RecordMetadata[], read: JavaConsumedRecord[]): void {
  expect(read).toHaveLength(sent.length)
  const byPosition = new Map(read.map((r) => [`${r.partition}@${r.offset}`, r]))
  sent.forEach((message, i) => {
    const ack = acks[i]!
    const found = byPosition.get(`${ack.partition}@${ack.offset}`)
    if (!found) throw new Error(`record ${i} (acknowledged at ${ack.partition}@${ack.offset}) is not in the Java read`)
    const expected = {
      key: asBuffer(message.key),
      value: asBuffer(message.value),
      headers: headerList(message),
      timestamp: Number(message.timestamp),
    }
    expect({ index: i, ...comparable(found) }).toEqual({ index: i, ...comparable(expected) })
    expect(found.timestampType).toBe('CreateTime')
  })
}

/** The compression codec of every stored batch, read with a raw Fetch (the Java consumer does not expose it). */
async function storedCodecs(topic: string, partitions: number): Promise<Set<string>> {
  const [info] = await kafka.cluster.topics([topic])
  const codecs = new Set<string>()
  for (let partition = 0; partition < partitions; partition++) {
    // A fetch that races the broker's own bookkeeping can come back empty once (seen under load in parallel runs):
    // ask again, briefly, rather than conclude nothing is stored.
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await kafka.cluster.send({ kind: 'leader', topic, partition }, apis[ApiKeys.Fetch], {
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 50_000_000,
        isolationLevel: 0,
        topics: [{ topic, topicId: info!.topicId, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 50_000_000 }] }],
      }, { purpose: 'fetch' })
      const result = response.responses?.[0]?.partitions?.[0]
      expect(result?.errorCode ?? -1).toBe(0)
      const batches = decodeRecordBatches(result?.records ?? Buffer.alloc(0)).batches
      for (const batch of batches) codecs.add(batch.compression)
      if (batches.length > 0 || (result?.highWatermark ?? 0n) === 0n) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return codecs
}

describe('Java consumer reads what samsa produced', () => {
  it.each(CODECS)('byte for byte, with headers and timestamps, compressed with %s', async (compression) => {
    const topic = `interop-${compression}-${RUN}`
    await createTopic(topic, 3)
    const producer = kafka.producer({ compression, lingerMs: 20 })
    try {
      const messages = interopMessages(400, 7 + CODECS.indexOf(compression))
      const acks = await producer.send({ topic, messages })
      const read = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_uncommitted' })
      const stored = new Map<number, bigint>()
      for (const ack of acks) stored.set(ack.partition, (stored.get(ack.partition) ?? 0n) + 1n)
      // Everything acknowledged must be below the end offsets Java saw (acks 'all' means the high watermark moved).
      expect([...read.endOffsets].sort()).toEqual([0, 1, 2].map((p) => [p, stored.get(p) ?? 0n]))
      if (read.records.length !== messages.length) throw new Error(`Java read ${read.records.length} of ${messages.length} records:\n${read.stderr}`)
      expectJavaReadsExactly(messages, acks, read.records)
      expect([...(await storedCodecs(topic, 3))]).toEqual([compression])
      // Java sees keyed records where the Java producer would have put them.
      for (const [i, message] of messages.entries()) {
        const key = asBuffer(message.key)
        if (key !== null) expect({ i, partition: acks[i]!.partition }).toEqual({ i, partition: partitionForKey(key, 3) })
      }
    } finally {
      await producer.close()
    }
  }, 180_000)
})

describe('transactions, as a Java read_committed consumer sees them', () => {
  const value = (tag: string, i: number) => `${tag}-${i}`
  const values = (records: JavaConsumedRecord[]) => records.map((r) => r.value!.toString())

  it('shows committed records only; read_uncommitted shows aborted ones too; offsets commit with the transaction', async () => {
    const topic = `interop-txn-${RUN}`
    const groupId = `interop-txn-group-${RUN}`
    const sourceTopic = `interop-txn-source-${RUN}`
    await createTopic(topic, 3)
    await createTopic(sourceTopic, 2)
    const producer = kafka.producer({ transactionalId: `interop-txn-${RUN}`, lingerMs: 2 })
    let unsentOutcome: unknown = 'pending'
    const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `${tag}-key-${i % 5}`, value: value(tag, i) }))
    try {
      await producer.initTransactions()

      producer.beginTransaction()
      await producer.send({ topic, messages: batch('committed-a', 30) })
      await producer.sendOffsetsToTransaction(
        [
          { topic: sourceTopic, partition: 0, offset: 42n },
          { topic: sourceTopic, partition: 1, offset: 7n, metadata: 'from samsa' },
        ],
        { groupId },
      )
      await producer.commitTransaction()

      producer.beginTransaction()
      await producer.send({ topic, messages: batch('aborted-a', 25) })
      // Offsets sent in an aborted transaction must not move the group's committed position.
      await producer.sendOffsetsToTransaction([{ topic: sourceTopic, partition: 0, offset: 1000n }], { groupId })
      await producer.abortTransaction()

      await producer.transaction(async (t) => {
        await t.send({ topic, messages: batch('committed-b', 20) })
      })

      const failure = new Error('application failure inside the transaction')
      await expect(
        producer.transaction(async (t) => {
          await t.send({ topic, messages: batch('aborted-b', 15) })
          throw failure
        }),
      ).rejects.toBe(failure)

      // A send() not yet appended when abortTransaction() is called fails and is never written (appended later,
      // it would go out after the abort under an epoch the coordinator has moved past).
      producer.beginTransaction()
      const unsent = producer.send({ topic, messages: batch('aborted-unsent', 10) }).then(
        () => 'acknowledged',
        (error: Error) => `failed: ${error.name}`,
      )
      await producer.abortTransaction()
      unsentOutcome = await unsent

      await producer.transaction(async (t) => {
        await t.send({ topic, messages: batch('committed-c', 5) })
      })
    } finally {
      await producer.close()
    }

    const committed = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_committed' })
    const committedValues = values(committed.records)
    const expectedCommitted = [...batch('committed-a', 30), ...batch('committed-b', 20), ...batch('committed-c', 5)].map((m) => m.value)
    expect([...committedValues].sort()).toEqual([...expectedCommitted].sort())
    expect(committedValues.filter((v) => v.startsWith('aborted'))).toEqual([])

    const uncommitted = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_uncommitted' })
    const uncommittedValues = values(uncommitted.records)
    const expectedAll = [...expectedCommitted, ...batch('aborted-a', 25).map((m) => m.value), ...batch('aborted-b', 15).map((m) => m.value)]
    expect(unsentOutcome).toBe('failed: TransactionError')
    expect([...uncommittedValues].sort()).toEqual([...expectedAll].sort())

    // Per partition, each transaction's records keep the order they were sent in.
    for (const tag of ['committed-a', 'committed-b', 'committed-c']) {
      for (let partition = 0; partition < 3; partition++) {
        const seen = committed.records.filter((r) => r.partition === partition && r.value!.toString().startsWith(`${tag}-`))
        const order = seen.map((r) => Number(r.value!.toString().slice(tag.length + 1)))
        expect(order).toEqual([...order].sort((a, b) => a - b))
      }
    }

    const [offsets] = await admin.listConsumerGroupOffsets([{ groupId, partitions: [{ topic: sourceTopic, partition: 0 }, { topic: sourceTopic, partition: 1 }] }], {
      requireStable: true,
    })
    expect(offsets!.error).toBeNull()
    const byPartition = Object.fromEntries(offsets!.offsets.map((o) => [o.partition, { offset: o.offset, metadata: o.metadata, error: o.error }]))
    expect(byPartition).toEqual({
      0: { offset: 42n, metadata: '', error: null },
      1: { offset: 7n, metadata: 'from samsa', error: null },
    })
  }, 180_000)
})

describe('keyed partitioning matches the Java producer', () => {
  let java: JavaClientReference

  beforeAll(() => {
    java = JavaClientReference.start()
  })
  afterAll(async () => {
    await java?.close()
  })

  it('partitionForKey agrees with BuiltInPartitioner.partitionForKey for 10 000 seeded keys', async () => {
    const random = seededBytes(20_260_101)
    const keys: Buffer[] = []
    for (let i = 0; i < 10_000; i++) {
      if (i % 2 === 0) {
        keys.push(random(i % 97)) // lengths 0..96 cover every murmur2 tail length many times
      } else {
        // Strings of varied length and script, encoded as the producer encodes string keys (UTF-8).
        const alphabet = ['a', 'Z', '9', 'é', 'ж', '日', '🚀', '-', ' ']
        const bytes = random(1 + (i % 61))
        keys.push(Buffer.from(Array.from(bytes, (b) => alphabet[b % alphabet.length]).join(''), 'utf8'))
      }
    }
    const counts = [1, 2, 3, 7, 12, 50, 1000]
    const javaRows = await java.partitionsForKeys(keys, counts)
    expect(javaRows).toHaveLength(keys.length)
    const mismatches: string[] = []
    keys.forEach((key, i) => {
      counts.forEach((count, j) => {
        const ours = partitionForKey(key, count)
        if (ours !== javaRows[i]![j]) mismatches.push(`key ${key.toString('hex')} count ${count}: samsa ${ours}, Java ${javaRows[i]![j]}`)
      })
    })
    expect(mismatches.slice(0, 10)).toEqual([])
  })

  it('records produced with keys are found by the Java consumer in the partition Java would choose', async () => {
    const topic = `interop-keyed-${RUN}`
    const partitions = 7
    await createTopic(topic, partitions)
    const random = seededBytes(4242)
    const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? Buffer.from(`customer-${i}-${'x'.repeat(i % 13)}`) : random(1 + (i % 33))))
    const producer = kafka.producer({ lingerMs: 5 })
    try {
      await producer.send({ topic, messages: keys.map((key, i) => ({ key, value: `v${i}` })) })
    } finally {
      await producer.close()
    }
    const javaPartitions = (await java.partitionsForKeys(keys, [partitions])).map((row) => row[0]!)
    const { records } = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_uncommitted' })
    expect(records).toHaveLength(keys.length)
    const found = new Map(records.map((r) => [r.value!.toString(), r]))
    const wrong: string[] = []
    keys.forEach((key, i) => {
      const record = found.get(`v${i}`)
      if (!record) wrong.push(`v${i} missing`)
      else if (!record.key!.equals(key)) wrong.push(`v${i} has key ${record.key!.toString('hex')}, sent ${key.toString('hex')}`)
      else if (record.partition !== javaPartitions[i]) wrong.push(`v${i} (key ${key.toString('hex')}) in partition ${record.partition}, Java chooses ${javaPartitions[i]}`)
    })
    expect(wrong).toEqual([])
    expect(new Set(records.map((r) => r.partition)).size).toBeGreaterThan(1)
  })

  it('unkeyed records sent one at a time move partition as the Java producer does (KIP-794)', async () => {
    // 300 records of 1 000 bytes, each send awaited, lingerMs 5, batchSize 16 384, 6 partitions: every batch leaves
    // by linger with one record, so only the bytes produced to the sticky partition decide when it moves on.
    const settings = { count: 300, valueBytes: 1000, lingerMs: 5, batchSize: 16_384 }
    const javaTopic = `interop-unkeyed-java-${RUN}`
    const samsaTopic = `interop-unkeyed-samsa-${RUN}`
    await createTopic(javaTopic, 6)
    await createTopic(samsaTopic, 6)
    const javaPartitions = await java.produceUnkeyed({ bootstrap, topic: javaTopic, ...settings })
    const producer = kafka.producer({ lingerMs: settings.lingerMs, batchSize: settings.batchSize })
    const samsaPartitions: number[] = []
    try {
      const value = Buffer.alloc(settings.valueBytes)
      for (let i = 0; i < settings.count; i++) {
        const [metadata] = await producer.send({ topic: samsaTopic, messages: [{ value }] })
        samsaPartitions.push(metadata!.partition)
      }
    } finally {
      await producer.close()
    }
    // Where a partition is left: the stretches between moves. A move may draw the same partition again (Java's
    // draw allows it), which joins two stretches, so the shortest complete stretch is the one to compare.
    const stretches = (partitions: number[]): number[] => {
      const lengths: number[] = []
      let run = 1
      for (let i = 1; i < partitions.length; i++) {
        if (partitions[i] === partitions[i - 1]) run++
        else {
          lengths.push(run)
          run = 1
        }
      }
      return lengths // the last, unfinished stretch is left out
    }
    const javaStretches = stretches(javaPartitions)
    const samsaStretches = stretches(samsaPartitions)
    const summary = `Java ${JSON.stringify(javaStretches)}, samsa ${JSON.stringify(samsaStretches)}`
    expect(javaStretches.length).toBeGreaterThanOrEqual(3)
    expect({ summary, moves: samsaStretches.length >= 3 }).toEqual({ summary, moves: true })
    // Same switching point: 2 x batchSize bytes of ~1 KiB records (record overhead and batch headers included).
    expect({ summary, gap: Math.abs(Math.min(...samsaStretches) - Math.min(...javaStretches)) <= 1 }).toEqual({ summary, gap: true })
    expect(new Set(samsaPartitions).size).toBeGreaterThanOrEqual(Math.min(4, new Set(javaPartitions).size))
  }, 120_000)
})
