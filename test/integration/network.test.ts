/**
 * The connection layer against the real broker the jest global setup started (or KAFKA_BROKERS).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Connection } from '../../src/network/connection.js'
import { Cluster, parseHostPort } from '../../src/network/cluster.js'
import { FrameReader, READ_BYTES_PER_TURN } from '../../src/network/frame-reader.js'
import { saslMechanismFrom, type SaslMechanism } from '../../src/network/sasl/index.js'
import { apis, ApiKeys, type AnyApiCodec } from '../../src/protocol/index.js'
import { AuthenticationError, KafkaProtocolError } from '../../src/errors.js'
import { AbortedError } from '../../src/network/abort.js'
import { watchTurns } from '../helpers/event-loop-turns.js'
import { eventually } from '../helpers/wait.js'
import type { ProducerOptions } from '../../src/producer/options.js'
import type { ProducerMessage } from '../../src/producer/producer.js'

const bootstrap = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
const { host, port } = parseHostPort(bootstrap[0]!)
const saslBrokers = process.env.KAFKA_SASL_BROKERS
const sslBrokers = process.env.KAFKA_SSL_BROKERS
const caFile = process.env.KAFKA_SSL_CA_FILE

function topicName(label: string): string {
  return `network-${label}-${process.pid}-${Date.now()}`
}

async function createTopic(connection: Connection, name: string, partitions = 1): Promise<void> {
  const response = await connection.send(apis[ApiKeys.CreateTopics]!, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  } as never)
  const result = (response as { topics: Array<{ errorCode: number }> }).topics[0]!
  expect([0, 36]).toContain(result.errorCode) // 36: TOPIC_ALREADY_EXISTS
}

describe('Connection', () => {
  let connection: Connection
  beforeAll(async () => {
    connection = await Connection.open({ host, port, clientId: 'samsa-network-test', maxInFlightRequests: 64 })
  })
  afterAll(() => connection?.close())

  it('negotiates versions with the broker', () => {
    const metadata = connection.versions.require(ApiKeys.Metadata)
    expect(metadata).toBeGreaterThanOrEqual(12)
    expect(connection.versions.get(ApiKeys.Produce)).not.toBeNull()
    // Finalized feature levels come with ApiVersions v3+; a 4.x broker finalizes metadata.version.
    expect(connection.versions.featureLevel('metadata.version')).toBeGreaterThan(0)
  })

  it('pipelines 10 000 mixed requests in order with bounded in-flight', async () => {
    const kinds = [ApiKeys.ApiVersions, ApiKeys.Metadata, ApiKeys.DescribeCluster] as const
    let maxInFlight = 0
    const promises: Array<Promise<{ kind: number; response: unknown }>> = []
    for (let i = 0; i < 10_000; i++) {
      const kind = kinds[i % kinds.length]!
      const body =
        kind === ApiKeys.Metadata
          ? { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }
          : kind === ApiKeys.DescribeCluster
            ? { includeClusterAuthorizedOperations: false }
            : { clientSoftwareName: 'samsa', clientSoftwareVersion: '0' }
      promises.push(connection.send(apis[kind] as AnyApiCodec, body).then((response) => ({ kind, response })))
      maxInFlight = Math.max(maxInFlight, connection.inFlightCount)
    }
    const order: number[] = []
    promises.forEach((p, i) => p.then(() => order.push(i)))
    const results = await Promise.all(promises)
    expect(maxInFlight).toBeLessThanOrEqual(64)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    results.forEach(({ kind, response }, i) => {
      expect(kind).toBe(kinds[i % kinds.length])
      const r = response as Record<string, unknown>
      if (kind === ApiKeys.Metadata) expect(Array.isArray(r.brokers)).toBe(true)
      if (kind === ApiKeys.DescribeCluster) expect(r.clusterId).toEqual(expect.any(String))
      if (kind === ApiKeys.ApiVersions) expect(r.errorCode).toBe(0)
    })
  })

  it('aborting a request in flight settles it at once and keeps the connection usable', async () => {
    const controller = new AbortController()
    const pending = connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(AbortedError)
    const after = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
    expect(after.brokers.length).toBeGreaterThan(0)
  })
})

describe('Cluster', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = new Cluster({ brokers: bootstrap, clientId: 'samsa-cluster-test', logger: undefined })
  })
  afterAll(() => cluster?.close())

  it('loads metadata, coalesces concurrent refreshes and routes to the leader', async () => {
    const connection = await cluster.anyConnection()
    const name = topicName('meta')
    await createTopic(connection, name, 3)
    const refreshes = await Promise.all([cluster.refreshMetadata([name]), cluster.refreshMetadata([name]), cluster.refreshMetadata([name])])
    expect(refreshes).toHaveLength(3)
    const [topic] = await cluster.topics([name])
    expect(topic!.partitions).toHaveLength(3)
    expect(topic!.topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA')
    expect(cluster.topicNameById(topic!.topicId)).toBe(name)
    const leader = await cluster.leaderFor(name, 2)
    expect(cluster.brokers().map((b) => b.nodeId)).toContain(leader.nodeId)
  })

  it('reports an unknown topic as a typed, non-retried error after its retries', async () => {
    const small = new Cluster({ brokers: bootstrap, clientId: 'samsa-cluster-test', retry: { retries: 1, initialBackoffMs: 10, maxBackoffMs: 20 } })
    try {
      await expect(small.topics(['does-not-exist-' + Date.now()])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 })
    } finally {
      small.close()
    }
  })

  it('finds the group coordinator', async () => {
    // One look-up, no retries (callers retry under their budget): on a fresh broker the first answer is
    // COORDINATOR_NOT_AVAILABLE until __consumer_offsets exists.
    const coordinator = await eventually(() => cluster.coordinator('group', 'samsa-network-test-group'))
    expect(coordinator.port).toBeGreaterThan(0)
    const again = await cluster.coordinator('group', 'samsa-network-test-group')
    expect(again).toBe(coordinator)
  })

  it('a long-polling Fetch on one purpose does not delay Metadata on another', async () => {
    const name = topicName('longpoll')
    await createTopic(await cluster.anyConnection(), name, 1)
    const [topic] = await cluster.topics([name])
    const leader = await cluster.leaderFor(name, 0)
    const fetchConnection = await cluster.pool.get(leader, 'fetch')
    const control = await cluster.pool.get(leader, 'default')
    expect(fetchConnection).not.toBe(control)
    const fetchVersion = fetchConnection.versions.require(ApiKeys.Fetch)
    type FetchAnswer = { errorCode: number; responses: Array<{ partitions: Array<{ errorCode: number }> }> }
    const parkedFetch = (): Promise<FetchAnswer> =>
      fetchConnection.send(apis[ApiKeys.Fetch]!, {
        replicaId: -1,
        maxWaitMs: 5000,
        minBytes: 1_000_000,
        maxBytes: 1_000_000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: name,
            topicId: topic!.topicId,
            partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      } as never, { version: fetchVersion }) as Promise<FetchAnswer>
    // An empty topic and a minBytes it cannot reach: the broker parks the Fetch for maxWaitMs. A broker still
    // settling the new partition answers at once with an error instead: then ask again. No timing is asserted: the
    // Metadata answer arriving while the Fetch is provably still parked is what shows the sockets are independent.
    for (let attempt = 0; ; attempt++) {
      let settled = false
      const fetch = parkedFetch().finally(() => (settled = true))
      await control.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)
      const fetchStillParked = !settled
      const answer = await fetch
      const partitionError = answer.errorCode || answer.responses.flatMap((r) => r.partitions).find((p) => p.errorCode !== 0)?.errorCode || 0
      if (partitionError !== 0 && attempt < 10) {
        await new Promise((r) => setTimeout(r, 200))
        continue
      }
      expect(partitionError).toBe(0)
      expect(fetchStillParked).toBe(true)
      break
    }
  })
})

const describeSasl = saslBrokers ? describe : describe.skip
describeSasl('SASL (harness listener)', () => {
  const address = parseHostPort(saslBrokers?.split(',')[0] ?? '127.0.0.1:1')
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`${mechanism} authenticates with the right password`, async () => {
      const connection = await Connection.open({
        ...address,
        clientId: 'samsa-sasl-test',
        sasl: saslMechanismFrom({ mechanism, username: 'samsa', password: 'samsa-secret' }),
      })
      try {
        const response = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
        expect(response.brokers.length).toBeGreaterThan(0)
      } finally {
        connection.close()
      }
    })

    it(`${mechanism} fails fast with a typed error and a wrong password, without leaking it`, async () => {
      const attempt = Connection.open({
        ...address,
        clientId: 'samsa-sasl-test',
        sasl: saslMechanismFrom({ mechanism, username: 'samsa', password: 'wrong-password-xyz' }),
      })
      await expect(attempt).rejects.toBeInstanceOf(AuthenticationError)
      const error = (await attempt.catch((e: unknown) => e)) as AuthenticationError
      expect(String(error.message)).not.toContain('wrong-password-xyz')
      expect(JSON.stringify(error)).not.toContain('wrong-password-xyz')
    })
  }

  it('a mechanism the broker does not enable is refused clearly', async () => {
    const attempt = Connection.open({
      ...address,
      clientId: 'samsa-sasl-test',
      sasl: { mechanism: 'GSSAPI', authenticate: async () => undefined },
    })
    await expect(attempt).rejects.toThrow(/does not accept SASL mechanism GSSAPI/)
  })

  // The harness broker validates OAUTHBEARER with Kafka's default unsecured validator: unsigned JWTs (alg none)
  // whose `sub` names the principal and whose `exp` is in the future.
  const unsecuredJwt = (subject: string, expiresInS: number): string => {
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    return `${part({ alg: 'none' })}.${part({ sub: subject, iat: now, exp: now + expiresInS })}.`
  }

  it('oauthbearer authenticates with a token (and extensions) from the provider', async () => {
    let calls = 0
    const connection = await Connection.open({
      ...address,
      clientId: 'samsa-sasl-test',
      sasl: saslMechanismFrom({
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => {
          calls++
          return { value: unsecuredJwt('samsa', 3600), extensions: { traceId: 'abc123' } }
        },
      }),
    })
    try {
      const response = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
      expect(response.brokers.length).toBeGreaterThan(0)
      expect(calls).toBe(1)
    } finally {
      connection.close()
    }
  })

  it('oauthbearer with an expired token fails with a typed error', async () => {
    const attempt = Connection.open({
      ...address,
      clientId: 'samsa-sasl-test',
      sasl: saslMechanismFrom({ mechanism: 'oauthbearer', oauthBearerProvider: () => ({ value: unsecuredJwt('samsa', -60) }) }),
    })
    await expect(attempt).rejects.toBeInstanceOf(AuthenticationError)
  })
})

const describeTls = sslBrokers && caFile ? describe : describe.skip
describeTls('TLS (harness listener)', () => {
  const address = parseHostPort(sslBrokers?.split(',')[0] ?? '127.0.0.1:1')

  it('connects with the harness CA', async () => {
    const connection = await Connection.open({ ...address, clientId: 'samsa-tls-test', tls: { ca: readFileSync(caFile!) } })
    try {
      const response = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
      expect(response.brokers.length).toBeGreaterThan(0)
    } finally {
      connection.close()
    }
  })

  it('verifies certificates by default: the system CAs do not trust the harness CA', async () => {
    await expect(Connection.open({ ...address, clientId: 'samsa-tls-test', tls: true })).rejects.toBeInstanceOf(AuthenticationError)
  })

  it('fails clearly on a host name the certificate does not name', async () => {
    const attempt = Connection.open({ ...address, clientId: 'samsa-tls-test', tls: { ca: readFileSync(caFile!), servername: 'not-the-broker.example' } })
    await expect(attempt).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID/)
  })

  it('refuses a TLS socket of the caller: it would never deliver a byte to the connection', async () => {
    const { Socket } = await import('node:net')
    const socket = new Socket()
    expect(() => new Cluster({ brokers: [sslBrokers!], clientId: 'samsa-tls-test', tls: { socket } })).toThrow(/TLS option `socket` is not supported/)
    await expect(Connection.open({ ...address, clientId: 'samsa-tls-test', tls: { ca: readFileSync(caFile!), socket } })).rejects.toThrow(
      /TLS option `socket` is not supported/,
    )
    socket.destroy()
  })
})

const describeMismatch = saslBrokers && sslBrokers ? describe : describe.skip
describeMismatch('a listener of another security protocol (harness listeners)', () => {
  // The broker answers a mismatch by closing or resetting: the error names the setting to check.
  it('TLS to a plaintext listener, plaintext to a TLS one, plaintext to a SASL one: each error says which setting', async () => {
    const plaintext = { host, port, clientId: 'samsa-mismatch-test' }
    const tlsListener = { ...parseHostPort(sslBrokers!.split(',')[0]!), clientId: 'samsa-mismatch-test' }
    const saslListener = { ...parseHostPort(saslBrokers!.split(',')[0]!), clientId: 'samsa-mismatch-test' }
    await expect(Connection.open({ ...plaintext, tls: { rejectUnauthorized: false } })).rejects.toThrow(/TLS handshake failed: .*\(if the listener does not use TLS, leave ssl unset\)/)
    await expect(Connection.open(tlsListener)).rejects.toThrow(/closed the connection before answering ApiVersions \(if the listener uses TLS, set ssl\)/)
    const connection = await Connection.open(saslListener)
    try {
      await expect(connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)).rejects.toThrow(
        /closed the connection before answering its first request after ApiVersions \(if the listener uses SASL, set sasl\)/,
      )
    } finally {
      connection.close()
    }
  })
})

describe('errors from the broker', () => {
  it('a fatal top-level error surfaces as KafkaProtocolError with code and name', async () => {
    const cluster = new Cluster({ brokers: bootstrap, clientId: 'samsa-cluster-test' })
    try {
      const api = apis[ApiKeys.CreateTopics]!
      const send = cluster.send(
        { kind: 'controller' },
        api,
        { topics: [{ name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true } as never,
        { errorCode: (r: { topics: Array<{ errorCode: number }> }) => r.topics[0]!.errorCode },
      )
      await expect(send).rejects.toBeInstanceOf(KafkaProtocolError)
      await expect(send).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION', code: 17, retriable: false })
    } finally {
      cluster.close()
    }
  })
})

describe('instrumentation', () => {
  it('publishes connect and request events on diagnostics_channel only to subscribers', async () => {
    const diagnostics = await import('node:diagnostics_channel')
    const events: Array<Record<string, unknown>> = []
    const onFinish = (message: unknown): void => void events.push(message as Record<string, unknown>)
    const onConnect = (message: unknown): void => void events.push({ connect: true, ...(message as object) })
    diagnostics.subscribe('samsa:request:finish', onFinish)
    diagnostics.subscribe('samsa:connection:connect', onConnect)
    try {
      const connection = await Connection.open({ host, port, clientId: 'samsa-diagnostics-test' })
      await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)
      connection.close()
    } finally {
      diagnostics.unsubscribe('samsa:request:finish', onFinish)
      diagnostics.unsubscribe('samsa:connection:connect', onConnect)
    }
    const connect = events.find((e) => e.connect)
    expect(connect).toMatchObject({ broker: `${host}:${port}`, tls: false, saslMechanism: null })
    const metadata = events.find((e) => e.apiName === 'Metadata')
    expect(metadata).toMatchObject({ apiKey: 3, broker: `${host}:${port}` })
    expect(metadata!.bytesIn as number).toBeGreaterThan(0)
    expect(metadata!.bytesOut as number).toBeGreaterThan(0)
    expect(metadata!.durationMs as number).toBeGreaterThanOrEqual(0)
    expect(events.some((e) => e.apiName === 'ApiVersions')).toBe(true)
  })
})

describe('misrouted connections (KIP-1242)', () => {
  it('a broker that is not the expected node of the expected cluster refuses with REBOOTSTRAP_REQUIRED', async () => {
    const probe = await Connection.open({ host, port, clientId: 'samsa-kip1242-test' })
    const apiVersions = probe.versions.require(ApiKeys.ApiVersions)
    probe.close()
    if (apiVersions < 5) return // an older broker has no such check; nothing to prove here
    const wrong = Connection.open({ host, port, nodeId: 4242, expectedClusterId: 'AAAAAAAAAAAAAAAAAAAAAA', clientId: 'samsa-kip1242-test' })
    await expect(wrong).rejects.toMatchObject({ errorName: 'REBOOTSTRAP_REQUIRED', retriable: true })
    const cluster = new Cluster({ brokers: bootstrap, clientId: 'samsa-kip1242-test' })
    try {
      await cluster.refreshMetadata()
      const [broker] = cluster.brokers()
      const right = await Connection.open({ host: broker!.host, port: broker!.port, nodeId: broker!.nodeId, expectedClusterId: cluster.clusterId, clientId: 'samsa-kip1242-test' })
      right.close()
    } finally {
      cluster.close()
    }
  })
})

const saslSslBrokers = process.env.KAFKA_SASL_SSL_BROKERS
const describeReauth = saslSslBrokers && caFile ? describe : describe.skip
describeReauth('re-authentication (KIP-368)', () => {
  // The harness's SASL_SSL listener, whose SCRAM-SHA-256 sessions last 5 s.
  const scramLogin = (): SaslMechanism => saslMechanismFrom({ mechanism: 'scram-sha-256', username: 'samsa', password: 'samsa-secret' })
  const saslSslAddress = (): { host: string; port: number } => parseHostPort(saslSslBrokers!.split(',')[0]!)
  const saslSslOptions = (clientId: string, sasl: SaslMechanism, requestTimeoutMs: number) => ({ ...saslSslAddress(), clientId, tls: { ca: readFileSync(caFile!) }, sasl, requestTimeoutMs })

  it('re-authenticates before the broker-imposed session lifetime ends and keeps serving requests', async () => {
    const diagnostics = await import('node:diagnostics_channel')
    let authentications = 0
    const onStart = (message: unknown): void => {
      if ((message as { apiName: string }).apiName === 'SaslAuthenticate') authentications++
    }
    diagnostics.subscribe('samsa:request:start', onStart)
    // A broker that refuses a late re-authentication shows up as an error here, not as a test timeout.
    const connection = await Connection.open(saslSslOptions('samsa-reauth-test', scramLogin(), 10_000))
    try {
      const afterLogin = authentications
      // The harness sets a 5 s session for SCRAM-SHA-256 on SASL_SSL; a connection that did not re-authenticate
      // would be closed by the broker at its first request after that.
      const deadline = Date.now() + 12_000
      while (Date.now() < deadline) {
        const response = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
        expect(response.brokers.length).toBeGreaterThan(0)
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      expect(connection.isClosed).toBe(false)
      expect(authentications).toBeGreaterThan(afterLogin + 1)
    } finally {
      diagnostics.unsubscribe('samsa:request:start', onStart)
      connection.close()
    }
  }, 60_000)

  it('a request sent while re-authentication is under way waits for it without blocking the SASL steps behind it', async () => {
    const scram = scramLogin()
    let logins = 0
    let connection: Connection | null = null
    let sentDuringReauth: Promise<unknown> | null = null
    // The broker's answers are real; the mechanism only pauses between its two round trips of the second login
    // long enough for the application to send a request, so the SASL step lands behind it in the queue.
    const mechanism = {
      mechanism: scram.mechanism,
      authenticate: (exchange: (bytes: Buffer) => Promise<Buffer>, context: { host: string; port: number }) => {
        const login = ++logins
        let roundTrips = 0
        return scram.authenticate(async (bytes) => {
          const answer = await exchange(bytes)
          if (login === 2 && ++roundTrips === 1) sentDuringReauth = connection!.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)
          return answer
        }, context)
      },
    }
    connection = await Connection.open(saslSslOptions('samsa-reauth-queue-test', mechanism, 10_000))
    try {
      await eventually(async () => expect(sentDuringReauth).not.toBeNull(), 15_000)
      // Stuck behind the request it gated, the SASL step would time out and take the request down with it.
      const response = (await sentDuringReauth!) as { brokers: unknown[] }
      expect(response.brokers.length).toBeGreaterThan(0)
      expect(connection.isClosed).toBe(false)
    } finally {
      connection.close()
    }
  }, 60_000)

  it('a request sent while re-authentication waits for a request in flight goes out after the SASL exchange', async () => {
    const diagnostics = await import('node:diagnostics_channel')
    const { Kafka } = await import('../../src/kafka.js')
    const kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-reauth-inflight-test', logger: false })
    const admin = kafka.admin()
    const topic = topicName('reauth-parked')
    const address = saslSslAddress()
    const broker = `${address.host}:${address.port}`
    const started: string[] = []
    let loggedInAt = 0
    const onStart = (message: unknown): void => {
      const event = message as { broker: string; apiName: string }
      if (event.broker === broker) started.push(event.apiName)
    }
    const onFinish = (message: unknown): void => {
      const event = message as { broker: string; apiName: string; error?: unknown }
      if (event.broker === broker && event.apiName === 'SaslAuthenticate' && !event.error) loggedInAt = Date.now()
    }
    const sleepUntil = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))
    diagnostics.subscribe('samsa:request:start', onStart)
    diagnostics.subscribe('samsa:request:finish', onFinish)
    let connection: Connection | null = null
    try {
      await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
      const [info] = await kafka.cluster.topics([topic])
      connection = await Connection.open(saslSslOptions('samsa-reauth-inflight-test', scramLogin(), 15_000))
      // The 5 s session's re-authentication starts at 85-95 % of it, once nothing is in flight. A Fetch parked on
      // the empty partition across that moment makes it wait; a Metadata request sent meanwhile is held, and the
      // SaslHandshake that follows when the Fetch returns must not queue behind it. A cycle whose timer fired late
      // (Metadata sent before the re-authentication began) proves nothing and the next session is tried.
      let proven = false
      for (let cycle = 0; cycle < 3 && !proven; cycle++) {
        await sleepUntil(loggedInAt + 3_800)
        const parked = connection.send(apis[ApiKeys.Fetch]!, {
          replicaId: -1,
          maxWaitMs: 3_000,
          minBytes: 1,
          maxBytes: 1_000_000,
          topics: [{ topic, topicId: info!.topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1_000_000 }] }],
        } as never)
        await sleepUntil(loggedInAt + 5_300)
        const mark = started.length
        const metadata = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [] } as never)) as { brokers: unknown[] }
        await parked
        expect(metadata.brokers.length).toBeGreaterThan(0)
        const after = started.slice(mark)
        proven = after.indexOf('SaslHandshake') >= 0 && after.indexOf('SaslHandshake') < after.indexOf('Metadata')
      }
      expect(proven).toBe(true)
      expect(connection.isClosed).toBe(false)
    } finally {
      diagnostics.unsubscribe('samsa:request:start', onStart)
      diagnostics.unsubscribe('samsa:request:finish', onFinish)
      connection?.close()
      await admin.close()
      await kafka.close()
    }
  }, 90_000)
})

describe('topic ids (KIP-516)', () => {
  it('a topic deleted and created again under the same name is seen with its new id, and the old id is forgotten', async () => {
    const { Kafka } = await import('../../src/kafka.js')
    const kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-topic-id-test', logger: false })
    const admin = kafka.admin()
    const name = topicName('recreated')
    try {
      await admin.createTopics([{ name, numPartitions: 2, replicationFactor: 1 }])
      const [first] = await kafka.cluster.topics([name])
      const oldId = first!.topicId
      expect(kafka.cluster.topicNameById(oldId)).toBe(name)
      await admin.deleteTopics([name])
      for (let attempt = 0; ; attempt++) {
        const [created] = await admin.createTopics([{ name, numPartitions: 3, replicationFactor: 1 }])
        if (created!.error === null) break
        if (attempt > 50) throw created!.error // the deletion may still be in progress: TOPIC_ALREADY_EXISTS
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      await kafka.cluster.refreshMetadata([name])
      const again = kafka.cluster.topic(name)!
      expect(again.topicId).not.toBe(oldId)
      expect(again.partitions).toHaveLength(3)
      expect(kafka.cluster.topicNameById(again.topicId)).toBe(name)
      expect(kafka.cluster.topicNameById(oldId)).toBeUndefined()
    } finally {
      await admin.close()
      await kafka.close()
    }
  })
})

describe('large responses', () => {
  interface FilledTopic {
    connection: Connection
    /**
     * A Fetch of partition 0 from `fetchOffset` (on `on`, else `connection`); `frame` is the frame the response was
     * read into, when it had one.
     */
    fetchFrom(fetchOffset: bigint, bytes: { minBytes: number; maxBytes: number }, on?: Connection): Promise<{ frame: Buffer | null; records: Buffer }>
  }

  /** A one-partition topic holding `messages`, and a connection to its leader, for the length of `body`. */
  async function withFilledTopic(name: string, producerOptions: ProducerOptions, messages: ProducerMessage[], body: (topic: FilledTopic) => Promise<void>): Promise<void> {
    const { Kafka } = await import('../../src/kafka.js')
    const kafka = new Kafka({ brokers: bootstrap, clientId: `samsa-${name}-test`, logger: false })
    const admin = kafka.admin()
    const topic = topicName(name)
    try {
      await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
      const producer = kafka.producer(producerOptions)
      await producer.send({ topic, messages })
      await producer.close()
      const [info] = await kafka.cluster.topics([topic])
      const connection = await kafka.cluster.pool.get((await kafka.cluster.leaderFor(topic, 0))!, name)
      const fetchFrom: FilledTopic['fetchFrom'] = async (fetchOffset, { minBytes, maxBytes }, on = connection) => {
        let frame: Buffer | null = null
        const response = await on.send(
          apis[ApiKeys.Fetch],
          { replicaId: -1, maxWaitMs: 500, minBytes, maxBytes, topics: [{ topic, topicId: info!.topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: maxBytes }] }] },
          { onFrame: (f) => (frame = f) },
        )
        return { frame, records: response.responses[0]!.partitions[0]!.records! }
      }
      await body({ connection, fetchFrom })
    } finally {
      await admin.close()
      await kafka.close()
    }
  }

  it('a multi-megabyte Fetch response is read at most a megabyte per turn of the event loop', async () => {
    // Incompressible values, so the response is as large on the wire as in the log.
    const messages = Array.from({ length: 30 }, () => ({ value: randomBytes(200 * 1024) }))
    await withFilledTopic('large-fetch-turns', { batchSize: 1024 * 1024, lingerMs: 10 }, messages, async ({ fetchFrom }) => {
      const watch = watchTurns()
      const reads: Array<{ n: number; turn: number }> = []
      const original = FrameReader.prototype.received
      const spy = jest.spyOn(FrameReader.prototype, 'received').mockImplementation(function (this: FrameReader, n: number) {
        reads.push({ n, turn: watch.turns })
        return original.call(this, n)
      })
      let records: Buffer
      try {
        const fetched = fetchFrom(0n, { minBytes: 6_000_000, maxBytes: 16 * 1024 * 1024 })
        // The application busy meanwhile (as a consumer delivering records is): the response piles up in the
        // socket's receive buffer, megabytes of it, ready for one read.
        await new Promise((resolve) => setTimeout(resolve, 20))
        watch.work(300)
        ;({ records } = await fetched)
      } finally {
        watch.stop()
        spy.mockRestore()
      }
      expect(records.length).toBeGreaterThan(6_000_000)
      const perTurn = new Map<number, number>()
      for (const read of reads) perTurn.set(read.turn, (perTurn.get(read.turn) ?? 0) + read.n)
      const total = reads.reduce((sum, read) => sum + read.n, 0)
      expect(total).toBeGreaterThan(records.length)
      expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(READ_BYTES_PER_TURN)
      expect(perTurn.size).toBeGreaterThanOrEqual(Math.ceil(total / READ_BYTES_PER_TURN))
    })
  })

  it('a multi-megabyte Fetch response is read into a buffer of its own and decodes whole', async () => {
    const { decodeRecordBatches } = await import('../../src/records/index.js')
    const value = Buffer.alloc(10_000, 7)
    const messages = Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value }))
    await withFilledTopic('large-fetch', { batchSize: 256 * 1024, lingerMs: 10 }, messages, async ({ fetchFrom }) => {
      const { records } = await fetchFrom(0n, { minBytes: 5_000_000, maxBytes: 20_000_000 })
      expect(records.length).toBeGreaterThan(5_000_000)
      const decoded = decodeRecordBatches(records).batches.flatMap((b) => b.records)
      expect(decoded).toHaveLength(600)
      expect(decoded[599]!.key!.toString()).toBe('k599')
      expect(decoded.every((r) => r.value!.length === 10_000 && r.value![9_999] === 7)).toBe(true)
    })
  }, 60_000)

  it('a connection opened later reads a large response into memory another connection handed back', async () => {
    // Larger than any frame the other tests of this file hand back, so the pool has no other memory that fits.
    const messages = Array.from({ length: 40 }, () => ({ value: randomBytes(200 * 1024) }))
    await withFilledTopic('frame-reuse-across', { batchSize: 1024 * 1024, lingerMs: 10 }, messages, async ({ connection, fetchFrom }) => {
      const bytes = { minBytes: 7_000_000, maxBytes: 16 * 1024 * 1024 }
      const first = await fetchFrom(0n, bytes)
      expect(first.records.length).toBeGreaterThan(7_000_000)
      const copy = Buffer.from(first.records)
      connection.reuseFrame(first.frame!)
      const { host: leaderHost, port: leaderPort } = parseHostPort(connection.broker)
      const later = await Connection.open({ host: leaderHost, port: leaderPort, clientId: 'samsa-frame-reuse-across' })
      try {
        const second = await fetchFrom(0n, bytes, later)
        expect(second.frame!.buffer).toBe(first.frame!.buffer)
        expect(second.records.equals(copy)).toBe(true)
      } finally {
        later.close()
      }
    })
  }, 60_000)

  it('reads the next large response into a frame handed back with reuseFrame, and never into one still out', async () => {
    const { decodeRecordBatches } = await import('../../src/records/index.js')
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(1_000, i) }))
    await withFilledTopic('frame-reuse', { lingerMs: 10 }, messages, async ({ connection, fetchFrom }) => {
      const bytes = { minBytes: 1, maxBytes: 1_000_000 }
      // Each record's number, from its key, checked against its value's bytes.
      const valuesOf = (records: Buffer): number[] =>
        decodeRecordBatches(records).batches.flatMap((b) =>
          b.records.map((r) => {
            const i = Number(r.key!.toString().slice(1))
            expect(r.value!.equals(Buffer.alloc(1_000, i))).toBe(true)
            return i
          }),
        )
      const first = await fetchFrom(0n, bytes)
      const second = await fetchFrom(0n, bytes)
      expect(first.records.length).toBeGreaterThan(100_000)
      expect(second.frame!.buffer).not.toBe(first.frame!.buffer)
      connection.reuseFrame(first.frame!)
      const third = await fetchFrom(100n, bytes)
      expect(third.frame!.buffer).toBe(first.frame!.buffer)
      // From the batch holding offset 100 to the end, read whole into the reused memory.
      const fromThird = valuesOf(third.records)
      expect(fromThird[0]).toBeLessThanOrEqual(100)
      expect(fromThird).toEqual(Array.from({ length: 300 - fromThird[0]! }, (_, i) => fromThird[0]! + i))
      // The frame still out was not written over.
      expect(valuesOf(second.records)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    })
  }, 60_000)
})
