/**
 * The producer against the real broker: what it writes is read back with raw Fetch requests and decoded.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Kafka } from '../../src/kafka.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import type { Cluster } from '../../src/network/cluster.js'
import { KafkaProtocolError, TimeoutError } from '../../src/errors.js'
import { fetchAllRecords } from '../helpers/raw-records.js'
import { waitFor } from '../helpers/wait.js'
import { channels, type RequestFinishEvent } from '../../src/network/instrumentation.js'

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

async function createTopic(cluster: Cluster, name: string, numPartitions: number): Promise<void> {
  await cluster.send(
    { kind: 'controller' },
    apis[ApiKeys.CreateTopics],
    { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false },
    { errorCode: (r: { topics: Array<{ errorCode: number }> }) => r.topics[0]!.errorCode },
  )
  await cluster.topics([name])
}

describe('Producer', () => {
  let kafka: Kafka
  beforeAll(() => {
    kafka = new Kafka({ brokers, clientId: 'samsa-producer-test', logger: false })
  })
  afterAll(() => kafka.close())

  it('sends keyed records to the Java partition, with offsets, headers and timestamps intact', async () => {
    const topic = `producer-keyed-${Date.now()}`
    await createTopic(kafka.cluster, topic, 3)
    const producer = kafka.producer({ lingerMs: 2 })
    const messages = Array.from({ length: 300 }, (_, i) => ({
      key: `key-${i % 17}`,
      value: `value-${i}`,
      headers: [['h', `hv-${i}`], ['dup', 'a'], ['dup', null]] as Array<[string, string | null]>,
      timestamp: 1_700_000_000_000 + i,
    }))
    const results = await producer.send({ topic, messages })
    expect(results).toHaveLength(300)
    results.forEach((r, i) => {
      expect(r.topic).toBe(topic)
      expect(r.partition).toBe(partitionForKey(Buffer.from(`key-${i % 17}`), 3))
      expect(r.timestamp).toBe(1_700_000_000_000 + i)
    })
    for (let partition = 0; partition < 3; partition++) {
      const stored = await fetchAllRecords(kafka.cluster, topic, partition)
      const expected = results.map((r, i) => ({ r, i })).filter(({ r }) => r.partition === partition)
      expect(stored.map((s) => s.value!.toString())).toEqual(expected.map(({ i }) => `value-${i}`))
      expect(stored.map((s) => s.offset)).toEqual(expected.map(({ r }) => r.offset))
      for (const [j, s] of stored.entries()) {
        const i = expected[j]!.i
        expect(s.key!.toString()).toBe(`key-${i % 17}`)
        expect(s.timestamp).toBe(BigInt(1_700_000_000_000 + i))
        expect(s.headers.map(([k, v]) => [k, v?.toString() ?? null])).toEqual([['h', `hv-${i}`], ['dup', 'a'], ['dup', null]])
      }
    }
    await producer.close()
  })

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('compresses with %s and the broker accepts it', async (compression) => {
    const topic = `producer-${compression}-${Date.now()}`
    await createTopic(kafka.cluster, topic, 1)
    const producer = kafka.producer({ compression, lingerMs: 10 })
    const value = Buffer.alloc(1000, 'x')
    const results = await producer.send({ topic, messages: Array.from({ length: 500 }, (_, i) => ({ key: null, value: Buffer.concat([Buffer.from(`${i}:`), value]) })) })
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => BigInt(i)))
    const stored = await fetchAllRecords(kafka.cluster, topic, 0)
    expect(stored).toHaveLength(500)
    expect(stored[499]!.value!.subarray(0, 4).toString()).toBe('499:')
    await producer.close()
  })

  it('unkeyed records stick to a partition per batch and spread across partitions', async () => {
    const topic = `producer-sticky-${Date.now()}`
    await createTopic(kafka.cluster, topic, 4)
    const producer = kafka.producer({ batchSize: 2048, lingerMs: 50 })
    const results = await producer.send({ topic, messages: Array.from({ length: 400 }, (_, i) => ({ value: `v${i}`.padEnd(100, '.') })) })
    const used = new Set(results.map((r) => r.partition))
    expect(used.size).toBeGreaterThan(1)
    // Sticky: runs of the same partition, not a round-robin of single records.
    let switches = 0
    for (let i = 1; i < results.length; i++) if (results[i]!.partition !== results[i - 1]!.partition) switches++
    expect(switches).toBeLessThan(results.length / 5)
    await producer.close()
  })

  it('sendBatch spans topics; acks=1 without idempotence and acks=0 work', async () => {
    const a = `producer-a-${Date.now()}`
    const b = `producer-b-${Date.now()}`
    await createTopic(kafka.cluster, a, 1)
    await createTopic(kafka.cluster, b, 1)
    const producer = kafka.producer({ acks: 1 })
    const results = await producer.sendBatch([
      { topic: a, messages: [{ value: 'a1' }, { value: 'a2' }] },
      { topic: b, messages: [{ value: 'b1' }] },
    ])
    expect(results.map((r) => [r.topic, r.offset])).toEqual([[a, 0n], [a, 1n], [b, 0n]])
    const fireAndForget = kafka.producer({ acks: 0 })
    const none = await fireAndForget.send({ topic: b, messages: [{ value: 'b2' }] })
    expect(none[0]!.offset).toBe(-1n)
    await fireAndForget.flush()
    // acks=0 has no response: poll until the record is visible.
    for (let i = 0; i < 50; i++) {
      if ((await fetchAllRecords(kafka.cluster, b, 0)).length === 2) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await fetchAllRecords(kafka.cluster, b, 0)).map((r) => r.value!.toString())).toEqual(['b1', 'b2'])
    await producer.close()
    await fireAndForget.close()
  })

  it("reports the partition's log start offset from the Produce response (-1n with acks=0)", async () => {
    const topic = `producer-log-start-${Date.now()}`
    await createTopic(kafka.cluster, topic, 1)
    const producer = kafka.producer()
    const admin = kafka.admin()
    const fireAndForget = kafka.producer({ acks: 0 })
    try {
      const fresh = await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
      expect(fresh.map((r) => r.logStartOffset)).toEqual([0n, 0n, 0n])
      // Once records are deleted the broker reports the new start: the value is the broker's, not a constant.
      const [deleted] = await admin.deleteRecords([{ topic, partition: 0, offset: 2n }])
      expect(deleted!.error).toBeNull()
      const [after] = await producer.send({ topic, messages: [{ value: 'd' }] })
      expect(after).toMatchObject({ offset: 3n, logStartOffset: 2n })
      const [none] = await fireAndForget.send({ topic, messages: [{ value: 'e' }] })
      expect(none).toMatchObject({ offset: -1n, logStartOffset: -1n })
    } finally {
      await fireAndForget.close()
      await admin.close()
      await producer.close()
    }
  })

  it('fails a record too large for the topic with a typed error, and keeps going', async () => {
    const topic = `producer-large-${Date.now()}`
    await kafka.cluster.send(
      { kind: 'controller' },
      apis[ApiKeys.CreateTopics],
      { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'max.message.bytes', value: '2000' }] }], timeoutMs: 30_000 },
      { errorCode: (r: { topics: Array<{ errorCode: number }> }) => r.topics[0]!.errorCode },
    )
    const producer = kafka.producer()
    await expect(producer.send({ topic, messages: [{ value: Buffer.alloc(5000) }] })).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' })
    // Past maxRequestSize the record is refused before it is sent, with the code Java's RecordTooLargeException has.
    const bounded = kafka.producer({ maxRequestSize: 4096 })
    const refused = await bounded.send({ topic, messages: [{ value: Buffer.alloc(5000) }] }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(KafkaProtocolError)
    expect(refused).toMatchObject({ code: 10, errorName: 'MESSAGE_TOO_LARGE' })
    expect((refused as Error).message).toMatch(/exceeds maxRequestSize 4096/)
    const ok = await producer.send({ topic, messages: [{ value: 'small' }] })
    expect(ok[0]!.offset).toBeGreaterThanOrEqual(0n)
    await bounded.close()
    await producer.close()
  })

  it('a burst of sends before the topic is known waits on one metadata loop per topic', async () => {
    const ready = `producer-burst-${Date.now()}`
    const missing = `producer-burst-missing-${Date.now()}`
    await createTopic(kafka.cluster, ready, 3)
    let metadataRequests = 0
    const fresh = new Kafka({
      brokers,
      clientId: 'samsa-producer-burst',
      logger: false,
      requestObserver: { requestEnd: (e) => void (e.apiName === 'Metadata' && metadataRequests++), queueSize: () => {} },
    })
    try {
      const producer = fresh.producer({ acks: 1, lingerMs: 5 })
      const count = 2000
      const toReady = Array.from({ length: count }, (_, i) => producer.send({ topic: ready, messages: [{ value: `v-${i}` }] }))
      const toMissing = Array.from({ length: count }, () => producer.send({ topic: missing, messages: [{ value: 'x' }] }))
      const delivered = (await Promise.all(toReady)).map(([r]) => r!)
      const refused = await Promise.allSettled(toMissing)
      // One retry loop for the missing topic (retries + 1 attempts) and one wait for the ready one; a loop per send
      // made 1 312 Metadata requests for 5 000 sends.
      expect(metadataRequests).toBeLessThan(20)
      for (const outcome of refused) {
        expect(outcome.status).toBe('rejected')
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
      }
      let stored = 0
      for (let partition = 0; partition < 3; partition++) {
        const records = await fetchAllRecords(kafka.cluster, ready, partition)
        const mine = delivered.filter((r) => r.partition === partition)
        expect(records.map((r) => r.offset)).toEqual(mine.map((r) => r.offset).sort((a, b) => (a < b ? -1 : 1)))
        stored += records.length
      }
      expect(stored).toBe(count)
      await producer.close()
    } finally {
      await fresh.close()
    }
  })

  it('send waits for bufferMemory instead of growing queues', async () => {
    const bufferMemory = 256 * 1024
    const producer = kafka.producer({ bufferMemory, batchSize: 16 * 1024, lingerMs: 20 })
    const topic = `producer-memory-${Date.now()}`
    await createTopic(kafka.cluster, topic, 4)
    const value = Buffer.alloc(1024, 'm')
    let maxBuffered = 0
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, producer.bufferedBytes)), 1)
    // Live buffer memory, not RSS: RSS also counts garbage the GC has not collected yet (a loaded run once grew it by
    // 138 MB), so the live figure comes after a forced collection, sampled while the sends are under way (every
    // 250 ms: a second copy of the records would be live for the whole run, and collections must not slow it).
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const liveBuffers = (): number => {
      gc()
      return process.memoryUsage().arrayBuffers
    }
    const buffersBefore = liveBuffers()
    let maxBuffers = buffersBefore
    const buffersSampler = setInterval(() => (maxBuffers = Math.max(maxBuffers, liveBuffers())), 250)
    // 40 MB offered at once, far faster than one broker on a busy machine takes it.
    const sends: Array<Promise<unknown>> = []
    for (let i = 0; i < 400; i++) {
      sends.push(producer.send({ topic, messages: Array.from({ length: 100 }, (_, j) => ({ key: `${i}-${j}`, value })) }))
    }
    await Promise.all(sends)
    clearInterval(sampler)
    clearInterval(buffersSampler)
    expect(maxBuffered).toBeGreaterThan(0)
    expect(maxBuffered).toBeLessThanOrEqual(bufferMemory + 16 * 1024)
    // The records themselves are held by the test; the producer must not add a second copy of all 40 MB: what is
    // live beyond bufferMemory is requests in flight and socket buffers.
    expect(maxBuffers - buffersBefore).toBeLessThan(32 * 1024 * 1024)
    expect(producer.bufferedBytes).toBe(0)
    await producer.close()
  }, 120_000)
})

describe('transactional fencing', () => {
  it('a second producer with the same transactionalId fences the first, which fails with an application-recoverable TransactionError (KIP-1050)', async () => {
    const { TransactionError } = await import('../../src/producer/transactions.js')
    const kafka = new Kafka({ brokers, clientId: 'samsa-fencing-test', logger: false })
    const topic = `producer-fenced-${Date.now()}`
    await createTopic(kafka.cluster, topic, 1)
    const transactionalId = `fenced-${Date.now()}`
    const first = kafka.producer({ transactionalId })
    const second = kafka.producer({ transactionalId })
    try {
      await first.initTransactions()
      first.beginTransaction()
      await first.send({ topic, messages: [{ value: 'from the first producer' }] })
      // The newcomer bumps the epoch: the first producer's open transaction is aborted by the coordinator.
      await second.initTransactions()
      const commit = first.commitTransaction()
      await expect(commit).rejects.toBeInstanceOf(TransactionError)
      // KIP-1050 as Java 4.4: fenced means close this producer and start a new one; it cannot send again.
      await expect(commit).rejects.toMatchObject({ kind: 'application-recoverable' })
      await expect(first.send({ topic, messages: [{ value: 'x' }] })).rejects.toBeInstanceOf(TransactionError)
      // The newcomer carries on.
      await second.transaction(async (tx) => {
        await tx.send({ topic, messages: [{ value: 'from the second producer' }] })
      })
      const stored = await fetchAllRecords(kafka.cluster, topic, 0)
      expect(stored.map((r) => r.value?.toString()).filter((v) => v?.startsWith('from'))).toContain('from the second producer')
    } finally {
      await first.close({ timeoutMs: 1000 }).catch(() => undefined)
      await second.close()
      await kafka.close()
    }
  })
})

describe('empty transactions', () => {
  it('commit and abort of a transaction with nothing in it end locally, without EndTxn; a normal one follows', async () => {
    const kafka = new Kafka({ brokers, clientId: 'samsa-empty-txn-test', logger: false })
    const topic = `producer-empty-txn-${Date.now()}`
    await createTopic(kafka.cluster, topic, 1)
    const producer = kafka.producer({ transactionalId: `empty-txn-${Date.now()}` })
    const endTxn: string[] = []
    const onFinish = (message: unknown): void => {
      const event = message as RequestFinishEvent
      if (event.apiKey === ApiKeys.EndTxn) endTxn.push(event.error ? `error: ${event.error.message}` : 'ok')
    }
    channels.requestFinish.subscribe(onFinish)
    try {
      await producer.initTransactions()
      // The coordinator has no transaction to end (transaction v2 answers INVALID_TXN_STATE); Java ends these locally.
      producer.beginTransaction()
      await producer.commitTransaction()
      producer.beginTransaction()
      await producer.abortTransaction()
      await producer.transaction(async () => {})
      expect(endTxn).toEqual([])
      await producer.transaction(async (tx) => {
        await tx.send({ topic, messages: [{ value: 'committed' }] })
      })
      expect(endTxn).toEqual(['ok'])
      // The record and its commit marker, and no marker of the empty transactions before it. The coordinator writes
      // markers after EndTxn has answered, so the marker may take a moment to appear.
      await waitFor(async () => (await fetchAllRecords(kafka.cluster, topic, 0)).length >= 2, 10_000, 'the commit marker')
      const stored = await fetchAllRecords(kafka.cluster, topic, 0)
      expect(stored).toHaveLength(2)
      expect(stored[0]!.value?.toString()).toBe('committed')
    } finally {
      channels.requestFinish.unsubscribe(onFinish)
      await producer.close()
      await kafka.close()
    }
  })
})
