/**
 * Hostile-input fuzzing of samsa/records: seeded truncations, bit flips and lying length fields applied to valid
 * batches of every codec and to legacy message sets. Every case must either decode or throw RecordsDecodeError:
 * never another error type, never a hang, never an allocation past maxDecompressedBytes.
 */
import * as zlib from 'node:zlib'
import {
  RecordsDecodeError,
  crc32c,
  decodeRecordBatches,
  decodeRecordBatchesAsync,
  encodeControlBatch,
  encodeRecordBatch,
  type CompressionCodec,
  type DecodeResult,
} from '../../src/records/index.js'
import { crc32 } from '../../src/records/crc32c.js'

const SEED = Number(process.env.SAMSA_FUZZ_SEED ?? 20261126)
const CASES_PER_SOURCE = Number(process.env.SAMSA_FUZZ_CASES ?? 1500)
const LIMIT = 2 * 1024 * 1024

class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

function legacyMessage(magic: 0 | 1, offset: bigint, value: Buffer, attributes = 0): Buffer {
  const size = 4 + 2 + (magic === 1 ? 8 : 0) + 4 + 4 + value.length
  const buf = Buffer.alloc(12 + size)
  buf.writeBigInt64BE(offset, 0)
  buf.writeInt32BE(size, 8)
  buf[16] = magic
  buf[17] = attributes
  let pos = 18
  if (magic === 1) {
    buf.writeBigInt64BE(1_700_000_000_000n, pos)
    pos += 8
  }
  buf.writeInt32BE(-1, pos)
  buf.writeInt32BE(value.length, pos + 4)
  value.copy(buf, pos + 8)
  buf.writeUInt32BE(crc32(buf, 16, buf.length), 12)
  return buf
}

function sources(): Array<{ name: string; bytes: Buffer }> {
  const list: Array<{ name: string; bytes: Buffer }> = []
  const codecs: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
  for (const compression of codecs) {
    const records = Array.from({ length: 25 }, (_, i) => ({
      key: i % 4 === 0 ? null : `k${i}`,
      value: i % 9 === 0 ? null : Buffer.from(`value ${i} `.repeat(1 + (i % 13))),
      headers: i % 2 ? [['a', `x${i}`] as [string, string], ['a', null] as [string, null]] : [],
      timestamp: 1_700_000_000_000 + i * 17,
    }))
    list.push({ name: `v2 ${compression}`, bytes: encodeRecordBatch({ records, compression, baseOffset: 10n, producerId: 5n, producerEpoch: 1, baseSequence: 0 }) })
  }
  list.push({ name: 'control', bytes: encodeControlBatch({ type: 'commit', coordinatorEpoch: 3, producerId: 5n, producerEpoch: 1, baseOffset: 35n }) })
  const inner = Buffer.concat([0, 1, 2].map((i) => legacyMessage(1, BigInt(i), Buffer.from(`inner ${i}`))))
  list.push({
    name: 'legacy v0/v1 + gzip wrapper',
    bytes: Buffer.concat([
      legacyMessage(0, 0n, Buffer.from('plain v0')),
      legacyMessage(1, 1n, Buffer.from('plain v1')),
      legacyMessage(1, 4n, zlib.gzipSync(inner), 1),
    ]),
  })
  return list
}

type Mutation = 'truncate' | 'flip' | 'flip-recrc' | 'lying-length'

/** Applies one mutation. 'flip-recrc' repairs the CRC afterwards so the corruption reaches the record parser. */
function mutate(random: Random, bytes: Buffer, kind: Mutation): Buffer {
  if (kind === 'truncate') return Buffer.from(bytes.subarray(0, random.int(bytes.length)))
  const copy = Buffer.from(bytes)
  if (kind === 'lying-length') {
    // Overwrite one byte at a random position with a value typical of length fields gone wrong.
    const values = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe]
    copy[random.int(copy.length)] = values[random.int(values.length)]
  } else {
    const flips = 1 + random.int(6)
    for (let i = 0; i < flips; i++) copy[random.int(copy.length)] ^= 1 << random.int(8)
  }
  if (kind === 'flip-recrc' || kind === 'lying-length') {
    if (copy.length >= 61 && copy[16] === 2) {
      const end = Math.min(copy.length, 12 + Math.max(0, copy.readInt32BE(8)))
      if (end > 21) copy.writeUInt32BE(crc32c(copy, 21, end), 17)
    }
  }
  return copy
}

function classify(run: () => DecodeResult): 'decoded' | 'rejected' {
  try {
    const result = run()
    // Touch everything, as a consumer would.
    for (const batch of result.batches) for (const r of batch.records) void (r.key?.length, r.value?.length, r.headers.length)
    return 'decoded'
  } catch (error) {
    if (error instanceof RecordsDecodeError) return 'rejected'
    throw new Error(`non-RecordsDecodeError escaped: ${String(error)}`, { cause: error })
  }
}

describe('records fuzz', () => {
  const kinds: Mutation[] = ['truncate', 'flip', 'flip-recrc', 'lying-length']
  test.each(sources().map((s, i) => ({ ...s, index: i })))('$name: mutations only decode or throw RecordsDecodeError', ({ bytes, index }) => {
    const random = new Random(SEED + index * 7919)
    const tally = { decoded: 0, rejected: 0 }
    for (let i = 0; i < CASES_PER_SOURCE; i++) {
      const kind = kinds[i % kinds.length]
      const input = mutate(random, bytes, kind)
      const verifyCrc = kind === 'flip' || kind === 'truncate' ? i % 2 === 0 : true
      tally[classify(() => decodeRecordBatches(input, { verifyCrc, maxDecompressedBytes: LIMIT }))]++
    }
    // Both outcomes must occur, or the mutations are not reaching the parser.
    expect(tally.rejected).toBeGreaterThan(0)
    expect(tally.decoded).toBeGreaterThan(0)
    expect(tally.decoded + tally.rejected).toBe(CASES_PER_SOURCE)
  })

  test('the async decode path rejects the same way', async () => {
    const random = new Random(SEED ^ 0x5a5a)
    const all = sources()
    let rejected = 0
    for (let i = 0; i < 400; i++) {
      const source = all[i % all.length].bytes
      const input = mutate(random, source, 'flip-recrc')
      try {
        await decodeRecordBatchesAsync(input, { maxDecompressedBytes: LIMIT })
      } catch (error) {
        if (!(error instanceof RecordsDecodeError)) throw new Error(`non-RecordsDecodeError escaped: ${String(error)}`, { cause: error })
        rejected++
      }
    }
    expect(rejected).toBeGreaterThan(0)
  })

  test('random garbage of every small length', () => {
    const random = new Random(SEED + 1)
    for (let length = 0; length < 400; length++) {
      for (let rep = 0; rep < 5; rep++) {
        const garbage = Buffer.alloc(length)
        for (let i = 0; i < length; i++) garbage[i] = random.int(256)
        if (length > 16 && rep % 2 === 0) garbage[16] = 2 // reach the v2 path more often than chance would
        classify(() => decodeRecordBatches(garbage, { verifyCrc: rep % 2 === 1, maxDecompressedBytes: LIMIT }))
      }
    }
  })
})
