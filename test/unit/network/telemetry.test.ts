/**
 * KIP-714 telemetry without a broker: the OTLP writer decoded back by a protobuf reader written here from the
 * opentelemetry-proto field numbers, Java's metric naming, subscription matching, the first push's jitter, the
 * compression choice, and the loop's transitions on every answer the KIP names, in virtual time (ManualClock)
 * against a scripted connection. The real broker's side is test/integration/client-telemetry.test.ts.
 */
import { createServer } from 'node:net'

import { ManualClock } from '../../../src/network/clock.js'
import { silentLogger } from '../../../src/network/instrumentation.js'
import type { MetricPoint } from '../../../src/network/metrics.js'
import { encodeMetricsData } from '../../../src/network/otlp.js'
import {
  chooseCompression,
  ClientTelemetry,
  firstPushDelayMs,
  metricSelector,
  type TelemetryConnection,
  telemetryAttributes,
  telemetryErrorAction,
  telemetryMetricName,
} from '../../../src/network/telemetry.js'
import { ConnectionError } from '../../../src/errors.js'
import { ErrorCodes } from '../../../src/protocol/index.js'
import { compressionAvailable, decompressSync } from '../../../src/records/compression.js'
import { Kafka } from '../../../src/kafka.js'

// ---- a protobuf reader for the test: fields by number, nested messages decoded on demand ----

type Field = { number: number; wire: number; varint?: bigint; fixed?: Buffer; bytes?: Buffer }

function fields(buf: Buffer): Field[] {
  const out: Field[] = []
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const b = buf[at++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
    }
  }
  while (at < buf.length) {
    const tag = Number(varint())
    const number = tag >> 3
    const wire = tag & 7
    if (wire === 0) out.push({ number, wire, varint: varint() })
    else if (wire === 1) {
      out.push({ number, wire, fixed: buf.subarray(at, at + 8) })
      at += 8
    } else if (wire === 2) {
      const length = Number(varint())
      out.push({ number, wire, bytes: buf.subarray(at, at + length) })
      at += length
    } else throw new Error(`unexpected wire type ${wire}`)
  }
  return out
}

const all = (buf: Buffer, n: number): Buffer[] => fields(buf).filter((f) => f.number === n).map((f) => f.bytes!)
const one = (buf: Buffer, n: number): Field | undefined => fields(buf).find((f) => f.number === n)
const str = (buf: Buffer, n: number): string | undefined => one(buf, n)?.bytes?.toString('utf8')

function attributes(buf: Buffer, n: number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of all(buf, n)) out[str(kv, 1)!] = str(one(kv, 2)!.bytes!, 1)!
  return out
}

interface DecodedPoint {
  attributes: Record<string, string>
  start?: bigint
  time: bigint
  value: number
}
interface DecodedMetric {
  name: string
  description?: string
  kind: 'sum' | 'gauge'
  temporality?: number
  monotonic?: boolean
  points: DecodedPoint[]
}

function decodePoint(p: Buffer): DecodedPoint {
  return {
    attributes: attributes(p, 7),
    start: one(p, 2)?.fixed?.readBigUInt64LE(),
    time: one(p, 3)!.fixed!.readBigUInt64LE(),
    value: one(p, 4)!.fixed!.readDoubleLE(),
  }
}

function decodeMetricsData(buf: Buffer): { resource: Record<string, string>; metrics: DecodedMetric[] } {
  const [rm] = all(buf, 1)
  const resource = attributes(one(rm!, 1)!.bytes!, 1)
  const metrics: DecodedMetric[] = []
  for (const sm of all(rm!, 2)) {
    for (const m of all(sm, 2)) {
      const sum = one(m, 7)?.bytes
      const gauge = one(m, 5)?.bytes
      metrics.push({
        name: str(m, 1)!,
        description: str(m, 2),
        kind: sum ? 'sum' : 'gauge',
        temporality: sum ? Number(one(sum, 2)?.varint ?? 0n) : undefined,
        monotonic: sum ? one(sum, 3)?.varint === 1n : undefined,
        points: all(sum ?? gauge!, 1).map(decodePoint),
      })
    }
  }
  return { resource, metrics }
}

// ---- a scripted connection ----

