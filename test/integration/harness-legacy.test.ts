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

  // samsa's own negotiation against the older line (issue: connection layer, "works against 4.4 and 3.9").
  it('samsa negotiates lower versions with 3.9 and produces through them', async () => {
    const { Connection } = await import('../../src/network/connection.js')
    const { Kafka } = await import('../../src/kafka.js')
    const { apis, ApiKeys } = await import('../../src/protocol/index.js')
    const address = parseBrokers(started().bootstrap)[0]
    const connection = await Connection.open({ host: address.host, port: address.port, clientId: 'samsa-legacy-test' })
    try {
      // 3.9 predates Metadata v13, Produce v12 and ApiVersions v5: negotiation settles below our maxima.
      expect(connection.versions.require(ApiKeys.Metadata)).toBe(12)
      expect(connection.versions.require(ApiKeys.Produce)).toBeLessThan(apis[ApiKeys.Produce].maxVersion)
      expect(connection.versions.require(ApiKeys.ApiVersions)).toBeLessThan(5)
      expect(connection.versions.get(76)).toBeNull()
    } finally {
      connection.close()
    }
    const kafka = new Kafka({ brokers: [started().bootstrap], clientId: 'samsa-legacy-test', logger: false })
    try {
      const topic = `legacy-${Date.now()}`
      await kafka.cluster.send(
        { kind: 'controller' },
        apis[ApiKeys.CreateTopics],
        { topics: [{ name: topic, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 30_000 },
        { errorCode: (r: { topics: Array<{ errorCode: number }> }) => r.topics[0]!.errorCode },
      )
      const producer = kafka.producer({ compression: 'zstd' })
      const results = await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
      expect(results).toHaveLength(50)
      expect(results.every((r) => r.offset >= 0n)).toBe(true)
      await producer.close()
    } finally {
      await kafka.close()
    }
  })

  // Transaction protocol v1 (AddPartitionsToTxn, AddOffsetsToTxn): 3.9 has no transaction.version 2.
  it('samsa transactions use protocol v1 on 3.9: committed records visible to read_committed, aborted ones not', async () => {
    const { Kafka } = await import('../../src/kafka.js')
    const { readTopicWithJava } = await import('../helpers/java-clients.js')
    const kafka = new Kafka({ brokers: [started().bootstrap], clientId: 'samsa-legacy-txn', logger: false })
    try {
      const topic = `legacy-txn-${Date.now()}`
      const admin = kafka.admin()
      await admin.createTopics([{ name: topic, numPartitions: 3, replicationFactor: 1 }])
      const producer = kafka.producer({ transactionalId: `legacy-txn-${Date.now()}` })
      await producer.initTransactions()
      expect(producer.transactionVersion).toBe(1)
      await producer.transaction(async (tx) => {
        await tx.send({ topic, messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `committed-${i}` })) })
        await tx.sendOffsetsToTransaction([{ topic, partition: 0, offset: 5n }], { groupId: `legacy-group-${Date.now()}` })
      })
      producer.beginTransaction()
      await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `aborted-${i}` })) })
      await producer.abortTransaction()
      await producer.transaction(async (tx) => {
        await tx.send({ topic, messages: [{ key: 'k9', value: 'committed-again' }] })
      })
      await producer.close()
      await admin.close()
      const committed = await readTopicWithJava({ bootstrap: started().bootstrap, topic, isolationLevel: 'read_committed' })
      const values = committed.records.map((r) => (r.value ?? Buffer.alloc(0)).toString()).sort()
      expect(values).toEqual([...[0, 1, 2, 3, 4, 5].map((i) => `committed-${i}`), 'committed-again'].sort())
      const everything = await readTopicWithJava({ bootstrap: started().bootstrap, topic, isolationLevel: 'read_uncommitted' })
      expect(everything.records.map((r) => (r.value ?? Buffer.alloc(0)).toString()).filter((v) => v.startsWith('aborted'))).toHaveLength(3)
    } finally {
      await kafka.close()
    }
  }, 120_000)
})
