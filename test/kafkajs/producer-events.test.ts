/**
 * The producer's instrumentation events on the broker, with KafkaJS's payloads: CONNECT/DISCONNECT, REQUEST for each
 * answered request of this producer only, REQUEST_QUEUE_SIZE while requests wait to be written, and REQUEST_TIMEOUT
 * for a Produce whose answer never comes (dropped by a proxy in front of the real broker).
 */
import { parseHostPort } from '../../src/network/cluster.js'
import { CompressionTypes, Partitioners, type Producer, type RequestEvent, type RequestQueueSizeEvent, type RequestTimeoutEvent } from '../../src/kafkajs/index.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { brokers, createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { readAll } from './producer-helpers.js'

const createPartitioner = Partitioners.DefaultPartitioner
const open: Producer[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((producer) => producer.disconnect()))
})

test('CONNECT and DISCONNECT, with null payloads; a removed listener hears nothing more', async () => {
  const producer = newKafka().producer({ createPartitioner })
  const types: string[] = []
  producer.on(producer.events.CONNECT, (event) => {
    expect(event.payload).toBeNull()
    types.push(event.type)
  })
  const remove = producer.on(producer.events.DISCONNECT, (event) => types.push(event.type))
  await producer.connect()
  await producer.disconnect()
  remove()
  await producer.connect()
  await producer.disconnect()
  expect(types).toEqual(['producer.connect', 'producer.disconnect', 'producer.connect'])
})

test('REQUEST reports this producer’s requests only, with KafkaJS’s payload', async () => {
  const topic = uniqueName('events')
  await createTopics([{ topic }])
  const kafka = newKafka({ clientId: 'events-client' })
  const producer = kafka.producer({ createPartitioner })
  const other = kafka.producer({ createPartitioner })
  open.push(producer, other)
  const requests: RequestEvent[] = []
  producer.on(producer.events.REQUEST, (event) => requests.push(event))
  await producer.connect()
  await other.connect()
  await other.send({ topic, messages: [{ value: 'not mine' }] })
  const producesBefore = requests.filter((e) => e.payload.apiName === 'Produce').length
  await producer.send({ topic, messages: [{ value: 'mine' }] })
  const produces = requests.filter((e) => e.payload.apiName === 'Produce')
  expect(producesBefore).toBe(0)
  expect(produces).toHaveLength(1)
  const event = produces[0]!
  expect(event.type).toBe('producer.network.request')
  expect(event.payload).toEqual({
    broker: expect.stringMatching(/:\d+$/),
    clientId: 'events-client',
    correlationId: expect.any(Number),
    size: expect.any(Number),
    createdAt: expect.any(Number),
    sentAt: expect.any(Number),
    pendingDuration: expect.any(Number),
    duration: expect.any(Number),
    apiName: 'Produce',
    apiKey: 0,
    apiVersion: expect.any(Number),
  })
  expect(event.payload.size).toBeGreaterThan(0)
  expect(event.payload.sentAt).toBeGreaterThanOrEqual(event.payload.createdAt)
  expect(requests.some((e) => e.payload.apiName === 'Metadata')).toBe(true)
})

test('REQUEST_QUEUE_SIZE reports requests waiting to be written, back to 0', async () => {
  const topic = uniqueName('queue')
  await createTopics([{ topic, numPartitions: 6 }])
  const producer = newKafka().producer({ createPartitioner })
  open.push(producer)
  const sizes: RequestQueueSizeEvent[] = []
  producer.on(producer.events.REQUEST_QUEUE_SIZE, (event) => sizes.push(event))
  await producer.connect()
  // Megabyte requests fill the socket's buffer, so later ones wait in the connection's queue.
  const value = Buffer.alloc(400_000, 1)
  await Promise.all(Array.from({ length: 12 }, (_, i) => producer.send({ topic, acks: 1, messages: [{ value, partition: i % 6 }, { value, partition: i % 6 }] })))
  expect(sizes.length).toBeGreaterThan(0)
  expect(sizes.some((e) => e.payload.queueSize > 0)).toBe(true)
  expect(sizes.at(-1)!.payload.queueSize).toBe(0)
  expect(sizes[0]).toMatchObject({ type: 'producer.network.request_queue_size', payload: { broker: expect.any(String), clientId: 'samsa-kafkajs-test' } })
})

test('maxInFlightRequests bounds each connection as in KafkaJS: the excess waits, and REQUEST_QUEUE_SIZE reports it', async () => {
  const topic = uniqueName('queue-limit')
  await createTopics([{ topic, numPartitions: 3 }])
  const producer = newKafka().producer({ createPartitioner, maxInFlightRequests: 1 })
  open.push(producer)
  const sizes: number[] = []
  producer.on(producer.events.REQUEST_QUEUE_SIZE, (event) => sizes.push(event.payload.queueSize))
  await producer.connect()
  // Each acks/compression pair has its own samsa producer on the same connection; warmed up, each sends at once.
  const kinds = [{}, { acks: 1 }, { acks: 1, compression: CompressionTypes.GZIP }]
  for (const kind of kinds) await producer.send({ topic, ...kind, messages: [{ value: 'warm-up' }] })
  sizes.length = 0
  await Promise.all(kinds.map((kind, i) => producer.send({ topic, ...kind, messages: [{ value: `v${i}`, partition: i }] })))
  expect(Math.max(...sizes)).toBeGreaterThan(0)
  expect(sizes.at(-1)).toBe(0)
})

test('REQUEST_TIMEOUT for a Produce whose answer is lost; the retried send still writes its record once', async () => {
  const topic = uniqueName('timeout')
  await createTopics([{ topic }])
  const proxy = await KafkaProxy.start(parseHostPort(brokers[0]!))
  try {
    const producer = newKafka({ brokers: [proxy.bootstrap] }).producer({ createPartitioner })
    open.push(producer)
    const timeouts: RequestTimeoutEvent[] = []
    producer.on(producer.events.REQUEST_TIMEOUT, (event) => timeouts.push(event))
    await producer.connect()
    proxy.dropProduceResponses = true
    const sent = producer.send({ topic, timeout: 1_000, messages: [{ value: 'once' }] })
    await waitFor(() => timeouts.length > 0, 20_000, 'a request timeout')
    proxy.dropProduceResponses = false
    await sent
    expect(timeouts[0]).toMatchObject({
      type: 'producer.network.request_timeout',
      payload: { apiName: 'Produce', apiKey: 0, clientId: 'samsa-kafkajs-test', broker: expect.any(String), correlationId: expect.any(Number) },
    })
    expect(timeouts[0]!.payload.sentAt).toBeGreaterThan(0)
    await producer.disconnect()
  } finally {
    await proxy.close()
  }
  const read = await readAll(topic, 1, 1, { settleMs: 500 })
  expect(read.map((r) => r.value!.toString())).toEqual(['once'])
})
