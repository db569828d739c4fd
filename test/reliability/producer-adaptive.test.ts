/**
 * Adaptive partitioning (KIP-794: partitioner.adaptive.partitioning.enable, partitioner.availability.timeout.ms)
 * against the Java producer, on a private three-node cluster. A proxy holds back the answers to Produce requests
 * sent to one broker, so that broker takes batches more slowly than the other two. The Java producer and samsa then
 * send the same unkeyed records (1 KiB values, batch size 16 384, linger 5 ms, acks all) at the same pace, each to
 * its own six-partition topic (two partitions led by each broker), and the share of records that landed on the slow
 * broker's partitions is compared:
 * - adaptive on (the default), answers +200 ms: batches pile up for the slow broker, so both producers put clearly
 *   fewer records there than the uniform third, and samsa's share is close to Java's;
 * - adaptive off: both stay close to uniform whatever the queues;
 * - adaptive on with partitioner.availability.timeout.ms 100 and answers held back 500 ms (longer than the
 *   timeout): the slow broker gets next to nothing from either.
 *
 * Both sides are paced (RECORDS_PER_SECOND), so they meet the same load whatever their own top speed: how far the
 * slow broker's queues grow, and so the shares, depend on the offered load. A warm-up run first, without delay,
 * takes the cold JVM out of the figures (a cold Java producer places records noticeably differently).
 *
 * Figures are printed (console.log, as the other interop tests): share on the slow broker, records per partition,
 * how long each run took. Seen on a shared 2-core machine, Java / samsa share on the slow broker, in %:
 *   adaptive on  12.5/12.1  15.0/12.9  13.5/13.8  14.1/13.2  22.2/14.3 (CI run, Java behind its pace)
 *   adaptive off 33.3/33.4  35.7/31.8  34.4/35.2  36.6/33.4
 *   held back     5.5/6.1    6.5/6.4    7.2/6.1
 * Weighting by queue length alone gives about the same for the held-back broker (its queues grow just as well), so
 * the last case shows the outcome, not the timeout's own rule.
 */
import { Kafka } from '../../src/kafka.js'
import { parseHostPort } from '../../src/network/cluster.js'
import type { Admin } from '../../src/admin/admin.js'
import { JavaClientReference, javaClientsClasspath } from '../helpers/java-clients.js'
import { KafkaProxy } from '../helpers/kafka-proxy.js'
import { type HarnessInstance, startKafka, stopKafka } from '../helpers/kafka.js'

const PARTITIONS = 6
const VALUE_BYTES = 1024
const BATCH_SIZE = 16_384
const LINGER_MS = 5
const RECORDS_PER_SECOND = 5_000
/** Each answer from the slow broker +200 ms: with 5 requests in flight it takes ~25 requests (~50 batches) a second. */
const SLOW_MS = 200

const RUN = `${process.pid}-${Date.now()}`

jest.setTimeout(5 * 60_000)

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Run {
  /** false: partitioner.adaptive.partitioning.enable=false / partitionerAdaptivePartitioningEnable: false. */
  adaptive: boolean
  availabilityTimeoutMs: number
  records: number
}

interface Outcome {
  /** Share of the records on the slow broker's partitions. */
  slowShare: number
  perPartition: number[]
  elapsedMs: number
}

