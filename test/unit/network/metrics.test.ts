/**
 * The metrics registry's arithmetic in virtual time: windowed stats over 2 × 30 s windows (Java's defaults),
 * cumulative ones, gauges and collectors, and the Prometheus names the samsa/prometheus export derives.
 */
import { ManualClock } from '../../../src/network/clock.js'
import { MetricsRegistry, NetworkMetrics, Sensor } from '../../../src/network/metrics.js'
import { prometheusName } from '../../../src/prometheus/index.js'

const config = { samples: 2, windowMs: 30_000 }

describe('Sensor', () => {
  it('averages, maxes and mins over the live windows; NaN with no events', () => {
    const t0 = 1_000_000
    const sensor = new Sensor(t0, config)
    expect(sensor.read('avg', t0)).toBeNaN()
    expect(sensor.read('max', t0)).toBeNaN()
    expect(sensor.read('min', t0)).toBeNaN()
    sensor.record(10, t0 + 1_000)
    sensor.record(30, t0 + 2_000)
    expect(sensor.read('avg', t0 + 3_000)).toBe(20)
    expect(sensor.read('max', t0 + 3_000)).toBe(30)
    expect(sensor.read('min', t0 + 3_000)).toBe(10)
    // The second window opens at t0 + 31 s; both count until the first is 60 s old.
    sensor.record(50, t0 + 31_000)
    expect(sensor.read('avg', t0 + 40_000)).toBe(30)
    expect(sensor.read('max', t0 + 59_999)).toBe(50)
    expect(sensor.read('min', t0 + 59_999)).toBe(10)
    // At t0 + 60 s the first window (started t0) is out: only the 50 remains.
    expect(sensor.read('avg', t0 + 60_000)).toBe(50)
    expect(sensor.read('min', t0 + 60_000)).toBe(50)
    // Everything is out 60 s after the last window opened.
    expect(sensor.read('max', t0 + 91_000)).toBeNaN()
  })

  it('keeps totals and counts for ever, whatever the windows forgot', () => {
    const sensor = new Sensor(0, config)
    for (let i = 0; i < 10; i++) sensor.record(3, i * 40_000)
    expect(sensor.read('total', 1_000_000)).toBe(30)
    expect(sensor.read('count', 1_000_000)).toBe(10)
    expect(sensor.lastRecordedAt).toBe(360_000)
  })

  it('rates values and events per second over the time the live windows span, at least one window', () => {
    const t0 = 0
    const sensor = new Sensor(t0, config)
    // 600 records in 3 batches during the first 10 s: read at 10 s the denominator is one full window (30 s).
    sensor.record(200, 1_000)
    sensor.record(200, 5_000)
    sensor.record(200, 10_000)
    expect(sensor.read('rate', 10_000)).toBeCloseTo(600 / 30)
    expect(sensor.read('event-rate', 10_000)).toBeCloseTo(3 / 30)
    expect(sensor.read('event-rate-per-hour', 10_000)).toBeCloseTo((3 / 30) * 3600)
    // Read at 45 s: the windows span 45 s (the first started at 0).
    expect(sensor.read('rate', 45_000)).toBeCloseTo(600 / 45)
    // A second window from 50 s; at 70 s the first (0 s) is out and the second spans 20 s, floored to 30 s.
    sensor.record(300, 50_000)
    expect(sensor.read('rate', 59_000)).toBeCloseTo(900 / 59)
    expect(sensor.read('rate', 70_000)).toBeCloseTo(300 / 30)
    // Idle for long: nothing counts, the rate falls to 0.
    expect(sensor.read('rate', 500_000)).toBe(0)
  })

  it('opens a new window in the oldest slot after a long silence', () => {
    const sensor = new Sensor(0, config)
    sensor.record(1, 0)
    sensor.record(7, 200_000)
    expect(sensor.read('avg', 200_000)).toBe(7)
    expect(sensor.read('rate', 200_000)).toBeCloseTo(7 / 30)
  })
})

