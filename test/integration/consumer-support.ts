/**
 * Test support for the consumer tests: a client context on the shared broker, topic creation and produce via the
 * records codec + Produce (so these tests do not depend on the producer client).
 */
import { Cluster } from '../../src/network/cluster.js'
import { type Logger, silentLogger } from '../../src/network/instrumentation.js'
import type { ClientContext } from '../../src/kafka.js'
import { Consumer } from '../../src/consumer/consumer.js'
import type { ConsumerOptions } from '../../src/consumer/types.js'
import { apis, ApiKeys, isRetriableCode } from '../../src/protocol/index.js'
import { encodeRecordBatch, type CompressionCodec, type RecordInput } from '../../src/records/index.js'
export { waitFor } from '../helpers/wait.js'

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

let counter = 0
export function uniqueName(label: string): string {
  return `consumer-${label}-${process.pid}-${Date.now()}-${counter++}`
}

/** `SAMSA_TEST_LOG=debug` (or `warn`) writes the clients' logs to stderr, for a test that fails or hangs. */
const testLogger: Logger = (() => {
  const level = process.env.SAMSA_TEST_LOG
  if (!level) return silentLogger
  const write = (name: string) => (fields: object, message: string) => {
    process.stderr.write(`${new Date().toISOString()} ${name} ${message} ${JSON.stringify(fields, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v))}\n`)
  }
  return { debug: level === 'debug' ? write('debug') : silentLogger.debug, info: write('info'), warn: write('warn'), error: write('error') }
})()

export function newCluster(bootstrap: string[] = brokers): Cluster {
  return new Cluster({ brokers: bootstrap, clientId: 'samsa-consumer-test', logger: testLogger })
}

export function contextFor(cluster: Cluster): ClientContext {
  return { cluster, clientId: 'samsa-consumer-test', logger: testLogger, clock: cluster.clock, release: () => undefined }
}

export function newConsumer(cluster: Cluster, options: ConsumerOptions = {}): Consumer {
  return new Consumer(contextFor(cluster), options)
}

export async function createTopic(cluster: Cluster, name: string, partitions: number, configs: Record<string, string> = {}, replicationFactor = 1): Promise<void> {
  const response = await cluster.send({ kind: 'controller' }, apis[ApiKeys.CreateTopics] as never, {
    topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  } as never)
  const code = (response as { topics: Array<{ errorCode: number }> }).topics[0]!.errorCode
  if (code !== 0 && code !== 36) throw new Error(`CreateTopics failed with ${code}`)
  await cluster.topics([name])
}

/** Produces `records` to one partition in batches of `batchSize`, acks=all. Returns the base offsets. */
export async function produce(cluster: Cluster, topic: string, partition: number, records: RecordInput[], batchSize = 500, compression: CompressionCodec = 'none'): Promise<void> {
  let attempt = 0
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = encodeRecordBatch({ records: records.slice(i, i + batchSize), compression })
    let response: { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }
    try {
      response = (await cluster.send({ kind: 'leader', topic, partition }, apis[ApiKeys.Produce] as never, (version: number) => ({
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ ...(version >= 13 ? { topicId: cluster.topic(topic)!.topicId } : { name: topic }), partitionData: [{ index: partition, records: batch }] }],
      })) as never) as typeof response
    } catch (error) {
      // Fault tests kill brokers: keep trying through the leader change (duplicates are possible and allowed).
      if (attempt++ > 100) throw error
      await new Promise((r) => setTimeout(r, 200))
      await cluster.refreshMetadata([topic]).catch(() => undefined)
      i -= batchSize
      continue
    }
    const code = response.responses[0]!.partitionResponses[0]!.errorCode
    if (code === 0) continue
    // A topic just created may not have its leader everywhere yet; after a leader kill the new leader may not know
    // the topic id for a moment (UNKNOWN_TOPIC_ID): every error Kafka calls retriable is waited out.
    if (isRetriableCode(code) && attempt++ < 100) {
      await new Promise((r) => setTimeout(r, 200))
      await cluster.refreshMetadata([topic])
      i -= batchSize
      continue
    }
    throw new Error(`Produce failed with ${code}`)
  }
}

export function values(count: number, prefix: string, partition = 0): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${partition}-${i}` }))
}

