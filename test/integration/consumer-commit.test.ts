/**
 * Commits and the runner on the real broker: manual commit of specific offsets with metadata, auto-commit that
 * commits only what the loop finished, run() with eachMessage / eachBatch (KafkaJS style), rebalance listener,
 * static membership keeping its place across a restart, pattern subscription (KIP-848 regex).
 */
import type { Cluster } from '../../src/network/cluster.js'
import type { RebalanceEvent } from '../../src/consumer/types.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { createTopic, newCluster, newConsumer, produce, uniqueName, values, waitFor } from './consumer-support.js'

describe('consumer commits and runner', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  it('commits specific offsets with metadata; committed() reads them back', async () => {
    const topic = uniqueName('commit')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 2)
    const consumer = newConsumer(cluster, { groupId, enableAutoCommit: false })
    await consumer.commit({ offsets: [{ topic, partition: 0, offset: 42n, metadata: 'checkpoint-a' }, { topic, partition: 1, offset: 7n }] }).catch(async (error: unknown) => {
      throw error
    })
    const committed = await consumer.committed([{ topic, partition: 0 }, { topic, partition: 1 }])
    expect(committed.map((c) => [c.partition, c.offset, c.metadata])).toEqual([
      [0, 42n, 'checkpoint-a'],
      [1, 7n, ''],
    ])
    await consumer.close()
  })

  it('auto-commit commits only what the loop has moved past; a restarted member resumes right after it', async () => {
    const topic = uniqueName('auto')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, values(100, 'v'))
    const first = newConsumer(cluster, { groupId, autoOffsetReset: 'earliest', autoCommitIntervalMs: 100 })
    await first.subscribe([topic])
    let inProcess = -1n
    for await (const m of first) {
      if (m.offset === 29n) {
        // Message 29 is being processed: 0..28 are done. Wait for an auto-commit to land while it is in process
        // (every 100 ms; how soon one lands depends on the machine, so wait for it rather than a fixed time).
        inProcess = m.offset
        const deadline = Date.now() + 15_000
        let [c] = await first.committed([{ topic, partition: 0 }])
        while (c!.offset !== 29n && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100))
          ;[c] = await first.committed([{ topic, partition: 0 }])
        }
        expect(c!.offset).toBe(29n)
        break
      }
    }
    expect(inProcess).toBe(29n)
    // Leaving the loop with break does not mark 29 finished; close() commits what was finished (29 stays next).
    await first.close()
    const second = newConsumer(cluster, { groupId, autoOffsetReset: 'earliest' })
    await second.subscribe([topic])
    for await (const m of second) {
      expect(m.offset).toBe(29n)
      break
    }
    await second.close()
  })

  it('run() eachMessage and eachBatch, with onAssigned/onRevoked and rebalance events', async () => {
    const topic = uniqueName('run')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 3)
    for (let p = 0; p < 3; p++) await produce(cluster, topic, p, values(50, 'r', p))
    const events: RebalanceEvent[] = []
    const assignedByListener: number[] = []
    const consumer = newConsumer(cluster, { groupId, autoOffsetReset: 'earliest' })
    consumer.on('rebalance', (e) => events.push(e))
    await consumer.subscribe([topic], { onAssigned: (partitions) => void assignedByListener.push(...partitions.map((p) => p.partition)) })
    const abort = new AbortController()
    const seen = new Set<string>()
    await consumer.run({
      signal: abort.signal,
      eachMessage: async ({ topic: t, partition, message }) => {
        expect(t).toBe(topic)
        seen.add(`${partition}:${message.offset}`)
        if (seen.size === 150) abort.abort()
      },
    })
    expect(seen.size).toBe(150)
    expect(assignedByListener.sort()).toEqual([0, 1, 2])
    expect(events[0]!.type).toBe('assigned')
    await consumer.commit()
    const committed = await consumer.committed([0, 1, 2].map((partition) => ({ topic, partition })))
    expect(committed.map((c) => c.offset)).toEqual([50n, 50n, 50n])
    await consumer.close()
    expect(events.some((e) => e.type === 'revoked') || events.length >= 1).toBe(true)

    const batchConsumer = newConsumer(cluster, { groupId: uniqueName('g'), autoOffsetReset: 'earliest', maxPollRecords: 20 })
    await batchConsumer.subscribe([topic])
    const abort2 = new AbortController()
    let count = 0
    await batchConsumer.run({
      signal: abort2.signal,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        expect(batch.messages.length).toBeLessThanOrEqual(20)
        expect(isStale()).toBe(false)
        for (const m of batch.messages) resolveOffset(m.offset)
        count += batch.messages.length
        if (count === 150) abort2.abort()
      },
    })
    expect(count).toBe(150)
    await batchConsumer.close()
  })

  it('a static member (KIP-848) gets its partitions back after a restart without them moving to the other member', async () => {
    const topic = uniqueName('static')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 4)
    const options = { groupId, groupInstanceId: 'instance-a', autoOffsetReset: 'earliest' as const }
    const a = newConsumer(cluster, options)
    await a.subscribe([topic])
    const b = newConsumer(cluster, { groupId, groupInstanceId: 'instance-b', autoOffsetReset: 'earliest' })
    await b.subscribe([topic])
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 60_000, 'two members with two partitions each')
    const before = a.assignment().map((p) => p.partition).sort()
    await a.close() // static: leaves with epoch -2, keeping its place for the session timeout
    const a2 = newConsumer(cluster, options)
    await a2.subscribe([topic])
    await waitFor(() => a2.assignment().length === 2, 60_000, 'the restarted static member to get its partitions')
    expect(a2.assignment().map((p) => p.partition).sort()).toEqual(before)
    expect(b.assignment().length).toBe(2)
    await a2.close()
    await b.close()
  })

  it('subscribes by RegExp (KIP-848 server-side regex) and picks up a topic created later', async () => {
    const prefix = uniqueName('re')
    await createTopic(cluster, `${prefix}-one`, 1)
    await produce(cluster, `${prefix}-one`, 0, values(3, 'one'))
    const consumer = newConsumer(cluster, { groupId: uniqueName('g'), autoOffsetReset: 'earliest' })
    await consumer.subscribe(new RegExp(`${prefix.replace(/[-]/g, '\\-')}-.*`))
    const topics = new Set<string>()
    let created = false
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(), 60_000)
    for await (const m of consumer.messages({ signal: abort.signal })) {
      topics.add(m.topic)
      if (!created) {
        created = true
        await createTopic(cluster, `${prefix}-two`, 1)
        await produce(cluster, `${prefix}-two`, 0, values(3, 'two'))
      }
      if (topics.size === 2) break
    }
    clearTimeout(timer)
    expect([...topics].sort()).toEqual([`${prefix}-one`, `${prefix}-two`])
    await consumer.close()
  }, 90_000)

  it.each(['consumer', 'classic'] as const)('%s protocol: a member stuck past maxPollIntervalMs leaves, another takes over, the stuck message is not committed by it', async (groupProtocol) => {
    const topic = uniqueName('poll')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, values(10, 'p'))
    const options = { groupId, groupProtocol, autoOffsetReset: 'earliest' as const, maxPollIntervalMs: 3000, autoCommitIntervalMs: 100, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }
    const stuck = newConsumer(cluster, options)
    const lost: number[] = []
    await stuck.subscribe([topic], { onLost: (partitions) => void lost.push(...partitions.map((p) => p.partition)) })
    const iterator = stuck[Symbol.asyncIterator]()
    expect((await iterator.next()).value!.offset).toBe(0n)
    expect((await iterator.next()).value!.offset).toBe(1n) // offset 0 finished, 1 in process
    // The application now "hangs" on offset 1 for longer than maxPollIntervalMs.
    await waitFor(() => lost.length === 1, 20_000, 'the stuck member to give up its partition')
    const other = newConsumer(cluster, options)
    await other.subscribe([topic])
    const first = await other[Symbol.asyncIterator]().next()
    // The stuck member committed offset 0 only (1 was in process): the new owner starts at 1.
    expect(first.value!.offset).toBe(1n)
    await other.close()
    await stuck.close()
  }, 60_000)

  it('classic protocol: a RegExp subscription picks up a topic created later, and a topic that grows partitions is reassigned', async () => {
    const prefix = uniqueName('classic-re')
    await createTopic(cluster, `${prefix}-one`, 1)
    await produce(cluster, `${prefix}-one`, 0, values(3, 'one'))
    const consumer = newConsumer(cluster, { groupId: uniqueName('g'), groupProtocol: 'classic', autoOffsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000 })
    await consumer.subscribe(new RegExp(`^${prefix.replace(/[-]/g, '\\-')}-.*`))
    await waitFor(() => consumer.assignment().length === 1, 30_000, 'the first topic')
    await createTopic(cluster, `${prefix}-two`, 2)
    await waitFor(() => consumer.assignment().length === 3, 30_000, 'the new topic to be assigned')
    const response = (await cluster.send({ kind: 'controller' }, apis[ApiKeys.CreatePartitions] as never, {
      topics: [{ name: `${prefix}-one`, count: 2, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    } as never)) as { results: Array<{ errorCode: number }> }
    expect(response.results[0]!.errorCode).toBe(0)
    await waitFor(() => consumer.assignment().length === 4, 30_000, 'the added partition to be assigned')
    await consumer.close()
  }, 90_000)
})
