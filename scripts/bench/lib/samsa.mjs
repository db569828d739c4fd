// Benchmarks measure the built package (dist/), as users get it. The build is snapshotted into
// node_modules/.cache first: other work in the same checkout may rebuild dist/ (which deletes it) while a long
// benchmark runs, and a half-deleted dist/ would crash or mix two builds. Inside node_modules, the snapshot still
// resolves samsa's native dependencies (lz4-napi, zstd-napi …) from the project's node_modules.
// The in-process codec benchmarks (protocol, records) need no build: importPart transpiles what dist/ lacks.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** True when dist/ exists and is at least as new as every file under src/. */
export function distIsFresh() {
  const entry = join(repoRoot, 'dist', 'esm', 'index.js')
  if (!existsSync(entry)) return false
  return newestMtime(join(repoRoot, 'dist')) >= newestMtime(join(repoRoot, 'src'))
}

/**
 * Copies dist/ (the CommonJS core and the ES module entries that re-export it) into a private snapshot and returns
 * the folder of its ES module entries; import `<folder>/index.js` from there.
 * Runs `npm run build` first when dist/ is missing, or always with `build: 'always'`. A dist/ older than src/ is
 * used as it is (others may be editing src/ all the time) but reported: `{ dir, stale }`.
 * @param {{ label: string, build?: 'missing' | 'always' | 'never', log?: (line: string) => void }} options
 */
export function snapshotDist({ label, build = 'missing', log = (line) => process.stderr.write(`${line}\n`) }) {
  const missing = !existsSync(join(repoRoot, 'dist', 'esm', 'index.js'))
  if (build === 'always' || (missing && build === 'missing')) {
    log('npm run build')
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: ['ignore', 2, 2] })
  } else if (missing) throw new Error('dist/ is missing: run `npm run build` first')
  const stale = !distIsFresh()
  if (stale) log('warning: dist/ is older than src/ (run `npm run build` to measure the current sources)')
  const target = join(repoRoot, 'node_modules', '.cache', `samsa-bench-${label}`)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  for (const half of ['cjs', 'esm']) cpSync(join(repoRoot, 'dist', half), join(target, half), { recursive: true })
  if (!existsSync(join(target, 'esm', 'index.js')) || !existsSync(join(target, 'cjs', 'index.js'))) {
    throw new Error('dist/ changed while it was copied; run again')
  }
  return { dir: join(target, 'esm'), stale }
}

/**
 * The ESM build of another revision (`--baseline <rev>`: before/after ratios in one run on the same broker). Its
 * sources come from git; the generated protocol code (gitignored) is today's, generated from the same pinned
 * specs. Built once per commit into node_modules/.cache, where it resolves the project's dependencies.
 * @param {string} rev
 * @param {{ log?: (line: string) => void }} [options]
 */
