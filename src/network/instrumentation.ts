/**
 * `node:diagnostics_channel` instrumentation shared by the network layer and the clients (logging: logging.ts).
 * Channels are declared once here; publishing is skipped entirely when nobody subscribes, so they cost one
 * property read on the hot path.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { Header, HeaderInput } from '../records/index.js'

export { type Logger, silentLogger, consoleLogger, resolveLogger } from './logging.js'

export interface ConnectEvent {
  broker: string
  nodeId: number | null
  purpose: string
  durationMs: number
  tls: boolean
  saslMechanism: string | null
  error?: Error
}

export interface RequestStartEvent {
  broker: string
  apiName: string
  apiKey: number
  apiVersion: number
  correlationId: number
  bytesOut: number
}

export interface RequestFinishEvent extends RequestStartEvent {
  durationMs: number
  bytesIn: number
  error?: Error
}

/**
 * Per-client observation of requests, for clients that report their own traffic (the diagnostics channels above are
 * process-wide and carry no client identity). Set in the cluster's options; a connection without one does nothing
 * extra per request.
 */
export interface RequestObserver {
  /**
   * A written request settled: answered (`error` absent, `bytesIn` its size), failed, or timed out waiting for its
   * response (`error` a `TimeoutError`). `createdAt` and `sentAt` are wall-clock ms of the call and of the write.
   */
  requestEnd(event: RequestFinishEvent & { createdAt: number; sentAt: number }): void
  /** The number of requests waiting to be written on the connection to `broker` changed. */
  queueSize(broker: string, size: number): void
}

/** A response asked the client to back off (KIP-219 quota throttling); the connection sends nothing for that long. */
export interface ThrottleEvent {
  broker: string
  nodeId: number | null
  apiName: string
  apiKey: number
  throttleTimeMs: number
}

/** A produce batch settled: acknowledged (`baseOffset`) or failed for good (`error`). */
export interface ProduceChannelEvent {
  clientId: string
  topic: string
  partition: number
  records: number
  /** Encoded batch size as sent. */
  bytes: number
  /** From the batch's first append to its settlement, retries included. */
  durationMs: number
  baseOffset?: bigint
  error?: Error
}

/** One Fetch response handled by a consumer (or a failed Fetch). */
export interface FetchChannelEvent {
  clientId: string
  groupId: string | null
  nodeId: number
  partitions: number
  /** Record bytes received, summed over partitions. */
  bytes: number
  durationMs: number
  error?: Error
}

/** A consumer's assignment changed. */
export interface RebalanceChannelEvent {
  clientId: string
  groupId: string | null
  memberId: string | null
  type: 'assigned' | 'revoked' | 'lost'
  partitions: Array<{ topic: string; partition: number }>
}

// ---- tracing channels ----
//
// Each traced operation publishes on a `node:diagnostics_channel` TracingChannel, always in this order: `start` (in
// the caller's call, so a subscriber sees the caller's async context), `end` (the call returned; the operation goes
// on), then exactly once `error` (only on failure, `error` set) followed by `asyncStart` and `asyncEnd` (`result`
// set on success). `asyncEnd` is always the last event of an operation. The clients build the context object only
// when the channel has subscribers, so an unobserved operation costs one `hasSubscribers` read.

/** What every tracing context ends with: set before `error`/`asyncStart`. */
export interface TraceOutcome<R> {
  result?: R
  error?: Error
}

/** A message of a `send()` call as the application gave it (before serialization). */
export interface SendTraceMessage {
  readonly key?: unknown
  readonly value: unknown
  readonly headers?: HeaderInput
  readonly partition?: number
}

/** Where a sent record went: RecordMetadata, as `send()` resolves. */
export interface SendTraceResult {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
}

/** `samsa:producer:send`: one `send()`/`sendBatch()` call, from the call until every record settled. */
export interface ProducerSendContext extends TraceOutcome<readonly SendTraceResult[]> {
  readonly clientId: string
  readonly transactionalId: string | null
  /** The call's records, as given: a `send()` has one topic, a `sendBatch()` may have several. */
  readonly records: ReadonlyArray<{ readonly topic: string; readonly messages: readonly SendTraceMessage[] }>
  /** Messages over all records. */
  readonly messageCount: number
  /**
   * Headers to add to every message of the call. A subscriber fills this during `start` (a tracer injects its
   * context here); the producer then sends copies of the messages with these headers added, replacing headers of
   * the same name, and never changes the application's own message objects.
   */
  readonly headers: Record<string, string | Buffer>
}

/** `samsa:consumer:fetch`: one Fetch request of a consumer, from building it to having queued what it returned. */
export interface ConsumerFetchContext extends TraceOutcome<{ readonly partitions: number; readonly bytes: number; readonly records: number }> {
  readonly clientId: string
  readonly groupId: string | null
  readonly nodeId: number
  /** The partitions this fetch covers and the offsets it reads from. */
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly fetchOffset: bigint }>
}

