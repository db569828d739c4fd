/**
 * KIP-714 client metrics push, shared by the producer, the consumer and the admin client: each client owns one
 * `ClientTelemetry`, which asks a broker what to push (GetTelemetrySubscriptions, API 71), then pushes the client's
 * metrics registry as OTLP (otlp.ts) in PushTelemetry requests (API 72) at the interval the broker chose, and sends a
 * last push marked Terminating when the client closes.
 *
 * The states follow Java's `ClientTelemetryState`: subscription-needed → subscription-in-progress → push-needed →
 * push-in-progress → push-needed …, terminating-push on close, and terminated for good (closed, the broker lacks the
 * APIs, or an error the KIP says retrying cannot fix). Every wait is a timer on the client's `Clock`, so tests drive
 * the loop in virtual time.
 *
 * What the broker's answers mean, as KIP-714's error table and Java's client read them:
 * - INVALID_REQUEST, INVALID_RECORD, UNSUPPORTED_VERSION: the client is at fault and a retry will not help: stop.
 * - UNKNOWN_SUBSCRIPTION_ID, UNSUPPORTED_COMPRESSION_TYPE: the subscription changed: ask for it again at once.
 * - TELEMETRY_TOO_LARGE, THROTTLING_QUOTA_EXCEEDED: wait one push interval, then ask for the subscription again.
 * - any other error code: stop (Java does the same with codes it does not map).
 * A lost connection or a timeout is not the broker's verdict: the loop asks for the subscription again after the
 * push interval (30 s before the first subscription), from whichever broker is reachable then. A connection error
 * that is not retriable (the client's `Kafka` was closed) ends it.
 *
 * Metric names are Java's telemetry names: `org.apache.kafka.` + the group without `-metrics` + `.` + the metric name,
 * lower-cased, `-` → `.` (`producer-metrics`/`record-send-total` → `org.apache.kafka.producer.record.send.total`);
 * tag keys become attribute keys with `-` → `_`, and `client-id` is left out (the broker knows the client).
 */
import { ConnectionError, KafkaError, TimeoutError } from '../errors.js'
import { type ApiCodec, apis, ApiKeys, ErrorCodes } from '../protocol/index.js'
import type { GetTelemetrySubscriptionsResponse } from '../protocol/generated/GetTelemetrySubscriptionsResponse.js'
import type { PushTelemetryResponse } from '../protocol/generated/PushTelemetryResponse.js'
import { COMPRESSION_IDS, type CompressionCodec, compressionAvailable, compressSync } from '../records/compression.js'
import type { Clock, ClockTimer } from './clock.js'
import type { Connection } from './connection.js'
import type { Logger } from './logging.js'
import type { MetricPoint } from './metrics.js'
import { AGGREGATION_TEMPORALITY_CUMULATIVE, AGGREGATION_TEMPORALITY_DELTA, encodeMetricsData, type OtlpMetric } from './otlp.js'

/** The all-zero uuid (base64url), sent until the broker has assigned this client its instance id. */
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
/** Java's default push interval, used when a broker sends none (or a nonsense one) and before any subscription. */
export const DEFAULT_PUSH_INTERVAL_MS = 300_000
/** How long to wait before asking again after a lost connection, before any subscription named an interval. */
const RETRY_WITHOUT_SUBSCRIPTION_MS = 30_000
/** The domain Java's client puts before every telemetry metric name. */
const DOMAIN = 'org.apache.kafka'

export type TelemetryState =
  | 'subscription-needed'
  | 'subscription-in-progress'
  | 'push-needed'
  | 'push-in-progress'
  | 'terminating-push'
  | 'terminated'

/** What GetTelemetrySubscriptions returned, as the loop uses it. */
export interface TelemetrySubscription {
  clientInstanceId: string
  subscriptionId: number
  /** Compression types the broker accepts, in its order of preference (record-batch codec ids). */
  acceptedCompressionTypes: number[]
  pushIntervalMs: number
  telemetryMaxBytes: number
  deltaTemporality: boolean
  requestedMetrics: string[]
}

/** The part of a connection the loop uses: a test gives a scripted one. */
export type TelemetryConnection = Pick<Connection, 'send'> & { readonly versions: { get(apiKey: number): number | null } }

