/** Support for the facade consumer's tests: records produced with samsa's native producer, and run() collectors. */
import { Kafka as SamsaKafka } from '../../src/kafka.js'
import { brokers } from './support.js'

export async function produce(topic: string, messages: Array<{ key?: string; value: string; partition?: number; headers?: Record<string, string> }>): Promise<void> {
  const kafka = new SamsaKafka({ brokers, clientId: 'samsa-kafkajs-test-producer', logger: false })
  const producer = kafka.producer({ lingerMs: 0 })
  try {
    await producer.send({ topic, messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, partition: m.partition, headers: m.headers })) })
  } finally {
    await producer.close()
  }
}

/** `count` messages spread over `partitions` partitions, values `${prefix}-${i}` (partition i % partitions). */
export async function produceSpread(topic: string, count: number, partitions: number, prefix = 'm'): Promise<string[]> {
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}`, partition: i % partitions }))
  await produce(topic, messages)
  return messages.map((m) => m.value)
}

export async function committedOffsets(groupId: string, topic: string, partitions: number): Promise<Array<bigint | null>> {
  const kafka = new SamsaKafka({ brokers, clientId: 'samsa-kafkajs-test-admin', logger: false })
  const admin = kafka.admin()
  try {
    const [group] = await admin.listConsumerGroupOffsets([groupId])
    const byPartition = new Map<number, bigint>()
    for (const o of group?.offsets ?? []) if (o.topic === topic && o.offset !== null) byPartition.set(o.partition, o.offset)
    return Array.from({ length: partitions }, (_, p) => byPartition.get(p) ?? null)
  } finally {
    await admin.close()
  }
}
