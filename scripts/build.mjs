// Emits dist/esm (ESM + .d.ts) and dist/cjs (CommonJS + .d.ts) from src/.
// The two compilations run side by side into a fresh folder that replaces dist/ at the end, so programs reading
// dist/ meanwhile (a benchmark, another test run) never see it half written. `--if-stale` skips the build when
// dist/ was built from exactly the current sources.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const dist = join(root, 'dist')
const stampFile = join(dist, '.build-stamp')

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
  for (const file of ['tsconfig.json', 'tsconfig.cjs.json', 'package.json']) hash.update(readFileSync(join(root, file)))
  return hash.digest('hex')
}

function compile(project, outDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', join(root, project), '--outDir', outDir], { stdio: 'inherit', cwd: root })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p ${project} failed (exit ${code})`))))
  })
}

const hash = sourceHash()
if (process.argv.includes('--if-stale') && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
  process.stdout.write('dist/ is up to date\n')
  process.exit(0)
}

const staging = join(root, `.dist-${process.pid}`)
rmSync(staging, { recursive: true, force: true })
try {
  await Promise.all([compile('tsconfig.json', join(staging, 'esm')), compile('tsconfig.cjs.json', join(staging, 'cjs'))])
  // dist/cjs sits under a "type": "module" package: mark it CommonJS so Node loads its .js as CJS.
  mkdirSync(join(staging, 'cjs'), { recursive: true })
  writeFileSync(join(staging, 'cjs', 'package.json'), '{ "type": "commonjs" }\n')
  writeFileSync(join(staging, '.build-stamp'), hash)
  const old = `${dist}.old-${process.pid}`
  if (existsSync(dist) && statSync(dist).isDirectory()) renameSync(dist, old)
  renameSync(staging, dist)
  rmSync(old, { recursive: true, force: true })
} finally {
  rmSync(staging, { recursive: true, force: true })
}
