// Package sizes, measured the same way for samsa and the clients it is compared with:
// - samsa as `npm pack` would publish it (file count, unpacked bytes, tarball bytes), from the current dist/;
// - any installed package as its folder holds it (nested node_modules excluded);
// - "with dependencies": the package plus every runtime dependency (and installed optional dependency, such as
//   the per-platform binary packages of napi-rs bindings) as installed for this platform, each counted once.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, lstatSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** Files and bytes under `dir`, not descending into node_modules. */
export function folderSize(dir) {
  let files = 0
  let bytes = 0
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue
      const child = join(path, entry.name)
      if (entry.isDirectory()) walk(child)
      else if (entry.isFile()) {
        files++
        bytes += lstatSync(child).size
      }
    }
  }
  walk(dir)
  return { files, bytes }
}

/** The folder Node's resolution finds for package `name` from `fromDir`, or null. */
export function resolvePackageDir(name, fromDir) {
  let dir = fromDir
  for (;;) {
    const base = dir.endsWith(`${join('/', 'node_modules')}`) ? dir : join(dir, 'node_modules')
    const candidate = join(base, name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}

/** `packageDir` and the folders of its runtime dependency closure as installed (missing optional ones skipped). */
export function dependencyClosure(packageDir) {
  const seen = new Set()
  const visit = (dir) => {
    if (seen.has(dir)) return
    seen.add(dir)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const required = Object.keys(manifest.dependencies ?? {})
    const optional = Object.keys(manifest.optionalDependencies ?? {})
    for (const name of [...required, ...optional]) {
      const found = resolvePackageDir(name, dir)
      if (found) visit(found)
      else if (!optional.includes(name)) throw new Error(`${manifest.name}: dependency ${name} is not installed`)
    }
  }
  visit(packageDir)
  return [...seen]
}

/** Size of an installed package alone and with its dependency closure. */
export function installedSize(packageDir) {
  const own = folderSize(packageDir)
  const closure = dependencyClosure(packageDir)
  const all = closure.map(folderSize).reduce((a, b) => ({ files: a.files + b.files, bytes: a.bytes + b.bytes }), { files: 0, bytes: 0 })
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  return { name: manifest.name, version: manifest.version, files: own.files, unpackedBytes: own.bytes, packages: closure.length, withDependencies: all }
}

/**
 * samsa as `npm pack` would publish it from `root` (dist/ must be built: scripts are skipped so this never builds),
 * plus its dependency closure as installed in root/node_modules.
 */
export function packedSamsa(root) {
  if (!existsSync(join(root, 'dist', 'cjs', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: root, encoding: 'utf8' })
  const [pack] = JSON.parse(out)
  const deps = dependencyClosure(root).filter((dir) => dir !== root)
  const depsSize = deps.map(folderSize).reduce((a, b) => ({ files: a.files + b.files, bytes: a.bytes + b.bytes }), { files: 0, bytes: 0 })
  return {
    name: pack.name,
    version: pack.version,
    files: pack.entryCount,
    unpackedBytes: pack.unpackedSize,
    tarballBytes: pack.size,
    fileList: pack.files.map((f) => f.path),
    packages: deps.length + 1,
    withDependencies: { files: pack.entryCount + depsSize.files, bytes: pack.unpackedSize + depsSize.bytes },
  }
}