interface Sent {
  apiKey: number
  body: Record<string, unknown>
  at: number
}

type Answer = Record<string, unknown> | Error | 'never'

function scriptedBroker(clock: ManualClock, options: { supports?: boolean } = {}) {
  const sent: Sent[] = []
  const answers: Record<number, Answer[]> = { 71: [], 72: [] }
  const fallback: Record<number, Answer> = {
    71: subscription({}),
    72: { errorCode: 0, throttleTimeMs: 0 },
  }
  const connection: TelemetryConnection = {
    versions: { get: (apiKey: number) => (options.supports === false && (apiKey === 71 || apiKey === 72) ? null : 0) },
    send: ((api: { apiKey: number }, body: Record<string, unknown>) => {
      sent.push({ apiKey: api.apiKey, body, at: clock.now() })
      const answer = answers[api.apiKey]!.shift() ?? fallback[api.apiKey]!
      if (answer === 'never') return new Promise(() => undefined)
      if (answer instanceof Error) return Promise.reject(answer)
      return Promise.resolve({ ...answer })
    }) as TelemetryConnection['send'],
  }
  return { sent, answers, fallback, connection }
}

const ID = 'dGVsZW1ldHJ5LWNsaWVudA' // 22 base64url characters

function subscription(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    errorCode: 0,
    throttleTimeMs: 0,
    clientInstanceId: ID,
    subscriptionId: 7,
    acceptedCompressionTypes: [],
    pushIntervalMs: 1000,
    telemetryMaxBytes: 1 << 20,
    deltaTemporality: false,
    requestedMetrics: ['*'],
    ...overrides,
  }
}

function point(name: string, value: number, monotonic: boolean, tags: Record<string, string> = {}): MetricPoint {
  return { name, group: 'producer-metrics', description: `${name} described`, tags: { 'client-id': 'c', ...tags }, value, monotonic }
}

function setup(options: { supports?: boolean; random?: number } = {}) {
  const clock = new ManualClock(1_000_000)
  const broker = scriptedBroker(clock, options)
  const values = { sent: 0, buffer: 100 }
  const telemetry = new ClientTelemetry({
    clock,
    logger: silentLogger,
    connection: () => Promise.resolve(broker.connection),
    metrics: () => [point('record-send-total', values.sent, true), point('buffer-total-bytes', values.buffer, false)],
    resource: () => ({ transactional_id: 'tx' }),
    random: () => options.random ?? 0.5,
    requestTimeoutMs: 5000,
  })
  return { clock, broker, values, telemetry }
}

const pushes = (sent: Sent[]) => sent.filter((s) => s.apiKey === 72)
const gets = (sent: Sent[]) => sent.filter((s) => s.apiKey === 71)

describe('OTLP MetricsData writer', () => {
  it('writes what a protobuf reader built from the .proto field numbers reads back', () => {
    const encoded = encodeMetricsData({
      resource: { group_id: 'billing', client_rack: 'r1' },
      scope: { name: 'samsa', version: '1' },
      metrics: [
        { name: 'a.total', description: 'A total', sum: { temporality: 2, monotonic: true }, points: [{ attributes: { topic: 't' }, startTimeMs: 1000, timeMs: 2000, value: 42 }] },
        {
          name: 'b.avg',
          points: [
            { attributes: {}, timeMs: 3000, value: 0 },
            { attributes: { node_id: '1', topic: 'ü' }, timeMs: 3000, value: -1.5 },
          ],
        },
      ],
    })
    const decoded = decodeMetricsData(encoded)
    expect(decoded.resource).toEqual({ group_id: 'billing', client_rack: 'r1' })
    expect(decoded.metrics).toEqual([
      {
        name: 'a.total',
        description: 'A total',
        kind: 'sum',
        temporality: 2,
        monotonic: true,
        points: [{ attributes: { topic: 't' }, start: 1_000_000_000n, time: 2_000_000_000n, value: 42 }],
      },
      {
        name: 'b.avg',
        description: undefined,
        kind: 'gauge',
        temporality: undefined,
        monotonic: undefined,
        points: [
          { attributes: {}, start: undefined, time: 3_000_000_000n, value: 0 },
          { attributes: { node_id: '1', topic: 'ü' }, start: undefined, time: 3_000_000_000n, value: -1.5 },
        ],
      },
    ])
    // InstrumentationScope { name = 1; version = 2 } inside ScopeMetrics.scope = 1
    const scope = one(all(all(encoded, 1)[0]!, 2)[0]!, 1)!.bytes!
    expect([str(scope, 1), str(scope, 2)]).toEqual(['samsa', '1'])
  })

  it('writes NaN values (an average with no events), as Java does', () => {
    const decoded = decodeMetricsData(encodeMetricsData({ resource: {}, metrics: [{ name: 'x', points: [{ attributes: {}, timeMs: 1, value: NaN }] }] }))
    expect(decoded.metrics[0]!.points[0]!.value).toBeNaN()
  })
})

