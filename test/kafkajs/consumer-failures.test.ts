/** Handlers that throw (retry, crash, restart) and stop() while a message is in process, on the real broker. */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Consumer, ConsumerConfig, ConsumerCrashEvent } from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { committedOffsets, produceSpread } from './consumer-support.js'

const open: Consumer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.disconnect()))
})

function consumer(groupId: string, config: Partial<ConsumerConfig> = {}): Consumer {
  const c = newKafka().consumer({ groupId, maxWaitTimeInMs: 100, ...config })
  open.push(c)
  return c
}

async function topicWith(count: number): Promise<string> {
  const topic = uniqueName('fail')
  await createTopics([{ topic }])
  await produceSpread(topic, count, 1)
  return topic
}

describe('a throwing handler', () => {
  it('is retried with the same message, then consumption goes on; nothing is skipped', async () => {
    const topic = await topicWith(3)
    const groupId = uniqueName('g')
    const c = consumer(groupId, { retry: { retries: 5, initialRetryTime: 50 } })
    const crashes: ConsumerCrashEvent[] = []
    c.on(c.events.CRASH, (e) => crashes.push(e))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const attempts: string[] = []
    let failures = 2
    await c.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.offset)
        if (message.offset === '1' && failures-- > 0) throw new Error('transient')
      },
    })
    await waitFor(() => attempts.includes('2'), 30_000, 'the last message')
    expect(attempts).toEqual(['0', '1', '1', '1', '2'])
    expect(crashes).toEqual([])
    await waitFor(async () => (await committedOffsets(groupId, topic, 1))[0] === 3n, 30_000, 'commit of offset 3')
  })

  it('crashes with KafkaJSNumberOfRetriesExceeded once retries are spent, and restarts from the failed message', async () => {
    const topic = await topicWith(3)
    const groupId = uniqueName('g')
    const c = consumer(groupId, { retry: { retries: 1, initialRetryTime: 50 } })
    const crashes: ConsumerCrashEvent[] = []
    c.on(c.events.CRASH, (e) => crashes.push(e))
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const attempts: string[] = []
    await c.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.offset)
        if (message.offset === '1' && crashes.length === 0) throw new Error('until the crash')
      },
    })
    await waitFor(() => attempts.includes('2'), 60_000, 'consumption after the restart')
    expect(crashes).toHaveLength(1)
    expect(crashes[0]!.payload.groupId).toBe(groupId)
    expect(crashes[0]!.payload.restart).toBe(true)
    expect(crashes[0]!.payload.error.name).toBe('KafkaJSNumberOfRetriesExceeded')
    // Offset 0 was committed before the crash; the restarted member begins at the message that failed.
    expect(attempts).toEqual(['0', '1', '1', '1', '2'])
  })

  it('stays down, reporting restart: false, when restartOnFailure says so', async () => {
    const topic = await topicWith(2)
    const c = consumer(uniqueName('g'), { retry: { retries: 0, initialRetryTime: 50, restartOnFailure: async () => false } })
    const crashes: ConsumerCrashEvent[] = []
    let disconnected = 0
    c.on(c.events.CRASH, (e) => crashes.push(e))
    c.on(c.events.DISCONNECT, () => void disconnected++)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const attempts: string[] = []
    await c.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.offset)
        throw new Error('always')
      },
    })
    await waitFor(() => crashes.length === 1, 30_000, 'the crash')
    expect(crashes[0]!.payload.restart).toBe(false)
    expect(disconnected).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(attempts).toEqual(['0'])
  })
})

describe('errors of samsa\'s consumer', () => {
  it('one it cannot recover from ends the run with CRASH (restart: false) and a disconnected consumer', async () => {
    const c = consumer(uniqueName('g'))
    const crashes: ConsumerCrashEvent[] = []
    let disconnected = 0
    c.on(c.events.CRASH, (e) => crashes.push(e))
    c.on(c.events.DISCONNECT, () => void disconnected++)
    await c.subscribe({ topics: ['not a valid topic name!'] })
    await c.run({ eachMessage: async () => {} })
    await waitFor(() => crashes.length === 1, 30_000, 'the crash')
    const { error, restart } = crashes[0]!.payload
    expect(error.name).toBe('KafkaJSProtocolError')
    expect((error as Error & { type?: string }).type).toBe('INVALID_TOPIC_EXCEPTION')
    expect(restart).toBe(false)
    expect(disconnected).toBe(1)
  })
})

describe('stop()', () => {
  it('lets the message in process finish, commits it, and emits STOP', async () => {
    const topic = await topicWith(3)
    const groupId = uniqueName('g')
    const c = consumer(groupId)
    let stopped = 0
    c.on(c.events.STOP, () => void stopped++)
    await c.subscribe({ topics: [topic], fromBeginning: true })
    const finished: string[] = []
    let started: () => void
    const inHandler = new Promise<void>((resolve) => (started = resolve))
    await c.run({
      eachMessage: async ({ message }) => {
        if (message.offset === '1') {
          started()
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
        finished.push(message.offset)
      },
    })
    await inHandler
    await c.stop()
    expect(finished).toEqual(['0', '1'])
    expect(stopped).toBe(1)
    expect(await committedOffsets(groupId, topic, 1)).toEqual([2n])
  })
})
