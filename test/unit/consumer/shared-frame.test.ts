import { ASYNC_DECOMPRESS_MIN_BYTES, FetchedChunk, SharedFrame } from '../../../src/consumer/fetched-chunk.js'
import { PartitionState } from '../../../src/consumer/partition-state.js'
import { encodeRecordBatch, RecordsDecodeError, type CompressionCodec } from '../../../src/records/index.js'
import { RECORDS } from '../../../src/records/layout.js'

describe('SharedFrame', () => {
  it('gives the frame back once sealed and every chunk holding it has dropped it, exactly once', () => {
    const given: Buffer[] = []
    const memory = Buffer.alloc(10)
    const shared = new SharedFrame(memory, (f) => given.push(f))
    shared.hold()
    shared.hold()
    shared.drop()
    shared.seal()
    expect(given).toEqual([])
    shared.drop()
    expect(given).toHaveLength(1)
    expect(given[0]).toBe(memory)
    shared.seal()
    expect(given).toHaveLength(1)
  })

  it('gives a frame no chunk holds back when sealed', () => {
    const given: Buffer[] = []
    const shared = new SharedFrame(Buffer.alloc(10), (f) => given.push(f))
    shared.seal()
    expect(given).toHaveLength(1)
  })
})

describe('FetchedChunk: large compressed batches decompress off the event loop', () => {
  const value = (i: number): string => `record ${i} `.padEnd(400, String.fromCharCode(97 + (i % 26)))
  const batchOf = (compression: CompressionCodec, count: number, baseOffset = 0n): Buffer =>
    encodeRecordBatch({ baseOffset, compression, records: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: value(i) + Math.random().toString(36) })) })

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: a large batch is inflated in the background and opened from that; a small one opens at once', async (codec) => {
    const large = batchOf(codec, 2_000)
    const small = batchOf(codec, 3, 2_000n)
    expect(large.length - RECORDS).toBeGreaterThanOrEqual(ASYNC_DECOMPRESS_MIN_BYTES)
    const state = new PartitionState('t', 0)
    state.position = 0n
    const given: Buffer[] = []
    const frame = new SharedFrame(Buffer.concat([large, small]), (f) => given.push(f))
    const records = Buffer.concat([large, small])
    const chunk = new FetchedChunk(state, records, null, 2_003n, frame)
    frame.seal()
    const pending = chunk.inflateNext()
    expect(pending).toBeInstanceOf(Promise)
    expect(chunk.inflateNext()).toBe(pending)
    await pending
    expect(chunk.inflateNext()).toBeNull()
    const first = chunk.nextBatch(true)!
    const read: string[] = []
    for (let r = first.records.next(); r !== null; r = first.records.next()) read.push(r.value!.toString().slice(0, 400))
    expect(read).toEqual(Array.from({ length: 2_000 }, (_, i) => value(i)))
    // The small batch opens in the turn that needs it.
    expect(chunk.inflateNext()).toBeNull()
    const second = chunk.nextBatch(true)!
    expect(second.records.next()!.offset).toBe(2_000n)
    expect(chunk.nextBatch(true)).toBeNull()
    chunk.release()
    expect(given).toHaveLength(1)
  })

  it('holds the frame while decompressing, and a failed decompression is reported by nextBatch as the synchronous path reports it', async () => {
    const large = batchOf('gzip', 2_000)
    const state = new PartitionState('t', 0)
    state.position = 0n
    const given: Buffer[] = []
    const frame = new SharedFrame(large, (f) => given.push(f))
    const chunk = new FetchedChunk(state, large, null, 2_000n, frame)
    frame.seal()
    const pending = chunk.inflateNext()!
    chunk.release()
    expect(given).toHaveLength(0)
    await pending
    expect(given).toHaveLength(1)

    // A payload that does not decompress (CRC left unchecked, as with checkCrcs: false): the same typed error.
    const broken = Buffer.from(batchOf('gzip', 2_000))
    broken.fill(0x55, RECORDS + 20, RECORDS + 200)
    const brokenChunk = new FetchedChunk(new PartitionState('t', 0), broken, null, 2_000n)
    await brokenChunk.inflateNext()
    expect(() => brokenChunk.nextBatch(false)).toThrow(RecordsDecodeError)
  })
})
