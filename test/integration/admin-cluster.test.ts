/**
 * Admin cluster methods against the single-node broker. What needs replicas on several brokers (real elections,
 * reassignments, log dirs across brokers, unregistering a broker, feature changes) is in admin-three-node.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { KafkaProtocolError } from '../../src/errors.js'
import { eventually, openAdmin, produceValues, type TestAdmin, uniqueName } from './admin-support.js'

describe('Admin: cluster (single node)', () => {
  let t: TestAdmin
  let topic: string
  beforeAll(async () => {
    t = openAdmin()
    topic = uniqueName('cluster')
    await t.admin.createTopics([{ name: topic, numPartitions: 2, replicationFactor: 1 }])
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions).toHaveLength(2))
  })
  afterAll(() => t.close())

  it('describes the cluster: id, controller, brokers, fenced flag, authorized operations', async () => {
    const description = await t.admin.describeCluster({ includeAuthorizedOperations: true, includeFencedBrokers: true })
    await t.cluster.refreshMetadata([])
    expect(description.clusterId).toBe(t.cluster.clusterId)
    expect(description.controllerId).toBe(t.cluster.controllerId)
    expect(description.nodes).toEqual([expect.objectContaining({ nodeId: 1, host: expect.any(String), isFenced: false })])
    expect(description.authorizedOperations).toEqual(expect.arrayContaining(['describe', 'alter', 'cluster-action']))
  })

  it('describes features and validates feature updates', async () => {
    const features = await t.admin.describeFeatures()
    expect(features.finalized['metadata.version']!.maxVersion).toBeGreaterThan(0)
    expect(features.supported['metadata.version']!.maxVersion).toBeGreaterThanOrEqual(features.finalized['metadata.version']!.maxVersion)
    expect(features.finalizedEpoch).toBeGreaterThan(0n)

    const level = features.finalized['metadata.version']!.maxVersion
    const [same] = await t.admin.updateFeatures([{ feature: 'metadata.version', maxVersionLevel: level }], { validateOnly: true })
    expect(same).toEqual({ feature: 'metadata.version', error: null })
    const [tooHigh] = await t.admin.updateFeatures([{ feature: 'metadata.version', maxVersionLevel: 30_000 }], { validateOnly: true })
    expect(tooHigh!.error).toMatchObject({ errorName: 'INVALID_UPDATE_VERSION' })
  })

  it('describes the metadata quorum', async () => {
    const quorum = await t.admin.describeMetadataQuorum()
    expect(quorum.leaderId).toBe(1)
    expect(quorum.leaderEpoch).toBeGreaterThan(0)
    expect(quorum.highWatermark).toBeGreaterThan(0n)
    expect(quorum.voters.map((v) => v.replicaId)).toEqual([1])
    expect(quorum.voters[0]!.logEndOffset).toBeGreaterThanOrEqual(quorum.highWatermark)
    expect(quorum.nodes.map((n) => n.nodeId)).toEqual([1])
    expect(quorum.nodes[0]!.endpoints.length).toBeGreaterThan(0)
  })

  it('describes log dirs with the replicas in them; alterReplicaLogDirs answers per replica', async () => {
    await produceValues(t.cluster, topic, 0, ['x'.repeat(1000)])
    const [broker] = await t.admin.describeLogDirs()
    expect(broker!.brokerId).toBe(1)
    expect(broker!.error).toBeNull()
    // Each node has two log dirs; the partitions of one topic may be spread over both.
    const dir = broker!.logDirs.find((d) => d.replicas.some((r) => r.topic === topic && r.partition === 0))!
    expect(dir.error).toBeNull()
    expect(dir.totalBytes).toBeGreaterThan(0n)
    expect(dir.usableBytes).toBeGreaterThan(0n)
    expect(dir.isCordoned).toBe(false)
    const replica = dir.replicas.find((r) => r.topic === topic && r.partition === 0)!
    expect(replica.size).toBeGreaterThan(1000n)
    expect(replica.isFuture).toBe(false)

    const [where, nowhere] = await t.admin.describeReplicaLogDirs([
      { topic, partition: 0, brokerId: 1 },
      { topic, partition: 9, brokerId: 1 },
    ])
    expect(where).toMatchObject({ topic, partition: 0, brokerId: 1, currentLogDir: dir.path, futureLogDir: null, error: null })
    expect(nowhere).toMatchObject({ currentLogDir: null, futureLogDir: null, error: null })

    const results = await t.admin.alterReplicaLogDirs([
      { topic, partition: 0, brokerId: 1, path: dir.path },
      { topic, partition: 1, brokerId: 1, path: '/nonexistent/samsa-dir' },
    ])
    expect(results[0]).toEqual({ topic, partition: 0, brokerId: 1, error: null })
    expect(results[1]!.error).toMatchObject({ errorName: 'LOG_DIR_NOT_FOUND' })
  })

  it('moves a replica to the other log dir of its broker: future replica while copying, then swapped in with its data', async () => {
    const moving = uniqueName('logdir-move')
    await t.admin.createTopics([{ name: moving, numPartitions: 1, replicationFactor: 1 }])
    await eventually(async () => expect((await t.admin.describeTopics([moving]))[0]!.partitions).toHaveLength(1))
    // More than one copy fetch (replica.fetch.max.bytes, 1 MB) holds, so the throttle below can stop the copy halfway.
    const chunk = 'm'.repeat(400_000)
    const batches = 8
    for (let i = 0; i < batches; i++) await produceValues(t.cluster, moving, 0, [chunk])

    const [broker] = await t.admin.describeLogDirs([1])
    // The harness gives every node two log dirs (scripts/kafka/config.mjs).
    expect(broker!.logDirs.length).toBeGreaterThanOrEqual(2)
    const [before] = await t.admin.describeReplicaLogDirs([{ topic: moving, partition: 0, brokerId: 1 }])
    expect(before!.currentLogDir).not.toBeNull()
    const source = before!.currentLogDir!
    const target = broker!.logDirs.map((d) => d.path).find((path) => path !== source)!

    // 1 byte/s for copies between log dirs keeps the move in progress long enough to be seen.
    const throttle = 'replica.alter.log.dirs.io.max.bytes.per.second'
    expect((await t.admin.incrementalAlterConfigs([{ type: 'broker', name: '1', set: { [throttle]: '1' } }]))[0]!.error).toBeNull()
    try {
      const [moved] = await t.admin.alterReplicaLogDirs([{ topic: moving, partition: 0, brokerId: 1, path: target }])
      expect(moved).toEqual({ topic: moving, partition: 0, brokerId: 1, error: null })
      const during = await eventually(async () => {
        const [replica] = await t.admin.describeReplicaLogDirs([{ topic: moving, partition: 0, brokerId: 1 }])
        expect(replica).toMatchObject({ currentLogDir: source, futureLogDir: target, error: null })
        return replica!
      })
      expect(during.currentOffsetLag).toBe(0n)
      expect(during.futureOffsetLag).toBeGreaterThan(0n)
      const [inProgress] = await t.admin.describeLogDirs([1])
      const futureReplica = inProgress!.logDirs.find((d) => d.path === target)!.replicas.find((r) => r.topic === moving)
      expect(futureReplica?.isFuture).toBe(true)
    } finally {
      await t.admin.incrementalAlterConfigs([{ type: 'broker', name: '1', delete: [throttle] }])
    }

    await eventually(async () => {
      const [after] = await t.admin.describeReplicaLogDirs([{ topic: moving, partition: 0, brokerId: 1 }])
      expect(after).toMatchObject({ currentLogDir: target, futureLogDir: null, error: null })
    }, 60_000)
    const [afterDirs] = await t.admin.describeLogDirs([1])
    const holders = afterDirs!.logDirs.filter((d) => d.replicas.some((r) => r.topic === moving))
    expect(holders.map((d) => d.path)).toEqual([target])
    const movedReplica = holders[0]!.replicas.find((r) => r.topic === moving)!
    expect(movedReplica.isFuture).toBe(false)
    expect(movedReplica.size).toBeGreaterThan(BigInt(batches * chunk.length))
    const [latest] = await t.admin.listOffsets([{ topic: moving, partition: 0, spec: 'latest' }])
    expect(latest).toMatchObject({ offset: BigInt(batches), error: null })
    await t.admin.deleteTopics([moving])
  }, 90_000)

  it('raft voter changes reach the controller, which refuses them on the static quorum the harness runs', async () => {
    const quorum = await t.admin.describeMetadataQuorum()
    const voter = quorum.voters[0]!
    expect(voter.replicaDirectoryId).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    // A static quorum (controller.quorum.voters) has kraft.version 0: voters have no directory ids (the zero uuid
    // here) and the voter set cannot change. The refusal comes from the KRaft leader, so the request was routed
    // and decoded end to end.
    const kraftVersionZero = { errorName: 'UNSUPPORTED_VERSION', retriable: false, message: expect.stringMatching(/kraft\.version feature is 0/) }
    const removal = t.admin.removeRaftVoter({ voterId: voter.replicaId, voterDirectoryId: randomBytes(16).toString('base64url') })
    await expect(removal).rejects.toBeInstanceOf(KafkaProtocolError)
    await expect(removal).rejects.toMatchObject(kraftVersionZero)
    const addition = t.admin.addRaftVoter({
      voterId: 42,
      voterDirectoryId: randomBytes(16).toString('base64url'),
      endpoints: [{ listener: 'CONTROLLER', host: '127.0.0.1', port: 1 }],
    })
    await expect(addition).rejects.toMatchObject(kraftVersionZero)
    expect((await t.admin.describeMetadataQuorum()).voters.map((v) => v.replicaId)).toEqual([voter.replicaId])
  })

  it('elections on a single replica: not needed, per partition', async () => {
    const preferred = await t.admin.electLeaders('preferred', { partitions: [{ topic, partition: 0 }, { topic, partition: 1 }] })
    expect(preferred.map((r) => r.error?.errorName)).toEqual(['ELECTION_NOT_NEEDED', 'ELECTION_NOT_NEEDED'])
    const unclean = await t.admin.electLeaders('unclean', { partitions: [{ topic, partition: 0 }, { topic: topic + '-missing', partition: 0 }] })
    expect(unclean[0]!.error).toMatchObject({ errorName: 'ELECTION_NOT_NEEDED' })
    expect(unclean[1]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('reassignments: invalid targets fail per partition, cancelling nothing is reported, none are ongoing', async () => {
    const results = await t.admin.alterPartitionReassignments([
      { topic, partition: 0, replicas: [1, 42] },
      { topic, partition: 1, replicas: null },
    ])
    expect(results[0]!.error).toMatchObject({ errorName: 'INVALID_REPLICA_ASSIGNMENT' })
    expect(results[1]!.error).toMatchObject({ errorName: 'NO_REASSIGNMENT_IN_PROGRESS' })
    expect(await t.admin.listPartitionReassignments([{ topic, partition: 0 }])).toEqual([])
  })

  it('unregistering a broker that is not registered fails with a typed error', async () => {
    await expect(t.admin.unregisterBroker(4242)).rejects.toMatchObject({ errorName: 'BROKER_ID_NOT_REGISTERED' })
  })
})
