/**
 * The share-group consumer (KIP-932) on the real broker: several members reading one partition, explicit
 * release/reject, what close() gives back in implicit mode (as Java: only what was acknowledged stays consumed),
 * and the group as the admin client describes it. Records are produced with raw Produce requests
 * (consumer-support); "all acknowledged" is checked through the share-partition start offset the broker reports.
 * Also: a signal ends an iteration without losing what a fetch in flight brings; commit() and close() take a
 * deadline and a signal.
 */
import { Admin } from '../../src/admin/admin.js'
import { Kafka } from '../../src/kafka.js'
import type { Cluster } from '../../src/network/cluster.js'
import diagnosticsChannel from 'node:diagnostics_channel'
import type { Logger, RequestFinishEvent } from '../../src/network/instrumentation.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { ShareConsumer, type ShareConsumerMessage, type ShareConsumerOptions } from '../../src/consumer/share-consumer.js'
import { AbortError } from '../../src/errors.js'
import { brokers, contextFor, createTopic, newCluster, produce, uniqueName, values, waitFor } from './consumer-support.js'

jest.setTimeout(120_000)

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

/** Without it a new share group starts at the log end, and these tests produce before the members fetch. */
async function readFromEarliest(groupId: string): Promise<void> {
  const [result] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.auto.offset.reset': 'earliest' } }])
  expect(result!.error).toBeNull()
}

/**
 * The share-partition start offset and lag (KIP-1226) as the broker's persisted share state reports them. The lag
 * counts records not yet in a final state (accepted, rejected, gap); the start offset only says that everything
 * below it is final (the broker may leave it at the first offset of a fully acknowledged in-flight batch).
 */
async function shareState(groupId: string, topic: string): Promise<{ startOffset: bigint; lag: bigint }> {
  const [result] = await admin.listShareGroupOffsets([{ groupId, partitions: [{ topic, partition: 0 }] }])
  const entry = result!.offsets.find((o) => o.topic === topic && o.partition === 0)
  return { startOffset: entry?.startOffset ?? -1n, lag: entry?.lag ?? -1n }
}

/** Acknowledgements reach the broker with the next ShareFetch, so "all acknowledged" is waited for. */
async function waitForLag(groupId: string, topic: string, expected: bigint): Promise<void> {
  const deadline = Date.now() + 60_000
  let last = { startOffset: -1n, lag: -1n }
  while (Date.now() < deadline) {
    last = await shareState(groupId, topic)
    if (last.lag === expected) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`share-partition lag stayed at ${last.lag} (start offset ${last.startOffset}), expected ${expected}`)
}

interface Delivery {
  member: number
  offset: bigint
  deliveryCount: number
  value: string
}

function record(deliveries: Delivery[], member: number, message: ShareConsumerMessage): void {
  deliveries.push({ member, offset: message.offset, deliveryCount: message.deliveryCount, value: message.value!.toString() })
}

/** Delivery counts per offset, in delivery order. */
function countsByOffset(deliveries: Delivery[]): Map<bigint, number[]> {
  const byOffset = new Map<bigint, number[]>()
  for (const d of deliveries) {
    let list = byOffset.get(d.offset)
    if (!list) byOffset.set(d.offset, (list = []))
    list.push(d.deliveryCount)
  }
  return byOffset
}

async function bothAssigned(consumers: ShareConsumer[], topic: string): Promise<void> {
  await waitFor(() => consumers.every((c) => c.assignment().some((tp) => tp.topic === topic && tp.partition === 0)), 30_000, 'share assignment')
}

