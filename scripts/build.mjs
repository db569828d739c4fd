// Emits the package's one build from src/: dist/cjs holds the CommonJS code and a .d.ts for every module, and
// dist/esm holds one thin ES module per public entry point that re-exports the CommonJS one, so `import` and
// `require` share a single copy of every class (`instanceof KafkaError` holds whichever way a module was loaded).
//
// tsc compiles src/ to CommonJS module by module; esbuild then joins the modules every entry point loads into one
// file, dist/cjs/samsa.js (loading one file instead of ~60 is ~10 ms less at import), and what only samsa/kafkajs and
// samsa/testing load into dist/cjs/samsa-extras.js, which takes the core's modules from samsa.js. What stays separate: the
// generated schema modules, each required the first time its API is used, and the five modules they import
// (errors, protocol codec/reader/writer/support), so those classes exist once whoever loads them. The entry
// files (index.js, records/index.js, protocol/public.js) become one-line re-exports of parts of samsa.js.
//
// Why a CommonJS core rather than ES modules with a `require(esm)` entry: require(esm) needs Node 20.19+/22.12+
// (older 22.x have it only behind a flag), while an ES module importing CommonJS works on every Node this package
// supports. It also lets the core load protocol codecs and compression bindings with a synchronous `require` the
// first time they are needed (see src/protocol/generated/index.ts, src/records/compression.ts).
//
// The compilation runs into a fresh folder that replaces dist/ at the end, so programs reading dist/ meanwhile (a
// benchmark, another test run) never see it half written. `--if-stale` skips the build when dist/ was built from
// exactly the current sources.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const dist = join(root, 'dist')
const stampFile = join(dist, '.build-stamp')

/** Public entry points: the ES module written to dist/esm/<name>.js re-exports the CommonJS module dist/cjs/<cjs>. */
export const ENTRIES = [
  { name: 'index', cjs: 'index.js' },
  { name: 'records', cjs: 'records/index.js' },
  { name: 'protocol', cjs: 'protocol/public.js' },
  { name: 'kafkajs', cjs: 'kafkajs/index.js' },
  { name: 'testing', cjs: 'testing/index.js' },
  { name: 'prometheus', cjs: 'prometheus/index.js' },
  // Not in the bundle: it extends a class of @opentelemetry/instrumentation (an optional peer) when loaded, so it
  // stays the file tsc wrote, which loads samsa through dist/cjs/index.js.
  { name: 'opentelemetry', cjs: 'opentelemetry/index.js' },
]

function sourceHash() {
  const hash = createHash('sha256')
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) hash.update(relative(root, path)).update(readFileSync(path))
    }
  }
  walk(join(root, 'src'))
  for (const file of ['tsconfig.json', 'tsconfig.cjs.json', 'package.json', 'scripts/build.mjs']) hash.update(readFileSync(join(root, file)))
  return hash.digest('hex')
}

function compile(project, outDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', join(root, project), '--outDir', outDir], { stdio: 'inherit', cwd: root })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p ${project} failed (exit ${code})`))))
  })
}

/** Modules that stay files of their own: the generated schema modules import them, so they must exist once. */
const SHARED = ['errors.js', 'protocol/codec.js', 'protocol/reader.js', 'protocol/writer.js', 'protocol/support.js']
/** Generated modules that belong in the bundle (everything else in protocol/generated/ is required lazily). */
const BUNDLED_GENERATED = ['index.js', 'error-codes.js']

/**
 * Joins what the entry points load into two bundles and turns the entry files into re-exports of them: cjs/samsa.js,
 * the core every entry loads (samsa, samsa/records, samsa/protocol, samsa/prometheus), and cjs/samsa-extras.js,
 * what only samsa/kafkajs and samsa/testing load (0.39 of 1.22 MB when they were one bundle: `import('samsa')`
 * compiled them all, 73 against 52 ms). A module of the core that the extras use is not bundled twice: the extras
 * take it from the core, which exposes exactly those modules through lazy getters (`exports.modules`), so every class
 * still exists once.
 */
