/**
 * The facade's admin on the real broker: connection and events, topics, metadata, cluster and configs, each
 * answer compared with KafkaJS's own admin on the same broker where KafkaJS can answer it.
 */
import type { Admin as KafkaJSAdmin } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'
import { ConfigResourceTypes, ConfigSource, KafkaJSAggregateError, KafkaJSCreateTopicError, KafkaJSProtocolError } from '../../src/kafkajs/index.js'
import { ApiKeys } from '../../src/protocol/index.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { connectAdmins, disconnectAdmins, eventually, failureOf } from './admin-oracle.js'
import { brokers, logEntries, newKafka, uniqueName, waitFor } from './support.js'

let admin: Admin
let oracle: KafkaJSAdmin

beforeAll(async () => ({ admin, oracle } = await connectAdmins()))
afterAll(() => disconnectAdmins(admin, oracle))

describe('kafkajs admin: connection and events', () => {
  it('emits CONNECT and DISCONNECT with KafkaJS event names; removers stop delivery; unknown names are refused', async () => {
    const own = newKafka().admin()
    expect(own.events).toEqual(oracle.events)
    const seen: Array<{ type: string; payload: unknown }> = []
    const removeConnect = own.on(own.events.CONNECT, (event) => seen.push({ type: event.type, payload: event.payload }))
    own.on(own.events.DISCONNECT, (event) => seen.push({ type: event.type, payload: event.payload }))
    await own.connect()
    removeConnect()
    await own.disconnect()
    await own.connect()
    await own.disconnect()
    expect(seen).toEqual([
      { type: 'admin.connect', payload: null },
      { type: 'admin.disconnect', payload: null },
      { type: 'admin.disconnect', payload: null },
    ])
    expect(() => own.on('admin.crash' as never, () => undefined)).toThrow(
      'Event name should be one of admin.events.CONNECT, admin.events.DISCONNECT, admin.events.REQUEST, admin.events.REQUEST_TIMEOUT, admin.events.REQUEST_QUEUE_SIZE',
    )
  })

  it('emits REQUEST for its own requests with KafkaJS payload fields, and REQUEST_QUEUE_SIZE', async () => {
    const own = newKafka().admin()
    const requests: Array<Record<string, unknown>> = []
    const queueSizes: number[] = []
    own.on(own.events.REQUEST, (event) => requests.push(event.payload))
    own.on(own.events.REQUEST_QUEUE_SIZE, (event) => queueSizes.push(event.payload.queueSize))
    // Another client's requests must not show up among this admin's events.
    const other = newKafka().admin()
    try {
      await own.connect()
      await other.connect()
      await other.listTopics()
      const before = requests.length
      await own.listTopics()
      expect(requests.length).toBeGreaterThan(before)
      const metadata = requests.slice(before).find((r) => r.apiName === 'Metadata')
      expect(metadata).toMatchObject({ apiKey: 3, apiName: 'Metadata', clientId: 'samsa-kafkajs-test', broker: expect.any(String), correlationId: expect.any(Number) })
      for (const field of ['apiVersion', 'createdAt', 'sentAt', 'pendingDuration', 'duration', 'size']) expect(typeof metadata![field]).toBe('number')
      expect(queueSizes.every((n) => n >= 0)).toBe(true)
    } finally {
      await own.disconnect()
      await other.disconnect()
    }
    const count = requests.length
    await other.connect()
    await other.listTopics()
    await other.disconnect()
    expect(requests.length).toBe(count)
  })

  it('logs a listener that rejects, as KafkaJS does, instead of leaving an unhandled rejection', async () => {
    const own = newKafka().admin()
    own.on(own.events.CONNECT, async () => {
      throw new Error('listener boom')
    })
    await own.connect()
    await own.disconnect()
    await waitFor(() => logEntries.some((e) => e.log.message === 'Failed to execute listener: listener boom'), 5_000, 'the listener failure to be logged')
    const entry = logEntries.find((e) => e.log.message === 'Failed to execute listener: listener boom')!
    expect(entry).toMatchObject({ namespace: 'Admin', label: 'ERROR', log: { eventName: 'admin.connect', stack: expect.stringContaining('listener boom') } })
  })

  it('works without connect(), as KafkaJS does, and the logger is namespaced Admin', async () => {
    const lazy = newKafka().admin()
    try {
      expect(await lazy.listTopics()).toEqual(expect.any(Array))
      expect(lazy.logger().namespace).toEqual(expect.any(Function))
    } finally {
      await lazy.disconnect()
    }
  })

  it('connect() to an unreachable broker rejects with KafkaJSConnectionError; the next connect starts afresh', async () => {
    let attempts = 0
    const flaky = newKafka({
      brokers: () => (attempts++ === 0 ? ['127.0.0.1:1'] : brokers),
      retry: { retries: 0 },
      connectionTimeout: 500,
    }).admin()
    try {
      expect(await failureOf(() => flaky.connect())).toMatchObject({ name: 'KafkaJSConnectionError', retriable: true })
      await flaky.connect()
      expect(attempts).toBe(2)
      expect((await flaky.describeCluster()).brokers).toHaveLength(1)
    } finally {
      await flaky.disconnect()
    }
  })
  it('connect() sends ApiVersions and nothing else, as KafkaJS; a request that outlives requestTimeout emits REQUEST_TIMEOUT', async () => {
    // KafkaJS's connect only opens a connection, so a tiny requestTimeout fails the calls after it rather than the
    // connect; adding requests of its own to connect would change which call fails. The slow answer comes from a
    // proxy that holds Metadata back, so the timeout is certain rather than a race against a 1 ms budget.
    const [host, port] = brokers[0]!.split(':')
    const proxy = await KafkaProxy.start({ host: host!, port: Number(port) })
    const strict = newKafka({ brokers: [proxy.bootstrap], requestTimeout: 1_000, enforceRequestTimeout: true, retry: { retries: 0 } }).admin()
    const requests: Array<Record<string, unknown>> = []
    const timeouts: Array<Record<string, unknown>> = []
    strict.on(strict.events.REQUEST, (event) => requests.push(event.payload))
    strict.on(strict.events.REQUEST_TIMEOUT, (event) => timeouts.push(event.payload))
    try {
      await strict.connect()
      expect(requests.map((r) => r.apiName)).toEqual(['ApiVersions'])
      proxy.delayResponses = { apiKey: ApiKeys.Metadata, ms: 3_000 }
      expect(await failureOf(() => strict.listTopics())).toMatchObject({ name: 'KafkaJSRequestTimeoutError' })
    } finally {
      await strict.disconnect()
      await proxy.close()
    }
    expect(timeouts).toHaveLength(1)
    expect(timeouts[0]).toMatchObject({
      apiKey: ApiKeys.Metadata,
      apiName: 'Metadata',
      apiVersion: expect.any(Number),
      broker: expect.any(String),
      clientId: 'samsa-kafkajs-test',
      correlationId: expect.any(Number),
      createdAt: expect.any(Number),
      pendingDuration: expect.any(Number),
      sentAt: expect.any(Number),
    })
  })
})

