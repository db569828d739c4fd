#!/usr/bin/env node
// Runs KafkaJS 2.2.4's own broker-backed specs (admin, producer, consumer) against samsa/kafkajs.
//
//   node scripts/kafkajs-suite/run.mjs [--kafkajs-repo PATH] [--filter admin|producer|consumer] [--spec SUBSTRING,…]
//                                      [--name INSTANCE] [--cluster single|three] [--json FILE] [--workers N] [--no-build]
//                                      [--baseline]
//
// KafkaJS's files never enter this repository: `git archive v2.2.4` of its repository is unpacked under
// ~/.cache/samsa/kafkajs-suite/, the few packages its specs need are installed beside it, and jest runs there with
// a resolver (shims/resolver.cjs) that hands the specs our shims instead of KafkaJS's client factories, errors and
// testHelpers. The shims build every client with `new Kafka(config).producer()` etc. from this repository's dist/.
//
// --baseline runs the same specs through the same shims against KafkaJS itself (the kafkajs package installed in
// this repository): what fails there is a shim limitation or a harness mismatch, not a facade bug.
//
// The broker: KAFKA_BROKERS (and the harness's other variables) when set, otherwise the harness instance --name
// (default "kafkajs-suite"), started when it is not running and then stopped again at the end.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { EXCLUDED_TESTS, OUT_OF_SCOPE_FILES } from './exclusions.mjs'

const TAG = 'v2.2.4'
// jest-extended 4 is the line that supports jest 29; uuid 3 still has the `uuid/v4` entry the specs import.
const SPEC_DEPENDENCIES = ['jest@29.7.0', 'jest-extended@4.0.2', 'uuid@3.4.0']

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..', '..')
const cli = join(repoRoot, 'scripts', 'kafka', 'cli.mjs')

