// Consumer benchmark: samsa, KafkaJS, @platformatic/kafka and Java's ConsumerPerformance, side by side in one run,
// on the same broker and the same pre-produced topic.
//
//   node scripts/bench/consumer.mjs [--records 1000000] [--size 100] [--partitions 6] [--rounds 1] [--passes 1] [--clients samsa,samsa/kafkajs,kafkajs,platformatic,platformatic2,java]
//                                   [--json out.json] [--markdown] [--baseline <git rev>] [--build]
//   --samsa-api batches: samsa reads through consumer.batches() (no promise per record) instead of `for await`.
//   --compression gzip|snappy|lz4|zstd, --batch-records N: the topic's batches compressed, N records each (2000),
//   with JSON-like values (one repeated byte otherwise), e.g. `--compression gzip --size 500 --batch-records 4000`.
//   --passes N (samsa and samsa/kafkajs): after the timed pass, the child reads the topic N-1 more times in the same
//   process (a fresh group each) and reports each pass's rate, process CPU per record, minor page faults and event
//   loop: how it reads warm (JIT done, memory mapped, V8's heap grown; before 09c93f7 the first passes paid a page
//   fault per 4 KiB received).
//   With java among the clients, scripts/bench/java/ConsumePasses.java does the same in one JVM, whose first pass
//   is cold too (class loading, JIT).
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
import diagnosticsChannel from 'node:diagnostics_channel'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { compileBenchJava, runBenchJava } from './lib/java.mjs'
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
/** The produced batches' codec, and records per batch: large compressed batches are where decompression can hold the loop. */
const COMPRESSION = arg('compression', 'none')
const BATCH_RECORDS = Number(arg('batch-records', 2000))
const ROUNDS = Number(arg('rounds', 1))
/** samsa only: reads the topic this many times in one process, a fresh group each pass (see the header). */
const PASSES = Number(arg('passes', 1))
/** samsa only: `each` (for await, one message at a time, the default) or `batches` (consumer.batches()). */
const SAMSA_API = arg('samsa-api', 'each')
if (SAMSA_API !== 'each' && SAMSA_API !== 'batches') throw new Error(`--samsa-api is each or batches, not ${SAMSA_API}`)
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
 * The main thread's own scheduler figures (Linux /proc schedstat): nanoseconds on a CPU and nanoseconds runnable but
 * waiting for one. process.cpuUsage() counts every thread of the process (V8's compiler and GC helpers too), so it
 * cannot say whether a long gap was the event loop's thread working or the thread waiting while the broker and
 * helper threads held both cores of a small machine. Null where the file does not exist.
 */
function mainThreadSchedstat() {
  const path = `/proc/self/task/${process.pid}/schedstat`
  if (!existsSync(path)) return null
  return () => {
    const [onCpu, waiting] = readFileSync(path, 'utf8').split(' ')
    return { onCpuMs: Number(onCpu) / 1e6, waitingMs: Number(waiting) / 1e6 }
  }
}

/**
 * Event-loop probe for a child's consuming phase, the same for every client: perf_hooks' loop delay from the first
 * record on, plus a 1 ms timer whose gaps over 10 ms are split into the main thread's CPU time (the GC pauses the
 * observer reports, and the rest: the client's and application's work holding the loop) and the time the thread
 * waited for a CPU (runnable but not running: the broker and V8's helper threads had the cores); the rest it was
 * blocked, asleep (neither on a CPU nor waiting for one; the cause is not recorded). Without schedstat the gap's CPU
 * is the whole process's, as an upper bound.
 */
function startLoopProbe(consuming) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const schedstat = mainThreadSchedstat()
  const cpuNow = () => {
    if (schedstat) return schedstat()
    const { user, system } = process.cpuUsage()
    return { onCpuMs: (user + system) / 1000, waitingMs: 0 }
  }
  let gapStart = performance.now()
  let cpuStart = cpuNow()
  // Minor page faults per gap: memory new to the process (V8's heap growing, a response buffer) costs a fault per
  // 4 KiB, and on some VMs a fault costs microseconds (the parent measures it: pageFaultMicros).
  let faultsStart = process.resourceUsage().minorPageFault
  let first = 0
  const longGaps = []
  const gcPauses = []
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration, kind: GC_KINDS[entry.detail?.kind] ?? String(entry.detail?.kind) })
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  // samsa's consumers (the facade's too) publish every Fetch response: a fetch that waited fetchMaxWaitMs while
  // records were buffered behind it shows as a long one here (the first, a full response, takes ~100 ms).
  const fetchDurations = []
  const onFetch = (event) => {
    if (first > 0) fetchDurations.push(event.durationMs)
  }
  diagnosticsChannel.subscribe('samsa:fetch', onFetch)
  const timer = setInterval(() => {
    const now = performance.now()
    const cpu = cpuNow()
    const faults = process.resourceUsage().minorPageFault
    if (consuming() && now - gapStart > 10) {
      const onCpu = Math.min(now - gapStart, cpu.onCpuMs - cpuStart.onCpuMs)
      longGaps.push({ start: gapStart, end: now, onCpu, waiting: cpu.waitingMs - cpuStart.waitingMs, faults: faults - faultsStart })
    }
    gapStart = now
    cpuStart = cpu
    faultsStart = faults
  }, 1)
  return {
    firstRecord() {
      first = performance.now()
      delay.enable()
    },
    stop() {
      delay.disable()
      clearInterval(timer)
      diagnosticsChannel.unsubscribe('samsa:fetch', onFetch)
    },
    /** After the client closed (the observer delivers GC entries asynchronously). */
    async report() {
      await new Promise((resolve) => setImmediate(resolve))
      gcObserver.disconnect()
      const overlap = (gap, p) => Math.max(0, Math.min(gap.end, p.end) - Math.max(gap.start, p.start))
      const attributed = longGaps.map((gap) => {
        const pauses = gcPauses.filter((p) => overlap(gap, p) > 0)
        const gcMs = pauses.reduce((sum, p) => sum + overlap(gap, p), 0)
        const wallMs = gap.end - gap.start
        return {
          atMs: gap.start - first,
          wallMs,
          gcMs,
          gcKinds: [...new Set(pauses.map((p) => p.kind))].join('+'),
          onCpuMs: gap.onCpu,
          // A GC pause's wall time may include time waiting for a CPU, so at least gcMs - waiting of the thread's CPU
          // was GC: what is left is an upper bound on other work.
          workMs: Math.max(0, gap.onCpu - Math.max(0, gcMs - gap.waiting)),
          waitingMs: gap.waiting,
          blockedMs: Math.max(0, wallMs - gap.onCpu - gap.waiting),
          faults: gap.faults,
        }
      })
      const gcLongest = (kind) => gcPauses.filter((p) => p.kind === kind).reduce((max, p) => Math.max(max, p.end - p.start), 0)
      const round1 = (v) => +v.toFixed(1)
      return {
        eventLoopDelayMaxMs: delay.max / 1e6,
        eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        mainThreadSchedstat: schedstat !== null,
        // Gaps of the 1 ms probe over 10 ms wall time, and what filled them.
        gapsOver10Ms: attributed.length,
        gapsOver10MsMostlyGc: attributed.filter((g) => g.gcMs >= g.wallMs / 2).length,
        gapsOver10MsMostlyWaiting: attributed.filter((g) => g.waitingMs >= g.wallMs / 2).length,
        longestWorkInGapMs: attributed.reduce((max, g) => Math.max(max, g.workMs), 0),
        longestGapsMs: attributed
          .sort((a, b) => b.wallMs - a.wallMs)
          .slice(0, 5)
          .map((g) => ({ at: round1(g.atMs), wall: round1(g.wallMs), onCpu: round1(g.onCpuMs), gc: round1(g.gcMs), gcKinds: g.gcKinds, work: round1(g.workMs), waiting: round1(g.waitingMs), blocked: round1(g.blockedMs), faults: g.faults })),
        ...(fetchDurations.length > 0 ? { fetches: fetchDurations.length, longestFetchMs: round1(Math.max(...fetchDurations)) } : {}),
        gcPauses: Object.fromEntries(Object.values(GC_KINDS).map((kind) => [kind, { count: gcPauses.filter((p) => p.kind === kind).length, longestMs: round1(gcLongest(kind)) }])),
      }
    },
  }
}

