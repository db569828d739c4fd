/**
 * Mixed groups: samsa members and Java consumers (kafka-tools VerifiableConsumer from the harness's cached jars) in
 * one group, for the KIP-848 protocol, the classic protocol with the range assignor, and a KIP-848 group with a
 * classic Java member. The partitions are split without overlap and every record is consumed by someone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Cluster } from '../../src/network/cluster.js'
import type { GroupProtocol } from '../../src/consumer/types.js'
import { brokers, createTopic, newCluster, newConsumer, produce, uniqueName, values, waitFor } from './consumer-support.js'

const PARTITIONS = 6
const PER_PARTITION = 100
const root = join(__dirname, '..', '..')

function kafkaClasspath(): string {
  const program = `import { resolveKafkaJars } from './scripts/kafka/jars.mjs'; import { KAFKA_VERSION } from './scripts/lib/versions.mjs'; process.stdout.write(resolveKafkaJars(KAFKA_VERSION).classpath)`
  return execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

interface JavaMember {
  process: ChildProcess
  assigned: Set<number>
  consumed: Set<string>
}

function startJava(classpath: string, topic: string, groupId: string, protocol: 'CONSUMER' | 'CLASSIC'): JavaMember {
  const args = ['-Xmx256m', '-cp', classpath, 'org.apache.kafka.tools.VerifiableConsumer', '--bootstrap-server', brokers.join(','), '--topic', topic, '--group-id', groupId, '--group-protocol', protocol, '--reset-policy', 'earliest', '--verbose']
  if (protocol === 'CLASSIC') args.push('--assignment-strategy', 'org.apache.kafka.clients.consumer.RangeAssignor', '--session-timeout', '10000')
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'ignore'] })
  const member: JavaMember = { process: child, assigned: new Set(), consumed: new Set() }
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return
    const event = JSON.parse(line) as { name: string; partitions?: Array<{ partition: number }>; partition?: number; offset?: number }
    if (event.name === 'partitions_assigned') for (const p of event.partitions ?? []) member.assigned.add(p.partition)
    if (event.name === 'partitions_revoked' || event.name === 'partitions_lost') for (const p of event.partitions ?? []) member.assigned.delete(p.partition)
    if (event.name === 'record_data') member.consumed.add(`${event.partition}:${event.offset}`)
  })
  return member
}

describe('mixed groups of samsa and Java consumers', () => {
  let cluster: Cluster
  let classpath: string
  beforeAll(() => {
    cluster = newCluster()
    classpath = kafkaClasspath()
  })
  afterAll(() => cluster.close())

  it.each([
    ['consumer', 'CONSUMER'],
    ['classic', 'CLASSIC'],
    ['consumer', 'CLASSIC'],
  ] as Array<[GroupProtocol, 'CONSUMER' | 'CLASSIC']>)('samsa (%s protocol) and Java (%s protocol) share the partitions', async (samsaProtocol, javaProtocol) => {
    const topic = uniqueName('mixed')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) await produce(cluster, topic, p, values(PER_PARTITION, 'm', p))
    const java = startJava(classpath, topic, groupId, javaProtocol)
    try {
      await waitFor(() => java.assigned.size === PARTITIONS, 60_000, 'the Java member to own the partitions')
      const samsa = newConsumer(cluster, { groupId, groupProtocol: samsaProtocol, partitionAssignmentStrategy: ['range'], autoOffsetReset: 'earliest', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 })
      const consumed = new Set<string>()
      await samsa.subscribe([topic])
      const loop = (async () => {
        for await (const m of samsa) consumed.add(`${m.partition}:${m.offset}`)
      })()
      await waitFor(
        () => samsa.assignment().length > 0 && samsa.assignment().length + java.assigned.size === PARTITIONS,
        90_000,
        'samsa and Java to split the partitions',
      )
      const mine = samsa.assignment().map((tp) => tp.partition)
      expect(mine.some((p) => java.assigned.has(p))).toBe(false)
      expect(new Set([...mine, ...java.assigned]).size).toBe(PARTITIONS)
      // Every record consumed by one of them (the Java member may have read some partitions before the split).
      for (let p = 0; p < PARTITIONS; p++) await produce(cluster, topic, p, values(10, 'after-split', p))
      await waitFor(
        () => {
          for (let p = 0; p < PARTITIONS; p++) for (let o = 0; o < PER_PARTITION + 10; o++) if (!consumed.has(`${p}:${o}`) && !java.consumed.has(`${p}:${o}`)) return false
          return true
        },
        60_000,
        'every record consumed',
      )
      expect([...consumed].some((k) => mine.includes(Number(k.split(':')[0])))).toBe(true)
      await samsa.close()
      await loop
    } finally {
      java.process.kill('SIGTERM')
    }
  }, 180_000)
})
