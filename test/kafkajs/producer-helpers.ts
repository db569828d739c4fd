/** Reading back what the facade's producer wrote, with samsa's native consumer (no group, every partition from the start). */
import { Kafka as SamsaKafka } from '../../src/kafka.js'
import { brokers } from './support.js'

export interface ReadRecord {
  partition: number
  offset: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
  timestamp: number
}

export async function readAll(
  topic: string,
  partitions: number,
  count: number,
  { isolationLevel = 'read_uncommitted', settleMs = 0 }: { isolationLevel?: 'read_committed' | 'read_uncommitted'; settleMs?: number } = {},
): Promise<ReadRecord[]> {
  const kafka = new SamsaKafka({ brokers, clientId: 'samsa-kafkajs-test-reader', logger: false })
  const consumer = kafka.consumer({ autoOffsetReset: 'earliest', isolationLevel })
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const out: ReadRecord[] = []
  const signal = AbortSignal.timeout(30_000)
  try {
    if (count > 0) {
      for await (const m of consumer.messages({ signal })) {
        out.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.value, headers: [...m.headers] as Array<[string, Buffer | null]>, timestamp: Number(m.timestamp) })
        if (out.length >= count) break
      }
    }
    // Anything beyond `count` (a duplicate, a record that should have been aborted) shows up within settleMs.
    if (settleMs > 0) {
      const extra = AbortSignal.timeout(settleMs)
      try {
        for await (const m of consumer.messages({ signal: extra })) out.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.value, headers: [...m.headers] as Array<[string, Buffer | null]>, timestamp: Number(m.timestamp) })
      } catch (error) {
        if (!extra.aborted) throw error
      }
    }
  } finally {
    await consumer.close()
    await kafka.close()
  }
  return out
}
