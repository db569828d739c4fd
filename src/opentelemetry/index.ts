/**
 * `samsa/opentelemetry`: OpenTelemetry spans for samsa's producers and consumers, made from the clients' tracing
 * channels (`samsa:producer:send`, `samsa:consumer:process`, see src/network/instrumentation.ts) rather than by
 * patching anything. A `send` span (kind PRODUCER) covers one `send()`/`sendBatch()` call and its context goes into
 * every record's headers through the global propagator (W3C `traceparent`/`tracestate` by default); a `process`
 * span (kind CONSUMER) covers the application's handling of one message or batch and links to the contexts found in
 * the records' headers. Names and attributes follow the OpenTelemetry messaging conventions for Kafka.
 *
 * `@opentelemetry/api` and `@opentelemetry/instrumentation` are optional peer dependencies: only this entry point
 * loads them (it is kept out of samsa's bundle, see scripts/build.mjs).
 */
import type { AsyncLocalStorage } from 'node:async_hooks'
import {
  type Attributes,
  type Context,
  context as otelContext,
  type Link,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api'
import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation'
import { type ConsumerProcessContext, type ProcessTraceMessage, type ProducerSendContext, tracingChannels } from '../index.js'

export interface SamsaInstrumentationConfig extends InstrumentationConfig {
  /**
   * A process span of one message is the child of the producer's context found in its headers (as well as linked to
   * it), so producer and consumer share one trace. `false`: only the link; the parent is the context active where
   * the message is handed out. Batches are always linked only (they have many producers). Default `true`.
   */
  processSpanParentFromMessage?: boolean
  /** Called with each send span as it starts, to add attributes of your own. */
  sendHook?: (span: Span, info: { context: ProducerSendContext }) => void
  /** Called with each process span as it starts. */
  processHook?: (span: Span, info: { context: ConsumerProcessContext }) => void
}

/** Attribute names of the messaging conventions used here. */
const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  clientId: 'messaging.client.id',
  group: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  key: 'messaging.kafka.message.key',
  offset: 'messaging.kafka.offset',
  tombstone: 'messaging.kafka.message.tombstone',
  errorType: 'error.type',
} as const

/** Reads a propagator's fields from consumed headers (`[name, Buffer | null]` pairs; the last of a name wins). */
const headerGetter: TextMapGetter<readonly ProcessTraceMessage['headers'][number][]> = {
  keys: (headers) => headers.map((header) => header[0]),
  get: (headers, key) => {
    for (let i = headers.length - 1; i >= 0; i--) {
      const header = headers[i]!
      if (header[0] === key) return header[1] === null ? undefined : header[1].toString('utf8')
    }
    return undefined
  },
}

/** A key as the conventions want it: its string form when it has an unambiguous one. */
function keyAttribute(key: unknown): string | undefined {
  return typeof key === 'string' ? key : undefined
}

function errorType(error: Error): string {
  const named = (error as { errorName?: unknown }).errorName
  return typeof named === 'string' ? named : error.name
}

type TracedContext = ProducerSendContext | ConsumerProcessContext

/**
 * The instrumentation to register (`registerInstrumentations({ instrumentations: [new SamsaInstrumentation()] })`).
 * Enabled, it subscribes to samsa's tracing channels; disabled, it unsubscribes, so samsa publishes nothing again.
 */
export class SamsaInstrumentation extends InstrumentationBase<SamsaInstrumentationConfig> {
  // InstrumentationBase calls enable() from its constructor, before this class's fields would be initialised:
  // everything enable() touches is declared only and created on first use.
  declare private _samsa: Subscriptions | undefined

  constructor(config: SamsaInstrumentationConfig = {}) {
    super('samsa', INSTRUMENTATION_VERSION, config)
  }

  /** Nothing to patch: the clients publish on diagnostics channels. */
  protected override init(): void {}

  override enable(): void {
    super.enable()
    if (this._samsa === undefined) this._samsa = new Subscriptions(this)
    this._samsa.subscribe()
  }

  override disable(): void {
    super.disable()
    this._samsa?.unsubscribe()
  }

