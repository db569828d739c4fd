/**
 * The connection layer when brokers die: a three-node cluster from the harness, nodes killed with SIGKILL.
 */
import { Cluster } from '../../src/network/cluster.js'
import {
  apis,
  ApiKeys,
  type DescribeClusterRequestInput,
  type DescribeClusterResponse,
  type ListOffsetsRequestInput,
  type ListOffsetsResponse,
  type MetadataResponse,
} from '../../src/protocol/index.js'
import { ConnectionError } from '../../src/errors.js'
import { type HarnessInstance, killKafkaNode, restartKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'

describe('broker failures on a three-node cluster', () => {
  let instance: HarnessInstance
  let cluster: Cluster
  const topic = `failover-${Date.now()}`

  beforeAll(async () => {
    instance = await startKafka({ cluster: 'three' })
    cluster = new Cluster({ brokers: instance.bootstrap.split(','), clientId: 'samsa-failover-test', retry: { retries: 40, initialBackoffMs: 100, maxBackoffMs: 1000 } })
    await cluster.send(
      { kind: 'controller' },
      apis[ApiKeys.CreateTopics],
      { topics: [{ name: topic, numPartitions: 3, replicationFactor: 3 }], timeoutMs: 30_000 },
      { errorCode: (r: { topics: Array<{ errorCode: number }> }) => r.topics[0]!.errorCode },
    )
    await cluster.topics([topic])
  }, 240_000)

  afterAll(async () => {
    cluster?.close()
    if (instance) await stopKafka(instance.name)
  }, 120_000)

  const listOffsets = (partition: number) =>
    cluster.send<ListOffsetsRequestInput, ListOffsetsResponse>(
      { kind: 'leader', topic, partition },
      apis[ApiKeys.ListOffsets],
      { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }] },
      { errorCode: (r: { topics: Array<{ partitions: Array<{ errorCode: number }> }> }) => r.topics[0]!.partitions[0]!.errorCode },
    )

  it('killing a partition leader moves requests to the new leader without user action', async () => {
    await listOffsets(0)
    const before = cluster.topic(topic)!.partitions[0]!
    const oldLeader = before.leader
    await killKafkaNode(instance.name, oldLeader)
    try {
      const response = await listOffsets(0)
      expect(response.topics[0]!.partitions[0]!.errorCode).toBe(0)
      const after = cluster.topic(topic)!.partitions[0]!
      expect(after.leader).not.toBe(oldLeader)
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch)
    } finally {
      await restartKafkaNode(instance.name, oldLeader)
    }
  }, 120_000)

  it('requests in flight when their broker dies fail with a retriable error, and succeed again after it restarts', async () => {
    const nodeId = cluster.brokers()[0]!.nodeId
    const connection = await cluster.connectionToNode(nodeId, 'fetch')
    const [info] = await cluster.topics([topic])
    // A long poll keeps the Fetch in flight on the broker until we kill it.
    const inFlight = connection.send(apis[ApiKeys.Fetch], {
      replicaId: -1,
      maxWaitMs: 20_000,
      minBytes: 1_000_000,
      maxBytes: 1_000_000,
      topics: [{ topic, topicId: info!.topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1_000_000 }] }],
    })
    const outcome = inFlight.then(
      () => null,
      (error: unknown) => error,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    await killKafkaNode(instance.name, nodeId)
    const error = await outcome
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).retriable).toBe(true)
    // The node comes back; a request routed to it retries through the restart and succeeds.
    const restarting = restartKafkaNode(instance.name, nodeId)
    const describe = cluster.send<DescribeClusterRequestInput, DescribeClusterResponse>({ kind: 'node', nodeId }, apis[ApiKeys.DescribeCluster], { includeClusterAuthorizedOperations: false }, {
      errorCode: (r: { errorCode: number }) => r.errorCode,
    })
    await restarting
    const response = await describe
    expect(response.brokers.map((b) => b.brokerId).sort()).toEqual(instance.nodes.map((n) => n.id).sort())
  }, 180_000)

  it('a Produce answered NOT_LEADER_OR_FOLLOWER with the new leader (KIP-951) is resent there without a metadata refresh', async () => {
    const { Kafka } = await import('../../src/kafka.js')
    // The channel objects the code publishes on, not a lookup by name: the assertions below must not pass merely
    // because events went to another channel instance.
    const { channels } = await import('../../src/network/instrumentation.js')
    const kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'samsa-kip951-test', logger: false })
    const admin = kafka.admin()
    const producer = kafka.producer()
    const hintTopic = `kip951-${Date.now()}`
    try {
      await admin.createTopics([{ name: hintTopic, numPartitions: 1, replicationFactor: 3 }])
      await producer.send({ topic: hintTopic, messages: [{ value: 'before', partition: 0 }] })
      const before = { ...kafka.cluster.topic(hintTopic)!.partitions[0]! }
      // Move leadership to another live replica (the old leader stays up and answers with a hint).
      const target = before.replicas.find((id) => id !== before.leader)!
      const reordered = [target, ...before.replicas.filter((id) => id !== target)]
      const [reassigned] = await admin.alterPartitionReassignments([{ topic: hintTopic, partition: 0, replicas: reordered }])
      expect(reassigned!.error).toBeNull()
      for (let attempt = 0; ; attempt++) {
        const [elected] = await admin.electLeaders('preferred', { partitions: [{ topic: hintTopic, partition: 0 }] })
        if (elected!.error === null) break
        if (attempt > 50) throw elected!.error
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      // The election returns once the controller committed it; each broker applies it from the metadata log a little
      // later. Until the old leader knows the new one its answer carries no hint, and until the target knows it leads
      // it refuses the resend: either way the producer would rightly refresh metadata. Wait (through the suite's own
      // cluster, not the producer's) until both brokers' metadata names the target, the old leader's log refuses
      // reads as a follower's and the target's serves them as the leader's.
      const view = async (nodeId: number) => {
        const connection = await cluster.connectionToNode(nodeId)
        const metadata = (await connection.send(apis[ApiKeys.Metadata]!, { topics: [{ name: hintTopic }] } as never)) as MetadataResponse
        const offsets = (await connection.send(apis[ApiKeys.ListOffsets]!, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: hintTopic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
        } as never)) as ListOffsetsResponse
        return {
          leaderId: metadata.topics[0]?.partitions.find((p) => p.partitionIndex === 0)?.leaderId,
          errorCode: offsets.topics[0]?.partitions[0]?.errorCode,
        }
      }
      for (let attempt = 0; ; attempt++) {
        const [old, next] = [await view(before.leader), await view(target)]
        if (old.leaderId === target && next.leaderId === target && old.errorCode === 6 && next.errorCode === 0) break
        if (attempt > 100) throw new Error(`after the election: old leader ${JSON.stringify(old)}, target ${JSON.stringify(next)}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const metadataRequests: string[] = []
      const produceRequests: string[] = []
      const onStart = (message: unknown): void => {
        const event = message as { apiName: string; broker: string }
        if (event.apiName === 'Metadata') metadataRequests.push(event.broker)
        if (event.apiName === 'Produce') produceRequests.push(event.broker)
      }
      channels.requestStart.subscribe(onStart)
      try {
        const [result] = await producer.send({ topic: hintTopic, messages: [{ value: 'after', partition: 0 }] })
        expect(result!.offset).toBe(1n)
      } finally {
        channels.requestStart.unsubscribe(onStart)
      }
      const after = kafka.cluster.topic(hintTopic)!.partitions[0]!
      expect(after.leader).toBe(target)
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch)
      expect(metadataRequests).toEqual([])
      // The cache still named the old leader: the first attempt went there, the resend to the hinted one.
      const address = (id: number) => `${kafka.cluster.broker(id)!.host}:${kafka.cluster.broker(id)!.port}`
      expect(produceRequests).toEqual([address(before.leader), address(target)])
    } finally {
      await producer.close()
      await admin.close()
      await kafka.close()
    }
  }, 120_000)
})
