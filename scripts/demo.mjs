#!/usr/bin/env node
// `npm run demo`: samsa against a real broker, step by step. With KAFKA_BROKERS set it uses that cluster;
// otherwise it starts (or reuses) the local harness instance "demo" and leaves it running for the next run.
// Each step is a function taking the shared context; add steps to STEPS as the clients land.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startInstance } from './kafka/harness.mjs'
import { probeApiVersions } from './kafka/wire.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const DEMO_INSTANCE = 'demo'

const say = (line = '') => process.stdout.write(`${line}\n`)

/** Where the demo's Kafka is, starting the local one when nothing else is configured. */
async function connect() {
  if (process.env.KAFKA_BROKERS) {
    return { bootstrap: process.env.KAFKA_BROKERS, description: 'from KAFKA_BROKERS', instance: null }
  }
  say(`No KAFKA_BROKERS set: starting the local Kafka instance '${DEMO_INSTANCE}' (the first run downloads it)…`)
  const instance = await startInstance({ name: DEMO_INSTANCE, log: (line) => say(`  ${line}`) })
  return { bootstrap: instance.bootstrap, description: `local harness instance '${instance.name}', Kafka ${instance.kafkaVersion}`, instance }
}

function firstBroker(bootstrap) {
  const entry = bootstrap.split(',')[0].trim()
  const colon = entry.lastIndexOf(':')
  return { host: entry.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(entry.slice(colon + 1)) }
}

/** API names from the protocol specs, when `npm run build` has fetched them; numbers alone otherwise. */
function apiNames() {
  const dir = join(root, 'protocol-specs')
  const names = new Map()
  if (!existsSync(dir)) return names
  for (const file of readdirSync(dir).filter((f) => f.endsWith('Request.json'))) {
    try {
      // The spec files carry // comment lines (license headers), which JSON does not allow.
      const text = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => !line.trim().startsWith('//'))
        .join('\n')
      const spec = JSON.parse(text)
      if (typeof spec.apiKey === 'number') names.set(spec.apiKey, String(spec.name).replace(/Request$/, ''))
    } catch {
      // An unreadable spec only costs a name in the table.
    }
  }
  return names
}

async function showApiVersions(context) {
  say('Step 1 — what the broker supports (ApiVersions)')
  const answer = await probeApiVersions({ ...firstBroker(context.bootstrap), timeoutMs: 10_000 })
  if (answer.errorCode !== 0) throw new Error(`ApiVersions failed with error code ${answer.errorCode}`)
  const names = apiNames()
  say('   key  API                                    versions')
  for (const api of answer.apis) {
    const name = names.get(api.apiKey) ?? ''
    say(`  ${String(api.apiKey).padStart(4)}  ${name.padEnd(38)} ${api.minVersion}–${api.maxVersion}`)
  }
  say(`  ${answer.apis.length} APIs.`)
}

const RECORDS = Number(process.env.DEMO_RECORDS ?? 200_000)
const VALUE_BYTES = 100
const PARTITIONS = 6

async function loadSamsa() {
  const entry = join(root, 'dist', 'esm', 'index.js')
  if (!existsSync(entry)) throw new Error('samsa is not built: run `npm run build` (npm run demo does it first)')
  return import(entry)
}

function rate(count, ms) {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')} records/s`
}

async function createTopic(context) {
  const { Kafka } = await loadSamsa()
  context.kafka = new Kafka({ brokers: context.bootstrap, clientId: 'samsa-demo', logger: false })
  context.admin = context.kafka.admin()
  context.topic = `samsa-demo-${Date.now()}`
  say(`Step 2 — create topic ${context.topic} (${PARTITIONS} partitions) and describe it`)
  const [created] = await context.admin.createTopics([{ name: context.topic, numPartitions: PARTITIONS, replicationFactor: 1 }])
  if (created.error) throw created.error
  const [description] = await context.admin.describeTopics([context.topic])
  if (description.error) throw description.error
  say(`  topic id ${description.topicId}`)
  for (const p of description.partitions) {
    say(`  partition ${p.partition}: leader ${p.leader}, replicas [${p.replicas.join(', ')}], isr [${p.isr.join(', ')}]`)
  }
}