export function snapshotRevision(rev, { log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: repoRoot }).toString().trim()
  const target = join(repoRoot, 'node_modules', '.cache', `samsa-bench-rev-${sha.slice(0, 12)}`)
  const out = join(target, 'dist', 'esm')
  if (existsSync(join(out, 'index.js'))) return { dir: out, sha }
  const bundled = join(repoRoot, '.cache', `bench-rev-${sha.slice(0, 12)}`, 'dist', 'esm')
  if (existsSync(join(bundled, 'index.js'))) return { dir: bundled, sha }
  log(`building ${rev} (${sha.slice(0, 12)}) for the baseline`)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  // That revision's sources, generator and package type; the pinned spec files (gitignored) are copied in, and its
  // own generator writes its protocol code, which has to match the support code of its time.
  const tsconfigs = execFileSync('git', ['ls-tree', '--name-only', sha], { cwd: repoRoot }).toString().split('\n').filter((name) => /^tsconfig.*\.json$/.test(name))
  const archive = execFileSync('git', ['archive', '--format=tar', sha, 'src', 'scripts', 'protocol-specs', ...tsconfigs, 'package.json'], { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 })
  // Revisions since the CommonJS core (scripts/build.mjs) load generated codecs with a lazy `require`: those compile
  // as CommonJS, as the package ships them; older ones were ES modules throughout.
  const commonjsCore = execFileSync('git', ['ls-tree', '--name-only', sha, 'tsconfig.cjs.json'], { cwd: repoRoot }).toString().trim() !== ''
  execFileSync('tar', ['-x', '-C', target], { input: archive })
  for (const file of readdirSync(join(repoRoot, 'protocol-specs'))) {
    if (file.endsWith('.json') && file !== 'manifest.json') cpSync(join(repoRoot, 'protocol-specs', file), join(target, 'protocol-specs', file))
  }
  execFileSync(process.execPath, [join(target, 'scripts', 'generate', 'index.mjs')], { cwd: target, stdio: ['ignore', 2, 2] })
  // Revisions with the bundling build (scripts/build.mjs with esbuild) build with it, as the package ships: a
  // file-by-file transpile of the same code measured ~10 % more CPU per record than the bundle (two builds of one
  // commit compared), which would bias every before/after ratio.
  const buildScript = join(target, 'scripts', 'build.mjs')
  if (existsSync(buildScript) && readFileSync(buildScript, 'utf8').includes('esbuild')) {
    // Outside node_modules (tsc keeps ES module syntax for files under it), with the project's dependencies linked.
    const workDir = join(repoRoot, '.cache', `bench-rev-${sha.slice(0, 12)}`)
    rmSync(workDir, { recursive: true, force: true })
    cpSync(target, workDir, { recursive: true })
    symlinkSync(join(repoRoot, 'node_modules'), join(workDir, 'node_modules'), 'dir')
    execFileSync(process.execPath, [join(workDir, 'scripts', 'build.mjs')], { cwd: workDir, stdio: ['ignore', 2, 2] })
    rmSync(join(target, 'dist'), { recursive: true, force: true })
    return { dir: join(workDir, 'dist', 'esm'), sha }
  }
  if (commonjsCore) {
    // File by file with SWC, to CommonJS as the package ships it (tsc under node_modules/ keeps ES module syntax
    // whatever --module says, since the project's package.json says "type": "module").
    const swc = createRequire(join(repoRoot, 'package.json'))('@swc/core')
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
          const file = join(out, relative(join(target, 'src'), path)).replace(/\.ts$/, '.js')
          mkdirSync(dirname(file), { recursive: true })
          writeFileSync(file, swc.transformFileSync(path, { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' }, sourceMaps: false }).code)
        }
      }
    }
    walk(join(target, 'src'))
  } else {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
    execFileSync(process.execPath, [tsc, '-p', join(target, 'tsconfig.json'), '--outDir', out, '--sourceMap', 'false', '--declaration', 'false'], { cwd: target, stdio: ['ignore', 2, 2] })
  }
  const type = !commonjsCore && JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')).type === 'module' ? 'module' : 'commonjs'
  writeFileSync(join(out, 'package.json'), `{ "type": "${type}" }\n`)
  return { dir: out, sha }
}

/** Imports a module of a snapshot made by snapshotDist, e.g. `importSnapshot(dir, 'index.js')`. */
export async function importSnapshot(snapshotDir, path = 'index.js') {
  const module = await import(pathToFileURL(join(snapshotDir, path)).href)
  // A baseline transpiled by SWC exports through getters that Node's CommonJS export detection does not see: its
  // names are on the default export only.
  return module.default && typeof module.default === 'object' && Object.keys(module).length <= 2 ? module.default : module
}

/** The module behind each subpath, as scripts/build.mjs maps them. */
const PART_MODULES = { protocol: 'protocol/public', records: 'records/index' }

/**
 * One subpath of samsa (`protocol`, `records`) for the in-process codec benchmarks, which need no broker and no
 * full build: dist/ when it is at least as new as src/<part>, otherwise a private (CommonJS) transpile of
 * src/<part>, so the numbers are always those of the current sources. Returns the module and where it came from.
 * @param {string} part
 */
export async function importPart(part) {
  const dist = join(repoRoot, 'dist', 'cjs', `${PART_MODULES[part]}.js`)
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(repoRoot, 'src', part))) {
    return { module: await import(pathToFileURL(join(repoRoot, 'dist', 'esm', `${part}.js`)).href), origin: 'dist/' }
  }
  // Inside node_modules so the transpiled files resolve lz4-napi & co. from the project's node_modules.
  const out = join(repoRoot, 'node_modules', '.cache', `samsa-bench-src-${part}`)
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n')
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  execFileSync(
    process.execPath,
    [tsc, '--outDir', out, '--rootDir', join(repoRoot, 'src'), '--module', 'CommonJS', '--moduleResolution', 'Node10', '--target', 'ES2022',
      '--esModuleInterop', '--skipLibCheck', '--types', 'node', join(repoRoot, 'src', `${PART_MODULES[part]}.ts`)],
    { stdio: 'inherit', cwd: repoRoot },
  )
  return { module: await import(pathToFileURL(join(out, `${PART_MODULES[part]}.js`)).href), origin: `transpiled src/${part} (dist/ missing or stale)` }
}

/**
 * The versions a benchmark report names: samsa and the Node peers as installed here, and the broker's Kafka (the
 * harness's pinned version when the broker is an outside cluster that did not say).
 * @param {string | null} kafkaVersion
 */
export async function clientVersions(kafkaVersion) {
  const packageVersion = (dir) => JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')).version
  return {
    samsa: packageVersion('.'),
    kafkajs: packageVersion('node_modules/kafkajs'),
    platformatic: packageVersion('node_modules/@platformatic/kafka'),
    kafka: kafkaVersion ?? (await import('../../lib/versions.mjs')).KAFKA_VERSION,
  }
}