describe('adaptive partitioning with one slow broker, as the Java producer (three nodes)', () => {
  let instance: HarnessInstance | undefined
  let proxy: KafkaProxy | undefined
  let kafka: Kafka | undefined
  let admin: Admin | undefined
  let java: JavaClientReference | undefined
  let nodeIds: number[] = []
  let slowNode = -1
  let topics = 0

  beforeAll(async () => {
    javaClientsClasspath()
    instance = await startKafka({ cluster: 'three' })
    proxy = await KafkaProxy.start(parseHostPort(instance.bootstrap.split(',')[0]!))
    kafka = new Kafka({ brokers: proxy.bootstrap, clientId: 'samsa-producer-adaptive', logger: false })
    admin = kafka.admin()
    java = JavaClientReference.start()
    nodeIds = instance.nodes.map((node) => node.id).sort((a, b) => a - b)
    slowNode = nodeIds[1]!
    // Warm-up, nothing delayed: the JVM (and node) compile their hot paths before anything is measured.
    const warmUp = { adaptive: true, availabilityTimeoutMs: 0, records: 5_000 }
    await runJava(warmUp)
    await runSamsa(warmUp)
  }, 5 * 60_000)

  afterAll(async () => {
    await java?.close().catch(() => undefined)
    await admin?.close().catch(() => undefined)
    await kafka?.close().catch(() => undefined)
    await proxy?.close().catch(() => undefined)
    if (instance) await stopKafka(instance.name)
  }, 2 * 60_000)

  /** Six partitions, replication 1: partition p on the (p mod 3)-th node, so each broker leads two. */
  async function createTopic(client: string): Promise<{ topic: string; slowPartitions: Set<number> }> {
    const topic = `adaptive-${client}-${RUN}-${++topics}`
    const assignments = Array.from({ length: PARTITIONS }, (_, p) => [nodeIds[p % nodeIds.length]!])
    const [created] = await admin!.createTopics([{ name: topic, assignments }])
    if (created!.error) throw created!.error
    // Every leader known before the first record, or the first draws would favour some partitions.
    for (;;) {
      const info = await kafka!.cluster.topicsOnce([topic]).then(
        ([found]) => found,
        () => undefined,
      )
      if (info && info.partitions.length === PARTITIONS && info.partitions.every((p) => p.leader >= 0)) {
        return { topic, slowPartitions: new Set(info.partitions.filter((p) => p.leader === slowNode).map((p) => p.partition)) }
      }
      await sleep(100)
    }
  }

  function outcome(partitions: number[], slowPartitions: Set<number>, elapsedMs: number): Outcome {
    const perPartition = new Array<number>(PARTITIONS).fill(0)
    for (const p of partitions) {
      if (p < 0 || p >= PARTITIONS) throw new Error(`a record has no partition (${p})`)
      perPartition[p]!++
    }
    const onSlow = [...slowPartitions].reduce((sum, p) => sum + perPartition[p]!, 0)
    return { slowShare: onSlow / partitions.length, perPartition, elapsedMs }
  }

  async function runJava(run: Run): Promise<Outcome> {
    const { topic, slowPartitions } = await createTopic('java')
    const { partitions, elapsedMs } = await java!.produceUnkeyedBurst({
      bootstrap: proxy!.bootstrap,
      topic,
      count: run.records,
      valueBytes: VALUE_BYTES,
      lingerMs: LINGER_MS,
      batchSize: BATCH_SIZE,
      acks: 'all',
      adaptive: run.adaptive,
      availabilityTimeoutMs: run.availabilityTimeoutMs,
      recordsPerSecond: RECORDS_PER_SECOND,
    })
    return outcome(partitions, slowPartitions, elapsedMs)
  }

  async function runSamsa(run: Run): Promise<Outcome> {
    const { topic, slowPartitions } = await createTopic('samsa')
    const producer = kafka!.producer({
      lingerMs: LINGER_MS,
      batchSize: BATCH_SIZE,
      acks: 'all',
      partitionerAdaptivePartitioningEnable: run.adaptive,
      partitionerAvailabilityTimeoutMs: run.availabilityTimeoutMs,
    })
    const partitions = new Array<number>(run.records).fill(-1)
    const value = Buffer.alloc(VALUE_BYTES)
    const sends: Array<Promise<void>> = []
    const started = performance.now()
    try {
      let sent = 0
      while (sent < run.records) {
        // As the Java side: record i is due at started + i / rate, one send() each, none waited for; the event loop
        // gets a turn in between (the Java producer's sender thread runs alongside its application thread).
        const due = Math.min(run.records, Math.floor(((performance.now() - started) * RECORDS_PER_SECOND) / 1000) + 1)
        for (; sent < due; sent++) {
          const index = sent
          sends.push(
            producer.send({ topic, messages: [{ value }] }).then(([metadata]) => {
              partitions[index] = metadata!.partition
            }),
          )
        }
        if (sent < run.records) await sleep(1)
      }
      await producer.flush()
      await Promise.all(sends)
    } finally {
      await producer.close()
    }
    return outcome(partitions, slowPartitions, Math.round(performance.now() - started))
  }

  async function compare(title: string, run: Run, slowMs: number): Promise<{ java: Outcome; samsa: Outcome; summary: string }> {
    proxy!.delayProduceResponses = { nodeId: slowNode, ms: slowMs }
    try {
      const javaResult = await runJava(run)
      const samsaResult = await runSamsa(run)
      const line = (client: string, r: Outcome) =>
        `${client} ${(r.slowShare * 100).toFixed(1)}% on the slow broker (per partition ${JSON.stringify(r.perPartition)}, ${r.elapsedMs} ms)`
      const summary = `${title}, ${run.records} records, node ${slowNode} answers +${slowMs} ms: ${line('Java', javaResult)}; ${line('samsa', samsaResult)}`
      console.log(summary)
      return { java: javaResult, samsa: samsaResult, summary }
    } finally {
      proxy!.delayProduceResponses = null
    }
  }

  /**
   * One round, and two more when the first two shares are more than `tolerance` apart: a single Java round on a
   * loaded machine has landed 22 % on the slow broker where its usual is 12–15 % (its pacing thread fell behind, then
   * sent in bursts), and a samsa round that a stalled machine stretched from 3.5 s to 10.5 s landed 24.6 % where the
   * rounds around it had 5.8–9.3 %. The median of the three per client is compared, so a samsa that places records
   * differently from Java still fails, while one noisy round of either does not.
   */
  async function compareRounds(title: string, run: Run, slowMs: number, tolerance: number) {
    const rounds = [await compare(title, run, slowMs)]
    if (Math.abs(rounds[0]!.samsa.slowShare - rounds[0]!.java.slowShare) > tolerance) {
      rounds.push(await compare(`${title} (second round)`, run, slowMs))
      rounds.push(await compare(`${title} (third round)`, run, slowMs))
    }
    const median = (pick: (r: (typeof rounds)[number]) => number) => rounds.map(pick).sort((a, b) => a - b)[(rounds.length - 1) >> 1]!
    const java = median((r) => r.java.slowShare)
    const samsa = median((r) => r.samsa.slowShare)
    return { java, samsa, summary: rounds.map((r) => r.summary).join(' | '), close: Math.abs(samsa - java) <= tolerance }
  }

  it('adaptive on: both producers send clearly less to the slow broker, samsa about as much as Java', async () => {
    const { java, samsa, summary, close } = await compareRounds('adaptive on', { adaptive: true, availabilityTimeoutMs: 0, records: 30_000 }, SLOW_MS, 0.06)
    expect({ summary, javaAvoidsSlow: java < 0.25 }).toEqual({ summary, javaAvoidsSlow: true })
    expect({ summary, samsaAvoidsSlow: samsa < 0.25 }).toEqual({ summary, samsaAvoidsSlow: true })
    expect({ summary, closeToJava: close }).toEqual({ summary, closeToJava: true })
  })

  it('adaptive off: both producers stay close to uniform', async () => {
    const { java: j, samsa: s, summary } = await compare('adaptive off', { adaptive: false, availabilityTimeoutMs: 0, records: 20_000 }, SLOW_MS)
    // Sticky stretches of ~15–30 records: ~700–1300 draws, so the share's standard deviation is ~1.5–2 points.
    expect({ summary, javaUniform: Math.abs(j.slowShare - 1 / 3) <= 0.07 }).toEqual({ summary, javaUniform: true })
    expect({ summary, samsaUniform: Math.abs(s.slowShare - 1 / 3) <= 0.07 }).toEqual({ summary, samsaUniform: true })
  })

  it('availability timeout: a broker whose answers are held back longer than it gets next to nothing', async () => {
    const { java, samsa, summary, close } = await compareRounds('adaptive on, availability timeout 100 ms', { adaptive: true, availabilityTimeoutMs: 100, records: 10_000 }, 500, 0.06)
    expect({ summary, javaAvoidsSlow: java < 0.15 }).toEqual({ summary, javaAvoidsSlow: true })
    expect({ summary, samsaAvoidsSlow: samsa < 0.15 }).toEqual({ summary, samsaAvoidsSlow: true })
    expect({ summary, closeToJava: close }).toEqual({ summary, closeToJava: true })
  })
})
