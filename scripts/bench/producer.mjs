// Producer benchmark: samsa, KafkaJS, @platformatic/kafka and Java's ProducerPerformance, side by side in one run
// on the same broker.
//
//   npm run bench:producer -- [--sizes 100,1024] [--acks 1,all] [--compression none,lz4] [--partitions 6]
//       [--clients samsa,samsa-each,samsa-kafkajs,kafkajs,platformatic,platformatic2,java,ceiling] [--records N] [--rounds 1] [--batch-size 65536]
//       (also on request: platformatic-each)
//       [--linger 5] [--window 8] [--per-send N] [--records-in-flight 5000] [--warmup-records N (default: a quarter)] [--warmup-ms 2000] [--json out.json] [--markdown] [--keep-broker] [--build]
//       [--cpu-prof dir [--profile-clients samsa,samsa-each]]   (CPU-profiles the timed part of those clients' runs
//       and prints their top frames)
//       [--baseline <git rev>]   (also runs samsa and samsa-each built from that revision, as samsa@base and
//       samsa-each@base, and reports current ÷ baseline: before/after figures from one run on one broker)
//
// Uses the cluster in KAFKA_BROKERS, else a harness instance named "bench" (started if needed, stopped afterwards
// unless --keep-broker). samsa is measured from the built package: dist/, built when missing or with --build
// (`npm run build` first to measure the current sources; a dist/ older than src/ is flagged in the output).
//
// Every cell of the matrix (record size × acks × compression) gets a fresh topic per client, with the same
// partition count. Records have null keys and one value (random A–Z bytes, reused for every record, exactly like
// ProducerPerformance's --record-size payload). Each Node client runs in its own process: a warm-up of a quarter
// of the records to the same topic, continued until --warmup-ms (2 s) have passed, then the measured run, from the
// first send until every record is acknowledged. (ProducerPerformance warms up by --warmup-records only.)
//
// How each client is driven (the fair high-throughput use of each, see docs/benchmarks.md):
// - samsa, kafkajs, platformatic, platformatic2: the application hands over records in chunks of --per-send (default: enough
//   records to fill one batch on every partition) with up to --window chunks in flight, never awaiting one send
//   before starting the next.
// - samsa-kafkajs: the kafkajs row's program on samsa/kafkajs (the facade), driven the same way.
// - samsa-each: samsa with one send() per record (the Java client's style; its accumulator does the batching),
//   up to --records-in-flight (5000) unacknowledged sends.
// - platformatic-each (only when asked for): @platformatic/kafka driven like samsa-each, one send() per record, for
//   the like-for-like figure of an application that sends records as they come.
// - java: ProducerPerformance with --warmup-records (a quarter, as above); its steady-state summary is used.
// - ceiling: the broker's ceiling for the cell, not a client: the Produce requests of one send (a batch per
//   partition) encoded once before timing and replayed the same way, so almost no client work is left per record.
//   A client near 1.0× of it is held by the broker (and the kernel under it), not by its own code.
// - platformatic2: @platformatic/kafka 2.x, which needs Node >= 22: from .cache/platformatic2 (installed by
//   `npm run bench`, or `node scripts/bench/lib/runtimes.mjs platformatic2`), in the default clients only under
//   Node >= 22 and skipped with a note on Node 20. Same API and defaults as 1.x for what this script uses.
//
// Besides each Node client's own CPU per record, the broker's CPU per record over the same timed run is read from
// /proc for a harness broker (not for KAFKA_BROKERS): the broker shares the machine's cores, so what the two spend
// together per record, not the client alone, is what caps throughput on a small machine.
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { flag, listOption, numberOption, option } from './lib/args.mjs'
import { processCpuMs, useBroker } from './lib/broker.mjs'
import { childPayload, finishChild, runChild, toJson } from './lib/child.mjs'
import { parseProducerPerformance, runKafkaTool } from './lib/java.mjs'
import { summarizeCpuProfile } from './lib/profile.mjs'
import { benchReport, formatNumber, formatTable, machineInfo, median, ratio, reportTable, throughput } from './lib/report.mjs'
import { currentNodeMajor, platformatic2 } from './lib/runtimes.mjs'
import { clientVersions, importSnapshot, repoRoot, snapshotDist, snapshotRevision } from './lib/samsa.mjs'
import { createTopics, uniqueTopicName } from './lib/topics.mjs'

const SCRIPT = fileURLToPath(import.meta.url)
const require = createRequire(join(repoRoot, 'package.json'))
const log = (line) => process.stderr.write(`[bench producer] ${line}\n`)

// ---------------------------------------------------------------------------------------------------------------
// Child: one client, one cell.

/** A value like ProducerPerformance's: random uppercase letters, generated once and reused for every record. */
function payload(size) {
  const value = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) value[i] = 65 + Math.floor(Math.random() * 26)
  return value
}

