/**
 * `samsa/prometheus`: samsa's client metrics on a `prom-client` Registry. Every metric the clients can report has a
 * Prometheus metric registered up front (a Counter for cumulative `-total` metrics, a Gauge for the others), whose
 * `collect()` reads the clients' `metrics()` when the registry is scraped: nothing is pushed per event, and a
 * scrape reads each client once however many metrics it fills.
 *
 * prom-client is an optional peer dependency, loaded by `registerSamsaMetrics` on its first call: loading samsa (or
 * this module) never needs it.
 */
import type * as PromClient from 'prom-client'
import type { MetricSnapshot } from '../network/metrics.js'

/** A client whose metrics are exported: a Producer, Consumer, ShareConsumer or Admin. */
export interface MetricsSource {
  metrics(): MetricSnapshot[]
  /** A consumer's group, exported as the `group_id` label. */
  readonly groupId?: string | null
}

export interface PrometheusOptions {
  /** Prepended to every metric name. Default `kafka_`. */
  prefix?: string
  /** Labels added to every series (e.g. `{ service: 'billing' }`). */
  labels?: Record<string, string>
}

/** What `registerSamsaMetrics` returns: more clients can be added, and everything removed again. */
export interface SamsaMetricsRegistration {
  /** Exports these clients too (closed clients may stay: they report their last values). */
  add(clients: MetricsSource | MetricsSource[]): void
  /** Stops exporting `client`. */
  remove(client: MetricsSource): void
  /** Removes every metric this registration added from the registry. */
  unregister(): void
}

/**
 * Where each Java metric group goes in Prometheus, and the metrics samsa reports in it (Java's names, see
 * docs/observability.md). A metric missing here is not exported, so the integration test checks this list against
 * what the clients report.
 */
const CATALOGUE: Record<string, { prefix: string; names: string[] }> = {
  'producer-metrics': {
    prefix: 'producer',
    names: [
      'record-send-rate', 'record-send-total', 'record-error-rate', 'record-error-total', 'record-retry-rate', 'record-retry-total',
      'batch-size-avg', 'batch-size-max', 'compression-rate-avg', 'records-per-request-avg', 'produce-throttle-time-avg',
      'produce-throttle-time-max', 'request-latency-avg', 'request-latency-max', 'bufferpool-wait-time-ns-total',
      'buffer-available-bytes', 'buffer-total-bytes',
    ],
  },
  'producer-topic-metrics': {
    prefix: 'producer_topic',
    names: ['record-send-rate', 'record-send-total', 'byte-rate', 'byte-total', 'record-error-rate', 'record-error-total', 'record-retry-rate', 'record-retry-total', 'compression-rate'],
  },
  'producer-node-metrics': { prefix: 'producer_node', names: ['request-latency-avg', 'request-latency-max'] },
  'consumer-fetch-manager-metrics': {
    prefix: 'consumer_fetch_manager',
    names: [
      'records-consumed-rate', 'records-consumed-total', 'bytes-consumed-rate', 'bytes-consumed-total', 'fetch-rate', 'fetch-total',
      'fetch-size-avg', 'fetch-size-max', 'fetch-latency-avg', 'fetch-latency-max', 'records-per-request-avg', 'fetch-throttle-time-avg',
      'fetch-throttle-time-max', 'records-lag-max', 'records-lead-min', 'records-lag', 'records-lead',
    ],
  },
  'consumer-coordinator-metrics': {
    prefix: 'consumer_coordinator',
    names: [
      'commit-latency-avg', 'commit-latency-max', 'commit-rate', 'commit-total', 'rebalance-latency-avg', 'rebalance-latency-max',
      'rebalance-latency-total', 'rebalance-rate-per-hour', 'rebalance-total', 'failed-rebalance-rate-per-hour', 'failed-rebalance-total',
      'heartbeat-rate', 'heartbeat-total', 'heartbeat-response-time-max', 'last-rebalance-seconds-ago', 'last-heartbeat-seconds-ago',
      'assigned-partitions',
    ],
  },
  'consumer-share-fetch-manager-metrics': {
    prefix: 'share_consumer_fetch_manager',
    names: [
      'records-consumed-rate', 'records-consumed-total', 'bytes-consumed-rate', 'bytes-consumed-total', 'fetch-rate', 'fetch-total',
      'fetch-size-avg', 'fetch-size-max', 'fetch-latency-avg', 'fetch-latency-max', 'records-per-request-avg', 'records-per-request-max',
      'fetch-throttle-time-avg', 'fetch-throttle-time-max', 'acknowledgements-send-rate', 'acknowledgements-send-total',
      'acknowledgements-error-rate', 'acknowledgements-error-total',
    ],
  },
  'consumer-share-coordinator-metrics': {
    prefix: 'share_consumer_coordinator',
    names: ['heartbeat-rate', 'heartbeat-total', 'heartbeat-response-time-max', 'rebalance-rate-per-hour', 'rebalance-total', 'last-heartbeat-seconds-ago'],
  },
}

/** The connection and request metrics every client reports under its own group (a share consumer: consumer-metrics, as Java's). */
const NETWORK_NAMES = [
  'connection-count', 'connection-creation-rate', 'connection-creation-total', 'connection-close-rate', 'connection-close-total',
  'request-rate', 'request-total', 'request-size-avg', 'request-size-max', 'outgoing-byte-rate', 'outgoing-byte-total',
  'response-rate', 'response-total', 'incoming-byte-rate', 'incoming-byte-total', 'request-latency-avg', 'request-latency-max',
]
for (const [group, prefix] of [['consumer-metrics', 'consumer'], ['admin-client-metrics', 'admin_client']] as const) {
  CATALOGUE[group] = { prefix, names: NETWORK_NAMES }
}
for (const name of NETWORK_NAMES) if (!CATALOGUE['producer-metrics']!.names.includes(name)) CATALOGUE['producer-metrics']!.names.push(name)

