#!/usr/bin/env node
// Fetches the pinned kafka-clients jar (through the shared Maven cache), checks it against the committed
// manifest and extracts its message schemas (common/message/*.json) into protocol-specs/.
//
//   node scripts/sync-protocol-specs.mjs                    extract (always), verifying the manifest
//   node scripts/sync-protocol-specs.mjs --if-missing       do nothing when protocol-specs/ already matches the manifest
//   node scripts/sync-protocol-specs.mjs --update-manifest  after changing KAFKA_VERSION: record the new jar and schema hashes
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveArtifacts } from './lib/maven.mjs'
import { KAFKA_VERSION } from './lib/versions.mjs'
import { listZipEntries } from './generate/zip.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const specsDir = join(root, 'protocol-specs')
const manifestPath = join(specsDir, 'manifest.json')
const SCHEMA_PREFIX = 'common/message/'

const args = new Set(process.argv.slice(2))
const ifMissing = args.has('--if-missing')
const updateManifest = args.has('--update-manifest')

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

function fail(message) {
  process.stderr.write(`sync-protocol-specs: ${message}\n`)
  process.exit(1)
}

function readManifest() {
  if (!existsSync(manifestPath)) return null
  return JSON.parse(readFileSync(manifestPath, 'utf8'))
}

/** True when protocol-specs/ holds exactly the manifest's schema files with the recorded hashes. */
function specsMatch(manifest) {
  if (!manifest || manifest.kafkaVersion !== KAFKA_VERSION) return false
  const present = readdirSync(specsDir).filter((f) => f.endsWith('.json') && f !== 'manifest.json')
  if (present.length !== Object.keys(manifest.schemas).length) return false
  for (const [file, hash] of Object.entries(manifest.schemas)) {
    const path = join(specsDir, file)
    if (!existsSync(path) || sha256(readFileSync(path)) !== hash) return false
  }
  return true
}

mkdirSync(specsDir, { recursive: true })
const manifest = readManifest()
if (ifMissing && !updateManifest && specsMatch(manifest)) process.exit(0)
if (!updateManifest) {
  if (!manifest) fail(`${manifestPath} is missing; run with --update-manifest to create it`)
  if (manifest.kafkaVersion !== KAFKA_VERSION) {
    fail(`manifest is for Kafka ${manifest.kafkaVersion} but scripts/lib/versions.mjs pins ${KAFKA_VERSION}; run with --update-manifest`)
  }
}

const coordinates = `org.apache.kafka:kafka-clients:${KAFKA_VERSION}`
const jarDir = resolveArtifacts({ name: `kafka-clients-${KAFKA_VERSION}`, artifacts: [coordinates], includeTransitive: false })
const jarName = `kafka-clients-${KAFKA_VERSION}.jar`
const jar = readFileSync(join(jarDir, jarName))
const jarSha = sha256(jar)
if (!updateManifest && jarSha !== manifest.jarSha256) {
  fail(`SHA-256 mismatch for ${jarName}: manifest has ${manifest.jarSha256}, downloaded jar is ${jarSha}. Refusing to use it.`)
}

const schemas = listZipEntries(jar)
  .filter((e) => e.name.startsWith(SCHEMA_PREFIX) && e.name.endsWith('.json') && !e.name.slice(SCHEMA_PREFIX.length).includes('/'))
  .map((e) => ({ file: e.name.slice(SCHEMA_PREFIX.length), bytes: e.read() }))
  .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
if (schemas.length === 0) fail(`${jarName} contains no ${SCHEMA_PREFIX}*.json`)

const hashes = Object.fromEntries(schemas.map((s) => [s.file, sha256(s.bytes)]))
if (!updateManifest) {
  const expected = Object.keys(manifest.schemas).sort()
  const actual = Object.keys(hashes)
  if (JSON.stringify(expected) !== JSON.stringify(actual)) fail('schema file list differs from the manifest')
  for (const [file, hash] of Object.entries(hashes)) {
    if (manifest.schemas[file] !== hash) fail(`SHA-256 mismatch for ${file}`)
  }
}

// Replace the folder's schema files wholesale so a file dropped upstream does not linger.
for (const f of readdirSync(specsDir)) {
  if (f.endsWith('.json') && f !== 'manifest.json') rmSync(join(specsDir, f))
}
for (const { file, bytes } of schemas) writeFileSync(join(specsDir, file), bytes)

if (updateManifest) {
  const next = { kafkaVersion: KAFKA_VERSION, artifact: coordinates, jarSha256: jarSha, schemas: hashes }
  writeFileSync(manifestPath, JSON.stringify(next, null, 2) + '\n')
}
process.stderr.write(`sync-protocol-specs: ${schemas.length} schema files for Kafka ${KAFKA_VERSION} in protocol-specs/\n`)
