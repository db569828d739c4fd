/**
 * The metrics registry: named metrics with a group, a description and tags, as the Java client names them, read on
 * demand (`producer.metrics()` …). Recording is cheap on purpose: a `Sensor` is a handful of preallocated numbers
 * that an event updates (a batch, a request, a response — never a record), and every derived value (averages,
 * rates, maxima) is computed when somebody reads it. Nobody reading costs nothing beyond those updates.
 *
 * Windowed stats keep `samples` windows of `windowMs` each (Java's defaults: 2 × 30 s): a window closes once it is
 * `windowMs` old and the next event starts a new one in the oldest slot; a window older than `samples × windowMs`
 * no longer counts. Rates divide by the time the live windows span, at least `(samples - 1) × windowMs`, so that a
 * rate read just after the start is not inflated by a tiny denominator.
 *
 * This file owns the arithmetic and the registry only; what to record where is each client's (producer/metrics.ts,
 * consumer/metrics.ts, admin), and the network's own traffic is recorded by `NetworkMetrics` below.
 */
import type { Clock } from './clock.js'

/** One metric as read at one moment. `value` is NaN for an average, max or min with no events in its windows. */
export interface MetricSnapshot {
  /** The Java client's name, e.g. `record-send-rate`. */
  name: string
  /** The Java client's group, e.g. `producer-metrics`, `consumer-fetch-manager-metrics`. */
  group: string
  description: string
  /** Always `client-id`; per-topic, per-partition and per-node metrics add `topic`, `partition`, `node-id`. */
  tags: Record<string, string>
  value: number
}

export interface MetricsConfig {
  /** Windows kept by windowed stats. Default 2 (Java's metrics.num.samples). */
  samples: number
  /** Length of one window. Default 30 000 (Java's metrics.sample.window.ms). */
  windowMs: number
}

export const DEFAULT_METRICS_CONFIG: MetricsConfig = { samples: 2, windowMs: 30_000 }

/**
 * What a metric computes from its sensor:
 * - `avg`, `max`, `min`: of the values recorded in the live windows;
 * - `rate`: sum of the values per second over the live windows (bytes/s when the values are sizes);
 * - `event-rate`: events per second over the live windows; `event-rate-per-hour` the same per hour;
 * - `total`: sum of every value ever recorded; `count`: events ever recorded.
 */
export type StatKind = 'avg' | 'max' | 'min' | 'rate' | 'event-rate' | 'event-rate-per-hour' | 'total' | 'count'

/** A point where values are recorded; every stat of it is read from the same few numbers. */
export class Sensor {
  readonly #samples: number
  readonly #windowMs: number
  readonly #start: number[]
  readonly #count: number[]
  readonly #sum: number[]
  readonly #max: number[]
  readonly #min: number[]
  #current = 0
  /** Sum of every value recorded. */
  total = 0
  /** Events recorded. */
  count = 0
  /** When the last event was recorded (clock ms), 0 before any. */
  lastRecordedAt = 0

  constructor(now: number, config: MetricsConfig = DEFAULT_METRICS_CONFIG) {
    this.#samples = Math.max(1, config.samples)
    this.#windowMs = Math.max(1, config.windowMs)
    const n = this.#samples
    this.#start = new Array<number>(n).fill(now)
    this.#count = new Array<number>(n).fill(0)
    this.#sum = new Array<number>(n).fill(0)
    this.#max = new Array<number>(n).fill(-Infinity)
    this.#min = new Array<number>(n).fill(Infinity)
  }

  record(value: number, now: number): void {
    let i = this.#current
    if (now - this.#start[i]! >= this.#windowMs) {
      i = this.#current = (i + 1) % this.#samples
      this.#reset(i, now)
    }
    this.#count[i]!++
    this.#sum[i]! += value
    if (value > this.#max[i]!) this.#max[i] = value
    if (value < this.#min[i]!) this.#min[i] = value
    this.total += value
    this.count++
    this.lastRecordedAt = now
  }

  #reset(i: number, now: number): void {
    this.#start[i] = now
    this.#count[i] = 0
    this.#sum[i] = 0
    this.#max[i] = -Infinity
    this.#min[i] = Infinity
  }

