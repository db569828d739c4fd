/**
 * Groups: KafkaJS's assigner bytes (with the installed kafkajs as the oracle), a rebalance between two facade
 * members, a group mixing a real KafkaJS consumer with a facade consumer, a custom KafkaJS assigner, describeGroup.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import * as kafkajs from 'kafkajs'
import { AssignerProtocol, PartitionAssigners, type Consumer, type PartitionAssigner } from '../../src/kafkajs/index.js'
import { brokers, createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { produceSpread } from './consumer-support.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

function facade(groupId: string, config: Record<string, unknown> = {}): Consumer {
  const c = newKafka().consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 500, sessionTimeout: 10_000, ...config })
  closers.push(() => c.disconnect())
  return c
}

function kafkaJsConsumer(groupId: string, config: Partial<kafkajs.ConsumerConfig> = {}): kafkajs.Consumer {
  const kafka = new kafkajs.Kafka({ clientId: 'kafkajs-oracle', brokers, logLevel: kafkajs.logLevel.NOTHING })
  const c = kafka.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 500, sessionTimeout: 10_000, ...config })
  closers.push(() => c.disconnect())
  return c
}

describe('AssignerProtocol', () => {
  const cases = [
    { version: 0, topics: [], userData: Buffer.alloc(0) },
    { version: 0, topics: ['a'], userData: Buffer.alloc(0) },
    { version: 1, topics: ['orders', 'payments', 'ünïcode'], userData: Buffer.from('custom user data') },
  ]

  it.each(cases)('MemberMetadata encodes byte for byte as KafkaJS (%#)', (metadata) => {
    const ours = AssignerProtocol.MemberMetadata.encode(metadata)
    expect(ours.equals(kafkajs.AssignerProtocol.MemberMetadata.encode(metadata))).toBe(true)
    expect(AssignerProtocol.MemberMetadata.decode(ours)).toEqual(kafkajs.AssignerProtocol.MemberMetadata.decode(ours))
  })

  const assignments: Array<{ version: number; assignment: Record<string, number[]>; userData: Buffer }> = [
    { version: 0, assignment: {}, userData: Buffer.alloc(0) },
    { version: 0, assignment: { orders: [0, 2, 4], payments: [1] }, userData: Buffer.alloc(0) },
    { version: 3, assignment: { t: [2147483647] }, userData: Buffer.from([1, 2, 3]) },
  ]

  it.each(assignments)('MemberAssignment encodes byte for byte as KafkaJS (%#)', (assignment) => {
    const ours = AssignerProtocol.MemberAssignment.encode(assignment)
    expect(ours.equals(kafkajs.AssignerProtocol.MemberAssignment.encode(assignment))).toBe(true)
    expect(AssignerProtocol.MemberAssignment.decode(ours)).toEqual(kafkajs.AssignerProtocol.MemberAssignment.decode(ours))
  })

  it('decodes an empty assignment as null, as KafkaJS does', () => {
    expect(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0))).toBeNull()
    expect(kafkajs.AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0))).toBeNull()
  })

  it('roundRobin sends the same protocol and assigns as KafkaJS round robin', async () => {
    const topics = ['a', 'b']
    const partitions: Record<string, number> = { a: 3, b: 2 }
    const cluster = {
      findTopicPartitionMetadata: (topic: string) => Array.from({ length: partitions[topic]! }, (_, partitionId) => ({ partitionId, partitionErrorCode: 0, leader: 1, replicas: [1], isr: [1] })),
    }
    const ours = PartitionAssigners.roundRobin({ cluster: cluster as never, groupId: 'g', logger: newKafka().logger() })
    const theirs = kafkajs.PartitionAssigners.roundRobin({ cluster: cluster as never, groupId: 'g', logger: null as never })
    const protocol = ours.protocol({ topics })
    expect(protocol.name).toBe('RoundRobinAssigner')
    expect(protocol.metadata.equals(theirs.protocol({ topics }).metadata)).toBe(true)
    const members = ['m-2', 'm-1', 'm-3'].map((memberId) => ({ memberId, memberMetadata: protocol.metadata }))
    const sortById = (list: Array<{ memberId: string; memberAssignment: Buffer }>) => [...list].sort((x, y) => x.memberId.localeCompare(y.memberId))
    const mine = sortById(await ours.assign({ members, topics }))
    const oracle = sortById(await theirs.assign({ members, topics }))
    expect(mine.map((m) => m.memberId)).toEqual(oracle.map((m) => m.memberId))
    mine.forEach((m, i) => expect(m.memberAssignment.equals(oracle[i]!.memberAssignment)).toBe(true))
  })
})

describe('groups on the broker', () => {
  it('two facade members split the partitions after a rebalance; every record is processed', async () => {
    const topic = uniqueName('rebalance')
    await createTopics([{ topic, numPartitions: 4 }])
    const groupId = uniqueName('g')
    const seen = new Map<string, Set<string>>([['a', new Set()], ['b', new Set()]])
    const joins: Array<{ who: string; partitions: number[] }> = []
    let rebalancing = 0
    const start = async (who: string) => {
      const c = facade(groupId)
      c.on(c.events.GROUP_JOIN, (e) => joins.push({ who, partitions: e.payload.memberAssignment[topic] ?? [] }))
      c.on(c.events.REBALANCING, () => void rebalancing++)
      await c.subscribe({ topics: [topic], fromBeginning: true })
      await c.run({ eachMessage: async ({ message }) => void seen.get(who)!.add(message.value!.toString()) })
      return c
    }
    await start('a')
    const first = await produceSpread(topic, 40, 4, 'first')
    await waitFor(() => seen.get('a')!.size === 40, 30_000, 'a reads everything')
    await start('b')
    await waitFor(() => joins.some((j) => j.who === 'b' && j.partitions.length === 2) && joins.filter((j) => j.who === 'a').at(-1)!.partitions.length === 2, 30_000, 'two and two')
    expect(rebalancing).toBeGreaterThan(0)
    const second = await produceSpread(topic, 40, 4, 'second')
    await waitFor(() => second.every((v) => seen.get('a')!.has(v) || seen.get('b')!.has(v)), 30_000, 'every second-round record')
    expect(first.every((v) => seen.get('a')!.has(v))).toBe(true)
    expect(second.filter((v) => seen.get('b')!.has(v)).length).toBeGreaterThan(0)
    expect(second.filter((v) => seen.get('a')!.has(v)).length).toBeGreaterThan(0)
  })

  it('a member stops working on a partition a rebalance took away (no KafkaJS-style duplicates)', async () => {
    const topic = uniqueName('revoked')
    await createTopics([{ topic }])
    await produceSpread(topic, 30, 1)
    const groupId = uniqueName('g')
    const handled: Array<{ who: string; offset: string }> = []
    const start = async (who: string) => {
      const c = facade(groupId, { heartbeatInterval: 300 })
      await c.subscribe({ topics: [topic], fromBeginning: true })
      await c.run({
        eachMessage: async ({ message }) => {
          await new Promise((resolve) => setTimeout(resolve, 150))
          handled.push({ who, offset: message.offset })
        },
      })
    }
    await start('a')
    await waitFor(() => handled.length >= 3, 30_000, 'a is working through the batch')
    await start('b')
    await waitFor(() => new Set(handled.map((h) => h.offset)).size === 30, 60_000, 'every offset handled')
    // Eager rebalance: the message in process finishes and is committed at the revoke, the rest of the batch is
    // dropped and the next owner resumes after the commit — nothing runs twice (KafkaJS's runner would go on with
    // the revoked batch).
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(handled).toHaveLength(30)
  })

  it('a KafkaJS consumer and a facade consumer share one group (rolling migration)', async () => {
    const topic = uniqueName('mixed')
    await createTopics([{ topic, numPartitions: 4 }])
    const groupId = uniqueName('g')
    const byKafkaJs = new Set<string>()
    const byFacade = new Set<string>()
    let kafkaJsPartitions: number[] = []
    let facadePartitions: number[] = []
    const old = kafkaJsConsumer(groupId)
    old.on(old.events.GROUP_JOIN, (e) => (kafkaJsPartitions = e.payload.memberAssignment[topic] ?? []))
    await old.connect()
    await old.subscribe({ topics: [topic], fromBeginning: true })
    await old.run({ eachMessage: async ({ message }) => void byKafkaJs.add(message.value!.toString()) })
    const migrated = facade(groupId)
    migrated.on(migrated.events.GROUP_JOIN, (e) => (facadePartitions = e.payload.memberAssignment[topic] ?? []))
    await migrated.subscribe({ topics: [topic], fromBeginning: true })
    await migrated.run({ eachMessage: async ({ message }) => void byFacade.add(message.value!.toString()) })
    await waitFor(() => kafkaJsPartitions.length === 2 && facadePartitions.length === 2, 60_000, 'both members own two partitions')
    expect([...kafkaJsPartitions, ...facadePartitions].sort()).toEqual([0, 1, 2, 3])
    const values = await produceSpread(topic, 80, 4)
    await waitFor(() => values.every((v) => byKafkaJs.has(v) || byFacade.has(v)), 60_000, 'every record')
    expect(byKafkaJs.size).toBeGreaterThan(0)
    expect(byFacade.size).toBeGreaterThan(0)
    const group = await migrated.describeGroup()
    expect(group.protocol).toBe('RoundRobinAssigner')
    expect(group.members).toHaveLength(2)
  })

  it('runs a custom assigner written for KafkaJS unchanged, as leader of a mixed group', async () => {
    const topic = uniqueName('custom')
    await createTopics([{ topic, numPartitions: 3 }])
    const groupId = uniqueName('g')
    // Everything to the member whose metadata's userData says "take-all"; written against KafkaJS's interface only.
    const takeAll =
      (protocol: typeof AssignerProtocol, wanted: string): PartitionAssigner =>
      ({ cluster }) => ({
        name: 'TakeAllAssigner',
        version: 1,
        protocol({ topics }) {
          return { name: this.name, metadata: protocol.MemberMetadata.encode({ version: this.version, topics, userData: Buffer.from(wanted) }) }
        },
        async assign({ members, topics }) {
          const winner = members.find((m) => protocol.MemberMetadata.decode(m.memberMetadata)!.userData.toString() === 'take-all') ?? members[0]!
          const assignment: Record<string, number[]> = {}
          for (const t of topics) assignment[t] = cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)
          return members.map((m) => ({
            memberId: m.memberId,
            memberAssignment: protocol.MemberAssignment.encode({ version: this.version, assignment: m === winner ? assignment : {}, userData: Buffer.alloc(0) }),
          }))
        },
      })
    const facadeJoins: Array<Record<string, number[]>> = []
    const leaderFacade = facade(groupId, { partitionAssigners: [takeAll(AssignerProtocol, 'stay-idle')] })
    leaderFacade.on(leaderFacade.events.GROUP_JOIN, (e) => facadeJoins.push(e.payload.memberAssignment))
    await leaderFacade.subscribe({ topics: [topic], fromBeginning: true })
    await leaderFacade.run({ eachMessage: async () => {} })
    const seen = new Set<string>()
    const other = kafkaJsConsumer(groupId, { partitionAssigners: [takeAll(kafkajs.AssignerProtocol as never, 'take-all') as never] })
    let kafkaJsAssignment: Record<string, number[]> = {}
    other.on(other.events.GROUP_JOIN, (e) => (kafkaJsAssignment = e.payload.memberAssignment))
    await other.subscribe({ topics: [topic], fromBeginning: true })
    await other.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) })
    await waitFor(() => (kafkaJsAssignment[topic]?.length ?? 0) === 3, 60_000, 'the KafkaJS member takes all')
    await waitFor(() => facadeJoins.length >= 2 && Object.keys(facadeJoins.at(-1)!).length === 0, 30_000, 'the facade member holds nothing')
    const values = await produceSpread(topic, 9, 3)
    await waitFor(() => values.every((v) => seen.has(v)), 30_000, 'every record at the KafkaJS member')
  })

  it('gives assigners KafkaJS’s cluster: metadata, target topics, offsets, coordinator; raw brokers are refused', async () => {
    const topic = uniqueName('cluster-view')
    const extra = uniqueName('cluster-extra')
    await createTopics([{ topic, numPartitions: 2 }, { topic: extra, numPartitions: 1 }])
    await produceSpread(topic, 4, 2)
    const groupId = uniqueName('g')
    const seen: Record<string, unknown> = {}
    const probing: PartitionAssigner = ({ cluster }) => ({
      name: 'ProbingAssigner',
      version: 1,
      protocol({ topics }) {
        return { name: this.name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) }
      },
      async assign({ members, topics }) {
        await cluster.addTargetTopic(extra)
        const metadata = await cluster.metadata()
        seen.brokers = metadata.brokers.map((b) => b.nodeId)
        seen.topics = metadata.topicMetadata.map((t) => t.topic)
        seen.extraPartitions = cluster.findTopicPartitionMetadata(extra).length
        seen.defaults = [cluster.defaultOffset({ fromBeginning: true }), cluster.defaultOffset({ fromBeginning: false })]
        seen.offsets = await cluster.fetchTopicsOffset([{ topic, partitions: [{ partition: 0 }, { partition: 1 }], fromBeginning: false }])
        seen.coordinator = await cluster.findGroupCoordinatorMetadata({ groupId })
        seen.findBroker = await cluster.findBroker({ nodeId: '1' }).then(
          () => 'resolved',
          (error: Error) => error.name,
        )
        const assignment = { [topics[0]!]: cluster.findTopicPartitionMetadata(topics[0]!).map((p) => p.partitionId) }
        return members.map((m) => ({ memberId: m.memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }) }))
      },
    })
    const c = facade(groupId, { partitionAssigners: [probing] })
    await c.subscribe({ topics: [topic], fromBeginning: true })
    let consumed = 0
    await c.run({ eachMessage: async () => void consumed++ })
    await waitFor(() => consumed === 4, 30_000, 'the four records')
    expect(seen.brokers).toEqual(expect.arrayContaining([expect.any(Number)]))
    expect(seen.topics).toEqual(expect.arrayContaining([topic]))
    expect(seen.extraPartitions).toBe(1)
    expect(seen.defaults).toEqual([-2, -1])
    expect(seen.offsets).toEqual([{ topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '2' }] }])
    expect(seen.coordinator).toEqual({ errorCode: 0, coordinator: { nodeId: expect.any(Number), host: expect.any(String), port: expect.any(Number) } })
    expect(seen.findBroker).toBe('KafkaJSNotImplemented')
  })

  it('describeGroup gives KafkaJS’s shape with KafkaJS’s member bytes', async () => {
    const topic = uniqueName('describe')
    await createTopics([{ topic, numPartitions: 2 }])
    const groupId = uniqueName('g')
    const c = facade(groupId)
    await c.subscribe({ topics: [topic] })
    await c.run({ eachMessage: async () => {} })
    const group = await c.describeGroup()
    expect(group).toMatchObject({ groupId, protocolType: 'consumer', protocol: 'RoundRobinAssigner', state: 'Stable' })
    expect(group.members).toHaveLength(1)
    const [member] = group.members
    expect(member!.clientId).toBe('samsa-kafkajs-test')
    expect(typeof member!.clientHost).toBe('string')
    expect(kafkajs.AssignerProtocol.MemberMetadata.decode(member!.memberMetadata)).toEqual({ version: 0, topics: [topic], userData: Buffer.alloc(0) })
    expect(kafkajs.AssignerProtocol.MemberAssignment.decode(member!.memberAssignment)!.assignment).toEqual({ [topic]: [0, 1] })
  })
})
