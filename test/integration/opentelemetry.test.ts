/**
 * samsa/opentelemetry against the real broker with a real OpenTelemetry SDK: a record sent inside an application
 * span and consumed by a group member gives a `send` span (PRODUCER) and a `process` span (CONSUMER) in one trace —
 * the process span is the child of the send span's context found in the record's headers, and links to it, as the
 * messaging conventions allow for a single message — with the conventions' attributes; a send the broker refuses
 * gives an error span; and the raw tracing channels carry what a tracer needs.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Kafka } from '../../src/kafka.js'
import { Kafka as KafkaJSFacade, logLevel } from '../../src/kafkajs/index.js'
import type { ConsumerFetchContext, ConsumerProcessContext, ProducerSendContext, RequestTraceContext } from '../../src/network/instrumentation.js'
import { SamsaInstrumentation } from '../../src/opentelemetry/index.js'

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const contextManager = new AsyncLocalStorageContextManager()
const instrumentation = new SamsaInstrumentation({ enabled: false })
let unregister: () => void = () => {}

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  unregister = registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: provider })
})

afterAll(async () => {
  unregister()
  await provider.shutdown()
  context.disable()
  propagation.disable()
  trace.disable()
})

beforeEach(() => exporter.reset())

async function until<T>(find: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error('not seen in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const header = (headers: Array<[string, Buffer | null]>, name: string): string | undefined => headers.find((h) => h[0] === name)?.[1]?.toString()

describe('samsa/opentelemetry', () => {
  const clientId = `otel-${process.pid}`
  let kafka: Kafka
  beforeAll(() => {
    kafka = new Kafka({ brokers, clientId, logger: false })
  })
  afterAll(() => kafka.close())

  it.each(['iterator', 'eachMessage'] as const)('puts the send and process spans of one record in one trace (%s)', async (style) => {
    const topic = `otel-${style}-${process.pid}-${Date.now()}`
    const groupId = `${topic}-group`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 2 }])
    await admin.close()

    const producer = kafka.producer({ keySerializer: 'string', valueSerializer: 'string' })
    const app = provider.getTracer('test-app')
    const outer = app.startSpan('place-order')
    const sent = await context.with(trace.setSpan(context.active(), outer), () =>
      producer.send({ topic, messages: [{ key: 'order-7', value: 'hello', partition: 1, headers: { source: 'web' } }] }),
    )
    outer.end()
    await producer.close()

    const consumer = kafka.consumer({ groupId, autoOffsetReset: 'earliest', keyDeserializer: 'string', valueDeserializer: 'string' })
    await consumer.subscribe([topic])
    let consumedHeaders: Array<[string, Buffer | null]> = []
    let activeInHandler: string | undefined
    let childOfProcess: ReadableSpan | undefined
    let handed: object | undefined
    if (style === 'iterator') {
      for await (const message of consumer) {
        consumedHeaders = message.headers
        handed = message
        // The loop body is not run by samsa: the process span is found by the message.
        await context.with(instrumentation.contextOf(message)!, async () => {
          await new Promise((resolve) => setImmediate(resolve))
          activeInHandler = trace.getActiveSpan()?.spanContext().spanId
          const child = app.startSpan('handle')
          child.end()
          childOfProcess = child as unknown as ReadableSpan
        })
        break
      }
      // Left the loop: the span ended, and the message no longer leads to it.
      expect(instrumentation.contextOf(handed!)).toBeUndefined()
    } else {
      const stop = new AbortController()
      await consumer.run({
        signal: stop.signal,
        eachMessage: async ({ message }) => {
          consumedHeaders = message.headers
          // The process span is the active one while the handler runs, across its awaits.
          await new Promise((resolve) => setImmediate(resolve))
          activeInHandler = trace.getActiveSpan()?.spanContext().spanId
          stop.abort()
        },
      })
    }
    await consumer.close()

    const spans = exporter.getFinishedSpans()
    const send = spans.find((s) => s.name === `send ${topic}`)!
    const processSpan = await until(() => exporter.getFinishedSpans().find((s) => s.name === `process ${topic}`))
    expect(send).toBeDefined()

    // The send span is the child of the span active around send(), and its context travelled in the headers.
    expect(send.kind).toBe(SpanKind.PRODUCER)
    expect(send.spanContext().traceId).toBe(outer.spanContext().traceId)
    expect(send.parentSpanContext?.spanId).toBe(outer.spanContext().spanId)
    expect(header(consumedHeaders, 'traceparent')).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
    expect(header(consumedHeaders, 'source')).toBe('web')
    expect(send.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '1',
      'messaging.client.id': clientId,
      'messaging.kafka.message.key': 'order-7',
      'messaging.kafka.offset': Number(sent[0]!.offset),
    })
    expect(send.status.code).toBe(SpanStatusCode.UNSET)

    // One trace: the process span is the send span's child (a single message) and links to it.
    expect(processSpan.kind).toBe(SpanKind.CONSUMER)
    expect(processSpan.spanContext().traceId).toBe(send.spanContext().traceId)
    expect(processSpan.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
    expect(processSpan.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId])
    expect(processSpan.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '1',
      'messaging.client.id': clientId,
      'messaging.consumer.group.name': groupId,
      'messaging.kafka.message.key': 'order-7',
      'messaging.kafka.offset': Number(sent[0]!.offset),
    })
    expect(activeInHandler).toBe(processSpan.spanContext().spanId)
    if (style === 'iterator') expect(childOfProcess!.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId)
    // Process spans start when the message is handed out, after the send was acknowledged.
    expect(processSpan.startTime[0] * 1e9 + processSpan.startTime[1]).toBeGreaterThanOrEqual(send.endTime[0] * 1e9 + send.endTime[1])
  })

  it('a share consumer: the process span of a record is the child of its send span, with the share group as consumer group', async () => {
    const topic = `otel-share-${process.pid}-${Date.now()}`
    const groupId = `${topic}-group`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 1 }])
    const [configured] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.auto.offset.reset': 'earliest' } }])
    expect(configured!.error).toBeNull()
    await admin.close()
    const producer = kafka.producer({ keySerializer: 'string', valueSerializer: 'string' })
    const [sent] = await producer.send({ topic, messages: [{ key: 'job-1', value: 'work' }] })
    await producer.close()

    const consumer = kafka.shareConsumer({ groupId, keyDeserializer: 'string', valueDeserializer: 'string' })
    await consumer.subscribe([topic])
    let handed: object | undefined
    for await (const message of consumer) {
      handed = message
      expect(instrumentation.contextOf(message)).toBeDefined()
      break
    }
    expect(instrumentation.contextOf(handed!)).toBeUndefined()
    await consumer.close()

    const send = exporter.getFinishedSpans().find((s) => s.name === `send ${topic}`)!
    const processSpan = await until(() => exporter.getFinishedSpans().find((s) => s.name === `process ${topic}`))
    expect(processSpan.kind).toBe(SpanKind.CONSUMER)
    expect(processSpan.spanContext().traceId).toBe(send.spanContext().traceId)
    expect(processSpan.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
    expect(processSpan.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId])
    expect(processSpan.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.kafka.message.key': 'job-1',
      'messaging.kafka.offset': Number(sent!.offset),
    })
  })

  it('links without parenting with processSpanParentFromMessage: false', async () => {
    const topic = `otel-link-only-${process.pid}-${Date.now()}`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 1 }])
    await admin.close()
    const producer = kafka.producer()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    await producer.close()
    instrumentation.setConfig({ processSpanParentFromMessage: false })
    try {
      const consumer = kafka.consumer({ groupId: `${topic}-group`, autoOffsetReset: 'earliest' })
      await consumer.subscribe([topic])
      const loop = provider.getTracer('test-app').startSpan('consume loop')
      await context.with(trace.setSpan(context.active(), loop), async () => {
        for await (const _ of consumer) break
      })
      loop.end()
      await consumer.close()
      const send = exporter.getFinishedSpans().find((s) => s.name === `send ${topic}`)!
      const processSpan = exporter.getFinishedSpans().find((s) => s.name === `process ${topic}`)!
      // The parent is the context active where the message was handed out; the producer is reached by the link.
      expect(processSpan.parentSpanContext?.spanId).toBe(loop.spanContext().spanId)
      expect(processSpan.spanContext().traceId).toBe(loop.spanContext().traceId)
      expect(processSpan.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId])
    } finally {
      instrumentation.setConfig({})
    }
  })

  it('marks a send the broker refuses as an error span', async () => {
    const topic = `otel-too-large-${process.pid}-${Date.now()}`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 1, configs: { 'max.message.bytes': '1000' } }])
    await admin.close()
    const producer = kafka.producer()
    await expect(producer.send({ topic, messages: [{ value: Buffer.alloc(5000) }] })).rejects.toThrow(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
    await producer.close()
    const send = exporter.getFinishedSpans().find((s: ReadableSpan) => s.name === `send ${topic}`)!
    expect(send.status.code).toBe(SpanStatusCode.ERROR)
    expect(send.attributes['error.type']).toMatch(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
    expect(send.events.map((e) => e.name)).toEqual(['exception'])
  })

  it('makes one process span per batch, linked to every producer context, for eachBatch', async () => {
    const topic = `otel-batch-${process.pid}-${Date.now()}`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 1 }])
    await admin.close()
    const producer = kafka.producer()
    for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ value: `v${i}` }] })
    await producer.close()
    const sends = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`)
    expect(sends).toHaveLength(3)

    const consumer = kafka.consumer({ groupId: `${topic}-group`, autoOffsetReset: 'earliest' })
    await consumer.subscribe([topic])
    const stop = new AbortController()
    let seen = 0
    await consumer.run({
      signal: stop.signal,
      eachBatch: async ({ batch, resolveOffset }) => {
        seen += batch.messages.length
        resolveOffset(batch.messages[batch.messages.length - 1]!.offset)
        if (seen >= 3) stop.abort()
      },
    })
    await consumer.close()
    const processes = exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`)
    const linked = processes.flatMap((p) => p.links.map((l) => l.context.spanId)).sort()
    expect(linked).toEqual(sends.map((s) => s.spanContext().spanId).sort())
    for (const p of processes) {
      if (p.links.length > 1) expect(p.attributes['messaging.batch.message_count']).toBe(p.links.length)
    }
  })
})

describe('samsa/opentelemetry with samsa/kafkajs', () => {
  it('traces the facade producer and eachMessage, retried handler calls included', async () => {
    const clientId = `otel-kafkajs-${process.pid}`
    const kafka = new KafkaJSFacade({ clientId, brokers, logLevel: logLevel.NOTHING })
    const topic = `otel-kafkajs-${process.pid}-${Date.now()}`
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'k1', value: 'v1' }] })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId: `${topic}-group`, retry: { retries: 2, initialRetryTime: 10 } })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const active: Array<string | undefined> = []
    let calls = 0
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          await new Promise((r) => setImmediate(r))
          active.push(trace.getActiveSpan()?.spanContext().spanId)
          if (++calls === 1) throw new Error('first attempt fails')
          resolve()
        },
      })
    })
    await done
    await consumer.disconnect()

    const send = exporter.getFinishedSpans().find((s) => s.name === `send ${topic}`)!
    const processes = await until(() => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`)
      return found.length === 2 ? found : undefined
    })
    // One span per handler call: the failed attempt is an error span, the retry a clean one; both in the send's trace.
    expect(processes.map((p) => p.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET])
    for (const p of processes) {
      expect(p.spanContext().traceId).toBe(send.spanContext().traceId)
      expect(p.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
      expect(p.attributes).toMatchObject({ 'messaging.consumer.group.name': `${topic}-group`, 'messaging.client.id': clientId, 'messaging.kafka.offset': 0 })
    }
    expect(active).toEqual(processes.map((p) => p.spanContext().spanId))
  })
})

describe('tracing channels (raw payloads)', () => {
  it('publishes send, fetch, process and request contexts in order', async () => {
    const clientId = `channels-${process.pid}`
    const kafka = new Kafka({ brokers, clientId, logger: false })
    const topic = `channels-${process.pid}-${Date.now()}`
    const events: Array<[string, string, unknown]> = []
    const names = ['samsa:producer:send', 'samsa:consumer:fetch', 'samsa:consumer:process', 'samsa:request'] as const
    const handlers = names.map((name) => {
      const record = (kind: string) => (message: unknown) => events.push([name, kind, message])
      return {
        name,
        handlers: { start: record('start'), end: record('end'), asyncStart: record('asyncStart'), asyncEnd: record('asyncEnd'), error: record('error') },
      }
    })
    instrumentation.disable()
    for (const { name, handlers: h } of handlers) diagnosticsChannel.tracingChannel(name).subscribe(h)
    try {
      const admin = kafka.admin()
      await admin.createTopics([{ name: topic, numPartitions: 1 }])
      await admin.close()
      const producer = kafka.producer()
      // A subscriber adds headers at `start`; the application's message object is left alone.
      const addHeader = (message: unknown) => {
        ;(message as ProducerSendContext).headers['x-trace'] = 'abc'
      }
      diagnosticsChannel.channel('tracing:samsa:producer:send:start').subscribe(addHeader)
      const message = { key: 'k', value: 'v' }
      const [sent] = await producer.send({ topic, messages: [message] })
      diagnosticsChannel.channel('tracing:samsa:producer:send:start').unsubscribe(addHeader)
      expect(message).toEqual({ key: 'k', value: 'v' })
      await producer.close()

      const consumer = kafka.consumer({ groupId: `${topic}-group`, autoOffsetReset: 'earliest' })
      await consumer.subscribe([topic])
      const consumed = []
      for await (const m of consumer) {
        consumed.push(m)
        break
      }
      await consumer.close()
      expect(consumed[0]!.headers.map(([k, v]) => [k, v?.toString()])).toEqual([['x-trace', 'abc']])

      const sendEvents = events.filter((e) => e[0] === 'samsa:producer:send')
      expect(sendEvents.map((e) => e[1])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
      const send = sendEvents[0]![2] as ProducerSendContext
      expect(send).toMatchObject({ clientId, transactionalId: null, messageCount: 1, headers: { 'x-trace': 'abc' } })
      expect(send.records[0]!.topic).toBe(topic)
      expect(send.result).toEqual([sent])

      const fetches = events.filter((e) => e[0] === 'samsa:consumer:fetch')
      const fetch = fetches.find((e) => e[1] === 'asyncEnd' && ((e[2] as ConsumerFetchContext).result?.records ?? 0) > 0)![2] as ConsumerFetchContext
      expect(fetch).toMatchObject({ clientId, groupId: `${topic}-group`, partitions: [{ topic, partition: 0, fetchOffset: 0n }], result: { partitions: 1, records: 1 } })
      expect(fetch.nodeId).toBeGreaterThanOrEqual(0)

      const processEvents = events.filter((e) => e[0] === 'samsa:consumer:process')
      // Handed out (start, end), finished when the loop was left (asyncStart, asyncEnd).
      expect(processEvents.map((e) => e[1])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
      const processed = processEvents[0]![2] as ConsumerProcessContext
      expect(processed).toMatchObject({ clientId, groupId: `${topic}-group`, style: 'iterator', topic, partition: 0 })
      expect(processed.messages).toHaveLength(1)
      expect(processed.messages[0]).toBe(consumed[0])

      const produce = events.find((e) => e[0] === 'samsa:request' && e[1] === 'asyncEnd' && (e[2] as RequestTraceContext).apiName === 'Produce')![2] as RequestTraceContext
      expect(produce).toMatchObject({ clientId, apiKey: 0, nodeId: expect.any(Number) })
      expect(produce.correlationId).toBeGreaterThanOrEqual(0)
      expect(produce.bytesOut).toBeGreaterThan(0)
      expect(produce.bytesIn).toBeGreaterThan(0)
      expect(produce.result).toMatchObject({ responses: expect.any(Array) })
      // Every request that started also ended, once.
      const requests = events.filter((e) => e[0] === 'samsa:request')
      const started = new Set(requests.filter((e) => e[1] === 'start').map((e) => e[2]))
      const ended = requests.filter((e) => e[1] === 'asyncEnd').map((e) => e[2])
      expect(new Set(ended).size).toBe(ended.length)
      for (const e of ended) expect(started.has(e)).toBe(true)
    } finally {
      for (const { name, handlers: h } of handlers) diagnosticsChannel.tracingChannel(name).unsubscribe(h)
      instrumentation.enable()
      await kafka.close()
    }
  })
})