/**
 * Calls `send(count)` for successive chunks of `total` records, at most `window` unsettled at a time, and resolves
 * when all have settled (rejects with the first failure). With a wide window (one record per send, thousands in
 * flight) the loop resumes once half of the window is free, as an application would: waking it per settled send
 * would bill the client under test for a promise and a microtask of the benchmark's own per record.
 */
async function pump(total, perSend, window, send) {
  const resumeAt = window > 16 ? window >> 1 : window - 1
  let started = 0
  let active = 0
  let failure = null
  let wake = null
  const settled = () => {
    active--
    if (wake && (active <= resumeAt || failure)) {
      const resume = wake
      wake = null
      resume()
    }
  }
  const failed = (error) => {
    failure ??= error
    settled()
  }
  while (started < total && !failure) {
    if (active >= window) {
      await new Promise((resolve) => (wake = resolve))
      continue
    }
    const count = Math.min(perSend, total - started)
    started += count
    active++
    send(count).then(settled, failed)
  }
  while (active > 0) await new Promise((resolve) => (wake = resolve))
  if (failure) throw failure
}

/**
 * The records of one send, made when it is sent, like an application would (and as ProducerPerformance makes a
 * ProducerRecord per send). Building all of them before timing would keep hundreds of thousands of objects alive
 * through the run and bill every client for marking them in each full GC.
 */
function messages(count, makeMessage) {
  const chunk = new Array(count)
  for (let i = 0; i < count; i++) chunk[i] = makeMessage()
  return chunk
}

/** Set per child from --warmup-ms. */
let minWarmupMs = 0

/**
 * Warm-up, then the timed run; with `profilePath`, only the timed run is CPU-profiled (V8 sampling profiler). The
 * warm-up goes on in whole chunks until `minWarmupMs` has passed: a fast client gets through a quarter of the records
 * in a tenth of a second, while its hot path is still being compiled on the JIT's helper threads (process CPU).
 */
async function measure(label, warmupRecords, records, perSend, window, send, profilePath, brokerPids) {
  const warmupStarted = performance.now()
  await pump(warmupRecords, perSend, window, send)
  const moreWarmup = perSend * Math.max(1, Math.round(warmupRecords / 4 / perSend))
  while (performance.now() - warmupStarted < minWarmupMs) await pump(moreWarmup, perSend, window, send)
  let session = null
  if (profilePath) {
    const { Session } = await import('node:inspector/promises')
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
  }
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const brokerCpuBefore = processCpuMs(brokerPids)
  await pump(records, perSend, window, send)
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const brokerCpuAfter = processCpuMs(brokerPids)
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(profilePath, JSON.stringify(profile))
    session.disconnect()
  }
  const brokerCpuMs = brokerCpuBefore === null || brokerCpuAfter === null ? undefined : brokerCpuAfter - brokerCpuBefore
  return { client: label, ms, cpuMs: (cpu.user + cpu.system) / 1000, brokerCpuMs }
}

