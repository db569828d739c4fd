/**
 * The facade's producer on the broker: KafkaJS's checks and errors, result shapes per acks, per-send compression,
 * headers, keys and timestamps as a reader sees them, and topic creation on first use.
 */
import { gunzipSync } from 'node:zlib'
import { compressionAvailable } from '../../src/records/compression.js'
import {
  CompressionCodecs,
  CompressionTypes,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  Partitioners,
  type Producer,
} from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName } from './support.js'
import { readAll } from './producer-helpers.js'

const createPartitioner = Partitioners.DefaultPartitioner
const open: Producer[] = []

async function connected(config: Parameters<ReturnType<typeof newKafka>['producer']>[0] = {}): Promise<Producer> {
  const producer = newKafka().producer({ createPartitioner, ...config })
  open.push(producer)
  await producer.connect()
  return producer
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((producer) => producer.disconnect()))
})

describe('checks before sending', () => {
  test('sending before connect, or after disconnect, rejects with KafkaJSError "The producer is disconnected"', async () => {
    const producer = newKafka().producer({ createPartitioner })
    const sent = producer.send({ topic: 'any', messages: [{ value: 'v' }] })
    await expect(sent).rejects.toThrow(/The producer is disconnected/)
    await expect(sent).rejects.toBeInstanceOf(KafkaJSError)
    await producer.connect()
    await producer.disconnect()
    await expect(producer.send({ topic: 'any', messages: [{ value: 'v' }] })).rejects.toThrow(/The producer is disconnected/)
  })

  test('sending while disconnecting rejects with KafkaJSNonRetriableError', async () => {
    const producer = newKafka().producer({ createPartitioner })
    await producer.connect()
    const disconnecting = producer.disconnect()
    await expect(producer.send({ topic: 'any', messages: [{ value: 'v' }] })).rejects.toThrow(
      new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore"),
    )
    await disconnecting
  })

  test('invalid topic, messages array and message without value fail with KafkaJS messages', async () => {
    const producer = await connected()
    const topic = 'some-topic'
    await expect(producer.send({ acks: 1, topic: null as unknown as string, messages: [] })).rejects.toHaveProperty('message', 'Invalid topic')
    await expect(producer.send({ acks: 1, topic, messages: null as never })).rejects.toHaveProperty('message', `Invalid messages array [null] for topic "${topic}"`)
    await expect(producer.send({ acks: 1, topic, messages: [{ foo: 'bar' } as never] })).rejects.toHaveProperty(
      'message',
      `Invalid message without value for topic "${topic}": {"foo":"bar"}`,
    )
    await expect(producer.send({ acks: 1, topic, messages: [{ foo: 'bar' } as never] })).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
  })

  test('idempotent: true refuses acks other than -1, and retries below 1 at creation', async () => {
    const producer = await connected({ idempotent: true })
    expect(producer.isIdempotent()).toBe(true)
    for (const acks of [0, 1]) {
      await expect(producer.send({ acks, topic: 't', messages: [{ value: 'v' }] })).rejects.toThrow(
        new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees"),
      )
    }
    expect(() => newKafka().producer({ createPartitioner, idempotent: true, retry: { retries: 0 } })).toThrow(
      new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors'),
    )
    expect(newKafka().producer({ createPartitioner }).isIdempotent()).toBe(false)
  })

  test('on() refuses unknown events; logger() is the Producer namespace', () => {
    const producer = newKafka().producer({ createPartitioner })
    expect(() => producer.on('NON_EXISTENT_EVENT' as never, () => {})).toThrow(
      new KafkaJSNonRetriableError(
        'Event name should be one of producer.events.CONNECT, producer.events.DISCONNECT, producer.events.REQUEST, producer.events.REQUEST_TIMEOUT, producer.events.REQUEST_QUEUE_SIZE',
      ),
    )
    expect(typeof producer.logger().info).toBe('function')
  })

  test('a topic that does not exist, with allowAutoTopicCreation false, fails with KafkaJSProtocolError UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const producer = await connected({ allowAutoTopicCreation: false, retry: { retries: 0 } })
    const error = await producer.send({ topic: uniqueName('missing'), messages: [{ value: 'v' }] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSProtocolError)
    expect(error).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 })
  })

  test('a topic that does not exist is created on first send by default (allowAutoTopicCreation true, as KafkaJS)', async () => {
    const producer = await connected()
    const topic = uniqueName('autocreated')
    const [result] = await producer.send({ topic, messages: [{ value: 'first' }] })
    expect(result).toMatchObject({ topicName: topic, errorCode: 0, baseOffset: '0' })
    const [read] = await readAll(topic, 1, 1)
    expect(read!.value!.toString()).toBe('first')
  })
})

