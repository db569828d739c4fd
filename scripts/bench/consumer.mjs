// Consumer benchmark: samsa, KafkaJS, @platformatic/kafka and Java's ConsumerPerformance, side by side in one run,
// on the same broker and the same pre-produced topic.
//
//   node scripts/bench/consumer.mjs [--records 1000000] [--size 100] [--partitions 6] [--rounds 1] [--clients samsa,samsa/kafkajs,kafkajs,platformatic,platformatic2,java]
//                                   [--json out.json] [--markdown] [--baseline <git rev>] [--build]
//   --baseline also runs samsa built from that revision (as samsa@base) and reports samsa ÷ samsa@base: before/after
//   figures from one run on the same topic.
//   Node flags given to this script reach the clients' child processes too (e.g. `node --cpu-prof --cpu-prof-dir=prof ...`).
//
// samsa and samsa/kafkajs run from the built package (a snapshot of dist/, lib/samsa.mjs; --build rebuilds it first).
// Uses the cluster in KAFKA_BROKERS, else starts a harness instance named "bench-consumer" (stopped afterwards).
// Each client runs in its own child process, subscribes with a fresh consumer group (auto-commit off) from the
// earliest offset, and reads every record, touching key and value of each (per-message API: samsa `for await`,
// KafkaJS `eachMessage` and samsa/kafkajs (the facade) the same way with KafkaJS's defaults, platformatic stream
// 'data' events). Throughput is measured from the first record to the
// last, so group joins don't count; Java's figures are ConsumerPerformance's fetch.* columns, which exclude the
// join the same way. samsa's run also samples the event-loop delay (perf_hooks.monitorEventLoopDelay).
// platformatic2 is @platformatic/kafka 2.x from .cache/platformatic2 (Node >= 22 only; skipped with a note on Node 20,
// see scripts/bench/lib/runtimes.mjs), driven like platformatic. `--json` writes the report (lib/report.mjs).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { benchReport, reportTable } from './lib/report.mjs'
import { currentNodeMajor, platformatic2 } from './lib/runtimes.mjs'
import { importSnapshot, snapshotDist, snapshotRevision } from './lib/samsa.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(join(root, 'package.json'))

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : process.argv[i + 1]
}
const RECORDS = Number(arg('records', 1_000_000))
const SIZE = Number(arg('size', 100))
const PARTITIONS = Number(arg('partitions', 6))
const ROUNDS = Number(arg('rounds', 1))
const BASELINE = arg('baseline', null)
const SKIPPED = []
const CLIENTS = arg('clients', 'samsa,samsa/kafkajs,kafkajs,platformatic,platformatic2,java')
  .split(',')
  .filter((c) => {
    if (c !== 'platformatic2') return true
    if (currentNodeMajor() < 22) SKIPPED.push(`platformatic2 (@platformatic/kafka 2.x) skipped: it needs Node >= 22, this is ${process.version}`)
    else if (!platformatic2()) SKIPPED.push('platformatic2 skipped: @platformatic/kafka 2.x is not installed (node scripts/bench/lib/runtimes.mjs platformatic2)')
    else return true
    return false
  })
  .flatMap((c) => (c === 'samsa' && BASELINE ? ['samsa', 'samsa@base'] : [c]))
const CHILD = arg('child', null)