describe('kafkajs admin: topics', () => {
  it('createTopics with configEntries answers true, then false for a topic that exists; listTopics and fetchTopicMetadata match KafkaJS', async () => {
    const topic = uniqueName('create')
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false)
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([topic, '__consumer_offsets']))
    expect((await admin.listTopics()).sort()).toEqual((await oracle.listTopics()).sort())

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(metadata).toEqual({
      topics: [
        {
          name: topic,
          partitions: [0, 1, 2].map((partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] })),
        },
      ],
    })
    expect(metadata).toEqual(await oracle.fetchTopicMetadata({ topics: [topic] }))

    const [retention] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false }))
      .resources[0]!.configEntries
    expect(retention).toMatchObject({ configName: 'retention.ms', configValue: '3600000', configSource: ConfigSource.TOPIC_CONFIG, isDefault: false })
  })

  it('createTopics places replicas from replicaAssignment; validateOnly creates nothing', async () => {
    const topic = uniqueName('assigned')
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [1] }] }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0]!.partitions.map((p) => [p.partitionId, p.replicas])).toEqual([
      [0, [1]],
      [1, [1]],
    ])

    const dryRun = uniqueName('dry-run')
    expect(await admin.createTopics({ validateOnly: true, topics: [{ topic: dryRun }] })).toBe(true)
    expect(await admin.listTopics()).not.toContain(dryRun)
  })

  it('createTopics failures reject with a KafkaJSAggregateError of KafkaJSCreateTopicErrors, as KafkaJS', async () => {
    const existing = uniqueName('exists')
    await admin.createTopics({ topics: [{ topic: existing }] })
    const tooMany = uniqueName('too-many-replicas')
    let caught: unknown
    await admin.createTopics({ topics: [{ topic: existing }, { topic: tooMany, replicationFactor: 5 }] }).catch((e: unknown) => (caught = e))
    expect(caught).toBeInstanceOf(KafkaJSAggregateError)
    const aggregate = caught as KafkaJSAggregateError
    expect(aggregate.message).toBe('Topic creation errors')
    expect(aggregate.errors).toHaveLength(2)
    const [first, second] = aggregate.errors as KafkaJSCreateTopicError[]
    expect(first).toBeInstanceOf(KafkaJSCreateTopicError)
    expect(first).toMatchObject({ name: 'KafkaJSCreateTopicError', topic: existing, type: 'TOPIC_ALREADY_EXISTS', code: 36, retriable: false })
    expect(second).toMatchObject({ name: 'KafkaJSCreateTopicError', topic: tooMany, type: 'INVALID_REPLICATION_FACTOR', code: 38, retriable: false })
    expect(await admin.listTopics()).not.toContain(tooMany)
  })

  it('createPartitions raises the count and refuses fewer with INVALID_PARTITIONS', async () => {
    const topic = uniqueName('grow')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    expect(await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).toBe(true)
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((p) => p.partitionId)).toEqual([0, 1, 2])

    const failure = await failureOf(() => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }))
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_PARTITIONS', retriable: false })
  })

  it('deleteTopics removes topics; an unknown topic rejects with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = uniqueName('delete')
    await admin.createTopics({ topics: [{ topic }] })
    await expect(admin.deleteTopics({ topics: [topic] })).resolves.toBeUndefined()
    expect(await admin.listTopics()).not.toContain(topic)

    const failure = await failureOf(() => admin.deleteTopics({ topics: [uniqueName('never-created')] }))
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('fetchTopicMetadata without topics describes every topic; a missing topic rejects as in KafkaJS', async () => {
    const topic = uniqueName('all-metadata')
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const all = await admin.fetchTopicMetadata()
    expect(all.topics.map((t) => t.name)).toEqual(expect.arrayContaining([topic, '__consumer_offsets']))
    expect(all.topics.find((t) => t.name === topic)!.partitions).toHaveLength(2)

    const missing = uniqueName('missing')
    const failure = await failureOf(() => admin.fetchTopicMetadata({ topics: [missing] }))
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true })
    expect(failure).toMatchObject({ name: (await failureOf(() => oracle.fetchTopicMetadata({ topics: [missing] }))).name })
  })
})

