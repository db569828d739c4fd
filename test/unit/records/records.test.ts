import {
  RecordBatchBuilder,
  RecordsDecodeError,
  decodeRecordBatchAt,
  decodeRecordBatches,
  openRecordBatchAt,
  compressedPayloadAt,
  decompressAsync,
  decodeRecordBatchesAsync,
  encodeControlBatch,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  compressSync,
  decompressSync,
  crc32c,
  type CompressionCodec,
  type RecordInput,
} from '../../../src/records/index.js'
import { crc32cTable } from '../../../src/records/crc32c.js'
import { resealRecordBatch } from '../../../src/records/reseal.js'
import { gzipWrapper, legacyMessage } from './legacy-helpers.js'

const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const T0 = 1_700_000_000_000

function sampleRecords(n: number): RecordInput[] {
  const records: RecordInput[] = []
  for (let i = 0; i < n; i++) {
    records.push({
      key: i % 5 === 0 ? null : `key-${i}`,
      value: i % 7 === 3 ? null : Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`),
      headers: i % 2 === 0 ? [['h', `v${i}`], ['h', null], ['ü-ñ', Buffer.from([i & 0xff])]] : { trace: 'abc' },
      timestamp: T0 + (i % 3) * 1000,
    })
  }
  return records
}

function asBuffer(data: Buffer | string | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null
  return typeof data === 'string' ? Buffer.from(data) : data
}

function expectRecordsEqual(decoded: ReturnType<typeof decodeRecordBatches>['batches'][number]['records'], input: RecordInput[], baseOffset: bigint) {
  expect(decoded).toHaveLength(input.length)
  decoded.forEach((r, i) => {
    const src = input[i]
    expect(r.offset).toBe(baseOffset + BigInt(i))
    expect(r.timestamp).toBe(BigInt(src.timestamp as number))
    expect(r.key).toEqual(asBuffer(src.key))
    expect(r.value).toEqual(asBuffer(src.value))
    const headers = Array.isArray(src.headers) ? src.headers : Object.entries(src.headers ?? {})
    expect(r.headers).toEqual(headers.map(([k, v]) => [k, asBuffer(v)]))
  })
}

describe('RecordBatch v2 round trip', () => {
  test.each(CODECS)('%s: every field survives encode → decode', (compression) => {
    const records = sampleRecords(200)
    const batch = encodeRecordBatch({
      records,
      compression,
      baseOffset: 1234n,
      producerId: 987654321n,
      producerEpoch: 7,
      baseSequence: 42,
      transactional: true,
      partitionLeaderEpoch: 3,
    })
    const { batches, incomplete, bytesConsumed } = decodeRecordBatches(batch)
    expect(incomplete).toBe(false)
    expect(bytesConsumed).toBe(batch.length)
    expect(batches).toHaveLength(1)
    const b = batches[0]
    expect(b).toMatchObject({
      magic: 2,
      baseOffset: 1234n,
      lastOffset: 1234n + 199n,
      lastOffsetDelta: 199,
      compression,
      producerId: 987654321n,
      producerEpoch: 7,
      baseSequence: 42,
      isTransactional: true,
      isControl: false,
      partitionLeaderEpoch: 3,
      timestampType: 'create',
      baseTimestamp: BigInt(T0),
      maxTimestamp: BigInt(T0 + 2000),
      recordCount: 200,
      sizeInBytes: batch.length,
      control: null,
    })
    expectRecordsEqual(b.records, records, 1234n)
  })

  test.each(CODECS)('%s: async encode and decode agree with the sync paths', async (compression) => {
    const records = sampleRecords(300)
    const asyncBatch = await encodeRecordBatchAsync({ records, compression, baseOffset: 5n })
    const syncDecoded = decodeRecordBatches(asyncBatch)
    const asyncDecoded = await decodeRecordBatchesAsync(encodeRecordBatch({ records, compression, baseOffset: 5n }))
    expectRecordsEqual(syncDecoded.batches[0].records, records, 5n)
    expectRecordsEqual(asyncDecoded.batches[0].records, records, 5n)
  })

  test('defaults match the Java client: no producer id/epoch/sequence, leader epoch -1, offsets from 0', () => {
    const b = decodeRecordBatches(encodeRecordBatch({ records: [{ value: 'v', timestamp: T0 }] })).batches[0]
    expect(b).toMatchObject({ baseOffset: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1, isTransactional: false })
  })

  test('bigint timestamps, explicit offset deltas, negative timestamp deltas and empty keys/values', () => {
    const records: RecordInput[] = [
      { key: Buffer.alloc(0), value: '', timestamp: BigInt(T0 + 10), offsetDelta: 0 },
      { key: 'k', value: 'é', timestamp: T0 - 5_000_000_000, offsetDelta: 2 },
      { value: 'z', timestamp: T0 + 2 ** 40, offsetDelta: 9 },
    ]
    const b = decodeRecordBatches(encodeRecordBatch({ records, baseOffset: 100n })).batches[0]
    expect(b.records.map((r) => r.offset)).toEqual([100n, 102n, 109n])
    expect(b.records.map((r) => r.timestamp)).toEqual([BigInt(T0 + 10), BigInt(T0 - 5_000_000_000), BigInt(T0 + 2 ** 40)])
    expect(b.records[0].key).toEqual(Buffer.alloc(0))
    expect(b.records[0].value).toEqual(Buffer.alloc(0))
    expect(b.records[1].value?.toString()).toBe('é')
    expect(b.lastOffsetDelta).toBe(9)
    expect(b.maxTimestamp).toBe(BigInt(T0 + 2 ** 40))
  })

  test('a lazily read batch names the offset after each record, across gaps a compaction left', () => {
    const records: RecordInput[] = [0, 1, 2, 7, 8, 20].map((offsetDelta) => ({ value: `v${offsetDelta}`, timestamp: T0, offsetDelta }))
    const source = openRecordBatchAt(encodeRecordBatch({ records, baseOffset: 1_000n }), 0)!.batch.records
    const seen: Array<[bigint, bigint]> = []
    for (let record = source.next(); record !== null; record = source.next()) seen.push([record.offset, source.nextOffset])
    expect(seen).toEqual([
      [1_000n, 1_001n],
      [1_001n, 1_002n],
      [1_002n, 1_003n],
      [1_007n, 1_008n],
      [1_008n, 1_009n],
      [1_020n, 1_021n],
    ])
  })

  test('log-append-time batches report maxTimestamp on every record, as the broker means it', () => {
    const b = decodeRecordBatches(
      encodeRecordBatch({ records: [{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 9 }], timestampType: 'log-append' }),
    ).batches[0]
    expect(b.timestampType).toBe('log-append')
    expect(b.records.map((r) => r.timestamp)).toEqual([BigInt(T0 + 9), BigInt(T0 + 9)])
  })

  test('decoded keys and values are Buffers viewing the input, not copies', () => {
    const batch = encodeRecordBatch({ records: [{ key: 'kk', value: 'vv', timestamp: T0 }] })
    const r = decodeRecordBatches(batch).batches[0].records[0]
    expect(Buffer.isBuffer(r.value)).toBe(true)
    expect(r.value!.buffer).toBe(batch.buffer)
    expect(r.value!.toString('utf8')).toBe('vv')
  })

  test('an empty batch encodes and decodes', () => {
    const b = decodeRecordBatches(encodeRecordBatch({ records: [] })).batches[0]
    expect(b.records).toEqual([])
    expect(b.recordCount).toBe(0)
  })
})

describe('RecordBatchBuilder', () => {
  test('grows past its initial capacity and sets producer fields at drain time', () => {
    const builder = new RecordBatchBuilder({ compression: 'lz4', initialCapacity: 64 })
    const values: Buffer[] = []
    for (let i = 0; i < 500; i++) {
      const value = Buffer.alloc(i % 300, i & 0xff)
      values.push(value)
      expect(builder.append(`k${i}`, value, [['n', String(i)]], T0 + i)).toBe(i)
    }
    expect(builder.count).toBe(500)
    const sizeBefore = builder.sizeInBytes
    expect(sizeBefore).toBeGreaterThan(values.reduce((a, v) => a + v.length, 0))
    const batch = builder.close({ producerId: 77n, producerEpoch: 2, baseSequence: 1000, baseOffset: 9n })
    expect(() => builder.append(null, 'late')).toThrow(/closed/)
    const b = decodeRecordBatches(batch).batches[0]
    expect(b).toMatchObject({ producerId: 77n, producerEpoch: 2, baseSequence: 1000, baseOffset: 9n, recordCount: 500, compression: 'lz4' })
    b.records.forEach((r, i) => {
      expect(r.value).toEqual(values[i])
      expect(r.timestamp).toBe(BigInt(T0 + i))
      expect(r.headers).toEqual([['n', Buffer.from(String(i))]])
    })
  })

  test('hasRoomFor keeps batches within a size limit, but always admits a first record', () => {
    const limit = 1000
    const builder = new RecordBatchBuilder()
    expect(builder.hasRoomFor(null, Buffer.alloc(5000), undefined, limit, T0)).toBe(true)
    let appended = 0
    while (builder.hasRoomFor('k', Buffer.alloc(100), [['h', 'v']], limit, T0)) {
      builder.append('k', Buffer.alloc(100), [['h', 'v']], T0)
      appended++
    }
    expect(appended).toBeGreaterThan(1)
    expect(builder.sizeInBytes).toBeLessThanOrEqual(limit)
    builder.append('k', Buffer.alloc(100), [['h', 'v']], T0)
    expect(builder.sizeInBytes).toBeGreaterThan(limit)
  })

  test('resealRecordBatch rewrites producer fields in place and keeps the batch valid, compressed or not', () => {
    for (const compression of ['none', 'zstd'] as const) {
      const batch = encodeRecordBatch({ records: sampleRecords(30), compression, producerId: 1n, producerEpoch: 0, baseSequence: 0 })
      resealRecordBatch(batch, 99n, 4, 500)
      const b = decodeRecordBatches(batch).batches[0]
      expect(b).toMatchObject({ producerId: 99n, producerEpoch: 4, baseSequence: 500, recordCount: 30 })
      expectRecordsEqual(b.records, sampleRecords(30), 0n)
    }
  })

  test('recordSize predicts the bytes append adds', () => {
    const builder = new RecordBatchBuilder()
    builder.append('a', 'first', undefined, T0)
    const before = builder.sizeInBytes
    builder.append('key', Buffer.alloc(200), { h1: 'x', h2: null }, T0 + 70000)
    expect(builder.sizeInBytes - before).toBe(RecordBatchBuilder.recordSize('key', Buffer.alloc(200), { h1: 'x', h2: null }, 70000, 1))
  })
})

describe('fetch payload framing', () => {
  test('several batches decode in order and a trailing partial batch is reported, not thrown', () => {
    const a = encodeRecordBatch({ records: sampleRecords(3), baseOffset: 0n })
    const b = encodeRecordBatch({ records: sampleRecords(4), baseOffset: 3n, compression: 'zstd' })
    const c = encodeRecordBatch({ records: sampleRecords(5), baseOffset: 7n })
    for (const cut of [1, 11, 12, 16, 17, 60, c.length - 1]) {
      const input = Buffer.concat([a, b, c.subarray(0, cut)])
      const result = decodeRecordBatches(input)
      expect(result.batches.map((x) => x.baseOffset)).toEqual([0n, 3n])
      expect(result.incomplete).toBe(true)
      expect(result.bytesConsumed).toBe(a.length + b.length)
    }
    const whole = decodeRecordBatches(Buffer.concat([a, b, c]))
    expect(whole.batches.map((x) => x.records.length)).toEqual([3, 4, 5])
    expect(whole.incomplete).toBe(false)
  })

  test('decodeRecordBatchAt walks one batch at a time', () => {
    const input = Buffer.concat([encodeRecordBatch({ records: sampleRecords(2) }), encodeRecordBatch({ records: sampleRecords(1), baseOffset: 2n })])
    const first = decodeRecordBatchAt(input, 0)!
    const second = decodeRecordBatchAt(input, first.next)!
    expect([first.batch.baseOffset, second.batch.baseOffset]).toEqual([0n, 2n])
    expect(decodeRecordBatchAt(input, second.next)).toBeNull()
  })

  test('openRecordBatchAt reads records one at a time, equal to the eager decode, for every codec', () => {
    for (const compression of CODECS) {
      const input = encodeRecordBatch({ records: sampleRecords(5), baseOffset: 10n, compression })
      const opened = openRecordBatchAt(input, 0)!
      const lazy = []
      for (let r = opened.batch.records.next(); r !== null; r = opened.batch.records.next()) lazy.push(r)
      expect(lazy).toEqual(decodeRecordBatchAt(input, 0)!.batch.records)
      expect(opened.batch.records.next()).toBeNull()
      expect(opened.next).toBe(input.length)
    }
  })

  test('compressedPayloadAt names a compressed batch\'s codec and payload; openRecordBatchAt opens it from the caller\'s decompression', async () => {
    for (const compression of CODECS) {
      const input = encodeRecordBatch({ records: sampleRecords(5), baseOffset: 10n, compression })
      const compressed = compressedPayloadAt(input, 0)
      if (compression === 'none') {
        expect(compressed).toBeNull()
        continue
      }
      expect(compressed!.codec).toBe(compression)
      const inflated = await decompressAsync(compression, compressed!.payload, { maxDecompressedBytes: 1 << 20, at: 0 })
      const opened = openRecordBatchAt(input, 0, { inflated })!
      const lazy = []
      for (let r = opened.batch.records.next(); r !== null; r = opened.batch.records.next()) lazy.push(r)
      expect(lazy).toEqual(decodeRecordBatchAt(input, 0)!.batch.records)
      // The header and CRC are still checked with a decompression handed in.
      const corrupt = Buffer.from(input)
      corrupt[corrupt.length - 1] ^= 0xff
      expect(() => openRecordBatchAt(corrupt, 0, { inflated })).toThrow(RecordsDecodeError)
    }
    // Partial and malformed data: null, for openRecordBatchAt to report.
    const input = encodeRecordBatch({ records: sampleRecords(5), compression: 'gzip' })
    expect(compressedPayloadAt(input.subarray(0, input.length - 1), 0)).toBeNull()
    expect(compressedPayloadAt(Buffer.alloc(70, 0xff), 0)).toBeNull()
  })

  test('a lazily read batch delivers the records before a corrupt one, then throws on every later call', () => {
    const input = encodeRecordBatch({ records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
    // The last byte is the last record's header count (0): claiming one header makes that record overrun.
    input[input.length - 1] = 0x02
    const opened = openRecordBatchAt(input, 0, { verifyCrc: false })!
    expect(opened.batch.records.next()!.value!.toString()).toBe('a')
    expect(opened.batch.records.next()!.value!.toString()).toBe('b')
    expect(() => opened.batch.records.next()).toThrow(RecordsDecodeError)
    expect(() => opened.batch.records.next()).toThrow(RecordsDecodeError)
    // With the CRC checked (the default), nothing of the batch is handed out.
    expect(() => openRecordBatchAt(input, 0)).toThrow(RecordsDecodeError)
  })

  test('a lazily read batch with bytes after its last record fails at that record', () => {
    const batch = encodeRecordBatch({ records: [{ value: 'a' }] })
    // One record declared, but the record count field says 1 while the batch claims 3 more bytes.
    const padded = Buffer.concat([batch, Buffer.from([0, 0, 0])])
    padded.writeInt32BE(padded.readInt32BE(8) + 3, 8)
    const opened = openRecordBatchAt(padded, 0, { verifyCrc: false })!
    expect(() => opened.batch.records.next()).toThrow(/bytes after its 1 records/)
  })

  test('ownMemory: records read after the input is overwritten are intact, for every codec and legacy format', () => {
    const inputs = [
      ...CODECS.map((compression) => encodeRecordBatch({ records: sampleRecords(5), baseOffset: 10n, compression })),
      legacyMessage(0, { offset: 3n, key: Buffer.from('k0'), value: Buffer.from('v0') }),
      legacyMessage(1, { offset: 4n, key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: BigInt(T0) }),
      gzipWrapper(1, 6n, [{ offset: 0n, key: null, value: Buffer.from('a') }, { offset: 1n, key: Buffer.from('b'), value: null }]),
    ]
    for (const input of inputs) {
      const expected = decodeRecordBatchAt(Buffer.from(input), 0)!.batch.records
      const opened = openRecordBatchAt(input, 0, { ownMemory: true })!
      input.fill(0xee)
      const read = []
      for (let r = opened.batch.records.next(); r !== null; r = opened.batch.records.next()) read.push(r)
      expect(read).toEqual(expected)
    }
  })

  test('ownMemory: a corrupt record is reported at its batch position in the input, not in the copy', () => {
    const first = encodeRecordBatch({ records: [{ value: 'x' }] })
    const second = encodeRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseOffset: 1n })
    second[second.length - 1] = 0x02
    const input = Buffer.concat([first, second])
    for (const ownMemory of [false, true]) {
      const opened = openRecordBatchAt(input, first.length, { verifyCrc: false, ownMemory })!
      expect(opened.next).toBe(input.length)
      opened.batch.records.next()
      const error = (() => {
        try {
          opened.batch.records.next()
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(RecordsDecodeError)
      expect((error as RecordsDecodeError).offset).toBe(first.length)
    }
  })

  test('an empty input decodes to no batches', () => {
    expect(decodeRecordBatches(Buffer.alloc(0))).toEqual({ batches: [], incomplete: false, bytesConsumed: 0 })
  })
})

describe('control batches', () => {
  test.each(['commit', 'abort'] as const)('%s markers are recognised', (type) => {
    const batch = encodeControlBatch({ type, coordinatorEpoch: 12, producerId: 5n, producerEpoch: 1, baseOffset: 40n, timestamp: T0 })
    const b = decodeRecordBatches(batch).batches[0]
    expect(b.isControl).toBe(true)
    expect(b.isTransactional).toBe(true)
    expect(b.control).toEqual({ type, typeId: type === 'commit' ? 1 : 0, version: 0, coordinatorEpoch: 12 })
  })
})

describe('legacy message sets', () => {
  test('magic 0 and 1 uncompressed messages decode, one batch per message', () => {
    const input = Buffer.concat([
      legacyMessage(0, { offset: 10n, key: Buffer.from('k0'), value: Buffer.from('v0') }),
      legacyMessage(1, { offset: 11n, key: null, value: Buffer.from('v1'), timestamp: BigInt(T0) }),
      legacyMessage(1, { offset: 12n, key: Buffer.from('k2'), value: null, timestamp: BigInt(T0 + 1) }),
    ])
    const { batches, incomplete } = decodeRecordBatches(input)
    expect(incomplete).toBe(false)
    expect(batches.map((b) => b.magic)).toEqual([0, 1, 1])
    expect(batches.flatMap((b) => b.records)).toEqual([
      { offset: 10n, timestamp: -1n, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [] },
      { offset: 11n, timestamp: BigInt(T0), key: null, value: Buffer.from('v1'), headers: [] },
      { offset: 12n, timestamp: BigInt(T0 + 1), key: Buffer.from('k2'), value: null, headers: [] },
    ])
  })

  test('v1 compressed wrappers resolve relative inner offsets against the wrapper offset', () => {
    const inner = [0, 1, 2].map((i) => ({ offset: BigInt(i), key: null, value: Buffer.from(`m${i}`), timestamp: BigInt(T0 + i) }))
    const b = decodeRecordBatches(gzipWrapper(1, 102n, inner, BigInt(T0 + 2))).batches[0]
    expect(b.compression).toBe('gzip')
    expect(b.records.map((r) => r.offset)).toEqual([100n, 101n, 102n])
    expect(b.records.map((r) => r.timestamp)).toEqual([T0, T0 + 1, T0 + 2].map(BigInt))
  })

  test('v1 log-append-time wrappers stamp inner messages with the wrapper timestamp', () => {
    const inner = [0, 1].map((i) => ({ offset: BigInt(i), key: null, value: Buffer.from(`m${i}`), timestamp: 5n }))
    const b = decodeRecordBatches(gzipWrapper(1, 51n, inner, BigInt(T0), true)).batches[0]
    expect(b.timestampType).toBe('log-append')
    expect(b.records.map((r) => r.timestamp)).toEqual([BigInt(T0), BigInt(T0)])
  })

  test('v0 compressed wrappers keep the absolute inner offsets', () => {
    const inner = [7, 8].map((i) => ({ offset: BigInt(i), key: null, value: Buffer.from(`m${i}`) }))
    const b = decodeRecordBatches(gzipWrapper(0, 8n, inner)).batches[0]
    expect(b.records.map((r) => r.offset)).toEqual([7n, 8n])
  })

  test('a corrupt legacy CRC is rejected', () => {
    const m = legacyMessage(1, { offset: 0n, key: null, value: Buffer.from('abc'), timestamp: 0n })
    m[m.length - 1] ^= 1
    expect(() => decodeRecordBatches(m)).toThrow(RecordsDecodeError)
  })
})

describe('hostile input', () => {
  const good = encodeRecordBatch({ records: sampleRecords(10), baseOffset: 0n })

  test('a flipped bit fails the CRC check; skipping the check still bounds-checks', () => {
    const bad = Buffer.from(good)
    bad[100] ^= 0x40
    expect(() => decodeRecordBatches(bad)).toThrow(/CRC32C mismatch/)
    const result = (() => {
      try {
        return decodeRecordBatches(bad, { verifyCrc: false })
      } catch (error) {
        return error
      }
    })()
    expect(result instanceof RecordsDecodeError || (result as { batches?: unknown }).batches !== undefined).toBe(true)
  })

  test('unknown magic, short batch length and unknown codec are typed errors', () => {
    const magic = Buffer.from(good)
    magic[16] = 3
    expect(() => decodeRecordBatches(magic)).toThrow(/unknown magic byte 3/)
    const short = Buffer.from(good)
    short.writeInt32BE(10, 8)
    expect(() => decodeRecordBatches(short)).toThrow(RecordsDecodeError)
    const codec = Buffer.from(good)
    codec.writeInt16BE(6, 21)
    codec.writeUInt32BE(crc32c(codec, 21, codec.length), 17)
    expect(() => decodeRecordBatches(codec)).toThrow(/unknown compression id 6/)
  })

  test('an absurd record count is rejected before allocating', () => {
    const bad = Buffer.from(good)
    bad.writeInt32BE(0x7fffffff, 57)
    bad.writeUInt32BE(crc32c(bad, 21, bad.length), 17)
    expect(() => decodeRecordBatches(bad)).toThrow(/record count/)
  })

  test.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: a decompression bomb is refused by maxDecompressedBytes', (compression) => {
    const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(4 * 1024 * 1024), timestamp: T0 }], compression })
    expect(batch.length).toBeLessThan(300 * 1024)
    expect(() => decodeRecordBatches(batch, { maxDecompressedBytes: 1024 * 1024 })).toThrow(/limit/)
    expect(decodeRecordBatches(batch, { maxDecompressedBytes: 8 * 1024 * 1024 }).batches[0].records[0].value).toHaveLength(4 * 1024 * 1024)
  })

  test.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: garbage compressed payloads are typed errors', async (compression) => {
    const batch = encodeRecordBatch({ records: sampleRecords(20), compression })
    for (let i = 61; i < batch.length; i += 7) batch[i] ^= 0x5a
    batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17)
    expect(() => decodeRecordBatches(batch)).toThrow(RecordsDecodeError)
    await expect(decodeRecordBatchesAsync(batch)).rejects.toThrow(RecordsDecodeError)
  })
})

describe('codecs', () => {
  test('snappy decodes both xerial framing (Java) and one raw block (librdkafka, KafkaJS)', () => {
    const data = Buffer.from('abc'.repeat(50_000))
    const xerial = compressSync('snappy', data)
    expect(xerial.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const raw: Buffer = require('snappy').compressSync(data)
    for (const compressed of [xerial, raw]) {
      expect(decompressSync('snappy', compressed, { maxDecompressedBytes: 1 << 20, at: 0 })).toEqual(data)
    }
  })

  test('lz4 frames carry no content checksum or block checksums (as KafkaLZ4BlockOutputStream writes)', () => {
    const frame = compressSync('lz4', Buffer.from('hello hello hello'))
    expect(frame.readUInt32LE(0)).toBe(0x184d2204)
    expect(frame[4] & 0x14).toBe(0)
  })

  test('gzip and zstd honour compression levels', () => {
    const data = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i % 977} of text`).join('\n'))
    expect(compressSync('gzip', data, 9).length).toBeLessThan(compressSync('gzip', data, 1).length)
    expect(compressSync('zstd', data, 19).length).toBeLessThan(compressSync('zstd', data, 1).length)
  })
})

describe('crc32c', () => {
  test('matches the published check value and the JS table for every length up to 1 KiB', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    const data = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 131 + 7) & 0xff))
    for (let n = 0; n <= 1024; n += 37) expect(crc32c(data, 0, n)).toBe(crc32cTable(data, 0, n))
    expect(crc32c(data, 5, 900)).toBe(crc32cTable(data.subarray(5, 900)))
  })
})
