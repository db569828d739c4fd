/**
 * The EndTxn retry path: a proxy lets the transaction coordinator end the transaction but swallows its answers.
 * Within maxBlockMs the producer asks again and the coordinator takes the repeated EndTxn as the success it is;
 * past maxBlockMs commitTransaction() fails retriable (KIP-1050) with the transaction as it was, and calling it
 * again commits. Either way the Java read_committed consumer sees every record exactly once.
 */
import { Kafka } from '../../src/kafka.js'
import { parseHostPort } from '../../src/network/cluster.js'
import { TransactionError } from '../../src/producer/transactions.js'
import { readTopicWithJava } from '../helpers/java-clients.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { testBrokers } from '../helpers/kafka.js'

jest.setTimeout(120_000)

const bootstrap = process.env.KAFKA_BROKERS!
let proxy: KafkaProxy
let kafka: Kafka

beforeAll(async () => {
  testBrokers()
  proxy = await KafkaProxy.start(parseHostPort(bootstrap.split(',')[0]!))
  kafka = new Kafka({ brokers: proxy.bootstrap, clientId: 'samsa-endtxn-test', requestTimeoutMs: 1500, logger: false })
})

afterAll(async () => {
  await kafka?.close()
  await proxy?.close()
})

async function committedValues(topic: string): Promise<string[]> {
  const { records } = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_committed' })
  return records.map((r) => r.value!.toString())
}

async function newTopic(label: string): Promise<string> {
  const topic = `endtxn-${label}-${process.pid}-${Date.now()}`
  const admin = kafka.admin()
  try {
    const [result] = await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    expect(result!.error).toBeNull()
  } finally {
    await admin.close()
  }
  return topic
}

it('a lost EndTxn answer is asked again within maxBlockMs and the commit lands once', async () => {
  const topic = await newTopic('retried')
  const producer = kafka.producer({ transactionalId: `endtxn-retried-${Date.now()}`, maxBlockMs: 30_000 })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })) })
    proxy.droppedEndTxnResponses = 0
    proxy.dropEndTxnResponses = true
    const commit = producer.commitTransaction()
    const deadline = Date.now() + 20_000
    while (proxy.droppedEndTxnResponses === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(proxy.droppedEndTxnResponses).toBe(1)
    proxy.dropEndTxnResponses = false
    await commit
    // The producer goes on with the next transaction.
    producer.beginTransaction()
    await producer.send({ topic, messages: [{ value: 'next' }] })
    await producer.commitTransaction()
  } finally {
    proxy.dropEndTxnResponses = false
    await producer.close()
  }
  expect(await committedValues(topic)).toEqual([...Array.from({ length: 10 }, (_, i) => `r${i}`), 'next'])
})

it('a commit whose EndTxn answers are all lost fails retriable after maxBlockMs; committing again succeeds', async () => {
  const topic = await newTopic('again')
  const producer = kafka.producer({ transactionalId: `endtxn-again-${Date.now()}`, maxBlockMs: 4_000 })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `a${i}` })) })
    proxy.droppedEndTxnResponses = 0
    proxy.dropEndTxnResponses = true
    const failed = await producer.commitTransaction().then(
      () => null,
      (error: unknown) => error,
    )
    expect(failed).toBeInstanceOf(TransactionError)
    expect(failed).toMatchObject({ kind: 'retriable', retriable: true })
    expect(proxy.droppedEndTxnResponses).toBeGreaterThanOrEqual(2)
    proxy.dropEndTxnResponses = false
    // As Java after a TimeoutException: the same call again (was refused: the state stayed 'committing').
    await producer.commitTransaction()
    producer.beginTransaction()
    await producer.send({ topic, messages: [{ value: 'after' }] })
    await producer.commitTransaction()
  } finally {
    proxy.dropEndTxnResponses = false
    await producer.close()
  }
  expect(await committedValues(topic)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'after'])
})
