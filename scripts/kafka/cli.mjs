#!/usr/bin/env node
// Local Kafka for development, tests and benchmarks. `node scripts/kafka/cli.mjs help` for usage.
import { parseArgs } from 'node:util'
import { KAFKA_VERSION } from '../lib/versions.mjs'
import {
  DEFAULT_INSTANCE,
  describeInstance,
  envFor,
  killNode,
  listInstances,
  pruneInstances,
  readState,
  restartNode,
  startInstance,
  stopInstance,
} from './harness.mjs'

const USAGE = `Usage: node scripts/kafka/cli.mjs <command> [options]   (npm run kafka:start|kafka:stop|kafka:status -- [options])

Commands
  start     start an instance (or reuse it when it is already running) and wait until it serves requests
  stop      stop every process of the instance and delete its files (--keep keeps them)
  status    show the instance (exit code 1 when it is not running)
  kill      SIGKILL one node (--node N), as a crash would
  restart   start --node N (or every node) again with the same config, ports and data
  env       print shell exports (KAFKA_BROKERS …) for the instance: eval "$(node scripts/kafka/cli.mjs env)"
  list      list all instances
  prune     delete the files of instances with nothing running

Options
  --name <instance>          instance name (default "${DEFAULT_INSTANCE}")
  --cluster single|three     single: one node with PLAINTEXT, SASL_PLAINTEXT, SSL and SASL_SSL listeners;
                             three: three nodes, PLAINTEXT only (default single)
  --kafka-version <v>        Kafka version (default ${KAFKA_VERSION}; 3.9.2 also works)
  --node <id>                node for kill/restart
  --json                     machine-readable output (the instance state)
  --owner-pid <pid>          stop the instance automatically when that process exits
  --timeout <seconds>        how long start/restart may take (default 180)
  --keep                     stop: keep the instance folder (logs, data)
  --broker-config <k=v>      start: an extra server.properties line, repeatable (e.g. metric.reporters=…)
  --classpath <path>         start: an extra entry on the brokers' classpath, repeatable (plugins such as reporters)
`

function fail(message) {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string', default: DEFAULT_INSTANCE },
      cluster: { type: 'string', default: 'single' },
      'kafka-version': { type: 'string', default: KAFKA_VERSION },
      node: { type: 'string' },
      json: { type: 'boolean', default: false },
      'owner-pid': { type: 'string' },
      timeout: { type: 'string', default: '180' },
      keep: { type: 'boolean', default: false },
      'broker-config': { type: 'string', multiple: true, default: [] },
      classpath: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
} catch (error) {
  fail(`${error.message}\n\n${USAGE}`)
}
const { values, positionals } = parsed
const command = positionals[0] ?? 'help'
const name = values.name
const timeoutMs = Number(values.timeout) * 1000
const nodeId = values.node === undefined ? undefined : Number(values.node)
if (nodeId !== undefined && !Number.isInteger(nodeId)) fail(`--node must be a node id, got ${values.node}`)
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(`--timeout must be a number of seconds, got ${values.timeout}`)

function printJson(value) {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

function printInstance(instance) {
  if (values.json) return printJson(instance)
  const lines = [
    `Kafka ${instance.kafkaVersion} '${instance.name}' (${instance.cluster}): ${instance.running ? 'running' : 'NOT running'}`,
    `  bootstrap (PLAINTEXT)  ${instance.bootstrap}`,
  ]
  if (instance.listeners.sasl) lines.push(`  SASL_PLAINTEXT         ${instance.listeners.sasl}`)
  if (instance.listeners.ssl) lines.push(`  SSL                    ${instance.listeners.ssl}`)
  if (instance.listeners.saslSsl) lines.push(`  SASL_SSL               ${instance.listeners.saslSsl}`)
  if (instance.caFile) lines.push(`  CA certificate         ${instance.caFile}`)
  if (instance.users) {
    const users = Object.entries(instance.users).map(([user, { password }]) => `${user}/${password}`)
    lines.push(`  SASL users             ${users.join(', ')} (${Object.values(instance.users)[0].mechanisms.join(', ')})`)
  }
  for (const node of instance.nodes) {
    lines.push(`  node ${node.id}                 pid ${node.pid ?? '-'} ${node.alive ? 'alive' : 'down'}, log ${node.logFile}`)
  }
  lines.push(`  stop with              npm run kafka:stop -- --name ${instance.name}`)
  process.stdout.write(lines.join('\n') + '\n')
}

function shellExports(instance) {
  return Object.entries(envFor(instance))
    .map(([key, value]) => `export ${key}='${value}'`)
    .join('\n')
}

async function main() {
  switch (command) {
    case 'start': {
      const ownerPid = values['owner-pid'] === undefined ? undefined : Number(values['owner-pid'])
      const instance = await startInstance({
        name,
        cluster: values.cluster,
        kafkaVersion: values['kafka-version'],
        ownerPid,
        timeoutMs,
        brokerConfig: values['broker-config'],
        extraClasspath: values.classpath,
      })
      return printInstance(instance)
    }
    case 'stop': {
      const existed = await stopInstance(name, { keepFiles: values.keep })
      if (values.json) printJson({ name, stopped: existed })
      else if (!existed) process.stdout.write(`no Kafka instance '${name}'\n`)
      return
    }
    case 'status': {
      const state = readState(name)
      if (!state) {
        if (values.json) printJson({ name, running: false, nodes: [] })
        else process.stdout.write(`no Kafka instance '${name}'\n`)
        process.exitCode = 1
        return
      }
      const instance = describeInstance(state)
      printInstance(instance)
      if (!instance.running) process.exitCode = 1
      return
    }
    case 'kill': {
      if (nodeId === undefined) fail('kill needs --node <id>')
      const killed = await killNode(name, nodeId)
      if (values.json) printJson({ name, node: nodeId, killed })
      return
    }
    case 'restart': {
      const instance = await restartNode(name, nodeId, { timeoutMs })
      return printInstance(instance)
    }
    case 'env': {
      const state = readState(name)
      if (!state) fail(`no Kafka instance '${name}'`)
      process.stdout.write(shellExports(state) + '\n')
      return
    }
    case 'list': {
      const instances = listInstances()
      if (values.json) return printJson(instances)
      for (const i of instances) {
        process.stdout.write(`${i.name}\tKafka ${i.kafkaVersion}\t${i.cluster}\t${i.running ? 'running' : 'not running'}\t${i.bootstrap}\n`)
      }
      return
    }
    case 'prune': {
      const pruned = await pruneInstances()
      if (values.json) printJson(pruned)
      return
    }
    case 'help':
      process.stdout.write(USAGE)
      return
    default:
      fail(`unknown command '${command}'\n\n${USAGE}`)
  }
}

if (values.help) process.stdout.write(USAGE)
else {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}
