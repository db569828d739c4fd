// A small line-chart renderer for the benchmark docs: one SVG string from a report chart (lib/report.mjs), no
// dependencies. Axes with ticks on linear or log scales, light grid, one line with point markers per series, a
// legend under the plot, a title. The background is an explicit white rectangle and every colour is explicit, so
// the image reads the same in GitHub's light and dark themes (an <img> does not inherit the page's colours).
//
//   renderLineChart({ title, x: { label, scale }, y: { label, scale }, series: [{ name, points: [[x, y]], group?, variant? }] })
//
// Series of one `group` share a colour and a marker shape; series of one `variant` share a line style (the first
// variant solid, then dashed, dotted …). Without them every series gets its own colour, all solid.

// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), darkest first, all readable on white.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B']
const DASHES = ['', '7 4', '2 3', '10 3 2 3']
const MARKERS = ['circle', 'square', 'triangle', 'diamond']
const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
const MAX_MARKED_POINTS = 40
const CHAR_WIDTH = 6.6 // average width of a 12 px sans-serif character, for layout

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const round = (v) => Math.round(v * 10) / 10

/** Short tick labels: 0.5, 20, 1.5k, 200k, 1M. */
export function formatTick(value) {
  const abs = Math.abs(value)
  const trim = (v) => String(Number(v.toPrecision(3)))
  if (abs >= 1e9) return `${trim(value / 1e9)}G`
  if (abs >= 1e6) return `${trim(value / 1e6)}M`
  if (abs >= 1e3) return `${trim(value / 1e3)}k`
  return trim(value)
}

/** A 1, 2 or 5 × 10^k step giving about `count` intervals over `span`. */
function niceStep(span, count) {
  const raw = span / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const unit = raw / power
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power
}

/** Whether a value can be placed on an axis of that kind (a log axis has no place for 0 or less). */
const validFor = (kind) => (kind === 'log' ? (v) => Number.isFinite(v) && v > 0 : (v) => Number.isFinite(v))

/**
 * Domain, ticks and a map to [0, 1] for one axis.
 * @param {number[]} values the finite values plotted on that axis
 * @param {'linear' | 'log'} kind
 */
export function makeScale(values, kind = 'linear') {
  if (kind === 'log') {
    const positive = values.filter((v) => v > 0)
    let lo = 10 ** Math.floor(Math.log10(Math.min(...positive)))
    let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)))
    if (hi <= lo) hi = lo * 10
    const decades = Math.round(Math.log10(hi / lo))
    const ticks = []
    for (let d = 0; d <= decades; d++) {
      const base = lo * 10 ** d
      ticks.push({ value: base, major: true })
      // Within few decades, 2× and 5× ticks help reading values off the curve.
      if (decades <= 2 && d < decades) ticks.push({ value: base * 2, major: false }, { value: base * 5, major: false })
    }
    const at = (v) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
    return { kind, lo, hi, ticks: ticks.map((t) => ({ ...t, label: t.major || decades <= 2 ? formatTick(t.value) : '' })), at }
  }
  let min = Math.min(...values)
  let max = Math.max(...values)
  if (min >= 0 && min <= max * 0.5) min = 0 // positive data close to zero: start the axis at zero
  if (max === min) {
    max = min === 0 ? 1 : min + Math.abs(min) * 0.5
    min = min === 0 ? 0 : min - Math.abs(min) * 0.5
  }
  const step = niceStep(max - min, 5)
  const lo = Math.floor(min / step) * step
  const hi = Math.ceil(max / step) * step
  const ticks = []
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push({ value: Number(v.toPrecision(12)), major: true })
  return { kind, lo, hi, ticks: ticks.map((t) => ({ ...t, label: formatTick(t.value) })), at: (v) => (v - lo) / (hi - lo) }
}

/** A point marker; `tip` becomes its tooltip (an SVG <title>), shown on hover where the SVG is opened directly. */
function marker(shape, x, y, colour, tip = null) {
  const common = `fill="${colour}" stroke="#ffffff" stroke-width="1.2"`
  let tag
  let attributes
  if (shape === 'square') [tag, attributes] = ['rect', `x="${round(x - 3.5)}" y="${round(y - 3.5)}" width="7" height="7"`]
  else if (shape === 'triangle') [tag, attributes] = ['path', `d="M${round(x)},${round(y - 4.5)}L${round(x + 4.2)},${round(y + 3.5)}L${round(x - 4.2)},${round(y + 3.5)}Z"`]
  else if (shape === 'diamond') [tag, attributes] = ['path', `d="M${round(x)},${round(y - 4.8)}L${round(x + 4.2)},${round(y)}L${round(x)},${round(y + 4.8)}L${round(x - 4.2)},${round(y)}Z"`]
  else [tag, attributes] = ['circle', `cx="${round(x)}" cy="${round(y)}" r="3.8"`]
  return tip === null ? `<${tag} ${attributes} ${common}/>` : `<${tag} ${attributes} ${common}><title>${escape(tip)}</title></${tag}>`
}

/**
 * @param {{ title: string, x: { label: string, scale?: 'linear' | 'log' }, y: { label: string, scale?: 'linear' | 'log' },
 *   series: Array<{ name: string, points: Array<[number, number]>, group?: string, variant?: string }> }} chart
 * @param {{ width?: number, plotHeight?: number }} [options]
 * @returns {string} an SVG document
 */