function medianOf(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Times one pass from its first record: wall time, the process's CPU and its minor page faults. */
function passMeter() {
  let started = 0
  let faults = 0
  let cpuAt = null
  return {
    start() {
      started = performance.now()
      faults = process.resourceUsage().minorPageFault
      cpuAt = process.cpuUsage()
    },
    end() {
      const ms = performance.now() - started
      const used = process.cpuUsage(cpuAt)
      return { ms, minorPageFaults: process.resourceUsage().minorPageFault - faults, cpuMs: (used.user + used.system) / 1000 }
    },
  }
}

/** A pass's event loop in the passes table: the probe's report without its per-gap detail. */
function passLoop(report) {
  return {
    p99Ms: report.eventLoopDelayP99Ms,
    maxMs: report.eventLoopDelayMaxMs,
    gapsOver10Ms: report.gapsOver10Ms,
    longestWorkInGapMs: report.longestWorkInGapMs,
    longestGcPauseMs: Math.max(...Object.values(report.gcPauses).map((g) => g.longestMs)),
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
    // One pass over the topic by a consumer in a fresh group: every record's key and value touched, timed from the
    // first record to the last, with an event-loop probe of its own.
    const readPass = async (passGroupId) => {
      const reader = kafka.consumer({ groupId: passGroupId, autoOffsetReset: 'earliest', enableAutoCommit: false })
      await reader.subscribe([topic])
      let reading = false
      const probe = startLoopProbe(() => reading)
      const meter = passMeter()
      let n = 0
      const each = (message) => {
        if (n++ === 0) {
          meter.start()
          reading = true
          probe.firstRecord()
        }
        touch(message.key, message.value)
        return n === total
      }
      if (SAMSA_API === 'batches') {
        outer: for await (const batch of reader.batches()) for (const message of batch.messages) if (each(message)) break outer
      } else {
        for await (const message of reader) if (each(message)) break
      }
      const result = meter.end()
      probe.stop()
      await reader.close()
      return { ...result, loop: await probe.report() }
    }
    const { loop, ...firstPass } = await readPass(groupId)
    const firstPassBytes = bytes
    // Later passes: the same records again in this process, whose allocator by then has memory to recycle (the
    // process's heap has grown and its code is compiled by then).
    const later = []
    for (let pass = 1; pass < PASSES; pass++) {
      const { loop: passReport, ...result } = await readPass(`${groupId}-pass${pass}`)
      later.push({ ...result, loop: passLoop(passReport) })
    }
    const passes = later.length > 0 ? { passes: [{ ...firstPass, loop: passLoop(loop) }, ...later] } : {}
    return { client, count: total, bytes: firstPassBytes, ms: firstPass.ms, minorPageFaults: firstPass.minorPageFaults, ...passes, ...loop }
  }
  if (client === 'kafkajs' || client === 'samsa/kafkajs') {
    // The same program for both: only the import differs, as for an application migrating to the facade.
    const { Kafka, logLevel } = client === 'kafkajs' ? require('kafkajs') : await importSnapshot(samsaDir, 'kafkajs.js')
    const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING })
    // One pass: a consumer in a fresh group reads the topic once through eachMessage.
    const readPass = async (passGroupId) => {
      const consumer = kafka.consumer({ groupId: passGroupId })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      let n = 0
      const meter = passMeter()
      const probe = startLoopProbe(() => n > 0 && n < total)
      const result = await new Promise((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              if (n === 0) {
                meter.start()
                probe.firstRecord()
              }
              touch(message.key, message.value)
              if (++n === total) {
                const ended = meter.end()
                probe.stop()
                resolve(ended)
              }
            },
          })
          .catch(reject)
      })
      await consumer.disconnect()
      return { ...result, loop: await probe.report() }
    }
    const firstPass = await readPass(groupId)
    count = total
    const firstPassBytes = bytes
    // --passes: the facade only, as for samsa (KafkaJS's own passes would add minutes and no question).
    const later = []
    if (client === 'samsa/kafkajs') {
      for (let pass = 1; pass < PASSES; pass++) {
        const { loop, ...result } = await readPass(`${groupId}-pass${pass}`)
        later.push({ ...result, loop: passLoop(loop) })
      }
    }
    const { loop, ...first } = firstPass
    const passes = later.length > 0 ? { passes: [{ ...first, loop: passLoop(loop) }, ...later] } : {}
    return { client, count, bytes: firstPassBytes, ms: first.ms, ...passes, ...loop }
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

