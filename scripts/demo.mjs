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
  say('Step 1 — what the broker supports (ApiVersions v3)')
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

const STEPS = [showApiVersions]

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
