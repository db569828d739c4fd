/**
 * Generated request encoders and response decoders against the real broker (KAFKA_BROKERS, started by the jest
 * global setup), over a bare `net` socket: only the generated codecs and frame.ts are under test, not the
 * network layer. Each API is asked at the highest version both sides support.
 */
import { type AnyApiCodec, ApiKeys, apis, errorName, isRetriableCode } from '../../src/protocol/index.js'
import { firstBroker, RawKafkaConnection } from '../helpers/raw-kafka-connection.js'

const broker = firstBroker()

let connection: RawKafkaConnection
const brokerVersions = new Map<number, { minVersion: number; maxVersion: number }>()

/** The highest version of `api` that both the broker and the generated code support. */
function negotiated(api: AnyApiCodec): number {
  const broker = brokerVersions.get(api.apiKey)
  if (!broker) throw new Error(`broker does not support ${api.name}`)
  return Math.min(broker.maxVersion, api.highestVersion())
}

const topic = `protocol-roundtrip-${process.pid}-${Date.now()}`
const PARTITIONS = 3

beforeAll(async () => {
  connection = await RawKafkaConnection.open(broker, 'samsa-protocol-test')
})

afterAll(() => connection?.close())

describe('generated codecs against a real broker', () => {
  it('ApiVersions (v3+, flexible request, response header v0) lists the APIs the broker serves', async () => {
    const api = apis[ApiKeys.ApiVersions]
    const version = api.highestVersion()
    const response = await connection.send(api, version, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' })
    expect(errorName(response.errorCode)).toBe('NONE')
    for (const k of response.apiKeys) brokerVersions.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion })
    expect(brokerVersions.get(ApiKeys.Metadata)!.maxVersion).toBeGreaterThanOrEqual(12)
    expect(brokerVersions.has(ApiKeys.CreateTopics)).toBe(true)
    // Tagged fields of the response are decoded: a KRaft broker reports its finalized metadata.version feature.
    expect(response.finalizedFeatures!.map((f) => f.name)).toContain('metadata.version')
    expect(typeof response.finalizedFeaturesEpoch).toBe('bigint')
  })

  it('DescribeCluster lists this broker', async () => {
    const api = apis[ApiKeys.DescribeCluster]
    const response = await connection.send(api, negotiated(api), { includeClusterAuthorizedOperations: false })
    expect(errorName(response.errorCode)).toBe('NONE')
    expect(response.clusterId.length).toBeGreaterThan(0)
    expect(response.brokers.some((b) => b.host.length > 0 && b.port === broker.port)).toBe(true)
    expect(response.brokers.map((b) => b.brokerId)).toContain(response.controllerId)
  })

  it('CreateTopics creates a topic with its partitions', async () => {
    const api = apis[ApiKeys.CreateTopics]
    const response = await connection.send(api, negotiated(api), {
      topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '3600000' }] }],
      timeoutMs: 30_000,
    })
    const [created] = response.topics
    expect(created!.name).toBe(topic)
    expect(errorName(created!.errorCode)).toBe('NONE')
    expect(created!.numPartitions).toBe(PARTITIONS)
    expect(created!.topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA')
  })

  it('Metadata shows the created topic with every partition led by a broker', async () => {
    const api = apis[ApiKeys.Metadata]
    const version = negotiated(api)
    // Leadership is assigned asynchronously after CreateTopics returns; ask until every partition has a leader.
    let found
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await connection.send(api, version, { topics: [{ name: topic }], allowAutoTopicCreation: false })
      found = response.topics.find((t) => t.name === topic)
      if (found && found.errorCode === 0 && found.partitions.length === PARTITIONS && found.partitions.every((p) => p.leaderId >= 0)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(found).toBeDefined()
    expect(errorName(found!.errorCode)).toBe('NONE')
    expect(found!.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2])
    for (const p of found!.partitions) {
      expect(p.leaderId).toBeGreaterThanOrEqual(0)
      expect(p.replicaNodes).toEqual([p.leaderId])
    }
  })

  it('ListOffsets returns the earliest and latest offsets of every partition (0 on a new topic)', async () => {
    const api = apis[ApiKeys.ListOffsets]
    const version = negotiated(api)
    for (const timestamp of [-2n, -1n]) {
      const request = {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      }
      // The partition replicas may still be becoming leaders (NOT_LEADER_OR_FOLLOWER, retriable): ask again.
      let partitions
      for (let attempt = 0; attempt < 50; attempt++) {
        partitions = (await connection.send(api, version, request)).topics[0]!.partitions
        if (partitions.every((p) => p.errorCode === 0)) break
        expect(partitions.every((p) => p.errorCode === 0 || isRetriableCode(p.errorCode))).toBe(true)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(partitions).toHaveLength(PARTITIONS)
      for (const p of partitions!) {
        expect(errorName(p.errorCode)).toBe('NONE')
        expect(p.offset).toBe(0n)
      }
    }
  })

  it('a broker error code decodes as such: Metadata for a topic that does not exist', async () => {
    const api = apis[ApiKeys.Metadata]
    const response = await connection.send(api, negotiated(api), { topics: [{ name: `${topic}-missing` }], allowAutoTopicCreation: false })
    expect(errorName(response.topics[0]!.errorCode)).toBe('UNKNOWN_TOPIC_OR_PARTITION')
  })

  it('every negotiated version of Metadata, older ones included, decodes', async () => {
    const api = apis[ApiKeys.Metadata]
    const broker = brokerVersions.get(api.apiKey)!
    for (let v = Math.max(broker.minVersion, api.minVersion); v <= negotiated(api); v++) {
      const response = await connection.send(api, v, { topics: [{ name: topic }] })
      expect(response.brokers.length).toBeGreaterThan(0)
      expect(response.topics.find((t) => t.name === topic)?.partitions).toHaveLength(PARTITIONS)
    }
  })
})
