/**
 * The consumer's API surface on the real broker: key/value deserializers through every delivery path, a
 * deserializer that throws (typed error, record not committed, skipped only by a seek), and the samsa:fetch /
 * samsa:rebalance diagnostics channels. Records are produced with raw Produce requests (consumer-support), and
 * consumers are made through the public entry point, `new Kafka().consumer()`.
 */
import { randomBytes } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { Kafka } from '../../src/kafka.js'
import type { Cluster } from '../../src/network/cluster.js'
import type { FetchChannelEvent, RebalanceChannelEvent } from '../../src/network/instrumentation.js'
import { DeserializationError } from '../../src/consumer/errors.js'
import { FetchSession } from '../../src/consumer/fetch-session.js'
import { ASYNC_DECOMPRESS_MIN_BYTES } from '../../src/consumer/fetched-chunk.js'
import { KafkaError } from '../../src/errors.js'
import type { Consumer } from '../../src/consumer/consumer.js'
import type { GroupProtocol, RebalanceEvent } from '../../src/consumer/types.js'
import { compressedPayloadAt, compressionAvailable, encodeRecordBatch, type RecordInput } from '../../src/records/index.js'
import { brokers, createTopic, newCluster, newConsumer, produce, uniqueName, waitFor } from './consumer-support.js'
import { watchTurns } from '../helpers/event-loop-turns.js'

function kafkaFor(label: string): Kafka {
  return new Kafka({ brokers, clientId: uniqueName(label), logger: process.env.SAMSA_TEST_LOG ? undefined : false, logLevel: process.env.SAMSA_TEST_LOG ? 'debug' : undefined })
}

/** Collects a channel's messages while a test runs; `stop()` unsubscribes. */
function listen<T>(name: string): { events: T[]; stop(): void } {
  const events: T[] = []
  const onMessage = (message: unknown): void => {
    events.push(message as T)
  }
  diagnosticsChannel.subscribe(name, onMessage)
  return { events, stop: () => diagnosticsChannel.unsubscribe(name, onMessage) }
}

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = []
  if (count === 0) return out
  for await (const item of iterable) {
    out.push(item)
    if (out.length === count) break
  }
  return out
}

