/**
 * Fidelity against the Java client of the pinned Kafka (the harness's cached jars): kafka-verifiable-producer
 * writes through FakeKafka with idempotence (keyed records land on the partitions its own partitioner chose and the
 * fake agrees), kafka-console-consumer reads one partition with --partition (no group: groups are a later part),
 * the Java consumer reads every batch samsa wrote, compressed or not, headers included, and the Java admin client
 * (kafka-topics, kafka-configs) manages topics. Skipped without `java`.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka } from '../../src/index.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import { FakeKafka } from '../../src/testing/index.js'
import { readTopicWithJava } from '../helpers/java-clients.js'
import { haveJava, kafkaToolsClasspath, runJavaTool } from '../helpers/java-tools.js'

;(haveJava ? describe : describe.skip)('FakeKafka with the Java client', () => {
  let classpath: string
  let fake: FakeKafka
  let work: string
  const problems: string[] = []

  beforeAll(() => {
    classpath = kafkaToolsClasspath()
    work = mkdtempSync(join(tmpdir(), 'fake-java-'))
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))
  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'jt', partitions: 6 }], seed: 5, log: (l) => problems.push(l) })
  })
  afterEach(async () => {
    await fake.stop()
    expect(problems).toEqual([])
  })

  it('kafka-verifiable-producer (idempotent, keyed) writes every record once, on the partition murmur2 picks', async () => {
    const config = join(work, 'producer.properties')
    // VerifiableProducer sets retries=0, which turns idempotence off; give it back what the idempotent producer needs.
    writeFileSync(config, 'enable.idempotence=true\nretries=2147483647\nlinger.ms=5\n')
    const { lines, stderr, code } = await runJavaTool(classpath, 'org.apache.kafka.tools.VerifiableProducer', [
      '--bootstrap-server', fake.bootstrap, '--topic', 'jt', '--max-messages', '300', '--acks', '-1', '--repeating-keys', '11', '--command-config', config,
    ])
    const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { name: string; key?: string; value?: string; partition?: number; offset?: number })
    const sent = events.filter((e) => e.name === 'producer_send_success')
    expect({ code, failures: events.filter((e) => e.name === 'producer_send_error').length, sent: sent.length }).toEqual({ code: 0, failures: 0, sent: 300 })
    for (const e of sent) expect(e.partition).toBe(partitionForKey(Buffer.from(e.key!), 6))
    const stored = new Map<string, string>()
    for (let p = 0; p < 6; p++) for (const r of fake.records('jt', p)) stored.set(`${p}:${r.offset}`, `${r.key!.toString()}=${r.value!.toString()}`)
    expect(stored.size).toBe(300)
    for (const e of sent) expect(stored.get(`${e.partition}:${e.offset}`)).toBe(`${e.key}=${e.value}`)
    expect(fake.requests.some((r) => r.apiName === 'InitProducerId')).toBe(true)
    expect(new Set(fake.records('jt', 0).map((r) => r.producerId)).size).toBe(1)
    if (code !== 0) throw new Error(stderr)
  }, 90_000)

  it('kafka-topics and kafka-configs (the Java admin client) create, describe, alter and delete topics', async () => {
    const tool = async (mainClass: string, args: string[]) => {
      const { lines, stderr, code } = await runJavaTool(classpath, mainClass, ['--bootstrap-server', fake.bootstrap, ...args])
      if (code !== 0) throw new Error(`${mainClass} ${args.join(' ')} failed:\n${stderr}`)
      return lines
    }
    expect(await tool('org.apache.kafka.tools.TopicCommand', ['--create', '--topic', 'made', '--partitions', '3', '--replication-factor', '2', '--config', 'retention.ms=1000'])).toEqual(['Created topic made.'])
    const described = await tool('org.apache.kafka.tools.TopicCommand', ['--describe', '--topic', 'made'])
    expect(described[0]).toMatch(/^Topic: made\tTopicId: [\w-]{22}\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: retention.ms=1000$/)
    expect(described.slice(1).map((l) => /Partition: (\d+)\tLeader: (\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)/.exec(l)!.slice(1, 5)).length).toBe(3)
    await tool('org.apache.kafka.tools.ConfigCommand', ['--alter', '--entity-type', 'topics', '--entity-name', 'made', '--add-config', 'cleanup.policy=compact'])
    const configs = await tool('org.apache.kafka.tools.ConfigCommand', ['--describe', '--entity-type', 'topics', '--entity-name', 'made'])
    expect(configs.join('\n')).toMatch(/cleanup.policy=compact sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete\}/)
    await tool('org.apache.kafka.tools.TopicCommand', ['--delete', '--topic', 'made'])
    expect(await tool('org.apache.kafka.tools.TopicCommand', ['--list'])).toEqual(['jt'])
  }, 120_000)

  it('kafka-console-consumer --partition reads what samsa wrote, offsets and keys included', async () => {
    const kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
    const producer = kafka.producer()
    await producer.send({ topic: 'jt', messages: Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 4 })) })
    await producer.close()
    await kafka.close()
    const { lines, stderr, code } = await runJavaTool(classpath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', fake.bootstrap, '--topic', 'jt', '--partition', '4', '--offset', 'earliest', '--max-messages', '25', '--timeout-ms', '20000',
      '--formatter-property', 'print.key=true', '--formatter-property', 'print.offset=true',
    ])
    const records = lines.filter((l) => l.startsWith('Offset:'))
    expect(records).toEqual(Array.from({ length: 25 }, (_, i) => `Offset:${i}\tk${i}\tv${i}`))
    if (code !== 0) throw new Error(stderr)
  }, 90_000)

  it('the Java consumer reads every codec, header and timestamp samsa wrote through the fake', async () => {
    const kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
    const now = Date.now()
    for (const [partition, compression] of (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).entries()) {
      const producer = kafka.producer({ compression })
      await producer.send({
        topic: 'jt',
        messages: Array.from({ length: 40 }, (_, i) => ({ key: `${compression}-${i}`, value: `${compression}:${i}`, partition, timestamp: now - i, headers: [['h', `${i}`], ['n', null]] as Array<[string, string | null]> })),
      })
      await producer.close()
    }
    await kafka.close()
    const read = await readTopicWithJava({ bootstrap: fake.bootstrap, topic: 'jt', isolationLevel: 'read_uncommitted', timeoutMs: 60_000 })
    expect(read.records.length).toBe(200)
    for (const r of read.records) {
      const i = Number(r.offset)
      const codec = (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)[r.partition]!
      expect([r.key?.toString(), r.value?.toString(), r.timestamp, r.timestampType]).toEqual([`${codec}-${i}`, `${codec}:${i}`, now - i, 'CreateTime'])
      expect(r.headers.map(([k, v]) => [k, v?.toString() ?? null])).toEqual([['h', `${i}`], ['n', null]])
      expect(r.leaderEpoch).toBe(0)
    }
    expect([...read.endOffsets.values()]).toEqual([40n, 40n, 40n, 40n, 40n, 0n])
  }, 120_000)
})
