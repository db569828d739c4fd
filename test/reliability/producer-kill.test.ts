/**
 * The idempotent producer (acks 'all', the defaults) while partition leaders are SIGKILLed and restarted, on a private
 * three-node cluster, topic replication factor 3 and min.insync.replicas 2. Afterwards the Java consumer reads the
 * topic back, and:
 * - every record acknowledged to the application is there exactly once, at the partition and offset it was
 *   acknowledged with;
 * - per partition, records are in the order they were sent (the sequence number each value carries increases);
 * - nothing is there that was not sent;
 * - no send failed (deliveryTimeoutMs is generous, so a failure would be a producer bug, not a policy), and none hung.
 *
 * Record count: RECORDS below (200 000). Production is paced against the kills so that every kill lands while
 * records are being produced, whatever the machine's speed.
 */
import { Kafka } from '../../src/kafka.js'
import type { Logger } from '../../src/network/instrumentation.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { decodeRecordBatches } from '../../src/records/index.js'
import type { Admin } from '../../src/admin/admin.js'
import type { Producer, RecordMetadata } from '../../src/producer/producer.js'
import { javaClientsClasspath, readTopicWithJava } from '../helpers/java-clients.js'
import { type HarnessInstance, killKafkaNode, restartKafkaNode, startKafka, stopKafka } from '../helpers/kafka.js'

const RECORDS = 200_000
const WINDOW = 1000 // records per send() call
const MAX_OUTSTANDING = 16 // send() calls awaiting acknowledgement: bounds memory to ~16 000 records
const PARTITIONS = 6
const KEYS = 5000
const KILLS = 4
const DOWN_MS = 2000 // how long a killed node stays down before its restart begins
const PRODUCE_TIMEOUT_MS = 240_000

jest.setTimeout(8 * 60_000)

interface KillEvent {
  node: number
  ledPartitions: number[]
  atSent: number
  atAcked: number
  killedAtMs: number
  restartedAtMs: number | null
}

