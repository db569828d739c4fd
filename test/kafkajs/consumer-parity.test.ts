/**
 * Facade consumer behaviours KafkaJS's own suite found missing: seek/pause right after a run() that is not awaited,
 * no duplicates around an eager rebalance, no redelivery while paused after a throwing handler, KafkaJS's runtime
 * payload shapes, fetch events from an idle member, batch events for aborted transactions, message fields.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { Partitioners, type Consumer, type KafkaMessage, type Producer } from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { committedOffsets, produce, produceSpread } from './consumer-support.js'

const open: Array<Consumer | Producer> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.disconnect()))
})

function consumer(groupId: string, config: Partial<Parameters<ReturnType<typeof newKafka>['consumer']>[0]> = {}): Consumer {
  const c = newKafka().consumer({ groupId, maxWaitTimeInMs: 100, ...config })
  open.push(c)
  return c
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('right after a run() that is not awaited', () => {
  it('seek() and pause() are accepted and apply once the partitions are assigned', async () => {
    const [sought, paused] = [uniqueName('seek-early'), uniqueName('pause-early')]
    await createTopics([{ topic: sought }, { topic: paused }])
    await produce(sought, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    await produce(paused, [{ value: 'p' }])
    const c = consumer(uniqueName('g'))
    await c.connect()
    await c.subscribe({ topics: [sought, paused], fromBeginning: true })
    const seen: string[] = []
    const running = c.run({ eachMessage: async ({ topic, message }) => void seen.push(`${topic === sought ? 's' : 'p'}:${message.offset}`) })
    c.seek({ topic: sought, partition: 0, offset: '2' })
    c.pause([{ topic: paused }])
    await running
    await waitFor(() => seen.length >= 1, 30_000, 'the sought message')
    await sleep(500)
    expect(seen).toEqual(['s:2'])
    expect(c.paused()).toEqual([{ topic: paused, partitions: [0] }])
    c.resume([{ topic: paused }])
    await waitFor(() => seen.length >= 2, 30_000, 'the resumed topic')
    expect(seen).toEqual(['s:2', 'p:0'])
  })

  it('a second run() while the first is starting is ignored', async () => {
    const topic = uniqueName('run-twice')
    await createTopics([{ topic }])
    const c = consumer(uniqueName('g'))
    await c.subscribe({ topics: [topic] })
    const joins: string[] = []
    c.on(c.events.GROUP_JOIN, (event) => void joins.push(event.payload.memberId))
    await Promise.all([c.run({ eachMessage: async () => {} }), c.run({ eachMessage: async () => {} })])
    await sleep(500)
    expect(new Set(joins).size).toBe(1)
    expect((await c.describeGroup()).members).toHaveLength(1)
  })
})

describe('an eager rebalance', () => {
  it('lets the message in process finish and commits it: the next owner does not get it again', async () => {
    // KafkaJS's "should not read duplicate messages during rebalance": a member joins while the first one is in
    // the middle of a slow handler; the revoke must not leave that message for the next owner.
    const topic = uniqueName('no-duplicate')
    await createTopics([{ topic, numPartitions: 2 }])
    await produceSpread(topic, 10, 2)
    const groupId = uniqueName('g')
    const handled: string[] = []
    const start = async (): Promise<Consumer> => {
      const c = consumer(groupId, { heartbeatInterval: 100 })
      await c.subscribe({ topics: [topic], fromBeginning: true })
      await c.run({
        eachMessage: async ({ partition, message }) => {
          await sleep(100)
          handled.push(`${partition} ${String(message.value)}`)
        },
      })
      return c
    }
    const first = await start()
    await new Promise<void>((resolve) => {
      const remove = first.on(first.events.START_BATCH_PROCESS, () => {
        remove()
        resolve()
      })
    })
    await start()
    await waitFor(() => handled.length >= 10, 30_000, 'every message')
    await sleep(1000)
    expect(handled).toHaveLength(10)
    expect(new Set(handled).size).toBe(10)
  })
})

describe('pause() in eachMessage, then the handler throws', () => {
  it('the message is not delivered again until resume(), then once', async () => {
    const topic = uniqueName('pause-throw')
    await createTopics([{ topic }])
    await produce(topic, [{ value: 'only' }])
    const c = consumer(uniqueName('g'), { retry: { initialRetryTime: 50, retries: 5 } })
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const offsets: string[] = []
    let fail = true
    await c.run({
      eachMessage: async ({ message }) => {
        offsets.push(message.offset)
        if (fail) {
          c.pause([{ topic }])
          throw new Error('fails while pausing')
        }
      },
    })
    await waitFor(() => offsets.length >= 1, 30_000, 'the first delivery')
    await sleep(1000)
    expect(offsets).toEqual(['0'])
    fail = false
    c.resume([{ topic }])
    await waitFor(() => offsets.length >= 2, 30_000, 'the delivery after resume')
    await sleep(300)
    expect(offsets).toEqual(['0', '0'])
  })
})

describe('KafkaJS runtime shapes', () => {
  it('commit events name partitions as strings, fetch events name brokers as strings; messages carry magicByte', async () => {
    const topic = uniqueName('shapes')
    await createTopics([{ topic }])
    await produce(topic, [{ value: 'v' }])
    const c = consumer(uniqueName('g'))
    const commits: unknown[] = []
    const fetchNodes: unknown[] = []
    const fetchStartNodes: unknown[] = []
    c.on(c.events.COMMIT_OFFSETS, (event) => void commits.push(...event.payload.topics.flatMap((t) => t.partitions.map((p) => p.partition))))
    c.on(c.events.FETCH, (event) => void fetchNodes.push(event.payload.nodeId))
    c.on(c.events.FETCH_START, (event) => void fetchStartNodes.push(event.payload.nodeId))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const messages: KafkaMessage[] = []
    await c.run({ eachMessage: async ({ message }) => void messages.push(message) })
    await waitFor(() => commits.length > 0 && fetchNodes.length > 0, 30_000, 'a commit and a fetch')
    expect(commits[0]).toBe('0')
    expect(typeof fetchNodes[0]).toBe('string')
    expect(typeof fetchStartNodes[0]).toBe('string')
    expect(messages[0]).toMatchObject({ magicByte: 2, isControlRecord: false, offset: '0' })
  })
})

describe('uncommittedOffsets()', () => {
  it('names partitions as strings, as KafkaJS does, and goes back into commitOffsetsIfNecessary and sendOffsets', async () => {
    const topic = uniqueName('uncommitted')
    await createTopics([{ topic, numPartitions: 2 }])
    await produceSpread(topic, 4, 2)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const pending: unknown[] = []
    let sent = 0
    const producer = newKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, transactionalId: uniqueName('txn'), maxInFlightRequests: 1, idempotent: true })
    open.push(producer)
    await producer.connect()
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) resolveOffset(message.offset)
        const offsets = uncommittedOffsets()
        pending.push(...offsets.topics.flatMap((t) => t.partitions.map((p) => p.partition)))
        if (batch.partition === 0) {
          await commitOffsetsIfNecessary(offsets)
        } else {
          const transaction = await producer.transaction()
          await transaction.sendOffsets({ consumerGroupId: groupId, topics: offsets.topics })
          await transaction.commit()
        }
        sent++
      },
    })
    await waitFor(() => sent >= 2, 30_000, 'both partitions handled')
    expect(pending).toEqual(expect.arrayContaining(['0', '1']))
    await waitFor(async () => (await committedOffsets(groupId, topic, 2)).every((o) => o === 2n), 15_000, 'both partitions committed')
  })
})

describe('a member with nothing to fetch', () => {
  it('keeps emitting FETCH_START and FETCH, as KafkaJS’s fetch loop does', async () => {
    const topic = uniqueName('idle')
    await createTopics([{ topic }])
    const groupId = uniqueName('g')
    const members = [consumer(groupId), consumer(groupId)]
    const assigned = new Map<Consumer, number>()
    for (const c of members) {
      c.on(c.events.GROUP_JOIN, (event) => void assigned.set(c, Object.values(event.payload.memberAssignment).flat().length))
      await c.subscribe({ topics: [topic] })
      await c.run({ eachMessage: async () => {} })
    }
    await waitFor(() => members.every((c) => assigned.has(c)) && [...assigned.values()].reduce((a, b) => a + b, 0) === 1, 30_000, 'one partition, one owner')
    const idle = members.find((c) => assigned.get(c) === 0)!
    const events: string[] = []
    idle.on(idle.events.FETCH_START, () => void events.push('start'))
    idle.on(idle.events.FETCH, (event) => void events.push(`fetch:${event.payload.numberOfBatches}`))
    // Several rounds: not just the answer to a Fetch that was in flight when the rebalance took the partition away.
    await waitFor(() => events.filter((e) => e === 'fetch:0').length >= 3, 10_000, 'fetch events from the idle member')
    expect(events).toContain('start')
  })
})

describe('records the application never sees', () => {
  it('an aborted transaction gives empty batch events and moves the committed offset past its marker', async () => {
    const topic = uniqueName('aborted')
    await createTopics([{ topic }])
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    const starts: Array<{ batchSize: number; firstOffset: string; lastOffset: string; highWatermark: string }> = []
    const ends: string[] = []
    c.on(c.events.START_BATCH_PROCESS, (event) => void starts.push(event.payload))
    c.on(c.events.END_BATCH_PROCESS, (event) => void ends.push(event.payload.lastOffset))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const values: string[] = []
    await c.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) })

    const producer = newKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, transactionalId: uniqueName('txn'), maxInFlightRequests: 1, idempotent: true })
    open.push(producer)
    await producer.connect()
    const transaction = await producer.transaction()
    await transaction.send({ topic, messages: [{ key: 'k', value: 'aborted' }] })
    await transaction.abort()

    await waitFor(() => ends.at(-1) === '1', 15_000, 'END_BATCH_PROCESS up to the marker')
    // Empty batches for the aborted record (offset 0) and its marker (offset 1), as KafkaJS reports them: one when both
    // come in one Fetch, one each when the marker was written after the Fetch that brought the record.
    expect(starts.every((s) => s.batchSize === 0)).toBe(true)
    expect(starts.map((s) => `${s.firstOffset}-${s.lastOffset}`)).toEqual(starts.length === 1 ? ['0-1'] : ['0-0', '1-1'])
    expect(starts.at(-1)).toEqual({ topic, partition: 0, highWatermark: '2', offsetLag: '0', offsetLagLow: expect.any(String), batchSize: 0, firstOffset: starts.length === 1 ? '0' : '1', lastOffset: '1' })
    expect(ends).toEqual(starts.map((s) => s.lastOffset))
    await waitFor(async () => (await committedOffsets(groupId, topic, 1))[0] === 2n, 15_000, 'the commit past the marker')

    await produce(topic, [{ value: 'after' }])
    await waitFor(() => values.length > 0, 15_000, 'the record after the transaction')
    expect(values).toEqual(['after'])
  })
})
