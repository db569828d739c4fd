/** The facade consumer on the real broker: delivery shapes, commits and restarts, seek, pause/resume, concurrency. */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Consumer, EachBatchPayload, KafkaMessage } from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { committedOffsets, produce, produceSpread } from './consumer-support.js'
import { watchTurns } from '../helpers/event-loop-turns.js'

const open: Consumer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.disconnect()))
})

function consumer(groupId: string, config: Partial<Parameters<ReturnType<typeof newKafka>['consumer']>[0]> = {}): Consumer {
  const c = newKafka().consumer({ groupId, maxWaitTimeInMs: 100, ...config })
  open.push(c)
  return c
}

describe('eachMessage', () => {
  it('delivers KafkaJS-shaped messages from the beginning, in order per partition', async () => {
    const topic = uniqueName('each-message')
    await createTopics([{ topic, numPartitions: 2 }])
    await produce(topic, [
      { key: 'a', value: 'one', partition: 0, headers: { trace: 't1' } },
      { key: 'b', value: 'two', partition: 0 },
      { value: 'three', partition: 1 },
    ])
    const c = consumer(uniqueName('g'))
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: Array<{ topic: string; partition: number; message: KafkaMessage }> = []
    await c.run({ eachMessage: async ({ topic, partition, message }) => void seen.push({ topic, partition, message }) })
    await waitFor(() => seen.length === 3, 30_000, 'three messages')
    const p0 = seen.filter((s) => s.partition === 0)
    expect(p0.map((s) => s.message.value?.toString())).toEqual(['one', 'two'])
    const first = p0[0]!.message
    expect(first.key?.toString()).toBe('a')
    expect(first.offset).toBe('0')
    expect(typeof first.timestamp).toBe('string')
    expect(Number(first.timestamp)).toBeGreaterThan(1_600_000_000_000)
    expect(first.attributes).toBe(0)
    expect(Buffer.isBuffer(first.headers!.trace)).toBe(true)
    expect(first.headers!.trace!.toString()).toBe('t1')
    expect(p0[1]!.message.offset).toBe('1')
    expect(seen.find((s) => s.partition === 1)!.message.key).toBeNull()
  })

  it('accepts the deprecated { topic } form and RegExp subscriptions (matched when subscribing)', async () => {
    const prefix = uniqueName('regex')
    const topics = [`${prefix}-a`, `${prefix}-b`]
    await createTopics(topics.map((topic) => ({ topic })))
    await produce(topics[0]!, [{ value: 'a' }])
    await produce(topics[1]!, [{ value: 'b' }])
    const c = consumer(uniqueName('g'))
    await c.connect()
    await c.subscribe({ topic: new RegExp(`^${prefix}-`), fromBeginning: true })
    const values: string[] = []
    await c.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) })
    await waitFor(() => values.length === 2, 30_000, 'both topics')
    expect(values.sort()).toEqual(['a', 'b'])
  })

  it('without fromBeginning starts at the end of the log', async () => {
    const topic = uniqueName('latest')
    await createTopics([{ topic }])
    await produce(topic, [{ value: 'old' }])
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic] })
    const values: string[] = []
    await c.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) })
    await waitFor(async () => (await c.describeGroup()).state === 'Stable', 30_000, 'stable group')
    // The position is the end once the member fetches; a record produced after that is the first seen.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await produce(topic, [{ value: 'new' }])
    await waitFor(() => values.length >= 1, 30_000, 'the new record')
    expect(values).toEqual(['new'])
  })
  it('lets the event loop turn within a batch when eachMessage takes time', async () => {
    const topic = uniqueName('each-message-slices')
    await createTopics([{ topic }])
    const total = 3_000
    await produceSpread(topic, total, 1)
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const turns = watchTurns()
    let count = 0
    try {
      await c.run({
        eachMessage: async () => {
          // 50 µs of the application's work per message: 25 ms per batch of 500.
          turns.work(0.05)
          count++
        },
      })
      await waitFor(() => count === total, 30_000, 'every message')
    } finally {
      turns.stop()
    }
    // A turn once the 2 ms slice is spent: 40 such messages, read to the next multiple of 8 (messages this slow have
    // the clock read every 8). Checked every 64 messages it was up to 128; without yields, a batch or two.
    expect(turns.longestRunWithoutTurn).toBeLessThanOrEqual(56)
  })
})

