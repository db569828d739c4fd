// Memory benchmark (issue #18, goal 4): memory over time while producing and consuming at a steady rate, for samsa,
// KafkaJS and @platformatic/kafka.
//
//   npm run bench:memory -- [--rate 5000] [--size 1024] [--duration 600] [--partitions 6]
//       [--clients samsa,kafkajs,platformatic] [--sequential] [--per-record] [--max-outstanding 100000] [--quick] [--json out.json]
//       [--markdown] [--keep-broker] [--build]
//   --quick: 60 s.
//
// Uses the cluster in KAFKA_BROKERS, else a harness instance named "bench-memory" (started, and stopped afterwards
// unless --keep-broker). samsa is measured from the built package (dist/, see lib/samsa.mjs).
//
// Each client runs in a process of its own, with a producer and a group consumer (fresh group, from the latest
// offset) of its own fresh topic, each client with its default settings (acks=all given explicitly). All clients
// run at the same time (same broker, same time window) unless --sequential. Once a probe record from every partition
// has come back (lib/e2e.mjs), the producer sends --rate records per second of --size bytes on an open-loop
// schedule: a 1 ms timer hands the records due to one send() call (≈ 5 at 5 000 msg/s, at most 100; KafkaJS and platformatic,
// which send what one call gives them as it is, cannot keep 5 000 single-record calls a second on a 2-core machine
// next to a broker; --per-record makes it one record per call), for --duration seconds, while the consumer reads
// them. Every second the process samples process.memoryUsage(): rss, heapUsed, heapTotal, external, arrayBuffers,
// with how many records were sent, acknowledged and consumed so far.
// Reported per client, after a warm-up of the first 20 % of the run: mean and max of each figure, growth as the
// least-squares slope (MiB/min) and as the mean of the last minute minus the mean of the first minute after the
// warm-up (windows of half the post-warm-up time when that is under two minutes). samsa's row also states its
// bounds: bufferMemory (records waiting to be sent or acknowledged) plus twice fetchMaxBytes (the consumer stops
// fetching once fetchMaxBytes are buffered; one response of at most fetchMaxBytes can still be arriving), and
// whether the largest `arrayBuffers` (the Buffers that hold record bytes) stayed under that.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flag, listOption, numberOption, option } from './lib/args.mjs'
import { useBroker } from './lib/broker.mjs'
import { childPayload, finishChild, runChild, toJson } from './lib/child.mjs'
import { HEAD_BYTES, MEASURED, PROBE, drain, filler, openClient, runSchedule, stampedValue, waitUntilReady } from './lib/e2e.mjs'
import { benchReport, formatNumber, formatTable, machineInfo } from './lib/report.mjs'
import { clientVersions, repoRoot, snapshotDist } from './lib/samsa.mjs'
import { createTopics, deleteTopics, uniqueTopicName } from './lib/topics.mjs'

const SCRIPT = fileURLToPath(import.meta.url)
const log = (line) => process.stderr.write(`[bench memory] ${line}\n`)
const MiB = 2 ** 20
const METRICS = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers']

// ---------------------------------------------------------------------------------------------------------------
// Child: one client for the whole run.

