#!/usr/bin/env node
// Generates src/protocol/generated/ from protocol-specs/*.json (see docs/protocol.md).
//
//   node scripts/generate/index.mjs             regenerate everything
//   node scripts/generate/index.mjs --if-stale  only when the specs, the generator or the error table changed
//
// Output is deterministic: running it twice gives byte-identical files.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emitModule, flexibleFromVersion, GENERATED_BANNER } from './emit-module.mjs'
import { structTypeName } from './emit-message.mjs'
import { loadSpec } from './spec.mjs'
import { errorCodesSource, loadErrorTable } from './error-codes.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const specsDir = join(root, 'protocol-specs')
const outDir = join(root, 'src', 'protocol', 'generated')
const stampPath = join(outDir, '.stamp')
const ifStale = process.argv.includes('--if-stale')

function sha256(parts) {
  const h = createHash('sha256')
  for (const p of parts) h.update(p).update('\0')
  return h.digest('hex')
}

const specFiles = readdirSync(specsDir)
  .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
  .sort()
if (specFiles.length === 0) {
  process.stderr.write('generate: protocol-specs/ is empty; run `npm run specs` first\n')
  process.exit(1)
}

const generatorFiles = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') || f.endsWith('.java'))
  .sort()
const errorsDir = join(root, 'scripts', 'errors')
const errorFiles = existsSync(errorsDir) ? readdirSync(errorsDir).sort() : []
const inputs = [
  ...specFiles.flatMap((f) => [f, readFileSync(join(specsDir, f))]),
  ...generatorFiles.flatMap((f) => [f, readFileSync(join(here, f))]),
  ...errorFiles.flatMap((f) => [f, readFileSync(join(errorsDir, f))]),
]
const stamp = sha256(inputs)
// The stamp file holds the input hash, then the generated file names: output is fresh only if all are present.
if (ifStale && existsSync(stampPath)) {
  const [recorded, ...outputs] = readFileSync(stampPath, 'utf8').trim().split('\n')
  if (recorded === stamp && outputs.length > 0 && outputs.every((f) => existsSync(join(outDir, f)))) process.exit(0)
}

const started = Date.now()
const specs = specFiles.map((f) => loadSpec(join(specsDir, f)))

// Type names are re-exported together from index.ts, so a clash anywhere is a generator error, not a surprise.
const owners = new Map()
const claim = (name, owner) => {
  const prior = owners.get(name)
  if (prior && prior !== owner) throw new Error(`generated name ${name} is used by both ${prior} and ${owner}`)
  owners.set(name, owner)
}

const files = new Map()
const removed = []
const modules = []
let pairs = 0
for (const spec of specs) {
  if (!spec.validVersions) {
    removed.push(spec.name)
    continue
  }
  const mod = emitModule(spec)
  for (const t of mod.typeNames) claim(t, spec.name)
  claim(mod.codecName, spec.name)
  files.set(`${spec.name}.ts`, mod.source)
  modules.push({ spec, ...mod })
  pairs += mod.pairs
}

const errorTable = loadErrorTable(root)
files.set('error-codes.ts', errorCodesSource(errorTable))

files.set('index.ts', indexSource(modules, removed))
files.set('codecs.ts', codecsSource(modules))

mkdirSync(outDir, { recursive: true })
for (const f of readdirSync(outDir)) {
  if (!files.has(f) && f !== '.stamp') rmSync(join(outDir, f), { recursive: true, force: true })
}
let lines = 0
for (const [name, source] of files) {
  lines += source.split('\n').length - 1
  const path = join(outDir, name)
  if (existsSync(path) && readFileSync(path, 'utf8') === source) continue
  writeFileSync(path, source)
}
writeFileSync(stampPath, [stamp, ...[...files.keys()].sort()].join('\n') + '\n')
process.stderr.write(
  `generate: ${specFiles.length} schema files, ${modules.length} with versions (${removed.length} removed: ${removed.join(', ')}), ` +
    `${pairs} (message, version) pairs, ${files.size} files, ${lines} lines in ${Date.now() - started} ms\n`,
)