/** A record handed to the application, as the consumer hands it out (key and value deserialized). */
export interface ProcessTraceMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: unknown
  readonly value: unknown
  readonly headers: readonly Header[]
}

/**
 * `samsa:consumer:process`: the application handling one message or one batch. Where it starts and ends depends
 * on how the application consumes (docs/observability.md): around an `eachMessage`/`eachBatch` handler (whose
 * code then runs inside the `start` channel's bound stores, so a tracer's span is active there); from handing a
 * message or batch out of `messages()`/`batches()`/`for await` until the application asks for the next one or
 * leaves the loop, the moment samsa counts it processed (no store is active in the loop body: the loop's code does
 * not run inside the consumer's call).
 */
export interface ConsumerProcessContext extends TraceOutcome<undefined> {
  readonly clientId: string
  readonly groupId: string | null
  readonly style: 'eachMessage' | 'eachBatch' | 'iterator' | 'batches'
  readonly topic: string
  readonly partition: number
  /** One message (`eachMessage`, the iterator) or a batch's messages, all of `topic`/`partition`. */
  readonly messages: readonly ProcessTraceMessage[]
}

/** `samsa:request`: one request on a connection, from the call to its settlement (answered, failed, timed out). */
export interface RequestTraceContext extends TraceOutcome<unknown> {
  readonly clientId: string | null
  readonly broker: string
  readonly nodeId: number | null
  readonly apiName: string
  readonly apiKey: number
  readonly apiVersion: number
  /** Set when the request is written (-1 until then, and for a request that never was). */
  correlationId: number
  bytesOut: number
  bytesIn: number
}

/**
 * Every samsa channel stays reachable from the process-wide `node:diagnostics_channel` module, so none is ever
 * collected and a second copy of samsa in the process (jest's registry per test file, a bundle beside the package,
 * a hot reload) gets the same objects back. Without this, Node 20's registry can lose a live channel: when the
 * first copy's channels are collected and the second copy creates ones of the same names before the collected
 * ones' finalizers run, the finalizers delete the new entries (nodejs/node#59910), and a subscriber subscribing by
 * name lands on a channel samsa never publishes to.
 */
const registry: Map<string, object> = ((diagnosticsChannel as unknown as Record<symbol, Map<string, object> | undefined>)[
  Symbol.for('samsa.diagnosticsChannels')
] ??= new Map())

/** The channel pinned under `key`, made by `create` the first time any copy of samsa asks for it. */
function pinned<T extends object>(key: string, create: () => T): T {
  let channel = registry.get(key)
  if (channel === undefined) registry.set(key, (channel = create()))
  return channel as T
}

const pinnedChannel = (name: string): diagnosticsChannel.Channel => pinned(name, () => diagnosticsChannel.channel(name))

const pinnedTracingChannel = <C extends object>(name: string): diagnosticsChannel.TracingChannel<unknown, C> =>
  pinned(`tracing:${name}`, () => diagnosticsChannel.tracingChannel<unknown, C>(name))

export const tracingChannels = {
  /** ProducerSendContext, per `send()`/`sendBatch()` call. */
  producerSend: pinnedTracingChannel<ProducerSendContext>('samsa:producer:send'),
  /** ConsumerFetchContext, per Fetch request. */
  consumerFetch: pinnedTracingChannel<ConsumerFetchContext>('samsa:consumer:fetch'),
  /** ConsumerProcessContext, per message or batch handed to the application. */
  consumerProcess: pinnedTracingChannel<ConsumerProcessContext>('samsa:consumer:process'),
  /** RequestTraceContext, per request on any connection. */
  request: pinnedTracingChannel<RequestTraceContext>('samsa:request'),
} as const

/** The events after `end` of a manually published operation: `error` on failure, then `asyncStart`, `asyncEnd`. */
export function publishSettled<C extends TraceOutcome<unknown>>(channel: diagnosticsChannel.TracingChannel<unknown, C>, context: C, error?: Error): void {
  if (error !== undefined) {
    context.error = error
    channel.error.publish(context)
  }
  channel.asyncStart.publish(context)
  channel.asyncEnd.publish(context)
}

export const channels = {
  connect: pinnedChannel('samsa:connection:connect'),
  close: pinnedChannel('samsa:connection:close'),
  requestStart: pinnedChannel('samsa:request:start'),
  requestFinish: pinnedChannel('samsa:request:finish'),
  /** ThrottleEvent, per response with throttleTimeMs > 0. */
  throttle: pinnedChannel('samsa:throttle'),
  /** ProduceChannelEvent, per batch. */
  produce: pinnedChannel('samsa:produce'),
  /** FetchChannelEvent, per Fetch response. */
  fetch: pinnedChannel('samsa:fetch'),
  /** RebalanceChannelEvent, per assignment change. */
  rebalance: pinnedChannel('samsa:rebalance'),
} as const