async function bundle(cjsDir) {
  const generatedDir = join(cjsDir, 'protocol', 'generated') + sep
  const fromRoot = (target) => relative(cjsDir, target).split(sep).join('/')
  /** Files that stay files: the shared modules and the lazily required generated codecs. */
  const stayFile = (target) => {
    const lazyGenerated = target.startsWith(generatedDir) && !BUNDLED_GENERATED.includes(target.slice(generatedDir.length))
    return SHARED.includes(fromRoot(target)) || lazyGenerated
  }
  const build = (entryLines, outName, plugin) => {
    const entry = join(cjsDir, `${outName}-entry.js`)
    writeFileSync(entry, ["'use strict'", ...entryLines, ''].join('\n'))
    return esbuild
      .build({
        entryPoints: [entry],
        outfile: join(cjsDir, `${outName}.js`),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        packages: 'external',
        plugins: [plugin],
        metafile: true,
        legalComments: 'none',
        logLevel: 'warning',
      })
      .finally(() => rmSync(entry, { force: true }))
  }
  const files = {
    name: 'separate-modules',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const target = resolve(args.resolveDir, args.path)
        return stayFile(target) ? { path: `./${fromRoot(target)}`, external: true } : undefined
      })
    },
  }
  const coreLines = [
    "exports.main = require('./index.js')",
    "exports.records = require('./records/index.js')",
    "exports.protocol = require('./protocol/index.js')",
    "exports.prometheus = require('./prometheus/index.js')",
  ]
  const core = await build(coreLines, 'samsa', files)
  const coreModules = new Set(Object.keys(core.metafile.inputs).map((input) => fromRoot(resolve(input))))
  // The extras: a core module becomes a look-up in the core's `modules`; anything else is bundled here.
  const borrowed = new Set()
  const fromCore = {
    name: 'modules-from-core',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const target = resolve(args.resolveDir, args.path)
        if (stayFile(target)) return { path: `./${fromRoot(target)}`, external: true }
        const module = fromRoot(target)
        if (!coreModules.has(module)) return undefined
        borrowed.add(module)
        return { path: module, namespace: 'core' }
      })
      b.onLoad({ filter: /.*/, namespace: 'core' }, (args) => ({ contents: `module.exports = require('./samsa.js').modules[${JSON.stringify(args.path)}]`, loader: 'js' }))
      b.onResolve({ filter: /^\.\/samsa\.js$/, namespace: 'core' }, () => ({ path: './samsa.js', external: true }))
    },
  }
  const extras = await build(["exports.kafkajs = require('./kafkajs/index.js')", "exports.testing = require('./testing/index.js')"], 'samsa-extras', fromCore)
  // The core again, now exposing what the extras borrow (getters: a module is still initialised when first used).
  const getters = [...borrowed].sort().map((module) => `  get ${JSON.stringify(module)}() { return require(${JSON.stringify(`./${module}`)}) },`)
  const rebuilt = await build([...coreLines, 'exports.modules = {', ...getters, '}'], 'samsa', files)
  // The bundled modules' own files are not loaded any more: keep their declarations, drop their JavaScript.
  for (const input of [...Object.keys(rebuilt.metafile.inputs), ...Object.keys(extras.metafile.inputs)]) {
    if (!input.startsWith('core:')) rmSync(resolve(input), { force: true })
  }
  const part = (file, comment, from, expression) => writeFileSync(join(cjsDir, file), `'use strict'\n// ${comment} (see scripts/build.mjs).\nconst samsa = require('${from}')\nmodule.exports = ${expression}\n`)
  part('index.js', "The bundle's part for the `samsa` entry point", './samsa.js', 'samsa.main')
  part(join('records', 'index.js'), "The bundle's part for `samsa/records`", '../samsa.js', 'samsa.records')
  writeFileSync(
    join(cjsDir, 'protocol', 'public.js'),
    "'use strict'\n// `samsa/protocol`: the bundle's protocol layer and every generated codec by name (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = { ...samsa.protocol, ...require('./generated/codecs.js') }\n",
  )
  part(join('kafkajs', 'index.js'), "The extras bundle's part for `samsa/kafkajs`", '../samsa-extras.js', 'samsa.kafkajs')
  part(join('testing', 'index.js'), "The extras bundle's part for `samsa/testing`", '../samsa-extras.js', 'samsa.testing')
  // prom-client is required inside registerSamsaMetrics, never at load: the bundle keeps it external (packages).
  part(join('prometheus', 'index.js'), "The bundle's part for `samsa/prometheus`", '../samsa.js', 'samsa.prometheus')
}

