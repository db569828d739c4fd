// Regenerates the measured parts of docs/benchmarks.md, and the charts in docs/bench/*.svg, from one suite run's
// reports (the JSON files `npm run bench` writes into bench-results/<timestamp>/; see lib/report.mjs).
//
//   node scripts/bench/render.mjs <results-dir> [--doc docs/benchmarks.md] [--charts docs/bench]
//
// The document keeps its hand-written prose. Each table or chart of a report has an id; its generated text lives
// between `<!-- bench:<id> start -->` and `<!-- bench:<id> end -->`, and only that text is replaced. A table is
// written as Markdown under a line saying when, where and how it was measured; a chart as an SVG file embedded as
// `![title](bench/<id>.svg)`. Markers for ids this run did not measure are left as they are. Ids that have no
// marker yet are appended, each in its own markers, under a heading at the end of the document (move them where
// they belong; later runs update them in place). With reports from several Node versions (`--node 20,22,24`),
// a table gets a leading Node column and a chart one line style per Node version (or, when its series already
// differ by line style, one chart per Node version).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { option } from './lib/args.mjs'
import { repoRoot } from './lib/samsa.mjs'
import { renderLineChart } from './lib/svg.mjs'

const UNPLACED_HEADING = '## Generated results without a place yet'

/** The reports of a results directory (every *.json with a `bench` field) and its run.json, if any. */
export function readResults(dir) {
  const manifestPath = join(dir, 'run.json')
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null
  const reports = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'run.json').sort()) {
    let report
    try {
      report = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    } catch {
      continue // a script that died mid-write
    }
    if (!report || typeof report.bench !== 'string') continue
    reports.push({ ...report, file, tables: report.tables ?? [], charts: report.charts ?? [], entry: manifest?.runs?.find((r) => r.file === file) ?? null })
  }
  reports.sort((a, b) => nodeMajor(a) - nodeMajor(b))
  return { manifest, reports }
}

const nodeOf = (report) => report.versions?.node ?? report.machine?.node ?? 'unknown'
const nodeMajor = (report) => Number(String(nodeOf(report)).replace(/^v/, '').split('.')[0]) || 0

function utc(iso) {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`
}

function load(report) {
  const entry = report.entry
  const fmt = (l) => (Array.isArray(l) ? l[0] : l)?.toFixed?.(2)
  if (entry?.loadBefore && entry?.loadAfter) return `load average ${fmt(entry.loadBefore)} → ${fmt(entry.loadAfter)} (1 min, start → end)`
  const l = report.machine?.loadAverage
  return Array.isArray(l) ? `load average ${l.map((v) => v.toFixed(2)).join(' / ')} (1 / 5 / 15 min, at the end)` : 'load average unknown'
}

/** One line: when, on which Node and machine, under what load, against which Kafka, by which command. */
export function stampLine(reports, manifest) {
  const first = reports[0]
  const machine = first.machine ?? {}
  const where = `${String(machine.cpu ?? 'unknown CPU').replace(/\s+/g, ' ').trim()} (${machine.cores ?? '?'} cores${machine.memoryGiB ? `, ${machine.memoryGiB} GiB` : ''})`
  const kafka = first.versions?.kafka ? `, Kafka ${first.versions.kafka}` : ''
  const command = manifest?.command ?? first.command
  const by = command ? `; \`${command}\`` : ''
  if (reports.length === 1) return `_Measured ${utc(first.measuredAt)} on Node ${nodeOf(first)}, ${where}, ${load(first)}${kafka}${by}._`
  const perNode = reports.map((r) => `Node ${nodeOf(r)} at ${utc(r.measuredAt)}, ${load(r)}`).join('; ')
  return `_Measured on ${where}${kafka}: ${perNode}${by}._`
}

/** The union of several column lists, keeping each list's order (a column new in a later list follows its left neighbour). */
function mergeColumns(lists) {
  const merged = []
  for (const list of lists) {
    list.forEach((column, i) => {
      if (merged.includes(column)) return
      const after = i > 0 ? merged.indexOf(list[i - 1]) : -1
      merged.splice(after + 1, 0, column)
    })
  }
  return merged
}

const cell = (value) => String(value ?? '–').replace(/\|/g, '\\|').replace(/\n/g, ' ')
/** A figure (1,234 · 3.86× · 0.52 M · 705,753 (67.3) · +1.5 MiB) or a dash for a missing one: right-aligned. */
const isNumeric = (value) => /^(?:[-+]?\d[\d,. ]*(?:×|%|\s?[kMG]|\s?ms|\s?MiB)?(?:\s\([\d,.]+\))?|[–—-]|failed)$/.test(String(value).trim())

