// Shared pieces of the admin integration tests: an admin client on a given bootstrap list, unique names,
// raw produce/commit helpers (so admin tests do not depend on the producer and consumer under construction),
// and the Java tools from the cached Kafka jars for cross-checks.
import { spawnSync, execFile } from 'node:child_process'
import { join } from 'node:path'
import { Admin } from '../../src/admin/admin.js'
import { Cluster } from '../../src/network/cluster.js'
import { saslMechanismFrom, type SaslConfig } from '../../src/network/sasl/index.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { encodeRecordBatch } from '../../src/records/index.js'

export function bootstrapList(value = process.env.KAFKA_BROKERS): string[] {
  if (!value) throw new Error('KAFKA_BROKERS is not set: run through jest (global setup starts a broker)')
  return value.split(',')
}

export interface TestAdmin {
  admin: Admin
  cluster: Cluster
  close(): Promise<void>
}

export function openCluster(brokers: string[], sasl?: SaslConfig): Cluster {
  return new Cluster({
    brokers,
    clientId: 'samsa-admin-test',
    sasl: sasl ? saslMechanismFrom(sasl) : null,
    retry: { retries: 8, initialBackoffMs: 100, maxBackoffMs: 1000 },
  })
}

export function openAdmin(brokers: string[] = bootstrapList()): TestAdmin {
  const cluster = openCluster(brokers)
  const admin = new Admin({ cluster, clientId: 'samsa-admin-test', logger: silent, release: () => cluster.close() })
  return { admin, cluster, close: () => admin.close() }
}

const noop = () => undefined
const silent = { debug: noop, info: noop, warn: noop, error: noop }

let counter = 0
export function uniqueName(label: string): string {
  counter += 1
  return `admin-${label}-${process.pid}-${Date.now().toString(36)}-${counter}`
}

/** Appends `values` to one partition with a raw Produce at the leader; returns the base offset. */
export async function produceValues(cluster: Cluster, topic: string, partition: number, values: string[]): Promise<bigint> {
  const records = encodeRecordBatch({ records: values.map((value, i) => ({ key: `k${i}`, value })) })
  const response = await cluster.send(
    { kind: 'leader', topic, partition },
    apis[ApiKeys.Produce] as never,
    { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] } as never,
    // Produce v13 keys topics by id; names keep this helper simple.
    { version: (v: number) => Math.min(v, 12) } as never,
  )
  const p = (response as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> }).responses[0]!
    .partitionResponses[0]!
  if (p.errorCode !== 0) throw new Error(`produce failed with error code ${p.errorCode}`)
  return p.baseOffset
}

/** Commits offsets for a group with no members (an "empty classic group", as admin tools do). */
export async function commitOffsets(cluster: Cluster, groupId: string, offsets: Array<{ topic: string; partition: number; offset: bigint }>): Promise<void> {
  const response = (await cluster.send(
    { kind: 'coordinator', type: 'group', key: groupId },
    apis[ApiKeys.OffsetCommit] as never,
    {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: offsets.map((o) => ({ name: o.topic, partitions: [{ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' }] })),
    } as never,
    { purpose: 'group', version: (v: number) => Math.min(v, 9) } as never,
  )) as { topics: Array<{ partitions: Array<{ errorCode: number }> }> }
  for (const t of response.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw new Error(`commit failed with error code ${p.errorCode}`)
}

let jarsDir: string | null = null
/** The cached Kafka jars (resolved through scripts/kafka/jars.mjs, which never runs Maven when cached). */
export function kafkaJars(): string {
  if (jarsDir) return jarsDir
  const module = join(__dirname, '..', '..', 'scripts', 'kafka', 'jars.mjs')
  const versions = join(__dirname, '..', '..', 'scripts', 'lib', 'versions.mjs')
  const program = `Promise.all([import(${JSON.stringify(module)}), import(${JSON.stringify(versions)})]).then(([m, v]) => console.log(JSON.stringify(m.resolveKafkaJars(v.KAFKA_VERSION))))`
  const result = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`resolving the Kafka jars failed: ${result.stderr}`)
  jarsDir = (JSON.parse(result.stdout) as { libDir: string }).libDir
  return jarsDir
}

/** Runs a Kafka command-line tool class from the cached jars; resolves with its stdout. */
export function runJavaTool(mainClass: string, args: string[], timeoutMs = 90_000): Promise<string> {
  const classpath = join(kafkaJars(), '*')
  return new Promise((resolve, reject) => {
    execFile(
      process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', classpath, mainClass, ...args],
      { timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${mainClass} failed: ${error.message}\n${stderr}`)) : resolve(stdout)),
    )
  })
}

/**
 * Runs `check` until it stops throwing: the broker answers from metadata that trails the controller by a moment,
 * so effects of a change are awaited, not assumed.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}