describe('telemetry naming and matching', () => {
  it.each([
    ['producer-metrics', 'record-send-total', 'org.apache.kafka.producer.record.send.total'],
    ['producer-topic-metrics', 'byte-rate', 'org.apache.kafka.producer.topic.byte.rate'],
    ['producer-node-metrics', 'request-latency-avg', 'org.apache.kafka.producer.node.request.latency.avg'],
    ['consumer-fetch-manager-metrics', 'records-lag-max', 'org.apache.kafka.consumer.fetch.manager.records.lag.max'],
    ['consumer-coordinator-metrics', 'rebalance-total', 'org.apache.kafka.consumer.coordinator.rebalance.total'],
    ['consumer-metrics', 'connection-count', 'org.apache.kafka.consumer.connection.count'],
    ['admin-client-metrics', 'request-total', 'org.apache.kafka.admin.client.request.total'],
  ])('%s / %s → %s (Java TelemetryMetricNamingConvention)', (group, name, expected) => {
    expect(telemetryMetricName(group, name)).toBe(expected)
  })

  it('turns tag keys into attribute keys and leaves client-id to the broker', () => {
    expect(telemetryAttributes({ 'client-id': 'c', 'node-id': '1', topic: 'orders', partition: '0' })).toEqual({ node_id: '1', topic: 'orders', partition: '0' })
  })

  it('matches requested metrics: none, all (`*` or the empty prefix), or by prefix', () => {
    const name = 'org.apache.kafka.producer.record.send.total'
    expect(metricSelector([])(name)).toBe(false)
    expect(metricSelector(['*'])(name)).toBe(true)
    expect(metricSelector([''])(name)).toBe(true)
    expect(metricSelector(['org.apache.kafka.consumer.', 'org.apache.kafka.producer.record'])(name)).toBe(true)
    expect(metricSelector(['org.apache.kafka.producer.record.send.rate'])(name)).toBe(false)
  })

  it('jitters the first push between 0.5 and 1.5 push intervals', () => {
    expect(firstPushDelayMs(1000, () => 0)).toBe(500)
    expect(firstPushDelayMs(1000, () => 0.5)).toBe(1000)
    expect(firstPushDelayMs(1000, () => 0.999)).toBe(1499)
  })

  it('compresses with the first accepted codec this process can write', () => {
    expect(chooseCompression([])).toBe('none')
    expect(chooseCompression([0])).toBe('none')
    expect(chooseCompression([9, 1])).toBe('gzip')
    expect(chooseCompression([1, 3])).toBe('gzip')
    expect(chooseCompression([1, 3], new Set([1]))).toBe(compressionAvailable('lz4') ? 'lz4' : 'none')
  })

  it('maps every error the KIP names to stop or resubscribe', () => {
    expect(telemetryErrorAction(ErrorCodes.INVALID_RECORD, 1000).kind).toBe('stop')
    expect(telemetryErrorAction(ErrorCodes.INVALID_REQUEST, 1000).kind).toBe('stop')
    expect(telemetryErrorAction(ErrorCodes.UNSUPPORTED_VERSION, 1000).kind).toBe('stop')
    expect(telemetryErrorAction(ErrorCodes.UNKNOWN_SUBSCRIPTION_ID, 1000)).toEqual({ kind: 'resubscribe', delayMs: 0 })
    expect(telemetryErrorAction(ErrorCodes.UNSUPPORTED_COMPRESSION_TYPE, 1000)).toEqual({ kind: 'resubscribe', delayMs: 0 })
    expect(telemetryErrorAction(ErrorCodes.TELEMETRY_TOO_LARGE, 1000)).toEqual({ kind: 'resubscribe', delayMs: 1000 })
    expect(telemetryErrorAction(ErrorCodes.THROTTLING_QUOTA_EXCEEDED, null)).toEqual({ kind: 'resubscribe', delayMs: 300_000 })
    expect(telemetryErrorAction(ErrorCodes.UNKNOWN_SERVER_ERROR, 1000).kind).toBe('stop')
  })
})