describe('results', () => {
  test.each([-1, 1])('acks %i: one RecordMetadata per partition with the call’s first offset and the broker’s logStartOffset', async (acks) => {
    const topic = uniqueName('results')
    await createTopics([{ topic, numPartitions: 3 }])
    const producer = await connected()
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 === 0 ? 2 : 0 }))
    const expected = (base0: number, base2: number) => [
      // A fresh topic's log starts at 0, as the Produce response says.
      { topicName: topic, partition: 0, errorCode: 0, baseOffset: String(base0), logAppendTime: '-1', logStartOffset: '0' },
      { topicName: topic, partition: 2, errorCode: 0, baseOffset: String(base2), logAppendTime: '-1', logStartOffset: '0' },
    ]
    expect(await producer.send({ acks, topic, messages: messages(10) })).toEqual(expected(0, 0))
    expect(await producer.send({ acks, topic, messages: messages(10) })).toEqual(expected(5, 5))
  })

  test('acks 0 resolves with an empty list, and the records are written', async () => {
    const topic = uniqueName('acks0')
    await createTopics([{ topic }])
    const producer = await connected()
    expect(await producer.send({ acks: 0, topic, messages: [{ value: 'a' }, { value: 'b' }] })).toEqual([])
    expect((await readAll(topic, 1, 2)).map((r) => r.value!.toString())).toEqual(['a', 'b'])
  })

  test('empty messages and empty topicMessages resolve with []', async () => {
    const topic = uniqueName('empty')
    await createTopics([{ topic }])
    const producer = await connected()
    expect(await producer.send({ topic, messages: [] })).toEqual([])
    expect(await producer.sendBatch({ topicMessages: [] })).toEqual([])
  })

  test('sendBatch merges entries of the same topic and answers per topic in request order', async () => {
    const [a, b] = [uniqueName('batch-a'), uniqueName('batch-b')]
    await createTopics([{ topic: a }, { topic: b }])
    const producer = await connected()
    const result = await producer.sendBatch({
      topicMessages: [
        { topic: b, messages: [{ value: 'b1' }] },
        { topic: a, messages: [{ value: 'a1' }, { value: 'a2' }] },
        { topic: b, messages: [{ value: 'b2' }] },
      ],
    })
    expect(result).toEqual([
      expect.objectContaining({ topicName: b, partition: 0, baseOffset: '0' }),
      expect.objectContaining({ topicName: a, partition: 0, baseOffset: '0' }),
    ])
    expect((await readAll(b, 1, 2)).map((r) => r.value!.toString())).toEqual(['b1', 'b2'])
  })

  test('a LogAppendTime topic reports the broker’s append time as logAppendTime', async () => {
    const topic = uniqueName('append-time')
    await createTopics([{ topic, configs: { 'message.timestamp.type': 'LogAppendTime' } }])
    const producer = await connected()
    const [result] = await producer.send({ topic, messages: [{ value: 'v', timestamp: '1000' }] })
    expect(Number(result!.logAppendTime)).toBeGreaterThan(1000)
    const [read] = await readAll(topic, 1, 1)
    expect(String(read!.timestamp)).toBe(result!.logAppendTime)
  })
})

