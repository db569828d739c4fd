/**
 * Client metrics against the real broker: a producer sends N records, a consumer group member reads them back, and
 * `metrics()` (and a real prom-client Registry through samsa/prometheus) say so.
 */
import { Registry } from 'prom-client'
import { Kafka } from '../../src/kafka.js'
import type { MetricSnapshot } from '../../src/network/metrics.js'
import { prometheusName, registerSamsaMetrics } from '../../src/prometheus/index.js'

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

function find(metrics: MetricSnapshot[], group: string, name: string, tags: Record<string, string> = {}): MetricSnapshot {
  const found = metrics.find((m) => m.group === group && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v))
  if (!found) throw new Error(`no ${group} ${name} ${JSON.stringify(tags)}`)
  return found
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.each(['consumer', 'classic'] as const)('metrics (%s group protocol)', (groupProtocol) => {
  const N = 2_000
  const clientId = `metrics-${groupProtocol}`
  let kafka: Kafka
  beforeAll(() => {
    kafka = new Kafka({ brokers, clientId, logger: false })
  })
  afterAll(() => kafka.close())

  it('counts what the producer sent and the consumer read, and exports it to Prometheus', async () => {
    const topic = `metrics-${groupProtocol}-${process.pid}-${Date.now()}`
    const groupId = `${topic}-group`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 3 }])

    const producer = kafka.producer({ acks: 1, lingerMs: 5 })
    for (let i = 0; i < 4; i++) {
      await producer.send({ topic, messages: Array.from({ length: N / 4 }, (_, j) => ({ key: `key-${j % 7}`, value: `value-${i}-${j}` })) })
    }
    const sent = producer.metrics()
    const tags = { 'client-id': clientId }
    // A retried record counts again (as in Java); on an idle broker there are no retries, so this is N.
    const retried = find(sent, 'producer-metrics', 'record-retry-total', tags).value
    const sendTotal = find(sent, 'producer-metrics', 'record-send-total', tags).value
    expect(sendTotal).toBe(N + retried)
    expect(find(sent, 'producer-metrics', 'record-send-rate').value).toBeGreaterThan(0)
    expect(find(sent, 'producer-metrics', 'record-error-total').value).toBe(0)
    expect(find(sent, 'producer-topic-metrics', 'record-send-total', { topic }).value).toBe(sendTotal)
    expect(find(sent, 'producer-topic-metrics', 'byte-total', { topic }).value).toBeGreaterThan(N * 8)
    expect(find(sent, 'producer-metrics', 'request-latency-avg').value).toBeGreaterThan(0)
    expect(find(sent, 'producer-metrics', 'request-latency-max').value).toBeGreaterThanOrEqual(find(sent, 'producer-metrics', 'request-latency-avg').value)
    expect(find(sent, 'producer-metrics', 'batch-size-avg').value).toBeGreaterThan(0)
    expect(find(sent, 'producer-metrics', 'records-per-request-avg').value).toBeGreaterThan(1)
    expect(find(sent, 'producer-metrics', 'compression-rate-avg').value).toBe(1)
    expect(find(sent, 'producer-metrics', 'connection-count').value).toBeGreaterThanOrEqual(1)
    expect(find(sent, 'producer-metrics', 'buffer-total-bytes').value).toBe(32 * 1024 * 1024)
    expect(find(sent, 'producer-metrics', 'buffer-available-bytes').value).toBe(32 * 1024 * 1024)
    expect(sent.filter((m) => m.group === 'producer-node-metrics' && m.name === 'request-latency-avg').length).toBeGreaterThanOrEqual(1)
    expect(sent.every((m) => m.tags['client-id'] === clientId)).toBe(true)

    const consumer = kafka.consumer({ groupId, groupProtocol, autoOffsetReset: 'earliest', enableAutoCommit: false })
    await consumer.subscribe([topic])
    let read = 0
    for await (const _ of consumer) {
      if (++read === N) break
    }
    await consumer.commit()
    const lag = (): number[] => consumer.metrics().filter((m) => m.name === 'records-lag').map((m) => m.value)
    await until(() => lag().length === 3 && lag().every((v) => v === 0))
    // Heartbeats run on their own timer (a few seconds apart).
    await until(() => find(consumer.metrics(), 'consumer-coordinator-metrics', 'heartbeat-total').value >= 1)

    const got = consumer.metrics()
    const fetchManager = 'consumer-fetch-manager-metrics'
    const coordinator = 'consumer-coordinator-metrics'
    expect(find(got, fetchManager, 'records-consumed-total', tags).value).toBe(N)
    expect(find(got, fetchManager, 'records-consumed-rate').value).toBeGreaterThan(0)
    // Every batch in the log was read from at least once (a rebalance may hand some out again). The log's size is
    // the reference, not the producer's byte-total: a batch the producer sent twice (a retry after the topic's first
    // metadata went stale) counts twice there, as in Java, but is in the log once.
    const logBytes = new Map<number, bigint>()
    for (const broker of await admin.describeLogDirs()) {
      for (const replica of broker.logDirs.flatMap((dir) => dir.replicas)) {
        if (replica.topic === topic && replica.size > (logBytes.get(replica.partition) ?? -1n)) logBytes.set(replica.partition, replica.size)
      }
    }
    const inLog = Number([...logBytes.values()].reduce((sum, size) => sum + size, 0n))
    expect(logBytes.size).toBe(3)
    expect(inLog).toBeGreaterThan(N * 8)
    expect(find(got, fetchManager, 'bytes-consumed-total').value).toBeGreaterThanOrEqual(inLog)
    expect(find(sent, 'producer-topic-metrics', 'byte-total', { topic }).value).toBeGreaterThanOrEqual(inLog)
    expect(find(got, fetchManager, 'fetch-total').value).toBeGreaterThanOrEqual(1)
    expect(find(got, fetchManager, 'fetch-latency-avg').value).toBeGreaterThan(0)
    expect(find(got, fetchManager, 'records-lag-max').value).toBeGreaterThanOrEqual(0)
    for (let partition = 0; partition < 3; partition++) {
      expect(find(got, fetchManager, 'records-lag', { topic, partition: String(partition) }).value).toBe(0)
      expect(find(got, fetchManager, 'records-lead', { topic, partition: String(partition) }).value).toBeGreaterThan(0)
    }
    expect(find(got, coordinator, 'commit-total').value).toBeGreaterThanOrEqual(1)
    expect(find(got, coordinator, 'commit-latency-avg').value).toBeGreaterThan(0)
    expect(find(got, coordinator, 'rebalance-total').value).toBeGreaterThanOrEqual(1)
    expect(find(got, coordinator, 'failed-rebalance-total').value).toBe(0)
    expect(find(got, coordinator, 'rebalance-latency-avg').value).toBeGreaterThanOrEqual(0)
    expect(find(got, coordinator, 'last-rebalance-seconds-ago').value).toBeGreaterThanOrEqual(0)
    expect(find(got, coordinator, 'last-rebalance-seconds-ago').value).toBeLessThan(120)
    expect(find(got, coordinator, 'heartbeat-response-time-max').value).toBeGreaterThan(0)
    expect(find(got, coordinator, 'last-heartbeat-seconds-ago').value).toBeGreaterThanOrEqual(0)
    expect(find(got, coordinator, 'assigned-partitions').value).toBe(3)
    expect(find(got, 'consumer-metrics', 'connection-count').value).toBeGreaterThanOrEqual(1)
    expect(find(got, 'consumer-metrics', 'request-latency-avg').value).toBeGreaterThan(0)
    expect(find(got, 'consumer-metrics', 'response-total').value).toBeGreaterThan(0)
    expect(find(admin.metrics(), 'admin-client-metrics', 'request-total', tags).value).toBeGreaterThan(0)

    const registry = new Registry()
    const registration = registerSamsaMetrics(registry, [producer, consumer, admin])
    const text = await registry.metrics()
    expect(text).toContain('# TYPE kafka_producer_record_send_total counter')
    expect(text).toContain(`kafka_producer_record_send_total{client_id="${clientId}"} ${sendTotal}`)
    expect(text).toContain(`kafka_producer_topic_record_send_total{client_id="${clientId}",topic="${topic}"} ${sendTotal}`)
    expect(text).toContain(`kafka_consumer_fetch_manager_records_consumed_total{client_id="${clientId}",group_id="${groupId}"} ${N}`)
    expect(text).toContain(`kafka_consumer_fetch_manager_records_lag{client_id="${clientId}",topic="${topic}",partition="0",group_id="${groupId}"} 0`)
    expect(text).toMatch(/kafka_producer_node_request_latency_avg_seconds\{client_id="[^"]+",node_id="\d+"\} 0\.\d+/)
    expect(text).toMatch(/# TYPE kafka_consumer_coordinator_rebalance_total counter/)
    expect(text).toMatch(/# TYPE kafka_consumer_fetch_manager_records_lag gauge/)
    // Every metric the clients report has a Prometheus name (nothing falls off the catalogue).
    const reported = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]))
    for (const m of [...producer.metrics(), ...consumer.metrics(), ...admin.metrics()]) expect(reported.has(prometheusName(m.group, m.name)!.name)).toBe(true)
    registration.unregister()
    expect((await registry.metrics()).trim()).toBe('')

    await consumer.close()
    await producer.close()
    await admin.close()
  })
})

