/**
 * The consumer on a three-node cluster while brokers die: the leader of a partition is SIGKILLed during
 * consumption, then the group coordinator. The consumer keeps going by itself (metadata refresh, new leader,
 * coordinator rediscovery, rejoin) and delivers every offset of every partition — nothing skipped.
 */
import { KafkaError } from '../../src/errors.js'
import type { Cluster } from '../../src/network/cluster.js'
import { type HarnessInstance, killKafkaNode, restartKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'
import { createTopic, newCluster, newConsumer, produce, uniqueName, values, waitFor } from '../integration/consumer-support.js'

const PARTITIONS = 6

describe('consumer under broker failures (three nodes)', () => {
  let instance: HarnessInstance | undefined
  let cluster: Cluster
  beforeAll(async () => {
    instance = await startKafka({ cluster: 'three' })
    cluster = newCluster(instance.bootstrap.split(','))
  }, 240_000)
  afterAll(async () => {
    cluster?.close()
    if (instance) await stopKafka(instance.name)
  }, 60_000)

  it('continues through a partition leader kill and a coordinator kill without skipping an offset', async () => {
    const topic = uniqueName('faults')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, PARTITIONS, { 'min.insync.replicas': '2' }, 3)
    const produceRound = async (label: string): Promise<void> => {
      for (let p = 0; p < PARTITIONS; p++) await produce(cluster, topic, p, values(200, label, p), 100)
    }
    await produceRound('before')

    const consumerCluster = newCluster(instance!.bootstrap.split(','))
    const consumer = newConsumer(consumerCluster, { groupId, autoOffsetReset: 'earliest', fetchMaxWaitMs: 200, autoCommitIntervalMs: 500 })
    const delivered = new Map<number, Set<bigint>>()
    let failure: KafkaError | null = null
    await consumer.subscribe([topic])
    const loop = (async () => {
      try {
        for await (const m of consumer) {
          let set = delivered.get(m.partition)
          if (!set) delivered.set(m.partition, (set = new Set()))
          set.add(m.offset)
        }
      } catch (error) {
        failure = error as KafkaError
      }
    })()
    const deliveredCount = (): number => [...delivered.values()].reduce((n, s) => n + s.size, 0)
    await waitFor(() => deliveredCount() >= 600, 60_000, 'consumption to start')

    // 1. Kill the leader of partition 0 mid-consumption; keep producing.
    await cluster.refreshMetadata([topic])
    const leader = cluster.topic(topic)!.partitions[0]!.leader
    await killKafkaNode(instance!.name, leader)
    await produceRound('after-leader-kill')
    const endOffsets = async (): Promise<bigint[]> => {
      const ends = await consumer.endOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
      return ends.sort((a, b) => a.partition - b.partition).map((e) => e.offset)
    }
    const caughtUp = async (): Promise<void> => {
      const ends = await endOffsets()
      await waitFor(() => ends.every((end, p) => (delivered.get(p)?.size ?? 0) >= Number(end)) || failure !== null, 120_000, 'the consumer to catch up')
      expect(failure).toBeNull()
      ends.forEach((end, p) => {
        const set = delivered.get(p)!
        for (let o = 0n; o < end; o++) expect(set.has(o)).toBe(true)
      })
    }
    await caughtUp()
    await restartKafkaNode(instance!.name, leader)

    // 2. Kill the group coordinator; the member must find the new one and keep its partitions flowing.
    const coordinator = await consumerCluster.coordinator('group', groupId)
    await killKafkaNode(instance!.name, coordinator.nodeId!)
    await produceRound('after-coordinator-kill')
    await caughtUp()
    await restartKafkaNode(instance!.name, coordinator.nodeId!)

    await consumer.close()
    await loop
    consumerCluster.close()
  }, 400_000)

  it('waits out a restart of the whole cluster and resumes by itself', async () => {
    const topic = uniqueName('restart')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 3, {}, 3)
    for (let p = 0; p < 3; p++) await produce(cluster, topic, p, values(50, 'before', p))
    const consumerCluster = newCluster(instance!.bootstrap.split(','))
    const consumer = newConsumer(consumerCluster, { groupId, autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 })
    const seen = new Set<string>()
    let failure: unknown = null
    await consumer.subscribe([topic])
    const loop = (async () => {
      try {
        for await (const m of consumer) seen.add(m.value!.toString())
      } catch (error) {
        failure = error
      }
    })()
    await waitFor(() => seen.size === 150, 60_000, 'the first records')
    const nodes = instance!.nodes.map((n) => n.id)
    for (const node of nodes) await killKafkaNode(instance!.name, node)
    await new Promise((r) => setTimeout(r, 3000))
    await Promise.all(nodes.map((node) => restartKafkaNode(instance!.name, node)))
    for (let p = 0; p < 3; p++) await produce(cluster, topic, p, values(50, 'after', p))
    await waitFor(() => seen.size === 300 || failure !== null, 180_000, 'records produced after the restart')
    expect(failure).toBeNull()
    await consumer.close()
    await loop
    consumerCluster.close()
  }, 400_000)
})
