/**
 * The producer's API surface against the real broker: key/value serializers (what is stored is read back with raw
 * Fetch requests), the `transaction(fn)` helper with `sendOffsets` (the Java consumer is the read_committed /
 * read_uncommitted witness, the admin client reads the committed group offsets), and the `samsa:produce`
 * diagnostics channel. The serializer generics are checked by compiling a snippet with the TypeScript compiler,
 * since jest runs test files without type-checking them.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { Kafka } from '../../src/kafka.js'
import type { Admin } from '../../src/admin/admin.js'
import { KafkaError, KafkaProtocolError } from '../../src/errors.js'
import type { ProduceChannelEvent } from '../../src/network/instrumentation.js'
import type { KafkaRecord } from '../../src/records/index.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import type { ProducerMessage, Transaction } from '../../src/producer/producer.js'
import type { StringSerializable } from '../../src/producer/serializers.js'
import { readTopicWithJava } from '../helpers/java-clients.js'
import { testBrokers } from '../helpers/kafka.js'
import { fetchAllRecords } from '../helpers/raw-records.js'

const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `${process.pid}-${Date.now()}`
let counter = 0
const unique = (label: string): string => `producer-api-${label}-${RUN}-${counter++}`

let kafka: Kafka
let admin: Admin

beforeAll(() => {
  kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-producer-api', logger: false })
  admin = kafka.admin()
})

afterAll(async () => {
  await admin?.close()
  await kafka?.close()
})

async function createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1, configs }])
  if (result!.error) throw result!.error
  await kafka.cluster.topics([name])
}

const text = (data: Buffer | null): string | null => (data === null ? null : data.toString())
const headerText = (record: KafkaRecord): Array<[string, string | null]> => record.headers.map(([k, v]) => [k, text(v)])

describe('serializers', () => {
  it("'string' keys and 'json' values are stored as their text; null values stay tombstones; object headers are kept", async () => {
    const topic = unique('string-json')
    await createTopic(topic, 3)
    const producer = kafka.producer({ keySerializer: 'string', valueSerializer: 'json', lingerMs: 2 })
    const plain = kafka.producer({ lingerMs: 2 })
    try {
      const orders: Array<ProducerMessage<StringSerializable, unknown>> = [
        { key: 42, value: { id: 42, items: ['a', 'b'], total: 9.5 }, headers: { source: 'web', trace: null } },
        { key: 'c-7', value: [1, 'two', { three: 3 }], headers: { source: 'batch' } },
        { key: true, value: 'just a string' },
        { key: 12345678901234567890n, value: null },
        { value: { unkeyed: true }, partition: 2 },
      ]
      const results = await producer.send({ topic, messages: orders })
      // The partitioner hashes the serialized key, exactly as Java does with its serialized key bytes.
      expect(results.slice(0, 4).map((r) => r.partition)).toEqual(['42', 'c-7', 'true', '12345678901234567890'].map((k) => partitionForKey(Buffer.from(k), 3)))
      expect(results[4]!.partition).toBe(2)
      // Without serializers, headers given as a plain object are accepted too.
      const [plainResult] = await plain.send({ topic, messages: [{ key: 'p', value: 'plain', headers: { a: '1', b: Buffer.from('2'), c: null }, partition: 2 }] })

      const stored = new Map<string, KafkaRecord>()
      for (let partition = 0; partition < 3; partition++) {
        for (const record of await fetchAllRecords(kafka.cluster, topic, partition)) stored.set(`${partition}:${record.offset}`, record)
      }
      const at = (r: { partition: number; offset: bigint }): KafkaRecord => stored.get(`${r.partition}:${r.offset}`)!
      expect(stored.size).toBe(6)
      expect(text(at(results[0]!).key)).toBe('42')
      expect(JSON.parse(text(at(results[0]!).value)!)).toEqual(orders[0]!.value)
      expect(headerText(at(results[0]!))).toEqual([['source', 'web'], ['trace', null]])
      expect(text(at(results[1]!).key)).toBe('c-7')
      expect(JSON.parse(text(at(results[1]!).value)!)).toEqual([1, 'two', { three: 3 }])
      expect(text(at(results[2]!).key)).toBe('true')
      expect(text(at(results[2]!).value)).toBe('"just a string"')
      expect(text(at(results[3]!).key)).toBe('12345678901234567890')
      expect(at(results[3]!).value).toBeNull()
      expect(at(results[4]!).key).toBeNull()
      expect(JSON.parse(text(at(results[4]!).value)!)).toEqual({ unkeyed: true })
      expect(text(at(plainResult!).value)).toBe('plain')
      expect(headerText(at(plainResult!))).toEqual([['a', '1'], ['b', '2'], ['c', null]])
    } finally {
      await producer.close()
      await plain.close()
    }
  })

  it('function serializers get the value and the topic; Buffer, Uint8Array and string results are stored as bytes', async () => {
    const topic = unique('function')
    await createTopic(topic, 2)
    interface Reading {
      sensor: string
      celsius: number
    }
    const keySerializer = (sensorNumber: number): Buffer => {
      const key = Buffer.alloc(4)
      key.writeUInt32BE(sensorNumber)
      return key
    }
    const valueSerializer = (reading: Reading, topicName: string): Uint8Array | string =>
      reading.celsius < 0 ? `${topicName}|${reading.sensor}|frozen` : new TextEncoder().encode(`${topicName}|${reading.sensor}|${reading.celsius}`)
    const producer = kafka.producer({ keySerializer, valueSerializer, lingerMs: 2 })
    try {
      const readings = [
        { key: 1, value: { sensor: 'north', celsius: 21.5 } },
        { key: 2, value: { sensor: 'south', celsius: -3 } },
        { key: 70_000, value: { sensor: 'east', celsius: 0 } },
      ]
      const results = await producer.send({ topic, messages: readings })
      const stored = [...(await fetchAllRecords(kafka.cluster, topic, 0)), ...(await fetchAllRecords(kafka.cluster, topic, 1))]
      expect(stored).toHaveLength(3)
      results.forEach((result, i) => {
        const record = stored.find((s) => s.offset === result.offset && s.key!.readUInt32BE(0) === readings[i]!.key)
        expect(record).toBeDefined()
        expect(result.partition).toBe(partitionForKey(keySerializer(readings[i]!.key), 2))
        expect(record!.key).toEqual(keySerializer(readings[i]!.key))
      })
      expect(stored.map((s) => text(s.value)).sort()).toEqual([`${topic}|east|0`, `${topic}|north|21.5`, `${topic}|south|frozen`])
    } finally {
      await producer.close()
    }
  })

  it('a value a serializer cannot handle fails the whole send with a KafkaError and writes none of its records', async () => {
    const topic = unique('serializer-errors')
    await createTopic(topic, 1)
    const json = kafka.producer({ valueSerializer: 'json', lingerMs: 2 })
    const stringKeys = kafka.producer({ keySerializer: 'string', lingerMs: 2 })
    const badFunction = kafka.producer({ valueSerializer: (n: number) => n as unknown as string, lingerMs: 2 })
    const validation = new RangeError('negative amounts are not accepted')
    const throwing = kafka.producer({
      valueSerializer: (amount: number) => {
        if (amount < 0) throw validation
        return String(amount)
      },
      lingerMs: 2,
    })
    try {
      const cyclic: { self?: unknown } = {}
      cyclic.self = cyclic
      await expect(json.send({ topic, messages: [{ value: { ok: 1 } }, { value: cyclic }] })).rejects.toThrow(KafkaError)
      await expect(json.send({ topic, messages: [{ value: { ok: 1 } }, { value: 10n }] })).rejects.toThrow(/'json' serializer/)
      await expect(json.send({ topic, messages: [{ value: undefined }] })).resolves.toHaveLength(1) // undefined: a tombstone, like null
      await expect(json.send({ topic, messages: [{ value: () => 1 }] })).rejects.toThrow(/no JSON form/)
      await expect(stringKeys.send({ topic, messages: [{ key: { id: 1 } as unknown as string, value: 'v' }] })).rejects.toThrow(/'string' serializer/)
      await expect(badFunction.send({ topic, messages: [{ value: 5 }] })).rejects.toThrow(/must return a Buffer, Uint8Array, string or null/)
      const thrown = await throwing.send({ topic, messages: [{ value: 1 }, { value: -1 }] }).catch((error: unknown) => error)
      expect(thrown).toBeInstanceOf(KafkaError)
      expect((thrown as KafkaError).cause).toBe(validation)
      // The producers still work after a refused call, and only the tombstone and these records reach the log.
      await json.send({ topic, messages: [{ value: { after: 'errors' } }] })
      const stored = await fetchAllRecords(kafka.cluster, topic, 0)
      expect(stored.map((s) => text(s.value))).toEqual([null, '{"after":"errors"}'])
    } finally {
      await json.close()
      await stringKeys.close()
      await badFunction.close()
      await throwing.close()
    }
  })

  it('without serializers, a record field of the wrong type fails its call before any record is appended', async () => {
    const topic = unique('wrong-types')
    await createTopic(topic, 1)
    const producer = kafka.producer({ lingerMs: 5 })
    // What JavaScript callers pass; the types forbid all of it.
    const untyped = producer as unknown as { send(record: unknown): Promise<unknown>; sendBatch(records: unknown): Promise<unknown> }
    try {
      // Sent in the same linger window as the refused calls: a number value used to reach the batch encoder and
      // crash the process when the shared batch was sealed.
      const good = producer.send({ topic, messages: [{ value: 'before' }] })
      const refusals: Array<[unknown, RegExp]> = [
        [{ topic, messages: [{ value: 'a' }, { value: 5 }] }, /record\.messages\[1\]\.value is a number; a value is a Buffer, Uint8Array, string or null \(a valueSerializer/],
        [{ topic, messages: [{ value: { a: 1 } }] }, /messages\[0\]\.value is an object/],
        [{ topic, messages: [{ key: 7, value: 'v' }] }, /messages\[0\]\.key is a number; a key is .*keySerializer/],
        [{ topic, messages: [{ value: 'v', headers: { trace: 1 } }] }, /headers\.trace is a number/],
        [{ topic, messages: [{ value: 'v', headers: { tags: ['x', 'y'] } }] }, /headers\.tags is an array.*\[name, value\] pairs/],
        [{ topic, messages: [{ value: 'v', headers: [['k', 2]] }] }, /headers\[0\] must be a \[name, value\] pair/],
        [{ topic, messages: [{ value: 'v', timestamp: 'yesterday' }] }, /timestamp is a string; it is milliseconds since the epoch/],
        [{ topic, messages: { value: 'v' } }, /record\.messages must be an array/],
        [{ topic, messages: [null] }, /messages\[0\] is not a \{ key\?, value \} object/],
        [{ messages: [{ value: 'v' }] }, /record\.topic must be a non-empty string/],
      ]
      for (const [record, message] of refusals) {
        const refused = await untyped.send(record).catch((error: unknown) => error)
        expect(refused).toBeInstanceOf(KafkaError)
        expect((refused as Error).message).toMatch(message)
      }
      await expect(untyped.sendBatch({ topic, messages: [] })).rejects.toThrow(/sendBatch takes an array/)
      await expect(untyped.sendBatch([{ topic, messages: [{ value: 'ok' }] }, { topic, messages: [{ value: 1n }] }])).rejects.toThrow(
        /records\[1\]\.messages\[0\]\.value is a bigint/,
      )
      await good
      await producer.send({ topic, messages: [{ value: 'after', key: Buffer.from([1, 2]), headers: [['h', Buffer.from([3])]] }] })
      const stored = await fetchAllRecords(kafka.cluster, topic, 0)
      expect(stored.map((s) => text(s.value))).toEqual(['before', 'after'])
      expect([...stored[1]!.key!]).toEqual([1, 2])
    } finally {
      await producer.close()
    }
  })

  it('the serializer generics type-check: send() takes what the serializers take and refuses the rest', () => {
    const srcDir = resolve(__dirname, '..', '..', 'src')
    const dir = mkdtempSync(join(tmpdir(), 'samsa-producer-types-'))
    const file = join(dir, 'usage.ts')
    const kafkaModule = JSON.stringify(join(srcDir, 'kafka.js'))
    const producerModule = JSON.stringify(join(srcDir, 'producer', 'producer.js'))
    const optionsModule = JSON.stringify(join(srcDir, 'producer', 'options.js'))
    writeFileSync(
      file,
      `
import { Kafka } from ${kafkaModule}
import type { Producer } from ${producerModule}
import type { ProducerOptions } from ${optionsModule}
interface Order { id: number; total: number }
const kafka = new Kafka({ brokers: ['localhost:9092'] })
export async function usage(): Promise<number> {
  const plain: Producer = kafka.producer({ lingerMs: 5 })
  await plain.send({ topic: 't', messages: [{ key: 'k', value: Buffer.from('x'), headers: { a: 'b', n: null } }] })
  await plain.send({ topic: 't', messages: [{ value: null, headers: [['a', 'b'], ['a', null]] }] })
  // @ts-expect-error without a serializer, values are Buffer | string | null
  await plain.send({ topic: 't', messages: [{ value: { id: 1 } }] })
  const declared: ProducerOptions = { lingerMs: 1 }
  // @ts-expect-error options declared as the wide ProducerOptions type give the serializer-less types
  await kafka.producer(declared).send({ topic: 't', messages: [{ value: 1 }] })
  const json = kafka.producer({ keySerializer: 'string', valueSerializer: 'json' })
  await json.send({ topic: 't', messages: [{ key: 42, value: { id: 1, nested: [1, 2] } }, { key: null, value: null }] })
  // @ts-expect-error the 'string' serializer takes strings, numbers, bigints and booleans
  await json.send({ topic: 't', messages: [{ key: { a: 1 }, value: 1 }] })
  const typed = kafka.producer({ valueSerializer: (order: Order, topic) => topic + ':' + order.id })
  await typed.send({ topic: 't', messages: [{ key: 'k', value: { id: 1, total: 2 } }] })
  // @ts-expect-error the value must be an Order
  await typed.send({ topic: 't', messages: [{ value: { id: 'x' } }] })
  // @ts-expect-error the key has no serializer
  await typed.send({ topic: 't', messages: [{ key: 5, value: { id: 1, total: 2 } }] })
  const tx = kafka.producer({ transactionalId: 'x', valueSerializer: (o: Order) => new TextEncoder().encode(String(o.id)) })
  return tx.transaction(async (t) => {
    await t.send({ topic: 't', messages: [{ value: { id: 1, total: 1 } }] })
    await t.sendOffsets({ consumer: { groupMetadata: () => ({ groupId: 'g' }) }, offsets: [{ topic: 't', partition: 0, offset: 1n }] })
    // @ts-expect-error the transaction's send is typed like the producer's
    await t.send({ topic: 't', messages: [{ value: 'str' }] })
    return 3
  })
}
`,
    )
    try {
      const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [resolve(__dirname, '..', '..', 'node_modules', '@types')],
      }
      const program = ts.createProgram([file], options)
      const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file))
      const messages = diagnostics.map((d) => `${d.start !== undefined ? d.file?.getLineAndCharacterOfPosition(d.start).line : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
      // An unused @ts-expect-error is itself an error, so no diagnostics means every refusal above happened too.
      expect(messages).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('transaction()', () => {
  it('commits what fn sent and the offsets sendOffsets gave for a group consumer; returns fn result', async () => {
    const input = unique('tx-in')
    const output = unique('tx-out')
    const groupId = unique('tx-group')
    await createTopic(input, 1)
    await createTopic(output, 2)
    const feeder = kafka.producer({ lingerMs: 2 })
    await feeder.send({ topic: input, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `in-${i}` })) })
    await feeder.close()

    const producer = kafka.producer({ transactionalId: unique('tx-commit'), valueSerializer: 'json' })
    const consumer = kafka.consumer({ groupId, isolationLevel: 'read_committed', enableAutoCommit: false, autoOffsetReset: 'earliest', maxPollRecords: 20 })
    try {
      await producer.initTransactions()
      await consumer.subscribe([input])
      const seen: Array<{ offset: bigint; value: string }> = []
      for await (const batch of consumer.batches()) {
        for (const m of batch.messages) seen.push({ offset: m.offset, value: m.value!.toString() })
        if (seen.length >= 20) break
      }
      expect(seen).toHaveLength(20)
      const last = seen[seen.length - 1]!
      const result = await producer.transaction(async (t) => {
        const written = await t.send({ topic: output, messages: seen.map((s) => ({ key: s.value, value: { from: s.value, offset: String(s.offset) } })) })
        await t.sendOffsets({ consumer, offsets: [{ topic: input, partition: 0, offset: last.offset + 1n }] })
        return written.length
      })
      expect(result).toBe(20)

      const committed = await readTopicWithJava({ bootstrap, topic: output, isolationLevel: 'read_committed' })
      expect(committed.records.map((r) => JSON.parse(r.value!.toString()).from).sort()).toEqual(seen.map((s) => s.value).sort())
      const [offsets] = await admin.listConsumerGroupOffsets([groupId], { requireStable: true })
      expect(offsets!.error).toBeNull()
      expect(offsets!.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))).toEqual([{ topic: input, partition: 0, offset: 20n }])
    } finally {
      await consumer.close()
      await producer.close()
    }
  }, 180_000)

  it('aborts when fn throws: its records are invisible to read_committed, its offsets not committed, its error rethrown', async () => {
    const topic = unique('tx-abort')
    const groupId = unique('tx-abort-group')
    await createTopic(topic, 2)
    const producer = kafka.producer({ transactionalId: unique('tx-abort'), keySerializer: 'string', valueSerializer: 'string' })
    // A structural consumer: sendOffsets needs only groupMetadata(); offsets of a group with no members are plain commits.
    const standaloneGroup = { groupMetadata: () => ({ groupId }) }
    const failure = new Error('the transformation failed')
    let escaped: Transaction<string | number | bigint | boolean, string | number | bigint | boolean> | null = null
    try {
      await producer.initTransactions()
      await expect(
        producer.transaction(async (t) => {
          escaped = t
          await t.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: i, value: `aborted-${i}` })) })
          await t.sendOffsets({ consumer: standaloneGroup, offsets: [{ topic, partition: 0, offset: 5n }, { topic, partition: 1, offset: 7n }] })
          throw failure
        }),
      ).rejects.toBe(failure)
      // The Transaction handed to fn is over: a late call must not slip into the next transaction.
      await expect(escaped!.send({ topic, messages: [{ value: 'late' }] })).rejects.toThrow(/Transaction is over/)
      // JavaScript callers that leave out the offsets get an error, and the transaction aborts.
      await expect(producer.transaction(async (t) => t.sendOffsets({ consumer: standaloneGroup } as never))).rejects.toThrow(/needs the offsets/)
      // The producer carries on with the next transaction.
      const committedCount = await producer.transaction(async (t) => (await t.send({ topic, messages: [{ key: 'after', value: 'committed' }] })).length)
      expect(committedCount).toBe(1)

      const committed = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_committed' })
      expect(committed.records.map((r) => r.value!.toString())).toEqual(['committed'])
      // The aborted records did reach the log: read_uncommitted sees them, so the abort is what hid them.
      const everything = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_uncommitted' })
      expect(everything.records.map((r) => r.value!.toString()).filter((v) => v.startsWith('aborted-')).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `aborted-${i}`).sort(),
      )
      const [offsets] = await admin.listConsumerGroupOffsets([{ groupId, partitions: [{ topic, partition: 0 }, { topic, partition: 1 }] }], { requireStable: true })
      expect(offsets!.offsets.map((o) => o.offset)).toEqual([-1n, -1n])
    } finally {
      await producer.close()
    }
  }, 180_000)

  it('sendOffsets for a topic the producer never wrote to (TxnOffsetCommit names topics by id) commits them', async () => {
    const input = unique('tx-offsets-only-in')
    const output = unique('tx-offsets-only-out')
    const groupId = unique('tx-offsets-only-group')
    await createTopic(input, 1)
    await createTopic(output, 1)
    // A Kafka of its own knows no topic ids: the input topic's must be looked up before TxnOffsetCommit.
    const own = new Kafka({ brokers: bootstrap, clientId: 'samsa-producer-api-fresh', logger: false })
    const producer = own.producer({ transactionalId: unique('tx-offsets-only'), maxBlockMs: 15_000 })
    try {
      await producer.initTransactions()
      await producer.transaction(async (t) => {
        await t.send({ topic: output, messages: [{ value: 'x' }] })
        await t.sendOffsets({ consumer: { groupMetadata: () => ({ groupId }) }, offsets: [{ topic: input, partition: 0, offset: 3n }] })
      })
      // Until the commit marker is written the coordinator answers UNSTABLE_OFFSET_COMMIT for the partition.
      let committed: Array<{ offset: bigint; error: Error | null }> = []
      for (let attempt = 0; attempt < 100; attempt++) {
        const [offsets] = await admin.listConsumerGroupOffsets([{ groupId, partitions: [{ topic: input, partition: 0 }] }], { requireStable: true })
        committed = offsets!.offsets
        if (committed.every((o) => o.error === null)) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(committed.map((o) => o.offset)).toEqual([3n])
    } finally {
      await producer.close()
      await own.close()
    }
  }, 60_000)
})

describe('samsa:produce channel', () => {
  it('publishes one event per acknowledged batch, with its offsets, and one for a batch that failed for good', async () => {
    const topic = unique('channel')
    const small = unique('channel-small')
    await createTopic(topic, 2)
    await createTopic(small, 1, { 'max.message.bytes': '1024' })
    const events: ProduceChannelEvent[] = []
    const listener = (message: unknown): void => {
      const event = message as ProduceChannelEvent
      if (event.topic === topic || event.topic === small) events.push(event)
    }
    diagnosticsChannel.subscribe('samsa:produce', listener)
    const producer = kafka.producer({ lingerMs: 20 })
    try {
      // One send, appended synchronously: one batch per partition.
      const results = await producer.send({
        topic,
        messages: [
          ...Array.from({ length: 3 }, (_, i) => ({ value: `p0-${i}`, partition: 0 })),
          ...Array.from({ length: 5 }, (_, i) => ({ value: `p1-${i}`, partition: 1 })),
        ],
      })
      const second = await producer.send({ topic, messages: [{ value: 'p0-again', partition: 0 }] })
      const byPartition = (p: number) => events.filter((e) => e.topic === topic && e.partition === p)
      expect(byPartition(0).map((e) => [e.records, e.baseOffset])).toEqual([
        [3, results[0]!.offset],
        [1, second[0]!.offset],
      ])
      expect(byPartition(1).map((e) => [e.records, e.baseOffset])).toEqual([[5, results[3]!.offset]])
      for (const event of events) {
        expect(event.clientId).toBe('samsa-producer-api')
        expect(event.error).toBeUndefined()
        expect(event.bytes).toBeGreaterThan(61) // a record batch header alone is 61 bytes
        expect(event.durationMs).toBeGreaterThanOrEqual(0)
      }
      // Partition 1's batch of five records is larger than partition 0's batch of three.
      expect(byPartition(1)[0]!.bytes).toBeGreaterThan(byPartition(0)[0]!.bytes)

      // A single record over the topic's max.message.bytes: refused as MESSAGE_TOO_LARGE, not splittable.
      const refused = await producer.send({ topic: small, messages: [{ value: Buffer.alloc(4000, 'x') }] }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(KafkaProtocolError)
      expect((refused as KafkaProtocolError).errorName).toBe('MESSAGE_TOO_LARGE')
      const failed = events.filter((e) => e.topic === small)
      expect(failed).toHaveLength(1)
      expect(failed[0]!.error).toBe(refused)
      expect(failed[0]!.records).toBe(1)
      expect(failed[0]!.baseOffset).toBeUndefined()
      expect(failed[0]!.bytes).toBeGreaterThan(4000)
    } finally {
      diagnosticsChannel.unsubscribe('samsa:produce', listener)
      await producer.close()
    }
  }, 120_000)
})
