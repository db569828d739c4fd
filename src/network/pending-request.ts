/**
 * One request's life on a connection, from the caller's call to its one settlement. A request is settled exactly
 * once, by whichever comes first of its response, its deadline, its caller's abort, a failure to encode it, or the
 * connection closing; settling detaches the abort listener and reports the request's end to diagnostics. A settled
 * request may still sit in the connection's queues as a placeholder (its response must still be read in order), so
 * every later settlement of it is a no-op. Which queue it sits in, and when it is written, is the connection's.
 */
import type { AnyApiCodec } from '../protocol/index.js'
import { channels, publishSettled, type RequestObserver, type RequestTraceContext, tracingChannels } from './instrumentation.js'
import type { ClientLogger } from './logging.js'

/** How the caller wants one request sent. */
export interface RequestOptions {
  /** Force a version instead of the negotiated one. */
  version?: number
  timeoutMs?: number
  signal?: AbortSignal
  /** Produce with acks=0: the broker sends nothing back, the promise resolves once the bytes are written. */
  expectResponse?: boolean
  /**
   * Buffers of the body (sealed record batches) to write as they are instead of copying them into the frame; they
   * must not change until the request settles.
   */
  zeroCopy?: ReadonlySet<Buffer>
  /**
   * Called with the response frame before the promise resolves, for a caller that keeps views of it past the
   * decode (the consumer's Fetch responses): once none is read any more, it hands the frame back with
   * `Connection.reuseFrame`, and the memory takes a later large response (receive-pool.ts).
   */
  onFrame?: (frame: Buffer) => void
}

export interface PendingRequest {
  api: AnyApiCodec
  version: number
  body: unknown
  resolve(value: unknown): void
  reject(error: Error): void
  deadline: number
  signal: AbortSignal | undefined
  onAbort: (() => void) | null
  expectResponse: boolean
  /** Set once written: the correlation id and bytes written. */
  correlationId: number
  bytesOut: number
  startedAt: number
  /** Wall-clock ms of the call and of the write, kept only for a RequestObserver (0 otherwise). */
  createdAt: number
  sentAt: number
  /** Settled (answered, failed or given up by the caller); a response still due is read and dropped. */
  abandoned: boolean
  /** Internal requests (ApiVersions, SASL) skip the queue and its re-authentication gate. */
  internal: boolean
  zeroCopy: ReadonlySet<Buffer> | undefined
  onFrame: ((frame: Buffer) => void) | undefined
  /** The samsa:request tracing context, made only when that channel had subscribers at the call. */
  trace: RequestTraceContext | null
}

/** What the diagnostics events say about where a request went; read only when someone subscribes. */
export interface RequestPeer {
  readonly broker: string
  readonly observer: RequestObserver | undefined
  /** Logs every settled request when trace logging is on; null otherwise. */
  readonly traceLogger: ClientLogger | null
}

/** Settles `request` unless it already is: `error`, or else the response `body` (`bytesIn` long). */
export function settle(peer: RequestPeer, request: PendingRequest, error: Error | null, body?: unknown, bytesIn = 0): void {
  if (request.onAbort) {
    request.signal?.removeEventListener('abort', request.onAbort)
    request.onAbort = null
  }
  if (request.abandoned) return
  request.abandoned = true
  if (request.startedAt > 0 && channels.requestFinish.hasSubscribers) {
    channels.requestFinish.publish({
      ...requestEvent(peer, request),
      durationMs: performance.now() - request.startedAt,
      bytesIn,
      ...(error ? { error } : {}),
    })
  }
  if (request.startedAt > 0 && peer.observer) {
    peer.observer.requestEnd({
      ...requestEvent(peer, request),
      durationMs: performance.now() - request.startedAt,
      bytesIn,
      createdAt: request.createdAt,
      sentAt: request.sentAt,
      ...(error ? { error } : {}),
    })
  }
  if (request.startedAt > 0 && peer.traceLogger !== null) {
    const event = { ...traceFields(request), durationMs: performance.now() - request.startedAt, bytesIn }
    if (error) peer.traceLogger.trace({ ...event, err: error }, 'request failed')
    else peer.traceLogger.trace(event, 'response received')
  }
  const trace = request.trace
  if (trace !== null) {
    trace.bytesIn = bytesIn
    if (!error) trace.result = body
    publishSettled(tracingChannels.request, trace, error ?? undefined)
  }
  if (error) request.reject(error)
  else request.resolve(body)
}

/** A request as a trace log line shows it; the broker is the connection logger's binding. */
export function traceFields(request: PendingRequest): { apiName: string; apiVersion: number; correlationId: number; bytesOut: number } {
  return { apiName: request.api.name, apiVersion: request.version, correlationId: request.correlationId, bytesOut: request.bytesOut }
}

export function requestEvent(
  peer: RequestPeer,
  request: PendingRequest,
): { broker: string; apiName: string; apiKey: number; apiVersion: number; correlationId: number; bytesOut: number } {
  return {
    broker: peer.broker,
    apiName: request.api.name,
    apiKey: request.api.apiKey,
    apiVersion: request.version,
    correlationId: request.correlationId,
    bytesOut: request.bytesOut,
  }
}
