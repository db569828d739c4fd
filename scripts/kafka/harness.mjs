// Local Apache Kafka instances for tests, the demo and benchmarks, run straight from Maven Central jars.
// An instance lives in cacheRoot()/run/<name>: state.json (what `status --json` prints), one folder per node
// (server.properties, data/, server.log) and, for the single-node shape, the TLS material.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, dirname, join, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { KAFKA_VERSION } from '../lib/versions.mjs'
import {
  HOST,
  SASL_MECHANISMS,
  SUPER_USERS,
  USERS,
  clientListenerKeys,
  loggingConfig,
  loggingJvmArgs,
  scramFormatArgs,
  serverProperties,
} from './config.mjs'
import { cacheRoot, loggingBackend, resolveKafkaJars } from './jars.mjs'
import { isOurProcess, killHard, processStartMarker, terminate } from './processes.mjs'
import { generateBrokerTls } from './tls.mjs'
import { probeApiVersions } from './wire.mjs'

export const DEFAULT_INSTANCE = 'default'
export const CLUSTER_SIZES = { single: 1, three: 3 }
const STATE_FILE = 'state.json'
const here = dirname(fileURLToPath(import.meta.url))
const WATCHDOG = join(here, 'watchdog.mjs')
// Bounded so several brokers fit on a shared machine; JIT flags stay default because benchmarks run here.
const JVM_OPTIONS = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true']

const stderrLog = (line) => process.stderr.write(`${line}\n`)

export function runRoot() {
  return join(cacheRoot(), 'run')
}

export function validateInstanceName(name) {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new Error(`invalid instance name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`)
  }
  return name
}

export function instanceDir(name) {
  return join(runRoot(), validateInstanceName(name))
}

export function readState(name) {
  try {
    return JSON.parse(readFileSync(join(instanceDir(name), STATE_FILE), 'utf8'))
  } catch {
    return null
  }
}

function writeState(state) {
  const file = join(state.instanceDir, STATE_FILE)
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n')
  renameSync(temp, file)
}

// Every JVM of an instance has a path inside the instance folder on its command line; the trailing separator
// keeps instance `a` from claiming the processes of instance `ab`.
function processMarker(state) {
  return state.instanceDir + sep
}

function watchdogMarker(name) {
  return `${WATCHDOG} ${name} `
}

export function isNodeAlive(state, node) {
  return node.pid !== null && isOurProcess(node.pid, processMarker(state))
}

/** The state plus what is true right now: which nodes are alive, and whether all of them are. */
export function describeInstance(state) {
  const nodes = state.nodes.map((node) => ({ ...node, alive: isNodeAlive(state, node) }))
  return { ...state, nodes, running: nodes.every((node) => node.alive) }
}

/** Environment variables that point tests and tools at this instance (only the listeners it has). */
export function envFor(state) {
  const env = { KAFKA_BROKERS: state.bootstrap, KAFKA_HARNESS_INSTANCE: state.name }
  if (state.listeners.sasl) env.KAFKA_SASL_BROKERS = state.listeners.sasl
  if (state.listeners.ssl) env.KAFKA_SSL_BROKERS = state.listeners.ssl
  if (state.listeners.saslSsl) env.KAFKA_SASL_SSL_BROKERS = state.listeners.saslSsl
  if (state.caFile) env.KAFKA_SSL_CA_FILE = state.caFile
  if (state.users) {
    env.KAFKA_SASL_USERNAME = 'samsa'
    env.KAFKA_SASL_PASSWORD = state.users.samsa.password
  }
  return env
}

export function logTail(file, lines = 40) {
  try {
    const text = readFileSync(file, 'utf8')
    return text.split('\n').slice(-lines - 1).join('\n')
  } catch {
    return '(no log written)'
  }
}

function javaBinary() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
}

function loggingFile(state) {
  return join(state.instanceDir, state.loggingBackend === 'log4j2' ? 'log4j2.properties' : 'log4j.properties')
}

