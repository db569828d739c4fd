// Scale benchmark (issue #18, goal 5): how samsa's costs grow with the partition count, side by side with KafkaJS
// and @platformatic/kafka in the same run, on the same broker.
//
//   node scripts/bench/scale.mjs [--partitions 1,100,1000,10000] [--records 200000] [--per-topic N]
//       [--clients samsa,kafkajs,platformatic] [--consumers 3] [--size 100] [--quick] [--json out.json] [--markdown]
//       [--build] [--baseline <git rev>] [--keep-broker] [--timeout-s 600] [--shared-topics]
//   --quick: partitions 1,100,1000 and 50 000 records.
//   --per-topic N: several topics of at most N partitions each, summing to the partition count (default: one topic).
//   --baseline: also runs samsa built from that revision (as samsa@base): before/after figures from one run.
//   --shared-topics: one set of topics per size for all clients (see main(); needed for 10 000 partitions here).
//
// Per partition count and client, in a child process of its own (so memory figures are that client's alone), on
// fresh topics:
//   1. start-up: from creating the client to its first metadata covering every partition;
//   2. produce: `--records` records of `--size` bytes spread evenly over every partition (explicit partition,
//      record i to partition i mod P), in sends of 1 000 records with 8 sends in flight, acks=all;
//   3. consume: a group of `--consumers` consumers in the same process subscribes from the earliest offset: the
//      time until the group's assignment covers every partition exactly once, and the throughput from the first
//      record to the last of all `--records` (auto-commit off);
//   4. memory: RSS and heap after consuming (after a full GC), with every client still open.
// Uses the cluster in KAFKA_BROKERS, else a harness instance named "bench" (started, and stopped afterwards unless
// --keep-broker). Each cell has a time limit (--timeout-s): a client that cannot finish is reported as such.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flag, listOption, numberOption, option } from './lib/args.mjs'
import { useBroker } from './lib/broker.mjs'
import { childPayload, finishChild, runChild } from './lib/child.mjs'
import { benchReport, formatNumber, formatTable, machineInfo, ratio, reportTable } from './lib/report.mjs'
import { importSnapshot, repoRoot, snapshotDist, snapshotRevision } from './lib/samsa.mjs'
import { createTopics, deleteTopics, uniqueTopicName } from './lib/topics.mjs'

const SCRIPT = fileURLToPath(import.meta.url)
const require = createRequire(join(repoRoot, 'package.json'))
const log = (line) => process.stderr.write(`[bench scale] ${line}\n`)

// ---------------------------------------------------------------------------------------------------------------
// Child: one client, one partition count.

/** Topic and partition of global partition g when topics hold `perTopic` partitions each. */
const placeOf = (topics, perTopic, g) => ({ topic: topics[Math.floor(g / perTopic)], partition: g % perTopic })

/** Calls `send(start, count)` for chunks of `total` records, `window` at a time; rejects on the first failure. */
async function pump(total, perSend, window, send) {
  let next = 0
  const worker = async () => {
    while (next < total) {
      const start = next
      const count = Math.min(perSend, total - start)
      next += count
      await send(start, count)
    }
  }
  await Promise.all(Array.from({ length: window }, worker))
}

/** Messages of one send grouped by topic: Map topic → [{ partition, value }]. */
function chunk(topics, perTopic, partitions, start, count, value) {
  const byTopic = new Map()
  for (let i = start; i < start + count; i++) {
    const { topic, partition } = placeOf(topics, perTopic, i % partitions)
    let list = byTopic.get(topic)
    if (!list) byTopic.set(topic, (list = []))
    list.push({ partition, value })
  }
  return byTopic
}

/** Resolves with ms since `since` once `covered()` says the group's assignment is complete; polls every 5 ms. */
function until(since, covered, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const timer = setInterval(() => {
      if (covered()) {
        clearInterval(timer)
        resolve(performance.now() - since)
      } else if (performance.now() - started > timeoutMs) {
        clearInterval(timer)
        reject(new Error(`${what}: not complete after ${timeoutMs} ms`))
      }
    }, 5)
  })
}