  read(kind: StatKind, now: number): number {
    switch (kind) {
      case 'total':
        return this.total
      case 'count':
        return this.count
    }
    // Reading changes nothing: windows older than the horizon are skipped, not cleared.
    const horizon = this.#samples * this.#windowMs
    let count = 0
    let sum = 0
    let max = -Infinity
    let min = Infinity
    let oldest = now
    for (let i = 0; i < this.#samples; i++) {
      const start = this.#start[i]!
      if (now - start >= horizon) continue
      if (start < oldest) oldest = start
      const c = this.#count[i]!
      if (c === 0) continue
      count += c
      sum += this.#sum[i]!
      if (this.#max[i]! > max) max = this.#max[i]!
      if (this.#min[i]! < min) min = this.#min[i]!
    }
    switch (kind) {
      case 'avg':
        return count === 0 ? NaN : sum / count
      case 'max':
        return count === 0 ? NaN : max
      case 'min':
        return count === 0 ? NaN : min
      default: {
        const elapsedMs = Math.max(now - oldest, (this.#samples - 1) * this.#windowMs, 1)
        const perSecond = (kind === 'rate' ? sum : count) / (elapsedMs / 1000)
        return kind === 'event-rate-per-hour' ? perSecond * 3600 : perSecond
      }
    }
  }
}

interface MetricEntry {
  name: string
  group: string
  description: string
  tags: Record<string, string>
  read: (now: number) => number
  monotonic: boolean
}

/**
 * A metric as pushed to the brokers (KIP-714, telemetry.ts): a snapshot that also says whether it is a cumulative
 * count or sum (`total`/`count` stats, which only grow: an OTLP Sum) or a value of the moment (an OTLP Gauge), the
 * split Java's telemetry collector makes between CumulativeSum/CumulativeCount and every other stat.
 */
export interface MetricPoint extends MetricSnapshot {
  monotonic: boolean
}

/** Adds metrics computed at read time, for sets that change (per-partition lag): called on every read. */
export type MetricCollector = (now: number, out: MetricSnapshot[]) => void

/**
 * One client's metrics: fixed entries, lazily added per-topic or per-node entries, and collectors for sets that come
 * and go. `snapshot()` reads all of them at one `now`.
 */
export class MetricsRegistry {
  readonly clock: Clock
  readonly config: MetricsConfig
  readonly #entries = new Map<string, MetricEntry>()
  readonly #collectors: MetricCollector[] = []
  readonly #beforeRead: Array<() => void> = []

  constructor(clock: Clock, config: Partial<MetricsConfig> = {}) {
    this.clock = clock
    this.config = { ...DEFAULT_METRICS_CONFIG, ...config }
  }

  sensor(): Sensor {
    return new Sensor(this.clock.now(), this.config)
  }

  /** A metric read from a sensor; adding the same name, group and tags again replaces it. */
  stat(name: string, group: string, description: string, tags: Record<string, string>, sensor: Sensor, kind: StatKind): void {
    const read = (now: number): number => sensor.read(kind, now)
    this.#entries.set(keyOf(name, group, tags), { name, group, description, tags, read, monotonic: kind === 'total' || kind === 'count' })
  }

  /** A metric whose value a function gives when read. */
  gauge(name: string, group: string, description: string, tags: Record<string, string>, read: (now: number) => number): void {
    this.#entries.set(keyOf(name, group, tags), { name, group, description, tags, read, monotonic: false })
  }

  collector(collect: MetricCollector): void {
    this.#collectors.push(collect)
  }

  /** Runs before every read: for counts kept outside a sensor that are folded in lazily. */
  beforeRead(hook: () => void): void {
    this.#beforeRead.push(hook)
  }

  snapshot(): MetricSnapshot[] {
    return this.points().map(({ monotonic: _, ...metric }) => metric)
  }

  /** The same values as `snapshot()`, each marked monotonic or not; collectors' metrics are gauges. */
  points(): MetricPoint[] {
    for (const hook of this.#beforeRead) hook()
    const now = this.clock.now()
    const out: MetricPoint[] = []
    for (const e of this.#entries.values()) {
      out.push({ name: e.name, group: e.group, description: e.description, tags: { ...e.tags }, value: e.read(now), monotonic: e.monotonic })
    }
    const collected: MetricSnapshot[] = []
    for (const collect of this.#collectors) collect(now, collected)
    for (const m of collected) out.push({ ...m, monotonic: false })
    return out
  }
}

function keyOf(name: string, group: string, tags: Record<string, string>): string {
  let key = `${group}\u0000${name}`
  for (const k in tags) key += `\u0000${k}=${tags[k]}`
  return key
}

/**
 * The traffic of one cluster's connections (shared by every client of one `Kafka`): connections opened and closed,
 * requests written, responses read, their sizes and latencies. The connection records into it; each client's
 * registry shows it under the client's own group (`producer-metrics`, `consumer-metrics`, `admin-client-metrics`).
 */
export class NetworkMetrics {
  readonly clock: Clock
  /** Values: bytes written per request. */
  readonly requests: Sensor
  /** Values: bytes read per response. */
  readonly responses: Sensor
  /** Values: ms from writing a request to reading its response. */
  readonly latency: Sensor
  readonly connectionsCreated: Sensor
  readonly connectionsClosed: Sensor
  /** Open connections, as the pool counts them (set by the cluster). */
  connectionCount: () => number = () => 0

  constructor(clock: Clock, config: MetricsConfig = DEFAULT_METRICS_CONFIG) {
    this.clock = clock
    const now = clock.now()
    this.requests = new Sensor(now, config)
    this.responses = new Sensor(now, config)
    this.latency = new Sensor(now, config)
    this.connectionsCreated = new Sensor(now, config)
    this.connectionsClosed = new Sensor(now, config)
  }

  /** Adds the connection and request metrics to a client's registry under `group`. */
  register(registry: MetricsRegistry, group: string, tags: Record<string, string>, options: { latency?: boolean } = {}): void {
    const stat = (name: string, description: string, sensor: Sensor, kind: StatKind): void => registry.stat(name, group, description, tags, sensor, kind)
    registry.gauge('connection-count', group, 'The current number of active connections.', tags, () => this.connectionCount())
    stat('connection-creation-rate', 'New connections established per second.', this.connectionsCreated, 'event-rate')
    stat('connection-creation-total', 'Total new connections established.', this.connectionsCreated, 'count')
    stat('connection-close-rate', 'Connections closed per second.', this.connectionsClosed, 'event-rate')
    stat('connection-close-total', 'Total connections closed.', this.connectionsClosed, 'count')
    stat('request-rate', 'Requests sent per second.', this.requests, 'event-rate')
    stat('request-total', 'Total requests sent.', this.requests, 'count')
    stat('request-size-avg', 'The average size of requests sent, in bytes.', this.requests, 'avg')
    stat('request-size-max', 'The largest request sent, in bytes.', this.requests, 'max')
    stat('outgoing-byte-rate', 'Bytes sent per second, to all brokers.', this.requests, 'rate')
    stat('outgoing-byte-total', 'Total bytes sent, to all brokers.', this.requests, 'total')
    stat('response-rate', 'Responses received per second.', this.responses, 'event-rate')
    stat('response-total', 'Total responses received.', this.responses, 'count')
    stat('incoming-byte-rate', 'Bytes read per second, from all brokers.', this.responses, 'rate')
    stat('incoming-byte-total', 'Total bytes read, from all brokers.', this.responses, 'total')
    if (options.latency !== false) {
      stat('request-latency-avg', 'The average time from writing a request to reading its response, in ms.', this.latency, 'avg')
      stat('request-latency-max', 'The longest time from writing a request to reading its response, in ms.', this.latency, 'max')
    }
  }
}