describe('consumer API', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  describe('deserializers', () => {
    const orders = [
      { key: 'c-1', value: { id: 1, items: ['a'] } },
      { key: null, value: { id: 2, items: [] } },
      { key: 'c-3', value: null },
      { key: 'ключ-4', value: { id: 4, note: 'ünïcödé' } },
    ]
    const records: RecordInput[] = orders.map((o) => ({ key: o.key, value: o.value === null ? null : JSON.stringify(o.value) }))

    it("'string' keys and 'json' values through for await; null keys and tombstones stay null", async () => {
      const topic = uniqueName('deser-string-json')
      await createTopic(cluster, topic, 1)
      await produce(cluster, topic, 0, records)
      const kafka = kafkaFor('deser')
      const consumer = kafka.consumer({ keyDeserializer: 'string', valueDeserializer: 'json' })
      await consumer.assign([{ topic, partition: 0 }])
      consumer.seek({ topic, partition: 0, offset: 0n })
      const messages = await take(consumer, orders.length)
      expect(messages.map((m) => ({ key: m.key, value: m.value }))).toEqual(orders)
      expect(messages.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n])
      expect(typeof messages[0]!.key).toBe('string')
      await consumer.close()
      await kafka.close()
    })

    it('a function deserializer gets the bytes and the topic, through messages(), batches(), run(eachMessage) and run(eachBatch)', async () => {
      const topic = uniqueName('deser-fn')
      await createTopic(cluster, topic, 1)
      await produce(cluster, topic, 0, records)
      const kafka = kafkaFor('deser-fn')
      const seenTopics = new Set<string>()
      const make = (): Consumer<Buffer | null, { topic: string; length: number; text: string } | null> =>
        kafka.consumer({
          valueDeserializer: (bytes: Buffer, from: string) => {
            seenTopics.add(from)
            return { topic: from, length: bytes.length, text: bytes.toString('utf8') }
          },
        })
      const expected = records.map((r) => (r.value === null ? null : { topic, length: Buffer.byteLength(r.value as string), text: r.value as string }))
      const expectedKeys = records.map((r) => (r.key === null ? null : Buffer.from(r.key as string)))
      const start = async (consumer: Consumer<Buffer | null, unknown>): Promise<void> => {
        await consumer.assign([{ topic, partition: 0 }])
        consumer.seek({ topic, partition: 0, offset: 0n })
      }

      const viaMessages = make()
      await start(viaMessages)
      const fromMessages = await take(viaMessages.messages(), records.length)
      expect(fromMessages.map((m) => m.value)).toEqual(expected)
      // No key deserializer: keys stay raw bytes.
      expect(fromMessages.map((m) => m.key)).toEqual(expectedKeys)
      await viaMessages.close()

      const viaBatches = make()
      await start(viaBatches)
      const fromBatches: unknown[] = []
      for await (const batch of viaBatches.batches()) {
        fromBatches.push(...batch.messages.map((m) => m.value))
        if (fromBatches.length >= records.length) break
      }
      expect(fromBatches).toEqual(expected)
      await viaBatches.close()

      const viaEachMessage = make()
      await start(viaEachMessage)
      const fromEachMessage: unknown[] = []
      const stopMessages = new AbortController()
      await viaEachMessage.run({
        signal: stopMessages.signal,
        eachMessage: ({ message }) => {
          fromEachMessage.push(message.value)
          if (fromEachMessage.length === records.length) stopMessages.abort()
        },
      })
      expect(fromEachMessage).toEqual(expected)
      await viaEachMessage.close()

      const viaEachBatch = make()
      await start(viaEachBatch)
      const fromEachBatch: unknown[] = []
      const stopBatches = new AbortController()
      await viaEachBatch.run({
        signal: stopBatches.signal,
        eachBatch: ({ batch }) => {
          fromEachBatch.push(...batch.messages.map((m) => m.value))
          if (fromEachBatch.length >= records.length) stopBatches.abort()
        },
      })
      expect(fromEachBatch).toEqual(expected)
      await viaEachBatch.close()

      expect([...seenTopics]).toEqual([topic])
      await kafka.close()
    })

    it('a throwing deserializer: DeserializationError at that record, which is not committed, retried on the next request, skipped by a seek', async () => {
      const topic = uniqueName('deser-throw')
      const groupId = uniqueName('g')
      await createTopic(cluster, topic, 1)
      const good = (i: number): RecordInput => ({ key: `k${i}`, value: JSON.stringify({ i }) })
      // Offset 5 is not JSON.
      await produce(cluster, topic, 0, [0, 1, 2, 3, 4].map(good).concat([{ key: 'k5', value: '{not json' }], [6, 7, 8, 9].map(good)))
      const kafka = kafkaFor('deser-throw')
      const consumer = kafka.consumer({ groupId, autoOffsetReset: 'earliest', autoCommitIntervalMs: 100, valueDeserializer: 'json' })
      await consumer.subscribe([topic])

      const seen: bigint[] = []
      let thrown: unknown
      try {
        for await (const m of consumer) seen.push(m.offset)
      } catch (error) {
        thrown = error
      }
      expect(seen).toEqual([0n, 1n, 2n, 3n, 4n])
      expect(thrown).toBeInstanceOf(DeserializationError)
      const error = thrown as DeserializationError
      expect([error.topic, error.partition, error.offset, error.field]).toEqual([topic, 0, 5n, 'value'])
      expect(error.cause).toBeInstanceOf(SyntaxError)

      // Auto-commit runs every 100 ms: it commits 0..4 and never the record that failed.
      await new Promise((r) => setTimeout(r, 400))
      await consumer.commit()
      const [afterFailure] = await consumer.committed([{ topic, partition: 0 }])
      expect(afterFailure!.offset).toBe(5n)

      // The consumer stays at the record: the next request (any delivery path) meets it again.
      await expect(take(consumer.batches(), 1)).rejects.toMatchObject({ name: 'DeserializationError', offset: 5n })
      await expect(consumer.run({ eachMessage: () => undefined })).rejects.toMatchObject({ name: 'DeserializationError', offset: 5n })
      await consumer.commit()
      const [stillAtFive] = await consumer.committed([{ topic, partition: 0 }])
      expect(stillAtFive!.offset).toBe(5n)

      consumer.seek({ topic, partition: 0, offset: error.offset + 1n })
      const rest = await take(consumer, 4)
      expect(rest.map((m) => [m.offset, m.value])).toEqual([6, 7, 8, 9].map((i) => [BigInt(i), { i }]))
      await consumer.close()
      await kafka.close()
      const reader = newConsumer(cluster, { groupId })
      const [afterClose] = await reader.committed([{ topic, partition: 0 }])
      // close() commits what the loop finished: `take` broke out while 9 was in process, so 9 is the next to read.
      expect(afterClose!.offset).toBe(9n)
      await reader.close()
    })

    it('batches() delivers the records before a failing one, then reports it', async () => {
      const topic = uniqueName('deser-batch')
      await createTopic(cluster, topic, 1)
      await produce(cluster, topic, 0, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: 'oops' },
        { key: 'd', value: '4' },
      ])
      const kafka = kafkaFor('deser-batch')
      const consumer = kafka.consumer({
        keyDeserializer: 'string',
        valueDeserializer: (bytes: Buffer) => {
          const n = Number(bytes.toString('utf8'))
          if (Number.isNaN(n)) throw new RangeError(`not a number: ${bytes.toString('utf8')}`)
          return n
        },
      })
      await consumer.assign([{ topic, partition: 0 }])
      consumer.seek({ topic, partition: 0, offset: 0n })
      const iterator = consumer.batches()
      const first = await iterator.next()
      if (first.done) throw new Error('batches() ended')
      expect(first.value.messages.map((m) => [m.key, m.value])).toEqual([
        ['a', 1],
        ['b', 2],
      ])
      const failure = await iterator.next().then(
        () => null,
        (error: unknown) => error,
      )
      expect(failure).toBeInstanceOf(DeserializationError)
      expect((failure as DeserializationError).offset).toBe(2n)
      expect((failure as DeserializationError).cause).toBeInstanceOf(RangeError)
      expect((await consumer.position({ topic, partition: 0 }))).toBe(2n)
      await consumer.close()
      await kafka.close()
    })

    it('rejects an unknown deserializer name', () => {
      const kafka = kafkaFor('deser-bad')
      expect(() => kafka.consumer({ valueDeserializer: 'avro' as never })).toThrow(/valueDeserializer must be 'string', 'json' or a function/)
    })
  })

  it("subscribe() refuses KafkaJS's { topics } shape with the fix in the message, then takes a plain topic name", async () => {
    const topic = uniqueName('subscribe-shape')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, [{ value: 'only' }])
    const kafka = kafkaFor('subscribe-shape')
    const consumer = kafka.consumer({ groupId: uniqueName('subscribe-shape-group'), autoOffsetReset: 'earliest' })
    const untyped = consumer as unknown as { subscribe(topics: unknown): Promise<void> }
    try {
      await expect(untyped.subscribe({ topics: [topic], fromBeginning: true })).rejects.toThrow(/samsa\/kafkajs takes; here fromBeginning is the consumer option autoOffsetReset: 'earliest'/)
      await expect(untyped.subscribe([topic, 42])).rejects.toThrow(/every topic is a non-empty string/)
      await consumer.subscribe(topic)
      const [message] = await take(consumer, 1)
      expect(message!.value?.toString()).toBe('only')
    } finally {
      await consumer.close()
      await kafka.close()
    }
  })

  it('an offset of the wrong type, commit() given an array, or reading with nothing subscribed fail at the call', async () => {
    const topic = uniqueName('offset-types')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, [{ value: 'a' }, { value: 'b' }])
    const kafka = kafkaFor('offset-types')
    const groupId = uniqueName('offset-types-group')
    const idle = kafka.consumer({ groupId })
    const consumer = kafka.consumer({ groupId })
    const untyped = consumer as unknown as { seek(to: unknown): void; commit(options: unknown): Promise<void> }
    try {
      // Nothing subscribed or assigned: an error, not a wait that only close() ends (Java's poll() throws too).
      await expect(take(idle, 1)).rejects.toThrow(/no subscription or assignment: call subscribe\(\) or assign\(\)/)
      await consumer.assign([{ topic, partition: 0 }])
      // A number offset was taken, and the fetches that encoded it failed and were retried forever, silently.
      expect(() => untyped.seek({ topic, partition: 0, offset: 1 })).toThrow(/seek\(\): the offset is a number; offsets are bigints/)
      expect(() => untyped.seek({ topic, partition: 0, offset: '1' })).toThrow(/the offset is a string/)
      // KafkaJS's commitOffsets([...]) shape read as no options: a commit of nothing.
      await expect(untyped.commit([{ topic, partition: 0, offset: 1n }])).rejects.toThrow(/commit\(\) takes \{ offsets: \[/)
      await expect(untyped.commit({ offsets: [{ topic, partition: 0, offset: 1 }] })).rejects.toThrow(/commit\(\): the offset is a number/)
      consumer.seek({ topic, partition: 0, offset: 1n })
      const [message] = await take(consumer, 1)
      expect(message!.offset).toBe(1n)
      await consumer.commit({ offsets: [{ topic, partition: 0, offset: 2n }] })
      const [committed] = await consumer.committed([{ topic, partition: 0 }])
      expect(committed!.offset).toBe(2n)
    } finally {
      await consumer.close()
      await idle.close()
      await kafka.close()
    }
  })

  it('a TypeError out of a fetch (a bug, not a network fault) stops the consumer with that error instead of retrying silently', async () => {
    const topic = uniqueName('fetch-bug')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, [{ value: 'a' }])
    const kafka = kafkaFor('fetch-bug')
    const consumer = kafka.consumer({ groupId: uniqueName('fetch-bug-group') })
    // No broker answer can provoke this: the bug is planted in the request builder, once.
    const bug = new TypeError('planted fetch bug')
    const build = jest.spyOn(FetchSession.prototype, 'build').mockImplementationOnce(() => {
      throw bug
    })
    try {
      await consumer.assign([{ topic, partition: 0 }])
      consumer.seek({ topic, partition: 0, offset: 0n })
      const failure = await take(consumer, 1).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(KafkaError)
      expect((failure as KafkaError).cause).toBe(bug)
    } finally {
      build.mockRestore()
      await consumer.close()
      await kafka.close()
    }
  })

  it.each(['batches()', 'run(eachBatch)'] as const)('%s lets the event loop turn within a few batches while the application works on each', async (style) => {
    // Delivery yields once it has held the event loop for a couple of milliseconds. It used to count calls rather
    // than messages, so reading batches checked the clock every 64 batches: tens of milliseconds without a turn.
    const topic = uniqueName('batch-slices')
    await createTopic(cluster, topic, 1)
    const batchCount = 40
    await produce(cluster, topic, 0, Array.from({ length: batchCount * 500 }, (_, i) => ({ value: `v${i}` })), 5_000)
    const kafka = kafkaFor('batch-slices')
    const consumer = kafka.consumer({ maxPollRecords: 500 })
    await consumer.assign([{ topic, partition: 0 }])
    consumer.seek({ topic, partition: 0, offset: 0n })
    const turns = watchTurns()
    let batches = 0
    let records = 0
    const work = (size: number): boolean => {
      // The application's own work on a batch: a millisecond of CPU.
      turns.work(1)
      batches++
      records += size
      return records >= batchCount * 500
    }
    try {
      if (style === 'batches()') {
        for await (const batch of consumer.batches()) if (work(batch.messages.length)) break
      } else {
        const controller = new AbortController()
        await consumer.run({ signal: controller.signal, eachBatch: async ({ batch }) => void (work(batch.messages.length) && controller.abort()) })
      }
    } finally {
      turns.stop()
      await consumer.close()
      await kafka.close()
    }
    expect(records).toBe(batchCount * 500)
    expect(batches).toBeGreaterThanOrEqual(batchCount)
    // Two milliseconds of slice and a millisecond per batch: a turn every two or three batches, not every 64.
    expect(turns.longestRunWithoutTurn).toBeLessThanOrEqual(3)
  })

  it('for await lets the event loop turn within a slice while each message is slow', async () => {
    // Delivery reads the clock every 64 messages while they are quick. While each takes a tenth of a millisecond (an
    // application's work, or the first records a process reads, in code not yet optimised), 64 of them held the
    // event loop three times its slice: it reads the clock every 8 then.
    const topic = uniqueName('slow-messages')
    await createTopic(cluster, topic, 1)
    const count = 2_000
    await produce(cluster, topic, 0, Array.from({ length: count }, (_, i) => ({ value: `v${i}` })), 5_000)
    const kafka = kafkaFor('slow-messages')
    const consumer = kafka.consumer({})
    await consumer.assign([{ topic, partition: 0 }])
    consumer.seek({ topic, partition: 0, offset: 0n })
    const turns = watchTurns()
    let read = 0
    try {
      for await (const message of consumer) {
        expect(message.offset).toBe(BigInt(read))
        turns.work(0.1)
        if (++read === count) break
      }
    } finally {
      turns.stop()
      await consumer.close()
      await kafka.close()
    }
    // A 2 ms slice is 20 such messages, read to the next multiple of 8: 24; every 64 before.
    expect(turns.longestRunWithoutTurn).toBeLessThanOrEqual(32)
  })

  describe('fetches beside partitions with buffered data', () => {
    // Partition 0 has a backlog, partition 1 nothing. While partition 0 has chunks buffered, the fetch in flight
    // holds only partition 1, and the broker keeps it until fetchMaxWaitMs unless told to wait less.
    const total = 3_000
    async function backlogged(label: string): Promise<{ consumer: Consumer; kafka: Kafka; fetches: { events: FetchChannelEvent[]; stop(): void } }> {
      const topic = uniqueName(label)
      await createTopic(cluster, topic, 2)
      await produce(cluster, topic, 0, Array.from({ length: total }, (_, i) => ({ value: Buffer.alloc(1_000, i & 0xff) })))
      const kafka = kafkaFor(label)
      const consumer = kafka.consumer({ fetchMaxWaitMs: 5_000, maxPartitionFetchBytes: 64 * 1024 })
      await consumer.assign([
        { topic, partition: 0 },
        { topic, partition: 1 },
      ])
      consumer.seek({ topic, partition: 0, offset: 0n })
      consumer.seek({ topic, partition: 1, offset: 0n })
      return { consumer, kafka, fetches: listen<FetchChannelEvent>('samsa:fetch') }
    }

    it('do not hold the backlog for fetchMaxWaitMs while the application drains it', async () => {
      // Partition 0, drained meanwhile, used to wait behind the fetch (half the rate in the consumer benchmark).
      const { consumer, kafka, fetches } = await backlogged('held-back')
      let read = 0
      try {
        for await (const message of consumer) {
          expect(message.partition).toBe(0)
          // The application's work: a fifth of a millisecond per message, so that fetches run ahead of it.
          const until = performance.now() + 0.2
          while (performance.now() < until);
          if (++read === total) break
        }
      } finally {
        fetches.stop()
        await consumer.close()
        await kafka.close()
      }
      expect(read).toBe(total)
      expect(fetches.events.length).toBeGreaterThan(10)
      expect(Math.max(...fetches.events.map((e) => e.durationMs))).toBeLessThan(2_500)
    })

    it('wait longer and longer while the application drains nothing, instead of fetching every 20 ms', async () => {
      const { consumer, kafka, fetches } = await backlogged('held-back-idle')
      let read = 0
      let fetchesWhileIdle = -1
      try {
        for await (const message of consumer) {
          expect(message.partition).toBe(0)
          if (++read === 1) {
            // The application is busy elsewhere for two seconds; partition 0 stays buffered.
            await new Promise((resolve) => setTimeout(resolve, 200))
            const before = fetches.events.length
            await new Promise((resolve) => setTimeout(resolve, 2_000))
            fetchesWhileIdle = fetches.events.length - before
          }
          if (read === total) break
        }
      } finally {
        fetches.stop()
        await consumer.close()
        await kafka.close()
      }
      expect(read).toBe(total)
      // 20, 40, 80 … ms: a handful in two seconds (a fixed 20 ms wait made about a hundred).
      expect(fetchesWhileIdle).toBeGreaterThanOrEqual(1)
      expect(fetchesWhileIdle).toBeLessThan(12)
    })
  })

  describe('diagnostics channels', () => {
    it('samsa:fetch: one event per Fetch response, carrying every record byte the broker sent', async () => {
      const topic = uniqueName('fetch-channel')
      await createTopic(cluster, topic, 2)
      // Fixed timestamps, so the batches encoded here to count bytes are the ones the broker stores.
      const batch = (partition: number, from: number): RecordInput[] =>
        Array.from({ length: 200 }, (_, i) => ({ key: `k${from + i}`, value: `value-${partition}-${from + i}-${'x'.repeat(64)}`, timestamp: 1_700_000_000_000 + i }))
      let producedBytes = 0
      for (const partition of [0, 1]) {
        for (const from of [0, 200, 400]) {
          const records = batch(partition, from)
          producedBytes += encodeRecordBatch({ records }).length
          await produce(cluster, topic, partition, records, records.length)
        }
      }
      const channel = listen<FetchChannelEvent>('samsa:fetch')
      const kafka = kafkaFor('fetch-channel')
      const groupId = uniqueName('g')
      const consumer = kafka.consumer({ groupId, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, enableAutoCommit: false })
      try {
        await consumer.subscribe([topic])
        const messages = await take(consumer, 1200)
        expect(messages).toHaveLength(1200)
        // A few more polls with nothing new: each answered Fetch is still one event.
        await new Promise((r) => setTimeout(r, 500))
        const mine = (): FetchChannelEvent[] => channel.events.filter((e) => e.clientId === kafka.clientId)
        const answered = (): FetchChannelEvent[] => mine().filter((e) => e.error === undefined)
        // The event comes after the response is handled, so the count can trail the fetcher's by one for a moment.
        await waitFor(() => answered().length === consumer.fetchStats.fetches, 5000, 'one event per Fetch response')
        expect(answered().length).toBeGreaterThan(1)
        const bytes = answered().reduce((sum, e) => sum + e.bytes, 0)
        // Every byte fetched once: the batches fit the response limits, so nothing was cut and fetched again.
        expect(bytes).toBe(producedBytes)
        const node = (await cluster.topics([topic]))[0]!.partitions[0]!.leader
        for (const event of mine()) {
          expect(event.groupId).toBe(groupId)
          expect(event.nodeId).toBe(node)
          expect(event.durationMs).toBeGreaterThanOrEqual(0)
          expect(event.partitions).toBeGreaterThanOrEqual(0)
          expect(event.partitions).toBeLessThanOrEqual(2)
        }
        expect(answered()[0]!.partitions).toBeGreaterThanOrEqual(1)
        expect(answered().filter((e) => e.bytes > 0).every((e) => e.partitions > 0)).toBe(true)
      } finally {
        channel.stop()
        await consumer.close()
        await kafka.close()
      }
    })

    describe.each(['consumer', 'classic'] as GroupProtocol[])('samsa:rebalance (%s protocol)', (groupProtocol) => {
      it('a member joins, then a second one: assigned and revoked events that replay to each assignment, as the rebalance event says', async () => {
        const topic = uniqueName(`rebalance-channel-${groupProtocol}`)
        const groupId = uniqueName('g')
        await createTopic(cluster, topic, 4)
        const channel = listen<RebalanceChannelEvent>('samsa:rebalance')
        const members: Array<{ kafka: Kafka; consumer: Consumer; emitted: RebalanceEvent[] }> = []
        const join = async (label: string): Promise<(typeof members)[number]> => {
          const kafka = kafkaFor(label)
          const consumer = kafka.consumer({ groupId, groupProtocol, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, autoOffsetReset: 'earliest' })
          const member = { kafka, consumer, emitted: [] as RebalanceEvent[] }
          consumer.on('rebalance', (event) => member.emitted.push(event))
          members.push(member)
          await consumer.subscribe([topic])
          return member
        }
        const eventsOf = (kafka: Kafka): RebalanceChannelEvent[] => channel.events.filter((e) => e.clientId === kafka.clientId)
        const replay = (events: RebalanceChannelEvent[]): string[] => {
          const owned = new Set<string>()
          for (const e of events) for (const p of e.partitions) e.type === 'assigned' ? owned.add(`${p.topic}:${p.partition}`) : owned.delete(`${p.topic}:${p.partition}`)
          return [...owned].sort()
        }
        const owned = (consumer: Consumer): string[] => consumer.assignment().map((p) => `${p.topic}:${p.partition}`).sort()
        try {
          const a = await join('rebalance-a')
          await waitFor(() => a.consumer.assignment().length === 4, 30_000, 'the first member to own all 4 partitions')
          await waitFor(() => eventsOf(a.kafka).length >= 1, 5000, 'the first assigned event')
          const [firstEvent] = eventsOf(a.kafka)
          expect(firstEvent).toMatchObject({ type: 'assigned', groupId })
          expect(firstEvent!.partitions.map((p) => `${p.topic}:${p.partition}`).sort()).toEqual(owned(a.consumer))

          const b = await join('rebalance-b')
          await waitFor(() => a.consumer.assignment().length === 2 && b.consumer.assignment().length === 2, 30_000, 'two members with 2 partitions each')
          // Let the last events of the rebalance land (the group may still be settling when the counts first match).
          await waitFor(() => replay(eventsOf(a.kafka)).join() === owned(a.consumer).join() && replay(eventsOf(b.kafka)).join() === owned(b.consumer).join(), 10_000, 'events to replay to the assignments')

          const aEvents = eventsOf(a.kafka)
          const bEvents = eventsOf(b.kafka)
          expect(aEvents.some((e) => e.type === 'revoked' && e.partitions.length > 0)).toBe(true)
          expect(bEvents.length).toBeGreaterThan(0)
          expect(bEvents.every((e) => e.type === 'assigned')).toBe(true)
          for (const member of [a, b]) {
            const events = eventsOf(member.kafka)
            // The channel carries exactly what the EventEmitter event says, at the same points.
            expect(events.map((e) => ({ type: e.type, partitions: e.partitions }))).toEqual(member.emitted.map((e) => ({ type: e.type, partitions: e.partitions })))
            for (const e of events) {
              expect(e.groupId).toBe(groupId)
              expect(typeof e.memberId).toBe('string')
              expect(e.memberId!.length).toBeGreaterThan(0)
            }
            // One member id for the whole test, the group's own.
            expect(new Set(events.map((e) => e.memberId))).toEqual(new Set([member.consumer.groupMetadata().memberId]))
          }
          expect(aEvents[0]!.memberId).not.toBe(bEvents[0]!.memberId)
        } finally {
          channel.stop()
          for (const m of members) {
            await m.consumer.close()
            await m.kafka.close()
          }
        }
      })
    })
  })

  it.each(['gzip', 'lz4', 'snappy', 'zstd'] as const)('large %s batches decompressed off the event loop arrive whole and in order', async (compression) => {
    if (!compressionAvailable(compression)) return
    const topic = uniqueName(`inflate-${compression}`)
    await createTopic(cluster, topic, 1)
    const total = 4_000
    const perBatch = 1_000
    // Random text: it compresses to about three quarters, so each batch's payload stays large under every codec.
    const records = Array.from({ length: total + 1 }, (_, i) => ({ key: String(i), value: `${i}:${randomBytes(150).toString('base64')}` }))
    // Every batch past the size that decompresses on the thread pool, beside a small one at the end.
    const sample = encodeRecordBatch({ records: records.slice(0, perBatch), compression })
    expect(compressedPayloadAt(sample, 0)!.payload.length).toBeGreaterThan(ASYNC_DECOMPRESS_MIN_BYTES)
    await produce(cluster, topic, 0, records.slice(0, total), perBatch, compression)
    await produce(cluster, topic, 0, records.slice(total), 1, compression)
    const kafka = kafkaFor('inflate')
    const consumer = kafka.consumer({ valueDeserializer: 'string', keyDeserializer: 'string' })
    await consumer.assign([{ topic, partition: 0 }])
    consumer.seek({ topic, partition: 0, offset: 0n })
    let read = 0
    try {
      for await (const message of consumer) {
        expect(message.offset).toBe(BigInt(read))
        expect(message.key).toBe(String(read))
        expect(message.value).toBe(records[read]!.value)
        if (++read === total + 1) break
      }
    } finally {
      await consumer.close()
      await kafka.close()
    }
    expect(read).toBe(total + 1)
  })

  describe('receive memory reuse', () => {
    // Fetch responses are read into memory the consumer hands back once their records are read (receive-pool.ts);
    // what was handed to the application must never change when a later response reuses that memory.
    const valueFor = (partition: number, i: number): Buffer => {
      const value = Buffer.alloc(2_000, (partition * 31 + i) & 0xff)
      value.write(`${partition}:${i}|`, 0)
      return value
    }

    it.each(['none', 'gzip'] as const)('messages kept across later responses keep their keys and values (%s)', async (compression) => {
      const topic = uniqueName(`memory-reuse-${compression}`)
      await createTopic(cluster, topic, 2)
      const kafka = kafkaFor('memory-reuse')
      const perPartition = 4_000
      try {
        const producer = kafka.producer({ compression, batchSize: 200_000, lingerMs: 5 })
        for (let partition = 0; partition < 2; partition++) {
          for (let i = 0; i < perPartition; i += 500) {
            const messages = Array.from({ length: 500 }, (_, j) => ({ partition, key: `${partition}:${i + j}`, value: valueFor(partition, i + j) }))
            await producer.send({ topic, messages })
          }
        }
        await producer.close()
        const consumer = kafka.consumer({ groupId: uniqueName('memory-reuse'), autoOffsetReset: 'earliest', enableAutoCommit: false })
        await consumer.subscribe([topic])
        const kept: Array<{ key: Buffer | null; value: Buffer | null; partition: number; offset: bigint }> = []
        let seen = 0
        try {
          for await (const message of consumer) {
            const i = Number(message.offset)
            expect(message.key!.toString()).toBe(`${message.partition}:${i}`)
            expect(message.value!.equals(valueFor(message.partition, i))).toBe(true)
            if (i % 7 === 0) kept.push(message)
            if (++seen === 2 * perPartition) break
          }
        } finally {
          await consumer.close()
        }
        // 16 MB came in responses of up to 2 MB, each read into memory an earlier one gave back once it was read.
        expect(kept.length).toBeGreaterThan(1_000)
        for (const message of kept) {
          const i = Number(message.offset)
          expect(message.key!.toString()).toBe(`${message.partition}:${i}`)
          expect(message.value!.equals(valueFor(message.partition, i))).toBe(true)
          // A value views its batch (copied out of the response, or decompressed), never a whole response.
          expect(message.value!.buffer.byteLength).toBeLessThan(1_000_000)
        }
      } finally {
        await kafka.close()
      }
    }, 120_000)
  })
})
