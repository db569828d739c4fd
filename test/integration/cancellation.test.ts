/**
 * Cancellation on the real broker (issue #13): an AbortSignal on producer.send/sendBatch/flush/close rejects with
 * AbortError promptly, records not yet appended to a batch are not written, and `await using` closes every client.
 *
 * A batch that stays pending (in flight, holding its buffer memory) comes from test/helpers/kafka-proxy.ts between the
 * producer and the real broker: the broker writes the batch, the proxy swallows its acknowledgement, and the
 * producer resends it after requestTimeoutMs, when the broker recognises the duplicate.
 */
import type { Admin } from '../../src/admin/admin.js'
import { AbortError, ConnectionError, KafkaError } from '../../src/errors.js'
import { Kafka } from '../../src/kafka.js'
import { ProducerClosedError } from '../../src/producer/producer.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { testBrokers } from '../helpers/kafka.js'

const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `${process.pid}-${Date.now()}`
let counter = 0
const unique = (label: string): string => `cancel-${label}-${RUN}-${counter++}`

let kafka: Kafka
let admin: Admin

beforeAll(() => {
  kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-cancellation', logger: false })
  admin = kafka.admin()
})

afterAll(async () => {
  await admin?.close()
  await kafka?.close()
})

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1, configs }])
  if (result!.error) throw result!.error
  await kafka.cluster.topics([name])
}

async function endOffset(topic: string): Promise<bigint> {
  const [result] = await admin.listOffsets([{ topic, partition: 0, spec: 'latest' }])
  if (result!.error) throw result!.error
  return result!.offset
}

/** Rejection of `promise`, and how long after `since` it came. */
async function rejection(promise: Promise<unknown>, since: number): Promise<{ error: unknown; afterMs: number }> {
  try {
    await promise
  } catch (error) {
    return { error, afterMs: Date.now() - since }
  }
  throw new Error('expected the promise to reject')
}

