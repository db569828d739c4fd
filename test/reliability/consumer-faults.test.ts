/**
 * The consumer on a three-node cluster while brokers die: the leader of a partition is SIGKILLed during
 * consumption, then the group coordinator. The consumer keeps going by itself (metadata refresh, new leader,
 * coordinator rediscovery, rejoin) and delivers every offset of every partition — nothing skipped. Last, an unclean
 * leader election truncates a log under two consumers: both notice through OffsetForLeaderEpoch validation (KIP-320),
 * and so do members that join later from an offset committed before the election.
 */
import { KafkaError } from '../../src/errors.js'
import type { Cluster } from '../../src/network/cluster.js'
import { type HarnessInstance, killKafkaNode, restartKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'
import { LogTruncationError } from '../../src/consumer/errors.js'
import type { ConsumerMessage, TruncationEvent } from '../../src/consumer/types.js'
import { UncleanElection } from '../helpers/unclean-election.js'
import { openAdmin, produceValues } from '../integration/admin-support.js'
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
    // Deliveries per offset, so a redelivery shows (a Set would hide it).
    const delivered = new Map<number, Map<bigint, number>>()
    let failure: KafkaError | null = null
    await consumer.subscribe([topic])
    const loop = (async () => {
      try {
        for await (const m of consumer) {
          let counts = delivered.get(m.partition)
          if (!counts) delivered.set(m.partition, (counts = new Map()))
          counts.set(m.offset, (counts.get(m.offset) ?? 0) + 1)
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
    // At-least-once allows a redelivery after a fault (a commit lost with the coordinator); say how many there were.
    const redelivered = [...delivered].flatMap(([p, counts]) => [...counts].filter(([, n]) => n > 1).map(([o, n]) => `${p}:${o}x${n}`))
    console.info(`consumer-faults: ${deliveredCount()} offsets delivered, ${redelivered.length} more than once${redelivered.length ? `: ${redelivered.slice(0, 20).join(' ')}` : ''}`)
    consumerCluster.close()
  }, 400_000)

  it('detects log truncation after an unclean election by validating the position with the new leader (KIP-320)', async () => {
    // Replicas [3, 2], leader 3; node 2 misses ~10 MB, then 3 dies and 2 is elected uncleanly with a shorter log.
    const t = openAdmin(instance!.bootstrap.split(','))
    const topic = uniqueName('truncation')
    const shared = ['shared-0', 'shared-1', 'shared-2', 'shared-3', 'shared-4']
    const election = await UncleanElection.prepare(t, instance!.name, topic, shared)

    // Two consumers read everything leader 3 has: one resets on truncation ('earliest'), one must stop ('none').
    const consumerCluster = newCluster(instance!.bootstrap.split(','))
    const committedGroup = uniqueName('g')
    const resetting = newConsumer(consumerCluster, { autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 })
    // 'none' needs a starting point that is not a reset: a committed offset of its group.
    const strict = newConsumer(consumerCluster, { groupId: uniqueName('g'), autoOffsetReset: 'none', enableAutoCommit: false, fetchMaxWaitMs: 200 })
    await strict.commit({ offsets: [{ topic, partition: 0, offset: 0n }] })
    await resetting.assign([{ topic, partition: 0 }])
    await strict.assign([{ topic, partition: 0 }])
    const received: Array<Pick<ConsumerMessage, 'offset'> & { value: string }> = []
    const strictOffsets: bigint[] = []
    const truncations: TruncationEvent[] = []
    let receivedAtTruncation = -1
    resetting.on('truncation', (event) => {
      truncations.push(event)
      receivedAtTruncation = received.length
    })
    let lastEpoch = -1
    let resettingFailure: unknown = null
    let strictFailure: unknown = null
    const resettingLoop = (async () => {
      try {
        for await (const m of resetting) {
          received.push({ offset: m.offset, value: m.value!.toString() })
          lastEpoch = m.leaderEpoch
        }
      } catch (error) {
        resettingFailure = error
      }
    })()
    const strictLoop = (async () => {
      try {
        for await (const m of strict) strictOffsets.push(m.offset)
      } catch (error) {
        strictFailure = error
      }
    })()

    const written = BigInt(shared.length + UncleanElection.CHUNKS)
    try {
      await election.writeWhileFollowerDown()
      await waitFor(() => (received.length === Number(written) && strictOffsets.length === Number(written)) || resettingFailure !== null || strictFailure !== null, 60_000, 'both consumers to read all of leader 3')
      expect([resettingFailure, strictFailure]).toEqual([null, null])
      expect(received.map((m) => m.offset)).toEqual(Array.from({ length: Number(written) }, (_, i) => BigInt(i)))
      const validationsBefore = resetting.fetchStats.validations
      // A group that finished everything leader 3 had commits its end, with the epoch of the last record read.
      const committedEpoch = lastEpoch
      expect(committedEpoch).toBeGreaterThanOrEqual(0)
      const committer = newConsumer(consumerCluster, { groupId: committedGroup, enableAutoCommit: false })
      await committer.commit({ offsets: [{ topic, partition: 0, offset: written, leaderEpoch: committedEpoch }] })
      expect(await committer.committed([{ topic, partition: 0 }])).toMatchObject([{ offset: written, leaderEpoch: committedEpoch }])
      await committer.close()

      await election.leaveOnlyTheLaggingReplica()
      await election.electUncleanly()
      const [end] = await t.admin.listOffsets([{ topic, partition: 0, spec: 'latest' }])
      const newEnd = end!.offset
      expect(newEnd).toBeGreaterThanOrEqual(BigInt(shared.length))
      expect(newEnd).toBeLessThan(written)

      // The resetting consumer moves back to the new leader's end, found by validation before any fetch there.
      await waitFor(() => truncations.length > 0 || resettingFailure !== null, 90_000, 'the truncation to be detected')
      expect(resettingFailure).toBeNull()
      expect(truncations).toHaveLength(1)
      expect(truncations[0]).toMatchObject({ topic, partition: 0, offset: newEnd, from: written, detectedBy: 'validation' })
      expect(resetting.fetchStats.validations).toBeGreaterThan(validationsBefore)
      expect(await resetting.position({ topic, partition: 0 })).toBe(newEnd)

      // The strict consumer stops with the typed error, naming where the logs diverge.
      await waitFor(() => strictFailure !== null, 90_000, 'the strict consumer to stop')
      expect(strictFailure).toBeInstanceOf(LogTruncationError)
      expect(strictFailure).toMatchObject({ topic, partition: 0, position: written, divergentOffset: newEnd })

      // Records written to the new leader arrive from the truncation point on: nothing after it is skipped.
      await produceValues(t.cluster, topic, 0, ['after-0', 'after-1', 'after-2'])
      await waitFor(() => received.length >= receivedAtTruncation + 3 || resettingFailure !== null, 60_000, 'records from the new leader')
      expect(resettingFailure).toBeNull()
      expect(received.slice(receivedAtTruncation)).toEqual([
        { offset: newEnd, value: 'after-0' },
        { offset: newEnd + 1n, value: 'after-1' },
        { offset: newEnd + 2n, value: 'after-2' },
      ])

      // New members of the committed group start at the committed offset, which the new leader's refilled log now
      // also has. Fetching there would silently skip after-0..2; the committed epoch is validated first (KIP-320).
      // Without that check this consumer would not even see a truncation: its fetch at `written` is out of range
      // and 'earliest' would restart it at 0.
      const joiner = newConsumer(consumerCluster, { groupId: committedGroup, autoOffsetReset: 'earliest', enableAutoCommit: false, fetchMaxWaitMs: 200 })
      const joinerTruncations: TruncationEvent[] = []
      joiner.on('truncation', (event) => joinerTruncations.push(event))
      await joiner.assign([{ topic, partition: 0 }])
      const joined: Array<Pick<ConsumerMessage, 'offset'> & { value: string }> = []
      // Bounded: a consumer that silently stops delivering fails the assertions below instead of hanging the test.
      for await (const m of joiner.messages({ signal: AbortSignal.timeout(60_000) })) {
        joined.push({ offset: m.offset, value: m.value!.toString() })
        if (joined.length === 3) break
      }
      await joiner.close()
      expect(joinerTruncations).toEqual([expect.objectContaining({ topic, partition: 0, offset: newEnd, from: written, detectedBy: 'validation' })])
      expect(joined).toEqual(received.slice(receivedAtTruncation))
      const strictJoiner = newConsumer(consumerCluster, { groupId: committedGroup, autoOffsetReset: 'none', enableAutoCommit: false, fetchMaxWaitMs: 200 })
      await strictJoiner.assign([{ topic, partition: 0 }])
      let strictJoinerFailure: unknown = null
      try {
        for await (const m of strictJoiner.messages({ signal: AbortSignal.timeout(60_000) })) throw new Error(`read ${m.offset} past a truncation`)
      } catch (error) {
        strictJoinerFailure = error
      }
      await strictJoiner.close()
      expect(strictJoinerFailure).toBeInstanceOf(LogTruncationError)
      expect(strictJoinerFailure).toMatchObject({ topic, partition: 0, position: written, divergentOffset: newEnd })

      // A seek that carries the epoch (as committed() returns it) is checked the same way.
      const seeker = newConsumer(consumerCluster, { autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 })
      const seekerTruncations: TruncationEvent[] = []
      seeker.on('truncation', (event) => seekerTruncations.push(event))
      await seeker.assign([{ topic, partition: 0 }])
      seeker.seek({ topic, partition: 0, offset: written, leaderEpoch: committedEpoch })
      const sought: Array<Pick<ConsumerMessage, 'offset'> & { value: string }> = []
      // Bounded: a consumer that silently stops delivering fails the assertions below instead of hanging the test.
      for await (const m of seeker.messages({ signal: AbortSignal.timeout(60_000) })) {
        sought.push({ offset: m.offset, value: m.value!.toString() })
        if (sought.length === 3) break
      }
      await seeker.close()
      expect(seekerTruncations).toEqual([expect.objectContaining({ offset: newEnd, from: written, detectedBy: 'validation' })])
      expect(sought).toEqual(received.slice(receivedAtTruncation))
    } finally {
      await resetting.close().catch(() => undefined)
      await strict.close().catch(() => undefined)
      await Promise.all([resettingLoop, strictLoop])
      consumerCluster.close()
      await election.restore()
      await t.close()
    }
  }, 400_000)

  it('waits out a restart of the whole cluster and resumes by itself', async () => {
    const topic = uniqueName('restart')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 3, {}, 3)
    for (let p = 0; p < 3; p++) await produce(cluster, topic, p, values(50, 'before', p))
    const consumerCluster = newCluster(instance!.bootstrap.split(','))
    const consumer = newConsumer(consumerCluster, { groupId, autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 })
    const seen = new Map<string, number>()
    let failure: unknown = null
    await consumer.subscribe([topic])
    const loop = (async () => {
      try {
        for await (const m of consumer) seen.set(m.value!.toString(), (seen.get(m.value!.toString()) ?? 0) + 1)
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
    const twice = [...seen].filter(([, n]) => n > 1).map(([value]) => value)
    console.info(`consumer-faults (cluster restart): 300 records, ${twice.length} delivered more than once${twice.length ? `: ${twice.slice(0, 20).join(' ')}` : ''}`)
    await consumer.close()
    await loop
    consumerCluster.close()
  }, 400_000)
})
