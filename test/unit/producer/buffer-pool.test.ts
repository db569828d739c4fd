/**
 * Batch buffers are reused once the broker acknowledged their batch (BatchBufferPool): counted as allocations of the
 * pooled size while batches go out one after another against a scripted cluster, in virtual time.
 */
import { Producer } from '../../../src/producer/producer.js'
import { BatchBufferPool } from '../../../src/producer/buffer-pool.js'
import { ApiKeys } from '../../../src/protocol/index.js'
import { produceResponse, ScriptedCluster } from '../../helpers/scripted-cluster.js'

const BATCH_SIZE = 4096
const POOLED = BATCH_SIZE + 64

async function sendOneAfterAnother(acks: 0 | 1 | 'all', count: number): Promise<number> {
  const cluster = new ScriptedCluster({ brokers: 1 })
  cluster.addTopic('t', 1)
  let offset = 0n
  cluster.on(ApiKeys.Produce, (request) => produceResponse(request, () => ({ baseOffset: offset++ })))
  const producer = new Producer(cluster.context(), { lingerMs: 0, batchSize: BATCH_SIZE, acks, idempotent: acks === 'all' })
  const allocations = jest.spyOn(Buffer, 'allocUnsafe')
  try {
    for (let i = 0; i < count; i++) {
      const sent = producer.send({ topic: 't', messages: [{ value: Buffer.alloc(100, i) }] })
      await cluster.clock.advance(1)
      await sent
    }
    return allocations.mock.calls.filter(([size]) => size === POOLED).length
  } finally {
    allocations.mockRestore()
    const closing = producer.close()
    await cluster.clock.advance(1000)
    await closing
  }
}

describe('batch buffer pool', () => {
  it('reuses the buffer of an acknowledged batch for the next batch', async () => {
    expect(await sendOneAfterAnother(1, 20)).toBe(1)
    expect(await sendOneAfterAnother('all', 20)).toBe(1)
  })

  it('with acks=0 nothing proves the request was written, so no buffer is reused', async () => {
    expect(await sendOneAfterAnother(0, 20)).toBe(20)
  })

  it('keeps only buffers of its size, never more than bufferMemory in all', () => {
    const pool = new BatchBufferPool(1000, 2500)
    const own = [Buffer.allocUnsafe(1000), Buffer.allocUnsafe(1000), Buffer.allocUnsafe(1000)]
    pool.give(Buffer.allocUnsafe(2000)) // outgrown: a batch whose first record was larger than batchSize
    pool.give(Buffer.allocUnsafe(1000).subarray(0, 500))
    for (const buffer of own) pool.give(buffer)
    expect([pool.take(), pool.take(), pool.take()]).toEqual([own[1], own[0], undefined])
  })
})
