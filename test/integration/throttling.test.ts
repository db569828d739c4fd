/**
 * KIP-219 throttling against the real broker: a client id under a byte-rate quota gets responses with
 * throttleTimeMs, and samsa then holds that connection's writes for that long instead of piling requests up in the
 * muted broker socket. Quotas are per client id, so each client here has its own, and the quotas are removed after.
 *
 * Kafka measures a rate over 11 one-second samples and, until 10 s have passed, over 10 s anyway: a new client may
 * send about 10 s worth of quota before it is throttled. The rate assertions therefore look at the traffic after
 * the first throttled response, which is where the quota governs it; they are orders of magnitude, not timings.
 */
import diagnostics from 'node:diagnostics_channel'
import type { Admin } from '../../src/admin/admin.js'
import { TimeoutError } from '../../src/errors.js'
import { Kafka } from '../../src/kafka.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import type { RequestStartEvent, ThrottleEvent } from '../../src/network/instrumentation.js'
import { fetchAllRecords, seededBytes } from '../helpers/raw-records.js'

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

const QUOTA = 192 * 1024
const RECORDS = 3600
const VALUE_BYTES = 1024
const TOTAL_BYTES = RECORDS * VALUE_BYTES
/** Small enough that 13 × 16 KiB overshoots Kafka's 10 s of credit by a throttle of a few seconds. */
const MUTED_QUOTA = 16 * 1024

/**
 * How much later than the mute itself a listener may time a throttle event: the connection mutes, then publishes, and
 * a scavenge or a preempted thread in between (a loaded 2-core CI host) moves the listener's clock reading on by
 * milliseconds. A mute that did not hold would let the next request out within the same turn, so the windows checked
 * stay far wider than this.
 */
const EVENT_SLACK_MS = 25

let counter = 0
const uniqueName = (label: string) => `throttle-${label}-${process.pid}-${Date.now()}-${counter++}`

/** A record's value: its index, then incompressible bytes, so read-back can spot a duplicate or a gap. */
function values(seed: number): Buffer[] {
  const random = seededBytes(seed)
  return Array.from({ length: RECORDS }, (_, i) => {
    const value = random(VALUE_BYTES)
    value.writeUInt32BE(i, 0)
    return value
  })
}

/** Records every event of `name` with the time it was seen. */
function listen<T>(name: string): { events: Array<T & { at: number }>; stop(): void } {
  const events: Array<T & { at: number }> = []
  const onMessage = (message: unknown) => events.push({ ...(message as T), at: performance.now() })
  diagnostics.subscribe(name, onMessage)
  return { events, stop: () => diagnostics.unsubscribe(name, onMessage) }
}

function summary(label: string, figures: Record<string, number>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(' ')
  process.stderr.write(`throttling ${label}: ${text}\n`)
}