function expectAbortError(error: unknown, reason?: unknown): void {
  expect(error).toBeInstanceOf(AbortError)
  expect(error).toBeInstanceOf(KafkaError)
  const abort = error as AbortError
  expect(abort.name).toBe('AbortError')
  expect(abort.code).toBe('ABORT_ERR')
  expect(abort.retriable).toBe(false)
  if (reason !== undefined) expect(abort.cause).toBe(reason)
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('producer.send with a signal', () => {
  it('an already aborted signal rejects with AbortError (reason as cause) and writes nothing', async () => {
    const topic = unique('pre-aborted')
    await createTopic(topic)
    const producer = kafka.producer({ lingerMs: 0 })
    try {
      await producer.send({ topic, messages: [{ value: 'warm-up' }] })
      const before = await endOffset(topic)

      const reason = new Error('caller gave up')
      const { error } = await rejection(producer.send({ topic, messages: [{ value: 'never' }] }, { signal: AbortSignal.abort(reason) }), Date.now())
      expectAbortError(error, reason)
      const batch = producer.sendBatch([{ topic, messages: [{ value: 'never either' }] }], { signal: AbortSignal.abort(reason) })
      expectAbortError((await rejection(batch, Date.now())).error, reason)

      // The next record takes the offset the aborted ones would have had.
      await producer.flush()
      expect(await endOffset(topic)).toBe(before)
      const [after] = await producer.send({ topic, messages: [{ value: 'after' }] })
      expect(after!.offset).toBe(before)
      expect(await endOffset(topic)).toBe(before + 1n)
    } finally {
      await producer.close()
    }
  })

  it('aborted while waiting for the producer id: rejects, and the record is not written', async () => {
    const topic = unique('producer-id')
    await createTopic(topic)
    const before = await endOffset(topic)
    const producer = kafka.producer({ lingerMs: 0 })
    try {
      // A new idempotent producer first asks for its producer id: the record waits for it, not yet in a batch.
      const controller = new AbortController()
      const pending = producer.send({ topic, messages: [{ value: 'never' }] }, { signal: controller.signal })
      controller.abort('stop')
      expectAbortError((await rejection(pending, Date.now())).error, 'stop')

      const [after] = await producer.send({ topic, messages: [{ value: 'after' }] })
      expect(after!.offset).toBe(before)
      expect(await endOffset(topic)).toBe(before + 1n)
    } finally {
      await producer.close()
    }
  })

  it('aborted while waiting for metadata of a topic that does not exist: rejects promptly', async () => {
    const existing = unique('metadata-warm')
    await createTopic(existing)
    const missing = unique('missing')
    const producer = kafka.producer({ lingerMs: 0 })
    try {
      await producer.send({ topic: existing, messages: [{ value: 'warm-up' }] }) // producer id known: only metadata is waited for
      const signal = AbortSignal.timeout(200)
      const started = Date.now()
      const { error, afterMs } = await rejection(producer.send({ topic: missing, messages: [{ value: 'x' }] }, { signal }), started)
      expectAbortError(error, signal.reason)
      expect((signal.reason as Error).name).toBe('TimeoutError')
      // Without the signal, the retries on UNKNOWN_TOPIC_OR_PARTITION alone take seconds.
      expect(afterMs).toBeGreaterThanOrEqual(150)
      expect(afterMs).toBeLessThan(1_000)
      expect(kafka.cluster.topic(missing)).toBeUndefined()
      // The metadata wait ended with the signal: closing does not wait for it.
      const closing = Date.now()
      await producer.close({ timeoutMs: 5_000 })
      expect(Date.now() - closing).toBeLessThan(1_000)
    } finally {
      await producer.close()
    }
  })
})

describe('with produce acknowledgements held back (a proxy swallows the responses)', () => {
  let proxy: KafkaProxy
  let proxied: Kafka

  beforeAll(async () => {
    proxy = await KafkaProxy.start(testBrokers().plaintext[0]!)
    proxied = new Kafka({ brokers: proxy.bootstrap, clientId: 'samsa-cancellation-proxied', logger: false })
  })

  afterEach(() => {
    proxy.dropProduceResponses = false
  })

  afterAll(async () => {
    await proxied?.close()
    await proxy?.close()
  })

  // The broker writes every batch; only its answer is lost, so a batch stays in flight (and holds its buffer memory)
  // until requestTimeoutMs, then is resent and recognised as a duplicate.
  const OPTIONS = { lingerMs: 0, requestTimeoutMs: 2_000, deliveryTimeoutMs: 30_000 }

  /** Resolves once the broker has written a batch whose acknowledgement the proxy swallowed. */
  async function batchInFlight(droppedBefore: number): Promise<void> {
    const deadline = Date.now() + 10_000
    while (proxy.droppedProduceResponses <= droppedBefore) {
      if (Date.now() > deadline) throw new Error('no Produce request reached the broker')
      await delay(10)
    }
  }

  /** A producer whose producer id and topic metadata are known: later sends wait for nothing but what the test sets up. */
  async function warmProducer(topic: string, options: Parameters<Kafka['producer']>[0] = {}): Promise<ReturnType<Kafka['producer']>> {
    const producer = proxied.producer({ ...OPTIONS, ...options })
    await producer.send({ topic, messages: [{ value: 'warm-up' }] })
    return producer
  }

  it('send aborted while blocked on bufferMemory rejects promptly; the record is not written once memory frees', async () => {
    const topic = unique('buffer-memory')
    await createTopic(topic)
    // Every batch reserves batchSize bytes and bufferMemory holds one batch: a second batch waits for the first.
    const producer = await warmProducer(topic, { batchSize: 64 * 1024, bufferMemory: 64 * 1024, maxBlockMs: 30_000 })
    try {
      const dropped = proxy.droppedProduceResponses
      proxy.dropProduceResponses = true
      const first = producer.send({ topic, messages: [{ value: Buffer.alloc(1024, 1) }] })
      await batchInFlight(dropped)
      expect(producer.bufferedBytes).toBe(64 * 1024)

      const controller = new AbortController()
      const blocked = producer.send({ topic, messages: [{ value: Buffer.alloc(1024, 2) }] }, { signal: controller.signal })
      await delay(200)
      const started = Date.now()
      controller.abort()
      const { error, afterMs } = await rejection(blocked, started)
      expectAbortError(error, controller.signal.reason)
      expect(afterMs).toBeLessThan(1_000)

      // The first batch is resent after requestTimeoutMs and acknowledged, which frees its memory: the aborted record
      // must not take that memory and be written after it.
      proxy.dropProduceResponses = false
      const [written] = await first
      expect(written!.offset).toBe(1n)
      await producer.flush()
      expect(producer.bufferedBytes).toBe(0)
      expect(await endOffset(topic)).toBe(2n)
    } finally {
      await producer.close({ timeoutMs: 1_000 })
    }
  })

  it('send aborted after its record is in a batch rejects at once; the record may still be delivered', async () => {
    const topic = unique('in-batch')
    await createTopic(topic)
    const producer = await warmProducer(topic)
    try {
      const dropped = proxy.droppedProduceResponses
      proxy.dropProduceResponses = true
      const controller = new AbortController()
      const pending = producer.send({ topic, messages: [{ value: 'in a batch' }] }, { signal: controller.signal })
      await batchInFlight(dropped)
      const started = Date.now()
      controller.abort()
      const { error, afterMs } = await rejection(pending, started)
      expectAbortError(error)
      expect(afterMs).toBeLessThan(1_000)

      // As documented: the batch was already on its way, and the broker wrote it.
      expect(await endOffset(topic)).toBe(2n)
      proxy.dropProduceResponses = false
      await producer.flush()
      expect(await endOffset(topic)).toBe(2n) // the resend was recognised as a duplicate
    } finally {
      await producer.close({ timeoutMs: 1_000 })
    }
  })

  it('flush({ signal }) stops waiting with AbortError; the records go on', async () => {
    const topic = unique('flush')
    await createTopic(topic)
    const producer = await warmProducer(topic)
    try {
      const dropped = proxy.droppedProduceResponses
      proxy.dropProduceResponses = true
      const pending = producer.send({ topic, messages: [{ value: 'x' }] })
      await batchInFlight(dropped)
      const signal = AbortSignal.timeout(200)
      const started = Date.now()
      const { error, afterMs } = await rejection(producer.flush({ signal }), started)
      expectAbortError(error, signal.reason)
      expect(afterMs).toBeGreaterThanOrEqual(150)
      expect(afterMs).toBeLessThan(1_000)
      await expect(producer.flush({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)

      proxy.dropProduceResponses = false
      await producer.flush()
      const [written] = await pending
      expect(written!.offset).toBe(1n)
    } finally {
      await producer.close({ timeoutMs: 1_000 })
    }
  })

  it('close({ signal }) stops waiting, force-closes (pending records fail), and rejects with AbortError', async () => {
    const topic = unique('close')
    await createTopic(topic)
    const producer = await warmProducer(topic)
    const dropped = proxy.droppedProduceResponses
    proxy.dropProduceResponses = true
    const pendingOutcome = rejection(producer.send({ topic, messages: [{ value: 'x' }] }), Date.now())
    await batchInFlight(dropped)
    const signal = AbortSignal.timeout(200)
    const started = Date.now()
    const { error, afterMs } = await rejection(producer.close({ signal, timeoutMs: 30_000 }), started)
    expectAbortError(error, signal.reason)
    expect(afterMs).toBeGreaterThanOrEqual(150)
    expect(afterMs).toBeLessThan(1_000)
    expect((await pendingOutcome).error).toBeInstanceOf(ProducerClosedError)
    await expect(producer.send({ topic, messages: [{ value: 'y' }] })).rejects.toBeInstanceOf(ProducerClosedError)
    await producer.close() // already closed: resolves
  })
})

describe('producer.close with an already aborted signal', () => {
  it('closes at once and rejects with AbortError', async () => {
    const topic = unique('close-pre-aborted')
    await createTopic(topic)
    const producer = kafka.producer({ lingerMs: 0 })
    await producer.send({ topic, messages: [{ value: 'x' }] })
    const reason = new Error('now')
    await expect(producer.close({ signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason })
    await expect(producer.send({ topic, messages: [{ value: 'y' }] })).rejects.toBeInstanceOf(ProducerClosedError)
  })
})

describe('await using', () => {
  it('closes a producer at the end of the scope', async () => {
    const topic = unique('using-producer')
    await createTopic(topic)
    let outside: ReturnType<Kafka['producer']> | undefined
    {
      await using producer = kafka.producer({ lingerMs: 0 })
      outside = producer
      const [written] = await producer.send({ topic, messages: [{ value: 'x' }] })
      expect(written!.offset).toBe(0n)
    }
    await expect(outside.send({ topic, messages: [{ value: 'y' }] })).rejects.toBeInstanceOf(ProducerClosedError)
  })

  it('closes a consumer at the end of the scope', async () => {
    let outside: ReturnType<Kafka['consumer']> | undefined
    {
      await using consumer = kafka.consumer({ groupId: unique('using-group') })
      outside = consumer
    }
    await expect(outside.subscribe([unique('t')])).rejects.toThrow('The consumer is closed')
  })

  it('closes a share consumer at the end of the scope', async () => {
    let outside: ReturnType<Kafka['shareConsumer']> | undefined
    {
      await using consumer = kafka.shareConsumer({ groupId: unique('using-share-group') })
      outside = consumer
    }
    await expect(outside.subscribe([unique('t')])).rejects.toThrow('the share consumer is closed')
  })

  it('closes an admin client at the end of the scope', async () => {
    let outside: Admin | undefined
    {
      await using scoped = kafka.admin()
      outside = scoped
      expect(Array.isArray(await scoped.listTopics())).toBe(true)
    }
    await expect(outside.listTopics()).rejects.toThrow('The admin client is closed')
  })

  it('closes a Kafka (every connection) at the end of the scope', async () => {
    let outside: Kafka | undefined
    {
      await using scoped = new Kafka({ brokers: bootstrap, clientId: 'samsa-cancellation-using', logger: false })
      outside = scoped
      const scopedAdmin = scoped.admin()
      expect(Array.isArray(await scopedAdmin.listTopics())).toBe(true) // left open: the Kafka's close ends it
    }
    const late = outside.admin()
    try {
      const { error } = await rejection(late.listTopics(), Date.now())
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as Error).message).toContain('The client is closed')
    } finally {
      await late.close()
    }
  })
})
