// Shared reporting: machine description, throughput figures, ratios and aligned tables (plain text or Markdown).
import { cpus, loadavg, totalmem } from 'node:os'

/** What the numbers were measured on; benchmarks on a shared machine are noisy, the load average says how much. */
export function machineInfo() {
  const cores = cpus()
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  }
}

/** records/s and MB/s (MiB, 2^20) from a count, a byte total and a duration in ms. */
export function throughput(records, bytes, ms) {
  return { recordsPerSec: Math.round((records / ms) * 1000), mbPerSec: Number(((bytes / 2 ** 20 / ms) * 1000).toFixed(2)) }
}

/** a ÷ b rounded to 2 decimals, or null when either side is missing. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null
  return Number((a / b).toFixed(2))
}

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/**
 * A table from a header row and string rows. `align` per column: 'l' or 'r'. `markdown` gives a GitHub table,
 * otherwise space-padded columns for a terminal.
 */
export function formatTable(header, rows, { align = header.map((_, i) => (i === 0 ? 'l' : 'r')), markdown = false } = {}) {
  if (markdown) {
    const line = (cells) => `| ${cells.join(' | ')} |`
    return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n')
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const pad = (cells) => cells.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ')
  return [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(pad)].join('\n')
}

/**
 * The JSON every benchmark script writes with `--json <file>`, which scripts/bench/render.mjs turns into the
 * generated parts of docs/benchmarks.md and docs/bench/*.svg:
 *   { bench, measuredAt, finishedAt?, machine (loadAverageBefore when given), versions, settings, results, tables, charts, command }
 * `tables`: { id, title, columns, rows (cells as formatted strings or numbers), notes }; `charts`: { id, title,
 * x: { label, scale }, y: { label, scale }, series: [{ name, points: [[x, y]], group?, variant? }] } (`group`: one
 * colour per group, `variant`: one line style per variant; both optional). A script spreads its own older fields
 * after these (`{ ...benchReport(...), ...ownFields }`), so nothing it wrote before goes away.
 */
export function benchReport({ bench, versions = {}, settings = {}, results = [], tables = [], charts = [], machine = machineInfo(), startedAt = null, machineBefore = null }) {
  // A long run (latency, memory) says when it started and how loaded the machine was before it, not only after.
  return {
    bench,
    measuredAt: (startedAt ?? new Date()).toISOString(),
    ...(startedAt ? { finishedAt: new Date().toISOString() } : {}),
    machine: machineBefore ? { ...machine, loadAverageBefore: machineBefore.loadAverage } : machine,
    versions: { node: process.version, ...versions },
    settings,
    results,
    tables,
    charts,
    command: ['node', ...process.argv.slice(1).map((a, i) => (i === 0 ? relativeScript(a) : a))].join(' '),
  }
}

function relativeScript(path) {
  const at = path.lastIndexOf('scripts/bench/')
  return at === -1 ? path : path.slice(at)
}

/** One table of a report (see benchReport). */
export function reportTable(id, title, columns, rows, notes = []) {
  return { id, title, columns, rows: rows.map((row) => row.map((cell) => (typeof cell === 'number' ? cell : String(cell)))), notes }
}