describe('eachBatch', () => {
  it('hands over batches with KafkaJS lag figures and resolves offsets', async () => {
    const topic = uniqueName('each-batch')
    await createTopics([{ topic }])
    await produceSpread(topic, 10, 1)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const batches: EachBatchPayload['batch'][] = []
    const seen: string[] = []
    let uncommittedSeen = false
    await c.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, uncommittedOffsets }) => {
        batches.push(batch)
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break
          seen.push(message.value!.toString())
          resolveOffset(message.offset)
          await heartbeat()
        }
        const pending = uncommittedOffsets().topics.find((t) => t.topic === topic)
        if (pending && pending.partitions[0]!.offset === String(Number(batch.lastOffset()) + 1)) uncommittedSeen = true
      },
    })
    await waitFor(() => seen.length === 10, 30_000, 'ten messages')
    const first = batches[0]!
    expect(first.topic).toBe(topic)
    expect(first.partition).toBe(0)
    expect(first.highWatermark).toBe('10')
    expect(first.isEmpty()).toBe(false)
    expect(first.firstOffset()).toBe('0')
    expect(first.lastOffset()).toBe(String(first.messages.length - 1))
    expect(first.offsetLag()).toBe(String(10 - first.messages.length))
    expect(first.offsetLagLow()).toBe('9')
    expect(uncommittedSeen).toBe(true)
    await waitFor(async () => (await committedOffsets(groupId, topic, 1))[0] === 10n, 30_000, 'commit of offset 10')
  })
})

describe('commits', () => {
  it('a restarted member continues from the committed offset, never past an unprocessed message', async () => {
    const topic = uniqueName('commits')
    await createTopics([{ topic }])
    await produceSpread(topic, 6, 1)
    const groupId = uniqueName('g')
    const first = consumer(groupId, { rebalanceTimeout: 3000 })
    await first.subscribe({ topics: [topic], fromBeginning: true })
    const handled: string[] = []
    await first.run({
      eachMessage: async ({ message }) => {
        if (message.offset === '3') await new Promise((resolve) => setTimeout(resolve, 20_000).unref()) // outlasts stop(): must not be committed
        handled.push(message.value!.toString())
      },
    })
    await waitFor(() => handled.length === 3, 30_000, 'three processed')
    await waitFor(async () => (await committedOffsets(groupId, topic, 1))[0] === 3n, 30_000, 'commit of offset 3')
    // The stuck handler holds stop() up to rebalanceTimeout, then the member leaves without committing offset 3.
    await first.disconnect()
    open.splice(open.indexOf(first), 1)
    const second = consumer(groupId)
    await second.subscribe({ topics: [topic], fromBeginning: true })
    const after: string[] = []
    await second.run({ eachMessage: async ({ message }) => void after.push(message.offset) })
    await waitFor(() => after.length === 3, 60_000, 'the rest')
    expect(after).toEqual(['3', '4', '5'])
  })

  it('stop() then run() again continues after the committed offset, in the same consumer', async () => {
    const topic = uniqueName('rerun')
    await createTopics([{ topic }])
    await produceSpread(topic, 3, 1)
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    await c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    await waitFor(() => seen.length === 3, 30_000, 'three messages')
    await c.stop()
    await produceSpread(topic, 2, 1)
    await c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    await waitFor(() => seen.length === 5, 30_000, 'two more')
    expect(seen).toEqual(['0', '1', '2', '3', '4'])
  })

  it('autoCommit: false commits only what commitOffsets says', async () => {
    const topic = uniqueName('manual')
    await createTopics([{ topic }])
    await produceSpread(topic, 4, 1)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    await c.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.offset) })
    await waitFor(() => seen.length === 4, 30_000, 'four messages')
    expect(await committedOffsets(groupId, topic, 1)).toEqual([null])
    await c.commitOffsets([{ topic, partition: 0, offset: '2' }])
    expect(await committedOffsets(groupId, topic, 1)).toEqual([2n])
    await expect(c.commitOffsets([{ topic, partition: 0, offset: '-5' }])).rejects.toThrow('Offset must not be a negative number')
  })

  it('autoCommitThreshold commits once that many offsets are resolved', async () => {
    const topic = uniqueName('threshold')
    await createTopics([{ topic }])
    await produceSpread(topic, 5, 1)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const committedAt: string[] = []
    c.on(c.events.COMMIT_OFFSETS, (event) => committedAt.push(event.payload.topics[0]!.partitions[0]!.offset))
    await c.run({ autoCommitThreshold: 2, eachMessage: async () => {} })
    await waitFor(() => committedAt.includes('5'), 30_000, 'final commit')
    // Every second message, then the batch-end commit (KafkaJS's schedule); batches may split the log differently.
    expect(committedAt).toContain('2')
  })
})

