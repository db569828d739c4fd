/**
 * Idempotence when acknowledgements are lost: a proxy lets the broker write batches but swallows its answers, so a
 * batch fails by delivery timeout although it is stored (an unresolved sequence). The batch behind it, also
 * written, must then be resent under its original identity — the broker recognises it as a duplicate — not
 * renumbered under a new epoch, which would store it twice.
 */
import { Kafka } from '../../src/kafka.js'
import { TimeoutError } from '../../src/errors.js'
import { parseHostPort } from '../../src/network/cluster.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { readTopicWithJava } from '../helpers/java-clients.js'
import { testBrokers } from '../helpers/kafka.js'

describe('unresolved sequences (acknowledgements lost)', () => {
  it('a batch written but never acknowledged does not get the batches behind it written twice', async () => {
    const bootstrap = process.env.KAFKA_BROKERS!
    testBrokers()
    const proxy = await KafkaProxy.start(parseHostPort(bootstrap.split(',')[0]!))
    const kafka = new Kafka({ brokers: proxy.bootstrap, clientId: 'samsa-unresolved-test', logger: false })
    const admin = kafka.admin()
    const topic = `unresolved-${Date.now()}`
    try {
      await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
      const producer = kafka.producer({
        lingerMs: 0,
        requestTimeoutMs: 3000,
        deliveryTimeoutMs: 6000,
        retryBackoffMs: 1000,
        retryBackoffMaxMs: 1000,
      })
      await producer.send({ topic, messages: [{ value: 'a0' }] }) // acknowledged: later batches may pipeline

      proxy.dropProduceResponses = true
      const first = producer.send({ topic, messages: [{ value: 'a1' }] }).then(
        () => 'acknowledged',
        (error: unknown) => error,
      )
      // Sent while the first one's initial attempt is still in flight (requestTimeoutMs 3000): written right behind
      // it, with a delivery deadline 2 s later than the first's, so it is still being retried when answers return.
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const second = producer.send({ topic, messages: [{ value: 'a2' }] })
      // The first batch runs out of deliveryTimeoutMs with every answer swallowed (it was written all the same).
      const outcome = await first
      expect(outcome).toBeInstanceOf(TimeoutError)
      proxy.dropProduceResponses = false
      // The second batch is resent as it was and the broker answers it as the duplicate it is.
      const [result] = await second
      expect(result!.offset).toBe(2n)
      expect(proxy.droppedProduceResponses).toBeGreaterThanOrEqual(2)
      await producer.close()

      const stored = await readTopicWithJava({ bootstrap, topic, isolationLevel: 'read_uncommitted' })
      expect(stored.records.map((r) => r.value!.toString())).toEqual(['a0', 'a1', 'a2'])
    } finally {
      await admin.close()
      await kafka.close()
      await proxy.close()
    }
  }, 60_000)
})