async function memoryChild(p) {
  const fill = filler(p.size)
  const total = Math.round(p.rate * p.durationS)
  // One bit per record (not a byte: this process's own bookkeeping should weigh little next to the client's).
  const seen = new Uint8Array(Math.ceil(total / 8))
  const probed = new Uint8Array(p.partitions)
  let received = 0
  let duplicates = 0
  let maxLatencyMs = 0
  let latencySumMs = 0
  let over1s = 0
  const onMessage = (value, partition) => {
    if (value[12] === PROBE) {
      probed[partition] = 1
      return
    }
    const seq = value.readUInt32BE(8)
    const bit = 1 << (seq & 7)
    if (seen[seq >> 3] & bit) {
      duplicates++
      return
    }
    seen[seq >> 3] |= bit
    received++
    const latency = performance.now() - value.readDoubleBE(0)
    latencySumMs += latency
    if (latency > maxLatencyMs) maxLatencyMs = latency
    if (latency > 1000) over1s++
  }
  const client = await openClient(p.client, { brokers: p.brokers, topic: p.topic, groupId: `bench-memory-${p.client}-${process.pid}-${Date.now()}`, samsaDir: p.samsaDir, profile: 'memory', onMessage })
  const readyMs = await waitUntilReady({ send: client.send, filler: fill, partitions: p.partitions, probed })

  let issued = 0
  let acked = 0
  let sendErrors = 0
  let firstError = null
  const samples = []
  let t0 = 0
  const sample = () => {
    const m = process.memoryUsage()
    samples.push({ t: Number(((performance.now() - t0) / 1000).toFixed(2)), ...Object.fromEntries(METRICS.map((k) => [k, Number((m[k] / MiB).toFixed(2))])), sent: issued, acked, received })
  }
  let sampler = null
  const cpuStart = process.cpuUsage()
  // Records are counted as acknowledged per send() call.
  const ack = (count) => () => (acked += count)
  const fail = (count) => (error) => {
    sendErrors += count
    firstError ??= error.message
  }
  let due = []
  const schedule = await runSchedule({
    rate: p.rate,
    total,
    onDue: (seq, scheduledMs) => {
      if (seq === 0) {
        t0 = scheduledMs
        sample()
        sampler = setInterval(sample, 1000)
      }
      issued++
      const value = stampedValue(fill, scheduledMs, seq, MEASURED)
      if (p.perRecord) client.send(value).then(ack(1), fail(1))
      else due.push(value)
    },
    afterDue: () => {
      // After a late tick (a busy machine can hold a process off the CPU for a second) many records are due: in
      // calls of at most 100, or a client that puts one call's records into one batch per partition (KafkaJS) would
      // build batches over the broker's 1 MiB message.max.bytes and have them refused.
      for (let i = 0; i < due.length; i += 100) {
        const chunk = due.slice(i, i + 100)
        client.sendBatch(chunk).then(ack(chunk.length), fail(chunk.length))
      }
      due = []
    },
    shouldStop: () => issued - acked - sendErrors > p.maxOutstanding,
  })
  const drained = await drain({ done: () => received >= schedule.sent, progress: () => received, idleMs: 10_000 })
  clearInterval(sampler)
  sample()
  const cpu = process.cpuUsage(cpuStart)
  const wallMs = performance.now() - t0
  await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())])
  return {
    client: p.client,
    readyMs,
    scheduled: total,
    sent: schedule.sent,
    acked,
    received,
    missing: schedule.sent - received,
    duplicates,
    sendErrors,
    firstError,
    drained,
    overloaded: schedule.stoppedEarly ? `stopped after ${schedule.sent} of ${total} records: more than ${p.maxOutstanding} sends unacknowledged` : null,
    latency: { meanMs: received ? latencySumMs / received : null, maxMs: maxLatencyMs, over1s },
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
    settings: client.settings,
    samples,
  }
}

const payloadForChild = childPayload()
if (payloadForChild) {
  finishChild(await memoryChild(payloadForChild))
} else {
  await main()
}

// ---------------------------------------------------------------------------------------------------------------
// Parent.

function mean(values) {
  return values.length ? values.reduce((a, v) => a + v, 0) / values.length : null
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length
  if (n < 2) return null
  const mx = mean(points.map(([x]) => x))
  const my = mean(points.map(([, y]) => y))
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? null : num / den
}

/** Per metric: mean, max, growth after the warm-up (the first 20 % of the run). */
function analyze(samples, durationS) {
  const warmupEndS = durationS * 0.2
  const post = samples.filter((s) => s.t >= warmupEndS && s.t <= durationS)
  const windowS = Math.min(60, (durationS - warmupEndS) / 2)
  const first = post.filter((s) => s.t < warmupEndS + windowS)
  const last = post.filter((s) => s.t > durationS - windowS)
  const figures = {}
  for (const metric of METRICS) {
    const values = post.map((s) => s[metric])
    figures[metric] = {
      mean: mean(values),
      max: values.length ? Math.max(...values) : null,
      slopeMiBPerMin: slope(post.map((s) => [s.t / 60, s[metric]])),
      lastMinusFirstMiB: first.length && last.length ? mean(last.map((s) => s[metric])) - mean(first.map((s) => s[metric])) : null,
    }
  }
  return { warmupEndS, windowS, postSamples: post.length, figures }
}