describe('ClientTelemetry loop (virtual time)', () => {
  it('asks with the zero id, takes the assigned one, and pushes first after the jittered interval, then every interval', async () => {
    const { clock, broker, telemetry } = setup({ random: 0 })
    const id = telemetry.clientInstanceId()
    telemetry.start()
    await clock.advance(0)
    expect(gets(broker.sent)[0]!.body.clientInstanceId).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    await expect(id).resolves.toBe(ID)
    expect(telemetry.state).toBe('push-needed')
    await clock.advance(499)
    expect(pushes(broker.sent)).toHaveLength(0)
    await clock.advance(1)
    expect(pushes(broker.sent).map((p) => p.at - 1_000_000)).toEqual([500])
    await clock.advance(2000)
    expect(pushes(broker.sent).map((p) => p.at - 1_000_000)).toEqual([500, 1500, 2500])
    expect(pushes(broker.sent)[0]!.body).toMatchObject({ clientInstanceId: ID, subscriptionId: 7, terminating: false, compressionType: 0 })
    expect(gets(broker.sent)).toHaveLength(1)
  })

  it('pushes cumulative sums from the client start, gauges as they are, and the resource', async () => {
    const { clock, broker, telemetry, values } = setup()
    telemetry.start()
    values.sent = 10
    await clock.advance(1000)
    values.sent = 25
    await clock.advance(1000)
    const [first, second] = pushes(broker.sent).map((p) => decodeMetricsData(p.body.metrics as Buffer))
    expect(first!.resource).toEqual({ transactional_id: 'tx' })
    const total = (d: typeof first) => d!.metrics.find((m) => m.name === 'org.apache.kafka.producer.record.send.total')!
    expect(total(first)).toMatchObject({ kind: 'sum', temporality: 2, monotonic: true, description: 'record-send-total described' })
    expect(total(first).points).toEqual([{ attributes: {}, start: 1_000_000_000_000n, time: 1_001_000_000_000n, value: 10 }])
    expect(total(second).points).toEqual([{ attributes: {}, start: 1_000_000_000_000n, time: 1_002_000_000_000n, value: 25 }])
    const gauge = first!.metrics.find((m) => m.name === 'org.apache.kafka.producer.buffer.total.bytes')!
    expect(gauge).toMatchObject({ kind: 'gauge', points: [{ attributes: {}, start: undefined, value: 100 }] })
  })

  it('pushes deltas since the last push when the subscription asks for delta temporality', async () => {
    const { clock, broker, telemetry, values } = setup()
    broker.fallback[71] = subscription({ deltaTemporality: true, requestedMetrics: ['org.apache.kafka.producer.record'] })
    telemetry.start()
    values.sent = 10
    await clock.advance(1000)
    values.sent = 25
    await clock.advance(1000)
    const decoded = pushes(broker.sent).map((p) => decodeMetricsData(p.body.metrics as Buffer))
    expect(decoded.map((d) => d.metrics.map((m) => m.name))).toEqual([['org.apache.kafka.producer.record.send.total'], ['org.apache.kafka.producer.record.send.total']])
    expect(decoded.map((d) => d.metrics[0]!.temporality)).toEqual([1, 1])
    expect(decoded.map((d) => d.metrics[0]!.points[0])).toEqual([
      { attributes: {}, start: 1_000_000_000_000n, time: 1_001_000_000_000n, value: 10 },
      { attributes: {}, start: 1_001_000_000_000n, time: 1_002_000_000_000n, value: 15 },
    ])
  })

  it('compresses with the first accepted codec and drops it after UNSUPPORTED_COMPRESSION_TYPE, asking again at once', async () => {
    const { clock, broker, telemetry } = setup()
    broker.fallback[71] = subscription({ acceptedCompressionTypes: [1] })
    broker.answers[72]!.push({ errorCode: ErrorCodes.UNSUPPORTED_COMPRESSION_TYPE })
    telemetry.start()
    await clock.advance(1000)
    const [first] = pushes(broker.sent)
    expect(first!.body.compressionType).toBe(1)
    const plain = decompressSync('gzip', first!.body.metrics as Buffer, { at: 0, maxDecompressedBytes: 1 << 20 })
    expect(decodeMetricsData(plain).metrics.length).toBe(2)
    expect(gets(broker.sent).map((g) => g.at - 1_000_000)).toEqual([0, 1000])
    expect(gets(broker.sent)[1]!.body.clientInstanceId).toBe(ID)
    await clock.advance(1000)
    expect(pushes(broker.sent)[1]!.body.compressionType).toBe(0)
  })

  it('asks again at once after UNKNOWN_SUBSCRIPTION_ID and pushes under the new subscription', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[72]!.push({ errorCode: ErrorCodes.UNKNOWN_SUBSCRIPTION_ID })
    broker.answers[71]!.push(subscription({}), subscription({ subscriptionId: 8 }))
    telemetry.start()
    await clock.advance(1000)
    expect(gets(broker.sent)).toHaveLength(2)
    await clock.advance(1000)
    expect(pushes(broker.sent).map((p) => p.body.subscriptionId)).toEqual([7, 8])
  })

  it.each([ErrorCodes.TELEMETRY_TOO_LARGE, ErrorCodes.THROTTLING_QUOTA_EXCEEDED])('waits one push interval after error %i, then asks again', async (code) => {
    const { clock, broker, telemetry } = setup()
    broker.answers[72]!.push({ errorCode: code })
    telemetry.start()
    await clock.advance(1000)
    expect(telemetry.state).toBe('subscription-needed')
    await clock.advance(999)
    expect(gets(broker.sent)).toHaveLength(1)
    await clock.advance(1)
    expect(gets(broker.sent)).toHaveLength(2)
    expect(telemetry.state).toBe('push-needed')
  })

  it.each([ErrorCodes.INVALID_RECORD, ErrorCodes.INVALID_REQUEST, ErrorCodes.UNSUPPORTED_VERSION])('stops for good after error %i', async (code) => {
    const { clock, broker, telemetry } = setup()
    broker.answers[72]!.push({ errorCode: code })
    telemetry.start()
    await clock.advance(1000)
    expect(telemetry.state).toBe('terminated')
    await clock.advance(3_600_000)
    expect(broker.sent).toHaveLength(2)
    await telemetry.close()
    expect(broker.sent).toHaveLength(2)
  })

  it('stops when GetTelemetrySubscriptions itself answers an error it cannot retry', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[71]!.push(subscription({ errorCode: ErrorCodes.INVALID_REQUEST }))
    const id = telemetry.clientInstanceId()
    telemetry.start()
    await clock.advance(0)
    expect(telemetry.state).toBe('terminated')
    await expect(id).resolves.toBeNull()
  })

  it('never pushes when nothing is subscribed, and asks again after the push interval', async () => {
    const { clock, broker, telemetry } = setup()
    broker.fallback[71] = subscription({ requestedMetrics: [], pushIntervalMs: 5000 })
    telemetry.start()
    await clock.advance(12_000)
    expect(pushes(broker.sent)).toHaveLength(0)
    expect(gets(broker.sent).map((g) => g.at - 1_000_000)).toEqual([0, 5000, 10_000])
    await telemetry.close()
    expect(pushes(broker.sent)).toHaveLength(0)
  })

  it('uses Java’s default interval when the broker sends a nonsense one', async () => {
    const { clock, broker, telemetry } = setup()
    broker.fallback[71] = subscription({ pushIntervalMs: 0 })
    telemetry.start()
    await clock.advance(299_999)
    expect(pushes(broker.sent)).toHaveLength(0)
    await clock.advance(1)
    expect(pushes(broker.sent)).toHaveLength(1)
  })

  it('asks again after the push interval when a request fails on the wire', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[72]!.push(new ConnectionError('connection lost'))
    telemetry.start()
    await clock.advance(1000)
    expect(telemetry.state).toBe('subscription-needed')
    await clock.advance(1000)
    expect(gets(broker.sent)).toHaveLength(2)
  })

  it('stops when the client is closed under it (a connection error that is not retriable)', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[72]!.push(new ConnectionError('The client is closed', { retriable: false }))
    telemetry.start()
    await clock.advance(1000)
    expect(telemetry.state).toBe('terminated')
    await clock.advance(600_000)
    expect(broker.sent).toHaveLength(2)
  })

  it('does nothing with a broker that does not offer the APIs, and has no id', async () => {
    const { clock, broker, telemetry } = setup({ supports: false })
    const id = telemetry.clientInstanceId()
    telemetry.start()
    await clock.advance(600_000)
    expect(broker.sent).toEqual([])
    expect(telemetry.state).toBe('terminated')
    await expect(id).resolves.toBeNull()
    await expect(telemetry.clientInstanceId()).resolves.toBeNull()
  })

  it('sends one terminating push on close, and nothing after', async () => {
    const { clock, broker, telemetry, values } = setup()
    telemetry.start()
    await clock.advance(1000)
    values.sent = 3
    await telemetry.close({ timeoutMs: 1000 })
    const last = pushes(broker.sent).at(-1)!
    expect(last.body.terminating).toBe(true)
    expect(decodeMetricsData(last.body.metrics as Buffer).metrics.find((m) => m.name.endsWith('record.send.total'))!.points[0]!.value).toBe(3)
    expect(telemetry.state).toBe('terminated')
    await clock.advance(10_000)
    expect(pushes(broker.sent)).toHaveLength(2)
  })

  it('bounds the terminating push by the close timeout', async () => {
    const { clock, broker, telemetry } = setup()
    telemetry.start()
    await clock.advance(1000)
    broker.answers[72]!.push('never')
    const closing = telemetry.close({ timeoutMs: 2000 })
    let done = false
    void closing.then(() => (done = true))
    await clock.advance(1999)
    expect(done).toBe(false)
    await clock.advance(1)
    expect(done).toBe(true)
    expect(telemetry.state).toBe('terminated')
  })

  it('sends no terminating push before it has a subscription, and closes at once', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[71]!.push('never')
    telemetry.start()
    await clock.advance(0)
    await telemetry.close({ timeoutMs: 30_000 })
    expect(pushes(broker.sent)).toHaveLength(0)
    expect(telemetry.state).toBe('terminated')
  })

  it('times out clientInstanceId() when no answer comes', async () => {
    const { clock, broker, telemetry } = setup()
    broker.answers[71]!.push('never')
    telemetry.start()
    const id = telemetry.clientInstanceId({ timeoutMs: 100 })
    const outcome = id.catch((error: unknown) => error)
    await clock.advance(100)
    expect(await outcome).toMatchObject({ name: 'TimeoutError' })
  })
})

describe('clients and connections', () => {
  it('telemetry never opens a connection by itself: idle clients stay unconnected', async () => {
    let accepted = 0
    const server = createServer((socket) => {
      accepted++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logger: false })
    const producer = kafka.producer()
    const consumer = kafka.consumer({ groupId: 'idle' })
    const admin = kafka.admin()
    const share = kafka.shareConsumer({ groupId: 'idle-share' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await producer.close()
    await consumer.close()
    await admin.close()
    await share.close()
    await kafka.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    expect(accepted).toBe(0)
  })

  it('clientInstanceId() rejects with TelemetryDisabledError when enableMetricsPush is false', async () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logger: false })
    const producer = kafka.producer({ enableMetricsPush: false })
    const consumer = kafka.consumer({ enableMetricsPush: false })
    const admin = kafka.admin({ enableMetricsPush: false })
    const share = kafka.shareConsumer({ groupId: 'off', enableMetricsPush: false })
    for (const client of [producer, consumer, admin, share]) await expect(client.clientInstanceId()).rejects.toMatchObject({ name: 'TelemetryDisabledError' })
    await producer.close()
    await consumer.close()
    await admin.close()
    await share.close()
    await kafka.close()
  })
})
