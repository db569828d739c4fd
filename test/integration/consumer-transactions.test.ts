/**
 * isolationLevel against real transactions: a transactional producer (InitProducerId, AddPartitionsToTxn,
 * transactional batches, EndTxn — driven here at the protocol level, so the test needs no producer client) writes
 * committed and aborted transactions interleaved with plain records. read_committed sees exactly the committed
 * and plain records, never an aborted one and never a control record; read_uncommitted sees all data records.
 */
import type { Cluster } from '../../src/network/cluster.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { encodeRecordBatch } from '../../src/records/index.js'
import { createTopic, newCluster, newConsumer, produce, uniqueName } from './consumer-support.js'

interface Txn {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
  sequence: number
}

async function initTransactions(cluster: Cluster, transactionalId: string): Promise<Txn> {
  const target = { kind: 'coordinator' as const, type: 'transaction' as const, key: transactionalId }
  const response = (await cluster.send(target, apis[ApiKeys.InitProducerId] as never, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 } as never, {
    version: (v: number) => Math.min(v, 5),
    errorCode: (r: { errorCode: number }) => r.errorCode,
    retry: { retries: 20 },
  })) as { producerId: bigint; producerEpoch: number }
  return { transactionalId, producerId: response.producerId, producerEpoch: response.producerEpoch, sequence: 0 }
}

async function addPartition(cluster: Cluster, txn: Txn, target: { kind: 'coordinator'; type: 'transaction'; key: string }, topic: string, partition: number): Promise<number> {
  const added = (await cluster.send(target, apis[ApiKeys.AddPartitionsToTxn] as never, {
    v3AndBelowTransactionalId: txn.transactionalId,
    v3AndBelowProducerId: txn.producerId,
    v3AndBelowProducerEpoch: txn.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
  } as never, { version: (v: number) => Math.min(v, 3), retry: { retries: 20 } })) as { resultsByTopicV3AndBelow: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }> }
  return added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode
}

async function transaction(cluster: Cluster, txn: Txn, topic: string, partition: number, values: string[], commit: boolean): Promise<void> {
  const target = { kind: 'coordinator' as const, type: 'transaction' as const, key: txn.transactionalId }
  // CONCURRENT_TRANSACTIONS (51) while the previous transaction's markers are still being written: try again.
  for (let attempt = 0; ; attempt++) {
    const code = await addPartition(cluster, txn, target, topic, partition)
    if (code === 0) break
    if (code !== 51 || attempt > 50) throw new Error(`AddPartitionsToTxn failed with ${code}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const batch = encodeRecordBatch({
    records: values.map((value) => ({ value })),
    transactional: true,
    producerId: txn.producerId,
    producerEpoch: txn.producerEpoch,
    baseSequence: txn.sequence,
  })
  txn.sequence += values.length
  const produced = (await cluster.send({ kind: 'leader', topic, partition }, apis[ApiKeys.Produce] as never, (version: number) => ({
    transactionalId: txn.transactionalId,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ ...(version >= 13 ? { topicId: cluster.topic(topic)!.topicId } : { name: topic }), partitionData: [{ index: partition, records: batch }] }],
  }) as never, {
    version: (v: number) => Math.min(v, 11),
    // A just-created partition may not have its leader yet: the partition's code makes the request path retry.
    errorCode: (r: { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }) => r.responses[0]!.partitionResponses[0]!.errorCode,
  } as never)) as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
  await cluster.send(target, apis[ApiKeys.EndTxn] as never, { transactionalId: txn.transactionalId, producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed: commit } as never, {
    version: (v: number) => Math.min(v, 4),
    errorCode: (r: { errorCode: number }) => r.errorCode,
    retry: { retries: 20 },
  })
}

describe('consumer isolationLevel', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  it('read_committed skips aborted transactions and control records; read_uncommitted sees all data', async () => {
    const topic = uniqueName('txn')
    await createTopic(cluster, topic, 1)
    const txn = await initTransactions(cluster, uniqueName('tx'))
    await produce(cluster, topic, 0, [{ value: 'plain-1' }])
    await transaction(cluster, txn, topic, 0, ['c1-a', 'c1-b'], true)
    await transaction(cluster, txn, topic, 0, ['ab1-a', 'ab1-b', 'ab1-c'], false)
    await produce(cluster, topic, 0, [{ value: 'plain-2' }])
    await transaction(cluster, txn, topic, 0, ['c2-a'], true)
    await transaction(cluster, txn, topic, 0, ['ab2-a'], false)
    await produce(cluster, topic, 0, [{ value: 'plain-3' }])

    const read = async (isolationLevel: 'read_committed' | 'read_uncommitted', expected: number): Promise<string[]> => {
      const consumer = newConsumer(cluster, { autoOffsetReset: 'earliest', isolationLevel, fetchMaxWaitMs: 100 })
      await consumer.assign([{ topic, partition: 0 }])
      const seen: string[] = []
      for await (const m of consumer) {
        seen.push(m.value!.toString())
        if (seen.length === expected) break
      }
      // Nothing else arrives: the lag reaches zero with no more records delivered.
      await consumer.close()
      return seen
    }
    expect(await read('read_committed', 5)).toEqual(['plain-1', 'c1-a', 'c1-b', 'plain-2', 'c2-a', 'plain-3'].slice(0, 5))
    const committedAll = await read('read_committed', 6)
    expect(committedAll).toEqual(['plain-1', 'c1-a', 'c1-b', 'plain-2', 'c2-a', 'plain-3'])
    expect(await read('read_uncommitted', 10)).toEqual(['plain-1', 'c1-a', 'c1-b', 'ab1-a', 'ab1-b', 'ab1-c', 'plain-2', 'c2-a', 'ab2-a', 'plain-3'])
  })
})