// index.ts re-exports every schema module's types but loads none of them: each module is required the first time
// its codec is read from `messageCodecs` or used through `apis`, so importing the client costs only the APIs it uses.
function indexSource(modules, removedNames) {
  const out = [GENERATED_BANNER]
  out.push(`import { ApiCodec, type AnyApiCodec, type AnyMessageCodec } from '../codec.js'\n`)
  out.push(`import { lazyTable } from '../support.js'\n`)
  for (const m of modules) {
    const types = m.spec.type === 'request' || m.spec.type === 'response' ? `, ${m.spec.name}, ${m.spec.name}Input` : ''
    out.push(`import type { ${m.codecName}${types} } from './${m.spec.name}.js'\n`)
  }
  out.push('\n')
  for (const m of modules) out.push(`export type * from './${m.spec.name}.js'\n`)
  out.push(`export * from './error-codes.js'\n\n`)

  out.push(`/** Loads one schema module (synchronously, once: require caches it) and returns its codec. */\n`)
  out.push(`const load = {\n`)
  for (const m of modules) {
    out.push(`  ${m.spec.name}: (): typeof ${m.codecName} => (require('./${m.spec.name}.js') as typeof import('./${m.spec.name}.js')).${m.codecName},\n`)
  }
  out.push(`}\n\n`)

  out.push(`/** Body codec of every schema file with at least one version, keyed by schema file name. */\n`)
  out.push(`export interface MessageCodecs {\n`)
  for (const m of modules) out.push(`  readonly ${m.spec.name}: typeof ${m.codecName}\n`)
  out.push(`  readonly [name: string]: AnyMessageCodec | undefined\n}\n\n`)
  out.push(`/** Body codec of every schema file with at least one version, keyed by schema file name; each loads when first read. */\n`)
  out.push(`export const messageCodecs: MessageCodecs = lazyTable(load)\n\n`)
  out.push(`export type MessageName = ${modules.map((m) => `'${m.spec.name}'`).join(' | ')}\n\n`)

  out.push(`/** Schema files whose validVersions are "none" (APIs removed from Kafka): they have no codec. */\n`)
  out.push(`export const removedMessages: readonly string[] = ${JSON.stringify(removedNames)}\n\n`)

  const requests = new Map()
  const responses = new Map()
  for (const m of modules) {
    if (m.spec.type === 'request') requests.set(m.spec.apiKey, m)
    if (m.spec.type === 'response') responses.set(m.spec.apiKey, m)
  }
  const keys = [...requests.keys()].sort((a, b) => a - b)
  const apiEntries = []
  const apiKeyEntries = []
  const apiTypeEntries = []
  for (const key of keys) {
    const req = requests.get(key)
    const res = responses.get(key)
    if (!res) throw new Error(`API key ${key} has a request but no response schema`)
    const apiName = req.spec.name.replace(/Request$/, '')
    const rv = req.spec.validVersions
    const sv = res.spec.validVersions
    if (rv.lo !== sv.lo || rv.hi !== sv.hi) throw new Error(`${apiName}: request and response versions differ`)
    apiKeyEntries.push(`  ${apiName}: ${key},\n`)
    apiTypeEntries.push(`  readonly ${key}: ApiCodec<${req.spec.name}, ${res.spec.name}, ${req.spec.name}Input, ${res.spec.name}Input>\n`)
    const versions = `{ minVersion: ${rv.lo}, maxVersion: ${rv.hi}, flexibleFromVersion: ${flexibleFromVersion(req.spec)} }`
    apiEntries.push(
      `  ${key}: new ApiCodec({ name: '${apiName}', apiKey: ${key}, latestVersionUnstable: ${req.spec.latestVersionUnstable}, ` +
        `listeners: ${JSON.stringify(req.spec.listeners)}, versions: ${versions}, request: load.${req.spec.name}, response: load.${res.spec.name} }),\n`,
    )
  }
  out.push(`/** API name → API key. */\n`)
  out.push(`export const ApiKeys = {\n${apiKeyEntries.join('')}} as const\n\n`)
  out.push(`export type ApiName = keyof typeof ApiKeys\n\n`)
  out.push(`export interface Apis {\n${apiTypeEntries.join('')}  readonly [apiKey: number]: AnyApiCodec | undefined\n}\n\n`)
  out.push(`/** Every API with at least one version, keyed by API key. Its codecs load the first time the API is used. */\n`)
  out.push(`export const apis: Apis = {\n${apiEntries.join('')}}\n\n`)
  out.push(`export type ApiKey = (typeof ApiKeys)[ApiName]\n`)
  return out.join('')
}

// codecs.ts: every schema module's exports, values included, for the samsa/protocol entry point (which loads them all).
function codecsSource(modules) {
  const out = [GENERATED_BANNER]
  out.push(`// Every generated codec by name, for the samsa/protocol entry point. Importing this module loads all of them;\n`)
  out.push(`// the client reaches codecs through index.ts (\`apis\`, \`messageCodecs\`), which loads each when first used.\n`)
  for (const m of modules) out.push(`export * from './${m.spec.name}.js'\n`)
  return out.join('')
}

export { structTypeName }