/** Whether the members' assignments (arrays of "topic:partition") cover `partitions` partitions exactly once. */
function coversExactly(assignments, partitions) {
  let total = 0
  const seen = new Set()
  for (const list of assignments) {
    total += list.length
    for (const key of list) seen.add(key)
  }
  return total === partitions && seen.size === partitions
}

function cpuMsSince(before) {
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / 1000
}

function memory() {
  globalThis.gc?.()
  const m = process.memoryUsage()
  return { rssMiB: +(m.rss / 2 ** 20).toFixed(1), heapUsedMiB: +(m.heapUsed / 2 ** 20).toFixed(1) }
}

/**
 * The produce phase, the same for every client: one record to every partition first (untimed: leaders and
 * connections warm), then `records` in sends of 1 000 records, 8 in flight, timed with the CPU it took.
 */
async function timedProduce(result, partitions, records, sendChunk) {
  const warmup = performance.now()
  await pump(partitions, 1000, 8, sendChunk)
  result.warmupMs = performance.now() - warmup
  const cpu = process.cpuUsage()
  const started = performance.now()
  await pump(records, 1000, 8, sendChunk)
  result.produceMs = performance.now() - started
  result.produceCpuMs = cpuMsSince(cpu)
}

async function runClientChild({ client: label, brokers, topics, perTopic, partitions, records, size, consumers, samsaDir, baselineDir, timeoutMs }) {
  const value = Buffer.alloc(size, 'x')
  const brokerList = brokers.split(',')
  const groupId = `bench-scale-${label.replace(/[^a-z0-9]/gi, '-')}-${process.pid}-${Date.now()}`
  const memoryBefore = memory()
  const cpuBefore = process.cpuUsage()
  // The warm-up writes one record to every partition before the timed produce: a partition's first append costs
  // the broker file work (and an fsync of its leader-epoch checkpoint) that has nothing to do with the client.
  const total = records + partitions
  let consumed = 0
  let first = 0
  let last = 0
  let resolveAll
  const allConsumed = new Promise((resolve) => (resolveAll = resolve))
  const got = () => {
    if (consumed === 0) first = performance.now()
    if (++consumed === total) {
      last = performance.now()
      resolveAll()
    }
  }
  const result = { client: label }
  const [client, build] = label.split('@')

  if (client === 'samsa') {
    const { Kafka } = await importSnapshot(build === 'base' ? baselineDir : samsaDir)
    let t0 = performance.now()
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench-scale', logger: false })
    await kafka.cluster.topics(topics)
    result.startupMs = performance.now() - t0
    const producer = kafka.producer({ acks: 'all' })
    const sendChunk = (start, count) =>
      Promise.all([...chunk(topics, perTopic, partitions, start, count, value)].map(([topic, messages]) => producer.send({ topic, messages })))
    await timedProduce(result, partitions, records, sendChunk)
    await producer.close()
    const members = Array.from({ length: consumers }, () => kafka.consumer({ groupId, autoOffsetReset: 'earliest', enableAutoCommit: false }))
    t0 = performance.now()
    const cpu = process.cpuUsage()
    for (const consumer of members) await consumer.subscribe(topics)
    const loops = members.map(async (consumer) => {
      for await (const message of consumer) {
        void message.value.length
        got()
        if (consumed >= total) break
      }
    })
    result.assignmentMs = await until(t0, () => coversExactly(members.map((c) => c.assignment().map((tp) => `${tp.topic}:${tp.partition}`)), partitions), timeoutMs, 'assignment')
    await allConsumed
    result.consumeCpuMs = cpuMsSince(cpu)
    result.consumeMs = last - first
    result.firstRecordMs = first - t0
    result.memory = memory()
    await Promise.race([Promise.all(members.map((c) => c.close())), new Promise((r) => setTimeout(r, 10_000))])
    void loops
    await kafka.close()
  } else if (client === 'kafkajs') {
    const { Kafka, logLevel } = require('kafkajs')
    let t0 = performance.now()
    const kafka = new Kafka({ brokers: brokerList, clientId: 'bench-scale', logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.fetchTopicMetadata({ topics })
    result.startupMs = performance.now() - t0
    await admin.disconnect()
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const sendChunk = (start, count) =>
      producer.sendBatch({ acks: -1, topicMessages: [...chunk(topics, perTopic, partitions, start, count, value)].map(([topic, messages]) => ({ topic, messages })) })
    await timedProduce(result, partitions, records, sendChunk)
    await producer.disconnect()
    const members = Array.from({ length: consumers }, () => kafka.consumer({ groupId }))
    const assigned = members.map(() => [])
    t0 = performance.now()
    const cpu = process.cpuUsage()
    for (const [i, consumer] of members.entries()) {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assigned[i] = Object.entries(event.payload.memberAssignment).flatMap(([topic, list]) => list.map((p) => `${topic}:${p}`))
      })
      await consumer.connect()
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
      void consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { void message.value.length; got() } })
    }
    result.assignmentMs = await until(t0, () => coversExactly(assigned, partitions), timeoutMs, 'assignment')
    await allConsumed
    result.consumeCpuMs = cpuMsSince(cpu)
    result.consumeMs = last - first
    result.firstRecordMs = first - t0
    result.memory = memory()
    await Promise.race([Promise.all(members.map((c) => c.disconnect())), new Promise((r) => setTimeout(r, 10_000))])
  } else if (client === 'platformatic') {
    const { Producer, Consumer, ProduceAcks, MessagesStreamModes } = require('@platformatic/kafka')
    let t0 = performance.now()
    const producer = new Producer({ clientId: 'bench-scale', bootstrapBrokers: brokerList, acks: ProduceAcks.ALL, autocreateTopics: false })
    await producer.metadata({ topics })
    result.startupMs = performance.now() - t0
    const sendChunk = (start, count) =>
      producer.send({ messages: [...chunk(topics, perTopic, partitions, start, count, value)].flatMap(([topic, messages]) => messages.map((m) => ({ topic, ...m }))) })
    await timedProduce(result, partitions, records, sendChunk)
    await producer.close()
    const members = Array.from({ length: consumers }, () => new Consumer({ groupId, clientId: 'bench-scale', bootstrapBrokers: brokerList, maxWaitTime: 500 }))
    t0 = performance.now()
    const cpu = process.cpuUsage()
    for (const consumer of members) {
      const stream = await consumer.consume({ topics, mode: MessagesStreamModes.EARLIEST, autocommit: false })
      stream.on('data', (message) => {
        void message.value.length
        got()
      })
    }
    result.assignmentMs = await until(
      t0,
      () => coversExactly(members.map((c) => (c.assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`))), partitions),
      timeoutMs,
      'assignment',
    )
    await allConsumed
    result.consumeCpuMs = cpuMsSince(cpu)
    result.consumeMs = last - first
    result.firstRecordMs = first - t0
    result.memory = memory()
    await Promise.race([Promise.all(members.map((c) => c.close(true))), new Promise((r) => setTimeout(r, 10_000))])
  } else throw new Error(`unknown client ${label}`)

  const cpu = process.cpuUsage(cpuBefore)
  result.cpuMs = (cpu.user + cpu.system) / 1000
  result.memoryBefore = memoryBefore
  result.produceRecPerSec = Math.round(records / (result.produceMs / 1000))
  result.consumeRecPerSec = Math.round(total / (result.consumeMs / 1000))
  result.produceCpuUsPerRecord = +((result.produceCpuMs * 1000) / records).toFixed(2)
  result.consumeCpuUsPerRecord = +((result.consumeCpuMs * 1000) / total).toFixed(2)
  return result
}

const payloadForChild = childPayload()
if (payloadForChild) {
  const result = await runClientChild(payloadForChild)
  finishChild(result)
} else {
  await main()
}

// ---------------------------------------------------------------------------------------------------------------
// Parent.

async function main() {
  const quick = flag('quick')
  const sizes = listOption('partitions', quick ? ['1', '100', '1000'] : ['1', '100', '1000', '10000']).map(Number)
  const records = numberOption('records', quick ? 50_000 : 200_000)
  const size = numberOption('size', 100)
  const consumers = numberOption('consumers', 3)
  const perTopicOption = numberOption('per-topic', null)
  const timeoutMs = numberOption('timeout-s', 600) * 1000
  const shared = flag('shared-topics')
  const baselineRev = option('baseline', null)
  const baseline = baselineRev ? snapshotRevision(baselineRev, { log }) : null
  const requested = listOption('clients', ['samsa', 'kafkajs', 'platformatic'])
  const clients = baseline ? requested.flatMap((c) => (c === 'samsa' ? [c, 'samsa@base'] : [c])) : requested
  const { dir: snapshot, stale } = snapshotDist({ label: 'scale', build: flag('build') ? 'always' : 'missing', log })
  const broker = await useBroker({ name: 'bench', keep: flag('keep-broker'), log })
  log(`broker ${broker.brokers} (${broker.origin})`)
  const machine = machineInfo()
  const jsonPath = option('json', null)
  const runs = []
  try {
    for (const partitions of sizes) {
      const perTopic = Math.min(perTopicOption ?? partitions, partitions)
      const topicCount = Math.ceil(partitions / perTopic)
      // placeOf assumes full topics, so counts must divide evenly.
      if (partitions % perTopic !== 0) throw new Error(`--per-topic ${perTopic} does not divide ${partitions}`)
      // --shared-topics: one set of topics for every client of this size. A broker creates thousands of partition
      // logs and fsyncs each one's first write slowly (minutes at 10 000 on the loaded harness broker); sharing
      // pays that once. Clients after the first read the earliest `records + partitions` records, written by
      // the first ones: the same count, spread over every partition.
      const sharedTopics = shared ? Array.from({ length: topicCount }, (_, t) => uniqueTopicName('bench-scale', 'shared', partitions, t)) : null
      if (sharedTopics) await createTopics(snapshot, broker.brokers, sharedTopics.map((name) => ({ name, partitions: perTopic })))
      for (const client of clients) {
        const topics = sharedTopics ?? Array.from({ length: topicCount }, (_, t) => uniqueTopicName('bench-scale', client, partitions, t))
        const setupStarted = performance.now()
        let createMs = 0
        let result
        try {
          if (!sharedTopics) await createTopics(snapshot, broker.brokers, topics.map((name) => ({ name, partitions: perTopic })))
          createMs = performance.now() - setupStarted
          result = await runChild(SCRIPT, { client, brokers: broker.brokers, topics, perTopic, partitions, records, size, consumers, samsaDir: snapshot, baselineDir: baseline?.dir, timeoutMs }, { nodeArgs: ['--expose-gc'], timeoutMs: timeoutMs + 60_000 })
        } catch (error) {
          log(`${client} ${partitions} partitions: FAILED ${error.message.slice(0, 300)}`)
          runs.push({ partitions, topics: topicCount, client, error: error.message.slice(0, 500) })
          if (!sharedTopics) await deleteTopics(snapshot, broker.brokers, topics)
          continue
        }
        runs.push({ partitions, topics: topicCount, createTopicsMs: Math.round(createMs), ...result })
        log(
          `${client.padEnd(12)} ${String(partitions).padStart(6)} partitions: start-up ${result.startupMs.toFixed(0)} ms, produce ${formatNumber(result.produceRecPerSec)} rec/s, ` +
            `(cpu ${result.produceCpuUsPerRecord} µs/rec, first write ${result.warmupMs.toFixed(0)} ms), assignment ${result.assignmentMs.toFixed(0)} ms, consume ${formatNumber(result.consumeRecPerSec)} rec/s (cpu ${result.consumeCpuUsPerRecord} µs/rec), rss ${result.memory.rssMiB} MiB, heap ${result.memory.heapUsedMiB} MiB`,
        )
        if (!sharedTopics) await deleteTopics(snapshot, broker.brokers, topics)
        // What is measured so far survives a later failure.
        if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ runs }, null, 2))
      }
      if (sharedTopics) await deleteTopics(snapshot, broker.brokers, sharedTopics)
    }
  } finally {
    await broker.release()
  }

  const markdown = flag('markdown')
  const cell = (r, f) => (r && !r.error ? f(r) : r?.error ? 'failed' : '–')
  const resultColumns = ['partitions', 'client', 'start-up ms', 'first write to all ms', 'produce rec/s', 'produce CPU µs/rec', 'assignment ms', 'consume rec/s', 'consume CPU µs/rec', 'RSS MiB', 'heap MiB']
  const resultRows = runs.map((r) => [
      String(r.partitions),
      r.client,
      cell(r, (x) => formatNumber(x.startupMs)),
      cell(r, (x) => formatNumber(x.warmupMs)),
      cell(r, (x) => formatNumber(x.produceRecPerSec)),
      cell(r, (x) => formatNumber(x.produceCpuUsPerRecord, 2)),
      cell(r, (x) => formatNumber(x.assignmentMs)),
      cell(r, (x) => formatNumber(x.consumeRecPerSec)),
      cell(r, (x) => formatNumber(x.consumeCpuUsPerRecord, 2)),
      cell(r, (x) => x.memory.rssMiB.toFixed(0)),
      cell(r, (x) => x.memory.heapUsedMiB.toFixed(0)),
    ])
  const table = formatTable(resultColumns, resultRows, { markdown, align: ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] })
  // Growth: each size against the smallest, per client (1.0 = flat). Start-up and assignment grow with the metadata
  // and the assignment (linear in P at best); produce and consume are per record, so flat is the goal there.
  const growth = []
  for (const client of clients) {
    const mine = runs.filter((r) => r.client === client && !r.error)
    const base = mine[0]
    if (!base) continue
    for (const r of mine.slice(1)) {
      growth.push([client, `${base.partitions} → ${r.partitions}`, ...['startupMs', 'assignmentMs', 'produceCpuUsPerRecord', 'consumeCpuUsPerRecord'].map((k) => `${(r[k] / base[k]).toFixed(2)}×`), `${(base.produceRecPerSec / r.produceRecPerSec).toFixed(2)}×`, `${(base.consumeRecPerSec / r.consumeRecPerSec).toFixed(2)}×`, `+${(r.memory.heapUsedMiB - base.memory.heapUsedMiB).toFixed(1)} MiB`])
    }
  }
  const growthColumns = ['client', 'partitions', 'start-up', 'assignment', 'produce CPU/rec', 'consume CPU/rec', 'produce time/rec', 'consume time/rec', 'heap']
  const growthTable = formatTable(growthColumns, growth, { markdown })
  const ratios = []
  for (const partitions of sizes) {
    const of = (c) => runs.find((r) => r.partitions === partitions && r.client === c && !r.error)
    const s = of('samsa')
    for (const peer of clients.filter((c) => c !== 'samsa')) {
      const p = of(peer)
      if (!s || !p) continue
      ratios.push([String(partitions), `samsa ÷ ${peer}`, ratio(p.startupMs, s.startupMs), ratio(s.produceRecPerSec, p.produceRecPerSec), ratio(p.produceCpuUsPerRecord, s.produceCpuUsPerRecord), ratio(p.assignmentMs, s.assignmentMs), ratio(s.consumeRecPerSec, p.consumeRecPerSec), ratio(p.consumeCpuUsPerRecord, s.consumeCpuUsPerRecord), ratio(p.memory.rssMiB, s.memory.rssMiB)].map((v) => (typeof v === 'number' ? `${v.toFixed(2)}×` : v ?? '–')))
    }
  }
  const ratioColumns = ['partitions', 'pair', 'start-up (faster)', 'produce', 'produce CPU (less)', 'assignment (faster)', 'consume', 'consume CPU (less)', 'RSS (less)']
  const ratioTable = formatTable(ratioColumns, ratios, { markdown })
  const versions = {
    samsa: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version,
    kafkajs: require('kafkajs/package.json').version,
    platformatic: JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')).version,
    kafka: broker.kafkaVersion ?? null,
  }
  // A failed run is a null point: the chart breaks the line there.
  const curve = (id, title, y, pick, { variant } = {}) => ({
    id,
    title,
    x: { label: 'partitions', scale: 'log' },
    y,
    series: clients
      .map((client) => ({ name: client, group: client, ...(variant ? { variant } : {}), points: runs.filter((r) => r.client === client).map((r) => [r.partitions, r.error ? null : pick(r)]) }))
      .filter((series) => series.points.some(([, v]) => v !== null)),
  })
  const memorySeries = (key, label) => curve('', '', {}, (r) => r.memory[key], { variant: label }).series.map((series) => ({ ...series, name: `${series.name} ${label}` }))
  const notes = [
    `${formatNumber(records)} records of ${size} B per size, spread over every partition; a group of ${consumers} consumers in the client's process; acks=all.`,
    `Versions: KafkaJS ${versions.kafkajs}, @platformatic/kafka ${versions.platformatic}${versions.kafka ? `, Kafka ${versions.kafka}` : ''}.`,
  ]
  const contract = benchReport({
    bench: 'scale',
    machine,
    versions,
    settings: { partitions: sizes, records, size, consumers, perTopic: perTopicOption, sharedTopics: shared, clients },
    results: runs,
    tables: [
      reportTable('scale-results', 'Scale: per partition count and client', resultColumns, resultRows, notes),
      reportTable('scale-growth', 'Scale: growth against the smallest size (times; produce/consume: time per record)', growthColumns, growth),
      reportTable('scale-ratios', 'Scale: samsa ÷ peer (above 1: samsa better)', ratioColumns, ratios),
    ],
    charts: [
      curve('scale-produce', 'Produce throughput by partition count', { label: 'records/s', scale: 'log' }, (r) => r.produceRecPerSec),
      curve('scale-consume', 'Consume throughput by partition count', { label: 'records/s', scale: 'log' }, (r) => r.consumeRecPerSec),
      {
        id: 'scale-memory',
        title: 'Memory after consuming (RSS solid, heap used dashed)',
        x: { label: 'partitions', scale: 'log' },
        y: { label: 'MiB', scale: 'linear' },
        series: [...memorySeries('rssMiB', 'RSS'), ...memorySeries('heapUsedMiB', 'heap')],
      },
    ],
  })
  const output = {
    ...contract,
    environment: { ...machine, records, size, consumers, perTopic: perTopicOption, sharedTopics: shared, samsaDistStale: stale, baseline: baseline ? { rev: baselineRev, sha: baseline.sha } : null, kafka: broker.kafkaVersion ?? null, kafkajs: require('kafkajs/package.json').version, platformatic: versions.platformatic, date: new Date().toISOString() },
    runs,
  }
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify(output, null, 2))
  console.log(JSON.stringify(output, null, 2))
  process.stdout.write(`\n${table}\n\ngrowth against the smallest size (times; produce/consume: time per record)\n${growthTable}\n\nratios (above 1: samsa better)\n${ratioTable}\n`)
}