export interface ClientTelemetryOptions {
  clock: Clock
  logger: Logger
  /**
   * A connection to some broker, one attempt bounded by `signal`; the clients give one that waits until they have
   * connected on their own (`Cluster.backgroundConnection`): telemetry alone never opens a client's first connection.
   */
  connection: (signal: AbortSignal) => Promise<TelemetryConnection>
  /**
   * Opens a connection now: `clientInstanceId()` on a client that has not connected yet calls it, since the
   * application asked for something only a broker can give.
   */
  connect?: (signal: AbortSignal) => Promise<unknown>
  /** The client's metrics as of now. */
  metrics: () => MetricPoint[]
  /** OTLP resource attributes (Java's: `group_id`, `group_instance_id`, `client_rack`, `transactional_id`). */
  resource?: () => Record<string, string>
  requestTimeoutMs?: number
  /** Uniform in [0, 1): the first push's jitter. Math.random unless a test fixes it. */
  random?: () => number
}

interface OutcomeAction {
  kind: 'stop' | 'resubscribe'
  delayMs: number
}

/**
 * What an error code in a telemetry response tells the client to do (KIP-714's table, as Java applies it to both
 * APIs): stop for good, or ask for the subscription again after `delayMs`.
 */
export function telemetryErrorAction(code: number, pushIntervalMs: number | null): OutcomeAction {
  switch (code) {
    case ErrorCodes.INVALID_REQUEST:
    case ErrorCodes.INVALID_RECORD:
    case ErrorCodes.UNSUPPORTED_VERSION:
      return { kind: 'stop', delayMs: Infinity }
    case ErrorCodes.UNKNOWN_SUBSCRIPTION_ID:
    case ErrorCodes.UNSUPPORTED_COMPRESSION_TYPE:
      return { kind: 'resubscribe', delayMs: 0 }
    case ErrorCodes.TELEMETRY_TOO_LARGE:
    case ErrorCodes.THROTTLING_QUOTA_EXCEEDED:
      return { kind: 'resubscribe', delayMs: pushIntervalMs ?? DEFAULT_PUSH_INTERVAL_MS }
    default:
      return { kind: 'stop', delayMs: Infinity }
  }
}

/**
 * Whether a metric named `name` (its telemetry name) is subscribed: an empty list subscribes nothing, a single `*`
 * everything (Java's form; an empty-string prefix, the KIP's form, matches everything too), else prefix matches.
 */
export function metricSelector(requested: readonly string[]): (name: string) => boolean {
  if (requested.length === 0) return () => false
  if (requested.length === 1 && requested[0] === '*') return () => true
  return (name) => requested.some((prefix) => name.startsWith(prefix))
}

/** Java's telemetry name of a metric: `org.apache.kafka.<group without -metrics>.<name>`, lower case, `-` → `.`. */
export function telemetryMetricName(group: string, name: string): string {
  const cleanGroup = group.toLowerCase().replaceAll('-', '.').replaceAll('.metrics', '')
  return `${DOMAIN}.${cleanGroup}.${name.toLowerCase().replaceAll('-', '.')}`
}

/** Data point attributes from a metric's tags: keys lower case with `-` → `_`, without `client_id`. */
export function telemetryAttributes(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key in tags) {
    const clean = key.toLowerCase().replaceAll('-', '_')
    if (clean !== 'client_id') out[clean] = tags[key]!
  }
  return out
}

/** The first push waits a random 0.5–1.5 push intervals, so that clients started together do not push together. */
export function firstPushDelayMs(pushIntervalMs: number, random: () => number): number {
  return Math.round(pushIntervalMs * (0.5 + random()))
}

/** The first accepted compression type samsa can write now (codec loaded), skipping `refused`; 'none' otherwise. */
export function chooseCompression(accepted: readonly number[], refused: ReadonlySet<number> = new Set()): CompressionCodec {
  for (const id of accepted) {
    if (refused.has(id)) continue
    const codec = (Object.keys(COMPRESSION_IDS) as CompressionCodec[]).find((c) => COMPRESSION_IDS[c] === id)
    if (codec && codec !== 'none' && compressionAvailable(codec)) return codec
  }
  return 'none'
}

export class ClientTelemetry {
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #options: ClientTelemetryOptions
  readonly #random: () => number
  readonly #requestTimeoutMs: number
  readonly #abort = new AbortController()
  readonly #createdAt: number
  #state: TelemetryState = 'subscription-needed'
  #timer: ClockTimer | null = null
  #clientInstanceId: string | null = null
  #subscription: TelemetrySubscription | null = null
  #selector: (name: string) => boolean = () => false
  #pushedBefore = false
  #inFlight: Promise<void> | null = null
  #idWaiters: Array<(id: string | null) => void> = []
  /** Compression types the broker refused (UNSUPPORTED_COMPRESSION_TYPE) or samsa failed to write. */
  readonly #refusedCompression = new Set<number>()
  /** Per monotonic series: the value and time last pushed (delta temporality), and when it was first seen. */
  readonly #series = new Map<string, { firstSeenAt: number; lastValue: number; lastAt: number }>()
  #lastCollectAt: number | null = null
  /** Why the loop stopped, for logs and tests. */
  stopReason: string | null = null

