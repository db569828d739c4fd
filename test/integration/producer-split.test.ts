/**
 * KIP-126 batch splitting against the real broker: topics whose max.message.bytes is far below the producer's
 * batchSize make the broker refuse the producer's batches as MESSAGE_TOO_LARGE; the producer must split them and
 * still write every record once, in send order per partition, with each send resolving to the stored offsets. The
 * Java consumer reads the topics back as the independent witness.
 */
import { Kafka } from '../../src/kafka.js'
import type { Admin } from '../../src/admin/admin.js'
import { KafkaProtocolError } from '../../src/errors.js'
import type { Logger } from '../../src/network/instrumentation.js'
import type { ProducerOptions } from '../../src/producer/options.js'
import type { ProducerMessage, RecordMetadata, Transaction } from '../../src/producer/producer.js'
import { javaClientsClasspath, readTopicWithJava, type IsolationLevel, type JavaConsumedRecord } from '../helpers/java-clients.js'
import { testBrokers } from '../helpers/kafka.js'
import { seededBytes } from '../helpers/raw-records.js'

const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `${process.pid}-${Date.now()}`
const TOPIC_LIMIT = 20_000
const PARTITIONS = 2

/** What the producer logged about splitting: the test's proof that the broker really refused batches. */
interface SplitLog {
  topic: string
  partition: number
  records: number
  pieces: number
}

const splits: SplitLog[] = []
/** Topics on which the producer had to bump its epoch to get past a sequence gap. */
const epochBumps: string[] = []
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => {
    if (message.startsWith('splitting a batch')) splits.push(fields as SplitLog)
    if (message.startsWith('resetting producer sequence')) epochBumps.push((fields as { topic: string }).topic)
  },
  error: () => undefined,
}

let kafka: Kafka
let admin: Admin

beforeAll(() => {
  javaClientsClasspath() // compile once up front so the first test's time is not spent in javac
  kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-producer-split', logger })
  admin = kafka.admin()
}, 10 * 60_000)

afterAll(async () => {
  await admin?.close()
  await kafka?.close()
})

async function createTopic(name: string, configs: Record<string, string>): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions: PARTITIONS, replicationFactor: 1, configs }])
  if (result!.error) throw result!.error
  await kafka.cluster.topics([name])
}

/** Keyed records (so each lands on a known partition) whose values name their index. */
function numberedMessages(count: number, valueBytes: (i: number) => Buffer): ProducerMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${i % 11}`,
    value: Buffer.concat([Buffer.from(`#${i}#`), valueBytes(i)]),
    headers: [['index', String(i)]],
  }))
}

/**
 * Sends the messages as many concurrent `send` calls (so batches of many records, from many callers, form during
 * linger) and returns each message's metadata in message order.
 */
async function sendInChunks(producer: Pick<Transaction, 'send'>, topic: string, messages: ProducerMessage[], chunk: number): Promise<RecordMetadata[]> {
  const calls: Array<Promise<RecordMetadata[]>> = []
  for (let from = 0; from < messages.length; from += chunk) calls.push(producer.send({ topic, messages: messages.slice(from, from + chunk) }))
  return (await Promise.all(calls)).flat()
}

async function readBack(topic: string, isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<JavaConsumedRecord[]> {
  const read = await readTopicWithJava({ bootstrap, topic, isolationLevel })
  return read.records
}

/**
 * Every message stored exactly once, in send order within its partition, at the offset its send reported; nothing
 * else in the topic.
 */
function expectStoredExactlyOnceInOrder(messages: ProducerMessage[], results: RecordMetadata[], stored: JavaConsumedRecord[]): void {
  expect(results).toHaveLength(messages.length)
  expect(stored).toHaveLength(messages.length)
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const sent = results.map((r, i) => ({ r, i })).filter(({ r }) => r.partition === partition)
    const got = stored.filter((s) => s.partition === partition)
    expect(got.map((s) => s.offset)).toEqual(sent.map(({ r }) => r.offset))
    expect(got.map((s) => s.value!.equals(messages[sentIndex(s)]!.value as Buffer))).toEqual(got.map(() => true))
    expect(got.map(sentIndex)).toEqual(sent.map(({ i }) => i))
  }
}

