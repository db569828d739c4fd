/**
 * An unclean leader election on the harness's three-node cluster, in stages so that a test can act between them.
 * Partition 0 of the topic has replicas [3, 2], leader 3. Node 2 is killed while ~10 MB go to node 3 alone; node 2
 * comes back but a follower replication throttle holds it out of sync; then node 3 dies. The partition has no
 * in-sync (and, with KIP-966 on, no live eligible) replica, so only an unclean election can give it a leader:
 * node 2, whose log is shorter. One node is down at a time, so two of the three controllers always form the quorum.
 */
import { kafkaStatus, killKafkaNode, restartKafkaNode } from './kafka.js'
import { eventually, produceValues, type TestAdmin } from '../integration/admin-support.js'

// Both sides throttle: node 2's own follower throttle comes from a dynamic config that a restarted node 2 may not
// have applied yet when its fetcher starts (it once caught up on the ~10 MB and rejoined the ISR under load); the
// leader-side throttle lives on node 3, which stays up until node 2 is back.
const THROTTLE_RATES = ['follower.replication.throttled.rate', 'leader.replication.throttled.rate']

export class UncleanElection {
  /** How many records `writeWhileFollowerDown` adds to node 3 alone. */
  static readonly CHUNKS = 24

  private constructor(
    private readonly t: TestAdmin,
    private readonly instanceName: string,
    readonly topic: string,
  ) {}

  /** Creates the topic and the throttle, and writes `values` while both replicas are in sync. */
  static async prepare(t: TestAdmin, instanceName: string, topic: string, values: string[]): Promise<UncleanElection> {
    const [created] = await t.admin.createTopics([
      // Only partition 0's replication is throttled, and only while node 2 is out of the ISR (Kafka never throttles
      // in-sync followers), so the throttle is inert until node 2 falls behind.
      {
        name: topic,
        assignments: [[3, 2]],
        configs: { 'min.insync.replicas': '1', 'follower.replication.throttled.replicas': '0:2', 'leader.replication.throttled.replicas': '0:3' },
      },
    ])
    expect(created!.error).toBeNull()
    // 1 byte/s for throttled replicas on every broker (the cluster default, so a restarted node 2 has it).
    const [throttled] = await t.admin.incrementalAlterConfigs([{ type: 'broker', name: '', set: Object.fromEntries(THROTTLE_RATES.map((rate) => [rate, '1'])) }])
    expect(throttled!.error).toBeNull()
    await eventually(async () => {
      const p = (await t.admin.describeTopics([topic]))[0]!.partitions[0]!
      expect(p.leader).toBe(3)
      expect(p.isr.sort()).toEqual([2, 3])
    })
    await produceValues(t.cluster, topic, 0, values)
    await eventually(async () => {
      const [dirs] = await t.admin.describeLogDirs([2])
      const replica = dirs!.logDirs.flatMap((d) => d.replicas).find((r) => r.topic === topic)
      expect(replica?.size).toBeGreaterThan(0n)
    })
    return new UncleanElection(t, instanceName, topic)
  }

  /** Kills node 2 and writes `CHUNKS` records of 400 kB to node 3 alone. */
  async writeWhileFollowerDown(): Promise<void> {
    await killKafkaNode(this.instanceName, 2)
    await eventually(async () => expect((await this.#partition()).isr).toEqual([3]), 60_000)
    // A throttled follower still gets one fetch (up to replica.fetch.max.bytes, 1 MB) each time the quota's 11 s
    // window empties, so catching up on ~10 MB would take minutes, far longer than the stages that follow.
    const chunk = 'u'.repeat(400_000)
    for (let i = 0; i < UncleanElection.CHUNKS; i++) await produceValues(this.t.cluster, this.topic, 0, [chunk])
  }

  /** Brings node 2 back (held out of sync) and kills node 3: the partition is left without a leader. */
  async leaveOnlyTheLaggingReplica(): Promise<void> {
    await restartKafkaNode(this.instanceName, 2)
    await eventually(async () => {
      const cluster = await this.t.admin.describeCluster({ includeFencedBrokers: true })
      expect(cluster.nodes.find((n) => n.nodeId === 2)).toMatchObject({ isFenced: false })
    }, 60_000)
    expect(await this.#partition()).toMatchObject({ leader: 3, isr: [3] })
    await killKafkaNode(this.instanceName, 3)
    await eventually(async () => expect((await this.#partition()).leader).toBeNull(), 60_000)
  }

  /** Elects node 2 uncleanly and waits until it leads. */
  async electUncleanly(): Promise<void> {
    const [unclean] = await this.t.admin.electLeaders('unclean', { partitions: [{ topic: this.topic, partition: 0 }] })
    expect(unclean).toEqual({ topic: this.topic, partition: 0, error: null })
    await eventually(async () => expect(await this.#partition()).toMatchObject({ leader: 2, isr: [2] }), 30_000)
  }

  /** Removes the throttle and restarts whichever node is down; for a `finally`, after any stage. */
  async restore(): Promise<void> {
    await this.t.admin.incrementalAlterConfigs([{ type: 'broker', name: '', delete: THROTTLE_RATES }]).catch(() => undefined)
    const status = await kafkaStatus(this.instanceName)
    for (const node of status.nodes.filter((n) => !n.alive)) await restartKafkaNode(this.instanceName, node.id)
  }

  async #partition() {
    return (await this.t.admin.describeTopics([this.topic]))[0]!.partitions[0]!
  }
}