describe('throttling (KIP-219)', () => {
  const producerId = uniqueName('producer')
  const consumerId = uniqueName('consumer')
  const mutedId = uniqueName('muted')
  let control: Kafka
  let admin: Admin
  let setQuotas = false

  beforeAll(async () => {
    control = new Kafka({ brokers, clientId: uniqueName('admin'), logger: false })
    admin = control.admin()
    const results = await admin.alterClientQuotas([
      { entity: { 'client-id': producerId }, ops: { producer_byte_rate: QUOTA } },
      { entity: { 'client-id': consumerId }, ops: { consumer_byte_rate: QUOTA } },
      { entity: { 'client-id': mutedId }, ops: { producer_byte_rate: MUTED_QUOTA } },
    ])
    expect(results.map((r) => r.error)).toEqual([null, null, null])
    setQuotas = true
    // A single broker learns of quotas through its metadata log: wait until it describes both.
    for (let i = 0; ; i++) {
      const described = await admin.describeClientQuotas([{ entityType: 'client-id' }])
      const names = new Set(described.map((d) => d.entity['client-id']))
      if (names.has(producerId) && names.has(consumerId) && names.has(mutedId)) break
      if (i === 50) throw new Error('the broker never described the quotas')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })

  afterAll(async () => {
    if (setQuotas) {
      const removed = await admin.alterClientQuotas([
        { entity: { 'client-id': producerId }, ops: { producer_byte_rate: null } },
        { entity: { 'client-id': consumerId }, ops: { consumer_byte_rate: null } },
        { entity: { 'client-id': mutedId }, ops: { producer_byte_rate: null } },
      ])
      expect(removed.map((r) => r.error)).toEqual([null, null, null])
    }
    await control.close()
  })

  it('a producer under producer_byte_rate is throttled, backs off, and every record lands exactly once', async () => {
    const topic = uniqueName('produce')
    await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    const kafka = new Kafka({ brokers, clientId: producerId, logger: false })
    const throttles = listen<ThrottleEvent>('samsa:throttle')
    const starts = listen<RequestStartEvent>('samsa:request:start')
    const acked: Array<{ at: number; bytes: number }> = []
    const onProduce = (message: unknown) => {
      const event = message as { topic: string; bytes: number; error?: Error }
      if (event.topic === topic && !event.error) acked.push({ at: performance.now(), bytes: event.bytes })
    }
    diagnostics.subscribe('samsa:produce', onProduce)
    try {
      const producer = kafka.producer() // idempotent, acks all
      const sent = values(1)
      const started = performance.now()
      const results = await producer.send({ topic, messages: sent.map((value) => ({ value })) })
      const elapsedMs = performance.now() - started
      const connection = kafka.cluster.pool.connections().find((c) => c.purpose === 'produce')!
      await producer.close()

      // Acknowledged once each, at consecutive offsets.
      expect(results.map((r) => r.offset)).toEqual(sent.map((_, i) => BigInt(i)))

      const produceThrottles = throttles.events.filter((e) => e.apiName === 'Produce')
      expect(produceThrottles.length).toBeGreaterThan(0)
      expect(produceThrottles.every((e) => e.throttleTimeMs > 0 && e.apiKey === 0 && typeof e.nodeId === 'number')).toBe(true)

      // Nothing went out on the throttled connection while it was muted. Without the mute the next queued Produce
      // would go out in the same turn as the throttled response; with it, not before throttleTimeMs.
      const produceStarts = starts.events.filter((e) => e.apiName === 'Produce')
      const checked = produceThrottles.filter((throttle) => throttle.throttleTimeMs > 4 * EVENT_SLACK_MS)
      expect(checked.length).toBeGreaterThan(0)
      for (const throttle of checked) {
        const end = throttle.at + throttle.throttleTimeMs - EVENT_SLACK_MS
        const early = produceStarts.find((s) => s.broker === throttle.broker && s.at > throttle.at && s.at < end)
        expect(early && { throttle, early, earlyByMs: throttle.at + throttle.throttleTimeMs - early.at }).toBeUndefined()
      }

      // The connection's running totals match the events.
      expect(connection.throttleCount).toBe(produceThrottles.length)
      expect(connection.throttledMs).toBe(produceThrottles.reduce((sum, e) => sum + e.throttleTimeMs, 0))

      // After the first throttle the quota governs: the acknowledged rate stays within 2× of it.
      const firstThrottle = produceThrottles[0]!.at
      const after = acked.filter((a) => a.at > firstThrottle)
      const afterBytes = after.reduce((sum, a) => sum + a.bytes, 0)
      const afterRate = afterBytes / ((after[after.length - 1]!.at - firstThrottle) / 1000)
      const overallRate = TOTAL_BYTES / (elapsedMs / 1000)
      summary('produce', {
        quota: QUOTA,
        elapsedMs,
        overallRate,
        afterThrottleRate: afterRate,
        afterThrottleBytes: afterBytes,
        throttles: produceThrottles.length,
        throttledMs: connection.throttledMs,
        maxThrottleMs: Math.max(...produceThrottles.map((e) => e.throttleTimeMs)),
      })
      expect(afterBytes).toBeGreaterThan(TOTAL_BYTES / 10)
      expect(afterRate).toBeLessThan(2 * QUOTA)

      // Read back with an unthrottled client: every record once, in order, none resent.
      const reader = new Kafka({ brokers, clientId: uniqueName('reader'), logger: false })
      try {
        const stored = await fetchAllRecords(reader.cluster, topic, 0)
        expect(stored).toHaveLength(RECORDS)
        stored.forEach((record, i) => {
          expect(record.offset).toBe(BigInt(i))
          expect(record.value!.readUInt32BE(0)).toBe(i)
        })
        expect(stored.every((record, i) => record.value!.equals(sent[i]!))).toBe(true)
      } finally {
        await reader.close()
      }
    } finally {
      diagnostics.unsubscribe('samsa:produce', onProduce)
      throttles.stop()
      starts.stop()
      await kafka.close()
    }
  }, 90_000)

  it('a consumer under consumer_byte_rate is throttled, backs off, and reads everything once', async () => {
    const topic = uniqueName('fetch')
    await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    const sent = values(2)
    const seeder = control.producer({ lingerMs: 20 })
    await seeder.send({ topic, messages: sent.map((value) => ({ value })) })
    await seeder.close()

    const kafka = new Kafka({ brokers, clientId: consumerId, logger: false })
    const throttles = listen<ThrottleEvent>('samsa:throttle')
    const fetches = listen<{ bytes: number; error?: Error }>('samsa:fetch')
    try {
      const consumer = kafka.consumer({ autoOffsetReset: 'earliest', maxPartitionFetchBytes: 64 * 1024 })
      await consumer.assign([{ topic, partition: 0 }])
      const started = performance.now()
      let next = 0
      for await (const message of consumer) {
        expect(message.offset).toBe(BigInt(next))
        expect(message.value!.readUInt32BE(0)).toBe(next)
        if (++next === RECORDS) break
      }
      const elapsedMs = performance.now() - started
      const connection = kafka.cluster.pool.connections().find((c) => c.throttleCount > 0)
      await consumer.close()

      const fetchThrottles = throttles.events.filter((e) => e.apiName === 'Fetch')
      expect(fetchThrottles.length).toBeGreaterThan(0)
      expect(fetchThrottles.every((e) => e.throttleTimeMs > 0 && e.apiKey === 1)).toBe(true)
      expect(fetches.events.filter((e) => e.error)).toEqual([])

      const firstThrottle = fetchThrottles[0]!.at
      const after = fetches.events.filter((e) => e.at > firstThrottle)
      const afterBytes = after.reduce((sum, e) => sum + e.bytes, 0)
      const afterRate = afterBytes / ((performance.now() - firstThrottle) / 1000)
      summary('fetch', {
        quota: QUOTA,
        elapsedMs,
        overallRate: TOTAL_BYTES / (elapsedMs / 1000),
        afterThrottleRate: afterRate,
        afterThrottleBytes: afterBytes,
        throttles: fetchThrottles.length,
        throttledMs: connection?.throttledMs ?? 0,
        maxThrottleMs: Math.max(...fetchThrottles.map((e) => e.throttleTimeMs)),
      })
      expect(afterRate).toBeLessThan(2 * QUOTA)
    } finally {
      throttles.stop()
      fetches.stop()
      await kafka.close()
    }
  }, 90_000)

  it('requests queued on a throttled connection still time out and abort, and go out once the throttle ends', async () => {
    const topic = uniqueName('muted')
    await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    const kafka = new Kafka({ brokers, clientId: mutedId, logger: false })
    const throttles = listen<ThrottleEvent>('samsa:throttle')
    const starts = listen<RequestStartEvent>('samsa:request:start')
    try {
      const producer = kafka.producer({ batchSize: 512 * 1024, lingerMs: 20 })
      const random = seededBytes(3)
      await producer.send({ topic, messages: Array.from({ length: 13 }, () => ({ value: random(16 * 1024) })) })
      const connection = kafka.cluster.pool.connections().find((c) => c.purpose === 'produce')!
      expect(connection.throttleCount).toBeGreaterThan(0)
      const last = throttles.events[throttles.events.length - 1]!
      const mutedUntil = last.at + last.throttleTimeMs
      expect(mutedUntil - performance.now()).toBeGreaterThan(600)

      const apiVersions = { clientSoftwareName: 'samsa', clientSoftwareVersion: '0' }
      const queuedAt = performance.now()
      await expect(connection.send(apis[ApiKeys.ApiVersions], apiVersions, { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError)
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 50)
      await expect(connection.send(apis[ApiKeys.ApiVersions], apiVersions, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
      expect(connection.isClosed).toBe(false)
      expect(performance.now()).toBeLessThan(mutedUntil)

      const answered = await connection.send(apis[ApiKeys.ApiVersions], apiVersions)
      expect(answered.errorCode).toBe(0)
      const sentAt = starts.events.filter((e) => e.apiName === 'ApiVersions' && e.at > queuedAt).map((e) => e.at)
      expect(sentAt).toHaveLength(1) // the timed-out and aborted requests were never written
      expect(sentAt[0]!).toBeGreaterThanOrEqual(mutedUntil - EVENT_SLACK_MS)
      summary('muted', { throttleTimeMs: last.throttleTimeMs, throttles: connection.throttleCount, throttledMs: connection.throttledMs })
      await producer.close()
    } finally {
      throttles.stop()
      starts.stop()
      await kafka.close()
    }
  }, 30_000)
})
