// The Java reference tools (ProducerPerformance, ConsumerPerformance …) from the pinned kafka-tools jars, which
// scripts/kafka/jars.mjs resolves into the same cache the broker runs from.
import { execFile } from 'node:child_process'
import { resolveKafkaJars } from '../../kafka/jars.mjs'
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