describe('kafkajs admin: cluster and configs', () => {
  it('describeCluster answers as KafkaJS', async () => {
    const cluster = await admin.describeCluster()
    expect(cluster).toEqual({ brokers: [{ nodeId: 1, host: expect.any(String), port: expect.any(Number) }], controller: 1, clusterId: expect.any(String) })
    expect(cluster).toEqual(await oracle.describeCluster())
  })

  it('describeConfigs of a topic and a broker, with synonyms, answers as KafkaJS', async () => {
    const topic = uniqueName('configs')
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    const resources = [
      { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'retention.ms', 'min.insync.replicas'] },
      { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.retention.ms', 'num.io.threads'] },
    ]
    for (const includeSynonyms of [true, false]) {
      const described = await admin.describeConfigs({ resources, includeSynonyms })
      const reference = await oracle.describeConfigs({ resources, includeSynonyms })
      const sorted = (r: typeof described) =>
        r.resources.map((res) => ({ ...res, configEntries: res.configEntries.slice().sort((a, b) => a.configName.localeCompare(b.configName)) }))
      expect(sorted(described)).toEqual(sorted(reference))
      expect(described.throttleTime).toBe(0)
    }
    const all = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false })
    const cleanup = all.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy')
    expect(cleanup).toEqual({
      configName: 'cleanup.policy',
      configValue: 'compact',
      readOnly: false,
      isDefault: false,
      configSource: ConfigSource.TOPIC_CONFIG,
      isSensitive: false,
      configSynonyms: [],
    })
  })

  it('alterConfigs sets a topic config (validateOnly changes nothing) and rejects an unknown key with INVALID_CONFIG', async () => {
    const topic = uniqueName('alter')
    await admin.createTopics({ topics: [{ topic }] })
    const retention = async () =>
      (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false }))
        .resources[0]!.configEntries[0]!.configValue

    const before = await retention()
    const dryRun = await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }] })
    expect(dryRun).toEqual({ resources: [{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }], throttleTime: 0 })
    expect(await retention()).toBe(before)

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }] })
    // The broker answers once the controller has the change; its own view follows through the metadata log.
    await eventually(async () => expect(await retention()).toBe('7200000'))

    const failure = await failureOf(() =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.msx', value: '1' }] }] }),
    )
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_CONFIG' })
  })

  it('describeConfigs of a missing topic rejects with UNKNOWN_TOPIC_OR_PARTITION, as KafkaJS', async () => {
    const resources = [{ type: ConfigResourceTypes.TOPIC, name: uniqueName('no-such-topic') }]
    const caught: unknown = await admin.describeConfigs({ resources, includeSynonyms: false }).catch((e: unknown) => e)
    expect(caught).toBeInstanceOf(KafkaJSProtocolError)
    expect(caught).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    expect(caught).toMatchObject({ name: (await failureOf(() => oracle.describeConfigs({ resources, includeSynonyms: false }))).name })
  })
})
