// One single-node Kafka for the whole jest run, shared by every worker through environment variables —
// unless KAFKA_BROKERS already names a cluster, or the selected tests cannot need one.
import { readdirSync } from 'node:fs'
import { join, sep } from 'node:path'
import { envFor, pruneInstances, startInstance } from '../scripts/kafka/harness.mjs'

const log = (line) => process.stderr.write(`[samsa global setup] ${line}\n`)

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

// Only integration, reliability and kafkajs (facade) tests talk to a broker, so `jest test/unit` should not pay for a JVM.
// The patterns are the ones jest matches test paths with (case-insensitive regexes on the absolute path).
function brokerNeeded(globalConfig) {
  const patterns = globalConfig.testPathPatterns?.patterns ?? (globalConfig.testPathPattern ? [globalConfig.testPathPattern] : [])
  const needsBroker = (file) => [`${sep}integration${sep}`, `${sep}reliability${sep}`, `${sep}kafkajs${sep}`].some((dir) => file.includes(dir))
  const roots = globalConfig.rootDir ? [join(globalConfig.rootDir, 'test')] : []
  const selected = roots.flatMap(testFiles).filter((file) => patterns.length === 0 || patterns.some((p) => new RegExp(p, 'i').test(file)))
  return selected.length === 0 || selected.some(needsBroker)
}

export default async function globalSetup(globalConfig) {
  if (process.env.KAFKA_BROKERS) {
    log(`using the cluster in KAFKA_BROKERS (${process.env.KAFKA_BROKERS}); not starting one`)
    return
  }
  if (process.env.KAFKA_HARNESS === 'off' || !brokerNeeded(globalConfig)) {
    log('no selected test needs a broker; not starting one')
    return
  }
  await pruneInstances({ onlyOrphans: true, log })
  const name = `jest-${process.pid}`
  // ownerPid: if jest dies without running teardown (SIGKILL, crash), the watchdog still stops the broker.
  const instance = await startInstance({ name, ownerPid: process.pid, log })
  const env = envFor(instance)
  Object.assign(process.env, env)
  // Teardown removes them again: in watch mode the next run must not mistake the stopped broker for a cluster
  // someone configured.
  globalThis.__samsaKafkaInstance = { name, envKeys: Object.keys(env) }
  log(`Kafka ${instance.kafkaVersion} '${name}' at ${instance.bootstrap}${instance.cacheHit ? '' : ' (jars were fetched this time)'}`)
}
