// Tools that tests install from the npm registry rather than expect on the machine: Node binaries of other major
// versions (the registry's `node@<major>` package brings the binary for this platform) and pnpm. Each is installed
// once into <cache>/tools/<name> (see cacheRoot: ~/.cache/samsa by default) and reused by later runs; a folder is
// used only once its install finished (it is installed elsewhere and renamed into place).
//
//   node scripts/lib/npm-tools.mjs node@22 node@24 pnpm@10     prints where each tool is, installing what is missing
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from './maven.mjs'

/**
 * The folder holding `spec` (e.g. `node@22`) installed from the registry, installing it on first use.
 * @param {string} spec   package@range
 * @param {string} entry  a file inside the installed folder that must exist, e.g. node_modules/node/bin/node
 */
export function cachedInstall(spec, entry, { log = () => {} } = {}) {
  const dir = join(cacheRoot(), 'tools', spec.replace(/[^A-Za-z0-9.@-]/g, '_'))
  if (existsSync(join(dir, entry))) return dir
  const staging = `${dir}.installing-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  log(`installing ${spec} from the npm registry into ${dir}`)
  try {
    execFileSync('npm', ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', spec], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // node@<major>'s preinstall brings the platform package that holds the binary.
      env: { ...process.env, npm_config_ignore_scripts: 'false' },
    })
    if (!existsSync(join(staging, entry))) throw new Error(`${spec} installed without ${entry}`)
    try {
      renameSync(staging, dir)
    } catch (error) {
      // Another process finished the same install first: use theirs.
      if (!existsSync(join(dir, entry))) throw error
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return dir
}

/** A `node` binary of the given major version (20, 22, 24 …). */
export function nodeBinary(major, options) {
  const entry = join('node_modules', 'node', 'bin', 'node')
  const bin = join(cachedInstall(`node@${major}`, entry, options), entry)
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
  if (!version.startsWith(`v${major}.`)) throw new Error(`node@${major} gave ${version}`)
  return bin
}

/** pnpm's entry script (run it with node): `[process.execPath, pnpm, ...args]`. */
export function pnpmScript(range, options) {
  const entry = join('node_modules', 'pnpm', 'bin', 'pnpm.cjs')
  return join(cachedInstall(`pnpm@${range}`, entry, options), entry)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (line) => process.stderr.write(`${line}\n`)
  for (const spec of process.argv.slice(2)) {
    const [name, range] = spec.split('@')
    process.stdout.write(`${name === 'node' ? nodeBinary(range, { log }) : name === 'pnpm' ? pnpmScript(range, { log }) : 'unknown tool'}\n`)
  }
}