/**
 * What a minor page fault costs on this machine, in µs: 32 MiB new to the process touched once per 4 KiB, median of
 * three. Bare metal takes a fraction of a µs; a VM whose host backs guest memory lazily can take ten or more, and
 * then every GC pause that touches memory new to the heap is that much longer.
 */
function pageFaultMicros() {
  const costs = []
  for (let i = 0; i < 3; i++) {
    const memory = Buffer.allocUnsafeSlow(32 << 20)
    const faults = process.resourceUsage().minorPageFault
    const started = process.hrtime.bigint()
    for (let at = 0; at < memory.length; at += 4096) memory[at] = 1
    const ns = Number(process.hrtime.bigint() - started)
    costs.push(ns / 1000 / Math.max(1, process.resourceUsage().minorPageFault - faults))
  }
  return +medianOf(costs).toFixed(2)
}
const PAGE_FAULT_MICROS = pageFaultMicros()
log(`a minor page fault costs ${PAGE_FAULT_MICROS} µs here (32 MiB touched once per 4 KiB)`)

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
  // Compressed, a value of one repeated byte would shrink a thousandfold: JSON-like text that compresses as records do.
  const filler = 'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(Math.ceil(SIZE / 56))
  const valueOf = (i) => (COMPRESSION === 'none' ? value : Buffer.from(`{"id":${i},"user":"user-${i % 997}","n":${(i * 7919) % 104729},"text":"${filler}`.slice(0, SIZE)))
  const perBatch = BATCH_RECORDS
  const started = Date.now()
  let produced = 0
  const inflight = new Set()
  for (let p = 0; produced < RECORDS; p = (p + 1) % PARTITIONS) {
    const n = Math.min(perBatch, RECORDS - produced)
    const batch = records.encodeRecordBatch({ compression: COMPRESSION, records: Array.from({ length: n }, (_, i) => ({ key: `key-${produced + i}`, value: valueOf(produced + i) })) })
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
  log(`produced ${RECORDS} records of ${SIZE} B to ${topic} (${PARTITIONS} partitions, ${perBatch} per batch, ${COMPRESSION}) in ${Date.now() - started} ms`)
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

/** --passes for Java: scripts/bench/java/ConsumePasses.java reads the topic PASSES times in one JVM. */
async function runJavaPasses() {
  const classpath = compileBenchJava([join(root, 'scripts', 'bench', 'java', 'ConsumePasses.java')])
  const stdout = await runBenchJava(classpath, 'ConsumePasses', [brokers, topic, String(RECORDS), String(PASSES)])
  return JSON.parse(stdout.trim().split('\n').pop()).passes.map((p) => ({ ms: p.ms, minorPageFaults: null, cpuMs: null }))
}

const results = []
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order between rounds so no client always runs first on a freshly written topic.
  for (const client of round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
    let result
    if (client === 'java') {
      result = runJava(round)
      if (PASSES > 1) result.passes = await runJavaPasses()
    }
    else {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify([client, brokers, topic, RECORDS, snapshot, baseline?.dir ?? null]), '--passes', String(PASSES), '--samsa-api', SAMSA_API], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 })
      if (child.status !== 0) {
        log(`${client} failed (exit ${child.status ?? child.signal})`)
        continue
      }
      result = JSON.parse(child.stdout.trim().split('\n').pop())
    }
    result.recordsPerSec = Math.round((result.count / result.ms) * 1000)
    result.mbPerSec = Number(((result.bytes / 1024 / 1024 / result.ms) * 1000).toFixed(1))
    result.round = round
    log(`${client}: ${result.count} records in ${result.ms.toFixed(0)} ms = ${result.recordsPerSec} rec/s, ${result.mbPerSec} MB/s${result.eventLoopDelayMaxMs !== undefined ? `, event-loop delay max ${result.eventLoopDelayMaxMs.toFixed(1)} ms p99 ${result.eventLoopDelayP99Ms.toFixed(1)} ms; gaps over 10 ms: ${result.gapsOver10Ms} (${result.gapsOver10MsMostlyGc} mostly GC, ${result.gapsOver10MsMostlyWaiting} mostly waiting for a CPU), longest work outside GC in one ${result.longestWorkInGapMs.toFixed(1)} ms, longest ${JSON.stringify(result.longestGapsMs)}` : ''}${result.fetches !== undefined ? `; ${result.fetches} fetches, longest ${result.longestFetchMs} ms` : ''}`)
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
  pageFaultMicros: PAGE_FAULT_MICROS,
  ...(baseline ? { baseline: { rev: BASELINE, sha: baseline.sha } } : {}),
  results: [...best.values()],
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
const loopColumns = ['client', 'round', 'records/s', 'loop delay p99 ms', 'max ms', 'gaps > 10 ms (mostly GC / mostly waiting for a CPU)', 'longest work outside GC in a gap ms (at most)', 'longest gaps: wall ms (main thread on CPU, GC pauses, waiting for a CPU, blocked; minor page faults) at ms after the first record', 'Fetch responses (longest ms)']
const loopRows = results
  .filter((r) => r.eventLoopDelayMaxMs !== undefined)
  .map((r) => [
    r.client,
    String(r.round + 1),
    r.recordsPerSec.toLocaleString('en-US'),
    fixed(r.eventLoopDelayP99Ms),
    fixed(r.eventLoopDelayMaxMs),
    `${r.gapsOver10Ms} (${r.gapsOver10MsMostlyGc} / ${r.gapsOver10MsMostlyWaiting})`,
    fixed(r.longestWorkInGapMs),
    r.longestGapsMs.slice(0, 3).map((g) => `${g.wall} (${g.onCpu}, ${g.gc}, ${g.waiting}, ${g.blocked}; ${g.faults ?? '–'}) at ${g.at}`).join('; ') || '–',
    r.fetches !== undefined ? `${r.fetches} (${r.longestFetchMs})` : '–',
  ])