describe('producer error metrics', () => {
  it('count a record the broker refuses for good, per client and per topic', async () => {
    const clientId = 'metrics-errors'
    const kafka = new Kafka({ brokers, clientId, logger: false })
    try {
      const topic = `metrics-errors-${process.pid}-${Date.now()}`
      const admin = kafka.admin()
      await admin.createTopics([{ name: topic, numPartitions: 1, configs: { 'max.message.bytes': '1000' } }])
      await admin.close()
      const producer = kafka.producer({ acks: 1 })
      await producer.send({ topic, messages: [{ value: 'small' }] })
      // One record over max.message.bytes: MESSAGE_TOO_LARGE, not splittable, not retried.
      await expect(producer.send({ topic, messages: [{ value: Buffer.alloc(4000, 'x') }] })).rejects.toThrow()
      const metrics = producer.metrics()
      expect(find(metrics, 'producer-metrics', 'record-error-total').value).toBe(1)
      expect(find(metrics, 'producer-topic-metrics', 'record-error-total', { topic }).value).toBe(1)
      expect(find(metrics, 'producer-metrics', 'record-error-rate').value).toBeGreaterThan(0)
      // Both records were written in a Produce request (the refused one too).
      expect(find(metrics, 'producer-metrics', 'record-send-total').value).toBe(2)
      await producer.close()
    } finally {
      await kafka.close()
    }
  })
})

