// Node binaries of other major versions, for tests that must also pass there (test/integration/packaging.test.ts).
// They come from the npm registry's `node@<major>` package, which brings the binary for this platform, and are
// kept in <cache>/node/<major> (see cacheRoot), so only the first run downloads. A folder is used only once its
// install finished (it is installed elsewhere and renamed into place).
//
//   node scripts/lib/node-binaries.mjs 22 24     prints the path of each binary, installing what is missing
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from './maven.mjs'

/** The npm client on PATH. */
export function npmCommand() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm'
}

/**
 * The path of a `node` binary of the given major version, installing `node@<major>` from the registry on first use.
 * @param {number | string} major
 * @param {{ log?: (line: string) => void }} [options]
 */
export function nodeBinary(major, { log = () => {} } = {}) {
  const dir = join(cacheRoot(), 'node', String(major))
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node')
  if (existsSync(bin)) return bin
  const staging = `${dir}.installing-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  log(`installing node@${major} from the npm registry into ${dir}`)
  try {
    execFileSync(npmCommand(), ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `node@${major}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // The package's preinstall fetches the platform package that holds the binary.
      env: { ...process.env, npm_config_ignore_scripts: 'false' },
    })
    const version = execFileSync(join(staging, 'node_modules', 'node', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim()
    if (!version.startsWith(`v${major}.`)) throw new Error(`node@${major} installed ${version}`)
    if (!existsSync(bin)) {
      try {
        renameSync(staging, dir)
      } catch (error) {
        // Another process finished the same install first: use theirs.
        if (!existsSync(bin)) throw error
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return bin
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const major of process.argv.slice(2)) {
    process.stdout.write(`${nodeBinary(major, { log: (line) => process.stderr.write(`${line}\n`) })}\n`)
  }
}