function sentIndex(record: JavaConsumedRecord): number {
  const index = record.headers.find(([name]) => name === 'index')?.[1]
  return Number(index!.toString())
}

function splitsOf(topic: string): SplitLog[] {
  return splits.filter((s) => s.topic === topic)
}

const SPLITTING: ProducerOptions = { batchSize: 200_000, lingerMs: 50 }

describe('Producer batch splitting (MESSAGE_TOO_LARGE)', () => {
  it('idempotent, acks all, uncompressed: batches ten times the topic limit are split and every record lands once, in order', async () => {
    const topic = `split-plain-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, acks: 'all', idempotent: true })
    const messages = numberedMessages(3000, () => Buffer.alloc(300, 'p'))
    const later = numberedMessages(1000, () => Buffer.alloc(300, 'q')).map((m, i) => ({ ...m, headers: [['index', String(3000 + i)]] as Array<[string, string]> }))
    try {
      const results = await sendInChunks(producer, topic, messages, 50)
      const logged = splitsOf(topic)
      expect(logged.length).toBeGreaterThan(0)
      expect(logged.every((s) => s.pieces >= 2 && s.records >= 2)).toBe(true)
      // Batches formed after the refusals close at the size that was accepted: no further split.
      const laterResults = await sendInChunks(producer, topic, later, 50)
      expect(splitsOf(topic)).toHaveLength(logged.length)
      expectStoredExactlyOnceInOrder([...messages, ...later], [...results, ...laterResults], await readBack(topic))
    } finally {
      await producer.close()
    }
  }, 180_000)

  it.each(['gzip', 'zstd'] as const)('%s with incompressible values: compressed batches above the limit are split and recompressed', async (compression) => {
    const topic = `split-${compression}-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, compression })
    const random = seededBytes(compression === 'gzip' ? 7 : 11)
    const messages = numberedMessages(1500, () => random(500))
    try {
      const results = await sendInChunks(producer, topic, messages, 25)
      expectStoredExactlyOnceInOrder(messages, results, await readBack(topic))
    } finally {
      await producer.close()
    }
    expect(splitsOf(topic).length).toBeGreaterThan(0)
  }, 180_000)

  it('transactional producer: split batches are written in the transaction, and committed records read back once, in order', async () => {
    const topic = `split-txn-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, transactionalId: `split-txn-${RUN}` })
    const messages = numberedMessages(2000, () => Buffer.alloc(250, 't'))
    try {
      await producer.initTransactions()
      const results = await producer.transaction((t) => sendInChunks(t, topic, messages, 40))
      expectStoredExactlyOnceInOrder(messages, results, await readBack(topic, 'read_committed'))
    } finally {
      await producer.close()
    }
    expect(splitsOf(topic).length).toBeGreaterThan(0)
  }, 180_000)

  it('a single record above the limit fails alone with MESSAGE_TOO_LARGE; records sent before and after it are written once, in order', async () => {
    const topic = `split-single-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, acks: 'all', idempotent: true })
    const before = numberedMessages(600, () => Buffer.alloc(200, 'b'))
    const after = numberedMessages(600, () => Buffer.alloc(200, 'a')).map((m, i) => ({ ...m, headers: [['index', String(600 + i)]] as Array<[string, string]> }))
    // Every record on one partition, so the oversized record sits in the middle of the partition's sequence.
    const onePartition = (m: ProducerMessage): ProducerMessage => ({ ...m, partition: 0 })
    try {
      const beforeSends = sendInChunks(producer, topic, before.map(onePartition), 30)
      const tooLarge = producer.send({ topic, messages: [{ key: 'huge', value: Buffer.alloc(3 * TOPIC_LIMIT, 'h'), partition: 0 }] })
      const afterSends = sendInChunks(producer, topic, after.map(onePartition), 30)
      const refusal = await tooLarge.then(
        () => null,
        (error: unknown) => error,
      )
      expect(refusal).toBeInstanceOf(KafkaProtocolError)
      expect((refusal as KafkaProtocolError).code).toBe(10)
      expect((refusal as KafkaProtocolError).errorName).toBe('MESSAGE_TOO_LARGE')
      const results = [...(await beforeSends), ...(await afterSends)]
      expectStoredExactlyOnceInOrder([...before, ...after], results, await readBack(topic))
    } finally {
      await producer.close()
    }
    // The oversized record arrived in a batch with others, which the broker refused and the producer split.
    expect(splitsOf(topic).length).toBeGreaterThan(0)
    // Its sequence numbers were handed on to the records behind it rather than left as a gap for an epoch bump.
    expect(epochBumps.filter((t) => t === topic)).toEqual([])
  }, 180_000)

  it('in a transaction, a single record above the limit fails and makes the transaction abortable; the abort leaves nothing visible', async () => {
    const topic = `split-txn-single-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, transactionalId: `split-txn-single-${RUN}` })
    try {
      await producer.initTransactions()
      producer.beginTransaction()
      const small = sendInChunks(producer, topic, numberedMessages(300, () => Buffer.alloc(200, 's')), 30)
      const tooLarge = producer.send({ topic, messages: [{ key: 'huge', value: Buffer.alloc(3 * TOPIC_LIMIT, 'h') }] })
      await expect(tooLarge).rejects.toMatchObject({ code: 10, errorName: 'MESSAGE_TOO_LARGE' })
      await small
      await expect(producer.commitTransaction()).rejects.toThrow()
      await producer.abortTransaction()
      expect(await readBack(topic, 'read_committed')).toEqual([])
    } finally {
      await producer.close()
    }
  }, 180_000)

  it('without idempotence (acks 1, one request in flight): split pieces keep their place, every record lands once, in order', async () => {
    const topic = `split-acks1-${RUN}`
    await createTopic(topic, { 'max.message.bytes': String(TOPIC_LIMIT) })
    const producer = kafka.producer({ ...SPLITTING, acks: 1, idempotent: false, maxInFlightRequestsPerConnection: 1 })
    const messages = numberedMessages(2000, () => Buffer.alloc(300, 'n'))
    try {
      const results = await sendInChunks(producer, topic, messages, 50)
      expectStoredExactlyOnceInOrder(messages, results, await readBack(topic))
    } finally {
      await producer.close()
    }
    expect(splitsOf(topic).length).toBeGreaterThan(0)
  }, 180_000)

  it('a topic limit lowered while records flow: later batches are refused, split, and still written once, in order', async () => {
    const topic = `split-lowered-${RUN}`
    await createTopic(topic, {})
    const producer = kafka.producer({ ...SPLITTING, acks: 'all', idempotent: true })
    const first = numberedMessages(1000, () => Buffer.alloc(300, 'f'))
    const second = numberedMessages(1000, () => Buffer.alloc(300, 's')).map((m, i) => ({ ...m, headers: [['index', String(1000 + i)]] as Array<[string, string]> }))
    try {
      const firstResults = await sendInChunks(producer, topic, first, 50)
      expect(splitsOf(topic)).toHaveLength(0)
      const [altered] = await admin.incrementalAlterConfigs([{ type: 'topic', name: topic, set: { 'max.message.bytes': String(TOPIC_LIMIT) } }])
      expect(altered!.error).toBeNull()
      await waitForTopicConfig(topic, 'max.message.bytes', String(TOPIC_LIMIT))
      const secondResults = await sendInChunks(producer, topic, second, 50)
      expectStoredExactlyOnceInOrder([...first, ...second], [...firstResults, ...secondResults], await readBack(topic))
    } finally {
      await producer.close()
    }
    expect(splitsOf(topic).length).toBeGreaterThan(0)
  }, 180_000)
})

/** The broker applies config changes from the metadata log: wait until it reports the new value. */
async function waitForTopicConfig(topic: string, key: string, value: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [described] = await admin.describeConfigs([{ type: 'topic', name: topic }])
    if (described!.configs.find((c) => c.name === key)?.value === value) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${topic} never reported ${key}=${value}`)
}
