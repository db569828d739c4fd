// End-to-end latency benchmark (issue #18, goal 3): produce → consume latency at fixed rates for samsa, KafkaJS,
// @platformatic/kafka and the Java client, plus a sequential (one message in flight) comparison with Kafka's own
// EndToEndLatency tool.
//
//   npm run bench:latency -- [--rates 1000,10000,50000] [--duration 20] [--warmup 2] [--partitions 6] [--size 100]
//       [--clients samsa,kafkajs,platformatic,java] [--max-wait 100] [--drain 10] [--max-outstanding 100000]
//       [--sequential-records 10000] [--no-sequential] [--broker-warmup 30] [--quick] [--json out.json] [--markdown]
//       [--keep-broker] [--build]
//   --quick: 5 s per rate, rates 1000,10000, 1 000 sequential records, 10 s broker warm-up.
//   --broker-warmup: seconds of unreported samsa traffic (10 000 msg/s, a group consumer) before the first row, so
//   every client meets a warm broker (default 30; 0 skips it).
//
// Uses the cluster in KAFKA_BROKERS, else a harness instance named "bench-latency" (started, and stopped afterwards
// unless --keep-broker). samsa is measured from the built package (dist/, see lib/samsa.mjs).
//
// Fixed-rate rows: each client × rate runs in a process of its own (the Java row in a JVM of its own: the small
// program scripts/bench/java/RateLatency.java, compiled here against the pinned kafka-clients jars), on a fresh
// topic of --partitions partitions, with a producer AND a group consumer of that topic in the same process, so one
// clock stamps both ends:
//   1. ready: the consumer subscribes (fresh group, from the latest offset); a probe record goes to every partition
//      every 250 ms until each partition has delivered one — the assignment is done and fetches are running;
//   2. open-loop schedule: record i is due at start + i / rate; a timer wakes every millisecond and sends everything
//      due, one record per send() call (the application's view: no batching by the benchmark). The send times come
//      from the schedule, never from the previous acknowledgement, so a client that stalls cannot hide it
//      (no coordinated omission);
//   3. each record's value (--size bytes) starts with its scheduled send time and the time of its send() call
//      (lib/e2e.mjs); the consumer computes latency = receive time − scheduled time, and also receive time − send()
//      time (the client's own part, without the schedule's lag). The first --warmup seconds are not counted;
//   4. drain: until every record sent has arrived, or nothing new came for --drain seconds (the rest is "missing").
//      A client with more than --max-outstanding unacknowledged sends is stopped (reported as overloaded).
// Reported: p50/p99/p99.9/max over all measured samples (sorted, nearest rank), the delivered rate (measured records
// received ÷ time from the first measured record's scheduled time to the last arrival), records and missing, and for
// Node clients the event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) from the measured window's
// start until the last record arrived.
// Settings: acks=all everywhere; samsa lingerMs 0 (idempotent by default), Java linger.ms 0 (idempotent by
// default), KafkaJS and platformatic defaults (one Produce request per send, not idempotent); consumer max wait
// --max-wait ms for all four (samsa fetchMaxWaitMs, KafkaJS maxWaitTimeInMs, platformatic maxWaitTime, Java
// fetch.max.wait.ms), auto-commit off.
//
// Sequential rows: Kafka's EndToEndLatency tool (send one record, wait for its acknowledgement, poll it, next; a
// 1-partition topic; consumer fetch.max.wait.ms 0; it prints whole milliseconds) and samsa doing the same (send
// one, wait until it is both acknowledged and consumed, next) on a 1-partition topic.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { flag, listOption, numberOption, option } from './lib/args.mjs'
import { useBroker } from './lib/broker.mjs'
import { childPayload, finishChild, runChild, toJson } from './lib/child.mjs'
import { HEAD_BYTES, MEASURED, PROBE, WARMUP, drain, filler, openClient, percentile, runSchedule, stampedValue, waitUntilReady } from './lib/e2e.mjs'
import { compileBenchJava, runBenchJava, runKafkaTool } from './lib/java.mjs'
import { benchReport, formatNumber, formatTable, machineInfo } from './lib/report.mjs'
import { clientVersions, repoRoot, snapshotDist } from './lib/samsa.mjs'
import { createTopics, deleteTopics, uniqueTopicName } from './lib/topics.mjs'

const SCRIPT = fileURLToPath(import.meta.url)
const log = (line) => process.stderr.write(`[bench latency] ${line}\n`)