const { values: args } = parseArgs({
  options: {
    'kafkajs-repo': { type: 'string', default: '/work/.mirror/tulios+kafkajs/repo' },
    filter: { type: 'string' },
    spec: { type: 'string' },
    name: { type: 'string', default: 'kafkajs-suite' },
    cluster: { type: 'string', default: 'single' },
    json: { type: 'string' },
    workers: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  const header = readFileSync(fileURLToPath(import.meta.url), 'utf-8').split('\n').slice(1)
  const usage = header.slice(0, header.findIndex((line) => !line.startsWith('//')))
  process.stdout.write(usage.map((line) => line.replace(/^\/\/ ?/, '')).join('\n') + '\n')
  process.exit(0)
}
const GROUPS = ['admin', 'producer', 'consumer']
if (args.filter && !GROUPS.includes(args.filter)) fail(`--filter must be one of ${GROUPS.join(', ')}`)

function fail(message) {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

function log(message) {
  process.stderr.write(`[kafkajs-suite] ${message}\n`)
}

const cacheDir = join(homedir(), '.cache', 'samsa', 'kafkajs-suite')
const kafkajsRoot = join(cacheDir, `kafkajs-${TAG}`)
const depsDir = join(cacheDir, 'deps')
if (!relative(repoRoot, cacheDir).startsWith('..')) fail(`${cacheDir} is inside the repository; KafkaJS's files must stay outside it`)

function extractKafkaJS() {
  const stamp = join(kafkajsRoot, '.samsa-extracted')
  const source = resolve(args['kafkajs-repo'])
  if (existsSync(stamp) && readFileSync(stamp, 'utf-8') === source) return
  log(`extracting KafkaJS ${TAG} from ${source} into ${kafkajsRoot}`)
  rmSync(kafkajsRoot, { recursive: true, force: true })
  mkdirSync(kafkajsRoot, { recursive: true })
  const gitDir = existsSync(join(source, '.git')) ? join(source, '.git') : source
  const archive = execFileSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', TAG], { maxBuffer: 1 << 30 })
  execFileSync('tar', ['-x', '-C', kafkajsRoot], { input: archive })
  writeFileSync(stamp, source)
}

// Beside the tree rather than in it: `npm install` in KafkaJS's folder would also pull its whole devDependencies.
function installSpecDependencies() {
  const stamp = join(depsDir, '.samsa-installed')
  if (existsSync(stamp) && readFileSync(stamp, 'utf-8') === SPEC_DEPENDENCIES.join(' ')) return
  log(`installing ${SPEC_DEPENDENCIES.join(', ')} into ${depsDir}`)
  mkdirSync(depsDir, { recursive: true })
  writeFileSync(join(depsDir, 'package.json'), JSON.stringify({ name: 'samsa-kafkajs-suite-deps', private: true }, null, 2))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', '--no-package-lock', ...SPEC_DEPENDENCIES], {
    cwd: depsDir,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  writeFileSync(stamp, SPEC_DEPENDENCIES.join(' '))
}

function specFiles() {
  const outOfScope = new Set(OUT_OF_SCOPE_FILES.map((entry) => entry.file))
  const inFolder = (folder, { recursive = false } = {}) =>
    readdirSync(join(kafkajsRoot, folder), { recursive, withFileTypes: false })
      .filter((name) => String(name).endsWith('.spec.js'))
      .map((name) => `${folder}/${String(name).split('\\').join('/')}`)
  const groups = {
    admin: [...inFolder('src/admin/__tests__'), 'src/admin/index.spec.js'],
    producer: [...inFolder('src/producer/__tests__'), 'src/producer/index.spec.js', 'src/producer/compression.spec.js', 'src/producer/partitioners/legacy/index.spec.js'],
    consumer: inFolder('src/consumer/__tests__'),
  }
  return (args.filter ? [args.filter] : GROUPS)
    .flatMap((group) => groups[group])
    .filter((file) => !outOfScope.has(file))
    .filter((file) => !args.spec || args.spec.split(',').some((part) => file.includes(part)))
    .sort()
}

function harness(command, ...extra) {
  return execFileSync(process.execPath, [cli, command, '--name', args.name, ...extra], { cwd: repoRoot, encoding: 'utf-8' })
}

/** The broker environment, and a function that stops the instance if this run started it. */
function brokerEnvironment() {
  if (process.env.KAFKA_BROKERS) {
    log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`)
    return { env: {}, state: process.env.KAFKA_HARNESS_INSTANCE ? readInstance(process.env.KAFKA_HARNESS_INSTANCE) : undefined, stop: () => {} }
  }
  let running = false
  try {
    running = JSON.parse(harness('status', '--json')).running === true
  } catch {
    running = false
  }
  if (!running) {
    log(`starting harness instance '${args.name}' (${args.cluster})`)
    harness('start', '--cluster', args.cluster, '--owner-pid', String(process.pid))
  }
  const env = {}
  for (const line of harness('env').split('\n')) {
    const match = /^export (\w+)='(.*)'$/.exec(line)
    if (match) env[match[1]] = match[2]
  }
  return { env, state: readInstance(args.name), stop: running ? () => {} : () => harness('stop') }
}

function readInstance(name) {
  try {
    return JSON.parse(execFileSync(process.execPath, [cli, 'status', '--name', name, '--json'], { cwd: repoRoot, encoding: 'utf-8' }))
  } catch {
    return undefined
  }
}

function writeJestConfig(files) {
  const config = {
    rootDir: kafkajsRoot,
    testEnvironment: 'node',
    testMatch: files.map((file) => join(kafkajsRoot, file)),
    transform: {},
    resolver: join(here, 'shims', 'resolver.cjs'),
    setupFilesAfterEnv: [join(here, 'shims', 'setup.cjs')],
    globalSetup: join(here, 'shims', 'global-setup.cjs'),
    modulePaths: [join(depsDir, 'node_modules')],
    // KafkaJS's snapshots were written by jest 25, whose format these two options restore.
    snapshotFormat: { escapeString: true, printBasicPrototype: true },
    testTimeout: 90000,
  }
  const path = join(kafkajsRoot, '.samsa-jest.config.json')
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

function runJest(configPath, env, outputFile) {
  const jestBin = join(depsDir, 'node_modules', 'jest', 'bin', 'jest.js')
  const jestArgs = [jestBin, '--config', configPath, '--ci', '--json', `--outputFile=${outputFile}`, `--maxWorkers=${args.workers}`, '--forceExit', '--no-watchman']
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, jestArgs, { cwd: kafkajsRoot, env, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => resolvePromise(code))
  })
}

function firstLines(text, count = 6) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((line) => line.trim()).slice(0, count).join('\n')
}

/**
 * The baseline runs the harness and difference exclusions on KafkaJS itself: that run is what shows a `harness`
 * test failing there too, and what KafkaJS does where samsa differs.
 */
function exclusions() {
  return args.baseline ? EXCLUDED_TESTS.filter((entry) => entry.kind === 'internals') : EXCLUDED_TESTS
}

function summarise(raw) {
  const excluded = new Map(exclusions().map((entry) => [`${entry.file}\u0000${entry.test}`, entry]))
  const files = raw.testResults.map((result) => {
    const file = relative(kafkajsRoot, result.name).split('\\').join('/')
    const tests = result.assertionResults.map((assertion) => {
      const exclusion = excluded.get(`${file}\u0000${assertion.title}`)
      const status = assertion.status === 'pending' && exclusion ? 'excluded' : assertion.status === 'pending' ? 'skipped' : assertion.status
      const entry = { title: assertion.fullName, status }
      if (exclusion) Object.assign(entry, { kind: exclusion.kind, reason: exclusion.reason })
      if (status === 'failed') entry.failure = firstLines(assertion.failureMessages.join("\n"), 40)
      return entry
    })
    const count = (status) => tests.filter((test) => test.status === status).length
    const summary = { file, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), excluded: count('excluded'), tests }
    // A spec that could not even load counts as one failure, with jest's message.
    if (result.status === 'failed' && tests.length === 0) {
      summary.failed = 1
      summary.suiteError = firstLines(result.message || 'failed to run', 12)
    }
    return summary
  })
  return files.sort((a, b) => a.file.localeCompare(b.file))
}

function printTable(files) {
  const width = Math.max(...files.map((f) => f.file.length), 10)
  const row = (file, ...cells) => `${file.padEnd(width)}  ${cells.map((cell) => String(cell).padStart(10)).join('')}`
  const lines = [row('spec file', 'passed', 'failed', 'skipped', 'excluded'), '-'.repeat(width + 42)]
  for (const f of files) lines.push(row(f.file, f.passed, f.failed, f.skipped, f.excluded))
  const total = (key) => files.reduce((sum, f) => sum + f[key], 0)
  lines.push('-'.repeat(width + 42), row('total', total('passed'), total('failed'), total('skipped'), total('excluded')))
  process.stdout.write(lines.join('\n') + '\n')
}

async function main() {
  extractKafkaJS()
  installSpecDependencies()
  if (!args['no-build']) execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--if-stale'], { cwd: repoRoot, stdio: 'inherit' })
  const files = specFiles()
  if (files.length === 0) fail('no spec file matches')

  const exclusionsFile = join(kafkajsRoot, '.samsa-exclusions.json')
  writeFileSync(exclusionsFile, JSON.stringify(exclusions()))
  const broker = brokerEnvironment()
  const admin = broker.state?.users?.admin
  const kafkaVersion = broker.state?.kafkaVersion ?? process.env.KAFKA_VERSION ?? '4.0'
  const env = {
    ...process.env,
    ...broker.env,
    KAFKA_VERSION: kafkaVersion,
    KAFKAJS_ROOT: kafkajsRoot,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    SAMSA_KAFKAJS_FACADE: args.baseline ? join(repoRoot, 'node_modules', 'kafkajs', 'index.js') : join(repoRoot, 'dist', 'cjs', 'kafkajs', 'index.js'),
    SAMSA_NATIVE: join(repoRoot, 'dist', 'cjs', 'index.js'),
    SUITE_EXCLUSIONS: exclusionsFile,
    SUITE_JEST_EXTENDED: join(depsDir, 'node_modules', 'jest-extended'),
    // The harness's super user: KafkaJS's SASL user may do anything, and the harness runs an authorizer.
    SUITE_SASL_USERNAME: admin ? 'admin' : process.env.KAFKA_SASL_USERNAME ?? broker.env.KAFKA_SASL_USERNAME,
    SUITE_SASL_PASSWORD: admin ? admin.password : process.env.KAFKA_SASL_PASSWORD ?? broker.env.KAFKA_SASL_PASSWORD,
  }

  const rawFile = join(cacheDir, 'jest-output.json')
  rmSync(rawFile, { force: true })
  log(`running ${files.length} spec file(s) against ${env.KAFKA_BROKERS} (Kafka ${kafkaVersion})`)
  try {
    await runJest(writeJestConfig(files), env, rawFile)
  } finally {
    broker.stop()
  }
  if (!existsSync(rawFile)) fail('jest wrote no results')
  const results = summarise(JSON.parse(readFileSync(rawFile, 'utf-8')))
  printTable(results)
  const jsonFile = resolve(args.json ?? join(cacheDir, 'results.json'))
  const report = {
    kafkajs: TAG,
    against: args.baseline ? 'kafkajs (baseline)' : 'samsa/kafkajs',
    kafkaVersion,
    brokers: env.KAFKA_BROKERS,
    date: new Date().toISOString(),
    files: results,
    outOfScope: OUT_OF_SCOPE_FILES,
  }
  writeFileSync(jsonFile, JSON.stringify(report, null, 2))
  log(`results written to ${jsonFile}`)
  process.exitCode = results.some((f) => f.failed > 0) ? 1 : 0
}

main().catch((error) => fail(error instanceof Error ? error.stack : String(error)))
