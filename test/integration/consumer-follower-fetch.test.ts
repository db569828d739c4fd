/**
 * Follower fetching (KIP-392) on a private three-node cluster. The harness puts every node in its own rack
 * (`rack-<nodeId>`) and configures the broker's RackAwareReplicaSelector, so a consumer that names the rack of a
 * follower is told by the leader, in its first Fetch response, to read from that follower instead. Which node each
 * Fetch goes to is observed through the `samsa:request:start` / `samsa:request:finish` diagnostics channels — the
 * same objects src/network publishes on — and mapped to node ids by the nodes' listener ports.
 */
import { channels, type RequestFinishEvent, type RequestStartEvent } from '../../src/network/instrumentation.js'
import { Kafka } from '../../src/kafka.js'
import type { ConsumerMessage } from '../../src/consumer/types.js'
import { type HarnessInstance, killKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'
import { createTopic, produce, uniqueName, values, waitFor } from './consumer-support.js'

/** More than any one-partition Fetch response without records needs (header, topic id, offsets, tags). */
const EMPTY_FETCH_RESPONSE_BYTES = 300

interface FetchSeen {
  node: number
  correlationId: number
  bytesIn?: number
  failed?: boolean
}

/** Records every Fetch this process sends, by destination node, until stopped. */
function watchFetches(nodeByPort: Map<number, number>): { fetches: FetchSeen[]; stop: () => void } {
  const fetches: FetchSeen[] = []
  const nodeOf = (broker: string): number => nodeByPort.get(Number(broker.slice(broker.lastIndexOf(':') + 1))) ?? -1
  const onStart = (message: unknown): void => {
    const event = message as RequestStartEvent
    if (event.apiName === 'Fetch') fetches.push({ node: nodeOf(event.broker), correlationId: event.correlationId })
  }
  const onFinish = (message: unknown): void => {
    const event = message as RequestFinishEvent
    if (event.apiName !== 'Fetch') return
    const node = nodeOf(event.broker)
    const seen = fetches.find((f) => f.node === node && f.correlationId === event.correlationId)
    if (!seen) return
    seen.bytesIn = event.bytesIn
    seen.failed = event.error !== undefined
  }
  channels.requestStart.subscribe(onStart)
  channels.requestFinish.subscribe(onFinish)
  return {
    fetches,
    stop: () => {
      channels.requestStart.unsubscribe(onStart)
      channels.requestFinish.unsubscribe(onFinish)
    },
  }
}

/** Offsets must run 0, 1, 2 … with no gap and no repeat, and each value must be the one produced there. */
function expectExactlyOnceInOrder(delivered: ConsumerMessage[], produced: Map<bigint, string>): void {
  delivered.forEach((message, index) => {
    expect(message.offset).toBe(BigInt(index))
    expect(message.value?.toString()).toBe(produced.get(message.offset))
  })
}

describe('follower fetching (KIP-392) on a three-node cluster', () => {
  let instance: HarnessInstance | undefined
  let kafka: Kafka
  const nodeByPort = new Map<number, number>()

  beforeAll(async () => {
    instance = await startKafka({ cluster: 'three' })
    for (const node of instance.nodes) nodeByPort.set(node.ports.plaintext ?? node.port, node.id)
    kafka = new Kafka({ brokers: instance.bootstrap.split(','), clientId: 'samsa-follower-fetch-test', logger: false })
  }, 240_000)
  afterAll(async () => {
    await kafka?.close()
    if (instance) await stopKafka(instance.name)
  }, 60_000)

  /** A one-partition topic on all three nodes, with `count` records; returns the leader, a follower and what is where. */
  async function replicatedTopic(label: string, count: number): Promise<{ topic: string; leader: number; follower: number; produced: Map<bigint, string> }> {
    const topic = uniqueName(label)
    await createTopic(kafka.cluster, topic, 1, {}, 3)
    await produce(kafka.cluster, topic, 0, values(count, 'before'), 100)
    await kafka.cluster.refreshMetadata([topic])
    const partition = kafka.cluster.topic(topic)!.partitions[0]!
    expect([...partition.replicas].sort()).toEqual([1, 2, 3])
    const follower = partition.replicas.find((id) => id !== partition.leader)!
    // acks=all: every record is on every in-sync replica, so the follower can serve from offset 0.
    expect(partition.isr).toContain(follower)
    const produced = new Map<bigint, string>()
    for (let i = 0; i < count; i++) produced.set(BigInt(i), `before-0-${i}`)
    return { topic, leader: partition.leader, follower, produced }
  }

  it("the leader sends a consumer in a follower's rack to that follower after one Fetch; every record arrives once, in order", async () => {
    const { topic, leader, follower, produced } = await replicatedTopic('follower', 3000)
    // The rack the brokers advertise is the one the harness gave them: the client rack below names the follower's.
    expect(kafka.cluster.broker(follower)?.rack).toBe(`rack-${follower}`)
    expect(kafka.cluster.broker(leader)?.rack).toBe(`rack-${leader}`)

    const watch = watchFetches(nodeByPort)
    const consumer = kafka.consumer({ clientRack: `rack-${follower}`, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxPartitionFetchBytes: 8192 })
    const delivered: ConsumerMessage[] = []
    try {
      await consumer.assign([{ topic, partition: 0 }])
      for await (const message of consumer) {
        delivered.push(message)
        if (delivered.length === produced.size) break
      }
    } finally {
      watch.stop()
      await consumer.close()
    }

    expectExactlyOnceInOrder(delivered, produced)
    const targets = watch.fetches.map((f) => f.node)
    expect(targets[0]).toBe(leader)
    // Everything after the first Fetch went to the follower; the small per-partition limit makes that many fetches.
    expect(targets.slice(1).every((node) => node === follower)).toBe(true)
    expect(targets.length).toBeGreaterThan(5)
    // The leader's answer carried no records (it only named the follower); the records came from the follower.
    expect(watch.fetches[0]!.failed).toBe(false)
    expect(watch.fetches[0]!.bytesIn).toBeLessThan(EMPTY_FETCH_RESPONSE_BYTES)
    expect(watch.fetches.filter((f) => f.node === follower && !f.failed && (f.bytesIn ?? 0) > EMPTY_FETCH_RESPONSE_BYTES).length).toBeGreaterThan(5)
  }, 120_000)

  it("without a client rack, or in the leader's rack, every Fetch goes to the leader", async () => {
    const { topic, leader, produced } = await replicatedTopic('leader-only', 500)
    for (const clientRack of [undefined, `rack-${leader}`]) {
      const watch = watchFetches(nodeByPort)
      const consumer = kafka.consumer({ ...(clientRack ? { clientRack } : {}), autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxPartitionFetchBytes: 4096 })
      const delivered: ConsumerMessage[] = []
      try {
        await consumer.assign([{ topic, partition: 0 }])
        for await (const message of consumer) {
          delivered.push(message)
          if (delivered.length === produced.size) break
        }
      } finally {
        watch.stop()
        await consumer.close()
      }
      expectExactlyOnceInOrder(delivered, produced)
      expect(watch.fetches.length).toBeGreaterThan(1)
      expect(watch.fetches.filter((f) => f.node !== leader)).toEqual([])
    }
  }, 120_000)

  it("the leader's advice lapses after metadataMaxAgeMs: the consumer asks the leader again, and goes back to the follower", async () => {
    const { topic, leader, follower } = await replicatedTopic('follower-expiry', 10)
    const shortLived = new Kafka({ brokers: instance!.bootstrap.split(','), clientId: 'samsa-follower-expiry-test', logger: false, metadataMaxAgeMs: 1500 })
    const watch = watchFetches(nodeByPort)
    const consumer = shortLived.consumer({ clientRack: `rack-${follower}`, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 })
    const delivered: ConsumerMessage[] = []
    try {
      await consumer.assign([{ topic, partition: 0 }])
      // Reading for ~5 s (empty fetches every 100 ms once caught up) spans three lapses of the advice.
      for await (const message of consumer.messages({ signal: AbortSignal.timeout(5000) })) delivered.push(message)
    } finally {
      watch.stop()
      await consumer.close()
      await shortLived.close()
    }
    expect(delivered.map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)))
    const targets = watch.fetches.filter((f) => !f.failed).map((f) => f.node)
    expect(targets[0]).toBe(leader)
    // Runs of fetches: leader, follower…, leader, follower…: every return to the leader is followed by the follower.
    const runs = targets.filter((node, i) => i === 0 || node !== targets[i - 1])
    expect(runs.filter((node) => node === leader).length).toBeGreaterThanOrEqual(3)
    expect(runs.every((node, i) => node === (i % 2 === 0 ? leader : follower))).toBe(true)
  }, 120_000)

  it('when the follower dies mid-consumption, fetching falls back to the leader and nothing is skipped or repeated', async () => {
    const { topic, leader, follower, produced } = await replicatedTopic('follower-kill', 2000)
    const watch = watchFetches(nodeByPort)
    const consumer = kafka.consumer({ clientRack: `rack-${follower}`, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxPartitionFetchBytes: 4096 })
    const delivered: ConsumerMessage[] = []
    let killed!: () => void
    const followerKilled = new Promise<void>((resolve) => (killed = resolve))
    let failure: unknown = null
    let fetchesBeforeKill = 0
    await consumer.assign([{ topic, partition: 0 }])
    const loop = (async () => {
      try {
        for await (const message of consumer) {
          delivered.push(message)
          // Stop reading (the prefetch buffer fills and fetching pauses) until the follower is gone.
          if (delivered.length === 300) await followerKilled
        }
      } catch (error) {
        failure = error
      }
    })()
    try {
      await waitFor(() => delivered.length >= 300 || failure !== null, 60_000, 'the first 300 records')
      expect(failure).toBeNull()
      expect(watch.fetches.slice(1).some((f) => f.node === follower && !f.failed)).toBe(true)
      fetchesBeforeKill = watch.fetches.length
      await killKafkaNode(instance!.name, follower)
      killed()
      // New records after the kill exist only on the leader and the third replica; acks=all waits until the dead
      // follower leaves the ISR. The produce helper may retry a timed-out batch, so these values may repeat in the log.
      await produce(kafka.cluster, topic, 0, values(1000, 'after'), 100)
      const [end] = await consumer.endOffsets([{ topic, partition: 0 }])
      await waitFor(() => BigInt(delivered.length) >= end!.offset || failure !== null, 120_000, `all ${end!.offset} records (have ${delivered.length})`)
      expect(failure).toBeNull()
      expect(BigInt(delivered.length)).toBe(end!.offset)
    } finally {
      killed()
      watch.stop()
      await consumer.close()
      await loop
    }

    // Offsets 0..end-1, each once, in order; the records produced before the kill are the ones produced, and every
    // record produced after the kill is among what arrived after them.
    delivered.forEach((message, index) => expect(message.offset).toBe(BigInt(index)))
    expectExactlyOnceInOrder(delivered.slice(0, produced.size), produced)
    const after = new Set(delivered.slice(produced.size).map((m) => m.value!.toString()))
    for (let i = 0; i < 1000; i++) expect(after.has(`after-0-${i}`)).toBe(true)
    // After the kill, records came from the leader (the third replica is in another rack, so it is never preferred).
    const afterKill = watch.fetches.slice(fetchesBeforeKill)
    expect(afterKill.some((f) => f.node === leader && !f.failed && (f.bytesIn ?? 0) > EMPTY_FETCH_RESPONSE_BYTES)).toBe(true)
    expect(afterKill.filter((f) => f.node !== leader && f.node !== follower)).toEqual([])
    expect(afterKill.filter((f) => f.node === follower && !f.failed)).toEqual([])
  }, 240_000)
})
