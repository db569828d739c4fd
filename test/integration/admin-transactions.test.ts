/**
 * Transactions and producers against the real broker. A transaction is opened by hand (InitProducerId,
 * AddPartitionsToTxn v3, a transactional Produce v11: the transaction v1 path every 4.x broker still serves), so
 * these tests need neither the producer client nor a finished transaction API.
 */
import type { Cluster } from '../../src/network/cluster.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { encodeRecordBatch } from '../../src/records/index.js'
import { eventually, openAdmin, type TestAdmin, uniqueName } from './admin-support.js'

interface OpenTransaction {
  producerId: bigint
  producerEpoch: number
}

async function openTransaction(cluster: Cluster, transactionalId: string, topic: string, partition: number, values: string[]): Promise<OpenTransaction> {
  const coordinator = { kind: 'coordinator', type: 'transaction', key: transactionalId } as const
  const init = (await cluster.send(
    coordinator,
    apis[ApiKeys.InitProducerId] as never,
    { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 } as never,
    { errorCode: (r: { errorCode: number }) => r.errorCode } as never,
  )) as { producerId: bigint; producerEpoch: number }
  await cluster.send(
    coordinator,
    apis[ApiKeys.AddPartitionsToTxn] as never,
    {
      v3AndBelowTransactionalId: transactionalId,
      v3AndBelowProducerId: init.producerId,
      v3AndBelowProducerEpoch: init.producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
    } as never,
    {
      version: (v: number) => Math.min(v, 3),
      errorCode: (r: { resultsByTopicV3AndBelow: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }> }) =>
        r.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode ?? 0,
    } as never,
  )
  const records = encodeRecordBatch({
    transactional: true,
    producerId: init.producerId,
    producerEpoch: init.producerEpoch,
    baseSequence: 0,
    records: values.map((value) => ({ value })),
  })
  const produced = (await cluster.send(
    { kind: 'leader', topic, partition },
    apis[ApiKeys.Produce] as never,
    { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] } as never,
    {
      version: (v: number) => Math.min(v, 11),
      errorCode: (r: { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }) => r.responses[0]!.partitionResponses[0]!.errorCode,
    } as never,
  )) as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
  return init
}

describe('Admin: transactions and producers', () => {
  let t: TestAdmin
  let topic: string
  beforeAll(async () => {
    t = openAdmin()
    topic = uniqueName('txn')
    await t.admin.createTopics([{ name: topic, numPartitions: 2, replicationFactor: 1 }])
    await eventually(async () => expect((await t.admin.describeTopics([topic]))[0]!.partitions).toHaveLength(2))
  })
  afterAll(() => t.close())

  it('lists and describes an open transaction, describes its producer, aborts it at the partition', async () => {
    const transactionalId = uniqueName('txn-abort')
    const txn = await openTransaction(t.cluster, transactionalId, topic, 0, ['a', 'b', 'c'])

    const listed = await t.admin.listTransactions({ states: ['Ongoing'] })
    expect(listed).toContainEqual({ transactionalId, producerId: txn.producerId, state: 'Ongoing' })
    const byPattern = await t.admin.listTransactions({ transactionalIdPattern: `${transactionalId}.*`, producerIds: [txn.producerId] })
    expect(byPattern.map((l) => l.transactionalId)).toEqual([transactionalId])
    expect(await t.admin.listTransactions({ states: ['PrepareCommit'], producerIds: [txn.producerId] })).toEqual([])

    const [described, unknown] = await t.admin.describeTransactions([transactionalId, uniqueName('no-txn')])
    expect(described).toMatchObject({
      transactionalId,
      state: 'Ongoing',
      timeoutMs: 60_000,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      topicPartitions: [{ topic, partition: 0 }],
      error: null,
    })
    expect(described!.startTimeMs).toBeGreaterThan(0)
    expect(unknown!.error).toMatchObject({ errorName: 'TRANSACTIONAL_ID_NOT_FOUND' })

    const [producers, idle] = await t.admin.describeProducers([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ])
    expect(idle).toEqual({ topic, partition: 1, activeProducers: [], error: null })
    expect(producers!.error).toBeNull()
    const state = producers!.activeProducers.find((p) => p.producerId === txn.producerId)!
    expect(state).toMatchObject({ producerEpoch: txn.producerEpoch, lastSequence: 2, currentTransactionStartOffset: 0n })
    expect(state.lastTimestamp).toBeGreaterThan(0)

    const [before] = await t.admin.listOffsets([{ topic, partition: 0, spec: 'latest' }], { isolationLevel: 'read_committed' })
    expect(before!.offset).toBe(0n)

    await t.admin.abortTransaction({ topic, partition: 0, producerId: txn.producerId, producerEpoch: txn.producerEpoch, coordinatorEpoch: state.coordinatorEpoch })
    const [after] = await t.admin.describeProducers([{ topic, partition: 0 }])
    expect(after!.activeProducers.find((p) => p.producerId === txn.producerId)!.currentTransactionStartOffset).toBe(-1n)
    // The marker closed the transaction on this partition: the last stable offset moves past records and marker.
    const [stable] = await t.admin.listOffsets([{ topic, partition: 0, spec: 'latest' }], { isolationLevel: 'read_committed' })
    expect(stable!.offset).toBe(4n)

    await expect(
      t.admin.abortTransaction({ topic, partition: 7, producerId: txn.producerId, producerEpoch: txn.producerEpoch, coordinatorEpoch: state.coordinatorEpoch }),
    ).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' })
    await t.admin.fenceProducers([transactionalId])
  })

  it('fences a transactional producer: new epoch, old one refused, open transaction aborted', async () => {
    const transactionalId = uniqueName('txn-fence')
    const txn = await openTransaction(t.cluster, transactionalId, topic, 1, ['x'])
    const [fenced, fresh] = await t.admin.fenceProducers([transactionalId, uniqueName('never-used')])
    expect(fenced).toMatchObject({ transactionalId, producerId: txn.producerId, error: null })
    expect(fenced!.producerEpoch).toBeGreaterThan(txn.producerEpoch)
    expect(fresh!.error).toBeNull()
    expect(fresh!.producerId).toBeGreaterThanOrEqual(0n)

    const endTxn = (await t.cluster.send(
      { kind: 'coordinator', type: 'transaction', key: transactionalId },
      apis[ApiKeys.EndTxn] as never,
      { transactionalId, producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed: true } as never,
    )) as { errorCode: number }
    expect([47, 90]).toContain(endTxn.errorCode) // INVALID_PRODUCER_EPOCH or PRODUCER_FENCED

    await eventually(async () => {
      const [described] = await t.admin.describeTransactions([transactionalId])
      expect(['CompleteAbort', 'Empty']).toContain(described!.state)
    })
  })
})
