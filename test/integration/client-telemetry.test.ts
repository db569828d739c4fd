/**
 * KIP-714 client metrics push against real brokers. One private broker runs with a client telemetry plugin
 * (test/java/telemetry/TelemetryRecorder.java, compiled here against the broker's own jars and loaded through
 * `metric.reporters`) that writes every push it receives, decoded with the OTLP classes in kafka-clients, as JSON
 * lines. Subscriptions are created through samsa's own admin client (`client-metrics` configs). The run's broker,
 * which has no plugin, shows that such a broker is never asked.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { Kafka } from '../../src/kafka.js'
import { TelemetryDisabledError } from '../../src/errors.js'
import type { Logger } from '../../src/network/instrumentation.js'
import type { MetricSnapshot } from '../../src/network/metrics.js'
import { telemetryMetricName } from '../../src/network/telemetry.js'
import { compileJavaSources } from '../golden/support/java-process.js'
import { kafkaJars } from '../helpers/java-clients.js'
import { type HarnessInstance, startKafka, stopKafka, uniqueInstanceName } from '../helpers/kafka.js'

interface PushedPoint {
  attributes: Record<string, string>
  value: number | string
  startTimeUnixNano: string
  timeUnixNano: string
}

interface PushedMetric {
  name: string
  type: 'sum' | 'gauge' | 'other'
  monotonic?: boolean
  temporality?: string
  points: PushedPoint[]
}

interface Push {
  clientInstanceId: string
  terminating: boolean
  clientId: string
  pushIntervalMs: number
  /** The payload's size as the plugin got it: decompressed by the broker. */
  bytes?: number
  resource?: Record<string, string>
  metrics?: PushedMetric[]
  decodeError?: string
}

const PLUGIN_SOURCE = resolve(__dirname, '../java/telemetry/TelemetryRecorder.java')
const N = 25

function readPushes(file: string): Push[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Push)
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function metricValue(metrics: MetricSnapshot[], group: string, name: string): number {
  const found = metrics.find((m) => m.group === group && m.name === name)
  if (!found) throw new Error(`no ${group} ${name}`)
  return found.value
}

/** The value a series adds up to over pushes: the last one when cumulative, the sum of the deltas otherwise. */
function seriesTotal(pushes: Push[], name: string): number {
  let total = 0
  for (const push of pushes) {
    const metric = push.metrics?.find((m) => m.name === name)
    if (!metric) continue
    const value = Number(metric.points[0]!.value)
    total = metric.temporality === 'AGGREGATION_TEMPORALITY_DELTA' ? total + value : value
  }
  return total
}

function recordingLogger(): Logger & { problems: string[] } {
  const problems: string[] = []
  const noop = (): void => {}
  return {
    problems,
    debug: noop,
    info: noop,
    warn: (_fields, message) => problems.push(`warn: ${message}`),
    error: (_fields, message) => problems.push(`error: ${message}`),
  }
}