/** Markdown for one table id measured by one or more reports (one per Node version). */
export function tableMarkdown(entries, manifest) {
  const multi = new Set(entries.map(({ report }) => nodeOf(report))).size > 1
  const columns = mergeColumns(entries.map(({ table }) => table.columns))
  const header = multi ? ['Node', ...columns] : columns
  const rows = []
  for (const { report, table } of entries) {
    for (const row of table.rows) {
      const byColumn = new Map(table.columns.map((c, i) => [c, row[i]]))
      const cells = columns.map((c) => (byColumn.has(c) ? byColumn.get(c) : '–'))
      rows.push(multi ? [nodeOf(report), ...cells] : cells)
    }
  }
  // Right-align the columns whose cells are all figures.
  const align = header.map((_, i) => (i > 0 && rows.length > 0 && rows.every((r) => r[i] === '' || isNumeric(r[i])) ? '---:' : '---'))
  // Notes every version shares once; the others under their Node version.
  const shared = (note) => entries.every(({ table }) => (table.notes ?? []).includes(note))
  const notes = [...new Set(entries.flatMap(({ report, table }) => (table.notes ?? []).map((n) => (multi && !shared(n) ? `Node ${nodeOf(report)}: ${n}` : n))))]
  return [
    stampLine(entries.map(({ report }) => report), manifest),
    '',
    `**${entries[0].table.title}**`,
    '',
    `| ${header.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  ].join('\n')
}

/** One chart from the same chart id in several reports: with several Node versions, one line style per version. */
export function mergeCharts(entries) {
  const multi = new Set(entries.map(({ report }) => nodeOf(report))).size > 1
  const { chart } = entries[0]
  const series = entries.flatMap(({ report, chart: c }) =>
    c.series.map((s) => (multi ? { ...s, name: `${s.name}, Node ${nodeMajor(report)}`, group: s.group ?? s.name, variant: `${s.variant ?? ''} node${nodeMajor(report)}` } : s)),
  )
  return { ...chart, series }
}

/**
 * Rewrites the marked parts of `doc` and writes the charts into `chartsDir`.
 * @returns {{ updated: string[], appended: string[], untouched: string[], charts: string[] }}
 */
export function renderResults(dir, { doc = join(repoRoot, 'docs', 'benchmarks.md'), chartsDir = join(repoRoot, 'docs', 'bench'), log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const { manifest, reports } = readResults(dir)
  if (reports.length === 0) throw new Error(`no benchmark reports in ${dir}`)
  const tables = new Map()
  const charts = new Map()
  for (const report of reports) {
    for (const table of report.tables) tables.set(table.id, [...(tables.get(table.id) ?? []), { report, table }])
    for (const chart of report.charts) if (chart.series?.length) charts.set(chart.id, [...(charts.get(chart.id) ?? []), { report, chart }])
  }

  const blocks = new Map()
  for (const [id, entries] of tables) blocks.set(id, tableMarkdown(entries, manifest))
  const written = []
  if (charts.size > 0) mkdirSync(chartsDir, { recursive: true })
  const docDir = resolve(doc, '..')
  for (const [id, entries] of charts) {
    // Several Node versions share one chart (a line style each) unless the chart already uses line styles for its
    // own variants (e.g. RSS and heap): then one chart per Node version, side by side in the block.
    const perNode = new Set(entries.map(({ report }) => nodeOf(report))).size > 1 && entries.some(({ chart }) => chart.series.some((s) => s.variant))
    const images = (perNode ? entries.map((e) => ({ chart: { ...e.chart, title: `${e.chart.title}, Node ${nodeMajor(e.report)}` }, name: `${id}-node${nodeMajor(e.report)}` })) : [{ chart: mergeCharts(entries), name: id }]).map(({ chart, name }) => {
      const file = join(chartsDir, `${name}.svg`)
      writeFileSync(file, renderLineChart(chart))
      written.push(relative(repoRoot, file))
      return `![${chart.title}](${relative(docDir, file).split('\\').join('/')})`
    })
    blocks.set(id, `${images.join('\n')}\n\n${stampLine(entries.map(({ report }) => report), manifest)}`)
    // The previous run's files of this chart that this run did not write (one chart then, one per Node now …).
    for (const old of readdirSync(chartsDir).filter((f) => f === `${id}.svg` || new RegExp(`^${id.replace(/[.]/g, '\\.')}-node\\d+\\.svg$`).test(f))) {
      if (!written.includes(relative(repoRoot, join(chartsDir, old)))) rmSync(join(chartsDir, old))
    }
  }

  let text = readFileSync(doc, 'utf8')
  const updated = []
  const present = new Set()
  text = text.replace(/<!-- bench:([A-Za-z0-9_.-]+) start -->[\s\S]*?<!-- bench:\1 end -->/g, (whole, id) => {
    present.add(id)
    if (!blocks.has(id)) return whole
    updated.push(id)
    return `<!-- bench:${id} start -->\n${blocks.get(id)}\n<!-- bench:${id} end -->`
  })
  const appended = [...blocks.keys()].filter((id) => !present.has(id))
  if (appended.length > 0) {
    if (!text.includes(UNPLACED_HEADING)) {
      text = `${text.trimEnd()}\n\n${UNPLACED_HEADING}\n\nWritten by scripts/bench/render.mjs for results that have no marker elsewhere in this page; move each block\n(markers included) to its section.\n`
    }
    text = `${text.trimEnd()}\n${appended.map((id) => `\n<!-- bench:${id} start -->\n${blocks.get(id)}\n<!-- bench:${id} end -->\n`).join('')}`
  }
  writeFileSync(doc, text.endsWith('\n') ? text : `${text}\n`)
  const untouched = [...present].filter((id) => !blocks.has(id))
  log(`render: ${relative(repoRoot, doc)}: ${updated.length} block(s) updated${appended.length ? `, ${appended.length} appended under "${UNPLACED_HEADING.slice(3)}" (${appended.join(', ')})` : ''}; ${untouched.length} not measured in this run (left as they were)`)
  if (written.length) log(`render: charts ${written.join(', ')}`)
  return { updated, appended, untouched, charts: written }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2]
  if (!dir || dir.startsWith('--')) {
    process.stderr.write('usage: node scripts/bench/render.mjs <results-dir> [--doc docs/benchmarks.md] [--charts docs/bench]\n')
    process.exit(2)
  }
  const doc = option('doc', null)
  const chartsDir = option('charts', null)
  renderResults(resolve(dir), { ...(doc ? { doc: resolve(doc) } : {}), ...(chartsDir ? { chartsDir: resolve(chartsDir) } : {}) })
}
