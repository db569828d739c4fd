/**
 * Cancellation and time bounds of the share consumer on the real broker: a signal ends an iteration that waits for
 * records without losing what a fetch in flight brings (a later iteration delivers every record exactly once),
 * commit() and close() take a deadline and a signal.
 */
import { Admin } from '../../src/admin/admin.js'
import { ShareConsumer, type ShareConsumerOptions } from '../../src/consumer/share-consumer.js'
import { AbortError } from '../../src/errors.js'
import type { Cluster } from '../../src/network/cluster.js'
import { contextFor, createTopic, newCluster, produce, uniqueName, values } from './consumer-support.js'

jest.setTimeout(90_000)

let cluster: Cluster
let admin: Admin
const open: ShareConsumer[] = []

beforeAll(() => {
  cluster = newCluster()
  admin = new Admin(contextFor(cluster))
})

afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => undefined)))
  await admin.close()
  cluster.close()
})

function shareConsumer(options: ShareConsumerOptions): ShareConsumer {
  const consumer = new ShareConsumer(contextFor(cluster), options)
  open.push(consumer)
  return consumer
}

async function newGroup(topic: string): Promise<string> {
  const groupId = uniqueName('share-cancel')
  const [result] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.auto.offset.reset': 'earliest' } }])
  expect(result!.error).toBeNull()
  await createTopic(cluster, topic, 1)
  return groupId
}

it('a signal ends an iteration waiting for records; nothing fetched meanwhile is lost or delivered twice', async () => {
  const topic = uniqueName('share-cancel-topic')
  const groupId = await newGroup(topic)
  const consumer = shareConsumer({ groupId, fetchMaxWaitMs: 300 })
  await consumer.subscribe([topic])

  // Nothing to read: the iteration ends when its signal fires, not when a record comes.
  const started = performance.now()
  const early: string[] = []
  for await (const m of consumer.messages({ signal: AbortSignal.timeout(1500) })) early.push(m.value!.toString())
  const waited = performance.now() - started
  expect(early).toEqual([])
  expect(waited).toBeGreaterThanOrEqual(1400)
  expect(waited).toBeLessThan(15_000)

  // The records come now; rounds begun by the ended iteration may hold some of them: the next iteration gets all.
  await produce(cluster, topic, 0, values(300, 'cancel'))
  const seen = new Map<string, number>()
  for await (const m of consumer.messages({ signal: AbortSignal.timeout(30_000) })) {
    const value = m.value!.toString()
    seen.set(value, (seen.get(value) ?? 0) + 1)
    if (seen.size === 300) break
  }
  expect(seen.size).toBe(300)
  expect([...seen.values()].every((n) => n === 1)).toBe(true)
  await consumer.commit({ timeoutMs: 10_000 })
})

it('commit() and close() take a signal and a deadline', async () => {
  const topic = uniqueName('share-cancel-topic')
  const groupId = await newGroup(topic)
  await produce(cluster, topic, 0, values(10, 'commit'))
  const consumer = shareConsumer({ groupId, acknowledgementMode: 'explicit' })
  await consumer.subscribe([topic])
  const iterator = consumer.messages({ signal: AbortSignal.timeout(30_000) })
  const first = await iterator.next()
  expect(first.done).toBe(false)
  consumer.acknowledge(first.value!, 'accept')

  const aborted = new AbortController()
  aborted.abort(new Error('changed my mind'))
  const refused = await consumer.commit({ signal: aborted.signal }).catch((error: unknown) => error)
  expect(refused).toBeInstanceOf(AbortError)
  expect(refused).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })

  // The acknowledgement was still sent (a ShareAcknowledge is never cut off half-way), or is sent now.
  const results = await consumer.commit({ timeoutMs: 10_000 })
  expect(results.every((r) => r.error === null)).toBe(true)

  const closing = performance.now()
  await consumer.close({ timeoutMs: 5_000 })
  expect(performance.now() - closing).toBeLessThan(10_000)
})
