/**
 * `requestObserver`: a client's own requests, reported per client (the diagnostics channels are process-wide), with
 * wall-clock call and write times; another client on the same broker is not reported.
 */
import { Kafka, type RequestObserver } from '../../src/index.js'
import { testBrokers } from '../helpers/kafka.js'

test('reports every answered request of its own client, and nothing of another', async () => {
  const brokers = testBrokers().plaintext.map((b) => `${b.host}:${b.port}`)
  const seen: Array<Parameters<RequestObserver['requestEnd']>[0]> = []
  const observer: RequestObserver = { requestEnd: (event) => seen.push(event), queueSize: () => {} }
  const observed = new Kafka({ brokers, clientId: 'observed', logger: false, requestObserver: observer })
  const other = new Kafka({ brokers, clientId: 'other', logger: false })
  try {
    await other.admin().listTopics()
    expect(seen).toHaveLength(0)
    await observed.admin().listTopics()
    const metadata = seen.filter((e) => e.apiName === 'Metadata')
    expect(metadata.length).toBeGreaterThan(0)
    for (const event of metadata) {
      expect(event.error).toBeUndefined()
      expect(event.bytesIn).toBeGreaterThan(0)
      expect(event.sentAt).toBeGreaterThanOrEqual(event.createdAt)
      expect(event.createdAt).toBeGreaterThan(0)
    }
  } finally {
    await observed.close()
    await other.close()
  }
})
