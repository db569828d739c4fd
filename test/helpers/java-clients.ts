/**
 * The Java client (kafka-clients at the pinned KAFKA_VERSION) as a reference for tests: a verifying consumer that
 * reports exactly what is stored in a topic (test/java/clients/VerifyingConsumer.java), and a long-lived JVM that
 * answers questions about the Java producer's own choices (test/java/clients/ClientReference.java).
 *
 * The jars are the broker harness's cached folder (scripts/kafka/jars.mjs, resolved through scripts/lib/maven.mjs),
 * so the client classes are the same release as the broker the tests run against and nothing extra is downloaded;
 * the sources are compiled once per content hash by test/golden/support/java-process.ts.
 */
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { compileJavaSources, JSON_LINE_LOOP_SOURCE, type JavaProgram, JsonLineJvm } from '../golden/support/java-process.js'
import { JsonNumber, type JsonValue } from '../golden/support/lossless-json.js'

const REPO_ROOT = resolve(__dirname, '../..')
const JAVA_SOURCES = join(REPO_ROOT, 'test/java/clients')
const LOG_CONFIG = join(JAVA_SOURCES, 'log4j2.properties')
const RESULT_MARKER = '@@samsa-kafka-jars '
const JVM_ARGS = ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${LOG_CONFIG}`]

let compiled: { classpath: string[] } | null = null

/**
 * The harness's jar folder for the pinned Kafka version (global setup has normally filled the cache already) and
 * our classes compiled against it. Synchronous and memoised: call it in beforeAll.
 */
export function javaClientsClasspath(): string[] {
  if (compiled) return compiled.classpath
  const { cacheRoot, jars } = kafkaJars()
  const sources = [JSON_LINE_LOOP_SOURCE, join(JAVA_SOURCES, 'VerifyingConsumer.java'), join(JAVA_SOURCES, 'ClientReference.java')]
  const classes = compileJavaSources(sources, { cacheRoot, jars })
  compiled = { classpath: [classes, ...jars] }
  return compiled.classpath
}

let harnessJars: { cacheRoot: string; jars: string[] } | null = null

/**
 * The jars of the harness's broker at the pinned Kafka version and the cache folder compiled classes go to: for
 * tests that compile Java against the broker itself (a broker plugin). Synchronous and memoised.
 */
export function kafkaJars(): { cacheRoot: string; jars: string[] } {
  if (harnessJars) return harnessJars
  const script = `
    import { resolveKafkaJars, cacheRoot } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'scripts/kafka/jars.mjs')).href)}
    import { KAFKA_VERSION } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'scripts/lib/versions.mjs')).href)}
    const { libDir } = resolveKafkaJars(KAFKA_VERSION)
    process.stdout.write('\\n${RESULT_MARKER}' + JSON.stringify({ libDir, cacheRoot: cacheRoot() }) + '\\n')
  `
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = output.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER))
  if (!line) throw new Error(`resolving the harness's Kafka jars printed no result:\n${output}`)
  const { libDir, cacheRoot } = JSON.parse(line.slice(RESULT_MARKER.length)) as { libDir: string; cacheRoot: string }
  const jars = readdirSync(libDir)
    .filter((file) => file.endsWith('.jar'))
    .sort()
    .map((file) => join(libDir, file))
  harnessJars = { cacheRoot, jars }
  return harnessJars
}

// ---------------------------------------------------------------------------------------------------------
// Verifying consumer

export type IsolationLevel = 'read_committed' | 'read_uncommitted'

export interface JavaConsumedRecord {
  partition: number
  offset: bigint
  timestamp: number
  timestampType: 'CreateTime' | 'LogAppendTime' | 'NoTimestampType'
  key: Buffer | null
  value: Buffer | null
  /** In stored order, duplicates and null values kept. */
  headers: Array<[string, Buffer | null]>
  leaderEpoch: number | null
}

