/**
 * Reading back what a producer wrote without any consumer code: raw Fetch requests to the partition leader
 * (read_uncommitted), decoded with the records codec. And a reproducible source of incompressible bytes.
 */
import type { Cluster } from '../../src/network/cluster.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { decodeRecordBatches, type KafkaRecord } from '../../src/records/index.js'

/** Every record of one partition, from offset 0 to the high watermark. */
export async function fetchAllRecords(cluster: Cluster, topic: string, partition: number): Promise<KafkaRecord[]> {
  const [info] = await cluster.topics([topic])
  const leader = await cluster.leaderFor(topic, partition)
  const connection = await cluster.pool.get(leader, 'fetch')
  const records: KafkaRecord[] = []
  let offset = 0n
  for (;;) {
    const response = await connection.send(apis[ApiKeys.Fetch], {
      replicaId: -1,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 10_000_000,
      isolationLevel: 0,
      topics: [{ topic, topicId: info!.topicId, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 10_000_000 }] }],
    })
    const p = response.responses[0]!.partitions[0]!
    expect(p.errorCode).toBe(0)
    const batchRecords = decodeRecordBatches(p.records ?? Buffer.alloc(0)).batches.flatMap((b) => b.records)
    if (batchRecords.length === 0) break
    records.push(...batchRecords)
    offset = batchRecords[batchRecords.length - 1]!.offset + 1n
    if (offset >= p.highWatermark) break
  }
  return records
}

/** A deterministic pseudo-random byte source (xorshift32): incompressible values a failure can reproduce. */
export function seededBytes(seed: number): (length: number) => Buffer {
  let state = seed >>> 0 || 1
  return (length) => {
    const out = Buffer.alloc(length)
    for (let i = 0; i < length; i++) {
      state ^= state << 13
      state >>>= 0
      state ^= state >>> 17
      state ^= state << 5
      state >>>= 0
      out[i] = state & 0xff
    }
    return out
  }
}