// ---------------------------------------------------------------------------------------------------------------
// Child: one client at one rate, or samsa's sequential run.

function summarize(sorted) {
  let sum = 0
  for (const v of sorted) sum += v
  return {
    meanMs: sorted.length ? sum / sorted.length : null,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted.length ? sorted[sorted.length - 1] : null,
  }
}

/** p50/p99 of the part of each latency after the send() call (the schedule's lag is the rest). */
function splitSummary(samples) {
  const sorted = Float64Array.from(samples).sort()
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) }
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms).unref())])
}

async function rateChild(p) {
  const fill = filler(p.size)
  const warmupCount = Math.round(p.rate * p.warmupS)
  const measuredCount = Math.round(p.rate * p.durationS)
  const total = warmupCount + measuredCount
  const latencies = new Float64Array(measuredCount)
  const fromSend = new Float64Array(measuredCount)
  const seen = new Uint8Array(total)
  const probed = new Uint8Array(p.partitions)
  let received = 0
  let duplicates = 0
  let lastMeasuredReceive = 0
  const onMessage = (value, partition) => {
    const now = performance.now()
    const phase = value[12]
    if (phase === PROBE) {
      probed[partition] = 1
      return
    }
    const seq = value.readUInt32BE(8)
    if (seen[seq]) {
      duplicates++
      return
    }
    seen[seq] = 1
    received++
    if (phase === MEASURED) {
      latencies[seq - warmupCount] = now - value.readDoubleBE(0)
      fromSend[seq - warmupCount] = now - value.readDoubleBE(13)
      lastMeasuredReceive = now
    }
  }
  const client = await openClient(p.client, { brokers: p.brokers, topic: p.topic, groupId: `bench-latency-${p.client}-${process.pid}-${Date.now()}`, samsaDir: p.samsaDir, profile: 'latency', fetchMaxWaitMs: p.fetchMaxWaitMs, onMessage })
  const readyMs = await waitUntilReady({ send: client.send, filler: fill, partitions: p.partitions, probed })

  const delay = monitorEventLoopDelay({ resolution: 1 })
  let issued = 0
  let acked = 0
  let sendErrors = 0
  let firstError = null
  let cpuStart = null
  let measuredStartedAt = 0
  const schedule = await runSchedule({
    rate: p.rate,
    total,
    onDue: (seq, scheduledMs) => {
      if (seq === warmupCount) {
        delay.enable()
        cpuStart = process.cpuUsage()
        measuredStartedAt = performance.now()
      }
      issued++
      client.send(stampedValue(fill, scheduledMs, seq, seq < warmupCount ? WARMUP : MEASURED)).then(
        () => acked++,
        (error) => {
          sendErrors++
          firstError ??= error.message
        },
      )
    },
    shouldStop: () => issued - acked - sendErrors > p.maxOutstanding,
  })
  // Until every record has arrived: a client whose event loop is saturated may send the whole measured window in
  // one late tick, and only the drain shows how long its turns are.
  const drained = await drain({ done: () => received >= schedule.sent, progress: () => received, idleMs: p.drainS * 1000 })
  delay.disable()
  const cpu = cpuStart ? process.cpuUsage(cpuStart) : null
  const measuredWallMs = measuredStartedAt ? performance.now() - measuredStartedAt : 0
  await withTimeout(client.close(), 15_000)

  const samples = []
  const fromSendSamples = []
  for (let seq = warmupCount; seq < schedule.sent; seq++) {
    if (!seen[seq]) continue
    samples.push(latencies[seq - warmupCount])
    fromSendSamples.push(fromSend[seq - warmupCount])
  }
  const sorted = Float64Array.from(samples).sort()
  const measuredStart = schedule.start + (warmupCount * 1000) / p.rate
  return {
    client: p.client,
    rate: p.rate,
    readyMs,
    sent: schedule.sent,
    scheduled: total,
    measured: measuredCount,
    received,
    measuredReceived: sorted.length,
    missing: schedule.sent - received,
    notSent: total - schedule.sent,
    overloaded: schedule.stoppedEarly ? `stopped after ${schedule.sent} of ${total} records: more than ${p.maxOutstanding} sends unacknowledged` : null,
    drained,
    duplicates,
    sendErrors,
    firstError,
    achievedRate: lastMeasuredReceive > measuredStart ? sorted.length / ((lastMeasuredReceive - measuredStart) / 1000) : null,
    ...summarize(sorted),
    fromSend: splitSummary(fromSendSamples),
    longestTickGapMs: schedule.longestTickGapMs,
    mostDueInOneTick: schedule.mostDueInOneTick,
    eventLoopDelayP99Ms: delay.count ? delay.percentile(99) / 1e6 : null,
    eventLoopDelayMaxMs: delay.count ? delay.max / 1e6 : null,
    cpuPercent: cpu ? Math.round(((cpu.user + cpu.system) / 1000 / measuredWallMs) * 100) : null,
    settings: client.settings,
  }
}

