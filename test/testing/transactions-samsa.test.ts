/**
 * samsa's transactional producer on FakeKafka: commit and abort as a read_committed consumer sees them, offsets
 * committed with a transaction (consume–transform–produce), fencing by a second producer with the same id, and
 * the coordinator's own checks (pending offsets, timeouts) seen directly.
 */
import { Kafka, type KafkaProtocolError } from '../../src/index.js'
import { FakeKafka, ManualClock } from '../../src/testing/index.js'

describe('FakeKafka transactions with samsa', () => {
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'in', partitions: 2 }, { name: 'out', partitions: 2 }], seed: 3 })
    kafka = new Kafka({ brokers: fake.bootstrap, clientId: 'txn-test', logger: false })
  })

  afterEach(async () => {
    await kafka.close()
    await fake.stop()
  })

  it.each([2, 1])('hides aborted records from read_committed readers (transaction.version %d)', async (level) => {
    fake.services.features.find((f) => f.name === 'transaction.version')!.level = level
    const producer = kafka.producer({ transactionalId: 'tx-1' })
    await producer.initTransactions()
    expect(producer.transactionVersion).toBe(level)
    producer.beginTransaction()
    await producer.send({ topic: 'out', messages: [{ value: 'committed-1', partition: 0 }, { value: 'committed-2', partition: 1 }] })
    await producer.commitTransaction()
    producer.beginTransaction()
    await producer.send({ topic: 'out', messages: [{ value: 'aborted-1', partition: 0 }, { value: 'aborted-2', partition: 1 }] })
    await producer.abortTransaction()
    producer.beginTransaction()
    await producer.send({ topic: 'out', messages: [{ value: 'committed-3', partition: 0 }] })
    await producer.commitTransaction()
    await producer.close()
    // Transaction v2 adds partitions with the Produce itself; v1 asks the coordinator first.
    expect(fake.requests.some((r) => r.apiName === 'AddPartitionsToTxn')).toBe(level === 1)
    const produced = fake.requests.filter((r) => r.apiName === 'Produce').map((r) => r.version)
    expect(produced.every((v) => (level === 2 ? v >= 12 : true))).toBe(true)

    const p0 = fake.cluster.partition('out', 0)!.log
    expect(p0.lastStableOffset).toBe(p0.highWatermark)
    expect(p0.abortedTransactions).toHaveLength(1)
    // Each transaction ended with a control batch: 3 data records and 3 markers on partition 0.
    expect(p0.batches.filter((b) => b.isControl)).toHaveLength(3)
    expect(fake.records('out', 0).map((r) => r.value?.toString())).toEqual(['committed-1', 'aborted-1', 'committed-3'])

    const committed = await readUntil(kafka, 'out', 'read_committed', 3)
    expect(committed.sort()).toEqual(['committed-1', 'committed-2', 'committed-3'])
    const everything = await readUntil(kafka, 'out', 'read_uncommitted', 5)
    expect(everything.sort()).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2', 'committed-3'])
  })

  it('holds the last stable offset at an open transaction', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-open' })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send({ topic: 'out', messages: [{ value: 'open', partition: 1 }] })
    await producer.flush()
    const log = fake.cluster.partition('out', 1)!.log
    expect(log.highWatermark).toBe(1n)
    expect(log.lastStableOffset).toBe(0n)
    await producer.commitTransaction()
    expect(log.lastStableOffset).toBe(2n)
    await producer.close()
  })

  it('commits consumer offsets with the transaction (consume-transform-produce)', async () => {
    const seed = kafka.producer()
    await seed.send({ topic: 'in', messages: Array.from({ length: 4 }, (_, i) => ({ value: `in-${i}`, partition: 0 })) })
    await seed.close()
    const consumer = kafka.consumer({ groupId: 'eos', groupProtocol: 'classic', isolationLevel: 'read_committed', enableAutoCommit: false, autoOffsetReset: 'earliest', valueDeserializer: 'string', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000 })
    fake.services.groups.config.minSessionTimeoutMs = 1000
    await consumer.subscribe(['in'])
    const producer = kafka.producer({ transactionalId: 'tx-eos' })
    await producer.initTransactions()
    let n = 0
    for await (const m of consumer) {
      producer.beginTransaction()
      await producer.send({ topic: 'out', messages: [{ value: `out-${m.value as string}`, partition: 0 }] })
      await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: m.offset + 1n }], consumer.groupMetadata())
      // Until the transaction ends the offset is pending: require_stable fetches are told so.
      expect(fake.services.groups.hasPendingOffset('eos', 'in\u00000')).toBe(true)
      if (n === 3) await producer.abortTransaction()
      else await producer.commitTransaction()
      if (++n === 4) break
    }
    const committed = await consumer.committed([{ topic: 'in', partition: 0 }])
    // The fourth transaction was aborted: its offset never became committed.
    expect(committed[0]!.offset).toBe(3n)
    expect(fake.services.groups.hasPendingOffset('eos', 'in\u00000')).toBe(false)
    await consumer.close()
    await producer.close()
  })

  it('fences the first producer when a second one initialises the same transactional id', async () => {
    const first = kafka.producer({ transactionalId: 'tx-fence' })
    await first.initTransactions()
    first.beginTransaction()
    await first.send({ topic: 'out', messages: [{ value: 'zombie', partition: 0 }] })
    await first.flush()
    const second = kafka.producer({ transactionalId: 'tx-fence' })
    await second.initTransactions()
    // The first producer's open transaction was aborted by the takeover.
    const log = fake.cluster.partition('out', 0)!.log
    expect(log.abortedTransactions).toHaveLength(1)
    expect(log.lastStableOffset).toBe(log.highWatermark)
    const failure = await first.commitTransaction().then(() => null, (e: unknown) => e as KafkaProtocolError)
    expect(failure).not.toBeNull()
    expect(String(failure)).toMatch(/fenced|epoch/i)
    second.beginTransaction()
    await second.send({ topic: 'out', messages: [{ value: 'survivor', partition: 0 }] })
    await second.commitTransaction()
    expect(await readUntil(kafka, 'out', 'read_committed', 1)).toEqual(['survivor'])
    await first.close().catch(() => undefined)
    await second.close()
  })

  it('aborts a transaction that outlives its timeout, on the coordinator clock', async () => {
    const clock = new ManualClock()
    fake.services.groups.useClock(clock)
    const producer = kafka.producer({ transactionalId: 'tx-slow', transactionTimeoutMs: 10_000 })
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send({ topic: 'out', messages: [{ value: 'slow', partition: 1 }] })
    await producer.flush()
    const txn = fake.services.transactions.transactions.get('tx-slow')!
    const epoch = txn.producerEpoch
    clock.advance(10_000)
    expect(txn.state).toBe('CompleteAbort')
    expect(txn.producerEpoch).toBe(epoch + 1)
    expect(fake.cluster.partition('out', 1)!.log.abortedTransactions).toHaveLength(1)
    await expect(producer.commitTransaction()).rejects.toThrow()
    await producer.close().catch(() => undefined)
  })
})

/** Reads `out` (both partitions) until `count` records came, at the given isolation level. */
async function readUntil(kafka: Kafka, topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', count: number): Promise<string[]> {
  const consumer = kafka.consumer({ isolationLevel, autoOffsetReset: 'earliest', valueDeserializer: 'string', fetchMaxWaitMs: 50 })
  await consumer.assign([{ topic, partition: 0 }, { topic, partition: 1 }])
  const out: string[] = []
  for await (const m of consumer) {
    out.push(m.value as string)
    if (out.length === count) break
  }
  await consumer.close()
  return out
}
