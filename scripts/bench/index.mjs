// `npm run bench`: the benchmark suite, one script after another, each printing its own tables.
//
//   npm run bench [-- --only import,protocol,records] [--skip producer,consumer] [--quick]
//
// --quick reaches the scripts that have a short version (records, latency, memory, scale); the others run as they are.
// import, protocol and records run in-process against the built dist/ (`npm run build` first) and need no broker.
// producer and consumer use the cluster in KAFKA_BROKERS, else start a harness Kafka of their own (the first run
// downloads it), and compare with KafkaJS, @platformatic/kafka and the Java client; they take minutes. latency
// (produce → consume at fixed rates, ~8 min) and memory (10 min at a steady rate; --quick: 1 min) do too. scale
// (1 to 10 000 partitions: start-up, produce, group assignment, consume, memory) takes the longest. Each
// script's own options (record counts, codecs, --json …) are documented at its top; run it directly to pass them.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { listOption } from './lib/args.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const SUITE = ['import', 'protocol', 'records', 'producer', 'consumer', 'latency', 'memory', 'scale']
const QUICK_AWARE = new Set(['records', 'latency', 'memory', 'scale'])
const quick = process.argv.includes('--quick')
const only = listOption('only', SUITE)
const skip = listOption('skip', [])
const unknown = [...only, ...skip].filter((name) => !SUITE.includes(name))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (the suite: ${SUITE.join(', ')})\n`)
  process.exit(2)
}

const failed = []
for (const name of SUITE.filter((n) => only.includes(n) && !skip.includes(n))) {
  process.stdout.write(`\n=== ${name} (scripts/bench/${name}.mjs) ===\n\n`)
  const { status, signal } = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...(quick && QUICK_AWARE.has(name) ? ['--quick'] : [])], { stdio: 'inherit' })
  if (status !== 0) failed.push(`${name} (${signal ?? `exit ${status}`})`)
}
if (failed.length > 0) {
  process.stderr.write(`\nfailed: ${failed.join(', ')}\n`)
  process.exit(1)
}
