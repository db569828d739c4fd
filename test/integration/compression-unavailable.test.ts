/**
 * A compression codec whose binding cannot be loaded fails only what meets it, against the real broker: a send in
 * that codec rejects with CompressionCodecUnavailableError (the producer keeps sending in other codecs), and a
 * consumer reaching a batch in that codec throws it from its iterator. The binding is made unloadable by a module
 * registry in which requiring `snappy` fails, as it does when its prebuilt binary is missing.
 */
import { Kafka } from '../../src/kafka.js'
import { testBrokers } from '../helpers/kafka.js'

type Samsa = typeof import('../../src/index.js')

const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `${process.pid}-${Date.now()}`

/**
 * samsa from a fresh module registry where requiring `snappy` fails. The mock stays until the test ends (bindings
 * are required lazily); the test's own client must have loaded snappy before.
 */
function samsaWithoutSnappy(): Samsa {
  let samsa: Samsa | undefined
  jest.isolateModules(() => {
    jest.doMock('snappy', () => {
      throw Object.assign(new Error("Cannot find module 'snappy'"), { code: 'MODULE_NOT_FOUND' })
    })
    samsa = require('../../src/index.js') as Samsa
  })
  return samsa!
}

afterAll(() => jest.dontMock('snappy'))

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

it('snappy without its binding: sends and fetches in snappy fail with the typed error, gzip keeps working', async () => {
  const topic = `compression-unavailable-${RUN}`
  const kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-compression', logger: false })
  const admin = kafka.admin()
  let limited: InstanceType<Samsa['Kafka']> | undefined
  try {
    const [created] = await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    if (created!.error) throw created!.error
    // A snappy batch written where the binding loads.
    const writer = kafka.producer({ compression: 'snappy', lingerMs: 0 })
    await writer.send({ topic, messages: [{ key: 'a', value: 'written in snappy' }] })
    await writer.close()

    const samsa = samsaWithoutSnappy()
    limited = new samsa.Kafka({ brokers: bootstrap, clientId: 'samsa-compression-limited', logger: false })

    expect(samsa.compressionAvailable('snappy')).toBe(false)
    const snappyProducer = limited.producer({ compression: 'snappy', lingerMs: 0 })
    const gzipProducer = limited.producer({ compression: 'gzip', lingerMs: 0 })
    try {
      const failed = await snappyProducer.send({ topic, messages: [{ value: 'never sent' }] }).then(
        () => null,
        (error: unknown) => error,
      )
      expect(failed).toBeInstanceOf(samsa.CompressionCodecUnavailableError)
      expect(failed).toBeInstanceOf(samsa.KafkaError)
      expect(failed).toMatchObject({ codec: 'snappy', retriable: false })
      expect((failed as Error).message).toMatch(/^snappy compression is not available here .*`snappy` package/)
      const [meta] = await gzipProducer.send({ topic, messages: [{ key: 'b', value: 'written in gzip' }] })
      expect(meta!.offset).toBe(1n)
    } finally {
      await snappyProducer.close()
      await gzipProducer.close()
    }

    const consumer = limited.consumer({ groupId: `compression-unavailable-${RUN}`, autoOffsetReset: 'earliest' })
    try {
      await consumer.subscribe([topic])
      const read = (async () => {
        for await (const message of consumer) throw new Error(`delivered offset ${message.offset} although its batch cannot be decompressed`)
      })()
      const error = await withTimeout(
        read.then(
          () => null,
          (e: unknown) => e,
        ),
        30_000,
        'the consumer failing',
      )
      expect(error).toBeInstanceOf(samsa.CompressionCodecUnavailableError)
      expect(error).toMatchObject({ codec: 'snappy' })
    } finally {
      await consumer.close()
    }
  } finally {
    await admin.close()
    await limited?.close()
    await kafka.close()
  }
})
