/**
 * The error classes every layer throws. This file imports nothing so that every layer, from the protocol
 * primitives up to the clients, can use it without breaking the "lower layers never import higher ones" rule.
 *
 * Messages never contain secrets (passwords, tokens, SCRAM material): callers pass only names and codes.
 */

export interface KafkaErrorOptions {
  cause?: unknown
  /** Whether repeating the same operation may succeed. */
  retriable?: boolean
}

/** Base class of every error samsa throws. */
export class KafkaError extends Error {
  readonly retriable: boolean

  constructor(message: string, options: KafkaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.retriable = options.retriable ?? false
  }
}

/** A broker answered with a non-zero Kafka error code. */
export class KafkaProtocolError extends KafkaError {
  /** Kafka's numeric error code, e.g. 6. */
  readonly code: number
  /** Kafka's error name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly errorName: string
  /** The broker's own error message, when the response carries one. */
  readonly brokerMessage: string | null

  constructor(
    code: number,
    errorName: string,
    retriable: boolean,
    options: { message?: string | null; context?: string; cause?: unknown } = {},
  ) {
    const where = options.context ? ` (${options.context})` : ''
    const detail = options.message ? `: ${options.message}` : ''
    super(`${errorName} [${code}]${where}${detail}`, { retriable, cause: options.cause })
    this.code = code
    this.errorName = errorName
    this.brokerMessage = options.message ?? null
  }
}

/** Bytes from the network did not decode as the protocol message they claim to be. */
export class ProtocolDecodeError extends KafkaError {
  readonly apiName: string | undefined
  readonly version: number | undefined
  readonly fieldPath: string | undefined
  readonly offset: number

  constructor(
    message: string,
    details: { apiName?: string; version?: number; fieldPath?: string; offset: number; cause?: unknown },
  ) {
    const at = [
      details.apiName && `${details.apiName}${details.version === undefined ? '' : ` v${details.version}`}`,
      details.fieldPath && `field ${details.fieldPath}`,
      `offset ${details.offset}`,
    ]
      .filter(Boolean)
      .join(', ')
    super(`${message} (${at})`, { cause: details.cause })
    this.apiName = details.apiName
    this.version = details.version
    this.fieldPath = details.fieldPath
    this.offset = details.offset
  }
}

/** A record batch (or legacy message set) is corrupt: bad CRC, lengths, varints, or compressed payload. */
export class RecordsDecodeError extends KafkaError {
  readonly offset: number

  constructor(message: string, offset: number, options: { cause?: unknown } = {}) {
    super(`${message} (offset ${offset})`, options)
    this.offset = offset
  }
}

/**
 * A record batch is (or is to be) compressed with a codec whose implementation cannot be loaded in this process: a
 * native binding missing for this platform, or zstd on a Node without `zlib.zstdCompress` and without the optional
 * `zstd-napi` package. Only the sends and fetches that meet that codec fail; everything else keeps working. The
 * message names the codec and what to install.
 */
export class CompressionCodecUnavailableError extends KafkaError {
  /** The codec, e.g. `zstd`. */
  readonly codec: string

  constructor(codec: string, remedy: string, options: { cause?: unknown } = {}) {
    const reason = options.cause instanceof Error ? ` (${options.cause.message.split('\n')[0]})` : ''
    super(`${codec} compression is not available here${reason}: ${remedy}`, { cause: options.cause, retriable: false })
    this.codec = codec
  }
}

/** A connection could not be made or was lost. Retriable: a new connection may succeed. */
export class ConnectionError extends KafkaError {
  readonly broker: string | undefined

  constructor(message: string, options: { broker?: string; cause?: unknown; retriable?: boolean } = {}) {
    super(options.broker && !message.includes(options.broker) ? `${message} (broker ${options.broker})` : message, {
      cause: options.cause,
      retriable: options.retriable ?? true,
    })
    this.broker = options.broker
  }
}

/** An operation did not finish within its deadline. */
export class TimeoutError extends KafkaError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause, retriable: options.retriable ?? true })
  }
}

/**
 * `clientInstanceId()` on a client created with `enableMetricsPush: false`: it never asks the brokers for an id
 * (Java throws IllegalStateException in the same case).
 */
export class TelemetryDisabledError extends KafkaError {
  constructor(message = 'Client metrics push is disabled (enableMetricsPush: false), so this client has no client instance id') {
    super(message, { retriable: false })
  }
}

/** SASL or TLS authentication failed. Never retried in a loop: the same credentials fail the same way. */
export class AuthenticationError extends KafkaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retriable: false })
  }
}

/**
 * An operation was cancelled through the `AbortSignal` passed to it. Shaped like Node's own AbortError (`name`
 * `'AbortError'`, `code` `'ABORT_ERR'`, the signal's `reason` as `cause`), and a `KafkaError` like every error samsa
 * throws. Never retriable: the caller asked to stop.
 */
export class AbortError extends KafkaError {
  readonly code = 'ABORT_ERR' as const

  constructor(reason?: unknown, message = 'The operation was aborted') {
    super(message, { cause: reason, retriable: false })
    this.name = 'AbortError'
  }
}

/** @deprecated Renamed `AbortError`, Node's name for it; this alias is the same class. */
export const AbortedError = AbortError
/** @deprecated Renamed `AbortError`. */
export type AbortedError = AbortError