function javaArgs(state, classpath, mainClass, args) {
  return [...JVM_OPTIONS, ...loggingJvmArgs(state.loggingBackend, loggingFile(state)), '-cp', classpath, mainClass, ...args]
}

function ports(state) {
  return state.nodes.flatMap((node) => Object.values(node.ports))
}

async function freePorts(count, avoid) {
  const servers = []
  const found = []
  try {
    while (found.length < count) {
      const server = createServer()
      await new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, HOST, resolve)
      })
      servers.push(server)
      const { port } = server.address()
      if (!avoid.has(port)) found.push(port)
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
  return found
}

/** All instances with a state file, described. */
export function listInstances() {
  if (!existsSync(runRoot())) return []
  return readdirSync(runRoot())
    .map((name) => {
      try {
        const state = readState(name)
        return state ? describeInstance(state) : null
      } catch {
        return null
      }
    })
    .filter(Boolean)
}

function runJava(args, logFile, { cwd }) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a')
    const child = spawn(javaBinary(), args, { cwd, stdio: ['ignore', fd, fd] })
    closeSync(fd)
    child.once('error', (error) => reject(new Error(`cannot run java (${error.message}); Java 17+ must be on PATH or in JAVA_HOME`)))
    child.once('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`java ${args.slice(args.indexOf('-cp') + 2).join(' ')} failed (${code ?? signal}):\n${logTail(logFile)}`))
    })
  })
}