describe('seek, pause and resume', () => {
  it('seek during run moves the partition, including to the special earliest offset', async () => {
    const topic = uniqueName('seek')
    await createTopics([{ topic }])
    await produceSpread(topic, 5, 1)
    const c = consumer(uniqueName('g'))
    expect(() => c.seek({ topic, partition: 0, offset: '1' })).toThrow('Consumer group was not initialized, consumer#run must be called first')
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    let sought = false
    await c.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset)
        if (message.offset === '4' && !sought) {
          sought = true
          c.seek({ topic, partition: 0, offset: '-2' })
        }
      },
    })
    await waitFor(() => seen.length >= 10, 30_000, 'the log twice')
    expect(seen.slice(0, 10)).toEqual(['0', '1', '2', '3', '4', '0', '1', '2', '3', '4'])
  })

  it('pause() inside eachMessage stops the partition after the message, resume() continues with the next one', async () => {
    const topic = uniqueName('pause')
    await createTopics([{ topic, numPartitions: 2 }])
    await produceSpread(topic, 10, 2)
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    let resumeLater: (() => void) | null = null
    await c.run({
      eachMessage: async ({ partition, message, pause }) => {
        seen.push(`${partition}:${message.offset}`)
        if (partition === 0 && message.offset === '1' && !resumeLater) resumeLater = pause()
      },
    })
    await waitFor(() => seen.filter((s) => s.startsWith('1:')).length === 5, 30_000, 'partition 1')
    await waitFor(() => resumeLater !== null, 30_000, 'the pause')
    expect(c.paused()).toEqual([{ topic, partitions: [0] }])
    expect(seen.filter((s) => s.startsWith('0:'))).toEqual(['0:0', '0:1'])
    resumeLater!()
    await waitFor(() => seen.filter((s) => s.startsWith('0:')).length === 5, 30_000, 'partition 0 after resume')
    expect(seen.filter((s) => s.startsWith('0:'))).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4'])
    expect(c.paused()).toEqual([])
  })

  it('pause({ topic }) pauses every partition of the topic', async () => {
    const topic = uniqueName('pause-topic')
    await createTopics([{ topic, numPartitions: 2 }])
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    await c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    c.pause([{ topic }])
    expect(c.paused()).toEqual([{ topic, partitions: [0, 1] }])
    await produceSpread(topic, 4, 2)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(seen).toEqual([])
    c.resume([{ topic }])
    await waitFor(() => seen.length === 4, 30_000, 'messages after resume')
  })
})

describe('partitionsConsumedConcurrently', () => {
  it('processes partitions in parallel, each partition in order', async () => {
    const topic = uniqueName('concurrent')
    await createTopics([{ topic, numPartitions: 3 }])
    await produceSpread(topic, 30, 3)
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    let inFlight = 0
    let maxInFlight = 0
    const perPartition = new Map<number, number[]>()
    await c.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ partition, message }) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 20))
        const list = perPartition.get(partition) ?? []
        list.push(Number(message.offset))
        perPartition.set(partition, list)
        inFlight--
      },
    })
    await waitFor(() => [...perPartition.values()].reduce((n, l) => n + l.length, 0) === 30, 30_000, 'thirty messages')
    expect(maxInFlight).toBeGreaterThan(1)
    expect(maxInFlight).toBeLessThanOrEqual(3)
    for (const list of perPartition.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
    for (const list of perPartition.values()) expect(list).toHaveLength(10)
  })
})