async function sequentialChild(p) {
  const fill = filler(p.size)
  const probed = new Uint8Array(1)
  let waiting = null
  const onMessage = (value) => {
    if (value[12] === PROBE) {
      probed[0] = 1
      return
    }
    if (waiting && value.readUInt32BE(8) === waiting.seq) waiting.resolve()
  }
  const client = await openClient('samsa', { brokers: p.brokers, topic: p.topic, groupId: `bench-latency-seq-${process.pid}-${Date.now()}`, samsaDir: p.samsaDir, profile: 'latency', fetchMaxWaitMs: p.fetchMaxWaitMs, onMessage })
  const readyMs = await waitUntilReady({ send: client.send, filler: fill, partitions: 1, probed })
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const latencies = new Float64Array(p.records)
  for (let seq = 0; seq < p.records; seq++) {
    const begin = performance.now()
    const consumed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`record ${seq} not consumed within 60 s`)), 60_000)
      waiting = { seq, resolve: () => (clearTimeout(timer), resolve()) }
    })
    await Promise.all([client.send(stampedValue(fill, begin, seq, MEASURED)), consumed])
    latencies[seq] = performance.now() - begin
  }
  delay.disable()
  await withTimeout(client.close(), 15_000)
  // Also the tool's own arithmetic (whole milliseconds, truncated; index floor(n × p) of the sorted array), so the
  // two rows can be compared on the tool's terms too.
  const wholeMs = Float64Array.from(latencies, (v) => Math.floor(v)).sort()
  const toolStyle = (q) => wholeMs[Math.floor(wholeMs.length * q)]
  return {
    client: 'samsa (sequential)',
    readyMs,
    records: p.records,
    ...summarize(Float64Array.from(latencies).sort()),
    toolArithmetic: { p50Ms: toolStyle(0.5), p99Ms: toolStyle(0.99), p999Ms: toolStyle(0.999) },
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
    settings: client.settings,
  }
}

const payloadForChild = childPayload()
if (payloadForChild) {
  finishChild(payloadForChild.mode === 'sequential' ? await sequentialChild(payloadForChild) : await rateChild(payloadForChild))
} else {
  await main()
}

// ---------------------------------------------------------------------------------------------------------------
// Parent.

/** ms with 2 decimals under 10, 1 under 100, none above. */
function ms(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)
}

function lastJsonLine(stdout) {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'))
  if (!line) throw new Error(`no JSON result in:\n${stdout.slice(-1000)}`)
  return JSON.parse(line)
}

/** EndToEndLatency prints "Avg latency: 1.2345 ms" and "Percentiles: 50th = 1, 99th = 3, 99.9th = 7". */
function parseEndToEndLatency(stdout) {
  const avg = /Avg latency: ([0-9.]+) ms/.exec(stdout)
  const pct = /Percentiles: 50th = ([0-9]+), 99th = ([0-9]+), 99\.9th = ([0-9]+)/.exec(stdout)
  if (!avg || !pct) throw new Error(`unexpected EndToEndLatency output:\n${stdout.slice(-1000)}`)
  return { meanMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]), maxMs: null }
}

