/**
 * Fidelity of the group and transaction coordinators against the Java client (kafka-clients and kafka-tools from
 * the pinned jars): VerifiableConsumer groups of two under the classic and the KIP-848 protocol, balanced, with
 * offsets a ConsoleConsumer in the same group resumes from; the Java read_committed consumer hiding what samsa
 * aborted; and Java's TransactionalMessageCopier (random aborts, offsets sent to the transaction) read back by
 * samsa's read_committed consumer.
 */
import type { ChildProcess } from 'node:child_process'
import { Kafka } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'
import { readTopicWithJava } from '../helpers/java-clients.js'
import { haveJava, kafkaToolsClasspath, startJavaTool } from '../helpers/java-tools.js'
import { waitFor } from '../helpers/wait.js'

interface VerifiableEvent {
  name: string
  partitions?: Array<{ topic: string; partition: number; count?: number; minOffset?: number; maxOffset?: number; offset?: number }>
}

;(haveJava ? describe : describe.skip)('FakeKafka groups and transactions with the Java client', () => {
  let classpath: string
  let fake: FakeKafka
  let kafka: Kafka
  const problems: string[] = []
  const running: ChildProcess[] = []

  beforeAll(() => {
    classpath = kafkaToolsClasspath()
  })
  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'jg', partitions: 6 }, { name: 'tin', partitions: 1 }, { name: 'tout', partitions: 2 }], seed: 13, log: (l) => problems.push(l) })
    fake.services.groups.config.consumerHeartbeatIntervalMs = 500
    kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
  })
  afterEach(async () => {
    for (const child of running.splice(0)) child.kill('SIGKILL')
    await kafka.close()
    await fake.stop()
    expect(problems).toEqual([])
  })

  async function produce(topic: string, from: number, count: number, partitions: number): Promise<void> {
    const producer = kafka.producer()
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, partition: (from + i) % partitions })) })
    await producer.close()
  }

  it.each(['classic', 'consumer'] as const)('a %s group of two VerifiableConsumers balances, and its commits outlive it', async (protocol) => {
    const members = [0, 1].map(() => {
      const state = { assigned: [] as number[], consumed: new Map<number, number>(), commits: 0 }
      const run = startJavaTool(classpath, 'org.apache.kafka.tools.VerifiableConsumer', [
        '--bootstrap-server', fake.bootstrap, '--topic', 'jg', '--group-id', `java-${protocol}`, '--group-protocol', protocol,
        '--max-messages', '30', '--reset-policy', 'earliest', ...(protocol === 'classic' ? ['--session-timeout', '10000'] : []),
      ], (line) => {
        if (!line.startsWith('{')) return
        const event = JSON.parse(line) as VerifiableEvent
        if (event.name === 'partitions_assigned') state.assigned = [...state.assigned, ...event.partitions!.map((p) => p.partition)].sort()
        if (event.name === 'partitions_revoked') state.assigned = state.assigned.filter((p) => !event.partitions!.some((r) => r.partition === p))
        if (event.name === 'records_consumed') for (const p of event.partitions!) state.consumed.set(p.partition, (state.consumed.get(p.partition) ?? 0) + p.count!)
        if (event.name === 'offsets_committed') state.commits++
      })
      running.push(run.child)
      return { state, run }
    })
    await waitFor(() => members.every((m) => m.state.assigned.length === 3) && new Set(members.flatMap((m) => m.state.assigned)).size === 6, 60_000, 'three partitions for each member')
    expect(fake.services.groups.groups.get(`java-${protocol}`)!.type).toBe(protocol)
    // Records only now, ten per partition: each member gets exactly its 30 and stops.
    await produce('jg', 0, 60, 6)
    const results = await Promise.all(members.map((m) => m.run.done))
    expect(results.map((r) => r.code)).toEqual([0, 0])
    for (const m of members) expect([...m.state.consumed.values()].reduce((a, b) => a + b, 0)).toBe(30)
    const committed = fake.services.groups.offsets.get(`java-${protocol}`)!
    expect(Array.from({ length: 6 }, (_, p) => committed.get(`jg\u0000${p}`)?.offset)).toEqual(Array(6).fill(10n))

    // A new member of the same group starts where the others committed.
    await produce('jg', 60, 6, 6)
    const resumed = startJavaTool(classpath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', fake.bootstrap, '--topic', 'jg', '--group', `java-${protocol}`, '--consumer-property', `group.protocol=${protocol}`,
      '--max-messages', '6', '--timeout-ms', '30000',
    ])
    running.push(resumed.child)
    const { code, stderr } = await resumed.done
    expect(resumed.lines.filter((l) => l.startsWith('v')).sort()).toEqual(['v60', 'v61', 'v62', 'v63', 'v64', 'v65'])
    if (code !== 0) throw new Error(stderr)
  }, 120_000)

  it('the Java read_committed consumer hides what samsa aborted', async () => {
    const producer = kafka.producer({ transactionalId: 'samsa-tx' })
    await producer.initTransactions()
    for (let t = 0; t < 6; t++) {
      producer.beginTransaction()
      await producer.send({ topic: 'tout', messages: [{ value: `t${t}-a`, partition: t % 2 }, { value: `t${t}-b`, partition: (t + 1) % 2 }] })
      if (t % 3 === 1) await producer.abortTransaction()
      else await producer.commitTransaction()
    }
    // An open transaction at the end: read_committed stops before it.
    producer.beginTransaction()
    await producer.send({ topic: 'tout', messages: [{ value: 'open', partition: 0 }] })
    await producer.flush()
    const committed = await readTopicWithJava({ bootstrap: fake.bootstrap, topic: 'tout', isolationLevel: 'read_committed', timeoutMs: 60_000 })
    const values = committed.records.map((r) => r.value!.toString()).sort()
    expect(values).toEqual(['t0-a', 't0-b', 't2-a', 't2-b', 't3-a', 't3-b', 't5-a', 't5-b'])
    const everything = await readTopicWithJava({ bootstrap: fake.bootstrap, topic: 'tout', isolationLevel: 'read_uncommitted', timeoutMs: 60_000 })
    expect(everything.records).toHaveLength(13)
    await producer.abortTransaction()
    await producer.close()
  }, 120_000)

  it("Java's TransactionalMessageCopier copies exactly once through random aborts", async () => {
    await produce('tin', 0, 50, 1)
    const copier = startJavaTool(classpath, 'org.apache.kafka.tools.TransactionalMessageCopier', [
      '--broker-list', fake.bootstrap, '--input-topic', 'tin', '--input-partition', '0', '--output-topic', 'tout', '--transactional-id', 'java-copier',
      '--consumer-group', 'copier-group', '--max-messages', '50', '--transaction-size', '5', '--enable-random-aborts', '--use-group-metadata',
    ])
    running.push(copier.child)
    const { code, stderr } = await copier.done
    if (code !== 0) throw new Error(stderr)
    expect(fake.services.groups.offsets.get('copier-group')!.get('tin\u00000')!.offset).toBe(50n)
    const reader = kafka.consumer({ isolationLevel: 'read_committed', autoOffsetReset: 'earliest', valueDeserializer: 'string', fetchMaxWaitMs: 50 })
    await reader.assign([{ topic: 'tout', partition: 0 }, { topic: 'tout', partition: 1 }])
    const got: string[] = []
    for await (const m of reader) {
      got.push(m.value as string)
      if (got.length === 50) break
    }
    await reader.close()
    expect(got.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`).sort())
    const txn = fake.services.transactions.transactions.get('java-copier')!
    expect(txn.state === 'CompleteCommit' || txn.state === 'Empty').toBe(true)
  }, 120_000)
})