/**
 * The command line (src/cli, the package's "bin") stays out of the bundle, so `import('samsa')` never loads it. Its
 * modules are compiled beside the bundle and may load only each other, the public entry points and Node's own
 * modules: anything else was folded into samsa.js and no longer exists as a file.
 */
function checkCli(cjsDir) {
  const cliDir = join(cjsDir, 'cli')
  const allowed = new Set(['../index.js', '../protocol/public.js'])
  for (const file of readdirSync(cliDir).filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(join(cliDir, file), 'utf8')
    for (const [, target] of source.matchAll(/require\("([^"]+)"\)/g)) {
      if (target.startsWith('node:') || target.startsWith('./') || allowed.has(target)) continue
      throw new Error(`dist/cjs/cli/${file} requires ${target}: the CLI may use only ${[...allowed].join(', ')} and its own modules`)
    }
  }
  // Nothing imports the CLI's modules, so their declarations would only weigh on the package.
  for (const file of readdirSync(cliDir).filter((f) => f.endsWith('.d.ts'))) rmSync(join(cliDir, file))
  chmodSync(join(cliDir, 'bin.js'), 0o755)
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** The ES module and its declarations for one entry point, from the names the CommonJS module exports. */
function writeEsmEntry(staging, { name, cjs }) {
  const target = `../cjs/${cjs}`
  const exported = Object.keys(createRequire(import.meta.url)(join(staging, 'cjs', cjs))).sort()
  const odd = exported.filter((n) => !IDENTIFIER.test(n) || n === 'default')
  if (odd.length > 0) throw new Error(`${cjs} exports names an ES module cannot re-export by name: ${odd.join(', ')}`)
  const lines = [
    '// Generated by scripts/build.mjs: the ES module entry re-exports the CommonJS build, one copy for both module systems.',
    `import cjs from '${target}'`,
    '',
    'export const {',
    ...exported.map((n) => `  ${n},`),
    '} = cjs',
    '',
  ]
  writeFileSync(join(staging, 'esm', `${name}.js`), lines.join('\n'))
  writeFileSync(join(staging, 'esm', `${name}.d.ts`), `export * from '${target}'\n`)
}

const hash = sourceHash()
if (process.argv.includes('--if-stale') && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
  process.stdout.write('dist/ is up to date\n')
  process.exit(0)
}

const staging = join(root, `.dist-${process.pid}`)
rmSync(staging, { recursive: true, force: true })
try {
  await compile('tsconfig.cjs.json', join(staging, 'cjs'))
  // dist/ sits under a "type": "module" package: mark each half so Node (and esbuild) never has to guess.
  writeFileSync(join(staging, 'cjs', 'package.json'), '{ "type": "commonjs" }\n')
  await bundle(join(staging, 'cjs'))
  checkCli(join(staging, 'cjs'))
  mkdirSync(join(staging, 'esm'), { recursive: true })
  writeFileSync(join(staging, 'esm', 'package.json'), '{ "type": "module" }\n')
  for (const entry of ENTRIES) writeEsmEntry(staging, entry)
  writeFileSync(join(staging, '.build-stamp'), hash)
  const old = `${dist}.old-${process.pid}`
  if (existsSync(dist) && statSync(dist).isDirectory()) renameSync(dist, old)
  renameSync(staging, dist)
  rmSync(old, { recursive: true, force: true })
} finally {
  rmSync(staging, { recursive: true, force: true })
}
