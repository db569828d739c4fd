#!/usr/bin/env node
// Markdown summary of a kafkajs-suite run, for docs/kafkajs-suite-results.md:
//
//   node scripts/kafkajs-suite/report.mjs RESULTS.json [--baseline BASELINE.json]
//
// With a baseline (a run.mjs --baseline result: the same specs through the same shims against KafkaJS itself),
// each facade failure is marked by whether KafkaJS fails it too: a test that fails under KafkaJS through our shims
// and on our harness says nothing about the facade (a shim limitation or a harness mismatch), one that passes
// there and fails on the facade is a facade difference.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' } } })
if (positionals.length !== 1) {
  process.stderr.write('usage: node scripts/kafkajs-suite/report.mjs RESULTS.json [--baseline BASELINE.json]\n')
  process.exit(1)
}
const results = JSON.parse(readFileSync(positionals[0], 'utf-8'))
const baseline = values.baseline ? JSON.parse(readFileSync(values.baseline, 'utf-8')) : undefined

const baselineStatus = new Map()
for (const file of baseline?.files ?? []) {
  for (const test of file.tests) baselineStatus.set(`${file.file}\u0000${test.title}`, test.status)
  if (file.suiteError) baselineStatus.set(`${file.file}\u0000`, 'failed')
}

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ')
const lines = []
lines.push(`KafkaJS ${results.kafkajs} specs against ${results.against ?? 'samsa/kafkajs'}, Kafka ${results.kafkaVersion}, ${results.date}`)
lines.push('')
lines.push('| spec file | passed | failed | skipped | excluded |' + (baseline ? ' failed with KafkaJS too |' : ''))
lines.push('| --- | ---: | ---: | ---: | ---: |' + (baseline ? ' ---: |' : ''))
const totals = { passed: 0, failed: 0, skipped: 0, excluded: 0, both: 0 }
for (const file of results.files) {
  const failedBoth = file.tests.filter((t) => t.status === 'failed' && baselineStatus.get(`${file.file}\u0000${t.title}`) === 'failed').length
  for (const key of ['passed', 'failed', 'skipped', 'excluded']) totals[key] += file[key]
  totals.both += failedBoth
  lines.push(`| ${file.file} | ${file.passed} | ${file.failed} | ${file.skipped} | ${file.excluded} |` + (baseline ? ` ${failedBoth} |` : ''))
}
lines.push(`| **total** | ${totals.passed} | ${totals.failed} | ${totals.skipped} | ${totals.excluded} |` + (baseline ? ` ${totals.both} |` : ''))
lines.push('')

const excluded = results.files.flatMap((file) => file.tests.filter((t) => t.status === 'excluded').map((t) => ({ file: file.file, ...t })))
if (excluded.length > 0) {
  const headings = { internals: 'checks KafkaJS internals', harness: "fails on KafkaJS too through this harness", difference: 'a deliberate, documented difference' }
  for (const [kind, heading] of Object.entries(headings)) {
    const ofKind = excluded.filter((t) => (t.kind ?? 'internals') === kind)
    if (ofKind.length === 0) continue
    lines.push(`### Excluded: ${heading} (${ofKind.length})`, '')
    for (const t of ofKind) lines.push(`- \`${t.file}\` — ${t.title}: ${t.reason}`)
    lines.push('')
  }
}

lines.push('### Failures', '')
for (const file of results.files) {
  if (file.suiteError) lines.push(`- \`${file.file}\` did not load: ${cell(file.suiteError.split('\n').slice(0, 3).join(' '))}`)
  for (const test of file.tests.filter((t) => t.status === 'failed')) {
    const there = baselineStatus.get(`${file.file}\u0000${test.title}`)
    const mark = baseline ? (there === 'failed' ? ' [fails with KafkaJS too]' : there === 'passed' ? ' [passes with KafkaJS]' : ' [not run with KafkaJS]') : ''
    const why = test.failure.split('\n').filter((line) => !/^\s*at /.test(line)).slice(0, 4).join(' ')
    lines.push(`- \`${file.file}\` — ${test.title}${mark}: ${cell(why)}`)
  }
}
lines.push('', '### Out of scope (unit specs of KafkaJS internals)', '')
for (const entry of results.outOfScope ?? []) lines.push(`- \`${entry.file}\`: ${entry.reason}`)
process.stdout.write(lines.join('\n') + '\n')
