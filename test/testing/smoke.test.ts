import { Kafka } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'

describe('FakeKafka smoke', () => {
  it('samsa produces and consumes through it', async () => {
    const fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'orders', partitions: 6 }], seed: 1 })
    const kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
    try {
      const producer = kafka.producer()
      const metas = await producer.send({ topic: 'orders', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] })
      expect(metas.length).toBe(2)
      await producer.close()
      const consumer = kafka.consumer({ valueDeserializer: 'string', autoOffsetReset: 'earliest' })
      await consumer.assign([{ topic: 'orders', partition: metas[0]!.partition }])
      for await (const m of consumer) {
        expect(m.value).toBe('1')
        break
      }
      await consumer.close()
    } finally {
      await kafka.close()
      await fake.stop()
    }
  })
})