describe('KIP-714 client metrics push to a broker with a telemetry plugin', () => {
  let instance: HarnessInstance
  let dir: string
  let pushesFile: string
  let admin: ReturnType<Kafka['admin']>
  let adminKafka: Kafka
  const topic = `telemetry-${process.pid}`

  beforeAll(async () => {
    const { cacheRoot, jars } = kafkaJars()
    const classes = compileJavaSources([PLUGIN_SOURCE], { cacheRoot, jars })
    dir = mkdtempSync(join(tmpdir(), 'samsa-telemetry-'))
    pushesFile = join(dir, 'pushes.jsonl')
    instance = await startKafka({
      name: uniqueInstanceName('telemetry'),
      brokerConfig: { 'metric.reporters': 'TelemetryRecorder', 'samsa.telemetry.file': pushesFile },
      classpath: [classes],
    })
    adminKafka = new Kafka({ brokers: instance.bootstrap, clientId: 'telemetry-admin', logger: false })
    admin = adminKafka.admin({ enableMetricsPush: false })
    await admin.createTopics([{ name: topic, numPartitions: 1 }])
    // The subscriptions exist before any client asks, so its first GetTelemetrySubscriptions already names them.
    const results = await admin.incrementalAlterConfigs([
      {
        type: 'client-metrics',
        name: 'samsa-producers',
        set: {
          metrics: 'org.apache.kafka.producer.record.send.total,org.apache.kafka.producer.topic.record.send,org.apache.kafka.producer.buffer.total.bytes',
          'interval.ms': '1000',
          match: 'client_id=telemetry-producer',
        },
      },
      {
        type: 'client-metrics',
        name: 'samsa-consumers',
        set: { metrics: 'org.apache.kafka.consumer.fetch.manager.records.consumed.total', 'interval.ms': '1000', match: 'client_id=telemetry-consumer' },
      },
      { type: 'client-metrics', name: 'samsa-admins', set: { metrics: '*', 'interval.ms': '1000', match: 'client_id=telemetry-all' } },
      {
        type: 'client-metrics',
        name: 'samsa-share',
        set: { metrics: 'org.apache.kafka.consumer.share.coordinator.heartbeat', 'interval.ms': '1000', match: 'client_id=telemetry-share' },
      },
    ])
    expect(results.map((r) => r.error)).toEqual([null, null, null, null])
    // Altered configs take a moment to apply (metadata propagation); the broker's subscriptions come from the same.
    const applied = async (): Promise<boolean> => {
      const described = await admin.describeConfigs([
        { type: 'client-metrics', name: 'samsa-producers' },
        { type: 'client-metrics', name: 'samsa-consumers' },
        { type: 'client-metrics', name: 'samsa-admins' },
        { type: 'client-metrics', name: 'samsa-share' },
      ])
      return described.every((d) => d.configs.find((c) => c.name === 'interval.ms')?.value === '1000')
    }
    const deadline = Date.now() + 30_000
    while (!(await applied())) {
      if (Date.now() > deadline) throw new Error('the client-metrics subscriptions did not apply within 30 s')
      await new Promise((r) => setTimeout(r, 100))
    }
  }, 300_000)

  afterAll(async () => {
    await admin?.close()
    await adminKafka?.close()
    if (instance) await stopKafka(instance.name)
    // SAMSA_KEEP_TELEMETRY=<file> keeps what the plugin recorded, to look at the pushes themselves.
    if (process.env.SAMSA_KEEP_TELEMETRY && pushesFile && existsSync(pushesFile)) copyFileSync(pushesFile, process.env.SAMSA_KEEP_TELEMETRY)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('pushes only the subscribed producer metrics, with the values metrics() shows, and a terminating push on close', async () => {
    const logger = recordingLogger()
    const pushRequestBytes: number[] = []
    const kafka = new Kafka({
      brokers: instance.bootstrap,
      clientId: 'telemetry-producer',
      logger,
      requestObserver: { requestEnd: (e) => void (e.apiKey === 72 && pushRequestBytes.push(e.bytesOut)), queueSize: () => undefined },
    })
    const producer = kafka.producer({ lingerMs: 0 })
    const id = await producer.clientInstanceId({ timeoutMs: 20_000 })
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    for (let i = 0; i < N; i++) await producer.send({ topic, messages: [{ value: `v${i}` }] })
    expect(metricValue(producer.metrics(), 'producer-metrics', 'record-send-total')).toBe(N)

    const mine = (): Push[] => readPushes(pushesFile).filter((p) => p.clientInstanceId === id)
    await until('a push counting every record', () => (seriesTotal(mine(), 'org.apache.kafka.producer.record.send.total') === N ? true : undefined))
    const pushes = mine()
    expect(pushes.every((p) => p.decodeError === undefined && p.clientId === 'telemetry-producer' && p.pushIntervalMs === 1000)).toBe(true)

    const names = new Set(pushes.flatMap((p) => p.metrics!.map((m) => m.name)))
    expect([...names].sort()).toEqual([
      'org.apache.kafka.producer.buffer.total.bytes',
      'org.apache.kafka.producer.record.send.total',
      'org.apache.kafka.producer.topic.record.send.rate',
      'org.apache.kafka.producer.topic.record.send.total',
    ])
    const last = pushes.at(-1)!
    const sendTotal = last.metrics!.find((m) => m.name === 'org.apache.kafka.producer.record.send.total')!
    // Kafka's brokers ask for delta temporality: each push carries what was added since the one before.
    expect(sendTotal).toMatchObject({ type: 'sum', monotonic: true, temporality: 'AGGREGATION_TEMPORALITY_DELTA' })
    // Compressed with the broker's first accepted codec: a push request is smaller than the payload the plugin got.
    // The largest push is the one to compare: a first push made before any record was sent is a couple of hundred
    // bytes, which compression and the request header make about even. Requests and pushes pair up in order (one
    // producer, one push at a time). The plugin records a push before the broker answers it, so the answer that
    // reports the request's size may still be on its way.
    await until('an answer to a push', () => (pushRequestBytes.length > 0 ? true : undefined))
    expect(pushRequestBytes.length).toBeGreaterThan(0)
    const paired = pushes.slice(0, pushRequestBytes.length)
    const largest = paired.reduce((best, p, i) => (p.bytes! > paired[best]!.bytes! ? i : best), 0)
    expect(paired[largest]!.bytes!).toBeGreaterThan(400)
    expect(pushRequestBytes[largest]!).toBeLessThan(paired[largest]!.bytes!)
    expect(sendTotal.points[0]!.attributes).toEqual({})
    expect(BigInt(sendTotal.points[0]!.startTimeUnixNano)).toBeGreaterThan(0n)
    const topicTotal = last.metrics!.find((m) => m.name === 'org.apache.kafka.producer.topic.record.send.total')!
    expect(topicTotal.points.map((p) => p.attributes)).toEqual([{ topic }])
    const buffer = last.metrics!.find((m) => m.name === 'org.apache.kafka.producer.buffer.total.bytes')!
    expect(buffer).toMatchObject({ type: 'gauge' })
    expect(Number(buffer.points[0]!.value)).toBe(metricValue(producer.metrics(), 'producer-metrics', 'buffer-total-bytes'))

    const before = mine().length
    await producer.close()
    const after = mine()
    expect(after.length).toBeGreaterThan(before)
    expect(after.at(-1)!.terminating).toBe(true)
    expect(after.filter((p) => p.terminating)).toHaveLength(1)
    await kafka.close()
    expect(logger.problems).toEqual([])
  }, 60_000)

  it('pushes the consumer metrics with its own client instance id, and a terminating push on close', async () => {
    const logger = recordingLogger()
    const kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'telemetry-consumer', logger })
    const consumer = kafka.consumer({ groupId: `${topic}-group`, autoOffsetReset: 'earliest' })
    await consumer.subscribe([topic])
    let read = 0
    for await (const _message of consumer) {
      if (++read === N) break
    }
    const id = await consumer.clientInstanceId({ timeoutMs: 20_000 })
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(metricValue(consumer.metrics(), 'consumer-fetch-manager-metrics', 'records-consumed-total')).toBe(N)
    const mine = (): Push[] => readPushes(pushesFile).filter((p) => p.clientInstanceId === id)
    await until('a push counting every record consumed', () =>
      seriesTotal(mine(), 'org.apache.kafka.consumer.fetch.manager.records.consumed.total') === N ? true : undefined,
    )
    const pushes = mine()
    expect(new Set(pushes.flatMap((p) => p.metrics!.map((m) => m.name)))).toEqual(new Set(['org.apache.kafka.consumer.fetch.manager.records.consumed.total']))
    expect(pushes[0]!.resource).toEqual({ group_id: `${topic}-group` })
    await consumer.close()
    expect(mine().at(-1)!.terminating).toBe(true)
    await kafka.close()
    expect(logger.problems).toEqual([])
  }, 60_000)

  it('pushes every admin metric, under Java telemetry names, when the subscription asks for all (`*`)', async () => {
    const kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'telemetry-all', logger: false })
    const all = kafka.admin()
    const id = await all.clientInstanceId({ timeoutMs: 20_000 })
    await all.listTopics()
    const mine = (): Push[] => readPushes(pushesFile).filter((p) => p.clientInstanceId === id)
    const push = await until('an admin push', () => mine()[0])
    const expected = new Set(all.metrics().map((m) => telemetryMetricName(m.group, m.name)))
    expect(new Set(push.metrics!.map((m) => m.name))).toEqual(expected)
    expect(expected.has('org.apache.kafka.admin.client.request.total')).toBe(true)
    const requests = push.metrics!.find((m) => m.name === 'org.apache.kafka.admin.client.request.total')!
    expect(requests).toMatchObject({ type: 'sum', monotonic: true })
    expect(Number(requests.points[0]!.value)).toBeGreaterThan(0)
    expect(push.metrics!.find((m) => m.name === 'org.apache.kafka.admin.client.connection.count')).toMatchObject({ type: 'gauge' })
    await all.close()
    expect(mine().at(-1)!.terminating).toBe(true)
    await kafka.close()
  })

  it('pushes the share consumer metrics, with its group on the resource', async () => {
    const kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'telemetry-share', logger: false })
    const share = kafka.shareConsumer({ groupId: `${topic}-share` })
    await share.subscribe([topic])
    const id = await share.clientInstanceId({ timeoutMs: 20_000 })
    const mine = (): Push[] => readPushes(pushesFile).filter((p) => p.clientInstanceId === id)
    const push = await until('a share consumer push', () => mine()[0])
    expect(push.resource).toEqual({ group_id: `${topic}-share` })
    expect(push.metrics!.map((m) => m.name).sort()).toEqual([
      'org.apache.kafka.consumer.share.coordinator.heartbeat.rate',
      'org.apache.kafka.consumer.share.coordinator.heartbeat.response.time.max',
      'org.apache.kafka.consumer.share.coordinator.heartbeat.total',
    ])
    expect(push.metrics!.find((m) => m.name.endsWith('heartbeat.total'))).toMatchObject({ type: 'sum', monotonic: true })
    await until('heartbeats counted', () => (seriesTotal(mine(), 'org.apache.kafka.consumer.share.coordinator.heartbeat.total') > 0 ? true : undefined))
    await share.close()
    expect(mine().at(-1)!.terminating).toBe(true)
    await kafka.close()
  })

  it('gives an admin client an id but pushes nothing when no subscription matches it', async () => {
    const kafka = new Kafka({ brokers: instance.bootstrap, clientId: 'telemetry-unmatched', logger: false })
    const other = kafka.admin()
    const id = await other.clientInstanceId({ timeoutMs: 20_000 })
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    await other.listTopics()
    await other.close()
    expect(readPushes(pushesFile).filter((p) => p.clientInstanceId === id)).toEqual([])
    await kafka.close()
  })

  it('rejects clientInstanceId() with TelemetryDisabledError when push is disabled', async () => {
    await expect(admin.clientInstanceId()).rejects.toBeInstanceOf(TelemetryDisabledError)
  })
})

