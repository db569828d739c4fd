/**
 * `node:diagnostics_channel` instrumentation shared by the network layer and the clients (logging: logging.ts).
 * Channels are declared once here; publishing is skipped entirely when nobody subscribes, so they cost one
 * property read on the hot path.
 */
import diagnosticsChannel from 'node:diagnostics_channel'

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

export const channels = {
  connect: diagnosticsChannel.channel('samsa:connection:connect'),
  close: diagnosticsChannel.channel('samsa:connection:close'),
  requestStart: diagnosticsChannel.channel('samsa:request:start'),
  requestFinish: diagnosticsChannel.channel('samsa:request:finish'),
  /** ThrottleEvent, per response with throttleTimeMs > 0. */
  throttle: diagnosticsChannel.channel('samsa:throttle'),
  /** ProduceChannelEvent, per batch. */
  produce: diagnosticsChannel.channel('samsa:produce'),
  /** FetchChannelEvent, per Fetch response. */
  fetch: diagnosticsChannel.channel('samsa:fetch'),
  /** RebalanceChannelEvent, per assignment change. */
  rebalance: diagnosticsChannel.channel('samsa:rebalance'),
} as const