  constructor(options: ClientTelemetryOptions) {
    this.#options = options
    this.#clock = options.clock
    this.#logger = options.logger
    this.#random = options.random ?? Math.random
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#createdAt = this.#clock.now()
  }

  get state(): TelemetryState {
    return this.#state
  }

  get subscription(): TelemetrySubscription | null {
    return this.#subscription
  }

  /** Starts the loop: the first GetTelemetrySubscriptions goes out on the next tick. */
  start(): void {
    if (this.#state === 'subscription-needed' && this.#timer === null && this.#inFlight === null) this.#schedule(0, () => this.#getSubscription())
  }

  /**
   * The id the broker assigned this client: at once when known, else when the first subscription arrives; null when
   * the loop stopped without one (the brokers do not support KIP-714, or refused it). TimeoutError after `timeoutMs`.
   */
  clientInstanceId(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string | null> {
    if (this.#clientInstanceId !== null) return Promise.resolve(this.#clientInstanceId)
    if (this.#state === 'terminated' || this.#state === 'terminating-push') return Promise.resolve(null)
    const timeoutMs = options.timeoutMs ?? 60_000
    return new Promise<string | null>((resolve, reject) => {
      let timer: ClockTimer | null = null
      const done = (id: string | null): void => {
        this.#clock.clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        resolve(id)
      }
      const fail = (error: Error): void => {
        this.#idWaiters = this.#idWaiters.filter((w) => w !== done)
        options.signal?.removeEventListener('abort', onAbort)
        reject(error)
      }
      const onAbort = (): void => {
        this.#clock.clearTimeout(timer)
        fail(options.signal!.reason instanceof Error ? options.signal!.reason : new KafkaError('clientInstanceId() was aborted'))
      }
      if (options.signal?.aborted) return onAbort()
      options.signal?.addEventListener('abort', onAbort, { once: true })
      timer = this.#clock.setTimeout(() => fail(new TimeoutError(`No client instance id within ${timeoutMs} ms`)), timeoutMs)
      this.#idWaiters.push(done)
      this.#options.connect?.(this.#abort.signal).catch((error: unknown) => this.#logger.debug({ err: error }, 'telemetry: connecting for clientInstanceId() failed'))
    })
  }

  /**
   * Stops the loop. With a subscription that asks for metrics, first sends one last push marked Terminating (after
   * any push in flight), bounded by `timeoutMs` (0: no last push); never throws.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#state === 'terminated' || this.#state === 'terminating-push') return
    this.#clearTimer()
    // Only a push in flight is worth waiting for; a subscription request (or the wait for a first connection) ends.
    const pushing = this.#state === 'push-in-progress' ? this.#inFlight : null
    const timeoutMs = Math.max(0, options.timeoutMs ?? this.#requestTimeoutMs)
    const deadline = this.#clock.now() + timeoutMs
    const canPush = timeoutMs > 0 && this.#subscription !== null && this.#subscription.requestedMetrics.length > 0 && this.#clientInstanceId !== null
    this.#state = 'terminating-push'
    if (canPush) {
      try {
        if (pushing) await this.#within(pushing, deadline)
        await this.#within(this.#push(true, deadline), deadline)
      } catch (error) {
        this.#logger.debug({ err: error }, 'telemetry: the terminating push failed')
      }
    }
    this.#terminate('closed')
  }

  #terminate(reason: string): void {
    this.#clearTimer()
    this.#state = 'terminated'
    this.stopReason ??= reason
    this.#abort.abort(new KafkaError(`telemetry stopped: ${reason}`))
    const waiters = this.#idWaiters
    this.#idWaiters = []
    for (const waiter of waiters) waiter(this.#clientInstanceId)
  }

  #within<T>(work: Promise<T>, deadline: number): Promise<T> {
    let timer: ClockTimer | null = null
    const timeout = new Promise<never>((_, reject) => {
      timer = this.#clock.setTimeout(() => reject(new TimeoutError('telemetry: close timed out')), Math.max(0, deadline - this.#clock.now()))
      timer.unref()
    })
    return Promise.race([work, timeout]).finally(() => this.#clock.clearTimeout(timer))
  }

  #clearTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer)
    this.#timer = null
  }

  #schedule(delayMs: number, step: () => Promise<void>): void {
    this.#clearTimer()
    if (!Number.isFinite(delayMs)) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null
      if (this.#state === 'terminated' || this.#state === 'terminating-push') return
      const run = step().finally(() => {
        if (this.#inFlight === run) this.#inFlight = null
      })
      this.#inFlight = run
    }, delayMs)
    // Telemetry never keeps a process alive on its own.
    this.#timer.unref()
  }

  #resubscribe(delayMs: number): void {
    this.#state = 'subscription-needed'
    this.#schedule(delayMs, () => this.#getSubscription())
  }

  #afterTransportError(error: unknown, what: string): void {
    if (this.#abort.signal.aborted || this.#state === 'terminated' || this.#state === 'terminating-push') return
    // The client's connections were closed for good (`kafka.close()` with the client still open): nobody to push for.
    if (error instanceof ConnectionError && !error.retriable) {
      this.#terminate('the client is closed')
      return
    }
    this.#logger.debug({ err: error }, `telemetry: ${what} failed; asking for the subscription again later`)
    this.#resubscribe(this.#subscription?.pushIntervalMs ?? RETRY_WITHOUT_SUBSCRIPTION_MS)
  }

  #afterErrorCode(code: number, what: string): void {
    const action = telemetryErrorAction(code, this.#subscription?.pushIntervalMs ?? null)
    if (action.kind === 'stop') {
      this.#logger.warn({ errorCode: code }, `telemetry: ${what} answered error ${code}; client metrics push stops`)
      this.#terminate(`${what} error ${code}`)
    } else {
      this.#logger.debug({ errorCode: code }, `telemetry: ${what} answered error ${code}; asking for the subscription again`)
      this.#resubscribe(action.delayMs)
    }
  }

  async #getSubscription(): Promise<void> {
    this.#state = 'subscription-in-progress'
    const signal = this.#abort.signal
    let response: GetTelemetrySubscriptionsResponse
    try {
      const connection = await this.#options.connection(signal)
      const version = connection.versions.get(ApiKeys.GetTelemetrySubscriptions)
      // A broker without a client telemetry receiver advertises neither API (KIP-714): nothing to do, ever.
      if (version === null || connection.versions.get(ApiKeys.PushTelemetry) === null) {
        this.#logger.debug({}, 'telemetry: the broker does not support client metrics push (KIP-714)')
        this.#terminate('unsupported by the broker')
        return
      }
      const api = apis[ApiKeys.GetTelemetrySubscriptions] as ApiCodec<unknown, GetTelemetrySubscriptionsResponse>
      response = await connection.send(api, { clientInstanceId: this.#clientInstanceId ?? ZERO_UUID }, { version, signal, timeoutMs: this.#requestTimeoutMs })
    } catch (error) {
      this.#afterTransportError(error, 'GetTelemetrySubscriptions')
      return
    }
    if (this.#state !== 'subscription-in-progress') return
    if (response.errorCode !== 0) return this.#afterErrorCode(response.errorCode, 'GetTelemetrySubscriptions')
    if (this.#clientInstanceId === null) {
      if (response.clientInstanceId === ZERO_UUID) {
        // The KIP requires an id on the first answer; a broker that sends none is treated as not supporting it.
        this.#logger.warn({}, 'telemetry: the broker assigned no client instance id; client metrics push stops')
        this.#terminate('no client instance id')
        return
      }
      this.#clientInstanceId = response.clientInstanceId
      const waiters = this.#idWaiters
      this.#idWaiters = []
      for (const waiter of waiters) waiter(this.#clientInstanceId)
    }
    const pushIntervalMs = response.pushIntervalMs > 0 ? response.pushIntervalMs : DEFAULT_PUSH_INTERVAL_MS
    if (this.#subscription && this.#subscription.deltaTemporality !== response.deltaTemporality) this.#series.clear()
    this.#subscription = {
      clientInstanceId: this.#clientInstanceId,
      subscriptionId: response.subscriptionId,
      acceptedCompressionTypes: response.acceptedCompressionTypes,
      pushIntervalMs,
      telemetryMaxBytes: response.telemetryMaxBytes,
      deltaTemporality: response.deltaTemporality,
      requestedMetrics: response.requestedMetrics,
    }
    this.#selector = metricSelector(response.requestedMetrics)
    if (response.requestedMetrics.length === 0) {
      // Nothing subscribed: ask again an interval later, so that a subscription added meanwhile is picked up.
      this.#resubscribe(pushIntervalMs)
      return
    }
    this.#state = 'push-needed'
    const delay = this.#pushedBefore ? pushIntervalMs : firstPushDelayMs(pushIntervalMs, this.#random)
    this.#schedule(delay, () => this.#push(false))
  }

  async #push(terminating: boolean, deadline?: number): Promise<void> {
    const subscription = this.#subscription
    if (!subscription || this.#clientInstanceId === null) return
    if (!terminating) this.#state = 'push-in-progress'
    this.#pushedBefore = true
    let codec: CompressionCodec = 'none'
    let payload: Buffer
    try {
      payload = this.collect()
      codec = chooseCompression(subscription.acceptedCompressionTypes, this.#refusedCompression)
      if (codec !== 'none') {
        try {
          payload = compressSync(codec, payload)
        } catch (error) {
          this.#logger.debug({ err: error, codec }, 'telemetry: compressing the payload failed; sending it uncompressed')
          this.#refusedCompression.add(COMPRESSION_IDS[codec])
          codec = 'none'
        }
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'telemetry: encoding the metrics failed; client metrics push stops')
      this.#terminate('encoding failed')
      return
    }
    let response: PushTelemetryResponse
    try {
      // The terminating push must not be cut short by close() aborting the loop's signal: it has its own deadline.
      const signal = terminating ? undefined : this.#abort.signal
      const connection = await this.#options.connection(signal ?? new AbortController().signal)
      const api = apis[ApiKeys.PushTelemetry] as ApiCodec<unknown, PushTelemetryResponse>
      const timeoutMs = deadline === undefined ? this.#requestTimeoutMs : Math.max(1, Math.min(this.#requestTimeoutMs, deadline - this.#clock.now()))
      response = await connection.send(
        api,
        { clientInstanceId: this.#clientInstanceId, subscriptionId: subscription.subscriptionId, terminating, compressionType: COMPRESSION_IDS[codec], metrics: payload },
        { signal, timeoutMs },
      )
    } catch (error) {
      if (terminating) throw error
      this.#afterTransportError(error, 'PushTelemetry')
      return
    }
    if (terminating) {
      if (response.errorCode !== 0) this.#logger.debug({ errorCode: response.errorCode }, 'telemetry: the terminating push was refused')
      return
    }
    if (this.#state !== 'push-in-progress') return
    if (response.errorCode !== 0) {
      if (response.errorCode === ErrorCodes.UNSUPPORTED_COMPRESSION_TYPE && codec !== 'none') this.#refusedCompression.add(COMPRESSION_IDS[codec])
      return this.#afterErrorCode(response.errorCode, 'PushTelemetry')
    }
    this.#state = 'push-needed'
    this.#schedule(subscription.pushIntervalMs, () => this.#push(false))
  }

  /**
   * The subscribed metrics as of now, OTLP-encoded (uncompressed). Monotonic metrics are Sums, cumulative (from when
   * the series was first seen: the client's creation for those it starts with) or deltas since the last push, as the
   * subscription says; every other metric is a Gauge. Public for tests.
   */
  collect(): Buffer {
    const now = this.#clock.now()
    const subscription = this.#subscription
    const delta = subscription?.deltaTemporality ?? false
    const firstCollect = this.#lastCollectAt === null
    const metrics = new Map<string, OtlpMetric>()
    for (const point of this.#options.metrics()) {
      const name = telemetryMetricName(point.group, point.name)
      if (!this.#selector(name)) continue
      const attributes = telemetryAttributes(point.tags)
      let metric = metrics.get(name)
      if (!metric) {
        metric = {
          name,
          description: point.description,
          sum: point.monotonic ? { temporality: delta ? AGGREGATION_TEMPORALITY_DELTA : AGGREGATION_TEMPORALITY_CUMULATIVE, monotonic: true } : undefined,
          points: [],
        }
        metrics.set(name, metric)
      }
      if (!point.monotonic) {
        metric.points.push({ attributes, timeMs: now, value: point.value })
        continue
      }
      const key = seriesKey(name, attributes)
      let series = this.#series.get(key)
      if (!series) {
        const since = firstCollect ? this.#createdAt : this.#lastCollectAt!
        series = { firstSeenAt: since, lastValue: 0, lastAt: since }
        this.#series.set(key, series)
      }
      if (delta) {
        metric.points.push({ attributes, startTimeMs: series.lastAt, timeMs: now, value: point.value - series.lastValue })
        series.lastValue = point.value
        series.lastAt = now
      } else {
        metric.points.push({ attributes, startTimeMs: series.firstSeenAt, timeMs: now, value: point.value })
      }
    }
    this.#lastCollectAt = now
    return encodeMetricsData({ resource: this.#options.resource?.() ?? {}, metrics: [...metrics.values()] })
  }
}

function seriesKey(name: string, attributes: Record<string, string>): string {
  let key = name
  for (const k of Object.keys(attributes).sort()) key += `\u0000${k}=${attributes[k]}`
  return key
}
