/**
 * The connection handshake in every facade client's REQUEST events: KafkaJS reports ApiVersions (and, on a SASL
 * listener, SaslHandshake and SaslAuthenticate) as it reports any request, so the producer, the consumer and the
 * admin client each must too.
 */
import type { RequestEvent } from '../../src/kafkajs/index.js'
import { describeWithEnv } from '../helpers/kafka.js'
import { newKafka, uniqueName } from './support.js'

interface Client {
  events: { REQUEST: string }
  on(event: 'producer.network.request' | 'consumer.network.request' | 'admin.network.request', listener: (event: RequestEvent) => void): unknown
  connect(): Promise<void>
  disconnect(): Promise<void>
}

type Config = Parameters<typeof newKafka>[0]

function clients(config: Config): Array<[string, Client]> {
  const kafka = newKafka(config)
  return [
    ['producer', kafka.producer() as unknown as Client],
    ['consumer', kafka.consumer({ groupId: uniqueName('handshake') }) as unknown as Client],
    ['admin', kafka.admin() as unknown as Client],
  ]
}

/** The REQUEST events `client` emits while it connects. */
async function handshakeRequests(client: Client): Promise<RequestEvent[]> {
  const events: RequestEvent[] = []
  client.on(client.events.REQUEST as 'admin.network.request', (event) => events.push(event))
  try {
    await client.connect()
  } finally {
    await client.disconnect()
  }
  return events
}

test.each(clients({}))('%s reports the ApiVersions request of its connect, with KafkaJS’s payload', async (kind, client) => {
  const events = await handshakeRequests(client)
  const apiVersions = events.find((e) => e.payload.apiName === 'ApiVersions')
  expect(apiVersions).toMatchObject({
    type: `${kind}.network.request`,
    payload: { apiKey: 18, apiVersion: expect.any(Number), broker: expect.any(String), clientId: 'samsa-kafkajs-test', size: expect.any(Number) },
  })
  expect(apiVersions!.payload.size).toBeGreaterThan(0)
})

describeWithEnv(['KAFKA_SASL_BROKERS', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'], 'over SASL', () => {
  const sasl = (): Config => ({
    brokers: process.env.KAFKA_SASL_BROKERS!.split(','),
    sasl: { mechanism: 'scram-sha-256', username: process.env.KAFKA_SASL_USERNAME!, password: process.env.KAFKA_SASL_PASSWORD! },
  })

  test.each(clients(sasl()))('%s reports ApiVersions, SaslHandshake and SaslAuthenticate before its first other request', async (_kind, client) => {
    const names = (await handshakeRequests(client)).map((e) => e.payload.apiName)
    expect(names.slice(0, 3)).toEqual(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate'])
    // SCRAM takes two rounds.
    expect(names.filter((name) => name === 'SaslAuthenticate')).toHaveLength(2)
  })
})
