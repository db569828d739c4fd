/**
 * The consumer's metrics, named as the Java consumer's (`consumer-metrics`, `consumer-fetch-manager-metrics`,
 * `consumer-coordinator-metrics`). The fetcher records per Fetch response (and per partition in it), the delivery
 * buffer per record batch the application starts reading, the group code per commit, heartbeat and rebalance;
 * per-partition lag and lead are computed when read, from the positions the consumer keeps anyway.
 */
import type { MetricSnapshot, MetricsRegistry, NetworkMetrics, Sensor, StatKind } from '../network/metrics.js'
import type { PartitionState } from './partition-state.js'

const FETCH_GROUP = 'consumer-fetch-manager-metrics'
const COORDINATOR_GROUP = 'consumer-coordinator-metrics'

export interface ConsumerMetricsSource {
  /** The partitions assigned now. */
  partitions(): Iterable<PartitionState>
  readCommitted: boolean
  /** False for a consumer without a group: no coordinator metrics. */
  grouped: boolean
  /** Messages handed to the application since the last call (a counter the delivery buffer keeps). */
  takeConsumed(): number
}

export class ConsumerMetrics {
  readonly registry: MetricsRegistry
  readonly #clock: MetricsRegistry['clock']
  readonly #fetch: FetchStats
  /** Values: records (bytes) of each batch the application starts reading. */
  readonly #consumedRecords: Sensor
  readonly #consumedBytes: Sensor
  readonly #lag: Sensor
  readonly #lead: Sensor
  readonly #commits: Sensor
  readonly #rebalances: Sensor
  readonly #failedRebalances: Sensor
  readonly #heartbeats: Sensor