async function main() {
  const quick = flag('quick')
  const rates = listOption('rates', quick ? ['1000', '10000'] : ['1000', '10000', '50000']).map(Number)
  const durationS = numberOption('duration', quick ? 5 : 20)
  const warmupS = numberOption('warmup', 2)
  const partitions = numberOption('partitions', 6)
  const size = numberOption('size', 100)
  if (!(size >= HEAD_BYTES)) {
    log(`--size must be at least ${HEAD_BYTES} bytes: each value carries its scheduled and send() times`)
    process.exit(2)
  }
  const clients = listOption('clients', ['samsa', 'kafkajs', 'platformatic', 'java'])
  const fetchMaxWaitMs = numberOption('max-wait', 100)
  const drainS = numberOption('drain', 10)
  const maxOutstanding = numberOption('max-outstanding', 100_000)
  const sequentialRecords = numberOption('sequential-records', quick ? 1000 : 10_000)
  const sequential = !flag('no-sequential')
  const brokerWarmupS = numberOption('broker-warmup', quick ? 10 : 30)
  const markdown = flag('markdown')

  const { dir: samsaDir, stale } = snapshotDist({ label: 'latency', build: flag('build') ? 'always' : 'missing', log })
  const javaClasspath = clients.includes('java') ? compileBenchJava([join(repoRoot, 'scripts', 'bench', 'java', 'RateLatency.java')]) : null
  const broker = await useBroker({ name: 'bench-latency', keep: flag('keep-broker'), log })
  log(`broker ${broker.brokers} (${broker.origin})`)
  const versions = await clientVersions(broker.kafkaVersion)
  const machineBefore = machineInfo()
  const started = new Date()
  const results = []
  const sequentialResults = []
  try {
    if (brokerWarmupS > 0) {
      // A broker fresh from start-up is slow for a while (JIT, and the first group creates and loads
      // __consumer_offsets): here the first clients measured on a fresh broker saw p50 8–20 ms at 1 000 msg/s (one
      // platformatic run 1 s), against ~1.5 ms for the same clients later in the same run.
      const topic = uniqueTopicName('bench-latency-warmup')
      await createTopics(samsaDir, broker.brokers, [{ name: topic, partitions }])
      const r = await runChild(SCRIPT, { mode: 'rate', client: 'samsa', brokers: broker.brokers, topic, partitions, rate: 10_000, warmupS: 0, durationS: brokerWarmupS, size, fetchMaxWaitMs, drainS, maxOutstanding, samsaDir }, { timeoutMs: (brokerWarmupS + 240) * 1000 })
      log(`broker warm-up (samsa at 10 000 msg/s for ${brokerWarmupS} s, not reported): p50 ${ms(r.p50Ms)} p99 ${ms(r.p99Ms)} ms`)
      await deleteTopics(samsaDir, broker.brokers, [topic])
    }
    for (const [index, rate] of rates.entries()) {
      // Rotate the order from rate to rate, so no client is always first (or always after the same neighbour).
      const order = clients.map((_, i) => clients[(i + index) % clients.length])
      const topics = Object.fromEntries(order.map((c) => [c, uniqueTopicName('bench-latency', c, rate)]))
      await createTopics(samsaDir, broker.brokers, order.map((c) => ({ name: topics[c], partitions })))
      for (const client of order) {
        const common = { client, brokers: broker.brokers, topic: topics[client], partitions, rate, warmupS, durationS, size, fetchMaxWaitMs, drainS, maxOutstanding, samsaDir }
        const timeoutMs = (warmupS + durationS + drainS + 240) * 1000
        let result
        try {
          if (client === 'java') {
            const stdout = await runBenchJava(javaClasspath, 'RateLatency', [broker.brokers, topics[client], partitions, rate, warmupS, durationS, size, fetchMaxWaitMs, drainS].map(String), { timeoutMs })
            result = { ...lastJsonLine(stdout), rate, settings: { producer: { acks: 'all', idempotent: 'true (default)', lingerMs: 0 }, consumer: { api: 'poll(100 ms) on its own thread', fetchMaxWaitMs, enableAutoCommit: false, groupProtocol: 'classic (default)' } } }
          } else result = await runChild(SCRIPT, { mode: 'rate', ...common }, { timeoutMs })
        } catch (error) {
          log(`${client} at ${rate} msg/s: FAILED ${error.message}`)
          results.push({ client, rate, error: error.message })
          continue
        }
        results.push(result)
        log(`${client.padEnd(12)} ${String(rate).padStart(6)} msg/s: delivered ${formatNumber(result.achievedRate)} msg/s, p50 ${ms(result.p50Ms)} p99 ${ms(result.p99Ms)} p99.9 ${ms(result.p999Ms)} max ${ms(result.maxMs)} ms (after send() p50 ${ms(result.fromSend?.p50Ms)} p99 ${ms(result.fromSend?.p99Ms)}), missing ${result.missing}${result.overloaded ? ` (${result.overloaded})` : ''}${result.eventLoopDelayMaxMs != null ? `, event loop p99 ${ms(result.eventLoopDelayP99Ms)} max ${ms(result.eventLoopDelayMaxMs)} ms, cpu ${result.cpuPercent}%, longest timer gap ${ms(result.longestTickGapMs)} ms (${result.mostDueInOneTick} records due in one tick)` : ''}`)
      }
      await deleteTopics(samsaDir, broker.brokers, Object.values(topics))
    }
    if (sequential) {
      const seqTopics = { samsa: uniqueTopicName('bench-latency-seq', 'samsa'), java: uniqueTopicName('bench-latency-seq', 'java') }
      await createTopics(samsaDir, broker.brokers, Object.values(seqTopics).map((name) => ({ name, partitions: 1 })))
      try {
        const r = await runChild(SCRIPT, { mode: 'sequential', brokers: broker.brokers, topic: seqTopics.samsa, size, records: sequentialRecords, fetchMaxWaitMs, samsaDir }, { timeoutMs: 900_000 })
        sequentialResults.push(r)
        log(`samsa (sequential): mean ${ms(r.meanMs)} p50 ${ms(r.p50Ms)} p99 ${ms(r.p99Ms)} p99.9 ${ms(r.p999Ms)} max ${ms(r.maxMs)} ms`)
      } catch (error) {
        log(`samsa (sequential): FAILED ${error.message}`)
        sequentialResults.push({ client: 'samsa (sequential)', error: error.message })
      }
      try {
        const stdout = await runKafkaTool('EndToEndLatency', ['--bootstrap-server', broker.brokers, '--topic', seqTopics.java, '--num-records', String(sequentialRecords), '--producer-acks', 'all', '--record-size', String(size)], { timeoutMs: 900_000 })
        const r = { client: 'java EndToEndLatency (sequential)', records: sequentialRecords, ...parseEndToEndLatency(stdout), settings: { producer: { acks: 'all', lingerMs: 0 }, consumer: { assign: 'all partitions, from the end', fetchMaxWaitMs: 0 } } }
        sequentialResults.push(r)
        log(`java EndToEndLatency: mean ${ms(r.meanMs)} p50 ${r.p50Ms} p99 ${r.p99Ms} p99.9 ${r.p999Ms} ms (whole ms)`)
      } catch (error) {
        log(`java EndToEndLatency: FAILED ${error.message}`)
        sequentialResults.push({ client: 'java EndToEndLatency (sequential)', error: error.message })
      }
      await deleteTopics(samsaDir, broker.brokers, Object.values(seqTopics))
    }
  } finally {
    await broker.release()
  }
  const machineAfter = machineInfo()

  const rateRows = []
  for (const rate of rates) {
    for (const client of clients) {
      const r = results.find((x) => x.client === client && x.rate === rate)
      if (!r) continue
      if (r.error) {
        rateRows.push([client, formatNumber(rate), 'failed', '–', '–', '–', '–', '–', '–', '–', '–'])
        continue
      }
      rateRows.push([
        client,
        formatNumber(rate),
        formatNumber(r.achievedRate),
        ms(r.p50Ms),
        ms(r.p99Ms),
        ms(r.p999Ms),
        ms(r.maxMs),
        r.fromSend ? `${ms(r.fromSend.p50Ms)} / ${ms(r.fromSend.p99Ms)}` : '–',
        `${formatNumber(r.received)} / ${formatNumber(r.sent)}${r.notSent ? ` (${formatNumber(r.notSent)} not sent)` : ''}`,
        formatNumber(r.missing),
        r.eventLoopDelayMaxMs == null ? '–' : `${ms(r.eventLoopDelayP99Ms)} / ${ms(r.eventLoopDelayMaxMs)}`,
      ])
    }
  }
  const rateColumns = ['client', 'rate (msg/s)', 'delivered (msg/s)', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'after send() p50 / p99 ms', 'records received / sent', 'missing', 'event loop p99 / max ms']
  const seqColumns = ['client', 'records', 'mean ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms']
  const seqRows = sequentialResults.map((r) =>
    r.error
      ? [r.client, 'failed', '–', '–', '–', '–', '–']
      : r.client.startsWith('java')
        ? [r.client, formatNumber(r.records), ms(r.meanMs), String(r.p50Ms), String(r.p99Ms), String(r.p999Ms), '–']
        : [r.client, formatNumber(r.records), ms(r.meanMs), `${ms(r.p50Ms)} (${r.toolArithmetic.p50Ms})`, `${ms(r.p99Ms)} (${r.toolArithmetic.p99Ms})`, `${ms(r.p999Ms)} (${r.toolArithmetic.p999Ms})`, ms(r.maxMs)],
  )
  const settingsNote = (client) => {
    const r = results.find((x) => x.client === client && x.settings)
    if (!r) return null
    const { producer, consumer } = r.settings
    return `${client}: producer ${Object.entries(producer).map(([k, v]) => `${k} ${v}`).join(', ')}; consumer ${Object.entries(consumer).map(([k, v]) => `${k} ${v}`).join(', ')}`
  }
  const tables = [
    {
      id: 'latency-rates',
      title: `Produce → consume latency at fixed rates (${size} B values, acks=all, ${partitions} partitions, ${durationS} s per rate after ${warmupS} s warm-up)`,
      columns: rateColumns,
      rows: rateRows,
      notes: [
        'One process per client and rate, producing and consuming the same fresh topic (one clock). Open-loop schedule: record i is sent at start + i/rate whatever happened to the previous ones (a 1 ms timer sends everything due), one record per send() call; latency = receive time − scheduled send time, so a stall counts against every record it delays.',
        "after send(): the same records' latency from the moment the value was handed to send() (stamped in the value too), i.e. without the schedule's lag (the benchmark's 1 ms timer waking late, a busy event loop): what the client itself took from send() to delivery.",
        'Percentiles by nearest rank over every measured record (the warm-up records are not counted). delivered = measured records received ÷ (last arrival − first measured scheduled time). missing = sent but not received when the drain gave up (no record for ' + drainS + ' s). "not sent": the client had more than ' + formatNumber(maxOutstanding) + ' sends unacknowledged and was stopped. A client that cannot keep up shows latencies that grow with the run length.',
        ...(brokerWarmupS > 0 ? [`Before the first row, samsa ran ${brokerWarmupS} s at 10 000 msg/s on a throwaway topic to warm up the broker (not reported).`] : []),
        ...clients.map(settingsNote).filter(Boolean),
        'Event loop: perf_hooks.monitorEventLoopDelay (1 ms resolution) from the start of the measured window until the last record arrived, Node clients only.',
      ],
    },
  ]
  if (sequentialResults.length) {
    tables.push({
      id: 'latency-sequential',
      title: `Sequential produce → consume latency, one record in flight (${size} B, acks=all, 1 partition)`,
      columns: seqColumns,
      rows: seqRows,
      notes: [
        "java EndToEndLatency: Kafka's own tool (org.apache.kafka.tools.EndToEndLatency, kafka-tools " + versions.kafka + '): send().get(), then poll() with fetch.max.wait.ms 0; it prints its mean in ms and its percentiles in whole milliseconds (truncated), index floor(n × p) of the sorted array, no maximum; no warm-up.',
        `samsa (sequential): send one record, wait until it is both acknowledged and consumed (for await, fetchMaxWaitMs ${fetchMaxWaitMs}), then the next; no warm-up either. In parentheses: the same samples in the tool's arithmetic (whole ms, floor(n × p)).`,
      ],
    })
  }
  const charts = [
    {
      id: 'latency-percentiles',
      title: 'Produce → consume latency by rate',
      x: { label: 'rate (msg/s)', scale: 'log' },
      y: { label: 'ms', scale: 'log' },
      series: clients.flatMap((client) =>
        [['p50', 'p50Ms'], ['p99', 'p99Ms'], ['p99.9', 'p999Ms']].map(([name, key]) => ({
          name: `${client} ${name}`,
          points: rates.map((rate) => results.find((r) => r.client === client && r.rate === rate && !r.error)).filter((r) => r && r[key] != null).map((r) => [r.rate, Number(r[key].toFixed(3))]),
        })),
      ),
    },
  ]

  process.stdout.write(`\n${formatTable(rateColumns, rateRows, { markdown })}\n\n`)
  if (seqRows.length) process.stdout.write(`${formatTable(seqColumns, seqRows, { markdown })}\n\n`)
  process.stdout.write(`load average before ${machineBefore.loadAverage.join(' ')}, after ${machineAfter.loadAverage.join(' ')}\n`)

  const report = benchReport({
    bench: 'latency',
    startedAt: started,
    machine: machineAfter,
    machineBefore,
    versions,
    settings: { rates, durationS, warmupS, brokerWarmupS, partitions, valueBytes: size, acks: 'all', fetchMaxWaitMs, drainS, maxOutstanding, sequentialRecords, clients, distOlderThanSrc: stale, broker: broker.origin },
    results: [...results, ...sequentialResults.map((r) => ({ mode: 'sequential', ...r }))],
    tables,
    charts,
  })
  const jsonOut = option('json', null)
  if (jsonOut) {
    writeFileSync(jsonOut, `${toJson(report, 2)}\n`)
    log(`report in ${jsonOut}`)
  }
}