function launchNode(state, node, kafkaClasspath) {
  // Plugins the instance was started with (--classpath) come after Kafka's own jars.
  const classpath = [kafkaClasspath, ...(state.extraClasspath ?? [])].join(delimiter)
  const fd = openSync(node.logFile, 'a')
  // Detached: the broker must outlive the CLI that starts it. Cleanup is stop/teardown/the watchdog's job.
  const child = spawn(javaBinary(), javaArgs(state, classpath, 'kafka.Kafka', [node.configFile]), {
    cwd: node.dir,
    detached: true,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  child.unref()
  node.pid = child.pid ?? null
}

/** A node that dies during start-up is launched again (same config and data) this many times before giving up. */
const START_RELAUNCHES = 2

async function waitUntilReady(state, node, deadline, relaunch = null) {
  let lastError = null
  let relaunches = 0
  while (Date.now() < deadline) {
    if (!isNodeAlive(state, node)) {
      // KRaft nodes starting together occasionally hit a transient quorum race and stop ("inconsistent with current
      // leader" in the raft IO thread); the same node started again joins normally.
      if (relaunch && relaunches < START_RELAUNCHES) {
        relaunches++
        appendFileSync(node.logFile, `\n[samsa harness] node ${node.id} exited during start-up; launching it again (${relaunches}/${START_RELAUNCHES})\n`)
        relaunch(node)
        await sleep(500)
        continue
      }
      throw new Error(`Kafka node ${node.id} of '${state.name}' exited during start-up. Log ${node.logFile}:\n${logTail(node.logFile)}`)
    }
    try {
      const answer = await probeApiVersions({ port: node.port, timeoutMs: 2000 })
      if (answer.errorCode === 0) return answer
      lastError = new Error(`ApiVersions error code ${answer.errorCode}`)
    } catch (error) {
      lastError = error
    }
    await sleep(250)
  }
  throw new Error(
    `Kafka node ${node.id} of '${state.name}' did not answer ApiVersions on ${HOST}:${node.port} in time ` +
      `(last error: ${lastError?.message}). Log ${node.logFile}:\n${logTail(node.logFile)}`,
  )
}

function spawnWatchdog(name, ownerPid) {
  const ownerStart = processStartMarker(ownerPid) ?? ''
  const child = spawn(process.execPath, [WATCHDOG, name, String(ownerPid), ownerStart], { detached: true, stdio: 'ignore' })
  child.unref()
  return child.pid ?? null
}

/**
 * Starts instance `name` and resolves once every node answers ApiVersions; reuses it when it is already up.
 * With `ownerPid`, a watchdog stops the instance as soon as that process dies (a crashed test run must not
 * leave JVMs behind).
 * `brokerConfig` lines (`key=value`) are appended to every node's server.properties and `extraClasspath` entries
 * follow Kafka's jars on the brokers' classpath: for tests that load a broker plugin (a metrics reporter).
 * @param {{ name?: string, cluster?: 'single' | 'three', kafkaVersion?: string, ownerPid?: number,
 *   timeoutMs?: number, log?: (line: string) => void, brokerConfig?: string[], extraClasspath?: string[] }} [options]
 */
export async function startInstance(options = {}) {
  try {
    return await startOnce(options)
  } catch (error) {
    // Free ports are found by binding and releasing them, so another process can take one before the broker
    // binds it. Rare, and fixed by choosing again.
    if (!(error instanceof Error) || !error.message.includes('Address already in use')) throw error
    ;(options.log ?? stderrLog)(`kafka '${options.name ?? DEFAULT_INSTANCE}': a chosen port was taken meanwhile; retrying with new ports`)
    return startOnce(options)
  }
}

async function startOnce({
  name = DEFAULT_INSTANCE,
  cluster = 'single',
  kafkaVersion = KAFKA_VERSION,
  ownerPid,
  timeoutMs = 180_000,
  log = stderrLog,
  brokerConfig = [],
  extraClasspath = [],
} = {}) {
  const began = Date.now()
  for (const line of brokerConfig) {
    if (!/^[A-Za-z0-9._-]+=/.test(line)) throw new Error(`--broker-config needs key=value, got '${line}'`)
  }
  const dir = instanceDir(name)
  if (!(cluster in CLUSTER_SIZES)) throw new Error(`unknown cluster shape '${cluster}' (single | three)`)

  const existing = readState(name)
  if (existing) {
    const current = describeInstance(existing)
    if (current.nodes.some((node) => node.alive)) {
      if (current.kafkaVersion !== kafkaVersion || current.cluster !== cluster) {
        throw new Error(
          `instance '${name}' is already running Kafka ${current.kafkaVersion} (${current.cluster}); ` +
            `stop it first: node scripts/kafka/cli.mjs stop --name ${name}`,
        )
      }
      for (const node of current.nodes.filter((n) => !n.alive)) await restartNode(name, node.id, { timeoutMs, log })
      log(`kafka '${name}': already running, reusing it`)
      return { ...describeInstance(readState(name)), reused: true }
    }
    // Nothing alive (a crash or a reboot): the old data is worthless, start clean.
    await stopInstance(name, { log: () => {} })
  }

  const jars = resolveKafkaJars(kafkaVersion)
  log(jars.cacheHit ? `kafka ${kafkaVersion}: cache hit, jars in ${jars.libDir}` : `kafka ${kafkaVersion}: jars fetched into ${jars.libDir}`)

  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const size = CLUSTER_SIZES[cluster]
  const clientKeys = clientListenerKeys(cluster)
  const portNames = [...clientKeys, 'internal', 'controller']
  const taken = new Set(listInstances().filter((i) => i.name !== name).flatMap(ports))
  const allocated = await freePorts(size * portNames.length, taken)

  const nodes = Array.from({ length: size }, (_, index) => {
    const id = index + 1
    const nodeDir = join(dir, `node-${id}`)
    const nodePorts = Object.fromEntries(portNames.map((key, k) => [key, allocated[index * portNames.length + k]]))
    return {
      id,
      pid: null,
      port: nodePorts.plaintext,
      ports: nodePorts,
      dir: nodeDir,
      dataDir: join(nodeDir, 'data'),
      configFile: join(nodeDir, 'server.properties'),
      logFile: join(nodeDir, 'server.log'),
    }
  })
  const listenerList = (key) => (clientKeys.includes(key) ? nodes.map((n) => `${HOST}:${n.ports[key]}`).join(',') : null)
  const tls = cluster === 'single' ? generateBrokerTls(join(dir, 'tls')) : null

  const state = {
    name,
    kafkaVersion,
    cluster,
    clusterId: randomBytes(16).toString('base64url'),
    instanceDir: dir,
    bootstrap: listenerList('plaintext'),
    listeners: {
      plaintext: listenerList('plaintext'),
      sasl: listenerList('sasl'),
      ssl: listenerList('ssl'),
      saslSsl: listenerList('saslSsl'),
    },
    caFile: tls?.caFile ?? null,
    caKeyFile: tls?.caKeyFile ?? null,
    users: clientKeys.includes('sasl')
      ? Object.fromEntries(Object.entries(USERS).map(([user, password]) => [user, { password, mechanisms: SASL_MECHANISMS }]))
      : null,
    superUsers: clientKeys.includes('sasl') ? SUPER_USERS : null,
    nodes,
    logFile: nodes[0].logFile,
    libDir: jars.libDir,
    cacheHit: jars.cacheHit,
    loggingBackend: loggingBackend(kafkaVersion),
    extraClasspath,
    starterPid: process.pid,
    ownerPid: ownerPid ?? null,
    ownerStart: ownerPid ? processStartMarker(ownerPid) : null,
    watchdogPid: null,
    phase: 'starting',
    startedAt: new Date(began).toISOString(),
    startMs: null,
  }
  writeFileSync(loggingFile(state), loggingConfig(state.loggingBackend))
  for (const node of nodes) {
    mkdirSync(node.dataDir, { recursive: true })
    const extra = brokerConfig.length > 0 ? `\n# added with --broker-config\n${brokerConfig.join('\n')}\n` : ''
    writeFileSync(node.configFile, serverProperties({ kafkaVersion, cluster, node, nodes, tls: tls ?? undefined }) + extra)
  }
  if (ownerPid) state.watchdogPid = spawnWatchdog(name, ownerPid)
  writeState(state)

  try {
    // `--cluster-id=<id>` in one argument: a random id may start with '-', which the tool would read as an option.
    const formatArgs = (node) => ['format', `--cluster-id=${state.clusterId}`, '-c', node.configFile, ...(state.users ? scramFormatArgs() : [])]
    await Promise.all(
      nodes.map((node) => runJava(javaArgs(state, jars.classpath, 'kafka.tools.StorageTool', formatArgs(node)), node.logFile, { cwd: node.dir })),
    )
    // The owner may have died while storage was formatted; its watchdog has then already cleaned up, and
    // brokers launched now would be orphans.
    if (ownerPid && ownerGone(state)) throw new Error(`owner process ${ownerPid} exited while '${name}' was starting`)
    for (const node of nodes) launchNode(state, node, jars.classpath)
    writeState(state)
    const deadline = began + timeoutMs
    const relaunch = (node) => {
      launchNode(state, node, jars.classpath)
      writeState(state)
    }
    await Promise.all(nodes.map((node) => waitUntilReady(state, node, deadline, relaunch)))
  } catch (error) {
    // Leave the folder (logs) for inspection, but not the processes.
    await terminate(nodes.map((n) => n.pid).filter(Boolean), processMarker(state), { graceMs: 2000 }).catch(() => {})
    if (state.watchdogPid) await terminate([state.watchdogPid], watchdogMarker(name), { graceMs: 1000 }).catch(() => {})
    for (const node of nodes) node.pid = null
    state.phase = 'failed'
    writeState(state)
    throw error
  }
  state.phase = 'running'
  state.startMs = Date.now() - began
  writeState(state)
  log(`kafka '${name}': ${size} node(s) of Kafka ${kafkaVersion} ready in ${(state.startMs / 1000).toFixed(1)} s`)
  return { ...describeInstance(state), reused: false }
}

/**
 * Stops every process of the instance (SIGTERM, then SIGKILL after `graceMs`) and removes its folder unless
 * `keepFiles`. Returns false when there was no such instance.
 */
export async function stopInstance(name = DEFAULT_INSTANCE, { graceMs = 10_000, keepFiles = false, log = stderrLog } = {}) {
  const state = readState(name)
  if (!state) {
    if (!keepFiles) rmSync(instanceDir(name), { recursive: true, force: true })
    return false
  }
  if (state.watchdogPid && state.watchdogPid !== process.pid) {
    await terminate([state.watchdogPid], watchdogMarker(name), { graceMs: 1000 })
  }
  const stopped = await terminate(state.nodes.map((n) => n.pid).filter(Boolean), processMarker(state), { graceMs })
  if (keepFiles) {
    for (const node of state.nodes) node.pid = null
    state.phase = 'stopped'
    state.watchdogPid = null
    writeState(state)
  } else {
    rmSync(state.instanceDir, { recursive: true, force: true })
  }
  log(`kafka '${name}': stopped ${stopped.length} process(es)${keepFiles ? `, files kept in ${state.instanceDir}` : ''}`)
  return true
}

function requireNode(state, nodeId) {
  const node = state.nodes.find((n) => n.id === nodeId)
  if (!node) throw new Error(`instance '${state.name}' has no node ${nodeId} (nodes: ${state.nodes.map((n) => n.id).join(', ')})`)
  return node
}

function requireState(name) {
  const state = readState(name)
  if (!state) throw new Error(`no Kafka instance '${name}' (start it with: node scripts/kafka/cli.mjs start --name ${name})`)
  return state
}

/** SIGKILL one node, the way a crash or an OOM kill would end it. */
export async function killNode(name, nodeId, { log = stderrLog } = {}) {
  const state = requireState(name)
  const node = requireNode(state, nodeId)
  const killed = node.pid !== null && (await killHard(node.pid, processMarker(state)))
  node.pid = null
  writeState(state)
  log(killed ? `kafka '${name}': node ${nodeId} killed` : `kafka '${name}': node ${nodeId} was not running`)
  return killed
}

/**
 * Starts node `nodeId` (or every node when omitted) again with its existing config, ports and data, stopping
 * it first if it is running, and resolves when it answers ApiVersions.
 */
export async function restartNode(name, nodeId, { timeoutMs = 180_000, graceMs = 10_000, log = stderrLog } = {}) {
  const began = Date.now()
  const state = requireState(name)
  const targets = nodeId === undefined ? state.nodes : [requireNode(state, nodeId)]
  await terminate(targets.map((n) => n.pid).filter(Boolean), processMarker(state), { graceMs })
  const jars = resolveKafkaJars(state.kafkaVersion)
  for (const node of targets) launchNode(state, node, jars.classpath)
  state.phase = 'running'
  writeState(state)
  const relaunch = (node) => {
    launchNode(state, node, jars.classpath)
    writeState(state)
  }
  await Promise.all(targets.map((node) => waitUntilReady(state, node, began + timeoutMs, relaunch)))
  log(`kafka '${name}': node(s) ${targets.map((n) => n.id).join(', ')} ready in ${((Date.now() - began) / 1000).toFixed(1)} s`)
  return describeInstance(state)
}

function ownerGone(instance) {
  if (!instance.ownerPid) return false
  const start = processStartMarker(instance.ownerPid)
  return start === null || (instance.ownerStart ? start !== instance.ownerStart : false)
}

/**
 * Removes the folders of instances that have nothing running (crashed runs, failed starts). With
 * `onlyOrphans`, only instances whose owning process (--owner-pid) has died: what automatic clean-up may
 * touch without second-guessing someone who killed every node on purpose and is about to restart them.
 */
export async function pruneInstances({ onlyOrphans = false, log = stderrLog } = {}) {
  const pruned = []
  for (const instance of listInstances()) {
    const starting = instance.phase === 'starting' && isOurProcess(instance.starterPid, 'node')
    const watched = instance.watchdogPid && isOurProcess(instance.watchdogPid, watchdogMarker(instance.name))
    if (instance.nodes.some((node) => node.alive) || starting || watched) continue
    if (onlyOrphans && !ownerGone(instance)) continue
    rmSync(instance.instanceDir, { recursive: true, force: true })
    pruned.push(instance.name)
  }
  if (pruned.length > 0) log(`kafka: pruned ${pruned.join(', ')}`)
  return pruned
}