async function runClientChild({ client: label, brokers, topic, size, acks, compression, records, warmupRecords, warmupMs, batchSize, lingerMs, perSend, window, recordsInFlight, samsaDir, baselineDir, platformatic2Entry, profilePath, brokerPids }) {
  minWarmupMs = warmupMs ?? 0
  const value = payload(size)
  const brokerList = brokers.split(',')
  // samsa@base / samsa-each@base: the same client built from the --baseline revision.
  const [client, build] = label.split('@')
  if (client === 'samsa' || client === 'samsa-each') {
    const { Kafka } = await importSnapshot(build === 'base' ? baselineDir : samsaDir)
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench', logger: false })
    const producer = kafka.producer({ acks: acks === 'all' ? 'all' : 1, lingerMs, batchSize, compression })
    const settings = { idempotent: producer.options.idempotent, lingerMs, batchSize, maxInFlightRequestsPerConnection: producer.options.maxInFlightRequestsPerConnection }
    let result
    const makeMessage = () => ({ value })
    if (client === 'samsa') {
      result = await measure(label, warmupRecords, records, perSend, window, (n) => producer.send({ topic, messages: messages(n, makeMessage) }), profilePath, brokerPids)
    } else {
      result = await measure(label, warmupRecords, records, 1, recordsInFlight, () => producer.send({ topic, messages: [makeMessage()] }), profilePath, brokerPids)
      settings.recordsInFlight = recordsInFlight
    }
    await producer.close()
    return { ...result, settings }
  }
  if (client === 'samsa-kafkajs') {
    // The same program as the kafkajs row, its import switched to samsa/kafkajs: KafkaJS's API and defaults
    // (round-robin placement of null keys, per-send acks), samsa underneath (idempotent with acks all, by default).
    const { Kafka, logLevel, CompressionTypes, Partitioners } = await importSnapshot(samsaDir, 'kafkajs.js')
    const codec = compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench', logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    const makeMessage = () => ({ value })
    const result = await measure(client, warmupRecords, records, perSend, window, (n) =>
      producer.send({ topic, messages: messages(n, makeMessage), acks: acks === 'all' ? -1 : 1, compression: codec }), profilePath, brokerPids,
    )
    await producer.disconnect()
    return { ...result, settings: { idempotent: acks === 'all' ? 'true (samsa default with acks all)' : false, lingerMs: 0, batchSize: 65_536 } }
  }
  if (client === 'kafkajs') {
    const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = require('kafkajs')
    if (compression === 'lz4') {
      // KafkaJS ships no LZ4 codec (its docs point to the kafkajs-lz4 plugin); this registers one on the same
      // native library samsa uses (lz4-napi), Kafka's frame format, so the codec itself is not what differs.
      const lz4 = require('lz4-napi')
      CompressionCodecs[CompressionTypes.LZ4] = () => ({
        compress: async (encoder) => lz4.compressFrame(encoder.buffer, { contentChecksum: false, blockChecksums: false }),
        decompress: async (buffer) => lz4.decompressFrame(buffer),
      })
    }
    const codec = compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench', logLevel: logLevel.NOTHING })
    // Defaults otherwise: idempotent false, maxInFlightRequests unlimited, round-robin placement of null keys.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    const makeMessage = () => ({ value })
    const result = await measure(client, warmupRecords, records, perSend, window, (n) =>
      producer.send({ topic, messages: messages(n, makeMessage), acks: acks === 'all' ? -1 : 1, compression: codec }), profilePath, brokerPids,
    )
    await producer.disconnect()
    return { ...result, settings: { idempotent: false, maxInFlightRequests: 'unlimited (default)', lz4: compression === 'lz4' ? 'lz4-napi frame codec registered by the benchmark' : undefined } }
  }
  if (client === 'ceiling') {
    // The broker's ceiling for the cell: the requests a batching client makes for one send (a batch of perSend /
    // partitions records per partition, one Produce request per leader), encoded and compressed once before timing
    // and sent again and again over samsa's connection layer, so the client does next to no work per record. Not
    // idempotent (the same bytes are resent). What any client reaches beside it is what the broker left it.
    const { Kafka } = await importSnapshot(samsaDir)
    const { apis, ApiKeys } = await importSnapshot(samsaDir, 'protocol.js')
    const { encodeRecordBatchAsync } = await importSnapshot(samsaDir, 'records.js')
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench', logger: false })
    const cluster = kafka.cluster
    const info = await cluster.topics([topic]).then(() => cluster.topic(topic))
    const byLeader = new Map()
    for (const [index, partition] of info.partitions.entries()) byLeader.set(partition.leader, [...(byLeader.get(partition.leader) ?? []), index])
    const requestsBySendSize = new Map()
    const requestsFor = async (n) => {
      let requests = requestsBySendSize.get(n)
      if (requests) return requests
      const partitionCount = info.partitions.length
      const batches = []
      for (let p = 0; p < partitionCount; p++) {
        const count = Math.floor(n / partitionCount) + (p < n % partitionCount ? 1 : 0)
        batches.push(count === 0 ? null : await encodeRecordBatchAsync({ records: messages(count, () => ({ value })), compression }))
      }
      requests = [...byLeader].map(([leader, indexes]) => {
        const partitionData = indexes.filter((i) => batches[i] !== null).map((index) => ({ index, records: batches[index] }))
        const body = (version) => ({ transactionalId: null, acks: acks === 'all' ? -1 : 1, timeoutMs: 30_000, topicData: [{ ...(version >= 13 ? { topicId: info.topicId } : { name: topic }), partitionData }] })
        return { target: { kind: 'node', nodeId: leader }, body }
      })
      requestsBySendSize.set(n, requests)
      return requests
    }
    for (const n of new Set([perSend, warmupRecords % perSend, records % perSend])) if (n > 0) await requestsFor(n)
    const check = (response) => {
      for (const topicResponse of response.responses) for (const p of topicResponse.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce failed with error code ${p.errorCode}`)
    }
    const sendOne = ({ target, body }) => cluster.send(target, apis[ApiKeys.Produce], body).then(check)
    // A topic just created may not have its leaders in place yet (NOT_LEADER_OR_FOLLOWER): the clients retry that,
    // the replay has no retries, so it waits until every leader takes a request.
    for (let attempt = 1; ; attempt++) {
      try {
        await Promise.all(requestsBySendSize.get(perSend).map(sendOne))
        break
      } catch (error) {
        if (attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 200))
        await cluster.refreshMetadata([topic])
      }
    }
    const result = await measure(client, warmupRecords, records, perSend, window, (n) => {
      const requests = requestsBySendSize.get(n)
      return requests.length === 1 ? sendOne(requests[0]) : Promise.all(requests.map(sendOne))
    }, profilePath, brokerPids)
    await kafka.close()
    return { ...result, settings: { idempotent: false, encodedBeforeTiming: true } }
  }
  if (client === 'platformatic' || client === 'platformatic2') {
    const { Producer, ProduceAcks } = client === 'platformatic' ? require('@platformatic/kafka') : await import(pathToFileURL(platformatic2Entry).href)
    // Defaults otherwise: idempotent false, 5 requests in flight per connection, handleBackPressure off,
    // round-robin placement of null keys.
    const producer = new Producer({
      clientId: 'bench',
      bootstrapBrokers: brokerList,
      acks: acks === 'all' ? ProduceAcks.ALL : ProduceAcks.LEADER,
      ...(compression === 'none' ? {} : { compression }),
      autocreateTopics: false,
    })
    const makeMessage = () => ({ topic, value })
    const result = await measure(client, warmupRecords, records, perSend, window, (n) => producer.send({ messages: messages(n, makeMessage) }), profilePath, brokerPids)
    await producer.close()
    return { ...result, settings: { idempotent: false, maxInflights: 5, version: client === 'platformatic2' ? 2 : 1 } }
  }
  if (client === 'platformatic-each') {
    const { Producer, ProduceAcks } = require('@platformatic/kafka')
    const producer = new Producer({
      clientId: 'bench',
      bootstrapBrokers: brokerList,
      acks: acks === 'all' ? ProduceAcks.ALL : ProduceAcks.LEADER,
      ...(compression === 'none' ? {} : { compression }),
      autocreateTopics: false,
    })
    const result = await measure(client, warmupRecords, records, 1, recordsInFlight, () => producer.send({ messages: [{ topic, value }] }), profilePath, brokerPids)
    await producer.close()
    return { ...result, settings: { idempotent: false, maxInflights: 5, recordsInFlight } }
  }
  throw new Error(`unknown client ${client}`)
}

const payloadForChild = childPayload()
if (payloadForChild) {
  const result = await runClientChild(payloadForChild)
  finishChild({ ...result, records: payloadForChild.records, bytes: payloadForChild.records * payloadForChild.size })
} else {
  await main()
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: broker, then the matrix.

async function runJava({ brokers, topic, size, acks, compression, records, warmupRecords, batchSize, lingerMs }) {
  const stdout = await runKafkaTool('ProducerPerformance', [
    '--bootstrap-server', brokers,
    '--topic', topic,
    '--num-records', String(records + warmupRecords),
    '--warmup-records', String(warmupRecords),
    '--record-size', String(size),
    '--throughput', '-1',
    // enable.idempotence is left at its default (true; the client turns it off for acks=1).
    '--command-property', `acks=${acks}`, `compression.type=${compression}`, `linger.ms=${lingerMs}`, `batch.size=${batchSize}`,
  ])
  const { steady, whole } = parseProducerPerformance(stdout)
  return {
    client: 'java',
    records: steady.records,
    bytes: steady.records * size,
    ms: (steady.records / steady.recordsPerSec) * 1000,
    latency: { avgMs: steady.avgLatencyMs, p50Ms: steady.p50Ms, p99Ms: steady.p99Ms, maxMs: steady.maxLatencyMs },
    wholeRun: whole,
    settings: { idempotent: acks === 'all' ? 'true (default)' : 'false (default for acks=1)', lingerMs, batchSize, maxInFlightRequestsPerConnection: 5 },
  }
}

async function main() {
  const sizes = listOption('sizes', ['100', '1024']).map(Number)
  const acksList = listOption('acks', ['1', 'all'])
  const compressions = listOption('compression', ['none', 'lz4'])
  const baselineRev = option('baseline', null)
  const baseline = baselineRev ? snapshotRevision(baselineRev, { log }) : null
  const { clients: available, skipped } = platformatic2Filter(listOption('clients', ['samsa', 'samsa-each', 'samsa-kafkajs', 'kafkajs', 'platformatic', 'platformatic2', 'java', 'ceiling']))
  for (const note of skipped) log(note)
  const clients = baseline ? available.flatMap((c) => (c === 'samsa' || c === 'samsa-each' ? [c, `${c}@base`] : [c])) : available
  const partitions = numberOption('partitions', 6)
  const rounds = numberOption('rounds', 1)
  const batchSize = numberOption('batch-size', 65_536)
  const lingerMs = numberOption('linger', 5)
  const window = numberOption('window', 8)
  const recordsInFlight = numberOption('records-in-flight', 5000)
  const recordsOverride = numberOption('records', null)
  const perSendOverride = numberOption('per-send', null)
  // JIT warm-up is per process: a client whose hot path is still being compiled pays for it in the timed part.
  const warmupOverride = numberOption('warmup-records', null)
  const warmupMs = numberOption('warmup-ms', 2000)
  const cpuProfDir = option('cpu-prof', null)
  const profiled = listOption('profile-clients', ['samsa', 'samsa-each'])
  // Long enough that a run lasts seconds even for the fastest client (the JVM's JIT needs that too).
  const recordsFor = (size) => recordsOverride ?? (size <= 100 ? 500_000 : size <= 1024 ? 150_000 : Math.max(10_000, Math.round(150e6 / size)))
  // One chunk fills one batch on every partition: a round-robin client (KafkaJS, platformatic) then builds
  // batch-sized batches from one send, like the accumulating clients do from many.
  const perSendFor = (size) => perSendOverride ?? Math.max(1, Math.floor((partitions * batchSize) / size))

  const { dir: snapshot, stale: distStale } = snapshotDist({ label: 'producer', build: flag('build') ? 'always' : 'missing', log })
  const broker = await useBroker({ name: 'bench', keep: flag('keep-broker'), log })
  log(`broker ${broker.brokers} (${broker.origin})`)
  const versions = { ...(await clientVersions(broker.kafkaVersion)), ...(clients.includes('platformatic2') ? { platformatic2: platformatic2().version } : {}) }
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true })

  const runs = []
  try {
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        for (const acks of acksList) {
          for (const compression of compressions) {
            const records = recordsFor(size)
            const warmupRecords = warmupOverride ?? Math.round(records / 4)
            const perSend = perSendFor(size)
            const cell = { size, acks, compression }
            // Alternate the order between rounds so no client always runs right after the same neighbour.
            const order = round % 2 === 0 ? clients : [...clients].reverse()
            const topics = Object.fromEntries(order.map((c) => [c, uniqueTopicName('bench-producer', c, size, `acks${acks}`, compression)]))
            await createTopics(snapshot, broker.brokers, order.map((c) => ({ name: topics[c], partitions })))
            for (const client of order) {
              const common = { client, brokers: broker.brokers, topic: topics[client], size, acks, compression, records, warmupRecords, warmupMs, batchSize, lingerMs, perSend, window, recordsInFlight, samsaDir: snapshot, baselineDir: baseline?.dir, platformatic2Entry: platformatic2()?.entry, brokerPids: broker.pids }
              let result
              try {
                if (client === 'java') result = await runJava(common)
                else {
                  const profilePath = cpuProfDir && profiled.includes(client) ? join(cpuProfDir, `${client}-${size}-acks${acks}-${compression}-r${round}.cpuprofile`) : null
                  result = await runChild(SCRIPT, { ...common, profilePath })
                }
              } catch (error) {
                log(`${client} ${size} B acks=${acks} ${compression}: FAILED ${error.message}`)
                runs.push({ ...cell, client, round, error: error.message })
                continue
              }
              const rate = throughput(result.records, result.bytes, result.ms)
              // CPU per record tells client efficiency apart from broker speed (a starved broker caps every client).
              if (result.cpuMs !== undefined) rate.cpuUsPerRecord = Number(((result.cpuMs * 1000) / result.records).toFixed(2))
              if (result.brokerCpuMs !== undefined) rate.brokerCpuUsPerRecord = Number(((result.brokerCpuMs * 1000) / result.records).toFixed(2))
              const run = { ...cell, round, perSend: client === 'java' ? null : perSend, window: client === 'java' ? null : window, ...result, ...rate }
              runs.push(run)
              log(`${client.padEnd(12)} ${String(size).padStart(5)} B acks=${acks.padEnd(3)} ${compression.padEnd(4)}: ${formatNumber(rate.recordsPerSec).padStart(9)} rec/s ${rate.mbPerSec.toFixed(1).padStart(6)} MB/s${result.cpuMs ? ` (cpu ${Math.round((result.cpuMs / result.ms) * 100)}%)` : ''}`)
            }
          }
        }
      }
    }
  } finally {
    await broker.release()
  }

  // Median over rounds per client and cell.
  const cells = []
  for (const size of sizes) for (const acks of acksList) for (const compression of compressions) cells.push({ size, acks, compression })
  const summary = cells.map((cell) => {
    const byClient = {}
    for (const client of clients) {
      const ok = runs.filter((r) => r.client === client && r.size === cell.size && r.acks === cell.acks && r.compression === cell.compression && !r.error)
      byClient[client] = ok.length
        ? { recordsPerSec: median(ok.map((r) => r.recordsPerSec)), mbPerSec: median(ok.map((r) => r.mbPerSec)), cpuUsPerRecord: median(ok.map((r) => r.cpuUsPerRecord ?? NaN)), brokerCpuUsPerRecord: median(ok.map((r) => r.brokerCpuUsPerRecord ?? NaN)), runs: ok.length }
        : null
    }
    const samsa = byClient.samsa?.recordsPerSec
    return {
      ...cell,
      clients: byClient,
      ratios: {
        samsaOverKafkajs: ratio(samsa, byClient.kafkajs?.recordsPerSec),
        facadeOverSamsa: ratio(byClient['samsa-kafkajs']?.recordsPerSec, samsa),
        facadeOverKafkajs: ratio(byClient['samsa-kafkajs']?.recordsPerSec, byClient.kafkajs?.recordsPerSec),
        samsaOverPlatformatic: ratio(samsa, byClient.platformatic?.recordsPerSec),
        samsaOverPlatformatic2: ratio(samsa, byClient.platformatic2?.recordsPerSec),
        samsaOverJava: ratio(samsa, byClient.java?.recordsPerSec),
        samsaEachOverJava: ratio(byClient['samsa-each']?.recordsPerSec, byClient.java?.recordsPerSec),
        // The issue's literal bar (one send per record against the peer's chunked sends) and the like-for-like one.
        samsaEachOverPlatformatic: ratio(byClient['samsa-each']?.recordsPerSec, byClient.platformatic?.recordsPerSec),
        samsaEachOverPlatformaticEach: ratio(byClient['samsa-each']?.recordsPerSec, byClient['platformatic-each']?.recordsPerSec),
        samsaOverBaseline: ratio(samsa, byClient['samsa@base']?.recordsPerSec),
        samsaEachOverBaseline: ratio(byClient['samsa-each']?.recordsPerSec, byClient['samsa-each@base']?.recordsPerSec),
        // Shares of the broker's ceiling (near 1: the broker, not the client, sets the pace of the cell).
        samsaOfCeiling: ratio(samsa, byClient.ceiling?.recordsPerSec),
        platformaticOfCeiling: ratio(byClient.platformatic?.recordsPerSec, byClient.ceiling?.recordsPerSec),
      },
      // How many times less CPU per record samsa needs than the peer (same process-level measure for Node clients).
      cpuRatios: {
        kafkajsOverSamsa: ratio(byClient.kafkajs?.cpuUsPerRecord, byClient.samsa?.cpuUsPerRecord),
        platformaticOverSamsa: ratio(byClient.platformatic?.cpuUsPerRecord, byClient.samsa?.cpuUsPerRecord),
        platformatic2OverSamsa: ratio(byClient.platformatic2?.cpuUsPerRecord, byClient.samsa?.cpuUsPerRecord),
        platformaticOverSamsaEach: ratio(byClient.platformatic?.cpuUsPerRecord, byClient['samsa-each']?.cpuUsPerRecord),
        platformaticEachOverSamsaEach: ratio(byClient['platformatic-each']?.cpuUsPerRecord, byClient['samsa-each']?.cpuUsPerRecord),
      },
    }
  })

  const markdown = flag('markdown')
  const cellName = (c) => `${c.size} B, acks=${c.acks}, ${c.compression}`
  const times = (v) => (v === null ? '–' : `${v.toFixed(2)}×`)
  const withP2 = clients.includes('platformatic2')
  const throughputColumns = ['cell', ...clients.map((c) => `${c} rec/s (MB/s)`)]
  const throughputRows = summary.map((s) => [cellName(s), ...clients.map((c) => (s.clients[c] ? `${formatNumber(s.clients[c].recordsPerSec)} (${s.clients[c].mbPerSec.toFixed(1)})` : '–'))])
  const throughputTable = formatTable(throughputColumns, throughputRows, { markdown })
  const withCeiling = clients.includes('ceiling')
  const withEach = clients.includes('samsa-each') && clients.includes('platformatic')
  const withPlatformaticEach = clients.includes('samsa-each') && clients.includes('platformatic-each')
  const ratioKeys = ['samsaOverKafkajs', 'samsaOverPlatformatic', ...(withP2 ? ['samsaOverPlatformatic2'] : []), 'samsaOverJava', 'samsaEachOverJava', ...(withEach ? ['samsaEachOverPlatformatic'] : []), ...(withPlatformaticEach ? ['samsaEachOverPlatformaticEach'] : []), ...(withCeiling ? ['samsaOfCeiling', 'platformaticOfCeiling'] : [])]
  const ratioColumns = ['cell', 'samsa ÷ KafkaJS', 'samsa ÷ platformatic', ...(withP2 ? ['samsa ÷ platformatic2'] : []), 'samsa ÷ Java', 'samsa-each ÷ Java', ...(withEach ? ['samsa-each ÷ platformatic'] : []), ...(withPlatformaticEach ? ['samsa-each ÷ platformatic-each'] : []), ...(withCeiling ? ['samsa ÷ ceiling', 'platformatic ÷ ceiling'] : [])]
  const ratioRows = summary.map((s) => [cellName(s), ...ratioKeys.map((k) => times(s.ratios[k]))])
  const ratioTable = formatTable(ratioColumns, ratioRows, { markdown })
  const baselineColumns = ['cell', `samsa ÷ samsa@${baselineRev}`, `samsa-each ÷ samsa-each@${baselineRev}`]
  const baselineRows = summary.map((s) => [cellName(s), ...['samsaOverBaseline', 'samsaEachOverBaseline'].map((k) => times(s.ratios[k]))])
  const baselineTable = baseline ? formatTable(baselineColumns, baselineRows, { markdown }) : null
  const nodeClients = clients.filter((c) => c !== 'java')
  const cpuKeys = ['kafkajsOverSamsa', 'platformaticOverSamsa', ...(withP2 ? ['platformatic2OverSamsa'] : []), ...(withEach ? ['platformaticOverSamsaEach'] : []), ...(withPlatformaticEach ? ['platformaticEachOverSamsaEach'] : [])]
  const cpuColumns = ['cell', ...nodeClients.map((c) => `${c} CPU µs/record`), 'KafkaJS ÷ samsa', 'platformatic ÷ samsa', ...(withP2 ? ['platformatic2 ÷ samsa'] : []), ...(withEach ? ['platformatic ÷ samsa-each'] : []), ...(withPlatformaticEach ? ['platformatic-each ÷ samsa-each'] : [])]
  const cpuRows = summary.map((s) => [cellName(s), ...nodeClients.map((c) => formatNumber(s.clients[c]?.cpuUsPerRecord, 2)), ...cpuKeys.map((k) => times(s.cpuRatios[k]))])
  const cpuTable = formatTable(cpuColumns, cpuRows, { markdown })
  // The broker's CPU per record while each Node client ran (its JVMs' /proc ticks over the timed run; 10 ms ticks):
  // with the broker on the same cores, client + broker per record is what bounds throughput.
  const brokerClients = nodeClients.filter((c) => summary.some((s) => Number.isFinite(s.clients[c]?.brokerCpuUsPerRecord)))
  const brokerColumns = ['cell', ...brokerClients.map((c) => `${c} broker µs/rec (client + broker)`)]
  const brokerRows = summary.map((s) => [
    cellName(s),
    ...brokerClients.map((c) => {
      const r = s.clients[c]
      return r && Number.isFinite(r.brokerCpuUsPerRecord) ? `${formatNumber(r.brokerCpuUsPerRecord, 2)} (${formatNumber(r.brokerCpuUsPerRecord + r.cpuUsPerRecord, 2)})` : '–'
    }),
  ])
  const brokerTable = brokerClients.length ? formatTable(brokerColumns, brokerRows, { markdown }) : null
  const geo = (key, group = 'ratios') => {
    const values = summary.map((s) => s[group][key]).filter((v) => v !== null)
    return values.length ? Number(Math.exp(values.reduce((a, v) => a + Math.log(v), 0) / values.length).toFixed(2)) : null
  }
  const geomeans = { ...(baseline ? { samsaOverBaseline: geo('samsaOverBaseline'), samsaEachOverBaseline: geo('samsaEachOverBaseline') } : {}), samsaOverKafkajs: geo('samsaOverKafkajs'), samsaOverPlatformatic: geo('samsaOverPlatformatic'), ...(withP2 ? { samsaOverPlatformatic2: geo('samsaOverPlatformatic2') } : {}), samsaOverJava: geo('samsaOverJava'), samsaEachOverJava: geo('samsaEachOverJava'), ...(withEach ? { samsaEachOverPlatformatic: geo('samsaEachOverPlatformatic') } : {}), ...(withPlatformaticEach ? { samsaEachOverPlatformaticEach: geo('samsaEachOverPlatformaticEach'), cpuPlatformaticEachOverSamsaEach: geo('platformaticEachOverSamsaEach', 'cpuRatios') } : {}), cpuKafkajsOverSamsa: geo('kafkajsOverSamsa', 'cpuRatios'), cpuPlatformaticOverSamsa: geo('platformaticOverSamsa', 'cpuRatios'), ...(withP2 ? { cpuPlatformatic2OverSamsa: geo('platformatic2OverSamsa', 'cpuRatios') } : {}) }
  process.stdout.write(`\n${throughputTable}\n\n${ratioTable}\n\n${baselineTable ? `${baselineTable}\n\n` : ''}${cpuTable}\n\n${brokerTable ? `${brokerTable}\n\n` : ''}geometric mean of ratios: ${Object.entries(geomeans).map(([k, v]) => `${k} ${v ?? '–'}`).join(', ')}\n\n`)

  let profiles
  if (cpuProfDir) {
    profiles = readdirSync(cpuProfDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ file: f, ...summarizeCpuProfile(join(cpuProfDir, f), { top: 20 }) }))
    for (const p of profiles) {
      process.stdout.write(`${p.file}: busy ${p.totalMs - p.idleMs} ms of ${p.totalMs} ms (GC ${p.gcMs} ms)\n`)
      process.stdout.write(`${formatTable(['self %', 'ms', 'function', 'where'], p.functions.map((f) => [f.percent.toFixed(1), f.selfMs, f.name, f.where]), { align: ['r', 'r', 'l', 'l'] })}\n`)
      process.stdout.write(`${formatTable(['self %', 'ms', 'file'], p.files.map((f) => [f.percent.toFixed(1), f.selfMs, f.file]), { align: ['r', 'r', 'l'] })}\n\n`)
    }
  }

  const geomeanNote = `Geometric mean of ratios: ${Object.entries(geomeans).map(([k, v]) => `${k} ${v ?? '–'}`).join(', ')}.`
  const settingsNote = `${partitions} partitions, batchSize ${batchSize}, lingerMs ${lingerMs}, ${window} sends in flight (samsa-each${clients.includes('platformatic-each') ? ', platformatic-each' : ''}: ${recordsInFlight} records), ${sizes.map((s) => `${formatNumber(recordsFor(s))} × ${s} B`).join(' and ')} records per run after ${warmupOverride === null ? 'a quarter' : formatNumber(warmupOverride)} as warm-up (Node clients: at least ${warmupMs} ms); ${rounds} round(s), median per cell.`
  const clientNote = `Versions: KafkaJS ${versions.kafkajs}, @platformatic/kafka ${versions.platformatic}${versions.platformatic2 ? ` (platformatic2: ${versions.platformatic2})` : ''}, Java ProducerPerformance ${versions.kafka}.`
  const contract = benchReport({
    bench: 'producer',
    versions,
    settings: { partitions, batchSize, lingerMs, window, recordsInFlight, rounds, sizes, acks: acksList, compressions, clients, skipped },
    results: runs,
    tables: [
      reportTable('producer-throughput', 'Producer throughput per cell, records/s (MB/s of values)', throughputColumns, throughputRows, [settingsNote, clientNote, ...skipped]),
      reportTable('producer-ratios', 'Producer throughput ratios (above 1: samsa faster)', ratioColumns, ratioRows, [geomeanNote]),
      reportTable('producer-cpu', 'Producer CPU per record (process CPU time ÷ records; lower is better)', cpuColumns, cpuRows, ['Node clients only; all threads of the client process.']),
      ...(brokerTable ? [reportTable('producer-broker-cpu', "Broker CPU per record while each client produced (the harness broker's /proc ticks over the timed run)", brokerColumns, brokerRows, ['The broker shares the two cores: client + broker CPU per record is what bounds throughput here.'])] : []),
      ...(baseline ? [reportTable('producer-baseline', `Producer: current ÷ ${baselineRev}`, baselineColumns, baselineRows)] : []),
    ],
  })
  const report = {
    ...contract,
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions: contract.versions,
    distOlderThanSrc: distStale,
    ...(baseline ? { baseline: { rev: baselineRev, sha: baseline.sha } } : {}),
    broker: { bootstrap: broker.brokers, origin: broker.origin },
    settings: { ...contract.settings, partitions, batchSize, lingerMs, window, recordsInFlightForSamsaEach: recordsInFlight, rounds, perSend: Object.fromEntries(sizes.map((s) => [s, perSendFor(s)])), records: Object.fromEntries(sizes.map((s) => [s, recordsFor(s)])), warmup: `${warmupOverride === null ? 'a quarter of the records' : `${warmupOverride} records`}, same topic, before timing; Node clients go on for at least ${warmupMs} ms` },
    summary,
    geomeans,
    runs,
    ...(profiles ? { profiles } : {}),
  }
  const jsonOut = option('json', null)
  if (jsonOut) {
    writeFileSync(jsonOut, `${toJson(report, 2)}\n`)
    log(`raw results in ${jsonOut}`)
  } else process.stdout.write(`${toJson(report)}\n`)
}

/**
 * Keeps platformatic2 (@platformatic/kafka 2.x) in the client list only where it can run: Node >= 22 and installed
 * in .cache/platformatic2. Returns the clients and a note per client left out.
 */
function platformatic2Filter(requested) {
  if (!requested.includes('platformatic2')) return { clients: requested, skipped: [] }
  let reason = null
  if (currentNodeMajor() < 22) reason = `platformatic2 (@platformatic/kafka 2.x) skipped: it needs Node >= 22, this is ${process.version}`
  else if (!platformatic2()) reason = 'platformatic2 skipped: @platformatic/kafka 2.x is not installed (node scripts/bench/lib/runtimes.mjs platformatic2)'
  return reason ? { clients: requested.filter((c) => c !== 'platformatic2'), skipped: [reason] } : { clients: requested, skipped: [] }
}