describe('metrics (share consumer)', () => {
  const N = 300
  const clientId = 'metrics-share'
  let kafka: Kafka
  beforeAll(() => {
    kafka = new Kafka({ brokers, clientId, logger: false })
  })
  afterAll(() => kafka.close())

  it('counts ShareFetch, records, acknowledgements and heartbeats, named as Java names them, and exports them', async () => {
    const topic = `metrics-share-${process.pid}-${Date.now()}`
    const groupId = `${topic}-group`
    const admin = kafka.admin()
    await admin.createTopics([{ name: topic, numPartitions: 2 }])
    const [configured] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, set: { 'share.auto.offset.reset': 'earliest' } }])
    expect(configured!.error).toBeNull()
    const producer = kafka.producer({ acks: -1 })
    await producer.send({ topic, messages: Array.from({ length: N }, (_, i) => ({ key: `k${i % 5}`, value: `share-value-${i}` })) })
    await producer.close()

    const consumer = kafka.shareConsumer({ groupId, maxPollRecords: 50 })
    await consumer.subscribe([topic])
    let read = 0
    for await (const _ of consumer) if (++read === N) break
    // Acknowledge the last message handed out (implicit mode accepts it with the next poll or commit).
    await consumer.commit()
    await until(() => find(consumer.metrics(), 'consumer-share-coordinator-metrics', 'heartbeat-total').value >= 1)

    const got = consumer.metrics()
    const fetchGroup = 'consumer-share-fetch-manager-metrics'
    const tags = { 'client-id': clientId }
    expect(find(got, fetchGroup, 'records-consumed-total', tags).value).toBe(N)
    expect(find(got, fetchGroup, 'records-consumed-rate').value).toBeGreaterThan(0)
    expect(find(got, fetchGroup, 'fetch-total').value).toBeGreaterThanOrEqual(1)
    expect(find(got, fetchGroup, 'fetch-latency-max').value).toBeGreaterThanOrEqual(find(got, fetchGroup, 'fetch-latency-avg').value)
    expect(find(got, fetchGroup, 'records-per-request-max').value).toBeGreaterThanOrEqual(1)
    // Every record was accepted once: the broker took N acknowledgements (at least; gaps would add to it), none refused.
    expect(find(got, fetchGroup, 'acknowledgements-send-total').value).toBeGreaterThanOrEqual(N)
    expect(find(got, fetchGroup, 'acknowledgements-error-total').value).toBe(0)
    // The records were acquired from batches the log holds: at least the log's bytes were fetched.
    let inLog = 0n
    for (const broker of await admin.describeLogDirs()) {
      for (const replica of broker.logDirs.flatMap((dir) => dir.replicas)) if (replica.topic === topic) inLog += replica.size
    }
    expect(find(got, fetchGroup, 'bytes-consumed-total').value).toBeGreaterThanOrEqual(Number(inLog))
    const coordinator = 'consumer-share-coordinator-metrics'
    expect(find(got, coordinator, 'rebalance-total').value).toBeGreaterThanOrEqual(1)
    expect(find(got, coordinator, 'heartbeat-response-time-max').value).toBeGreaterThan(0)
    expect(find(got, coordinator, 'last-heartbeat-seconds-ago').value).toBeGreaterThanOrEqual(0)
    expect(find(got, 'consumer-metrics', 'connection-count', tags).value).toBeGreaterThanOrEqual(1)

    const registry = new Registry()
    registerSamsaMetrics(registry, [consumer])
    const text = await registry.metrics()
    expect(text).toContain(`kafka_share_consumer_fetch_manager_records_consumed_total{client_id="${clientId}",group_id="${groupId}"} ${N}`)
    expect(text).toContain('# TYPE kafka_share_consumer_fetch_manager_acknowledgements_send_total counter')
    const reported = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]))
    for (const m of got) expect(reported.has(prometheusName(m.group, m.name)!.name)).toBe(true)

    await consumer.close()
    // Closing acknowledges nothing more here (all were accepted) and the counts stay readable.
    expect(find(consumer.metrics(), fetchGroup, 'acknowledgements-error-total').value).toBe(0)
    await admin.close()
  })
})