/** Keeps the client's warnings and the producer's retry notes, to explain a failure. */
function recordingLogger(lines: string[], t0: () => number): Logger {
  const keep = (level: string) => (fields: object, message: string) => {
    if (lines.length < 3000) lines.push(`${t0()}ms ${level} ${message} ${JSON.stringify(fields, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`)
  }
  return {
    debug: (fields, message) => {
      if (message.includes('produce batch')) keep('debug')(fields, message)
    },
    info: () => {},
    warn: keep('warn'),
    error: keep('error'),
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function keyOf(seq: number): string {
  return `key-${seq % KEYS}`
}

/** The value carries the sequence number first, then padding, so it looks like a real payload. */
function valueOf(seq: number): string {
  return `${seq}|${keyOf(seq)}|${'p'.repeat(40 + (seq % 23))}`
}

function seqOf(value: Buffer | null): number {
  if (value === null) return NaN
  const text = value.toString('utf8')
  const bar = text.indexOf('|')
  return bar > 0 ? Number(text.slice(0, bar)) : NaN
}

describe('idempotent producer under leader kills (three nodes, RF 3, min ISR 2)', () => {
  let instance: HarnessInstance | undefined
  let kafka: Kafka | undefined
  let admin: Admin | undefined
  let producer: Producer | undefined
  const logLines: string[] = []
  let started = Date.now()

  beforeAll(async () => {
    javaClientsClasspath()
    instance = await startKafka({ cluster: 'three' })
    kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'samsa-producer-kill', logger: recordingLogger(logLines, () => Date.now() - started) })
    admin = kafka.admin()
  }, 5 * 60_000)

  afterAll(async () => {
    await producer?.close({ timeoutMs: 5000 }).catch(() => undefined)
    await admin?.close().catch(() => undefined)
    await kafka?.close()
    if (instance) await stopKafka(instance.name)
  }, 2 * 60_000)

  it(`acknowledged records survive ${KILLS} leader kills exactly once and in order (${RECORDS} records)`, async () => {
    const cluster = instance!
    const topic = `producer-kill-${process.pid}-${Date.now()}`
    const [created] = await admin!.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }])
    if (created!.error) throw created!.error
    await kafka!.cluster.topics([topic])

    producer = kafka!.producer({ lingerMs: 5, deliveryTimeoutMs: 600_000, requestTimeoutMs: 15_000 })
    const acked = new Array<RecordMetadata | undefined>(RECORDS)
    const failures: Array<{ from: number; to: number; error: Error }> = []
    let ackedCount = 0
    let sent = 0
    const outstanding = new Set<Promise<void>>()
    const kills: KillEvent[] = []
    const t0 = Date.now()
    started = t0

    // ---- the kill schedule: kill k starts once (k+1)/(KILLS+2) of the records have been handed to send() ----
    const segment = Math.floor(RECORDS / (KILLS + 2))
    const killDone: Array<Promise<void>> = []
    let previousVictim = -1
    const killCycle = async (): Promise<void> => {
      await kafka!.cluster.refreshMetadata([topic])
      const partitions = kafka!.cluster.topic(topic)!.partitions
      const led = new Map<number, number[]>()
      for (const p of partitions) if (p.leader >= 0) led.set(p.leader, [...(led.get(p.leader) ?? []), p.partition])
      // The node leading most partitions, preferring a different one from last time, so leadership keeps moving.
      const candidates = [...led.entries()].sort((a, b) => b[1].length - a[1].length)
      const [node, ledPartitions] = candidates.find(([id]) => id !== previousVictim) ?? candidates[0]!
      previousVictim = node
      const event: KillEvent = { node, ledPartitions, atSent: sent, atAcked: ackedCount, killedAtMs: Date.now() - t0, restartedAtMs: null }
      kills.push(event)
      await killKafkaNode(cluster.name, node)
      await sleep(DOWN_MS)
      await restartKafkaNode(cluster.name, node)
      event.restartedAtMs = Date.now() - t0
    }

    const gate = async (nextSeq: number): Promise<void> => {
      for (let k = 0; k < KILLS; k++) {
        const killAt = segment * (k + 1)
        if (nextSeq >= killAt && killDone.length === k) killDone.push(killCycle())
        // Keep producing while the node is down and restarting, but do not run past the next segment's midpoint
        // before it is back: otherwise a fast machine would finish producing before the later kills.
        if (nextSeq >= killAt + segment / 2 && k < killDone.length) await killDone[k]
      }
    }

    const produceAll = async (): Promise<void> => {
      for (let start = 0; start < RECORDS; start += WINDOW) {
        await gate(start)
        while (outstanding.size >= MAX_OUTSTANDING) await Promise.race(outstanding)
        const end = Math.min(RECORDS, start + WINDOW)
        const messages = []
        for (let seq = start; seq < end; seq++) messages.push({ key: keyOf(seq), value: valueOf(seq) })
        const from = start
        const promise: Promise<void> = producer!.send({ topic, messages }).then(
          (results) => {
            results.forEach((result, i) => (acked[from + i] = result))
            ackedCount += results.length
          },
          (error: Error) => {
            failures.push({ from, to: end - 1, error })
          },
        )
        const tracked = promise.finally(() => outstanding.delete(tracked))
        outstanding.add(tracked)
        sent = end
      }
      await Promise.all(outstanding)
      await Promise.all(killDone)
    }

    let timer: NodeJS.Timeout | undefined
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), PRODUCE_TIMEOUT_MS)))
    const outcome = await Promise.race([produceAll().then(() => 'done' as const), hang])
    clearTimeout(timer)
    if (outcome === 'hang') {
      throw new Error(
        `production did not finish within ${PRODUCE_TIMEOUT_MS} ms: sent ${sent}, acknowledged ${ackedCount}, failed sends ${failures.length}, ` +
          `outstanding send() calls ${outstanding.size}, producer buffered bytes ${producer.bufferedBytes}, kills ${JSON.stringify(kills)}`,
      )
    }
    const produceMs = Date.now() - t0
    await producer.close()
    producer = undefined

    expect(kills.length).toBe(KILLS)
    expect(kills.every((k) => k.restartedAtMs !== null)).toBe(true)
    // Every kill hit production in progress: records were still being sent after it.
    for (const kill of kills) expect(kill.atSent).toBeLessThan(RECORDS)
    expect(failures.map((f) => `records ${f.from}..${f.to}: ${f.error.name}: ${f.error.message}`).slice(0, 5)).toEqual([])
    expect(ackedCount).toBe(RECORDS)

    const readStart = Date.now()
    const { records } = await readTopicWithJava({ bootstrap: cluster.bootstrap, topic, isolationLevel: 'read_uncommitted', timeoutMs: 180_000 })
    const readMs = Date.now() - readStart

    // ---- verification ----
    const problems: string[] = []
    const note = (problem: string) => {
      if (problems.length < 20) problems.push(problem)
    }
    const seen = new Map<number, { partition: number; offset: bigint }>()
    const lastSeqInPartition = new Map<number, { seq: number; offset: bigint }>()
    for (const record of records) {
      const seq = seqOf(record.value)
      if (!Number.isInteger(seq) || seq < 0 || seq >= RECORDS || record.value!.toString() !== valueOf(seq)) {
        note(`unexpected record at ${record.partition}@${record.offset}: value ${record.value?.toString().slice(0, 60)}`)
        continue
      }
      if (record.key?.toString() !== keyOf(seq)) note(`record ${seq} at ${record.partition}@${record.offset} has key ${record.key?.toString()}, sent ${keyOf(seq)}`)
      const earlier = seen.get(seq)
      if (earlier) note(`duplicate: record ${seq} at ${earlier.partition}@${earlier.offset} and again at ${record.partition}@${record.offset}`)
      else seen.set(seq, { partition: record.partition, offset: record.offset })
      const last = lastSeqInPartition.get(record.partition)
      if (last && seq <= last.seq) {
        note(`out of order in partition ${record.partition}: record ${seq} at offset ${record.offset} after record ${last.seq} at offset ${last.offset}`)
      }
      lastSeqInPartition.set(record.partition, { seq, offset: record.offset })
    }
    let missing = 0
    for (let seq = 0; seq < RECORDS; seq++) {
      const ack = acked[seq]
      if (!ack) continue
      const found = seen.get(seq)
      if (!found) {
        missing++
        note(`missing: record ${seq} was acknowledged at ${ack.partition}@${ack.offset} but is not in the topic`)
      } else if (found.partition !== ack.partition || found.offset !== ack.offset) {
        note(`record ${seq} was acknowledged at ${ack.partition}@${ack.offset} but is stored at ${found.partition}@${found.offset}`)
      }
    }

    console.info(
      `producer-kill: ${RECORDS} records in ${produceMs} ms with ${KILLS} leader kills ` +
        `(${kills.map((k) => `node ${k.node} leading [${k.ledPartitions.join(',')}] killed at ${k.killedAtMs} ms after ${k.atAcked} acks, back at ${k.restartedAtMs} ms`).join('; ')}); ` +
        `Java read ${records.length} records in ${readMs} ms; missing ${missing}, problems ${problems.length}; ` +
        `client warnings:\n${logLines.filter((line) => !line.includes(' debug ')).slice(0, 20).join('\n')}`,
    )
    if (problems.length > 0) {
      // Batch headers of the first problem records: producer id/epoch/sequence say how a duplicate got in.
      const batches: string[] = []
      for (const problem of problems.slice(0, 3)) {
        for (const [, partition, offset] of problem.matchAll(/(\d+)@(\d+)/g)) batches.push(await describeBatchAt(kafka!, topic, Number(partition), BigInt(offset!)))
      }
      const problemPartitions = new Set([...problems.join(' ').matchAll(/(\d+)@\d+/g)].map((m) => `"partition":${m[1]},`))
      const relevant = logLines.filter((line) => !line.includes(' debug ') || [...problemPartitions].some((p) => line.includes(p)))
      console.info(`producer-kill diagnostics:\n${batches.join('\n')}\n${relevant.slice(0, 150).join('\n')}`)
    }
    expect(problems).toEqual([])
    expect(records).toHaveLength(RECORDS)
  })
})

