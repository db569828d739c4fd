/**
 * KafkaJS transactions through the facade on the broker: committed records reach a read_committed reader, aborted
 * ones do not, sendOffsets commits the group's offsets with the transaction, and KafkaJS's usage rules hold.
 */
import { Kafka as SamsaKafka } from '../../src/kafka.js'
import { KafkaJSNonRetriableError, Partitioners, type Producer } from '../../src/kafkajs/index.js'
import { brokers, createTopics, newKafka, uniqueName } from './support.js'
import { readAll } from './producer-helpers.js'

const createPartitioner = Partitioners.DefaultPartitioner
const open: Producer[] = []

async function transactional(transactionalId = uniqueName('txn')): Promise<Producer> {
  const producer = newKafka().producer({ createPartitioner, transactionalId, maxInFlightRequests: 1, idempotent: true })
  open.push(producer)
  await producer.connect()
  return producer
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((producer) => producer.disconnect()))
})

test('a committed transaction is read by read_committed; an aborted one is not', async () => {
  const topic = uniqueName('txn-visibility')
  await createTopics([{ topic, numPartitions: 2 }])
  const producer = await transactional()

  const aborted = await producer.transaction()
  await aborted.send({ topic, messages: [{ key: 'a', value: 'aborted-1' }] })
  await aborted.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'b', value: 'aborted-2' }] }] })
  await aborted.abort()
  expect(aborted.isActive()).toBe(false)

  const committed = await producer.transaction()
  expect(committed.isActive()).toBe(true)
  const result = await committed.send({ topic, messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] })
  expect(result.every((r) => r.errorCode === 0 && typeof r.baseOffset === 'string')).toBe(true)
  await committed.commit()
  expect(committed.isActive()).toBe(false)

  const readCommitted = await readAll(topic, 2, 2, { isolationLevel: 'read_committed', settleMs: 1_000 })
  expect(readCommitted.map((r) => r.value!.toString()).sort()).toEqual(['committed-1', 'committed-2'])
  const readUncommitted = await readAll(topic, 2, 4, { settleMs: 500 })
  expect(readUncommitted.map((r) => r.value!.toString()).sort()).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2'])
})

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, bigint>> {
  const kafka = new SamsaKafka({ brokers, clientId: 'samsa-kafkajs-test-offsets', logger: false })
  const admin = kafka.admin()
  try {
    const [listed] = await admin.listConsumerGroupOffsets([groupId], { requireStable: true })
    return Object.fromEntries(listed!.offsets.filter((o) => o.topic === topic && o.offset >= 0n).map((o) => [o.partition, o.offset]))
  } finally {
    await admin.close()
    await kafka.close()
  }
}

test('sendOffsets commits the group offsets with the transaction, and only when it commits', async () => {
  const topic = uniqueName('txn-offsets')
  const groupId = uniqueName('txn-group')
  await createTopics([{ topic, numPartitions: 2 }])
  const producer = await transactional()

  const abortedOffsets = await producer.transaction()
  await abortedOffsets.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }] })
  await abortedOffsets.abort()
  expect(await committedOffsets(groupId, topic)).toEqual({})

  const transaction = await producer.transaction()
  await transaction.send({ topic, messages: [{ value: 'with-offsets' }] })
  await transaction.sendOffsets({
    consumerGroupId: groupId,
    topics: [{ topic, partitions: [{ partition: 0, offset: '42' }, { partition: 1, offset: '7' }] }],
  })
  await transaction.commit()
  expect(await committedOffsets(groupId, topic)).toEqual({ 0: 42n, 1: 7n })
})

test('KafkaJS rules: transactional id required, one transaction at a time, no use once ended, acks -1 only', async () => {
  const plain = newKafka().producer({ createPartitioner })
  open.push(plain)
  await plain.connect()
  await expect(plain.transaction()).rejects.toThrow(new KafkaJSNonRetriableError('Must provide transactional id for transactional producer'))

  const topic = uniqueName('txn-rules')
  await createTopics([{ topic }])
  const producer = await transactional()
  const transaction = await producer.transaction()
  await expect(producer.transaction()).rejects.toThrow(
    new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.'),
  )
  await expect(transaction.send({ topic, acks: 1, messages: [{ value: 'v' }] })).rejects.toThrow(
    new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees"),
  )
  await transaction.send({ topic, messages: [{ value: 'v' }] })
  await transaction.commit()

  const ended = new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')
  await expect(transaction.send({ topic, messages: [{ value: 'late' }] })).rejects.toThrow(ended)
  await expect(transaction.sendBatch({ topicMessages: [] })).rejects.toThrow(ended)
  await expect(transaction.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toThrow(ended)
  await expect(transaction.commit()).rejects.toThrow(ended)
  await expect(transaction.abort()).rejects.toThrow(ended)

  // Outside a transaction the producer still sends, non-transactionally, as in KafkaJS.
  await producer.send({ topic, messages: [{ value: 'outside' }] })
  const next = await producer.transaction()
  await next.abort()
  const read = await readAll(topic, 1, 2, { isolationLevel: 'read_committed', settleMs: 500 })
  expect(read.map((r) => r.value!.toString())).toEqual(['v', 'outside'])
})

test('a second producer with the same transactional id fences the first', async () => {
  const topic = uniqueName('txn-fence')
  await createTopics([{ topic }])
  const transactionalId = uniqueName('fenced-id')
  const first = await transactional(transactionalId)
  const old = await first.transaction()
  await old.send({ topic, messages: [{ value: 'zombie' }] })

  const second = await transactional(transactionalId)
  const current = await second.transaction()
  await current.send({ topic, messages: [{ value: 'current' }] })
  await current.commit()

  await expect(old.commit()).rejects.toMatchObject({ name: 'KafkaJSProtocolError' })
  const read = await readAll(topic, 1, 1, { isolationLevel: 'read_committed', settleMs: 1_000 })
  expect(read.map((r) => r.value!.toString())).toEqual(['current'])
})

test('an empty transaction commits or aborts without error, and the next transaction begins and commits', async () => {
  const topic = uniqueName('txn-empty')
  await createTopics([{ topic }])
  const producer = await transactional()

  const empty = await producer.transaction()
  await empty.commit()
  expect(empty.isActive()).toBe(false)
  const emptyAborted = await producer.transaction()
  await emptyAborted.abort()

  const next = await producer.transaction()
  await next.send({ topic, messages: [{ value: 'after-empty' }] })
  await next.commit()
  const read = await readAll(topic, 1, 1, { isolationLevel: 'read_committed', settleMs: 500 })
  expect(read.map((r) => r.value!.toString())).toEqual(['after-empty'])
})
