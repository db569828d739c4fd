/**
 * Admin topics and configs against the real broker: every method checks an effect the broker (or the Java
 * tools) can see, and per-item errors come back typed next to the other items' results.
 */
import { KafkaProtocolError } from '../../src/errors.js'
import { bootstrapList, eventually, openAdmin, runJavaTool, type TestAdmin, uniqueName } from './admin-support.js'

describe('Admin: topics', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('creates topics with partitions, configs and explicit assignments; reports per-topic errors', async () => {
    const plain = uniqueName('create')
    const assigned = uniqueName('assigned')
    const results = await t.admin.createTopics([
      { name: plain, numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } },
      { name: assigned, assignments: [[1], [1]] },
      { name: plain + '-bad-rf', numPartitions: 1, replicationFactor: 7 },
    ])
    expect(results.map((r) => r.name)).toEqual([plain, assigned, plain + '-bad-rf'])
    expect(results[0]!.error).toBeNull()
    expect(results[0]!.numPartitions).toBe(3)
    expect(results[0]!.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(results[0]!.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '3600000', source: 'dynamic-topic' })
    expect(results[1]!.error).toBeNull()
    expect(results[1]!.numPartitions).toBe(2)
    expect(results[2]!.error).toBeInstanceOf(KafkaProtocolError)
    expect(results[2]!.error).toMatchObject({ code: 38, errorName: 'INVALID_REPLICATION_FACTOR' })

    await eventually(async () => {
      const [described] = await t.admin.describeTopics([plain])
      expect(described!.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
      expect(described!.topicId).toBe(results[0]!.topicId)
    })

    const again = await t.admin.createTopics([{ name: plain, numPartitions: 1 }])
    expect(again[0]!.error).toMatchObject({ errorName: 'TOPIC_ALREADY_EXISTS' })
  })

  it('by default resolves once the topics have leaders, so an immediate describe sees them', async () => {
    const names = [uniqueName('ready-a'), uniqueName('ready-b'), uniqueName('ready-c')]
    const created = await t.admin.createTopics(names.map((name) => ({ name, numPartitions: 4, replicationFactor: 1 })))
    expect(created.map((c) => c.error)).toEqual([null, null, null])
    const described = await t.admin.describeTopics(names)
    for (const d of described) {
      expect(d.error).toBeNull()
      expect(d.partitions.map((p) => p.leader)).toEqual([1, 1, 1, 1])
    }
  })

  it('validateOnly checks without creating', async () => {
    const name = uniqueName('validate')
    const [result] = await t.admin.createTopics([{ name, numPartitions: 4, replicationFactor: 1 }], { validateOnly: true })
    expect(result!.error).toBeNull()
    expect(result!.numPartitions).toBe(4)
    const [described] = await t.admin.describeTopics([name])
    expect(described!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('a call in the wrong shape (KafkaJS\'s) fails before anything is sent, naming the fix', async () => {
    const name = uniqueName('wrong-shape')
    // What JavaScript code moved from KafkaJS passes; the types forbid it, so it goes through `unknown`.
    const untyped = t.admin as unknown as { createTopics(input: unknown): Promise<unknown>; createPartitions(input: unknown): Promise<unknown> }
    await expect(untyped.createTopics({ topics: [{ topic: name, numPartitions: 1 }] })).rejects.toThrow(
      /createTopics takes an array of \{ name.*samsa\/kafkajs/,
    )
    await expect(untyped.createTopics([{ topic: name, numPartitions: 1 }])).rejects.toThrow(/item 0 needs a non-empty string `name`, not `topic`/)
    await expect(untyped.createTopics([{ name: '' }])).rejects.toThrow(/item 0 needs a non-empty string `name`$/)
    await expect(untyped.createPartitions({ topicPartitions: [{ topic: name, count: 2 }] })).rejects.toThrow(/createPartitions takes an array/)
    const byName = t.admin as unknown as { deleteTopics(input: unknown): Promise<unknown>; describeTopics(input: unknown): Promise<unknown> }
    await expect(byName.deleteTopics(name)).rejects.toThrow(`deleteTopics takes an array of topic names or { topicId } objects: ["${name}"]`)
    await expect(byName.describeTopics({ topics: [name] })).rejects.toThrow(/describeTopics takes an array of topic names/)
    const [described] = await t.admin.describeTopics([name])
    expect(described!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('lists topics, internal ones only on request', async () => {
    const name = uniqueName('list')
    await t.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }])
    const listed = await eventually(async () => {
      const all = await t.admin.listTopics()
      expect(all.map((l) => l.name)).toContain(name)
      return all
    })
    const mine = listed.find((l) => l.name === name)
    expect(mine).toMatchObject({ isInternal: false })
    expect(mine!.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(listed.some((l) => l.isInternal)).toBe(false)
    const withInternal = await t.admin.listTopics({ includeInternal: true })
    expect(withInternal.length).toBeGreaterThanOrEqual(listed.length)
  })

  it('describes partitions, leaders, ISR, eligible leader replicas and authorized operations', async () => {
    const name = uniqueName('describe')
    await t.admin.createTopics([{ name, numPartitions: 5, replicationFactor: 1 }])
    const [described, missing] = await eventually(async () => {
      const both = await t.admin.describeTopics([name, name + '-missing'], { includeAuthorizedOperations: true })
      expect(both[0]!.error).toBeNull()
      return both
    })
    expect(described!.isInternal).toBe(false)
    expect(described!.partitions).toHaveLength(5)
    for (const p of described!.partitions) {
      expect(p.leader).toBe(1)
      expect(p.replicas).toEqual([1])
      expect(p.isr).toEqual([1])
      expect(p.offlineReplicas).toEqual([])
      expect(p.error).toBeNull()
      expect(p.leaderEpoch).toBeGreaterThanOrEqual(0)
    }
    // ANONYMOUS is a super user on the harness broker: every topic operation is authorized.
    expect(described!.authorizedOperations).toEqual(expect.arrayContaining(['read', 'write', 'describe', 'alter-configs', 'delete']))
    expect(missing!.error).toMatchObject({ code: 3, errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('describes topics by id too', async () => {
    const name = uniqueName('by-id')
    const [created] = await t.admin.createTopics([{ name, numPartitions: 2, replicationFactor: 1 }])
    const topicId = created!.topicId!
    await eventually(async () => {
      const [byId, byName, unknown] = await t.admin.describeTopics([{ topicId }, name, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }])
      expect(byId).toMatchObject({ name, topicId, error: null })
      expect(byId!.partitions.map((p) => p.partition)).toEqual([0, 1])
      expect(byName!.topicId).toBe(topicId)
      expect(unknown).toMatchObject({ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [] })
      expect(unknown!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_ID' })
    })
  })

  it('pages through DescribeTopicPartitions when a response is full', async () => {
    const a = uniqueName('page-a')
    const b = uniqueName('page-b')
    await t.admin.createTopics([
      { name: a, numPartitions: 3, replicationFactor: 1 },
      { name: b, numPartitions: 4, replicationFactor: 1 },
    ])
    await eventually(async () => {
      const [da, db] = await t.admin.describeTopics([a, b], { partitionsPerPage: 2 })
      expect(da!.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
      expect(db!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3])
    })
  })

  it('adds partitions, with per-topic errors', async () => {
    const name = uniqueName('grow')
    await t.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }])
    await eventually(async () => expect((await t.admin.describeTopics([name]))[0]!.error).toBeNull())
    const results = await t.admin.createPartitions([
      { name, count: 3 },
      { name: name + '-missing', count: 2 },
    ])
    expect(results[0]).toEqual({ name, error: null })
    expect(results[1]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
    // createPartitions waited for the new partitions' leaders: they are visible at once.
    const [grown] = await t.admin.describeTopics([name])
    expect(grown!.partitions.map((p) => [p.partition, p.leader !== null])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ])
    const shrink = await t.admin.createPartitions([{ name, count: 2 }])
    expect(shrink[0]!.error).toMatchObject({ errorName: 'INVALID_PARTITIONS' })
  })

  it('deletes topics by name and by id', async () => {
    const byName = uniqueName('del-name')
    const byId = uniqueName('del-id')
    const created = await t.admin.createTopics([
      { name: byName, numPartitions: 1, replicationFactor: 1 },
      { name: byId, numPartitions: 1, replicationFactor: 1 },
    ])
    const topicId = created[1]!.topicId!
    await eventually(async () => expect((await t.admin.describeTopics([byName, byId])).map((d) => d.error)).toEqual([null, null]))
    const results = await t.admin.deleteTopics([byName, { topicId }, byName + '-missing', { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }])
    expect(results[0]).toMatchObject({ name: byName, error: null })
    expect(results[1]).toMatchObject({ name: byId, topicId, error: null })
    expect(results[2]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
    expect(results[3]).toMatchObject({ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })
    expect(results[3]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_ID' })
    await eventually(async () => {
      const listed = (await t.admin.listTopics()).map((l) => l.name)
      expect(listed).not.toContain(byName)
      expect(listed).not.toContain(byId)
    })
  })
})

describe('Admin: configs', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('incrementalAlterConfigs set/delete/append/subtract on a topic is read back by describeConfigs and the Java ConfigCommand', async () => {
    const name = uniqueName('configs')
    await t.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'delete', 'segment.ms': '600000' } }])
    await eventually(async () => expect((await t.admin.describeTopics([name]))[0]!.error).toBeNull())
    const altered = await t.admin.incrementalAlterConfigs([
      { type: 'topic', name, set: { 'retention.ms': '86400000' }, delete: ['segment.ms'], append: { 'cleanup.policy': 'compact' } },
      { type: 'topic', name: name + '-missing', set: { 'retention.ms': '1' } },
    ])
    expect(altered[0]).toEqual({ type: 'topic', name, error: null })
    expect(altered[1]!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })

    await eventually(async () => {
      const [described] = await t.admin.describeConfigs([{ type: 'topic', name }], { includeSynonyms: true, includeDocumentation: true })
      const entry = (key: string) => described!.configs.find((c) => c.name === key)!
      expect(entry('retention.ms')).toMatchObject({ value: '86400000', source: 'dynamic-topic', isDefault: false, type: 'long' })
      expect(entry('retention.ms').synonyms[0]).toEqual({ name: 'retention.ms', value: '86400000', source: 'dynamic-topic' })
      expect(entry('retention.ms').documentation).toEqual(expect.any(String))
      expect(entry('segment.ms').source).not.toBe('dynamic-topic')
      expect(entry('cleanup.policy').value).toBe('delete,compact')
    })

    const subtracted = await t.admin.incrementalAlterConfigs([{ type: 'topic', name, subtract: { 'cleanup.policy': 'delete' } }])
    expect(subtracted[0]!.error).toBeNull()
    await eventually(async () => {
      const [described] = await t.admin.describeConfigs([{ type: 'topic', name, keys: ['cleanup.policy'] }])
      expect(described!.configs[0]!.value).toBe('compact')
    })

    // The Java tools read the same broker state.
    const javaView = await runJavaTool('org.apache.kafka.tools.ConfigCommand', [
      '--bootstrap-server',
      bootstrapList()[0]!,
      '--describe',
      '--entity-type',
      'topics',
      '--entity-name',
      name,
    ])
    expect(javaView).toContain('retention.ms=86400000')
    expect(javaView).toContain('cleanup.policy=compact')
    expect(javaView).not.toContain('segment.ms=600000')
  }, 120_000)

  it('describes only the keys asked for, and broker configs at that broker', async () => {
    const [topicCfg, brokerCfg, missing] = await t.admin.describeConfigs([
      { type: 'topic', name: '__no_such_topic__' + uniqueName('x'), keys: ['retention.ms'] },
      { type: 'broker', name: '1', keys: ['num.io.threads', 'log.retention.hours'] },
      { type: 'broker', name: '', keys: ['log.retention.hours'] },
    ])
    expect(topicCfg!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
    expect(brokerCfg!.error).toBeNull()
    expect(brokerCfg!.configs.map((c) => c.name).sort()).toEqual(['log.retention.hours', 'num.io.threads'])
    expect(missing!.error).toBeNull()
  })

  it('alters broker, broker-logger, group and client-metrics configs', async () => {
    const group = uniqueName('group-cfg')
    const metrics = uniqueName('metrics')
    const results = await t.admin.incrementalAlterConfigs([
      { type: 'broker', name: '1', set: { 'log.cleaner.backoff.ms': '16000' } },
      { type: 'broker-logger', name: '1', set: { 'kafka.request.logger': 'DEBUG' } },
      { type: 'group', name: group, set: { 'consumer.session.timeout.ms': '50000' } },
      { type: 'client-metrics', name: metrics, set: { metrics: 'org.apache.kafka.producer.', 'interval.ms': '60000' } },
    ])
    for (const r of results) expect(r.error).toBeNull()
    // Dynamic configs reach the answering broker through the metadata log: read back until they arrive.
    await eventually(async () => {
      const described = await t.admin.describeConfigs([
        { type: 'broker', name: '1', keys: ['log.cleaner.backoff.ms'] },
        { type: 'broker-logger', name: '1', keys: ['kafka.request.logger'] },
        { type: 'group', name: group, keys: ['consumer.session.timeout.ms'] },
        { type: 'client-metrics', name: metrics },
      ])
      expect(described[0]!.configs[0]).toMatchObject({ value: '16000', source: 'dynamic-broker' })
      expect(described[1]!.configs[0]).toMatchObject({ value: 'DEBUG' })
      expect(described[2]!.configs[0]).toMatchObject({ value: '50000', source: 'group' })
      expect(described[3]!.configs.find((c) => c.name === 'interval.ms')).toMatchObject({ value: '60000' })
    })
    // Leave the shared broker as it was.
    const reverted = await t.admin.incrementalAlterConfigs([
      { type: 'broker', name: '1', delete: ['log.cleaner.backoff.ms'] },
      { type: 'broker-logger', name: '1', set: { 'kafka.request.logger': 'WARN' } },
      { type: 'client-metrics', name: metrics, delete: ['metrics', 'interval.ms'] },
    ])
    for (const r of reverted) expect(r.error).toBeNull()
  })

  it('alterConfigs (legacy) replaces every dynamic config of a topic', async () => {
    const name = uniqueName('replace-configs')
    await t.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'segment.ms': '600000' } }])
    await eventually(async () => expect((await t.admin.describeTopics([name]))[0]!.error).toBeNull())
    const [replaced, missing] = await t.admin.alterConfigs([
      { type: 'topic', name, configs: { 'max.message.bytes': '2000000' } },
      { type: 'topic', name: name + '-missing', configs: { 'retention.ms': '1' } },
    ])
    expect(replaced!.error).toBeNull()
    expect(missing!.error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
    await eventually(async () => {
      const [described] = await t.admin.describeConfigs([{ type: 'topic', name }])
      const dynamic = described!.configs.filter((c) => c.source === 'dynamic-topic').map((c) => [c.name, c.value])
      expect(dynamic).toEqual([['max.message.bytes', '2000000']])
    })
  })

  it('lists config resources by type', async () => {
    const name = uniqueName('listed-config')
    const metrics = uniqueName('listed-metrics')
    await t.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }])
    await t.admin.incrementalAlterConfigs([{ type: 'client-metrics', name: metrics, set: { metrics: 'org.apache.kafka.producer.' } }])
    await eventually(async () => {
      const resources = await t.admin.listConfigResources(['topic', 'client-metrics'])
      expect(resources).toContainEqual({ type: 'topic', name })
      expect(resources).toContainEqual({ type: 'client-metrics', name: metrics })
      expect(resources.every((r) => r.type === 'topic' || r.type === 'client-metrics')).toBe(true)
    })
    const brokers = await t.admin.listConfigResources(['broker'])
    expect(brokers).toContainEqual({ type: 'broker', name: '1' })
    await t.admin.incrementalAlterConfigs([{ type: 'client-metrics', name: metrics, delete: ['metrics'] }])
  })
})
