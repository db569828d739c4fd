import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../src/consumer/group-classic.js'
import { newMemberId } from '../../../src/consumer/group-consumer-protocol.js'
import { FetchedChunk, scanBatches } from '../../../src/consumer/fetched-chunk.js'
import { PartitionState } from '../../../src/consumer/partition-state.js'
import { parseIsoDurationMs } from '../../../src/consumer/offsets.js'
import { encodeControlBatch, encodeRecordBatch } from '../../../src/records/index.js'
import { KafkaError, RecordsDecodeError } from '../../../src/errors.js'

describe('consumer protocol metadata (classic)', () => {
  it('round-trips a v3 subscription with owned partitions, generation and rack', () => {
    const bytes = encodeSubscription(['a', 'b'], [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 3 }], 7, 'rack-1')
    expect(bytes.readInt16BE(0)).toBe(3)
    expect(decodeSubscription(bytes)).toEqual({ topics: ['a', 'b'], owned: [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 3 }], generation: 7 })
  })

  it('round-trips an assignment and reads an empty one as nothing', () => {
    expect(decodeAssignment(encodeAssignment([{ topic: 'x', partition: 0 }, { topic: 'y', partition: 2 }]))).toEqual([
      { topic: 'x', partition: 0 },
      { topic: 'y', partition: 2 },
    ])
    expect(decodeAssignment(Buffer.alloc(0))).toEqual([])
  })

  it('rejects truncated or negative-version metadata with a typed error', () => {
    expect(() => decodeSubscription(Buffer.from([0]))).toThrow(KafkaError)
    expect(() => decodeAssignment(Buffer.from([0xff, 0xff, 0, 0]))).toThrow(KafkaError)
    expect(() => decodeSubscription(Buffer.from([0, 3, 0, 0, 0, 9]))).toThrow(KafkaError)
  })
})

describe('KIP-1082 member id', () => {
  it('is a 22-character base64url UUID, different each time', () => {
    const a = newMemberId()
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(newMemberId()).not.toBe(a)
  })
})

describe('by_duration (KIP-1106) durations', () => {
  it('parses ISO-8601 durations', () => {
    expect(parseIsoDurationMs('PT1H')).toBe(3_600_000)
    expect(parseIsoDurationMs('P1DT30M')).toBe(86_400_000 + 1_800_000)
    expect(parseIsoDurationMs('P2W')).toBe(14 * 86_400_000)
    expect(parseIsoDurationMs('PT0.5S')).toBe(500)
  })
  it('rejects what is not one', () => {
    for (const bad of ['', 'P', 'PT', '1H', 'PT1X', 'P-1D']) expect(() => parseIsoDurationMs(bad)).toThrow(KafkaError)
  })
})

describe('fetch response records', () => {
  const batchAt = (baseOffset: bigint, values: string[]): Buffer => encodeRecordBatch({ baseOffset, records: values.map((value) => ({ value })) })

  it('scanBatches finds the offset after the last whole batch and ignores a cut-off tail', () => {
    const whole = Buffer.concat([batchAt(0n, ['a', 'b']), batchAt(2n, ['c'])])
    const cut = Buffer.concat([whole, batchAt(3n, ['d', 'e']).subarray(0, 20)])
    expect(scanBatches(whole)).toEqual({ nextOffset: 3n, lastEpoch: -1, bytes: whole.length, records: 3 })
    expect(scanBatches(cut)).toEqual({ nextOffset: 3n, lastEpoch: -1, bytes: whole.length, records: 3 })
    expect(scanBatches(Buffer.alloc(5)).bytes).toBe(0)
    const negative = Buffer.alloc(70)
    negative.writeInt32BE(-5, 8)
    expect(scanBatches(negative).bytes).toBe(0)
  })

  /** The values the consumer would hand out from one opened batch (records below `from` are not delivered). */
  const deliverable = (batch: NonNullable<ReturnType<FetchedChunk['nextBatch']>>): string[] => {
    const out: string[] = []
    for (let r = batch.records.next(); r !== null; r = batch.records.next()) if (batch.from === null || r.offset >= batch.from) out.push(r.value!.toString())
    return out
  }

  it('a chunk drops records before the position (compressed batches start early) and control batches', () => {
    const state = new PartitionState('t', 0)
    state.setPosition(1n)
    const records = Buffer.concat([batchAt(0n, ['a', 'b', 'c']), encodeControlBatch({ type: 'commit', baseOffset: 3n, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0 })])
    const chunk = new FetchedChunk(state, records, null, 4n)
    expect(deliverable(chunk.nextBatch(true)!)).toEqual(['b', 'c'])
    expect(deliverable(chunk.nextBatch(true)!)).toEqual([])
    expect(chunk.nextBatch(true)).toBeNull()
  })

  it('read_committed drops the batches of an aborted transaction up to its abort marker', () => {
    const state = new PartitionState('t', 0)
    state.setPosition(0n)
    const txBatch = (baseOffset: bigint, producerId: bigint, values: string[]): Buffer =>
      encodeRecordBatch({ baseOffset, producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: values.map((value) => ({ value })) })
    const records = Buffer.concat([
      txBatch(0n, 7n, ['aborted-1']),
      txBatch(1n, 8n, ['committed-1']),
      encodeControlBatch({ type: 'abort', baseOffset: 2n, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0 }),
      encodeControlBatch({ type: 'commit', baseOffset: 3n, producerId: 8n, producerEpoch: 0, coordinatorEpoch: 0 }),
      txBatch(4n, 7n, ['committed-2']),
    ])
    const chunk = new FetchedChunk(state, records, [{ producerId: 7n, firstOffset: 0n }], 5n)
    const seen: string[] = []
    for (let b = chunk.nextBatch(true); b !== null; b = chunk.nextBatch(true)) seen.push(...deliverable(b))
    expect(seen).toEqual(['committed-1', 'committed-2'])
  })

  it('corrupt batches throw RecordsDecodeError rather than delivering garbage', () => {
    const state = new PartitionState('t', 0)
    state.setPosition(0n)
    const bytes = batchAt(0n, ['a', 'b'])
    bytes[bytes.length - 1] ^= 0xff
    expect(() => new FetchedChunk(state, bytes, null, 2n).nextBatch(true)).toThrow(RecordsDecodeError)
  })
})