async function describeBatchAt(kafka: Kafka, topic: string, partition: number, offset: bigint): Promise<string> {
  const [info] = await kafka.cluster.topics([topic])
  const response = await kafka.cluster.send(
    { kind: 'leader', topic, partition },
    apis[ApiKeys.Fetch],
    {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1_000_000,
      isolationLevel: 0,
      topics: [{ topic, topicId: info!.topicId, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1_000_000 }] }],
    },
    { purpose: 'fetch' },
  )
  const records = response.responses?.[0]?.partitions?.[0]?.records ?? Buffer.alloc(0)
  const batch = decodeRecordBatches(records).batches.find((b) => b.baseOffset <= offset && offset <= b.lastOffset)
  if (!batch) return `${partition}@${offset}: batch not found`
  const first = batch.records[0]?.value?.toString().split('|')[0]
  const last = batch.records[batch.records.length - 1]?.value?.toString().split('|')[0]
  return (
    `${partition}@${offset}: batch ${batch.baseOffset}..${batch.lastOffset} producerId ${batch.producerId} epoch ${batch.producerEpoch} ` +
    `baseSequence ${batch.baseSequence} records ${batch.recordCount} (seq ${first}..${last}) leaderEpoch ${batch.partitionLeaderEpoch}`
  )
}