/** src/ transpiled file by file with SWC to CommonJS, as the package builds it, into node_modules/.cache (resolves native deps from node_modules). */
function loadSamsaPath() {
  const out = join(root, 'node_modules', '.cache', 'samsa-bench-src-cjs')
  const files = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path)
    }
  }
  walk(join(root, 'src'))
  const swc = require('@swc/core')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n')
  for (const file of files) {
    const target = join(out, relative(join(root, 'src'), file)).replace(/\.ts$/, '.js')
    if (existsSync(target) && statSync(target).mtimeMs >= statSync(file).mtimeMs) continue
    mkdirSync(dirname(target), { recursive: true })
    const { code } = swc.transformFileSync(file, { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' }, sourceMaps: false })
    writeFileSync(target, code)
  }
  return out
}

/**
 * The internals the parent uses to write the topic (raw Produce requests of 2000-record batches, so the data's
 * layout does not depend on any client's batching): the current sources, transpiled.
 */
function setupModules() {
  const base = loadSamsaPath()
  const [{ Cluster }, { silentLogger }, protocol, records] = ['network/cluster.js', 'network/instrumentation.js', 'protocol/index.js', 'records/index.js'].map((p) => require(join(base, p)))
  return { Cluster, silentLogger, protocol, records }
}

// ---------------------------------------------------------------------------------------------------------------
// Child: one client consumes the topic and prints one JSON line.

/** `PerformanceEntry.detail.kind` of 'gc' entries (perf_hooks constants NODE_PERFORMANCE_GC_*). */
const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' }

/**
 * Event-loop probe for a child's consuming phase, the same for every client: perf_hooks' loop delay from the first
 * record on, plus a 1 ms timer whose gaps are split into GC (the pauses the observer reports), descheduling (wall
 * time without CPU: the OS running someone else on a shared machine) and the rest, the client's own work.
 */
function startLoopProbe(consuming) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  let gapStart = performance.now()
  let cpuStart = process.cpuUsage()
  let longestBusyGapMs = 0
  let busyGapsOver10Ms = 0
  let first = 0
  const longGaps = []
  const gcPauses = []
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration, kind: GC_KINDS[entry.detail?.kind] ?? String(entry.detail?.kind) })
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  const timer = setInterval(() => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    const busy = Math.min(now - gapStart, (cpu.user + cpu.system - cpuStart.user - cpuStart.system) / 1000)
    if (consuming()) {
      if (busy > longestBusyGapMs) longestBusyGapMs = busy
      if (busy > 10) busyGapsOver10Ms++
      if (now - gapStart > 10) longGaps.push({ start: gapStart, end: now, busy })
    }
    gapStart = now
    cpuStart = cpu
  }, 1)
  return {
    firstRecord() {
      first = performance.now()
      delay.enable()
    },
    stop() {
      delay.disable()
      clearInterval(timer)
    },
    /** After the client closed (the observer delivers GC entries asynchronously). */
    async report() {
      await new Promise((resolve) => setImmediate(resolve))
      gcObserver.disconnect()
      const overlap = (gap, p) => Math.max(0, Math.min(gap.end, p.end) - Math.max(gap.start, p.start))
      const attributed = longGaps.map((gap) => {
        const pauses = gcPauses.filter((p) => overlap(gap, p) > 0)
        const gcMs = pauses.reduce((sum, p) => sum + overlap(gap, p), 0)
        return { atMs: gap.start - first, wallMs: gap.end - gap.start, gcMs, gcKinds: [...new Set(pauses.map((p) => p.kind))].join('+'), otherBusyMs: Math.max(0, gap.busy - gcMs) }
      })
      const gcLongest = (kind) => gcPauses.filter((p) => p.kind === kind).reduce((max, p) => Math.max(max, p.end - p.start), 0)
      return {
        eventLoopDelayMaxMs: delay.max / 1e6,
        eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        longestBusyGapMs,
        busyGapsOver10Ms,
        // Gaps of the 1 ms probe over 10 ms wall time: how much of each was GC, and how much CPU outside GC.
        gapsOver10Ms: attributed.length,
        gapsOver10MsMostlyGc: attributed.filter((g) => g.gcMs >= g.wallMs / 2).length,
        longestBusyGapOutsideGcMs: attributed.reduce((max, g) => Math.max(max, g.otherBusyMs), 0),
        longestGapsMs: attributed.sort((a, b) => b.wallMs - a.wallMs).slice(0, 5).map((g) => ({ at: +g.atMs.toFixed(0), wall: +g.wallMs.toFixed(1), gc: +g.gcMs.toFixed(1), gcKinds: g.gcKinds, otherBusy: +g.otherBusyMs.toFixed(1) })),
        gcPauses: Object.fromEntries(Object.values(GC_KINDS).map((kind) => [kind, { count: gcPauses.filter((p) => p.kind === kind).length, longestMs: +gcLongest(kind).toFixed(1) }])),
      }
    },
  }
}

