// The legacy broker line (KAFKA_LEGACY_VERSION, 3.9.x) starts from the same harness and serves every listener
// the current one does, so version-negotiation tests can run against it.
import {
  API_KEY,
  HarnessInstance,
  RawKafkaConnection,
  authenticateScram,
  parseBrokers,
  requestApiVersions,
  startKafka,
  stopKafka,
  trustingTls,
} from '../helpers/kafka.js'

const LEGACY_VERSION = '3.9.2'
const SHARE_GROUP_HEARTBEAT = 76
const CONSUMER_GROUP_HEARTBEAT = 68

describe(`Kafka ${LEGACY_VERSION} harness broker`, () => {
  let legacy: HarnessInstance | undefined

  beforeAll(async () => {
    legacy = await startKafka({ kafkaVersion: LEGACY_VERSION })
  }, 240_000)

  afterAll(async () => {
    if (legacy) await stopKafka(legacy.name)
  }, 60_000)

  function started(): HarnessInstance {
    if (!legacy) throw new Error('legacy broker did not start')
    return legacy
  }

  it('reports the legacy version', () => {
    expect(started().kafkaVersion).toBe(LEGACY_VERSION)
  })

  it('answers ApiVersions v3: Produce, Fetch, Metadata and the KIP-848 preview, but no share groups', async () => {
    const connection = await RawKafkaConnection.connect(parseBrokers(started().bootstrap)[0])
    try {
      const answer = await requestApiVersions(connection)
      expect(answer.errorCode).toBe(0)
      for (const apiKey of [API_KEY.Produce, API_KEY.Fetch, API_KEY.Metadata, CONSUMER_GROUP_HEARTBEAT]) {
        expect(answer.apis.has(apiKey)).toBe(true)
      }
      expect(answer.apis.has(SHARE_GROUP_HEARTBEAT)).toBe(false)
    } finally {
      connection.close()
    }
  })

  it('authenticates SCRAM-SHA-512 over SASL_SSL (credentials written at format time on 3.9 too)', async () => {
    const { listeners, caFile, users } = started()
    const address = parseBrokers(listeners.saslSsl ?? '')[0]
    const connection = await RawKafkaConnection.connect(address, trustingTls(caFile ?? ''))
    try {
      const answer = await authenticateScram(connection, 'SCRAM-SHA-512', 'samsa', users?.samsa.password ?? '')
      expect(answer.errorCode).toBe(0)
      expect(answer.serverVerified).toBe(true)
    } finally {
      connection.close()
    }
  })
})