describe('KIP-714 against a broker without a telemetry plugin', () => {
  it('sends no telemetry request, logs nothing, and has no client instance id', async () => {
    const apiKeys: number[] = []
    const logger = recordingLogger()
    const kafka = new Kafka({
      brokers: process.env.KAFKA_BROKERS!,
      clientId: 'telemetry-plain',
      logger,
      requestObserver: { requestEnd: (event) => apiKeys.push(event.apiKey), queueSize: () => undefined },
    })
    const producer = kafka.producer()
    const consumer = kafka.consumer({ groupId: `telemetry-plain-${process.pid}` })
    const admin = kafka.admin()
    const topic = `telemetry-plain-${process.pid}`
    await admin.createTopics([{ name: topic, numPartitions: 1 }])
    await producer.send({ topic, messages: [{ value: 'x' }] })
    expect(await producer.clientInstanceId({ timeoutMs: 10_000 })).toBeNull()
    expect(await consumer.clientInstanceId({ timeoutMs: 10_000 })).toBeNull()
    expect(await admin.clientInstanceId({ timeoutMs: 10_000 })).toBeNull()
    await producer.close()
    await consumer.close()
    await admin.close()
    await kafka.close()
    expect(apiKeys.length).toBeGreaterThan(0)
    expect(apiKeys.filter((k) => k === 71 || k === 72)).toEqual([])
    expect(logger.problems).toEqual([])
  })
})