async function runChild(client, brokers, topic, total, samsaDir, baselineDir) {
  const groupId = `bench-${client}-${process.pid}-${Date.now()}`
  let first = 0
  let last = 0
  let count = 0
  let bytes = 0
  const touch = (key, value) => {
    bytes += (key ? key.length : 0) + (value ? value.length : 0)
  }
  if (client === 'samsa' || client === 'samsa@base') {
    // The built package, as users get it (the producer benchmark does the same): a per-file transpile costs 10-20 %
    // more CPU than the bundle, and internal paths do not exist in a bundled baseline.
    const { Kafka } = await importSnapshot(client === 'samsa@base' ? baselineDir : samsaDir)
    const kafka = new Kafka({ brokers, clientId: 'bench', logger: false })
    const consumer = kafka.consumer({ groupId, autoOffsetReset: 'earliest', enableAutoCommit: false })
    const probe = startLoopProbe(() => count > 0)
    await consumer.subscribe([topic])
    for await (const message of consumer) {
      if (count === 0) {
        first = performance.now()
        probe.firstRecord()
      }
      touch(message.key, message.value)
      if (++count === total) break
    }
    last = performance.now()
    probe.stop()
    await consumer.close()
    return { client, count, bytes, ms: last - first, ...(await probe.report()) }
  }
  if (client === 'kafkajs' || client === 'samsa/kafkajs') {
    // The same program for both: only the import differs, as for an application migrating to the facade.
    const { Kafka, logLevel } = client === 'kafkajs' ? require('kafkajs') : await importSnapshot(samsaDir, 'kafkajs.js')
    const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING })
    const consumer = kafka.consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const probe = startLoopProbe(() => count > 0 && count < total)
    await new Promise((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            if (count === 0) {
              first = performance.now()
              probe.firstRecord()
            }
            touch(message.key, message.value)
            if (++count === total) {
              last = performance.now()
              probe.stop()
              resolve()
            }
          },
        })
        .catch(reject)
    })
    await consumer.disconnect()
    return { client, count, bytes, ms: last - first, ...(await probe.report()) }
  }
  if (client === 'platformatic' || client === 'platformatic2') {
    const { Consumer, MessagesStreamModes } = client === 'platformatic' ? require('@platformatic/kafka') : await import(pathToFileURL(platformatic2().entry).href)
    const consumer = new Consumer({ groupId, clientId: 'bench', bootstrapBrokers: brokers, maxWaitTime: 500 })
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
    const probe = startLoopProbe(() => count > 0 && count < total)
    await new Promise((resolve, reject) => {
      stream.on('error', reject)
      stream.on('data', (message) => {
        if (count === 0) {
          first = performance.now()
          probe.firstRecord()
        }
        touch(message.key, message.value)
        if (++count === total) {
          last = performance.now()
          probe.stop()
          resolve()
        }
      })
    })
    await stream.close().catch(() => undefined)
    await consumer.close(true).catch(() => undefined)
    return { client, count, bytes, ms: last - first, ...(await probe.report()) }
  }
  throw new Error(`unknown client ${client}`)
}

if (CHILD) {
  const [client, brokers, topic, total, samsaDir, baselineDir] = JSON.parse(CHILD)
  const result = await runChild(client, brokers.split(','), topic, total, samsaDir, baselineDir)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: broker, topic, data, then each client in turn.

const baseline = BASELINE ? snapshotRevision(BASELINE) : null
const { dir: snapshot } = snapshotDist({ label: 'consumer', build: process.argv.includes('--build') ? 'always' : 'missing', log: (line) => process.stderr.write(`[bench consumer] ${line}\n`) })

let instanceName = null
let brokers = process.env.KAFKA_BROKERS
const harness = await import(pathToFileURL(join(root, 'scripts', 'kafka', 'harness.mjs')).href)
const { KAFKA_VERSION } = await import(pathToFileURL(join(root, 'scripts', 'lib', 'versions.mjs')).href)
const { resolveKafkaJars } = await import(pathToFileURL(join(root, 'scripts', 'kafka', 'jars.mjs')).href)
if (!brokers) {
  instanceName = 'bench-consumer'
  const state = await harness.startInstance({ name: instanceName, ownerPid: process.pid })
  brokers = harness.envFor(state).KAFKA_BROKERS
}
const log = (line) => process.stderr.write(`[bench consumer] ${line}\n`)
for (const note of SKIPPED) log(note)

const { Cluster, silentLogger, protocol, records } = setupModules()
const cluster = new Cluster({ brokers: brokers.split(','), clientId: 'bench-setup', logger: silentLogger })
const topic = `bench-consumer-${RECORDS}-${SIZE}-${PARTITIONS}-${Date.now()}`
{
  const { apis, ApiKeys } = protocol
  await cluster.send({ kind: 'controller' }, apis[ApiKeys.CreateTopics], {
    topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  })
  await cluster.topics([topic])
  await new Promise((r) => setTimeout(r, 1000))
  const value = Buffer.alloc(SIZE, 'x')
  const perBatch = 2000
  const started = Date.now()
  let produced = 0
  const inflight = new Set()
  for (let p = 0; produced < RECORDS; p = (p + 1) % PARTITIONS) {
    const n = Math.min(perBatch, RECORDS - produced)
    const batch = records.encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `key-${produced + i}`, value })) })
    produced += n
    const partition = p
    const request = cluster
      .send({ kind: 'leader', topic, partition }, apis[ApiKeys.Produce], (version) => ({
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ ...(version >= 13 ? { topicId: cluster.topic(topic).topicId } : { name: topic }), partitionData: [{ index: partition, records: batch }] }],
      }))
      .then((r) => {
        const code = r.responses[0].partitionResponses[0].errorCode
        if (code !== 0) throw new Error(`produce failed with ${code}`)
      })
      .finally(() => inflight.delete(request))
    inflight.add(request)
    if (inflight.size >= 8) await Promise.race(inflight)
  }
  await Promise.all(inflight)
  log(`produced ${RECORDS} records of ${SIZE} B to ${topic} (${PARTITIONS} partitions) in ${Date.now() - started} ms`)
}
cluster.close()