describe('records as written', () => {
  test('keys, null values, string timestamps and headers (strings, Buffers, lists) read back as sent', async () => {
    const topic = uniqueName('headers')
    await createTopics([{ topic }])
    const producer = await connected()
    await producer.send({
      topic,
      messages: [
        { key: 'k1', value: 'v1', timestamp: '1700000000123', headers: { a: 'x', b: Buffer.from([1, 2, 3]) } },
        { key: Buffer.from('k2'), value: null, headers: { list: ['one', Buffer.from('two')], single: 's' } },
        { value: 'no-key' },
      ],
    })
    const [first, second, third] = await readAll(topic, 1, 3)
    expect(first).toMatchObject({ key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1700000000123 })
    expect(first!.headers).toEqual([
      ['a', Buffer.from('x')],
      ['b', Buffer.from([1, 2, 3])],
    ])
    expect(second).toMatchObject({ key: Buffer.from('k2'), value: null })
    expect(second!.headers).toEqual([
      ['list', Buffer.from('one')],
      ['list', Buffer.from('two')],
      ['single', Buffer.from('s')],
    ])
    expect(third).toMatchObject({ key: null, value: Buffer.from('no-key'), headers: [] })
  })

  const codecs = [
    [CompressionTypes.GZIP, 'gzip'],
    [CompressionTypes.Snappy, 'snappy'],
    [CompressionTypes.LZ4, 'lz4'],
    [CompressionTypes.ZSTD, 'zstd'],
  ] as const
  test.each(codecs.filter(([, name]) => compressionAvailable(name)))('compression %i (%s) per send, mixed with uncompressed sends on one producer', async (compression) => {
    const topic = uniqueName('compressed')
    await createTopics([{ topic }])
    const producer = await connected()
    const value = 'x'.repeat(2_000)
    await producer.send({ topic, compression, messages: [{ value: `${value}-1` }, { value: `${value}-2` }] })
    await producer.send({ topic, messages: [{ value: `${value}-3` }] })
    await producer.send({ topic, compression, acks: 1, messages: [{ value: `${value}-4` }] })
    expect((await readAll(topic, 1, 4)).map((r) => r.value!.toString().slice(2_000))).toEqual(['-1', '-2', '-3', '-4'])
  })

  test('CompressionCodecs starts with working codecs in KafkaJS shape; registering a codec package is accepted and sends still work', async () => {
    const payload = Buffer.from('y'.repeat(5_000))
    const gzip = CompressionCodecs[CompressionTypes.GZIP]!()
    const compressed = await gzip.compress({ buffer: payload })
    expect(gunzipSync(compressed)).toEqual(payload)
    expect(await gzip.decompress(compressed)).toEqual(payload)
    for (const [type, name] of codecs.filter(([, codecName]) => compressionAvailable(codecName))) {
      const codec = CompressionCodecs[type]!()
      expect([name, await codec.decompress(await codec.compress({ buffer: payload }))]).toEqual([name, payload])
    }

    // What a KafkaJS program does with kafkajs-snappy: samsa keeps its own implementation (same wire format).
    const saved = CompressionCodecs[CompressionTypes.Snappy]!
    CompressionCodecs[CompressionTypes.Snappy] = () => ({ compress: async ({ buffer }) => buffer, decompress: async (buffer) => buffer })
    try {
      if (!compressionAvailable('snappy')) return
      const topic = uniqueName('registered')
      await createTopics([{ topic }])
      const producer = await connected()
      await producer.send({ topic, compression: CompressionTypes.Snappy, messages: [{ value: 'registered-1' }, { value: 'registered-2' }] })
      expect((await readAll(topic, 1, 2)).map((r) => r.value!.toString())).toEqual(['registered-1', 'registered-2'])
    } finally {
      CompressionCodecs[CompressionTypes.Snappy] = saved
    }
  })

  test('an unknown compression type is refused', async () => {
    const producer = await connected()
    await expect(producer.send({ topic: 't', compression: 9 as CompressionTypes, messages: [{ value: 'v' }] })).rejects.toThrow(/Compression type 9 is not supported/)
  })

  test('concurrent sends with acks -1 and the default idempotence write each record once, in order per partition', async () => {
    const topic = uniqueName('concurrent')
    await createTopics([{ topic, numPartitions: 3 }])
    const producer = await connected()
    const calls = Array.from({ length: 40 }, (_, c) => producer.send({ topic, messages: Array.from({ length: 25 }, (_, i) => ({ key: `key-${i % 6}`, value: `${c}:${i}` })) }))
    await Promise.all(calls)
    const records = await readAll(topic, 3, 1_000, { settleMs: 500 })
    expect(records).toHaveLength(1_000)
    const lastPerKey = new Map<string, [number, number]>()
    for (const record of records) {
      const [call, index] = record.value!.toString().split(':').map(Number) as [number, number]
      const previous = lastPerKey.get(record.key!.toString())
      if (previous) expect(call > previous[0] || (call === previous[0] && index > previous[1])).toBe(true)
      lastPerKey.set(record.key!.toString(), [call, index])
    }
  })
})