export interface JavaTopicRead {
  /** Every record below the end offsets, ordered by partition then offset (the order Java returned per partition). */
  records: JavaConsumedRecord[]
  /** End offsets captured when the read started (the last stable offsets with read_committed). */
  endOffsets: Map<number, bigint>
  beginningOffsets: Map<number, bigint>
  /** The end of the Java side's stderr (its account of the read, plus client warnings): attach it to failures. */
  stderr: string
}

export interface JavaReadOptions {
  bootstrap: string
  topic: string
  isolationLevel: IsolationLevel
  /** The Java side gives up (and the promise rejects) after this long. Default 120 000. */
  timeoutMs?: number
}

interface RawRecordLine {
  partition: number
  offset: number
  timestamp: number
  timestampType: JavaConsumedRecord['timestampType']
  key: string | null
  value: string | null
  headers: Array<[string, string | null]>
  leaderEpoch: number | null
}

interface SummaryLine {
  done: true
  records: number
  endOffsets: Record<string, number>
  beginningOffsets: Record<string, number>
}

function fromBase64(text: string | null): Buffer | null {
  return text === null ? null : Buffer.from(text, 'base64')
}

/**
 * Reads a whole topic with the Java consumer (no group: all partitions assigned, from the beginning to the end
 * offsets at start). Rejects when the JVM fails, times out, or its output is incomplete.
 */
export function readTopicWithJava(options: JavaReadOptions): Promise<JavaTopicRead> {
  const classpath = javaClientsClasspath()
  const timeoutMs = options.timeoutMs ?? 120_000
  const args = [...JVM_ARGS, '-cp', classpath.join(delimiter), 'VerifyingConsumer', options.bootstrap, options.topic, options.isolationLevel, String(timeoutMs)]
  return new Promise((resolvePromise, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const records: JavaConsumedRecord[] = []
    let summary: SummaryLine | null = null
    let rest = ''
    let stderrTail = ''
    let parseError: Error | null = null
    // The Java side enforces timeoutMs itself; this is the backstop for a JVM that hangs anyway.
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 30_000)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-6000)
    })
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        if (line === '' || parseError) continue
        try {
          const parsed = JSON.parse(line) as RawRecordLine | SummaryLine
          if ('done' in parsed) {
            summary = parsed
            continue
          }
          records.push({
            partition: parsed.partition,
            offset: BigInt(parsed.offset),
            timestamp: parsed.timestamp,
            timestampType: parsed.timestampType,
            key: fromBase64(parsed.key),
            value: fromBase64(parsed.value),
            headers: parsed.headers.map(([key, value]) => [key, fromBase64(value)]),
            leaderEpoch: parsed.leaderEpoch,
          })
        } catch (error) {
          parseError = new Error(`unparseable line from VerifyingConsumer: ${line.slice(0, 300)}`, { cause: error })
        }
      }
    })
    child.on('error', (error) => {
      clearTimeout(killer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(killer)
      const done = summary as SummaryLine | null
      if (parseError) return reject(parseError)
      if (code !== 0 || !done) {
        return reject(new Error(`VerifyingConsumer on ${options.topic} exited with ${code ?? signal}${done ? '' : ' without a summary'}; stderr:\n${stderrTail}`))
      }
      if (done.records !== records.length) {
        return reject(new Error(`VerifyingConsumer reported ${done.records} records but ${records.length} arrived`))
      }
      const toMap = (offsets: Record<string, number>) => new Map(Object.entries(offsets).map(([p, o]) => [Number(p), BigInt(o)]))
      resolvePromise({ records, endOffsets: toMap(done.endOffsets), beginningOffsets: toMap(done.beginningOffsets), stderr: stderrTail })
    })
  })
}

// ---------------------------------------------------------------------------------------------------------
// The Java client's decisions

/** One JVM answering ClientReference ops; close it in afterAll. */
export class JavaClientReference {
  readonly #jvm: JsonLineJvm