function runJava(round) {
  const { classpath } = resolveKafkaJars(KAFKA_VERSION)
  const output = execFileSync(
    'java',
    ['-Xmx512m', '-cp', classpath, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers, '--topic', topic, '--messages', String(RECORDS),
      '--group', `bench-java-${process.pid}-${round}`, '--timeout', '60000', '--hide-header'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = output.trim().split('\n').filter((l) => l.includes(',')).pop()
  const cols = line.split(',').map((c) => c.trim())
  const fetchMs = Number(cols[7])
  const count = Number(cols[4])
  return { client: 'java', count, bytes: Number(cols[2]) * 1024 * 1024, ms: fetchMs, totalMsIncludingJoin: Date.parse(cols[1]) - Date.parse(cols[0]) }
}

const results = []
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order between rounds so no client always runs first on a freshly written topic.
  for (const client of round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
    let result
    if (client === 'java') result = runJava(round)
    else {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify([client, brokers, topic, RECORDS, snapshot, baseline?.dir ?? null])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 })
      if (child.status !== 0) {
        log(`${client} failed (exit ${child.status ?? child.signal})`)
        continue
      }
      result = JSON.parse(child.stdout.trim().split('\n').pop())
    }
    result.recordsPerSec = Math.round((result.count / result.ms) * 1000)
    result.mbPerSec = Number(((result.bytes / 1024 / 1024 / result.ms) * 1000).toFixed(1))
    result.round = round
    log(`${client}: ${result.count} records in ${result.ms.toFixed(0)} ms = ${result.recordsPerSec} rec/s, ${result.mbPerSec} MB/s${result.eventLoopDelayMaxMs !== undefined ? `, event-loop delay max ${result.eventLoopDelayMaxMs.toFixed(1)} ms p99 ${result.eventLoopDelayP99Ms.toFixed(1)} ms, longest CPU-busy gap ${result.longestBusyGapMs.toFixed(1)} ms (${result.busyGapsOver10Ms} over 10 ms); gaps over 10 ms: ${result.gapsOver10Ms} (${result.gapsOver10MsMostlyGc} mostly GC), longest CPU-busy outside GC ${result.longestBusyGapOutsideGcMs.toFixed(1)} ms, longest ${JSON.stringify(result.longestGapsMs)}` : ''}`)
    results.push(result)
  }
}