async function produce(context) {
  say(`Step 3 — produce ${RECORDS.toLocaleString('en-US')} keyed records of ${VALUE_BYTES} B (acks=all, idempotent, lz4)`)
  const producer = context.kafka.producer({ compression: 'lz4', lingerMs: 5 })
  const value = Buffer.alloc(VALUE_BYTES, 'x')
  const perCall = 500
  const window = 64
  const started = performance.now()
  let acknowledged = 0
  let lastPrint = 0
  const inFlight = new Set()
  for (let sent = 0; sent < RECORDS; sent += perCall) {
    const messages = []
    for (let i = sent; i < Math.min(RECORDS, sent + perCall); i++) messages.push({ key: `user-${i % 10_000}`, value })
    const call = producer.send({ topic: context.topic, messages }).then((results) => {
      acknowledged += results.length
      inFlight.delete(call)
      const now = performance.now()
      if (now - lastPrint > 250) {
        lastPrint = now
        process.stdout.write(`\r  ${acknowledged.toLocaleString('en-US')} acknowledged (${rate(acknowledged, now - started)})   `)
      }
    })
    inFlight.add(call)
    if (inFlight.size >= window) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  await producer.close()
  const ms = performance.now() - started
  context.produceMs = ms
  say(`\r  ${acknowledged.toLocaleString('en-US')} acknowledged in ${(ms / 1000).toFixed(2)} s — ${rate(acknowledged, ms)}, ${((acknowledged * VALUE_BYTES) / 1e6 / (ms / 1000)).toFixed(1)} MB/s of values`)
}

async function consume(context) {
  context.groupId = `samsa-demo-group-${Date.now()}`
  say(`Step 4 — consume everything in a group of 3 consumers (group ${context.groupId})`)
  const consumers = [1, 2, 3].map(() =>
    context.kafka.consumer({ groupId: context.groupId, autoOffsetReset: 'earliest', enableAutoCommit: true }),
  )
  const seen = new Map() // partition -> highest offset + 1
  const perMember = consumers.map(() => ({ records: 0, partitions: new Set() }))
  const controller = new AbortController()
  let started = performance.now()
  let total = 0
  let lastPrint = 0
  const done = () => {
    let sum = 0
    for (const next of seen.values()) sum += next
    return sum >= RECORDS
  }
  for (const consumer of consumers) await consumer.subscribe([context.topic])
  // Let the group settle first, so the figures show how the partitions were shared rather than a race to join.
  await Promise.all(consumers.map((c) => c.waitForAssignment({ minPartitions: 1, timeoutMs: 60_000 })))
  const subscribedAt = started
  const joinMs = performance.now() - started
  say(`  group formed in ${(joinMs / 1000).toFixed(2)} s (KIP-848: members learn of freed partitions at their next heartbeat)`)
  started = performance.now()
  await Promise.all(
    consumers.map(async (consumer, index) => {
      try {
        for await (const batch of consumer.batches({ signal: controller.signal })) {
          const stats = perMember[index]
          stats.records += batch.messages.length
          stats.partitions.add(batch.partition)
          total += batch.messages.length
          const last = batch.messages[batch.messages.length - 1]
          if (last) seen.set(batch.partition, Math.max(seen.get(batch.partition) ?? 0, Number(last.offset) + 1))
          const now = performance.now()
          if (now - lastPrint > 250) {
            lastPrint = now
            process.stdout.write(`\r  ${total.toLocaleString('en-US')} consumed (${rate(total, now - started)})   `)
          }
          if (done()) controller.abort()
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error
      }
    }),
  )
  const ms = performance.now() - started
  context.consumeMs = ms
  const sinceSubscribe = performance.now() - subscribedAt
  say(
    `\r  ${total.toLocaleString('en-US')} consumed ${(sinceSubscribe / 1000).toFixed(2)} s after subscribing, ${(ms / 1000).toFixed(2)} s after the group formed ` +
      `— ${rate(total, sinceSubscribe)} counting group formation (fetching starts as soon as partitions are assigned, so much was already buffered)`,
  )
  perMember.forEach((stats, i) => {
    say(`  consumer ${i + 1}: ${stats.records.toLocaleString('en-US')} records from partitions [${[...stats.partitions].sort((a, b) => a - b).join(', ')}]`)
  })
  context.consumers = consumers
}

async function describeGroup(context) {
  say(`Step 5 — describe the group while its members are still in it`)
  const [group] = await context.admin.describeGroups([context.groupId])
  if (group.error) throw group.error
  say(`  ${group.groupId}: ${group.type} protocol, state ${group.state}, assignor ${group.assignor || '(broker default)'}, ${group.members.length} members`)
  for (const member of group.members) {
    const partitions = member.assignment.flatMap((a) => a.partitions).sort((a, b) => a - b)
    say(`  - ${member.clientId} ${member.memberId.slice(0, 12)}…: partitions [${partitions.join(', ')}]`)
  }
  await Promise.all(context.consumers.map((c) => c.close()))
  await context.admin.deleteTopics([context.topic])
  await context.admin.close()
  await context.kafka.close()
  say(`  figures: produced ${RECORDS.toLocaleString('en-US')} records in ${(context.produceMs / 1000).toFixed(2)} s, consumed them ${(context.consumeMs / 1000).toFixed(2)} s after the group formed; topic deleted`)
}

const STEPS = [showApiVersions, createTopic, produce, consume, describeGroup]

async function main() {
  const context = await connect()
  say(`\nsamsa demo — Kafka at ${context.bootstrap} (${context.description})\n`)
  for (const step of STEPS) {
    await step(context)
    say()
  }
  if (context.instance) {
    say(`The '${DEMO_INSTANCE}' broker keeps running so the next demo starts instantly.`)
    say(`Stop it with: npm run kafka:stop -- --name ${DEMO_INSTANCE}`)
  }
}

main().catch((error) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
