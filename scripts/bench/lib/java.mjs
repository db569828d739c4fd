// The Java reference tools (ProducerPerformance, ConsumerPerformance …) from the pinned kafka-tools jars, which
// scripts/kafka/jars.mjs resolves into the same cache the broker runs from.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, delimiter, join } from 'node:path'
import { cacheRoot, resolveKafkaJars } from '../../kafka/jars.mjs'
import { KAFKA_VERSION } from '../../lib/versions.mjs'

/**
 * Runs `org.apache.kafka.tools.<tool>` and resolves with its stdout (stderr is kept for the error message).
 * @param {string} tool e.g. 'ProducerPerformance'
 * @param {string[]} args
 * @param {{ kafkaVersion?: string, heap?: string, timeoutMs?: number }} [options]
 */
export function runKafkaTool(tool, args, { kafkaVersion = KAFKA_VERSION, heap = '512m', timeoutMs = 600_000 } = {}) {
  const { classpath } = resolveKafkaJars(kafkaVersion)
  const argv = [`-Xmx${heap}`, '-cp', classpath, `org.apache.kafka.tools.${tool}`, ...args]
  return new Promise((resolve, reject) => {
    execFile('java', argv, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool} failed (${error.code ?? error.signal}): ${stderr.trim().split('\n').slice(-5).join('\n')}`))
      else resolve(stdout)
    })
  })
}

const NUMBER = '([0-9.]+)'
const SUMMARY = new RegExp(
  `^${NUMBER} (steady state )?records sent, ${NUMBER} records/sec \\(${NUMBER} MB/sec\\), ${NUMBER} ms avg latency, ${NUMBER} ms max latency, ${NUMBER} ms 50th, ${NUMBER} ms 95th, ${NUMBER} ms 99th, ${NUMBER} ms 99.9th`,
)

/**
 * Parses ProducerPerformance's summary lines. With --warmup-records it prints the whole-run summary and then a
 * "steady state" one without the warm-up records; `steady` is that one (or the whole run without warm-up).
 * MB/sec there is records × record size / 2^20 (values only, no keys: the tool sends null keys).
 */
export function parseProducerPerformance(stdout) {
  const summaries = []
  for (const line of stdout.split('\n')) {
    const m = SUMMARY.exec(line.trim())
    if (!m) continue
    summaries.push({
      steadyState: Boolean(m[2]),
      records: Number(m[1]),
      recordsPerSec: Number(m[3]),
      mbPerSec: Number(m[4]),
      avgLatencyMs: Number(m[5]),
      maxLatencyMs: Number(m[6]),
      p50Ms: Number(m[7]),
      p95Ms: Number(m[8]),
      p99Ms: Number(m[9]),
      p999Ms: Number(m[10]),
    })
  }
  if (summaries.length === 0) throw new Error(`no summary line in ProducerPerformance output:\n${stdout.slice(-2000)}`)
  return { whole: summaries.find((s) => !s.steadyState) ?? null, steady: summaries.find((s) => s.steadyState) ?? summaries[summaries.length - 1] }
}

/**
 * Compiles the benchmark's own Java programs (scripts/bench/java/*.java) against the pinned Kafka jars, once: the
 * classes are cached under cacheRoot()/bench-classes-<hash of the sources, the jars and the javac version>, so a
 * change to any of them recompiles. Returns the classpath to run them with (classes first, then the jars).
 * @param {string[]} sources absolute paths
 * @param {{ kafkaVersion?: string }} [options]
 */
export function compileBenchJava(sources, { kafkaVersion = KAFKA_VERSION } = {}) {
  const { libDir, classpath } = resolveKafkaJars(kafkaVersion)
  let javac
  try {
    javac = execFileSync('javac', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (error) {
    throw new Error('the Java rows need a JDK: `javac` was not found on PATH', { cause: error })
  }
  const hash = createHash('sha256').update(javac)
  for (const source of [...sources].sort()) hash.update(`\0${basename(source)}\0`).update(readFileSync(source))
  for (const jar of readdirSync(libDir).filter((f) => f.endsWith('.jar')).sort()) hash.update(`\0${jar}:${statSync(join(libDir, jar)).size}`)
  const dir = join(cacheRoot(), `bench-classes-${hash.digest('hex').slice(0, 20)}`)
  if (!existsSync(join(dir, '.complete'))) {
    mkdirSync(cacheRoot(), { recursive: true })
    const staging = mkdtempSync(join(cacheRoot(), '.bench-classes-staging-'))
    try {
      execFileSync('javac', ['-encoding', 'UTF-8', '-nowarn', '-d', staging, '-cp', classpath, ...sources], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`)
      try {
        renameSync(staging, dir)
      } catch (error) {
        // another benchmark compiled the same sources first
        if (!existsSync(join(dir, '.complete'))) throw error
      }
    } catch (error) {
      throw new Error(`javac failed for ${sources.map((s) => basename(s)).join(', ')}:\n${error.stderr ?? ''}${error.stdout ?? ''}`, { cause: error })
    } finally {
      rmSync(staging, { recursive: true, force: true })
    }
  }
  return [dir, classpath].join(delimiter)
}

/**
 * Runs a compiled benchmark program and resolves with its stdout (stderr is passed through as progress).
 * @param {string} classpath from compileBenchJava
 * @param {string} mainClass
 * @param {string[]} args
 * @param {{ heap?: string, timeoutMs?: number }} [options]
 */
export function runBenchJava(classpath, mainClass, args, { heap = '512m', timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile('java', [`-Xmx${heap}`, '-cp', classpath, mainClass, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${mainClass} failed (${error.code ?? error.signal}): ${stderr.trim().split('\n').slice(-5).join('\n')}`))
      else resolve(stdout)
    })
    child.stdin?.end()
  })
}