const best = new Map()
for (const r of results) if (!best.has(r.client) || best.get(r.client).recordsPerSec < r.recordsPerSec) best.set(r.client, r)
const samsa = best.get('samsa')
const kafkaVersion = process.env.SAMSA_BENCH_KAFKA_VERSION || KAFKA_VERSION
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  kafka: kafkaVersion,
  records: RECORDS,
  valueBytes: SIZE,
  partitions: PARTITIONS,
  rounds: ROUNDS,
  ...(baseline ? { baseline: { rev: BASELINE, sha: baseline.sha } } : {}),
  results: [...best.values()],
}
const medianOf = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const medianRate = (client) => Math.round(medianOf(results.filter((r) => r.client === client).map((r) => r.recordsPerSec)))
const samsaMedian = samsa ? medianRate('samsa') : null
const cells = [...best.values()].map((r) => [
  r.client,
  r.recordsPerSec.toLocaleString('en-US'),
  String(r.mbPerSec),
  samsa ? (samsa.recordsPerSec / r.recordsPerSec).toFixed(2) + '×' : '–',
  medianRate(r.client).toLocaleString('en-US'),
  samsaMedian ? (samsaMedian / medianRate(r.client)).toFixed(2) + '×' : '–',
])
const columns = ['client', 'records/s (best)', 'MB/s (key+value)', 'samsa is … faster (best)', 'records/s (median)', 'samsa is … faster (median)']
const table = [`| ${columns.join(' | ')} |`, '|---|---:|---:|---:|---:|---:|', ...cells.map((c) => `| ${c.join(' | ')} |`)].join('\n')
process.stdout.write(`${table}\n`)
// Every run's event loop, not the best one's: the goal is a bound that holds in each run.
const fixed = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–')
const loopColumns = ['client', 'round', 'records/s', 'loop delay p99 ms', 'max ms', 'longest CPU-busy gap outside GC ms', 'probe gaps > 10 ms (mostly GC)', 'longest gaps: wall ms (GC ms, other CPU ms) at ms after the first record']
const loopRows = results
  .filter((r) => r.eventLoopDelayMaxMs !== undefined)
  .map((r) => [
    r.client,
    String(r.round + 1),
    r.recordsPerSec.toLocaleString('en-US'),
    fixed(r.eventLoopDelayP99Ms),
    fixed(r.eventLoopDelayMaxMs),
    fixed(r.longestBusyGapOutsideGcMs),
    `${r.gapsOver10Ms} (${r.gapsOver10MsMostlyGc})`,
    r.longestGapsMs.slice(0, 3).map((g) => `${g.wall} (${g.gc}, ${g.otherBusy}) at ${g.at}`).join('; ') || '–',
  ])
if (loopRows.length > 0) process.stdout.write(`\n${[`| ${loopColumns.join(' | ')} |`, `|---|---:|${'---:|'.repeat(loopColumns.length - 2)}`, ...loopRows.map((c) => `| ${c.join(' | ')} |`)].join('\n')}\n`)
const jsonOut = arg('json', null)
if (jsonOut) {
  const packageVersion = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).version
  const p2 = CLIENTS.includes('platformatic2') ? platformatic2() : null
  const versions = { samsa: packageVersion('.'), kafkajs: packageVersion('node_modules/kafkajs'), platformatic: packageVersion('node_modules/@platformatic/kafka'), ...(p2 ? { platformatic2: p2.version } : {}), kafka: kafkaVersion }
  const contract = benchReport({
    bench: 'consumer',
    versions,
    settings: { records: RECORDS, valueBytes: SIZE, partitions: PARTITIONS, rounds: ROUNDS, clients: CLIENTS, skipped: SKIPPED },
    results: summary.results,
    tables: [
      reportTable('consumer-throughput', 'Consumer throughput, one pre-produced topic', columns, cells, [
        `${RECORDS.toLocaleString('en-US')} records of ${SIZE} B values, ${PARTITIONS} partitions, best of ${ROUNDS} round(s); timed from the first record to the last (group join excluded; Java: ConsumerPerformance fetch.* columns).`,
        `Versions: KafkaJS ${versions.kafkajs}, @platformatic/kafka ${versions.platformatic}${p2 ? ` (platformatic2: ${p2.version})` : ''}, Java ConsumerPerformance ${kafkaVersion}.`,
        ...SKIPPED,
      ]),
      reportTable('consumer-event-loop', 'Consumer event loop, every run', loopColumns, loopRows, [
        'perf_hooks event-loop delay from the first record to the last, and a 1 ms timer whose gaps over 10 ms are split into GC pauses (the gc observer) and other CPU of the process; wall time without CPU is the OS running something else.',
      ]),
    ],
  })
  writeFileSync(jsonOut, `${JSON.stringify({ ...contract, ...summary }, null, 2)}\n`)
}
else process.stdout.write(`${JSON.stringify(summary)}\n`)
if (instanceName) await harness.stopInstance(instanceName)
