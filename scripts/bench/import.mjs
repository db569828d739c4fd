// Cold import time: samsa (as `import` and as `require`) vs KafkaJS and @platformatic/kafka, side by side in one
// run, each import in a fresh Node process; plus the size of each package (scripts/package-size.mjs) from the
// same run.
//
//   node scripts/bench/import.mjs [--runs 21] [--node /path/to/node] [--json out.json] [--markdown]
//
// samsa is imported by its package name from a snapshot of the built dist/ (`npm run build` first), through its
// "exports" map as an application would; KafkaJS and @platformatic/kafka from this repository's node_modules.
// Every run starts one process per target, in rotating order so machine noise spreads evenly; the child times
// only the import() or require() call (process start-up excluded) with process.hrtime. Reported: median, min and
// max over the runs, in ms.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flag, numberOption, option } from './lib/args.mjs'
import { benchReport, formatNumber, formatTable, machineInfo, median, reportTable } from './lib/report.mjs'
import { distIsFresh, repoRoot } from './lib/samsa.mjs'
import { measureSizes, sizeRows, sizeTable } from '../package-size.mjs'

const RUNS = numberOption('runs', 21)
const NODE = option('node', process.execPath)
const JSON_OUT = option('json', null)
const MARKDOWN = flag('markdown')

const TARGETS = [
  { name: "samsa: import('samsa')", module: 'esm', specifier: 'samsa' },
  { name: "samsa: require('samsa')", module: 'cjs', specifier: 'samsa' },
  { name: "kafkajs: require('kafkajs')", module: 'cjs', specifier: 'kafkajs' },
  // Like for like with import('samsa'): any import() of CommonJS pays the ES module loader's own start-up.
  { name: "kafkajs: import('kafkajs')", module: 'esm', specifier: 'kafkajs' },
  { name: "@platformatic/kafka: import('@platformatic/kafka')", module: 'esm', specifier: '@platformatic/kafka' },
]

/** A folder inside node_modules holding node_modules/samsa (package.json + dist/), so its dependencies resolve. */
function snapshotPackage() {
  const dir = join(repoRoot, 'node_modules', '.cache', 'samsa-bench-import')
  const pkg = join(dir, 'node_modules', 'samsa')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(pkg, { recursive: true })
  cpSync(join(repoRoot, 'package.json'), join(pkg, 'package.json'))
  for (const half of ['cjs', 'esm']) cpSync(join(repoRoot, 'dist', half), join(pkg, 'dist', half), { recursive: true })
  return dir
}

function childSource(target) {
  const report = 'process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, names: Object.keys(m).length }))'
  return target.module === 'esm'
    ? `const t0 = process.hrtime.bigint(); const m = await import(${JSON.stringify(target.specifier)}); ${report}`
    : `const t0 = process.hrtime.bigint(); const m = require(${JSON.stringify(target.specifier)}); ${report}`
}

function runOnce(target, cwd) {
  const args = ['--no-warnings', '--input-type', target.module === 'esm' ? 'module' : 'commonjs', '-e', childSource(target)]
  const result = spawnSync(NODE, args, { cwd, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${target.name} failed on ${NODE}:\n${result.stderr}`)
  return JSON.parse(result.stdout)
}

if (!distIsFresh()) process.stderr.write('warning: dist/ is missing or older than src/ (run `npm run build` to measure the current sources)\n')
const cwd = snapshotPackage()
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()
process.stderr.write(`import benchmark: ${RUNS} runs × ${TARGETS.length} targets on Node ${nodeVersion}\n`)

const samples = TARGETS.map(() => [])
const exportedNames = TARGETS.map(() => 0)
for (let run = 0; run < RUNS; run++) {
  for (let k = 0; k < TARGETS.length; k++) {
    const i = (run + k) % TARGETS.length
    const { ms, names } = runOnce(TARGETS[i], cwd)
    samples[i].push(ms)
    exportedNames[i] = names
  }
}
rmSync(cwd, { recursive: true, force: true })

const results = TARGETS.map((t, i) => ({
  target: t.name,
  medianMs: Number(median(samples[i]).toFixed(1)),
  minMs: Number(Math.min(...samples[i]).toFixed(1)),
  maxMs: Number(Math.max(...samples[i]).toFixed(1)),
  exportedNames: exportedNames[i],
  samplesMs: samples[i].map((ms) => Number(ms.toFixed(2))),
}))
const kafkajs = results.find((r) => r.target === "kafkajs: require('kafkajs')")
const sizes = measureSizes()

const rows = results.map((r) => [r.target, formatNumber(r.medianMs, 1), formatNumber(r.minMs, 1), formatNumber(r.maxMs, 1), (r.medianMs / kafkajs.medianMs).toFixed(2)])
const columns = ['target', 'median', 'min', 'max', "÷ require('kafkajs') median"]
process.stdout.write(`Cold import on Node ${nodeVersion}, ${RUNS} fresh processes per target (ms):\n\n`)
process.stdout.write(`${formatTable(columns, rows, { markdown: MARKDOWN })}\n\n`)
process.stdout.write(`Package size:\n\n${sizeTable(sizes, { markdown: MARKDOWN })}\n`)

if (JSON_OUT) {
  const { fileList, ...samsaSize } = sizes.samsa
  const size = sizeRows(sizes)
  const contract = benchReport({
    bench: 'import',
    machine: { ...machineInfo(), node: nodeVersion },
    versions: { node: nodeVersion, samsa: sizes.samsa.version, ...Object.fromEntries(sizes.others.map((o) => [o.name, o.version])) },
    settings: { runs: RUNS, node: NODE },
    results,
    tables: [
      reportTable('import-time', `Cold import, ${RUNS} fresh processes per target (ms)`, columns, rows, [
        'Only the import() or require() call is timed (process start-up excluded); targets run in rotating order.',
      ]),
      reportTable('import-size', 'Package size', size.columns, size.rows, ['samsa as `npm pack` would publish the current dist/; the others as installed.']),
    ],
  })
  writeFileSync(
    JSON_OUT,
    `${JSON.stringify({ ...contract, measuredAt: new Date().toISOString(), machine: { ...machineInfo(), node: nodeVersion }, runs: RUNS, imports: results, sizes: { samsa: samsaSize, others: sizes.others } }, null, 2)}\n`,
  )
}