describe('MetricsRegistry', () => {
  it('reads stats, gauges and collectors at the clock\'s now, with their tags', async () => {
    const clock = new ManualClock(0)
    const registry = new MetricsRegistry(clock)
    const sensor = registry.sensor()
    const tags = { 'client-id': 'c' }
    registry.stat('x-rate', 'g', 'X per second.', tags, sensor, 'rate')
    registry.stat('x-total', 'g', 'Total X.', tags, sensor, 'total')
    let gauge = 5
    registry.gauge('x-now', 'g', 'X now.', tags, () => gauge)
    registry.collector((_now, out) => out.push({ name: 'x-dyn', group: 'g', description: 'Dynamic.', tags: { ...tags, partition: '0' }, value: 1 }))
    sensor.record(60, clock.now())
    await clock.advance(10_000)
    gauge = 6
    const byName = Object.fromEntries(registry.snapshot().map((m) => [m.name, m]))
    expect(byName['x-rate']!.value).toBeCloseTo(2)
    expect(byName['x-total']!.value).toBe(60)
    expect(byName['x-now']!.value).toBe(6)
    expect(byName['x-dyn']!.tags).toEqual({ 'client-id': 'c', partition: '0' })
    expect(byName['x-total']).toEqual({ name: 'x-total', group: 'g', description: 'Total X.', tags, value: 60 })
  })

  it('replaces a metric added again under the same name, group and tags', () => {
    const registry = new MetricsRegistry(new ManualClock(0))
    registry.gauge('a', 'g', '', { t: '1' }, () => 1)
    registry.gauge('a', 'g', '', { t: '1' }, () => 2)
    registry.gauge('a', 'g', '', { t: '2' }, () => 3)
    expect(registry.snapshot().map((m) => m.value)).toEqual([2, 3])
  })

  it('shows the network traffic under each client\'s group', () => {
    const clock = new ManualClock(0)
    const network = new NetworkMetrics(clock)
    network.connectionCount = () => 2
    network.requests.record(100, 0)
    network.responses.record(40, 0)
    network.latency.record(12, 0)
    const registry = new MetricsRegistry(clock)
    network.register(registry, 'admin-client-metrics', { 'client-id': 'a' })
    const byName = Object.fromEntries(registry.snapshot().map((m) => [m.name, m.value]))
    expect(byName).toMatchObject({ 'connection-count': 2, 'request-total': 1, 'outgoing-byte-total': 100, 'incoming-byte-total': 40, 'request-latency-avg': 12 })
  })
})

describe('prometheusName', () => {
  it('snake-cases under the group prefix, seconds and bytes in the name, _total last', () => {
    expect(prometheusName('producer-metrics', 'record-send-total')).toEqual({ name: 'kafka_producer_record_send_total', counter: true, scale: 1 })
    expect(prometheusName('producer-metrics', 'request-latency-avg')).toEqual({ name: 'kafka_producer_request_latency_avg_seconds', counter: false, scale: 1e-3 })
    expect(prometheusName('producer-metrics', 'bufferpool-wait-time-ns-total')).toEqual({ name: 'kafka_producer_bufferpool_wait_time_seconds_total', counter: true, scale: 1e-9 })
    expect(prometheusName('producer-metrics', 'batch-size-max')!.name).toBe('kafka_producer_batch_size_max_bytes')
    expect(prometheusName('consumer-coordinator-metrics', 'rebalance-latency-total')!.name).toBe('kafka_consumer_coordinator_rebalance_latency_seconds_total')
    expect(prometheusName('consumer-coordinator-metrics', 'heartbeat-response-time-max')!.name).toBe('kafka_consumer_coordinator_heartbeat_response_time_max_seconds')
    expect(prometheusName('consumer-fetch-manager-metrics', 'records-lag', 'app_')!.name).toBe('app_consumer_fetch_manager_records_lag')
    expect(prometheusName('no-such-metrics', 'x')).toBeNull()
  })
})
