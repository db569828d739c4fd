/**
 * The producer's metrics, named as the Java producer's (`producer-metrics`, `producer-topic-metrics`,
 * `producer-node-metrics`). The sender records per batch and per request, the accumulator per wait for buffer
 * memory; nothing here runs per record. Per-topic and per-node sensors are made on first use and kept.
 */
import type { MetricsRegistry, NetworkMetrics, Sensor } from '../network/metrics.js'

const GROUP = 'producer-metrics'
const TOPIC_GROUP = 'producer-topic-metrics'
const NODE_GROUP = 'producer-node-metrics'

interface TopicSensors {
  /** Values: records per batch sent. */
  records: Sensor
  /** Values: bytes per batch sent. */
  bytes: Sensor
  /** Values: records per batch that failed for good. */
  errors: Sensor
  /** Values: records per batch retried. */
  retries: Sensor
  /** Values: compressed / uncompressed size per batch. */
  compression: Sensor
}

export interface BufferGauges {
  /** Bytes of buffer memory not held by batches. */
  available(): number
  /** bufferMemory. */
  readonly total: number
}

export class ProducerMetrics {
  readonly registry: MetricsRegistry
  readonly #tags: Record<string, string>
  readonly #records: Sensor
  readonly #errors: Sensor
  readonly #retries: Sensor
  readonly #batchSize: Sensor
  readonly #compression: Sensor
  readonly #recordsPerRequest: Sensor
  readonly #throttle: Sensor
  readonly #latency: Sensor
  readonly #bufferWaitNs: Sensor
  readonly #topics = new Map<string, TopicSensors>()
  readonly #nodes = new Map<number, Sensor>()

