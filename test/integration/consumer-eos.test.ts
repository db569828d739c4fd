/**
 * Exactly-once consume–transform–produce: a consumer (read_committed, no auto-commit) and a transactional producer
 * commit the output records and the consumer's offsets (with its group metadata) in one transaction. The
 * transforming process "crashes" in the middle of a transaction — output written, nothing committed — and a new
 * instance with the same transactional id takes over: the open transaction is aborted by the fencing, the new
 * instance resumes at the committed offsets, and a read_committed reader of the output sees every input exactly once.
 */
import { Kafka } from '../../src/kafka.js'
import { type Consumer, simulateConsumerCrash } from '../../src/consumer/consumer.js'
import type { Producer } from '../../src/producer/producer.js'
import type { Cluster } from '../../src/network/cluster.js'
import { brokers, createTopic, newCluster, newConsumer, produce, uniqueName, values } from './consumer-support.js'

const PARTITIONS = 3
const PER_PARTITION = 200

describe('exactly-once pipeline', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  it('outputs each input exactly once although the transforming process crashes mid-transaction', async () => {
    const input = uniqueName('eos-in')
    const output = uniqueName('eos-out')
    const groupId = uniqueName('eos-g')
    const transactionalId = uniqueName('eos-tx')
    await createTopic(cluster, input, PARTITIONS)
    await createTopic(cluster, output, PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) await produce(cluster, input, p, values(PER_PARTITION, 'in', p))

    const startInstance = async (): Promise<{ kafka: Kafka; consumer: Consumer; producer: Producer }> => {
      const kafka = new Kafka({ brokers, logger: false })
      const producer = kafka.producer({ transactionalId })
      await producer.initTransactions()
      const consumer = kafka.consumer({ groupId, isolationLevel: 'read_committed', enableAutoCommit: false, autoOffsetReset: 'earliest', maxPollRecords: 50 })
      await consumer.subscribe([input])
      return { kafka, consumer, producer }
    }
    /** Runs the pipeline; with `crashAfter`, stops dead inside the transaction after that many committed ones. */
    const pipeline = async ({ consumer, producer }: { consumer: Consumer; producer: Producer }, crashAfter: number | null, done: () => boolean): Promise<void> => {
      let committedTransactions = 0
      for await (const batch of consumer.batches()) {
        producer.beginTransaction()
        await producer.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: `out:${m.value!.toString()}`, partition: m.partition })) })
        if (crashAfter !== null && committedTransactions === crashAfter) {
          await producer.flush() // the output is in the log, uncommitted, when the process dies
          await simulateConsumerCrash(consumer)
          return
        }
        const last = batch.messages[batch.messages.length - 1]!
        await producer.sendOffsetsToTransaction([{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1n }], consumer.groupMetadata())
        await producer.commitTransaction()
        committedTransactions++
        if (done()) return
      }
    }

    const first = await startInstance()
    await pipeline(first, 3, () => false)

    const second = await startInstance() // fences the first producer, aborting its open transaction
    await first.kafka.close()
    const outputReader = newConsumer(cluster, { isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 })
    await outputReader.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: output, partition })))
    const seen = new Map<string, number>()
    const inputsCommitted = async (): Promise<boolean> => {
      const committed = await second.consumer.committed(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: input, partition })))
      return committed.every((c) => c.offset === BigInt(PER_PARTITION))
    }
    let finished = false
    const run = pipeline(second, null, () => finished)
    const deadline = Date.now() + 60_000
    while (!(await inputsCommitted())) {
      if (Date.now() > deadline) throw new Error('the pipeline did not finish')
      await new Promise((r) => setTimeout(r, 200))
    }
    finished = true
    // Read until the reader has caught up with the whole output (lag 0 everywhere, markers included), so that a
    // duplicate anywhere in the output would be counted.
    const caughtUp = new AbortController()
    const watcher = setInterval(() => {
      if (seen.size >= PARTITIONS * PER_PARTITION && outputReader.lag().every((l) => l.lag === 0n)) caughtUp.abort()
    }, 100)
    for await (const m of outputReader.messages({ signal: caughtUp.signal })) {
      const key = m.value!.toString()
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    clearInterval(watcher)
    expect(seen.size).toBe(PARTITIONS * PER_PARTITION)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    await outputReader.close()
    await second.consumer.close()
    await second.producer.close()
    await second.kafka.close()
    await Promise.race([run, new Promise((r) => setTimeout(r, 100))])
  }, 120_000)

  it('producer.transaction() with t.sendOffsets({ consumer }): the consumer supplies the offsets of what it handed out', async () => {
    const input = uniqueName('eos-tx-in')
    const output = uniqueName('eos-tx-out')
    const groupId = uniqueName('eos-tx-g')
    await createTopic(cluster, input, PARTITIONS)
    await createTopic(cluster, output, PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) await produce(cluster, input, p, values(PER_PARTITION, 'in', p))
    const kafka = new Kafka({ brokers, logger: false })
    const producer = kafka.producer({ transactionalId: uniqueName('eos-tx') })
    await producer.initTransactions()
    const consumer = kafka.consumer({ groupId, isolationLevel: 'read_committed', enableAutoCommit: false, autoOffsetReset: 'earliest', maxPollRecords: 50 })
    await consumer.subscribe([input])
    let transformed = 0
    for await (const batch of consumer.batches()) {
      await producer.transaction(async (t) => {
        await t.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: `out:${m.value!.toString()}`, partition: m.partition })) })
        // The batch's partition is at its last offset + 1; the others at what earlier transactions committed.
        expect(consumer.currentOffsets()).toContainEqual(expect.objectContaining({ topic: batch.topic, partition: batch.partition, offset: batch.messages.at(-1)!.offset + 1n }))
        await t.sendOffsets({ consumer })
      })
      transformed += batch.messages.length
      if (transformed === PARTITIONS * PER_PARTITION) break
    }
    const committed = await consumer.committed(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: input, partition })))
    expect(committed.map((c) => c.offset)).toEqual(Array.from({ length: PARTITIONS }, () => BigInt(PER_PARTITION)))
    const reader = newConsumer(cluster, { isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 })
    await reader.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: output, partition })))
    const seen: string[] = []
    for await (const m of reader.messages({ signal: AbortSignal.timeout(30_000) })) {
      seen.push(m.value!.toString())
      if (seen.length === PARTITIONS * PER_PARTITION) break
    }
    expect(new Set(seen).size).toBe(PARTITIONS * PER_PARTITION)
    await reader.close()
    await consumer.close()
    await producer.close()
    await kafka.close()
  }, 120_000)
})
