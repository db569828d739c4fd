/**
 * Admin methods where replication matters, on a private three-node cluster (combined broker+controller nodes,
 * PLAINTEXT). One file for all of them: a three-node cluster is expensive on a small machine. The broker
 * unregistration runs last because it kills a node.
 */
import { type HarnessInstance, killKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'
import { UncleanElection } from '../helpers/unclean-election.js'
import { eventually, openAdmin, produceValues, type TestAdmin, uniqueName } from './admin-support.js'

describe('Admin on a three-node cluster', () => {
  let instance: HarnessInstance | undefined
  let t: TestAdmin

  beforeAll(async () => {
    instance = await startKafka({ cluster: 'three' })
    t = openAdmin(instance.bootstrap.split(','))
  }, 240_000)

  afterAll(async () => {
    await t?.close()
    if (instance) await stopKafka(instance.name)
  }, 60_000)

  it('describes three brokers, three voters, replicated partitions with ISR and eligible leader replicas, and log dirs on every broker', async () => {
    const cluster = await t.admin.describeCluster()
    expect(cluster.nodes.map((n) => n.nodeId)).toEqual([1, 2, 3])
    const quorum = await t.admin.describeMetadataQuorum()
    expect(quorum.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3])
    expect([1, 2, 3]).toContain(quorum.leaderId)

    const topic = uniqueName('replicated')
    const [created] = await t.admin.createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }])
    expect(created!.error).toBeNull()
    const described = await eventually(async () => {
      const [d] = await t.admin.describeTopics([topic])
      expect(d!.partitions).toHaveLength(3)
      for (const p of d!.partitions) expect(p.isr.sort()).toEqual([1, 2, 3])
      return d!
    })
    for (const p of described.partitions) {
      expect(p.replicas.slice().sort()).toEqual([1, 2, 3])
      expect(p.replicas).toContain(p.leader)
      expect(p.offlineReplicas).toEqual([])
      expect(p.eligibleLeaderReplicas).toEqual([])
    }
    await produceValues(t.cluster, topic, 0, ['replicated'])

    const logDirs = await t.admin.describeLogDirs()
    expect(logDirs.map((b) => b.brokerId)).toEqual([1, 2, 3])
    for (const broker of logDirs) {
      expect(broker.error).toBeNull()
      const replicas = broker.logDirs.flatMap((d) => d.replicas).filter((r) => r.topic === topic)
      expect(replicas.map((r) => r.partition).sort()).toEqual([0, 1, 2])
    }
  }, 120_000)

  it('reassigns a partition to other brokers, lists the reassignment, and refuses a replication factor change when asked', async () => {
    const topic = uniqueName('reassign')
    await t.admin.createTopics([{ name: topic, assignments: [[1, 2]] }])
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions[0]!.isr.sort()).toEqual([1, 2]))
    await produceValues(t.cluster, topic, 0, ['a', 'b', 'c'])

    const [moved] = await t.admin.alterPartitionReassignments([{ topic, partition: 0, replicas: [2, 3] }])
    expect(moved).toEqual({ topic, partition: 0, error: null })
    const ongoing = await t.admin.listPartitionReassignments()
    for (const r of ongoing.filter((o) => o.topic === topic)) {
      expect(r.replicas.length).toBeGreaterThanOrEqual(2)
      expect(r.addingReplicas.concat(r.removingReplicas).length).toBeGreaterThan(0)
    }
    await eventually(async () => {
      const [d] = await t.admin.describeTopics([topic])
      expect(d!.partitions[0]!.replicas).toEqual([2, 3])
      expect(d!.partitions[0]!.isr.sort()).toEqual([2, 3])
    }, 60_000)
    expect(await t.admin.listPartitionReassignments([{ topic, partition: 0 }])).toEqual([])

    const [refused] = await t.admin.alterPartitionReassignments([{ topic, partition: 0, replicas: [1] }], { allowReplicationFactorChange: false })
    expect(refused!.error).toMatchObject({ errorName: 'INVALID_REPLICATION_FACTOR' })
  }, 120_000)

  it('elects the preferred leader after a reassignment reorders the replicas', async () => {
    const topic = uniqueName('elect')
    await t.admin.createTopics([{ name: topic, assignments: [[1, 2]] }])
    await eventually(async () => {
      const p = (await t.admin.describeTopics([topic]))[0]!.partitions[0]!
      expect(p.leader).toBe(1)
      expect(p.isr.sort()).toEqual([1, 2])
    })
    // Same replicas, new order: the preferred leader becomes 2 while 1 keeps leading.
    const [reordered] = await t.admin.alterPartitionReassignments([{ topic, partition: 0, replicas: [2, 1] }])
    expect(reordered!.error).toBeNull()
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions[0]!.replicas).toEqual([2, 1]))

    const [elected] = await t.admin.electLeaders('preferred', { partitions: [{ topic, partition: 0 }] })
    // The controller may have moved leadership already (auto leader rebalancing); both end with leader 2.
    if (elected!.error) expect(elected!.error).toMatchObject({ errorName: 'ELECTION_NOT_NEEDED' })
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions[0]!.leader).toBe(2))
    const [again] = await t.admin.electLeaders('preferred', { partitions: [{ topic, partition: 0 }] })
    expect(again!.error).toMatchObject({ errorName: 'ELECTION_NOT_NEEDED' })
  }, 120_000)

  it('changes a finalized feature level and reads it back', async () => {
    const feature = 'eligible.leader.replicas.version'
    const before = await t.admin.describeFeatures()
    const level = before.finalized[feature]?.maxVersion ?? 0
    const target = level >= 1 ? 0 : 1
    const [changed] = await t.admin.updateFeatures([{ feature, maxVersionLevel: target, upgradeType: target < level ? 'safe-downgrade' : 'upgrade' }])
    expect(changed).toEqual({ feature, error: null })
    await eventually(async () => expect((await t.admin.describeFeatures()).finalized[feature]?.maxVersion ?? 0).toBe(target))
    const [restored] = await t.admin.updateFeatures([{ feature, maxVersionLevel: level, upgradeType: level < target ? 'safe-downgrade' : 'upgrade' }])
    expect(restored!.error).toBeNull()
    await eventually(async () => expect((await t.admin.describeFeatures()).finalized[feature]?.maxVersion ?? 0).toBe(level))
  }, 60_000)

  it('unclean election makes an out-of-sync replica leader when the only in-sync replica is down', async () => {
    const topic = uniqueName('unclean')
    const election = await UncleanElection.prepare(t, instance!.name, topic, ['seen by both replicas'])
    try {
      await election.writeWhileFollowerDown()
      const written = BigInt(UncleanElection.CHUNKS + 1)
      expect((await t.admin.listOffsets([{ topic, partition: 0, spec: 'latest' }]))[0]!.offset).toBe(written)

      await election.leaveOnlyTheLaggingReplica()
      // A preferred election cannot help: replica 3 is down and 2 is not in sync.
      const [preferred] = await t.admin.electLeaders('preferred', { partitions: [{ topic, partition: 0 }] })
      expect(preferred!.error).not.toBeNull()

      await election.electUncleanly()
      // The new leader only has what it replicated before it fell behind: the unclean election lost records.
      const [after] = await t.admin.listOffsets([{ topic, partition: 0, spec: 'latest' }])
      expect(after!.error).toBeNull()
      expect(after!.offset).toBeGreaterThanOrEqual(1n)
      expect(after!.offset).toBeLessThan(written)
    } finally {
      await election.restore()
    }
    await eventually(async () => {
      const cluster = await t.admin.describeCluster({ includeFencedBrokers: true })
      expect(cluster.nodes.filter((n) => !n.isFenced).map((n) => n.nodeId).sort()).toEqual([1, 2, 3])
    }, 60_000)
  }, 300_000)

  it('unclean election with no live replica fails per partition; a stopped broker shows as fenced, then unregisterBroker removes it', async () => {
    const topic = uniqueName('on-three')
    const moving = uniqueName('leader-moves')
    await t.admin.createTopics([
      { name: topic, assignments: [[3]] },
      { name: moving, assignments: [[3, 1]] },
    ])
    await eventually(async () => {
      const [only, both] = await t.admin.describeTopics([topic, moving])
      expect(only!.partitions[0]!.leader).toBe(3)
      expect(both!.partitions[0]!.leader).toBe(3)
      expect(both!.partitions[0]!.isr.sort()).toEqual([1, 3])
    })
    await produceValues(t.cluster, moving, 0, ['before the kill'])
    // Warm the client's routing so that it still points at node 3 when the node dies.
    expect((await t.admin.listOffsets([{ topic: moving, partition: 0, spec: 'latest' }]))[0]!.offset).toBe(1n)

    await killKafkaNode(instance!.name, 3)
    await eventually(async () => {
      const cluster = await t.admin.describeCluster({ includeFencedBrokers: true })
      expect(cluster.nodes.find((n) => n.nodeId === 3)).toMatchObject({ isFenced: true })
    }, 60_000)
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions[0]!.leader).toBeNull(), 30_000)

    // Per-leader requests follow the partition to its new leader.
    const [latest] = await t.admin.listOffsets([{ topic: moving, partition: 0, spec: 'latest' }])
    expect(latest).toMatchObject({ offset: 1n, error: null })
    expect((await t.admin.describeTopics([moving]))[0]!.partitions[0]!.leader).toBe(1)

    const [unclean] = await t.admin.electLeaders('unclean', { partitions: [{ topic, partition: 0 }] })
    expect(unclean!.error).toMatchObject({ errorName: 'ELIGIBLE_LEADERS_NOT_AVAILABLE' })

    await t.admin.unregisterBroker(3)
    await eventually(async () => {
      const cluster = await t.admin.describeCluster({ includeFencedBrokers: true })
      expect(cluster.nodes.map((n) => n.nodeId)).toEqual([1, 2])
    }, 30_000)
  }, 180_000)
})