export function renderLineChart(chart, { width = 760, plotHeight = 300 } = {}) {
  const xKind = chart.x?.scale === 'log' ? 'log' : 'linear'
  const yKind = chart.y?.scale === 'log' ? 'log' : 'linear'
  const xs = validFor(xKind)
  const ys = validFor(yKind)
  // A point without a valid y (a failed run: null, or ≤ 0 on a log axis) breaks the line there.
  const series = chart.series.map((s) => {
    const sorted = s.points.filter(([x]) => xs(x)).sort((a, b) => a[0] - b[0])
    const segments = [[]]
    for (const point of sorted) {
      if (ys(point[1])) segments[segments.length - 1].push(point)
      else if (segments[segments.length - 1].length > 0) segments.push([])
    }
    return { ...s, segments, points: segments.flat() }
  })
  const allPoints = series.flatMap((s) => s.points)
  const groups = [...new Set(chart.series.map((s) => s.group ?? s.name))]
  const variants = [...new Set(chart.series.map((s) => s.variant ?? ''))]
  const styleOf = (s) => {
    const g = groups.indexOf(s.group ?? s.name)
    return { colour: COLOURS[g % COLOURS.length], shape: MARKERS[g % MARKERS.length], dash: DASHES[variants.indexOf(s.variant ?? '') % DASHES.length] }
  }

  const x = allPoints.length ? makeScale(allPoints.map((p) => p[0]), xKind) : null
  const y = allPoints.length ? makeScale(allPoints.map((p) => p[1]), yKind) : null
  const yLabelWidth = y ? Math.max(...y.ticks.map((t) => t.label.length)) * CHAR_WIDTH : 20
  const left = Math.ceil(34 + yLabelWidth)
  const right = 24
  const top = 46
  const plotWidth = width - left - right

  // Legend rows under the x axis label.
  const legendItems = chart.series.map((s) => ({ s, width: 44 + escape(s.name).length * CHAR_WIDTH + 18 }))
  const legendRows = []
  for (const item of legendItems) {
    const row = legendRows[legendRows.length - 1]
    if (row && row.width + item.width <= plotWidth) {
      row.items.push(item)
      row.width += item.width
    } else legendRows.push({ items: [item], width: item.width })
  }
  const legendTop = top + plotHeight + 52
  const height = legendTop + legendRows.length * 20 + 10

  const px = (v) => left + x.at(v) * plotWidth
  const py = (v) => top + plotHeight - y.at(v) * plotHeight
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escape(FONT)}" font-size="12">`)
  out.push(`<title>${escape(chart.title)}</title>`)
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#1a1a1a">${escape(chart.title)}</text>`)
  if (!x || !y) {
    out.push(`<text x="${width / 2}" y="${top + plotHeight / 2}" text-anchor="middle" fill="#555555">no data</text>`, '</svg>')
    return `${out.join('\n')}\n`
  }

  // Grid and ticks.
  for (const t of y.ticks) {
    const v = round(py(t.value))
    out.push(`<line x1="${left}" y1="${v}" x2="${left + plotWidth}" y2="${v}" stroke="${t.major ? '#dddddd' : '#eeeeee'}" stroke-width="1"/>`)
    out.push(`<line x1="${left - 5}" y1="${v}" x2="${left}" y2="${v}" stroke="#444444"/>`)
    if (t.label) out.push(`<text x="${left - 8}" y="${v + 4}" text-anchor="end" fill="#333333">${escape(t.label)}</text>`)
  }
  for (const t of x.ticks) {
    const h = round(px(t.value))
    out.push(`<line x1="${h}" y1="${top}" x2="${h}" y2="${top + plotHeight}" stroke="${t.major ? '#dddddd' : '#eeeeee'}" stroke-width="1"/>`)
    out.push(`<line x1="${h}" y1="${top + plotHeight}" x2="${h}" y2="${top + plotHeight + 5}" stroke="#444444"/>`)
    if (t.label) out.push(`<text x="${h}" y="${top + plotHeight + 19}" text-anchor="middle" fill="#333333">${escape(t.label)}</text>`)
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444444" stroke-width="1"/>`)
  out.push(`<text x="${left + plotWidth / 2}" y="${top + plotHeight + 38}" text-anchor="middle" fill="#1a1a1a">${escape(chart.x.label)}${xKind === 'log' ? ' (log scale)' : ''}</text>`)
  const yMid = top + plotHeight / 2
  out.push(`<text x="14" y="${yMid}" text-anchor="middle" fill="#1a1a1a" transform="rotate(-90 14 ${yMid})">${escape(chart.y.label)}${yKind === 'log' ? ' (log scale)' : ''}</text>`)

  // Series: lines first, markers on top.
  for (const s of series) {
    const { colour, dash } = styleOf(s)
    const d = s.segments.map((segment) => segment.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${round(px(a))},${round(py(b))}`).join('')).join('')
    if (!d.includes('L')) continue
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`)
  }
  // Markers where they can be told apart; a dense series (a time series sampled every second) is a line alone.
  for (const s of series.filter((x) => x.points.length <= MAX_MARKED_POINTS || x.points.length === 1)) {
    const { colour, shape } = styleOf(s)
    for (const [a, b] of s.points) out.push(marker(shape, px(a), py(b), colour, `${s.name}: ${formatTick(a)}, ${formatTick(b)}`))
  }

  // Legend.
  legendRows.forEach((row, r) => {
    let cx = left + (plotWidth - row.width) / 2
    const cy = legendTop + r * 20
    for (const { s, width: w } of row.items) {
      const { colour, dash, shape } = styleOf(s)
      out.push(`<line x1="${round(cx)}" y1="${cy}" x2="${round(cx + 32)}" y2="${cy}" stroke="${colour}" stroke-width="2.2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`)
      out.push(marker(shape, cx + 16, cy, colour))
      out.push(`<text x="${round(cx + 40)}" y="${cy + 4}" fill="#1a1a1a">${escape(s.name)}</text>`)
      cx += w
    }
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
