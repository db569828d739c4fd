// Kafka's error table, read from the pinned kafka-clients jar by a small Java program (scripts/errors/), cached
// per Kafka version and program hash so the JVM runs once, then emitted as src/protocol/generated/error-codes.ts.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { cacheRoot, resolveArtifacts } from '../lib/maven.mjs'
import { KAFKA_VERSION } from '../lib/versions.mjs'
import { GENERATED_BANNER } from './emit-module.mjs'

/** @returns {Array<{ code: number, name: string, retriable: boolean, classes: string[], message: string | null }>} */
export function loadErrorTable(root) {
  const program = join(root, 'scripts', 'errors', 'DumpErrors.java')
  const programHash = createHash('sha256').update(readFileSync(program)).digest('hex').slice(0, 16)
  const cacheDir = join(cacheRoot(), 'error-codes')
  const cached = join(cacheDir, `kafka-${KAFKA_VERSION}-${programHash}.json`)
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8'))

  const jars = resolveArtifacts({
    name: `kafka-clients-${KAFKA_VERSION}-runtime`,
    artifacts: [`org.apache.kafka:kafka-clients:${KAFKA_VERSION}`],
    includeTransitive: true,
  })
  const classPath = readdirSync(jars)
    .filter((f) => f.endsWith('.jar'))
    .sort()
    .map((f) => join(jars, f))
    .join(delimiter)
  process.stderr.write(`generate: reading the error table from kafka-clients ${KAFKA_VERSION} (once; cached)\n`)
  // stderr is kept quiet (SLF4J complains that no logger binding is present) unless the program fails.
  const run = spawnSync('java', ['-cp', classPath, program], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`DumpErrors failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`)
  const json = run.stdout
  const table = JSON.parse(json)
  if (!Array.isArray(table) || table.length < 10) throw new Error('error table dump looks wrong')
  mkdirSync(cacheDir, { recursive: true })
  writeFileSync(cached, JSON.stringify(table, null, 1) + '\n')
  return table
}

/**
 * What an error proves stale, by its exception class as the Java client reads it: an InvalidMetadataException
 * (not leader, unknown topic, fenced epoch …) makes the client refresh metadata; NOT_COORDINATOR and
 * COORDINATOR_NOT_AVAILABLE make it look the coordinator up again (a coordinator that is loading stays known).
 */
function refreshOf(error) {
  if (error.classes.includes('InvalidMetadataException')) return 'metadata'
  if (error.classes.includes('NotCoordinatorException') || error.classes.includes('CoordinatorNotAvailableException')) return 'coordinator'
  return null
}

/**
 * KIP-1050's classes, by the exception class Kafka gives the code: what an application can do about the error when
 * it reaches it (a transactional producer's above all). Retriable: try the call again; abortable: abort the
 * transaction; application-recoverable: close the producer (or member) and start a new one; invalid-configuration:
 * fix the configuration or permissions; fatal: anything else.
 */
function categoryOf(error) {
  if (error.classes.includes('RetriableException')) return 'retriable'
  if (error.classes.includes('TransactionAbortableException')) return 'abortable'
  if (error.classes.includes('ApplicationRecoverableException')) return 'application-recoverable'
  if (error.classes.includes('InvalidConfigurationException')) return 'invalid-configuration'
  return 'fatal'
}

export function errorCodesSource(table) {
  const sorted = [...table].sort((a, b) => a.code - b.code)
  const out = [GENERATED_BANNER]
  out.push(`/** One row of Kafka's error table. */\n`)
  out.push(`export interface ErrorCodeInfo {\n  readonly code: number\n  readonly name: string\n  readonly retriable: boolean\n  /** What the error proves stale: cached metadata (leaders, topics) or a coordinator. */\n  readonly refresh: 'metadata' | 'coordinator' | null\n  /** KIP-1050's class: what an application can do about it. */\n  readonly category: ErrorCategory\n  readonly message: string | null\n}\n\n`)
  out.push(`/** KIP-1050's error classes. */\nexport type ErrorCategory = 'retriable' | 'abortable' | 'application-recoverable' | 'invalid-configuration' | 'fatal'\n\n`)
  out.push(`/** Kafka ${KAFKA_VERSION}'s error codes (org.apache.kafka.common.protocol.Errors), keyed by code. */\n`)
  out.push(`export const errorCodes: ReadonlyMap<number, ErrorCodeInfo> = new Map<number, ErrorCodeInfo>([\n`)
  for (const e of sorted) {
    out.push(`  [${e.code}, { code: ${e.code}, name: ${JSON.stringify(e.name)}, retriable: ${e.retriable}, refresh: ${JSON.stringify(refreshOf(e))}, category: ${JSON.stringify(categoryOf(e))}, message: ${JSON.stringify(e.message)} }],\n`)
  }
  out.push(`])\n\n`)
  out.push(`/** Error name → code. */\n`)
  out.push(`export const ErrorCodes = {\n`)
  for (const e of sorted) out.push(`  ${e.name}: ${e.code},\n`)
  out.push(`} as const\n`)
  return out.join('')
}
