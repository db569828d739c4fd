/**
 * The share consumer's metrics, named as the Java share consumer's (`consumer-share-fetch-manager-metrics`,
 * `consumer-share-coordinator-metrics`; connections and requests under `consumer-metrics`, as Java's share consumer
 * reports them). The fetcher records per ShareFetch response and per acknowledgement sent, the consumer per message
 * handed out, the membership per heartbeat and per assignment change.
 */
import type { MetricsRegistry, NetworkMetrics, Sensor, StatKind } from '../network/metrics.js'
import { FetchStats } from './metrics.js'

const FETCH_GROUP = 'consumer-share-fetch-manager-metrics'
const COORDINATOR_GROUP = 'consumer-share-coordinator-metrics'

export class ShareConsumerMetrics {
  readonly registry: MetricsRegistry
  readonly #clock: MetricsRegistry['clock']
  readonly #fetch: FetchStats
  readonly #consumedRecords: Sensor
  readonly #consumedBytes: Sensor
  /** Values: acknowledged offsets per request (gaps included, as the broker counts them). */
  readonly #acknowledgements: Sensor
  readonly #acknowledgementErrors: Sensor
  readonly #heartbeats: Sensor
  readonly #rebalances: Sensor
  /** Messages handed out since the last read (a plain counter: the sensor is updated on read, not per message). */
  #handedOut = 0

  constructor(registry: MetricsRegistry, clientId: string, network: NetworkMetrics | undefined) {
    this.registry = registry
    this.#clock = registry.clock
    const tags = { 'client-id': clientId }
    const stat = (group: string) => (name: string, description: string, sensor: Sensor, kind: StatKind) => registry.stat(name, group, description, tags, sensor, kind)
    const fetchStat = stat(FETCH_GROUP)
    const coordinatorStat = stat(COORDINATOR_GROUP)
    this.#consumedRecords = registry.sensor()
    this.#consumedBytes = registry.sensor()
    this.#acknowledgements = registry.sensor()
    this.#acknowledgementErrors = registry.sensor()
    this.#heartbeats = registry.sensor()
    this.#rebalances = registry.sensor()
    registry.beforeRead(() => {
      if (this.#handedOut === 0) return
      this.#consumedRecords.record(this.#handedOut, this.#clock.now())
      this.#handedOut = 0
    })
    fetchStat('records-consumed-rate', 'Records handed to the application per second.', this.#consumedRecords, 'rate')
    fetchStat('records-consumed-total', 'Total records handed to the application.', this.#consumedRecords, 'total')
    fetchStat('bytes-consumed-rate', 'Bytes per second of the record data records were acquired from.', this.#consumedBytes, 'rate')
    fetchStat('bytes-consumed-total', 'Total bytes of the record data records were acquired from.', this.#consumedBytes, 'total')
    this.#fetch = new FetchStats(registry, FETCH_GROUP, tags, 'ShareFetch', 'acquired records', { recordsPerRequestMax: true })
    fetchStat('acknowledgements-send-rate', 'Record acknowledgements sent per second (ShareFetch and ShareAcknowledge).', this.#acknowledgements, 'rate')
    fetchStat('acknowledgements-send-total', 'Total record acknowledgements sent.', this.#acknowledgements, 'total')
    fetchStat('acknowledgements-error-rate', 'Record acknowledgements per second that a leader refused.', this.#acknowledgementErrors, 'rate')
    fetchStat('acknowledgements-error-total', 'Total record acknowledgements that a leader refused.', this.#acknowledgementErrors, 'total')
    coordinatorStat('heartbeat-rate', 'ShareGroupHeartbeats per second.', this.#heartbeats, 'event-rate')
    coordinatorStat('heartbeat-total', 'Total ShareGroupHeartbeats.', this.#heartbeats, 'count')
    coordinatorStat('heartbeat-response-time-max', 'The longest time a heartbeat took to be answered, in ms.', this.#heartbeats, 'max')
    coordinatorStat('rebalance-rate-per-hour', 'Assignment changes per hour.', this.#rebalances, 'event-rate-per-hour')
    coordinatorStat('rebalance-total', 'Total assignment changes.', this.#rebalances, 'count')
    registry.gauge('last-heartbeat-seconds-ago', COORDINATOR_GROUP, 'Seconds since the last heartbeat was answered (-1 before the first).', tags, (now) =>
      this.#heartbeats.count === 0 ? -1 : Math.max(0, (now - this.#heartbeats.lastRecordedAt) / 1000),
    )
    // Absent only where a test scripts the cluster.
    network?.register(registry, 'consumer-metrics', tags)
  }

  /** One ShareFetch answered: record bytes and acquired records summed over its partitions. */
  fetched(latencyMs: number, bytes: number, records: number, throttleTimeMs: number): void {
    const now = this.#clock.now()
    this.#fetch.fetched(latencyMs, bytes, records, throttleTimeMs, now)
    if (records > 0) this.#consumedBytes.record(bytes, now)
  }

  /** A leader answered a request carrying `sent` acknowledged offsets, `refused` of them in partitions it refused. */
  acknowledged(sent: number, refused: number): void {
    const now = this.#clock.now()
    if (sent > 0) this.#acknowledgements.record(sent, now)
    if (refused > 0) this.#acknowledgementErrors.record(refused, now)
  }

  handedOut(): void {
    this.#handedOut++
  }

  heartbeat(responseTimeMs: number): void {
    this.#heartbeats.record(responseTimeMs, this.#clock.now())
  }

  assignmentChanged(): void {
    this.#rebalances.record(1, this.#clock.now())
  }
}