const LABEL_NAMES = ['client_id', 'group_id', 'topic', 'partition', 'node_id'] as const
const TAG_LABELS: Record<string, string> = { 'client-id': 'client_id', topic: 'topic', partition: 'partition', 'node-id': 'node_id' }

interface PrometheusName {
  name: string
  counter: boolean
  /** Multiplies the value into the unit the name says (ms and ns to seconds). */
  scale: number
}

/**
 * Java's metric name in Prometheus style: snake case under the group's prefix, times in seconds and sizes in bytes
 * with the unit in the name, counters ending in `_total`.
 */
export function prometheusName(group: string, name: string, prefix = 'kafka_'): PrometheusName | null {
  const entry = CATALOGUE[group]
  if (!entry) return null
  const counter = name.endsWith('-total')
  let base = counter ? name.slice(0, -'-total'.length) : name
  let unit = ''
  let scale = 1
  if (base.endsWith('-ns')) {
    base = base.slice(0, -'-ns'.length)
    unit = 'seconds'
    scale = 1e-9
  } else if (/(latency|throttle-time|response-time)(-avg|-max)?$/.test(base)) {
    unit = 'seconds'
    scale = 1e-3
  } else if (/-size-(avg|max)$/.test(base)) {
    unit = 'bytes'
  }
  const snake = (s: string): string => s.replace(/-/g, '_')
  return { name: `${prefix}${entry.prefix}_${snake(base)}${unit ? `_${unit}` : ''}${counter ? '_total' : ''}`, counter, scale }
}

interface Series {
  labels: Record<string, string>
  value: number
}

interface State {
  clients: Set<MetricsSource>
  metrics: string[]
  /** The series of one scrape, by Prometheus name; dropped after the scrape's turn of the event loop. */
  scrape: Map<string, Series[]> | null
}

const registrations = new WeakMap<PromClient.Registry, State>()

/**
 * Registers samsa's metrics on `registry` (a prom-client Registry, e.g. `prom-client`'s `register`), for `clients`.
 * Calling it again for the same registry adds clients to the same metrics. Labels: `client_id`, `group_id`
 * (consumers), `topic`, `partition`, `node_id` where the metric has them, plus `options.labels`.
 */
export function registerSamsaMetrics(registry: PromClient.Registry, clients: MetricsSource | MetricsSource[], options: PrometheusOptions = {}): SamsaMetricsRegistration {
  const list = Array.isArray(clients) ? clients : [clients]
  const existing = registrations.get(registry)
  if (existing) {
    for (const client of list) existing.clients.add(client)
    return registration(registry, existing)
  }
  const prom = require('prom-client') as typeof PromClient
  const prefix = options.prefix ?? 'kafka_'
  const extra = options.labels ?? {}
  const labelNames = [...LABEL_NAMES, ...Object.keys(extra)]
  const state: State = { clients: new Set(list), metrics: [], scrape: null }
  registrations.set(registry, state)

  const series = (name: string): Series[] => {
    if (state.scrape === null) {
      const scrape = (state.scrape = new Map())
      setImmediate(() => (state.scrape = null))
      for (const client of state.clients) {
        const groupId = typeof client.groupId === 'string' ? client.groupId : null
        for (const m of client.metrics()) {
          const target = prometheusName(m.group, m.name, prefix)
          if (target === null) continue
          const labels: Record<string, string> = { ...extra }
          for (const tag in m.tags) {
            const label = TAG_LABELS[tag]
            if (label !== undefined) labels[label] = m.tags[tag]!
          }
          if (groupId !== null) labels.group_id = groupId
          let rows = scrape.get(target.name)
          if (!rows) scrape.set(target.name, (rows = []))
          rows.push({ labels, value: m.value * target.scale })
        }
      }
    }
    return state.scrape.get(name) ?? []
  }

  const seen = new Set<string>()
  for (const [group, { names }] of Object.entries(CATALOGUE)) {
    for (const javaName of names) {
      const target = prometheusName(group, javaName, prefix)!
      if (seen.has(target.name)) continue
      seen.add(target.name)
      const help = `Kafka client metric ${group} ${javaName}${target.scale === 1 ? '' : ' (in seconds)'}`
      const name = target.name
      const options = { name, help, labelNames, registers: [registry] }
      // Rows with the same labels (one clientId for two producers) add up in a counter; a gauge keeps the last.
      if (target.counter) {
        new prom.Counter({
          ...options,
          collect() {
            this.reset()
            for (const row of series(name)) this.inc(row.labels, row.value)
          },
        })
      } else {
        new prom.Gauge({
          ...options,
          collect() {
            this.reset()
            for (const row of series(name)) this.set(row.labels, row.value)
          },
        })
      }
      state.metrics.push(name)
    }
  }
  return registration(registry, state)
}

function registration(registry: PromClient.Registry, state: State): SamsaMetricsRegistration {
  return {
    add(clients) {
      for (const client of Array.isArray(clients) ? clients : [clients]) state.clients.add(client)
    },
    remove(client) {
      state.clients.delete(client)
    },
    unregister() {
      for (const name of state.metrics) registry.removeSingleMetric(name)
      state.metrics.length = 0
      registrations.delete(registry)
    },
  }
}
