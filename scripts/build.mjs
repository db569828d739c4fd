// Emits the package's one build from src/: dist/cjs holds the CommonJS code and a .d.ts for every module, and
// dist/esm holds one thin ES module per public entry point that re-exports the CommonJS one, so `import` and
// `require` share a single copy of every class (`instanceof KafkaError` holds whichever way a module was loaded).
//
// tsc compiles src/ to CommonJS module by module; esbuild then joins the modules every entry point loads into one
// file, dist/cjs/samsa.js (loading one file instead of ~60 is ~10 ms less at import). What stays separate: the
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

/** Joins what the entry points load into cjs/samsa.js and turns the entry files into re-exports of it. */
async function bundle(cjsDir) {
  const entry = join(cjsDir, 'samsa-entry.js')
  writeFileSync(
    entry,
    ["'use strict'", "exports.main = require('./index.js')", "exports.records = require('./records/index.js')", "exports.protocol = require('./protocol/index.js')", "exports.kafkajs = require('./kafkajs/index.js')", "exports.testing = require('./testing/index.js')", "exports.prometheus = require('./prometheus/index.js')", ''].join('\n'),
  )
  const generatedDir = join(cjsDir, 'protocol', 'generated') + sep
  const separate = {
    name: 'separate-modules',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const target = resolve(args.resolveDir, args.path)
        const fromRoot = relative(cjsDir, target).split(sep).join('/')
        const lazyGenerated = target.startsWith(generatedDir) && !BUNDLED_GENERATED.includes(target.slice(generatedDir.length))
        if (!SHARED.includes(fromRoot) && !lazyGenerated) return undefined
        return { path: `./${fromRoot}`, external: true }
      })
    },
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: join(cjsDir, 'samsa.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    plugins: [separate],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  // The bundled modules' own files are not loaded any more: keep their declarations, drop their JavaScript.
  for (const input of Object.keys(result.metafile.inputs)) rmSync(resolve(input), { force: true })
  writeFileSync(join(cjsDir, 'index.js'), "'use strict'\n// The bundle's part for the `samsa` entry point (see scripts/build.mjs).\nconst samsa = require('./samsa.js')\nmodule.exports = samsa.main\n")
  writeFileSync(join(cjsDir, 'records', 'index.js'), "'use strict'\n// The bundle's part for `samsa/records` (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = samsa.records\n")
  writeFileSync(
    join(cjsDir, 'protocol', 'public.js'),
    "'use strict'\n// `samsa/protocol`: the bundle's protocol layer and every generated codec by name (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = { ...samsa.protocol, ...require('./generated/codecs.js') }\n",
  )
  writeFileSync(join(cjsDir, 'kafkajs', 'index.js'), "'use strict'\n// The bundle's part for `samsa/kafkajs` (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = samsa.kafkajs\n")
  writeFileSync(join(cjsDir, 'testing', 'index.js'), "'use strict'\n// The bundle's part for `samsa/testing` (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = samsa.testing\n")
  // prom-client is required inside registerSamsaMetrics, never at load: the bundle keeps it external (packages).
  writeFileSync(join(cjsDir, 'prometheus', 'index.js'), "'use strict'\n// The bundle's part for `samsa/prometheus` (see scripts/build.mjs).\nconst samsa = require('../samsa.js')\nmodule.exports = samsa.prometheus\n")
  rmSync(entry, { force: true })
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