// --passes: samsa's (and the facade's) rate pass by pass in one process, with the page faults each pass took (memory
// new to the process) and its event loop: the first pass also pays for the process's start (code compiled, V8's heap
// grown), the later ones show a consumer that has been running for a while.
const passColumns = ['client', 'round', 'pass', 'records/s', 'process CPU ns per record', 'minor page faults', 'loop delay p99 ms', 'max ms', 'gaps > 10 ms', 'longest work outside GC in a gap ms', 'longest GC pause ms']
const passRows = results
  .filter((r) => r.passes)
  .flatMap((r) =>
    r.passes.map((p, i) => [
      r.client === 'java' ? 'java (ConsumePasses)' : r.client,
      String(r.round + 1),
      String(i + 1),
      Math.round((r.count / p.ms) * 1000).toLocaleString('en-US'),
      p.cpuMs === null ? '–' : String(Math.round((p.cpuMs * 1e6) / r.count)),
      p.minorPageFaults === null ? '–' : p.minorPageFaults.toLocaleString('en-US'),
      ...(p.loop ? [fixed(p.loop.p99Ms), fixed(p.loop.maxMs), String(p.loop.gapsOver10Ms), fixed(p.loop.longestWorkInGapMs), fixed(p.loop.longestGcPauseMs)] : ['–', '–', '–', '–', '–']),
    ]),
  )
