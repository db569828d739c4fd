#!/usr/bin/env node
// `npm run size`: what installing samsa costs, next to KafkaJS and @platformatic/kafka as installed here.
//
//   node scripts/package-size.mjs [--json out.json] [--files] [--max-unpacked-mb 5]
//
// samsa is measured as `npm pack` would publish the current dist/ (`npm run build` first); the others as their
// installed folders. "with deps" adds each package's runtime dependencies as installed for this platform (napi-rs
// bindings install only this platform's binary package). `--files` lists what samsa's package holds;
// `--max-unpacked-mb` exits 1 when samsa's unpacked size exceeds it.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flag, numberOption, option } from './bench/lib/args.mjs'
import { formatTable } from './bench/lib/report.mjs'
import { installedSize, packedSamsa, resolvePackageDir } from './lib/package-size.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** samsa and the two clients it is compared with, in one list of rows. */
export function measureSizes() {
  const samsa = packedSamsa(root)
  const others = ['kafkajs', '@platformatic/kafka'].map((name) => {
    const dir = resolvePackageDir(name, root)
    if (!dir) throw new Error(`${name} is not installed (a devDependency: run npm install)`)
    return installedSize(dir)
  })
  return { samsa, others }
}

const mb = (bytes) => (bytes / 1e6).toFixed(2)

/** The size table's header and rows (formatted cells). */
export function sizeRows({ samsa, others }) {
  const rows = [
    [`samsa ${samsa.version} (npm pack)`, String(samsa.files), mb(samsa.unpackedBytes), mb(samsa.tarballBytes), String(samsa.packages), mb(samsa.withDependencies.bytes)],
    ...others.map((o) => [`${o.name} ${o.version} (installed)`, String(o.files), mb(o.unpackedBytes), '–', String(o.packages), mb(o.withDependencies.bytes)]),
  ]
  return { columns: ['package', 'files', 'unpacked MB', 'tarball MB', 'packages with deps', 'with deps MB'], rows }
}

export function sizeTable(sizes, { markdown = false } = {}) {
  const { columns, rows } = sizeRows(sizes)
  return formatTable(columns, rows, { markdown })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = measureSizes()
  process.stdout.write(`${sizeTable(sizes, { markdown: flag('markdown') })}\n`)
  if (flag('files')) process.stdout.write(`\nsamsa's package:\n${sizes.samsa.fileList.map((f) => `  ${f}`).join('\n')}\n`)
  const json = option('json', null)
  if (json) writeFileSync(json, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...sizes }, null, 2)}\n`)
  const max = numberOption('max-unpacked-mb', null)
  if (max !== null && sizes.samsa.unpackedBytes > max * 1e6) {
    process.stderr.write(`samsa's package unpacks to ${mb(sizes.samsa.unpackedBytes)} MB, over ${max} MB\n`)
    process.exit(1)
  }
}