describe('ShareConsumer (KIP-932)', () => {
  it('two members read one partition: each of 2000 records is delivered exactly once, all accepted', async () => {
    const topic = uniqueName('share-two')
    const groupId = uniqueName('share-two-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(2000, 'v'))

    const members = [shareConsumer({ groupId, maxPollRecords: 100 }), shareConsumer({ groupId, maxPollRecords: 100 })]
    for (const m of members) await m.subscribe([topic])
    await bothAssigned(members, topic)

    const deliveries: Delivery[] = []
    const loops = members.map(async (consumer, member) => {
      for await (const message of consumer) record(deliveries, member, message)
    })
    await waitFor(() => deliveries.length >= 2000, 60_000, '2000 deliveries')
    // Both loops are back in next(), so both accepted what they had; the next ShareFetch carries it.
    await waitForLag(groupId, topic, 0n)
    for (const m of members) await m.close()
    await Promise.all(loops)

    expect(deliveries).toHaveLength(2000)
    const byOffset = countsByOffset(deliveries)
    expect([...byOffset.keys()].sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(i)))
    expect([...byOffset.values()].every((counts) => counts.length === 1 && counts[0] === 1)).toBe(true)
    for (const d of deliveries) expect(d.value).toBe(`v-0-${d.offset}`)
    // Shared, not split by partition: both members got records from the one partition.
    expect(deliveries.filter((d) => d.member === 0).length).toBeGreaterThan(0)
    expect(deliveries.filter((d) => d.member === 1).length).toBeGreaterThan(0)
    expect((await shareState(groupId, topic)).lag).toBe(0n)
  })

  it('explicit mode: a released record comes back with delivery count 2, a rejected one never does', async () => {
    const topic = uniqueName('share-explicit')
    const groupId = uniqueName('share-explicit-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(10, 'e'))

    const members = [
      shareConsumer({ groupId, acknowledgementMode: 'explicit', maxPollRecords: 3 }),
      shareConsumer({ groupId, acknowledgementMode: 'explicit', maxPollRecords: 3 }),
    ]
    for (const m of members) await m.subscribe([topic])
    await bothAssigned(members, topic)

    const deliveries: Delivery[] = []
    let commitResults: unknown = null
    const loops = members.map(async (consumer, member) => {
      for await (const message of consumer) {
        record(deliveries, member, message)
        if (message.offset === 3n && message.deliveryCount === 1) message.acknowledge('release')
        else if (message.offset === 5n) {
          consumer.acknowledge(message, 'reject')
          commitResults = await consumer.commit()
        } else message.acknowledge('accept')
      }
    })
    await waitForLag(groupId, topic, 0n)
    for (const m of members) await m.close()
    await Promise.all(loops)

    const byOffset = countsByOffset(deliveries)
    expect(byOffset.get(3n)).toEqual([1, 2])
    expect(byOffset.get(5n)).toEqual([1])
    for (const offset of [0n, 1n, 2n, 4n, 6n, 7n, 8n, 9n]) expect(byOffset.get(offset)).toEqual([1])
    expect(deliveries).toHaveLength(11)
    expect(commitResults).toEqual([{ topic, partition: 0, error: null }])
  })

  it('an acknowledgement is final: acknowledging twice, or in implicit mode, throws', async () => {
    const topic = uniqueName('share-twice')
    const groupId = uniqueName('share-twice-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(2, 't'))

    const explicit = shareConsumer({ groupId, acknowledgementMode: 'explicit' })
    await explicit.subscribe([topic])
    const iterator = explicit[Symbol.asyncIterator]()
    const first = (await iterator.next()).value as ShareConsumerMessage
    expect(first.offset).toBe(0n)
    first.acknowledge('accept')
    expect(() => first.acknowledge('reject')).toThrow(/already acknowledged/)
    const second = (await iterator.next()).value as ShareConsumerMessage
    second.acknowledge()
    expect(await explicit.commit()).toEqual([{ topic, partition: 0, error: null }])
    await waitForLag(groupId, topic, 0n)
    await explicit.close()

    const implicit = shareConsumer({ groupId: uniqueName('share-implicit-group') })
    expect(() => implicit.acknowledge(first)).toThrow(/explicit/)
    await implicit.close()
  })

  it('implicit mode, closed mid-stream: what the loop moved past stays consumed; the rest comes back to the group', async () => {
    const topic = uniqueName('share-close')
    const groupId = uniqueName('share-close-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(10, 'c'))

    // A fetches all ten (one ShareFetch acquires up to maxPollRecords), hands out four and is closed while the
    // fourth is in hand. As in Java, close() sends only acknowledgements already made: 0..2 (moved past) are
    // accepted; offset 3 (in hand) and 4..9 (acquired, never handed out) go back when A's share session ends.
    const a = shareConsumer({ groupId })
    await a.subscribe([topic])
    const seenByA: Delivery[] = []
    for await (const message of a) {
      record(seenByA, 0, message)
      if (seenByA.length === 4) break
    }
    await a.close()
    expect(seenByA.map((d) => [d.offset, d.deliveryCount])).toEqual([[0n, 1], [1n, 1], [2n, 1], [3n, 1]])
    expect(await shareState(groupId, topic)).toEqual({ startOffset: 3n, lag: 7n })

    const b = shareConsumer({ groupId })
    await b.subscribe([topic])
    const seenByB: Delivery[] = []
    const loop = (async () => {
      for await (const message of b) record(seenByB, 1, message)
    })()
    await waitForLag(groupId, topic, 0n)
    await b.close()
    await loop
    // Every record A acquired and did not acknowledge was delivered once before: delivery count 2.
    expect(seenByB.map((d) => [d.offset, d.deliveryCount])).toEqual([3n, 4n, 5n, 6n, 7n, 8n, 9n].map((o) => [o, 2]))
  })

  it('a share session the broker no longer knows is opened again, and nothing is lost or delivered twice', async () => {
    const topic = uniqueName('share-session')
    const groupId = uniqueName('share-session-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(20, 's'), 5)

    const logged: Array<{ message: string; error: unknown }> = []
    const base = contextFor(cluster)
    const capture = (message: string, fields: object): void => {
      logged.push({ message, error: (fields as { errorCode?: unknown }).errorCode })
    }
    const logger = { ...base.logger, info: (fields: object, message: string) => capture(message, fields) }
    const consumer = new ShareConsumer({ ...base, logger }, { groupId, maxPollRecords: 5 })
    open.push(consumer)
    await consumer.subscribe([topic])
    const deliveries: Delivery[] = []
    const iterator = consumer[Symbol.asyncIterator]()
    for (let i = 0; i < 5; i++) record(deliveries, 0, (await iterator.next()).value as ShareConsumerMessage)
    // ShareFetches under this member id from elsewhere replace the consumer's session on the broker: epoch 0 opens
    // a new one and epoch 1 moves it on, so the broker expects 2 while the consumer sends 1
    // (INVALID_SHARE_SESSION_EPOCH). The consumer must open a new session and carry on.
    const leader = await cluster.leaderFor(topic, 0)
    for (const shareSessionEpoch of [0, 1]) {
      const hijack = await cluster.send({ kind: 'node', nodeId: leader.nodeId }, apis[ApiKeys.ShareFetch] as never, {
        groupId, memberId: consumer.memberId, shareSessionEpoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, maxRecords: 1, batchSize: 1,
        topics: [], forgottenTopicsData: [],
      } as never) as { errorCode: number }
      expect(hijack.errorCode).toBe(0)
    }

    const loop = (async () => {
      for (;;) {
        const next = await iterator.next()
        if (next.done) return
        record(deliveries, 0, next.value)
      }
    })()
    await waitFor(() => deliveries.length >= 20, 60_000, '20 deliveries')
    await waitForLag(groupId, topic, 0n)
    await consumer.close()
    await loop
    expect(logged.filter((l) => l.message === 'share session lost; opening a new one')).toEqual([{ message: 'share session lost; opening a new one', error: 123 }])
    // The broker keeps records acquired by the member across its sessions, so the acknowledgements held back
    // through the reset still applied: every record once, none redelivered.
    expect(deliveries.map((d) => [d.offset, d.deliveryCount])).toEqual(Array.from({ length: 20 }, (_, i) => [BigInt(i), 1]))
  })

  it('kafka.shareConsumer(): the entry point, with deserializers typing the message', async () => {
    const topic = uniqueName('share-entry')
    const groupId = uniqueName('share-entry-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, [{ key: 'a', value: '{"n":1}' }, { key: 'b', value: '{"n":2}' }])

    const kafka = new Kafka({ brokers, clientId: uniqueName('share-entry-client'), logger: false })
    const consumer = kafka.shareConsumer({ groupId, keyDeserializer: 'string', valueDeserializer: 'json' })
    try {
      await consumer.subscribe([topic])
      const received: Array<[string | null, unknown, number]> = []
      for await (const message of consumer) {
        const key: string | null = message.key
        received.push([key, message.value, message.deliveryCount])
        if (received.length === 2) break
      }
      expect(received).toEqual([['a', { n: 1 }, 1], ['b', { n: 2 }, 1]])
      // Implicit mode: commit() accepts the message still in hand as well.
      expect(await consumer.commit()).toEqual([{ topic, partition: 0, error: null }])
      await waitForLag(groupId, topic, 0n)
    } finally {
      await consumer.close()
      await kafka.close()
    }
  })

  it('a record its deserializer cannot read is rejected: the iterator throws DeserializationError once, then goes on', async () => {
    const topic = uniqueName('share-deser')
    const groupId = uniqueName('share-deser-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, [{ value: 'not json' }, { value: '{"ok":1}' }])

    const consumer = new ShareConsumer(contextFor(cluster), { groupId, valueDeserializer: 'json' })
    open.push(consumer)
    await consumer.subscribe([topic])
    const iterator = consumer[Symbol.asyncIterator]()
    await expect(iterator.next()).rejects.toMatchObject({ name: 'DeserializationError', topic, partition: 0, offset: 0n, field: 'value' })
    const next = await iterator.next()
    expect([next.value?.offset, next.value?.value, next.value?.deliveryCount]).toEqual([1n, { ok: 1 }, 1])
    expect(await consumer.commit()).toEqual([{ topic, partition: 0, error: null }])
    // Offset 0 rejected and offset 1 accepted: nothing is left to deliver.
    await waitForLag(groupId, topic, 0n)
    await consumer.close()
  })

  it('a member the broker forgets (fenced) rejoins under the same member id and reads on, nothing delivered twice', async () => {
    const topic = uniqueName('share-fence')
    const groupId = uniqueName('share-fence-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(10, 'a'))
    const infos: string[] = []
    const logger: Logger = { debug: () => undefined, info: (_fields, message) => void infos.push(message), warn: () => undefined, error: () => undefined }
    const consumer = new ShareConsumer({ ...contextFor(cluster), logger }, { groupId })
    open.push(consumer)
    await consumer.subscribe([topic])
    const seen: string[] = []
    const loop = (async () => {
      for await (const m of consumer) seen.push(m.value!.toString())
    })()
    await waitFor(() => seen.length >= 10, 30_000, 'the first 10 records')
    const memberId = consumer.memberId
    expect(consumer.memberEpoch).toBeGreaterThan(0)
    // Another client leaves on this member's behalf: the broker removes the member, its next heartbeat is fenced.
    await cluster.send({ kind: 'coordinator', type: 'group', key: groupId }, apis[ApiKeys.ShareGroupHeartbeat] as never, {
      groupId,
      memberId,
      memberEpoch: -1,
      rackId: null,
      subscribedTopicNames: null,
    } as never)
    await waitFor(() => infos.includes('share member fenced; rejoining with epoch 0'), 30_000, 'the member to be fenced')
    await waitFor(() => consumer.memberEpoch > 0 && consumer.assignment().length === 1, 30_000, 'the member to rejoin')
    expect(consumer.memberId).toBe(memberId)
    await produce(cluster, topic, 0, values(10, 'b'))
    await waitFor(() => seen.length >= 20, 30_000, 'the next 10 records')
    await consumer.close()
    await loop
    expect(seen.sort()).toEqual([...values(10, 'a'), ...values(10, 'b')].map((r) => String(r.value)).sort())
  })

  it('renew (KIP-1222): a record renewed while held past its lock is accepted and delivered once; one not renewed comes back with delivery count 2', async () => {
    const topic = uniqueName('share-renew')
    const groupId = uniqueName('share-renew-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    // The shortest lock a group may ask for without changing broker configs (group.share.min.record.lock.duration.ms).
    const lockMs = 15_000
    const [lock] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.record.lock.duration.ms': String(lockMs) } }])
    expect(lock!.error).toBeNull()
    await produce(cluster, topic, 0, values(2, 'r'))

    const consumer = shareConsumer({ groupId, acknowledgementMode: 'explicit' })
    await consumer.subscribe([topic])
    const iterator = consumer[Symbol.asyncIterator]()
    const renewed = (await iterator.next()).value as ShareConsumerMessage
    const neglected = (await iterator.next()).value as ShareConsumerMessage
    expect([renewed.offset, renewed.deliveryCount, neglected.offset, neglected.deliveryCount]).toEqual([0n, 1, 1n, 1])
    expect(consumer.acquisitionLockTimeoutMs).toBe(lockMs)

    // Hold both for longer than the lock; renew only offset 0, a few times, each renewal confirmed by the leader.
    const holdUntil = Date.now() + lockMs + 5_000
    let renewals = 0
    while (Date.now() < holdUntil) {
      await new Promise((resolve) => setTimeout(resolve, lockMs / 4))
      renewed.acknowledge('renew')
      expect(await consumer.commit()).toEqual([{ topic, partition: 0, error: null }])
      renewals++
    }
    expect(renewals).toBeGreaterThanOrEqual(5)
    // Still this member's: the accept is taken (an expired lock would answer INVALID_RECORD_STATE).
    renewed.acknowledge('accept')
    expect(() => renewed.acknowledge('renew')).toThrow(/already acknowledged/)
    expect(await consumer.commit()).toEqual([{ topic, partition: 0, error: null }])
    // The negative control: offset 1 was held just as long without renewal, so it went back to the group.
    expect(() => neglected.acknowledge('accept')).not.toThrow()
    const [late] = await consumer.commit()
    expect(late).toMatchObject({ topic, partition: 0, error: { errorName: 'INVALID_RECORD_STATE' } })

    const again = (await iterator.next()).value as ShareConsumerMessage
    expect([again.offset, again.deliveryCount, again.value!.toString()]).toEqual([1n, 2, 'r-0-1'])
    again.acknowledge('accept')
    expect(await consumer.commit()).toEqual([{ topic, partition: 0, error: null }])
    await waitForLag(groupId, topic, 0n)
    await consumer.close()
  }, 90_000)

  it("renew needs explicit mode, and a renewed message is still in hand: close() gives it back to the group", async () => {
    const topic = uniqueName('share-renew-close')
    const groupId = uniqueName('share-renew-close-group')
    await createTopic(cluster, topic, 1)
    await readFromEarliest(groupId)
    await produce(cluster, topic, 0, values(1, 'c'))

    const implicit = shareConsumer({ groupId })
    await implicit.subscribe([topic])
    const first = (await implicit[Symbol.asyncIterator]().next()).value as ShareConsumerMessage
    expect(() => first.acknowledge('renew')).toThrow(/explicit/)
    await implicit.close()

    const explicit = shareConsumer({ groupId, acknowledgementMode: 'explicit' })
    await explicit.subscribe([topic])
    const iterator = explicit[Symbol.asyncIterator]()
    const held = (await iterator.next()).value as ShareConsumerMessage
    expect([held.offset, held.deliveryCount]).toEqual([0n, 2])
    held.acknowledge('renew')
    held.acknowledge('renew')
    expect(await explicit.commit()).toEqual([{ topic, partition: 0, error: null }])
    await explicit.close()

    const last = shareConsumer({ groupId, acknowledgementMode: 'explicit' })
    await last.subscribe([topic])
    const back = (await last[Symbol.asyncIterator]().next()).value as ShareConsumerMessage
    expect([back.offset, back.deliveryCount]).toEqual([0n, 3])
    back.acknowledge('accept')
    expect(await last.commit()).toEqual([{ topic, partition: 0, error: null }])
    await waitForLag(groupId, topic, 0n)
    await last.close()
  })

  it("record_limit (KIP-1206): with maxPollRecords 5 no ShareFetch acquires more than 5 records; batch_optimized hands out the whole batch", async () => {
    const topic = uniqueName('share-limit')
    await createTopic(cluster, topic, 1)
    // One 50-record batch: batch_optimized acquires whole batches, record_limit must cut inside it.
    await produce(cluster, topic, 0, values(50, 'l'))

    /** Records handed out after each ShareFetch answer: the iterator fetches again only once they are all out. */
    const readAll = async (shareAcquireMode: 'batch_optimized' | 'record_limit'): Promise<{ perFetch: number[]; versions: Set<number>; offsets: bigint[] }> => {
      const groupId = uniqueName(`share-limit-${shareAcquireMode}`)
      await readFromEarliest(groupId)
      const perFetch: number[] = []
      const versions = new Set<number>()
      const onFinish = (event: unknown): void => {
        const e = event as RequestFinishEvent
        if (e.apiName !== 'ShareFetch' || e.error) return
        versions.add(e.apiVersion)
        perFetch.push(0)
      }
      diagnosticsChannel.subscribe('samsa:request:finish', onFinish)
      const consumer = shareConsumer({ groupId, maxPollRecords: 5, shareAcquireMode })
      const offsets: bigint[] = []
      try {
        await consumer.subscribe([topic])
        for await (const message of consumer) {
          perFetch[perFetch.length - 1]!++
          offsets.push(message.offset)
          if (offsets.length === 50) break
        }
        await consumer.commit()
        await waitForLag(groupId, topic, 0n)
      } finally {
        diagnosticsChannel.unsubscribe('samsa:request:finish', onFinish)
        await consumer.close()
      }
      return { perFetch: perFetch.filter((n) => n > 0), versions, offsets }
    }

    const limited = await readAll('record_limit')
    expect(limited.versions).toEqual(new Set([2]))
    expect(limited.offsets).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
    expect(Math.max(...limited.perFetch)).toBeLessThanOrEqual(5)
    expect(limited.perFetch.reduce((a, b) => a + b, 0)).toBe(50)
    expect(limited.perFetch.length).toBeGreaterThanOrEqual(10)

    // The control: the same limit in batch_optimized mode is exceeded to keep the batch whole.
    const batched = await readAll('batch_optimized')
    expect(batched.offsets).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
    expect(Math.max(...batched.perFetch)).toBeGreaterThan(5)
  })

  it('admin describeShareGroups shows both members sharing the partition, and none after they close', async () => {
    const topic = uniqueName('share-describe')
    const groupId = uniqueName('share-describe-group')
    await createTopic(cluster, topic, 1)
    const members = [shareConsumer({ groupId }), shareConsumer({ groupId })]
    for (const m of members) await m.subscribe([topic])
    await bothAssigned(members, topic)

    const [described] = await admin.describeShareGroups([groupId])
    expect(described).toMatchObject({ groupId, state: 'Stable', error: null })
    const byId = (x: { memberId: string }, y: { memberId: string }): number => (x.memberId < y.memberId ? -1 : 1)
    expect([...described!.members].sort(byId)).toEqual(
      members
        .map((m) => expect.objectContaining({ memberId: m.memberId, clientId: 'samsa-consumer-test', subscribedTopics: [topic], assignment: [{ topic, partitions: [0] }] }))
        .map((matcher, i) => ({ matcher, memberId: members[i]!.memberId }))
        .sort(byId)
        .map(({ matcher }) => matcher),
    )
    for (const m of members) expect(m.memberEpoch).toBeGreaterThan(0)

    for (const m of members) await m.close()
    const [after] = await admin.describeShareGroups([groupId])
    expect(after!.members).toEqual([])
    expect(after!.state).toBe('Empty')
  })
})

describe('cancellation and time bounds', () => {
  async function newGroup(topic: string): Promise<string> {
    const groupId = uniqueName('share-cancel')
    await readFromEarliest(groupId)
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
})
