// The run's broker (test/global-setup.mjs, or the cluster in KAFKA_BROKERS) answers real protocol requests on
// every listener the harness promises. Requests are built by hand: these tests must hold while the SDK is
// still being written.
import {
  API_KEY,
  RawKafkaConnection,
  authenticatePlain,
  authenticateScram,
  describeWithEnv,
  requestApiVersions,
  saslHandshake,
  testBrokers,
  trustingTls,
} from '../helpers/kafka.js'

const SASL_AUTHENTICATION_FAILED = 58
const brokers = testBrokers()

async function withConnection<T>(connection: RawKafkaConnection, use: (c: RawKafkaConnection) => Promise<T>): Promise<T> {
  try {
    return await use(connection)
  } finally {
    connection.close()
  }
}

async function expectServingApiVersions(connection: RawKafkaConnection): Promise<void> {
  const answer = await requestApiVersions(connection)
  expect(answer.errorCode).toBe(0)
  for (const apiKey of [API_KEY.Produce, API_KEY.Fetch, API_KEY.Metadata]) {
    expect(answer.apis.has(apiKey)).toBe(true)
  }
  expect(answer.apis.get(API_KEY.ApiVersions)?.maxVersion).toBeGreaterThanOrEqual(3)
}

describe('harness broker over PLAINTEXT', () => {
  it('answers ApiVersions v3 listing Produce, Fetch and Metadata', async () => {
    await withConnection(await RawKafkaConnection.connect(brokers.plaintext[0]), expectServingApiVersions)
  })
})

describeWithEnv(['KAFKA_SSL_BROKERS', 'KAFKA_SSL_CA_FILE'], 'harness broker over SSL', () => {
  const { ssl, caFile } = testBrokers()
  const address = ssl?.[0] ?? { host: '127.0.0.1', port: 0 }

  it('serves ApiVersions to a client that trusts the harness CA and checks the host name', async () => {
    await withConnection(await RawKafkaConnection.connect(address, trustingTls(caFile ?? '')), expectServingApiVersions)
  })

  it('presents a certificate that is valid for the IP address too', async () => {
    const { ca } = trustingTls(caFile ?? '')
    await withConnection(await RawKafkaConnection.connect(address, { ca }), expectServingApiVersions)
  })

  it('is refused by a client that trusts only the public CAs', async () => {
    await expect(RawKafkaConnection.connect(address, { servername: 'localhost' })).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)/i,
    )
  })
})

describeWithEnv(['KAFKA_SASL_BROKERS'], 'harness broker over SASL_PLAINTEXT', () => {
  const { sasl, username, password } = testBrokers()
  const address = sasl?.[0] ?? { host: '127.0.0.1', port: 0 }

  it('enables PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const handshake = await saslHandshake(connection, 'PLAIN')
      expect(handshake.errorCode).toBe(0)
      expect(handshake.mechanisms).toEqual(expect.arrayContaining(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']))
    })
  })

  it('authenticates the test user with PLAIN, then serves requests', async () => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const answer = await authenticatePlain(connection, username, password)
      expect(answer.errorCode).toBe(0)
      await expectServingApiVersions(connection)
    })
  })

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('authenticates the test user with %s, both sides proven', async (mechanism) => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const answer = await authenticateScram(connection, mechanism, username, password)
      expect(answer.errorCode).toBe(0)
      expect(answer.serverVerified).toBe(true)
      await expectServingApiVersions(connection)
    })
  })

  it('rejects a wrong password with PLAIN', async () => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const answer = await authenticatePlain(connection, username, `${password}-wrong`)
      expect(answer.errorCode).toBe(SASL_AUTHENTICATION_FAILED)
    })
  })

  it('rejects a wrong password with SCRAM-SHA-512', async () => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const answer = await authenticateScram(connection, 'SCRAM-SHA-512', username, `${password}-wrong`)
      expect(answer.errorCode).toBe(SASL_AUTHENTICATION_FAILED)
      expect(answer.serverVerified).toBe(false)
    })
  })
})

// The admin super user exists only on harness brokers (an external cluster has its own admin story).
describeWithEnv(['KAFKA_SASL_BROKERS', 'KAFKA_HARNESS_INSTANCE'], 'harness admin user', () => {
  const address = testBrokers().sasl?.[0] ?? { host: '127.0.0.1', port: 0 }

  it.each(['PLAIN', 'SCRAM-SHA-256'] as const)('authenticates admin/admin-secret with %s', async (mechanism) => {
    await withConnection(await RawKafkaConnection.connect(address), async (connection) => {
      const answer =
        mechanism === 'PLAIN'
          ? await authenticatePlain(connection, 'admin', 'admin-secret')
          : await authenticateScram(connection, mechanism, 'admin', 'admin-secret')
      expect(answer.errorCode).toBe(0)
    })
  })
})

describeWithEnv(['KAFKA_SASL_SSL_BROKERS', 'KAFKA_SSL_CA_FILE'], 'harness broker over SASL_SSL', () => {
  const { saslSsl, caFile, username, password } = testBrokers()
  const address = saslSsl?.[0] ?? { host: '127.0.0.1', port: 0 }

  it('authenticates with SCRAM-SHA-256 inside TLS, then serves requests', async () => {
    await withConnection(await RawKafkaConnection.connect(address, trustingTls(caFile ?? '')), async (connection) => {
      const answer = await authenticateScram(connection, 'SCRAM-SHA-256', username, password)
      expect(answer.errorCode).toBe(0)
      await expectServingApiVersions(connection)
    })
  })
})