  /**
   * The context of the process span of `message` (a message or batch handed out by `for await`, `messages()` or
   * `batches()`) while it is in hand, for the loop body, which samsa does not call and so cannot run inside it:
   * `await context.with(instrumentation.contextOf(message) ?? context.active(), () => handle(message))`.
   * Undefined once the loop has moved on, or when the message was not traced.
   */
  contextOf(message: object): Context | undefined {
    const messages = (message as { messages?: unknown }).messages
    const span = this._samsa?.handedOut(typeof messages === 'object' && messages !== null ? messages : message)
    return span === undefined ? undefined : trace.setSpan(otelContext.active(), span)
  }

  /** @internal The tracer of the provider set with setTracerProvider (or the global one). */
  currentTracer(): ReturnType<typeof trace.getTracer> {
    return this.tracer
  }

  /** @internal */
  runHook<C>(hook: ((span: Span, info: { context: C }) => void) | undefined, name: string, span: Span, context: C): void {
    this._runSpanCustomizationHook(hook, name, span, { context })
  }
}

/** samsa's version, for the instrumentation scope: package.json is two folders up in src/, three in dist/cjs/. */
const INSTRUMENTATION_VERSION = ((): string => {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = require(path) as { name?: string; version?: string }
      if (manifest.name === 'samsa' && typeof manifest.version === 'string') return manifest.version
    } catch {
      // not at this depth
    }
  }
  return '0.0.0'
})()

