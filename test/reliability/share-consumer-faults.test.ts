/**
 * The share consumer on a three-node cluster while the leader of the partition it reads is SIGKILLed mid-stream.
 * The records the dead leader had handed out lose their locks with it, so the new leader may hand some of them out
 * again: what must hold is that the consumer carries on by itself with the new leader, every offset is delivered
 * at least once, and the group ends with nothing left to deliver (share-partition lag 0 as the broker reports it).
 */
import { Admin } from '../../src/admin/admin.js'
import { ShareConsumer } from '../../src/consumer/share-consumer.js'
import type { KafkaError } from '../../src/errors.js'
import type { Cluster } from '../../src/network/cluster.js'
import { type HarnessInstance, killKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'
import { contextFor, createTopic, newCluster, produce, uniqueName, values, waitFor } from '../integration/consumer-support.js'

const BEFORE_KILL = 400
const AFTER_KILL = 400

describe('share consumer under a partition leader kill (three nodes)', () => {
  let instance: HarnessInstance | undefined
  let cluster: Cluster
  let admin: Admin
  /** Closed in afterAll too, so a failed expectation does not leave a consumer looping and jest waiting. */
  const cleanup: Array<() => Promise<void> | void> = []
  beforeAll(async () => {
    instance = await startKafka({ cluster: 'three' })
    cluster = newCluster(instance.bootstrap.split(','))
    admin = new Admin(contextFor(cluster))
  }, 240_000)
  afterAll(async () => {
    for (const step of cleanup.splice(0)) await Promise.resolve(step()).catch(() => undefined)
    await admin?.close()
    cluster?.close()
    if (instance) await stopKafka(instance.name)
  }, 60_000)

  /** Records of the partition not yet in a final state (KIP-1226 lag); -1 while the broker cannot say. */
  async function shareLag(groupId: string, topic: string): Promise<bigint> {
    try {
      const [result] = await admin.listShareGroupOffsets([{ groupId, partitions: [{ topic, partition: 0 }] }])
      return result!.offsets.find((o) => o.topic === topic && o.partition === 0)?.lag ?? -1n
    } catch {
      return -1n
    }
  }

  it('reads on from the new leader: every offset delivered at least once, all accepted (lag 0)', async () => {
    const topic = uniqueName('share-faults')
    const groupId = uniqueName('share-faults-group')
    await createTopic(cluster, topic, 1, { 'min.insync.replicas': '2' }, 3)
    const [reset] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.auto.offset.reset': 'earliest' } }])
    expect(reset!.error).toBeNull()
    await produce(cluster, topic, 0, values(BEFORE_KILL, 'before'), 20)

    const consumerCluster = newCluster(instance!.bootstrap.split(','))
    const consumer = new ShareConsumer(contextFor(consumerCluster), { groupId, maxPollRecords: 20, fetchMaxWaitMs: 200 })
    cleanup.push(() => consumer.close(), () => consumerCluster.close())
    const deliveries = new Map<bigint, number[]>()
    let failure: KafkaError | null = null
    await consumer.subscribe([topic])
    const loop = (async () => {
      try {
        for await (const m of consumer) {
          let counts = deliveries.get(m.offset)
          if (!counts) deliveries.set(m.offset, (counts = []))
          counts.push(m.deliveryCount)
          // Slow enough that the kill lands while records of this partition are still being handed out.
          await new Promise((resolve) => setTimeout(resolve, 15))
        }
      } catch (error) {
        failure = error as KafkaError
      }
    })()
    await waitFor(() => deliveries.size >= 100 || failure !== null, 60_000, 'consumption to start')
    expect(failure).toBeNull()
    expect(deliveries.size).toBeLessThan(BEFORE_KILL)

    await cluster.refreshMetadata([topic])
    const leader = cluster.topic(topic)!.partitions[0]!.leader
    await killKafkaNode(instance!.name, leader)
    await produce(cluster, topic, 0, values(AFTER_KILL, 'after'), 20)
    await cluster.refreshMetadata([topic])
    const newLeader = cluster.topic(topic)!.partitions[0]!.leader
    expect(newLeader).not.toBe(leader)

    // A produce retried through the leader change may have landed twice: the log end says how many offsets there are.
    const [end] = await admin.listOffsets([{ topic, partition: 0, spec: 'latest' }])
    expect(end!.error).toBeNull()
    const total = Number(end!.offset)
    expect(total).toBeGreaterThanOrEqual(BEFORE_KILL + AFTER_KILL)
    await waitFor(() => deliveries.size >= total || failure !== null, 120_000, 'every offset to be delivered').catch((error: Error) => {
      const missing = Array.from({ length: total }, (_, o) => BigInt(o)).filter((o) => !deliveries.has(o))
      throw new Error(`${error.message}: ${deliveries.size} of ${total} offsets, first missing ${missing.slice(0, 5).join(', ')}`)
    })
    expect(failure).toBeNull()
    for (let o = 0n; o < BigInt(total); o++) expect(deliveries.has(o)).toBe(true)

    // Accepted means final: lag 0. The loop is back in next(), which accepted the last record; the next ShareFetch carries it.
    let lag = -1n
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && (lag = await shareLag(groupId, topic)) !== 0n) await new Promise((resolve) => setTimeout(resolve, 500))
    expect(lag).toBe(0n)

    // Redeliveries (records whose locks died with the leader) are allowed; how many there were is reported.
    const redelivered = [...deliveries.values()].filter((counts) => counts.length > 1)
    process.stderr.write(`share faults: ${total} offsets, ${redelivered.length} redelivered after the leader (${leader} -> ${newLeader}) died\n`)

    await consumer.close()
    await loop
    consumerCluster.close()
  }, 240_000)
})
