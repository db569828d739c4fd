// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per source file, so a
// benchmark can say where a client spends its CPU without opening DevTools.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * @param {string} file a .cpuprofile
 * @param {{ top?: number }} [options]
 * @returns {{ totalMs: number, idleMs: number, gcMs: number, functions: Array<{ name: string, where: string, selfMs: number, percent: number }>, files: Array<{ file: string, selfMs: number, percent: number }> }}
 */
export function summarizeCpuProfile(file, { top = 25 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const nodesById = new Map(profile.nodes.map((n) => [n.id, n]))
  // A profile taken with node:inspector ends inside the session's own post('Profiler.stop'): leave that out.
  const excluded = new Set()
  const exclude = (node) => {
    excluded.add(node.id)
    for (const child of node.children ?? []) exclude(nodesById.get(child))
  }
  for (const node of profile.nodes) if (node.callFrame.url === 'node:inspector' && !excluded.has(node.id)) exclude(node)
  const selfUs = new Map()
  // timeDeltas[i] is the time between samples i-1 and i; attribute each delta to sample i's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    if (excluded.has(id)) continue
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const byFunction = new Map()
  const byFile = new Map()
  let totalUs = 0
  let idleUs = 0
  let gcUs = 0
  for (const [id, us] of selfUs) {
    const { callFrame } = nodesById.get(id)
    totalUs += us
    if (callFrame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    if (callFrame.functionName === '(garbage collector)') gcUs += us
    const fileName = callFrame.url ? shortUrl(callFrame.url) : '(native)'
    const where = callFrame.url ? `${fileName}:${callFrame.lineNumber + 1}` : '(native)'
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`
    const entry = byFunction.get(key) ?? { name: callFrame.functionName || '(anonymous)', where, selfUs: 0 }
    entry.selfUs += us
    byFunction.set(key, entry)
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + us)
  }
  const busyUs = totalUs - idleUs
  const pct = (us) => Number(((us / busyUs) * 100).toFixed(1))
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    gcMs: Math.round(gcUs / 1000),
    functions: [...byFunction.values()]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.selfUs / 1000), percent: pct(f.selfUs) })),
    files: [...byFile]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ file, selfMs: Math.round(us / 1000), percent: pct(us) })),
  }
}

/** node_modules/<pkg>/…/file.js or the last two path segments: enough to recognise the source. */
function shortUrl(url) {
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length)
    // our own dist snapshot lives in node_modules/.cache/samsa-bench-*/{cjs,esm}/…
    const snapshot = /^\.cache\/samsa-bench-[^/]+\/(?:cjs|esm)\/(.*)$/.exec(rest)
    return snapshot ? `samsa/${snapshot[1]}` : rest
  }
  if (path.startsWith('node:')) return path
  const parts = path.split('/')
  return parts.length > 2 ? parts.slice(-2).join('/') : basename(path)
}