  constructor(registry: MetricsRegistry, clientId: string, network: NetworkMetrics, buffer: BufferGauges) {
    this.registry = registry
    const tags = (this.#tags = { 'client-id': clientId })
    const stat = (name: string, description: string, sensor: Sensor, kind: Parameters<MetricsRegistry['stat']>[5]): void =>
      registry.stat(name, GROUP, description, tags, sensor, kind)
    this.#records = registry.sensor()
    this.#errors = registry.sensor()
    this.#retries = registry.sensor()
    this.#batchSize = registry.sensor()
    this.#compression = registry.sensor()
    this.#recordsPerRequest = registry.sensor()
    this.#throttle = registry.sensor()
    this.#latency = registry.sensor()
    this.#bufferWaitNs = registry.sensor()
    stat('record-send-rate', 'Records sent per second (a retried record counts again).', this.#records, 'rate')
    stat('record-send-total', 'Total records sent (a retried record counts again).', this.#records, 'total')
    stat('record-error-rate', 'Records per second whose send failed for good.', this.#errors, 'rate')
    stat('record-error-total', 'Total records whose send failed for good.', this.#errors, 'total')
    stat('record-retry-rate', 'Records per second put back for another attempt.', this.#retries, 'rate')
    stat('record-retry-total', 'Total records put back for another attempt.', this.#retries, 'total')
    stat('batch-size-avg', 'The average size of the batches sent (per partition per request), in bytes as written.', this.#batchSize, 'avg')
    stat('batch-size-max', 'The largest batch sent, in bytes as written.', this.#batchSize, 'max')
    stat('compression-rate-avg', 'The average ratio of a batch\'s size as written to its uncompressed size (1 without compression).', this.#compression, 'avg')
    stat('records-per-request-avg', 'The average number of records per Produce request.', this.#recordsPerRequest, 'avg')
    stat('produce-throttle-time-avg', 'The average time the brokers asked this producer to back off (quotas), in ms.', this.#throttle, 'avg')
    stat('produce-throttle-time-max', 'The longest time a broker asked this producer to back off (quotas), in ms.', this.#throttle, 'max')
    stat('request-latency-avg', 'The average time from writing a Produce request to reading its response, in ms.', this.#latency, 'avg')
    stat('request-latency-max', 'The longest time from writing a Produce request to reading its response, in ms.', this.#latency, 'max')
    stat('bufferpool-wait-time-ns-total', 'Total time sends waited for buffer memory, in ns.', this.#bufferWaitNs, 'total')
    registry.gauge('buffer-available-bytes', GROUP, 'Buffer memory not in use, in bytes.', tags, () => buffer.available())
    registry.gauge('buffer-total-bytes', GROUP, 'Buffer memory the producer may use (bufferMemory), in bytes.', tags, () => buffer.total)
    // Request-level latency is the Produce latency above (as Java's producer-metrics), not every request's.
    network.register(registry, GROUP, tags, { latency: false })
  }

  #topic(topic: string): TopicSensors {
    let sensors = this.#topics.get(topic)
    if (sensors !== undefined) return sensors
    const r = this.registry
    sensors = { records: r.sensor(), bytes: r.sensor(), errors: r.sensor(), retries: r.sensor(), compression: r.sensor() }
    this.#topics.set(topic, sensors)
    const tags = { ...this.#tags, topic }
    r.stat('record-send-rate', TOPIC_GROUP, 'Records sent to the topic per second.', tags, sensors.records, 'rate')
    r.stat('record-send-total', TOPIC_GROUP, 'Total records sent to the topic.', tags, sensors.records, 'total')
    r.stat('byte-rate', TOPIC_GROUP, 'Bytes sent to the topic per second, as written.', tags, sensors.bytes, 'rate')
    r.stat('byte-total', TOPIC_GROUP, 'Total bytes sent to the topic, as written.', tags, sensors.bytes, 'total')
    r.stat('record-error-rate', TOPIC_GROUP, 'Records of the topic per second whose send failed for good.', tags, sensors.errors, 'rate')
    r.stat('record-error-total', TOPIC_GROUP, 'Total records of the topic whose send failed for good.', tags, sensors.errors, 'total')
    r.stat('record-retry-rate', TOPIC_GROUP, 'Records of the topic per second put back for another attempt.', tags, sensors.retries, 'rate')
    r.stat('record-retry-total', TOPIC_GROUP, 'Total records of the topic put back for another attempt.', tags, sensors.retries, 'total')
    r.stat('compression-rate', TOPIC_GROUP, 'The average ratio of the topic\'s batch size as written to its uncompressed size.', tags, sensors.compression, 'avg')
    return sensors
  }

  #node(nodeId: number): Sensor {
    let sensor = this.#nodes.get(nodeId)
    if (sensor !== undefined) return sensor
    sensor = this.registry.sensor()
    this.#nodes.set(nodeId, sensor)
    const tags = { ...this.#tags, 'node-id': String(nodeId) }
    this.registry.stat('request-latency-avg', NODE_GROUP, 'The average Produce latency to this broker, in ms.', tags, sensor, 'avg')
    this.registry.stat('request-latency-max', NODE_GROUP, 'The longest Produce latency to this broker, in ms.', tags, sensor, 'max')
    return sensor
  }

  /** One batch written in a Produce request: `bytes` as written, `uncompressedBytes` before compression. */
  batchSent(topic: string, records: number, bytes: number, uncompressedBytes: number, now: number): void {
    const ratio = uncompressedBytes > 0 ? bytes / uncompressedBytes : 1
    this.#records.record(records, now)
    this.#batchSize.record(bytes, now)
    this.#compression.record(ratio, now)
    const topicSensors = this.#topic(topic)
    topicSensors.records.record(records, now)
    topicSensors.bytes.record(bytes, now)
    topicSensors.compression.record(ratio, now)
  }

  requestSent(records: number, now: number): void {
    this.#recordsPerRequest.record(records, now)
  }

  /** A Produce response from `nodeId`, `latencyMs` after its request was handed to the connection. */
  response(nodeId: number, latencyMs: number, throttleTimeMs: number, now: number): void {
    this.#latency.record(latencyMs, now)
    this.#node(nodeId).record(latencyMs, now)
    this.#throttle.record(throttleTimeMs, now)
  }

  batchFailed(topic: string, records: number, now: number): void {
    this.#errors.record(records, now)
    this.#topic(topic).errors.record(records, now)
  }

  batchRetried(topic: string, records: number, now: number): void {
    this.#retries.record(records, now)
    this.#topic(topic).retries.record(records, now)
  }

  memoryWaited(ns: number, now: number): void {
    this.#bufferWaitNs.record(ns, now)
  }
}
