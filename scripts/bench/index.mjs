// `npm run bench`: the benchmark suite, one script after another, each printing its own tables; then the measured
// parts of docs/benchmarks.md and the charts in docs/bench/ are regenerated from what the scripts wrote.
//
//   npm run bench [-- --only import,protocol,records] [--skip producer,consumer] [--quick] [--node 20,22,24]
//       [--out bench-results/<dir>] [--no-docs] [--broker-name bench] [--shared-broker] [--keep-broker]
//       [--<script>-args '<options>']
//
// --quick gives every script its short version (see QUICK_ARGS). --node runs the suite under each of those Node
// major versions, one after another per script: this machine's own, others installed from the npm registry into
// .cache/node<major> (scripts/bench/lib/runtimes.mjs). Each script writes its report (lib/report.mjs) to
// bench-results/<timestamp>/<script>-node<major>.json; run.json there records the command, each script's time and
// the load average around it. scripts/bench/render.mjs turns that directory into docs/benchmarks.md's generated
// blocks and docs/bench/*.svg (here at the end, unless --no-docs; run it alone to re-render a saved run).
// --<script>-args passes options to one script (e.g. --producer-args '--records 50000 --clients samsa,platformatic2');
// they take precedence over the --quick ones.
//
// import, protocol and records run in-process against the built dist/ (`npm run build` first) and need no broker.
// The others run against the cluster in KAFKA_BROKERS, else a harness Kafka instance (--broker-name, default `bench`;
// the first run downloads Kafka) started fresh for each script and Node version and stopped after it, so no run
// inherits another's topics or a broker slowed by them (~10 s per start). --shared-broker starts one for the whole
// suite instead (stopped at the end unless --keep-broker). producer and
// consumer compare with KafkaJS, @platformatic/kafka 1.x (and 2.x as `platformatic2` under Node >= 22, installed
// into .cache/platformatic2) and the Java client; latency (produce → consume at fixed rates, ~8 min) and memory
// (10 min at a steady rate) too; scale (1 to 10 000 partitions) takes the longest. Each script's own options are
// documented at its top.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flag, listOption, option } from './lib/args.mjs'
import { currentNodeMajor, ensureNode, ensurePlatformatic2 } from './lib/runtimes.mjs'
import { repoRoot } from './lib/samsa.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const ORDER = ['import', 'protocol', 'records', 'producer', 'consumer', 'latency', 'memory', 'scale']
const SUITE = ORDER.filter((name) => existsSync(join(here, `${name}.mjs`)))
const NEEDS_BROKER = new Set(['producer', 'consumer', 'latency', 'memory', 'scale'])
const USES_PLATFORMATIC2 = new Set(['producer', 'consumer'])
// The short version of each script: minutes for the whole suite instead of about an hour.
const QUICK_ARGS = {
  import: ['--runs', '5'],
  protocol: ['--seconds', '0.3', '--rounds', '2'],
  records: ['--quick'],
  producer: ['--records', '50000', '--acks', 'all'],
  consumer: ['--records', '200000'],
  latency: ['--quick'],
  memory: ['--quick'],
  scale: ['--quick'],
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`)
const quick = flag('quick')
const only = listOption('only', SUITE)
const skip = listOption('skip', [])
const unknown = [...only, ...skip].filter((name) => !SUITE.includes(name))
if (unknown.length > 0) {
  log(`unknown benchmark(s): ${unknown.join(', ')} (the suite here: ${SUITE.join(', ')})`)
  process.exit(2)
}
const selected = SUITE.filter((n) => only.includes(n) && !skip.includes(n))
const majors = listOption('node', [String(currentNodeMajor())]).map(Number)
if (majors.some((m) => !Number.isInteger(m) || m < 20)) {
  log(`--node expects major versions of 20 or later, e.g. --node 20,22,24`)
  process.exit(2)
}

const startedAt = new Date()
const outDir = resolve(option('out', join(repoRoot, 'bench-results', startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'))))
mkdirSync(outDir, { recursive: true })
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)
const argv = process.argv.slice(2).map(quote)
const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}` : `node scripts/bench/index.mjs ${argv.join(' ')}`.trim()

// Runtimes first, so a failed download stops the run before anything is measured.
const nodes = majors.map((major) => {
  const binary = ensureNode(major, { log })
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim()
  return { major, binary, version }
})
if (nodes.some((n) => n.major >= 22) && selected.some((n) => USES_PLATFORMATIC2.has(n))) {
  const { version } = ensurePlatformatic2({ log })
  log(`@platformatic/kafka ${version} in .cache/platformatic2 (platformatic2, Node >= 22)`)
}

const manifest = { command, startedAt: startedAt.toISOString(), endedAt: null, quick, out: relative(repoRoot, outDir), nodes: nodes.map(({ major, version }) => ({ major, version })), broker: null, runs: [] }
const saveManifest = () => writeFileSync(join(outDir, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`)
saveManifest()

// The broker: KAFKA_BROKERS as given, else a harness instance per script run (or one for the suite, --shared-broker).
const env = { ...process.env }
const brokerName = option('broker-name', 'bench')
const sharedBroker = flag('shared-broker')
if (process.env.KAFKA_BROKERS) manifest.broker = { origin: 'KAFKA_BROKERS', bootstrap: process.env.KAFKA_BROKERS }
else manifest.broker = { origin: `harness instance '${brokerName}'`, fresh: sharedBroker ? 'once for the suite' : 'for each script run' }
saveManifest()
let suiteBroker = null

/** Starts the harness broker when the script needs one (and KAFKA_BROKERS is not set); returns the env and a release. */
async function brokerFor(name) {
  if (!NEEDS_BROKER.has(name) || process.env.KAFKA_BROKERS) return { env, release: async () => {}, broker: null }
  const { useBroker } = await import('./lib/broker.mjs')
  const broker = sharedBroker ? (suiteBroker ??= await useBroker({ name: brokerName, keep: flag('keep-broker'), log })) : await useBroker({ name: brokerName, log })
  log(`broker ${broker.brokers} (${broker.origin}), Kafka ${broker.kafkaVersion}`)
  return {
    env: { ...env, KAFKA_BROKERS: broker.brokers, SAMSA_BENCH_KAFKA_VERSION: broker.kafkaVersion ?? '', SAMSA_BENCH_BROKER_ORIGIN: broker.origin, SAMSA_BENCH_BROKER_PIDS: (broker.pids ?? []).join(',') },
    release: sharedBroker ? async () => {} : () => broker.release(),
    broker: { bootstrap: broker.brokers, kafka: broker.kafkaVersion, origin: broker.origin },
  }
}

/** Options for one script: its --<name>-args first (the scripts take an option's first occurrence), then --quick's. */
function argsFor(name) {
  const extra = option(`${name}-args`, '').split(/\s+/).filter(Boolean)
  return [...extra, ...(quick ? QUICK_ARGS[name] ?? [] : [])]
}

const failed = []
try {
  for (const name of selected) {
    for (const node of nodes) {
      const file = `${name}-node${node.major}.json`
      const args = argsFor(name)
      process.stdout.write(`\n=== ${name} on Node ${node.version} (scripts/bench/${name}.mjs${args.length ? ` ${args.join(' ')}` : ''}) ===\n\n`)
      const started = performance.now()
      const run = { bench: name, node: node.version, file, args, startedAt: new Date().toISOString() }
      let scriptEnv, release, broker
      try {
        ;({ env: scriptEnv, release, broker } = await brokerFor(name))
      } catch (error) {
        log(`${name} on Node ${node.major}: no broker (${error.message})`)
        failed.push(`${name} on Node ${node.major} (no broker)`)
        manifest.runs.push({ ...run, status: 'no broker', endedAt: new Date().toISOString(), seconds: Math.round((performance.now() - started) / 1000) })
        saveManifest()
        continue
      }
      try {
        Object.assign(run, { broker, loadBefore: loadavg().map((l) => Number(l.toFixed(2))) })
        const { status, signal } = spawnSync(node.binary, [join(here, `${name}.mjs`), ...args, '--json', join(outDir, file)], { stdio: 'inherit', env: scriptEnv })
        Object.assign(run, { loadAfter: loadavg().map((l) => Number(l.toFixed(2))), status: status === 0 ? 'ok' : signal ?? `exit ${status}` })
        if (status !== 0) failed.push(`${name} on Node ${node.major} (${run.status})`)
        if (status === 0 && !existsSync(join(outDir, file))) log(`${name} wrote no report to ${file} (does it support --json?)`)
      } finally {
        await release()
        // Broker start and stop included: what the suite's time is made of.
        Object.assign(run, { endedAt: new Date().toISOString(), seconds: Math.round((performance.now() - started) / 1000) })
        manifest.runs.push(run)
        saveManifest()
      }
    }
  }
} finally {
  await suiteBroker?.release()
  manifest.endedAt = new Date().toISOString()
  saveManifest()
}

process.stdout.write(`\n=== suite: ${relative(repoRoot, outDir)} ===\n`)
for (const run of manifest.runs) process.stdout.write(`${run.bench.padEnd(9)} Node ${run.node.padEnd(9)} ${String(run.seconds).padStart(5)} s  ${run.status}\n`)
process.stdout.write(`total ${Math.round((Date.parse(manifest.endedAt) - startedAt.getTime()) / 1000)} s\n`)

if (!flag('no-docs') && manifest.runs.some((r) => existsSync(join(outDir, r.file)))) {
  const { renderResults } = await import('./render.mjs')
  renderResults(outDir, { log })
}
if (failed.length > 0) {
  log(`failed: ${failed.join(', ')}`)
  process.exit(1)
}