  private constructor(jvm: JsonLineJvm) {
    this.#jvm = jvm
  }

  static start(): JavaClientReference {
    const program: JavaProgram = { classpath: javaClientsClasspath(), mainClass: 'ClientReference' }
    return new JavaClientReference(JsonLineJvm.start(program, JVM_ARGS))
  }

  /** For each key, the partition the Java producer's default partitioning gives it under each partition count. */
  async partitionsForKeys(keys: Buffer[], partitionCounts: number[]): Promise<number[][]> {
    const rows: number[][] = []
    const CHUNK = 2000
    for (let start = 0; start < keys.length; start += CHUNK) {
      const answer = await this.#jvm.request({
        op: 'partitionForKey',
        keys: keys.slice(start, start + CHUNK).map((key) => key.toString('base64')),
        partitionCounts: partitionCounts.map((count) => new JsonNumber(String(count))),
      })
      if (answer.ok !== true) throw new Error(`ClientReference partitionForKey failed: ${String(answer.error)}`)
      for (const row of answer.partitions as JsonValue[][]) rows.push(row.map((value) => (value as JsonNumber).toNumber()))
    }
    return rows
  }

  /**
   * The Java producer sends `count` unkeyed records of `valueBytes` one at a time (each waited for) with its default
   * partitioner; the partition of each, in order.
   */
  async produceUnkeyed(options: { bootstrap: string; topic: string; count: number; valueBytes: number; lingerMs: number; batchSize: number }): Promise<number[]> {
    const answer = await this.#jvm.request({
      op: 'produceUnkeyed',
      bootstrap: options.bootstrap,
      topic: options.topic,
      count: new JsonNumber(String(options.count)),
      valueBytes: new JsonNumber(String(options.valueBytes)),
      lingerMs: new JsonNumber(String(options.lingerMs)),
      batchSize: new JsonNumber(String(options.batchSize)),
    })
    if (answer.ok !== true) throw new Error(`ClientReference produceUnkeyed failed: ${String(answer.error)}`)
    return (answer.partitions as JsonValue[]).map((value) => (value as JsonNumber).toNumber())
  }

  /**
   * The Java producer sends `count` unkeyed records of `valueBytes` without waiting for any (paced at
   * `recordsPerSecond` when given), then flushes: the partition of each record, in order, and the milliseconds from
   * the first send to the end of the flush. For adaptive partitioning (KIP-794) under uneven broker load.
   */
  async produceUnkeyedBurst(options: {
    bootstrap: string
    topic: string
    count: number
    valueBytes: number
    lingerMs: number
    batchSize: number
    acks: 'all' | '1' | '0'
    adaptive: boolean
    availabilityTimeoutMs: number
    recordsPerSecond?: number
  }): Promise<{ partitions: number[]; elapsedMs: number }> {
    const answer = await this.#jvm.request({
      op: 'produceUnkeyedBurst',
      bootstrap: options.bootstrap,
      topic: options.topic,
      count: new JsonNumber(String(options.count)),
      valueBytes: new JsonNumber(String(options.valueBytes)),
      lingerMs: new JsonNumber(String(options.lingerMs)),
      batchSize: new JsonNumber(String(options.batchSize)),
      acks: options.acks,
      adaptive: options.adaptive,
      availabilityTimeoutMs: new JsonNumber(String(options.availabilityTimeoutMs)),
      recordsPerSecond: new JsonNumber(String(options.recordsPerSecond ?? 0)),
    })
    if (answer.ok !== true) throw new Error(`ClientReference produceUnkeyedBurst failed: ${String(answer.error)}`)
    return {
      partitions: (answer.partitions as JsonValue[]).map((value) => (value as JsonNumber).toNumber()),
      elapsedMs: (answer.elapsedMs as JsonNumber).toNumber(),
    }
  }

  close(): Promise<void> {
    return this.#jvm.close()
  }
}