if (passRows.length > 0) process.stdout.write(`\n${[`| ${passColumns.join(' | ')} |`, `|---|---:|${'---:|'.repeat(passColumns.length - 2)}`, ...passRows.map((c) => `| ${c.join(' | ')} |`)].join('\n')}\n`)
if (loopRows.length > 0) process.stdout.write(`\n${[`| ${loopColumns.join(' | ')} |`, `|---|---:|${'---:|'.repeat(loopColumns.length - 2)}`, ...loopRows.map((c) => `| ${c.join(' | ')} |`)].join('\n')}\n`)
const jsonOut = arg('json', null)
if (jsonOut) {
  const packageVersion = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).version
  const p2 = CLIENTS.includes('platformatic2') ? platformatic2() : null
  const versions = { samsa: packageVersion('.'), kafkajs: packageVersion('node_modules/kafkajs'), platformatic: packageVersion('node_modules/@platformatic/kafka'), ...(p2 ? { platformatic2: p2.version } : {}), kafka: kafkaVersion }
  const contract = benchReport({
    bench: 'consumer',
    versions,
    settings: { records: RECORDS, valueBytes: SIZE, partitions: PARTITIONS, rounds: ROUNDS, clients: CLIENTS, skipped: SKIPPED, pageFaultMicros: PAGE_FAULT_MICROS },
    results: summary.results,
    tables: [
      reportTable('consumer-throughput', 'Consumer throughput, one pre-produced topic', columns, cells, [
        `${RECORDS.toLocaleString('en-US')} records of ${SIZE} B values, ${PARTITIONS} partitions${COMPRESSION === 'none' ? '' : `, ${COMPRESSION} batches of ${BATCH_RECORDS} records`}, best of ${ROUNDS} round(s); timed from the first record to the last (group join excluded; Java: ConsumerPerformance fetch.* columns).${SAMSA_API === 'batches' ? ' samsa read through consumer.batches().' : ''}`,
        `Versions: KafkaJS ${versions.kafkajs}, @platformatic/kafka ${versions.platformatic}${p2 ? ` (platformatic2: ${p2.version})` : ''}, Java ConsumerPerformance ${kafkaVersion}.`,
        ...SKIPPED,
      ]),
      ...(passRows.length > 0
        ? [
            reportTable('consumer-passes', 'Consumer passes in one process', passColumns, passRows, [
              `The topic read ${PASSES} times in one process, a fresh group each pass, each timed from its first record to its last. samsa: the child of the throughput table, whose first pass is the one timed there. Java: scripts/bench/java/ConsumePasses.java in one JVM (KafkaConsumer with the client's defaults, byte-array deserializers), run after ConsumerPerformance in the same round.`,
            ]),
          ]
        : []),
      reportTable('consumer-event-loop', 'Consumer event loop, every run', loopColumns, loopRows, [
        'perf_hooks event-loop delay from the first record to the last, and a 1 ms timer whose gaps over 10 ms are split by the main thread\'s scheduler figures (Linux schedstat) into the main thread\'s CPU time, the GC pauses in it (the gc observer), the time it was runnable but waiting for a CPU (the broker and V8 helper threads had both cores) and the rest, blocked (asleep: neither on a CPU nor waiting for one). Work outside GC is the CPU time less the part of the GC pauses not spent waiting: an upper bound on what the client and the loop body held the loop for.',
        `Minor page faults: memory new to the process, each a trap to the kernel; on this machine one cost ${PAGE_FAULT_MICROS} µs (32 MiB touched once per 4 KiB, at the start of the run).`,
        'Fetch responses: samsa:fetch events from the first record to the last (samsa and samsa/kafkajs only); the longest is the first, a full response of about 6 MB (~100 ms), unless a fetch waited fetchMaxWaitMs while records were buffered behind it.',
      ]),
    ],
  })
  writeFileSync(jsonOut, `${JSON.stringify({ ...contract, ...summary }, null, 2)}\n`)
}
else process.stdout.write(`${JSON.stringify(summary)}\n`)
if (instanceName) await harness.stopInstance(instanceName)
