/**
 * assign() without a group against the real broker: iteration in order, autoOffsetReset, incremental fetch
 * sessions, seek/pause/resume, offsetsForTimes, lag, and batches().
 */
import type { Cluster } from '../../src/network/cluster.js'
import { createTopic, newCluster, newConsumer, produce, uniqueName, values } from './consumer-support.js'

describe('consumer assign()', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  it('reads every record of 3 partitions in offset order per partition (earliest), over incremental fetch sessions', async () => {
    const topic = uniqueName('assign')
    await createTopic(cluster, topic, 3)
    for (let p = 0; p < 3; p++) await produce(cluster, topic, p, values(2000, 'v', p), 300)
    const consumer = newConsumer(cluster, { autoOffsetReset: 'earliest', maxPartitionFetchBytes: 16_384 })
    await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })))
    const seen = new Map<number, number>([[0, 0], [1, 0], [2, 0]])
    let total = 0
    for await (const message of consumer) {
      const expected = seen.get(message.partition)!
      expect(message.offset).toBe(BigInt(expected))
      expect(message.value!.toString()).toBe(`v-${message.partition}-${expected}`)
      expect(message.key!.toString()).toBe(`k${expected}`)
      seen.set(message.partition, expected + 1)
      if (++total === 6000) break
    }
    expect([...seen.values()]).toEqual([2000, 2000, 2000])
    // Small per-partition limit → many fetches; all but the first of each session are incremental.
    expect(consumer.fetchStats.fetches).toBeGreaterThan(3)
    expect(consumer.fetchStats.incrementalFetches).toBeGreaterThan(0)
    const lag = consumer.lag()
    expect(lag.map((l) => l.lag)).toEqual([0n, 0n, 0n])
    await consumer.close()
  })

  it("autoOffsetReset 'latest' sees only records produced after the assignment", async () => {
    const topic = uniqueName('latest')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, values(10, 'old'))
    const consumer = newConsumer(cluster, { autoOffsetReset: 'latest', fetchMaxWaitMs: 100 })
    await consumer.assign([{ topic, partition: 0 }])
    expect(await consumer.position({ topic, partition: 0 })).toBe(10n)
    await produce(cluster, topic, 0, values(5, 'new'))
    const got: string[] = []
    for await (const m of consumer) {
      got.push(m.value!.toString())
      if (got.length === 5) break
    }
    expect(got).toEqual(['new-0-0', 'new-0-1', 'new-0-2', 'new-0-3', 'new-0-4'])
    await consumer.close()
  })

  it("autoOffsetReset 'by_duration' (KIP-1106) starts at the first record within the duration", async () => {
    const topic = uniqueName('duration')
    await createTopic(cluster, topic, 1)
    const now = Date.now()
    await produce(cluster, topic, 0, [
      { value: 'two-hours-ago', timestamp: now - 2 * 3600_000 },
      { value: 'ten-minutes-ago', timestamp: now - 600_000 },
      { value: 'now', timestamp: now },
    ])
    const consumer = newConsumer(cluster, { autoOffsetReset: 'by_duration:PT1H' })
    await consumer.assign([{ topic, partition: 0 }])
    expect(await consumer.position({ topic, partition: 0 })).toBe(1n)
    const [forTime] = await consumer.offsetsForTimes([{ topic, partition: 0, timestamp: now - 3 * 3600_000 }])
    expect(forTime!.offset).toBe(0n)
    await consumer.close()
  })

  it('seek, pause and resume', async () => {
    const topic = uniqueName('seek')
    await createTopic(cluster, topic, 2)
    await produce(cluster, topic, 0, values(100, 'a', 0))
    await produce(cluster, topic, 1, values(100, 'b', 1))
    const consumer = newConsumer(cluster, { autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 })
    await consumer.assign([{ topic, partition: 0 }, { topic, partition: 1 }])
    consumer.pause([{ topic, partition: 1 }])
    consumer.seek({ topic, partition: 0, offset: 90n })
    const got: string[] = []
    const abort = new AbortController()
    for await (const m of consumer.messages({ signal: abort.signal })) {
      got.push(`${m.partition}:${m.offset}`)
      if (got.length === 10) {
        consumer.resume([{ topic, partition: 1 }])
        consumer.seek({ topic, partition: 1, offset: 98n })
      }
      if (got.length === 12) abort.abort()
    }
    expect(got.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `0:${90 + i}`))
    expect(got.slice(10)).toEqual(['1:98', '1:99'])
    expect(consumer.paused()).toEqual([])
    await consumer.close()
  })

  it('a seek carrying a leader epoch is validated with the leader (KIP-320) before fetching from it', async () => {
    const topic = uniqueName('seek-epoch')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, values(100, 'e', 0))
    const consumer = newConsumer(cluster, { autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 })
    await consumer.assign([{ topic, partition: 0 }])
    const first = await consumer.messages().next()
    expect(first.value).toMatchObject({ offset: 0n, leaderEpoch: 0 })
    const validationsBefore = consumer.fetchStats.validations
    consumer.seek({ topic, partition: 0, offset: 95n, leaderEpoch: first.value!.leaderEpoch })
    const got: bigint[] = []
    for await (const m of consumer) {
      got.push(m.offset)
      if (got.length === 5) break
    }
    expect(got).toEqual([95n, 96n, 97n, 98n, 99n])
    expect(consumer.fetchStats.validations).toBe(validationsBefore + 1)
    await consumer.close()
  })

  it('batches() yields per-partition batches with lag', async () => {
    const topic = uniqueName('batches')
    await createTopic(cluster, topic, 1)
    await produce(cluster, topic, 0, values(1000, 'x'), 1000)
    const consumer = newConsumer(cluster, { autoOffsetReset: 'earliest', maxPollRecords: 300 })
    await consumer.assign([{ topic, partition: 0 }])
    let count = 0
    const sizes: number[] = []
    for await (const batch of consumer.batches()) {
      expect(batch.messages[0]!.offset).toBe(BigInt(count))
      count += batch.messages.length
      sizes.push(batch.messages.length)
      expect(batch.lag).toBe(1000n - BigInt(count))
      if (count === 1000) break
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(300)
    await consumer.close()
  })
})