  constructor(registry: MetricsRegistry, clientId: string, network: NetworkMetrics | undefined, source: ConsumerMetricsSource) {
    this.registry = registry
    this.#clock = registry.clock
    const tags = { 'client-id': clientId }
    const fetchStat = (name: string, description: string, sensor: Sensor, kind: StatKind): void => registry.stat(name, FETCH_GROUP, description, tags, sensor, kind)
    this.#consumedRecords = registry.sensor()
    this.#consumedBytes = registry.sensor()
    this.#lag = registry.sensor()
    this.#lead = registry.sensor()
    this.#commits = registry.sensor()
    this.#rebalances = registry.sensor()
    this.#failedRebalances = registry.sensor()
    this.#heartbeats = registry.sensor()
    // Messages handed out since the last batch boundary count before anything is read.
    registry.beforeRead(() => {
      const records = source.takeConsumed()
      if (records > 0) this.#consumedRecords.record(records, this.#clock.now())
    })
    fetchStat('records-consumed-rate', 'Records handed to the application per second.', this.#consumedRecords, 'rate')
    fetchStat('records-consumed-total', 'Total records handed to the application.', this.#consumedRecords, 'total')
    fetchStat('bytes-consumed-rate', 'Bytes per second of the record batches the application read from.', this.#consumedBytes, 'rate')
    fetchStat('bytes-consumed-total', 'Total bytes of the record batches the application read from.', this.#consumedBytes, 'total')
    this.#fetch = new FetchStats(registry, FETCH_GROUP, tags, 'Fetch', 'records')
    fetchStat('records-lag-max', 'The largest lag, in records, of any partition as seen by a Fetch response in the window.', this.#lag, 'max')
    fetchStat('records-lead-min', 'The smallest lead, in records, of any partition as seen by a Fetch response in the window.', this.#lead, 'min')
    registry.collector((_now, out) => {
      for (const state of source.partitions()) {
        if (state.revoked || state.position === null) continue
        const partitionTags = { ...tags, topic: state.topic, partition: String(state.partition) }
        const end = source.readCommitted ? state.lastStableOffset : state.highWatermark
        if (end !== null) out.push(snapshot('records-lag', 'Records between the position and the end of the partition (high watermark, or last stable offset under read_committed).', partitionTags, Number(end - state.position)))
        if (state.logStartOffset !== null) out.push(snapshot('records-lead', 'Records between the start of the partition\'s log and the position.', partitionTags, Number(state.position - state.logStartOffset)))
      }
    })
    if (source.grouped) {
      const groupStat = (name: string, description: string, sensor: Sensor, kind: StatKind): void => registry.stat(name, COORDINATOR_GROUP, description, tags, sensor, kind)
      groupStat('commit-latency-avg', 'The average time an OffsetCommit took, in ms.', this.#commits, 'avg')
      groupStat('commit-latency-max', 'The longest time an OffsetCommit took, in ms.', this.#commits, 'max')
      groupStat('commit-rate', 'Offset commits per second.', this.#commits, 'event-rate')
      groupStat('commit-total', 'Total offset commits.', this.#commits, 'count')
      groupStat('rebalance-latency-avg', 'The average time a rebalance took, in ms.', this.#rebalances, 'avg')
      groupStat('rebalance-latency-max', 'The longest time a rebalance took, in ms.', this.#rebalances, 'max')
      groupStat('rebalance-latency-total', 'Total time spent in rebalances, in ms.', this.#rebalances, 'total')
      groupStat('rebalance-rate-per-hour', 'Rebalances this member took part in per hour.', this.#rebalances, 'event-rate-per-hour')
      groupStat('rebalance-total', 'Total rebalances this member took part in.', this.#rebalances, 'count')
      groupStat('failed-rebalance-rate-per-hour', 'Rebalances that failed, per hour.', this.#failedRebalances, 'event-rate-per-hour')
      groupStat('failed-rebalance-total', 'Total rebalances that failed.', this.#failedRebalances, 'count')
      groupStat('heartbeat-rate', 'Heartbeats per second.', this.#heartbeats, 'event-rate')
      groupStat('heartbeat-total', 'Total heartbeats.', this.#heartbeats, 'count')
      groupStat('heartbeat-response-time-max', 'The longest time a heartbeat took to be answered, in ms.', this.#heartbeats, 'max')
      registry.gauge('last-rebalance-seconds-ago', COORDINATOR_GROUP, 'Seconds since the last rebalance completed (-1 before the first).', tags, (now) => secondsSince(this.#rebalances, now))
      registry.gauge('last-heartbeat-seconds-ago', COORDINATOR_GROUP, 'Seconds since the last heartbeat was answered (-1 before the first).', tags, (now) => secondsSince(this.#heartbeats, now))
      registry.gauge('assigned-partitions', COORDINATOR_GROUP, 'Partitions assigned to this consumer now.', tags, () => {
        let n = 0
        for (const state of source.partitions()) if (!state.revoked) n++
        return n
      })
    }
    // Absent only where a test scripts the cluster.
    network?.register(registry, 'consumer-metrics', tags)
  }

  /** One Fetch answered: `bytes` and `records` summed over its partitions. */
  fetched(latencyMs: number, bytes: number, records: number, throttleTimeMs: number): void {
    this.#fetch.fetched(latencyMs, bytes, records, throttleTimeMs, this.#clock.now())
  }

  /** A Fetch response's view of one partition: how far the position is from the end and from the log start. */
  partitionFetched(lag: number, lead: number): void {
    const now = this.#clock.now()
    this.#lag.record(lag, now)
    if (lead >= 0) this.#lead.record(lead, now)
  }

  /** The application starts reading a batch `bytes` long; `records` were handed out since the last call. */
  consumed(records: number, bytes: number): void {
    const now = this.#clock.now()
    if (records > 0) this.#consumedRecords.record(records, now)
    this.#consumedBytes.record(bytes, now)
  }

  committed(latencyMs: number): void {
    this.#commits.record(latencyMs, this.#clock.now())
  }

  rebalanced(latencyMs: number): void {
    this.#rebalances.record(latencyMs, this.#clock.now())
  }

  rebalanceFailed(): void {
    this.#failedRebalances.record(1, this.#clock.now())
  }

  heartbeat(responseTimeMs: number): void {
    this.#heartbeats.record(responseTimeMs, this.#clock.now())
  }
}

/**
 * The per-request part of a fetch-manager group, the same for Fetch (the consumer) and ShareFetch (the share
 * consumer): requests and their record bytes, latency, records per request and quota throttling.
 */
export class FetchStats {
  /** Values: record bytes per response. */
  readonly #responses: Sensor
  readonly #latency: Sensor
  readonly #records: Sensor
  readonly #throttle: Sensor

  /** `request` names the API in the descriptions, `records` what a response's record count counts. */
  constructor(registry: MetricsRegistry, group: string, tags: Record<string, string>, request: 'Fetch' | 'ShareFetch', records: string, options: { recordsPerRequestMax?: boolean } = {}) {
    this.#responses = registry.sensor()
    this.#latency = registry.sensor()
    this.#records = registry.sensor()
    this.#throttle = registry.sensor()
    const stat = (name: string, description: string, sensor: Sensor, kind: StatKind): void => registry.stat(name, group, description, tags, sensor, kind)
    stat('fetch-rate', `${request} responses per second.`, this.#responses, 'event-rate')
    stat('fetch-total', `Total ${request} responses.`, this.#responses, 'count')
    stat('fetch-size-avg', `The average record bytes per ${request} response.`, this.#responses, 'avg')
    stat('fetch-size-max', `The most record bytes in one ${request} response.`, this.#responses, 'max')
    stat('fetch-latency-avg', `The average time a ${request} took, in ms (long polls included).`, this.#latency, 'avg')
    stat('fetch-latency-max', `The longest time a ${request} took, in ms.`, this.#latency, 'max')
    stat('records-per-request-avg', `The average number of ${records} per ${request} response.`, this.#records, 'avg')
    if (options.recordsPerRequestMax) stat('records-per-request-max', `The most ${records} in one ${request} response.`, this.#records, 'max')
    stat('fetch-throttle-time-avg', 'The average time the brokers asked this consumer to back off (quotas), in ms.', this.#throttle, 'avg')
    stat('fetch-throttle-time-max', 'The longest time a broker asked this consumer to back off (quotas), in ms.', this.#throttle, 'max')
  }

  fetched(latencyMs: number, bytes: number, records: number, throttleTimeMs: number, now: number): void {
    this.#responses.record(bytes, now)
    this.#latency.record(latencyMs, now)
    this.#records.record(records, now)
    this.#throttle.record(throttleTimeMs, now)
  }
}

/** What the group code reports; absent where nobody measures (tests that script a membership). */
export type GroupMetricsSink = Pick<ConsumerMetrics, 'committed' | 'rebalanced' | 'rebalanceFailed' | 'heartbeat'>

function secondsSince(sensor: Sensor, now: number): number {
  return sensor.count === 0 ? -1 : Math.max(0, (now - sensor.lastRecordedAt) / 1000)
}

function snapshot(name: string, description: string, tags: Record<string, string>, value: number): MetricSnapshot {
  return { name, group: FETCH_GROUP, description, tags, value }
}
