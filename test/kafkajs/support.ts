/**
 * Support for the facade's tests: `samsa/kafkajs` clients on the harness broker (KAFKA_BROKERS, set by jest's global
 * setup or by the caller), unique names, topic creation through the native admin, and polling.
 */
import { Kafka as SamsaKafka } from '../../src/kafka.js'
import { Kafka, type KafkaConfig } from '../../src/kafkajs/index.js'
import { logLevel } from '../../src/kafkajs/constants.js'
import type { LogEntry } from '../../src/kafkajs/logger.js'
export { waitFor } from '../helpers/wait.js'

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

let counter = 0
export function uniqueName(label: string): string {
  return `kafkajs-${label}-${process.pid}-${Date.now()}-${counter++}`
}

/** Log entries of every facade client made by `newKafka`, for tests that check logging; `SAMSA_TEST_LOG=1` prints them. */
export const logEntries: LogEntry[] = []

export function newKafka(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'samsa-kafkajs-test',
    brokers,
    logLevel: process.env.SAMSA_TEST_LOG ? logLevel.DEBUG : logLevel.WARN,
    logCreator: () => (entry) => {
      logEntries.push(entry)
      if (process.env.SAMSA_TEST_LOG) process.stderr.write(`${entry.label} [${entry.namespace}] ${entry.log.message} ${JSON.stringify(entry.log)}\n`)
    },
    ...config,
  })
}

/** Creates topics with the native admin (so a facade test does not depend on the facade's admin). */
export async function createTopics(topics: Array<{ topic: string; numPartitions?: number; configs?: Record<string, string> }>): Promise<void> {
  const kafka = new SamsaKafka({ brokers, clientId: 'samsa-kafkajs-test-setup', logger: false })
  const admin = kafka.admin()
  try {
    await admin.createTopics(topics.map(({ topic, numPartitions = 1, configs = {} }) => ({ name: topic, numPartitions, replicationFactor: 1, configs })))
  } finally {
    await admin.close()
  }
}

