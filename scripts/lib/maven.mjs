// Resolves Maven Central artifacts (with their runtime dependencies) into a cache folder outside the work tree,
// once. A folder is trusted only when its completion manifest matches what is on disk, so an interrupted or
// corrupted download is detected and fetched again.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

/** Root of samsa's caches: $SAMSA_CACHE_DIR, else $XDG_CACHE_HOME/samsa, else ~/.cache/samsa. */
export function cacheRoot() {
  if (process.env.SAMSA_CACHE_DIR) return process.env.SAMSA_CACHE_DIR
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'samsa')
}

const MANIFEST = '.complete.json'

function describeFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f !== MANIFEST)
    .sort()
    .map((f) => ({ file: f, size: statSync(join(dir, f)).size }))
}

/** True when `dir` holds exactly the files its completion manifest lists, with the same sizes. */
export function isComplete(dir, key) {
  const path = join(dir, MANIFEST)
  if (!existsSync(path)) return false
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8'))
    if (manifest.key !== key) return false
    const now = describeFiles(dir)
    return JSON.stringify(now) === JSON.stringify(manifest.files) && now.length > 0
  } catch {
    return false
  }
}

/**
 * Copies `artifacts` ("group:artifact:version" or "group:artifact:version:classifier") and their runtime
 * dependencies into `cacheRoot()/<name>`, unless already there. Returns the folder (a flat folder of jars).
 * @param {{ name: string, artifacts: string[], log?: (line: string) => void, includeTransitive?: boolean }} options
 */
export function resolveArtifacts({ name, artifacts, log = (l) => process.stderr.write(l + '\n'), includeTransitive = true }) {
  const dir = join(cacheRoot(), name)
  const key = createHash('sha256').update(JSON.stringify({ artifacts, includeTransitive })).digest('hex')
  if (isComplete(dir, key)) return dir

  log(`samsa: fetching ${artifacts.join(', ')} from Maven Central into ${dir} (once; later runs reuse it)`)
  mkdirSync(cacheRoot(), { recursive: true })
  const work = mkdtempSync(join(tmpdir(), 'samsa-mvn-'))
  try {
    const deps = artifacts
      .map((coords) => {
        const [groupId, artifactId, version, classifier] = coords.split(':')
        return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version>${
          classifier ? `<classifier>${classifier}</classifier>` : ''
        }</dependency>`
      })
      .join('\n')
    writeFileSync(
      join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.cache</groupId><artifactId>${name.replace(/[^A-Za-z0-9_.-]/g, '_')}</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`,
    )
    const staging = join(work, 'lib')
    execFileSync(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        join(work, 'pom.xml'),
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
        '-DincludeScope=runtime',
        `-DexcludeTransitive=${includeTransitive ? 'false' : 'true'}`,
        `-DoutputDirectory=${staging}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    )
    writeFileSync(join(staging, MANIFEST), JSON.stringify({ key, artifacts, files: describeFiles(staging) }, null, 2))
    rmSync(dir, { recursive: true, force: true })
    renameSync(staging, dir)
    return dir
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