async function main() {
  const quick = flag('quick')
  const rate = numberOption('rate', 5000)
  const size = numberOption('size', 1024)
  if (!(size >= HEAD_BYTES)) {
    log(`--size must be at least ${HEAD_BYTES} bytes: each value carries its send times`)
    process.exit(2)
  }
  const durationS = numberOption('duration', quick ? 60 : 600)
  const partitions = numberOption('partitions', 6)
  const clients = listOption('clients', ['samsa', 'kafkajs', 'platformatic'])
  const sequential = flag('sequential')
  const maxOutstanding = numberOption('max-outstanding', 100_000)
  const perRecord = flag('per-record')
  const markdown = flag('markdown')

  const { dir: samsaDir, stale } = snapshotDist({ label: 'memory', build: flag('build') ? 'always' : 'missing', log })
  const broker = await useBroker({ name: 'bench-memory', keep: flag('keep-broker'), log })
  log(`broker ${broker.brokers} (${broker.origin})`)
  const versions = await clientVersions(broker.kafkaVersion)
  const machineBefore = machineInfo()
  const started = new Date()
  const topics = Object.fromEntries(clients.map((c) => [c, uniqueTopicName('bench-memory', c)]))
  const results = []
  try {
    await createTopics(samsaDir, broker.brokers, clients.map((c) => ({ name: topics[c], partitions })))
    const run = async (client) => {
      try {
        const r = await runChild(SCRIPT, { client, brokers: broker.brokers, topic: topics[client], partitions, rate, size, durationS, maxOutstanding, perRecord, samsaDir }, { timeoutMs: (durationS + 300) * 1000 })
        const last = r.samples[r.samples.length - 1]
        log(`${client}: ${formatNumber(r.received)} of ${formatNumber(r.sent)} records consumed, missing ${r.missing}, rss ${last?.rss} MiB, heapUsed ${last?.heapUsed} MiB at the end${r.overloaded ? ` (${r.overloaded})` : ''}`)
        return r
      } catch (error) {
        log(`${client}: FAILED ${error.message}`)
        return { client, error: error.message }
      }
    }
    if (sequential) for (const client of clients) results.push(await run(client))
    else results.push(...(await Promise.all(clients.map(run))))
    await deleteTopics(samsaDir, broker.brokers, Object.values(topics))
  } finally {
    await broker.release()
  }
  const machineAfter = machineInfo()

  for (const r of results) if (!r.error) r.analysis = analyze(r.samples, durationS)
  const f1 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1))
  const signed = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`)
  const columns = ['client', 'consumed / sent', 'rss mean / max MiB', 'heapUsed mean / max MiB', 'heapTotal max MiB', 'external max MiB', 'arrayBuffers max MiB', 'rss slope MiB/min', 'heapUsed slope MiB/min', 'rss last − first min MiB', 'heapUsed last − first min MiB']
  const rows = results.map((r) => {
    if (r.error) return [r.client, 'failed', ...columns.slice(2).map(() => '–')]
    const f = r.analysis.figures
    return [
      r.client,
      `${formatNumber(r.received)} / ${formatNumber(r.sent)}`,
      `${f1(f.rss.mean)} / ${f1(f.rss.max)}`,
      `${f1(f.heapUsed.mean)} / ${f1(f.heapUsed.max)}`,
      f1(f.heapTotal.max),
      f1(f.external.max),
      f1(f.arrayBuffers.max),
      signed(f.rss.slopeMiBPerMin),
      signed(f.heapUsed.slopeMiBPerMin),
      signed(f.rss.lastMinusFirstMiB),
      signed(f.heapUsed.lastMinusFirstMiB),
    ]
  })
  const samsa = results.find((r) => r.client === 'samsa' && !r.error)
  let samsaBounds = null
  if (samsa) {
    const { bufferMemory } = samsa.settings.producer
    const { fetchMaxBytes, maxPartitionFetchBytes } = samsa.settings.consumer
    const boundMiB = (bufferMemory + 2 * fetchMaxBytes) / MiB
    const maxArrayBuffers = samsa.analysis.figures.arrayBuffers.max
    const maxExternal = samsa.analysis.figures.external.max
    samsaBounds = { bufferMemory, fetchMaxBytes, maxPartitionFetchBytes, boundMiB, maxArrayBuffersMiB: maxArrayBuffers, maxExternalMiB: maxExternal, underBound: maxExternal <= boundMiB }
  }
  const warmupEndS = durationS * 0.2
  const settingsNote = (r) => (r.error ? null : `${r.client}: producer ${Object.entries(r.settings.producer).map(([k, v]) => `${k} ${v}`).join(', ')}; consumer ${Object.entries(r.settings.consumer).map(([k, v]) => `${k} ${v}`).join(', ')}; delivery latency mean ${f1(r.latency.meanMs)} ms, max ${f1(r.latency.maxMs)} ms; CPU ${r.cpuPercent}% of one core`)
  const tables = [
    {
      id: 'memory-steady',
      title: `Memory while producing and consuming ${formatNumber(rate)} msg/s × ${formatNumber(size)} B (acks=all) for ${durationS} s${sequential ? '' : ', all clients at once'}`,
      columns,
      rows,
      notes: [
        `process.memoryUsage() once a second in each client's own process; figures after the warm-up (the first ${warmupEndS} s, 20 % of the run). Slope: least squares over the post-warm-up samples. last − first min: mean of the last ${Math.round(Math.min(60, (durationS - warmupEndS) / 2))} s minus mean of the first ${Math.round(Math.min(60, (durationS - warmupEndS) / 2))} s after the warm-up. MiB = 2^20 bytes.`,
        `Open-loop schedule: a 1 ms timer sends the records due, ${perRecord ? 'one record per send() call' : `all those due in one send() call (≈ ${formatNumber(rate / 1000)} records per call at ${formatNumber(rate)} msg/s; at most 100 per call after a late tick)`}; each client with its default producer and consumer settings (acks=all given); a fresh group from the latest offset, ready once a probe from every partition came back.`,
        ...results.map(settingsNote).filter(Boolean),
        ...(samsaBounds
          ? [`samsa bounds: bufferMemory ${formatNumber(samsaBounds.bufferMemory / MiB)} MiB + 2 × fetchMaxBytes ${formatNumber(samsaBounds.fetchMaxBytes / MiB)} MiB (maxPartitionFetchBytes ${formatNumber(samsaBounds.maxPartitionFetchBytes / MiB)} MiB) = ${formatNumber(samsaBounds.boundMiB)} MiB of record buffers at most; largest external ${f1(samsaBounds.maxExternalMiB)} MiB (arrayBuffers ${f1(samsaBounds.maxArrayBuffersMiB)} MiB): ${samsaBounds.underBound ? 'under the bound' : 'OVER the bound'}.`]
          : []),
      ],
    },
  ]
  const seriesFor = (metric) => results.filter((r) => !r.error).map((r) => ({ name: r.client, points: r.samples.map((s) => [s.t, s[metric]]) }))
  const charts = [
    { id: 'memory-rss', title: 'RSS over time', x: { label: 'time (s)', scale: 'linear' }, y: { label: 'MiB', scale: 'linear' }, series: seriesFor('rss') },
    { id: 'memory-heap', title: 'heapUsed over time', x: { label: 'time (s)', scale: 'linear' }, y: { label: 'MiB', scale: 'linear' }, series: seriesFor('heapUsed') },
  ]

  process.stdout.write(`\n${formatTable(columns, rows, { markdown })}\n\n${tables[0].notes.slice(-1)[0] ?? ''}\n`)
  process.stdout.write(`load average before ${machineBefore.loadAverage.join(' ')}, after ${machineAfter.loadAverage.join(' ')}\n`)

  const report = benchReport({
    bench: 'memory',
    startedAt: started,
    machine: machineAfter,
    machineBefore,
    versions,
    settings: { rate, valueBytes: size, durationS, warmupS: warmupEndS, partitions, acks: 'all', concurrent: !sequential, sendCall: perRecord ? 'one record per send()' : 'the records due in each 1 ms tick in one send()', maxOutstanding, clients, distOlderThanSrc: stale, broker: broker.origin, ...(samsaBounds ? { samsaBounds } : {}) },
    results,
    tables,
    charts,
  })
  const jsonOut = option('json', null)
  if (jsonOut) {
    writeFileSync(jsonOut, `${toJson(report, 2)}\n`)
    log(`report in ${jsonOut}`)
  }
}