/** The channel handlers of one instrumentation, and the spans of operations under way. */
class Subscriptions {
  readonly #owner: SamsaInstrumentation
  readonly #spans = new WeakMap<TracedContext, Span>()
  /** Process spans of what the iterators hand out, by the message (or batch) object, while in hand. */
  readonly #inHand = new WeakMap<object, Span>()
  #subscribed = false
  /**
   * Bound to the channels' `start` so that code run through `runStores` (a send call, an eachMessage/eachBatch
   * handler) runs with the span active. diagnostics_channel only calls `run(value, fn)` on a bound store, so this
   * hands the OpenTelemetry context to the global context manager instead of a store of its own.
   */
  readonly #store = { run: <R>(value: Context, fn: () => R): R => otelContext.with(value, fn) }
  readonly #send = {
    start: (message: unknown) => void this.#sendSpan(message as ProducerSendContext),
    end: (message: unknown) => this.#endIfThrown(message as ProducerSendContext),
    asyncStart: () => {},
    asyncEnd: (message: unknown) => this.#finishSend(message as ProducerSendContext),
    error: () => {},
  }
  readonly #process = {
    start: (message: unknown) => void this.#processSpan(message as ConsumerProcessContext),
    end: (message: unknown) => this.#endIfThrown(message as ConsumerProcessContext),
    asyncStart: () => {},
    asyncEnd: (message: unknown) => this.#finish(message as ConsumerProcessContext),
    error: () => {},
  }

  constructor(owner: SamsaInstrumentation) {
    this.#owner = owner
  }

  subscribe(): void {
    if (this.#subscribed) return
    this.#subscribed = true
    const store = this.#store as unknown as AsyncLocalStorage<Context>
    tracingChannels.producerSend.start.bindStore(store, (message) => this.#active(this.#sendSpan(message)))
    tracingChannels.consumerProcess.start.bindStore(store, (message) => this.#active(this.#processSpan(message)))
    tracingChannels.producerSend.subscribe(this.#send)
    tracingChannels.consumerProcess.subscribe(this.#process)
  }

  handedOut(message: object): Span | undefined {
    return this.#inHand.get(message)
  }

  unsubscribe(): void {
    if (!this.#subscribed) return
    this.#subscribed = false
    const store = this.#store as unknown as AsyncLocalStorage<Context>
    tracingChannels.producerSend.start.unbindStore(store)
    tracingChannels.consumerProcess.start.unbindStore(store)
    tracingChannels.producerSend.unsubscribe(this.#send)
    tracingChannels.consumerProcess.unsubscribe(this.#process)
  }

  #active(span: Span): Context {
    return trace.setSpan(otelContext.active(), span)
  }

  /**
   * The send span of a call, started on the first of the bound store's transform and the `start` event (both run
   * in the caller's context, the transform first), with its context injected into the call's headers.
   */
  #sendSpan(message: ProducerSendContext): Span {
    const existing = this.#spans.get(message)
    if (existing !== undefined) return existing
    const topics = new Set(message.records.map((record) => record.topic))
    const topic = topics.size === 1 ? message.records[0]!.topic : undefined
    const attributes: Attributes = {
      [ATTR.system]: 'kafka',
      [ATTR.operationType]: 'send',
      [ATTR.operationName]: 'send',
      [ATTR.clientId]: message.clientId,
    }
    if (topic !== undefined) attributes[ATTR.destination] = topic
    if (message.messageCount === 1) {
      const only = message.records.find((record) => record.messages.length > 0)!.messages[0]!
      const key = keyAttribute(only.key)
      if (key !== undefined) attributes[ATTR.key] = key
      if (only.value === null || only.value === undefined) attributes[ATTR.tombstone] = true
      if (only.partition !== undefined) attributes[ATTR.partition] = String(only.partition)
    } else attributes[ATTR.batchCount] = message.messageCount
    const parent = otelContext.active()
    const span = this.#owner.currentTracer().startSpan(topic === undefined ? 'send' : `send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, parent)
    this.#spans.set(message, span)
    propagation.inject(trace.setSpan(parent, span), message.headers)
    this.#owner.runHook(this.#owner.getConfig().sendHook, 'sendHook', span, message)
    return span
  }

  #processSpan(message: ConsumerProcessContext): Span {
    const existing = this.#spans.get(message)
    if (existing !== undefined) return existing
    const messages = message.messages
    const links: Link[] = []
    let creation: Context | undefined
    for (const record of messages) {
      if (record.headers.length === 0) continue
      const extracted = propagation.extract(otelContext.active(), record.headers, headerGetter)
      const spanContext = trace.getSpanContext(extracted)
      if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) continue
      links.push({ context: spanContext })
      if (messages.length === 1) creation = extracted
    }
    const attributes: Attributes = {
      [ATTR.system]: 'kafka',
      [ATTR.operationType]: 'process',
      [ATTR.operationName]: 'process',
      [ATTR.destination]: message.topic,
      [ATTR.partition]: String(message.partition),
      [ATTR.clientId]: message.clientId,
    }
    if (message.groupId !== null) attributes[ATTR.group] = message.groupId
    if (messages.length === 1) {
      const only = messages[0]!
      attributes[ATTR.offset] = Number(only.offset)
      const key = keyAttribute(only.key)
      if (key !== undefined) attributes[ATTR.key] = key
      if (only.value === null) attributes[ATTR.tombstone] = true
    } else attributes[ATTR.batchCount] = messages.length
    const useCreation = creation !== undefined && this.#owner.getConfig().processSpanParentFromMessage !== false
    const parent = useCreation ? creation! : otelContext.active()
    const span = this.#owner.currentTracer().startSpan(`process ${message.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parent)
    this.#spans.set(message, span)
    // A batch is found by its messages array, which is the batch's own (the context does not hold the batch).
    if (message.style === 'iterator') this.#inHand.set(messages[0]!, span)
    else if (message.style === 'batches') this.#inHand.set(messages, span)
    this.#owner.runHook(this.#owner.getConfig().processHook, 'processHook', span, message)
    return span
  }

  /** tracePromise publishes `error` then `end` and no async events when the traced call throws synchronously. */
  #endIfThrown(message: TracedContext): void {
    if (message.error !== undefined) this.#finish(message)
  }

  #finishSend(message: ProducerSendContext): void {
    const span = this.#spans.get(message)
    const result = message.result
    if (span !== undefined && result !== undefined && result.length > 0) {
      const partition = result[0]!.partition
      if (result.every((r) => r.partition === partition && r.topic === result[0]!.topic)) span.setAttribute(ATTR.partition, String(partition))
      if (result.length === 1 && result[0]!.offset >= 0n) span.setAttribute(ATTR.offset, Number(result[0]!.offset))
    }
    this.#finish(message)
  }

  #finish(message: TracedContext): void {
    const span = this.#spans.get(message)
    if (span === undefined) return
    this.#spans.delete(message)
    if ('style' in message) this.#inHand.delete(message.style === 'iterator' ? message.messages[0]! : message.messages)
    const error = message.error
    if (error !== undefined) {
      span.recordException(error)
      span.setAttribute(ATTR.errorType, errorType(error))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
    }
    span.end()
  }
}
