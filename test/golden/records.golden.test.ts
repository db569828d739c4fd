/**
 * samsa/records against the Java client's own record code (kafka-clients, version pinned in scripts/lib/versions.mjs):
 * uncompressed v2 batches are byte-identical to MemoryRecordsBuilder's; every codec round-trips in both directions;
 * legacy magic 0/1 message sets and transaction markers written by Java decode correctly in samsa.
 * One JVM serves the whole file (test/golden/java/records/RecordsReference.java over JsonLineLoop).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import {
  decodeRecordBatches,
  encodeControlBatch,
  encodeRecordBatch,
  type CompressionCodec,
  type KafkaRecord,
  type RecordBatchInput,
  type RecordInput,
} from '../../src/records/index.js'
import { type JsonAnswer, JsonLineJvm, prepareJavaProgram } from './support/java-process.js'
import { JsonNumber, type JsonValue } from './support/lossless-json.js'

const KAFKA_VERSION = /KAFKA_VERSION = '([^']+)'/.exec(readFileSync(join(__dirname, '../../scripts/lib/versions.mjs'), 'utf8'))![1]
const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const T0 = 1_700_000_000_000

let jvm: JsonLineJvm

beforeAll(() => {
  const program = prepareJavaProgram({
    name: 'golden-records-java',
    artifacts: [`org.apache.kafka:kafka-clients:${KAFKA_VERSION}`],
    includeTransitive: true, // lz4-java, snappy-java and zstd-jni come with kafka-clients
    sources: [join(__dirname, 'java/records/RecordsReference.java')],
    mainClass: 'RecordsReference',
  })
  jvm = JsonLineJvm.start(program)
}, 20 * 60_000)

afterAll(async () => {
  await jvm?.close()
})

/** JsonNumber → number, recursively; longs arrive as strings and are converted by the reader. */
function plain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return value.toNumber()
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

async function ask(message: Record<string, unknown>): Promise<JsonAnswer> {
  const answer = await jvm.request(message as never)
  if (answer.ok !== true) throw new Error(`Java failed: ${String(answer.error)}`)
  return answer
}

function hexOf(data: Buffer | string | null | undefined): string | null {
  if (data === null || data === undefined) return null
  return (typeof data === 'string' ? Buffer.from(data) : data).toString('hex')
}

function headerPairs(record: RecordInput): Array<[string, Buffer | string | null]> {
  const h = record.headers ?? []
  return (Array.isArray(h) ? h : Object.entries(h)) as Array<[string, Buffer | string | null]>
}

function javaBuildRequest(input: RecordBatchInput, magic = 2): Record<string, unknown> {
  return {
    op: 'build',
    magic,
    compression: input.compression ?? 'none',
    level: input.compressionLevel ?? null,
    baseOffset: String(input.baseOffset ?? 0n),
    timestampType: input.timestampType ?? 'create',
    producerId: String(input.producerId ?? -1n),
    producerEpoch: input.producerEpoch ?? -1,
    baseSequence: input.baseSequence ?? -1,
    transactional: input.transactional ?? false,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    records: input.records.map((r) => ({
      timestamp: String(r.timestamp),
      key: hexOf(r.key),
      value: hexOf(r.value),
      headers: headerPairs(r).map(([k, v]) => [k, hexOf(v)]),
    })),
  }
}

async function javaBuild(input: RecordBatchInput, magic = 2): Promise<Buffer> {
  return Buffer.from((await ask(javaBuildRequest(input, magic))).hex as string, 'hex')
}

interface JavaRecord {
  offset: string
  timestamp: string
  key: string | null
  value: string | null
  headers: Array<[string, string | null]>
  controlType?: string
  coordinatorEpoch?: number
}
interface JavaBatch {
  magic: number
  baseOffset: string
  lastOffset: string
  compression: string
  timestampType: string
  maxTimestamp: string
  isControl: boolean
  isTransactional: boolean
  producerId: string
  producerEpoch: number
  baseSequence: number
  partitionLeaderEpoch: number
  records: JavaRecord[]
}

async function javaRead(bytes: Buffer): Promise<JavaBatch[]> {
  return plain((await ask({ op: 'read', hex: bytes.toString('hex') })).batches as JsonValue) as JavaBatch[]
}

/** What a decoded record should look like for an input record at `offset`. */
function expected(record: RecordInput, offset: bigint) {
  return {
    offset,
    timestamp: BigInt(record.timestamp as number),
    key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers: headerPairs(record).map(([k, v]) => [k, v === null ? null : Buffer.from(v)]),
  }
}

function fromJava(r: JavaRecord): KafkaRecord {
  return {
    offset: BigInt(r.offset),
    timestamp: BigInt(r.timestamp),
    key: r.key === null ? null : Buffer.from(r.key, 'hex'),
    value: r.value === null ? null : Buffer.from(r.value, 'hex'),
    headers: r.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'hex')]),
  }
}

/** Seeded record sets covering null/empty keys and values, multi-byte varints, duplicate and null headers, UTF-8. */
function recordSet(seed: number, count: number): RecordInput[] {
  let state = seed
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state
  }
  const records: RecordInput[] = []
  for (let i = 0; i < count; i++) {
    const kind = next() % 6
    const valueLength = [0, 1, 63, 64, 200, 20_000][next() % 6]
    const value = Buffer.alloc(valueLength)
    for (let j = 0; j < valueLength; j++) value[j] = (j * 7 + i) & 0xff
    records.push({
      key: kind === 0 ? null : kind === 1 ? Buffer.alloc(0) : `key-${i}-ключ`,
      value: kind === 2 ? null : value,
      headers:
        kind === 3
          ? []
          : [
              ['trace', `t-${i}`],
              ['trace', null],
              ['ü', Buffer.from([i & 0xff, 0, 255])],
            ],
      // Out-of-order and far-apart timestamps exercise negative and multi-byte deltas.
      timestamp: T0 + ((next() % 2_000_000) - 1_000_000) * (i % 3 === 0 ? 1 : 1000),
    })
  }
  return records
}

const HEADER_VARIANTS: Array<Omit<RecordBatchInput, 'records'>> = [
  {},
  { baseOffset: 0n, producerId: 4242n, producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 9 },
  { baseOffset: 1_000_000_000_000n, producerId: 9_007_199_254_740_993n, producerEpoch: 32767, baseSequence: 2_147_483_000, transactional: true, partitionLeaderEpoch: 0 },
]

describe(`uncompressed RecordBatch v2 is byte-identical to kafka-clients ${KAFKA_VERSION}`, () => {
  const cases = HEADER_VARIANTS.flatMap((header, h) => [1, 2, 7, 60].map((count, c) => ({ header, count, seed: h * 100 + c + 1 })))
  test.each(cases)('header variant %#', async ({ header, count, seed }) => {
    const input: RecordBatchInput = { ...header, records: recordSet(seed, count) }
    const ours = encodeRecordBatch(input)
    const theirs = await javaBuild(input)
    expect(ours.toString('hex')).toBe(theirs.toString('hex'))
  })
})

describe.each(CODECS)('%s: Java and samsa read each other', (compression) => {
  const levels: Array<number | undefined> = compression === 'gzip' ? [undefined, 1, 9] : compression === 'zstd' ? [undefined, 1, 10] : [undefined]
  test.each(levels)('level %s', async (compressionLevel) => {
    const input: RecordBatchInput = { ...HEADER_VARIANTS[1], compression, compressionLevel, records: recordSet(7 + (compressionLevel ?? 0), 120) }
    const want = input.records.map((r, i) => expected(r, BigInt(i)))

    // Java writes, samsa reads.
    const fromJavaBytes = decodeRecordBatches(await javaBuild(input))
    expect(fromJavaBytes.incomplete).toBe(false)
    expect(fromJavaBytes.batches).toHaveLength(1)
    expect(fromJavaBytes.batches[0]).toMatchObject({ compression, producerId: 4242n, producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 9 })
    expect(fromJavaBytes.batches[0].records).toEqual(want)

    // samsa writes, Java reads (and validates the CRC).
    const [batch] = await javaRead(encodeRecordBatch(input))
    expect(batch).toMatchObject({ magic: 2, compression, producerId: '4242', producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 9, lastOffset: '119' })
    expect(batch.records.map(fromJava)).toEqual(want)
  })

  test('log-append-time batches agree on timestamps', async () => {
    const input: RecordBatchInput = { compression, timestampType: 'log-append', records: recordSet(99, 5) }
    const [batch] = await javaRead(encodeRecordBatch(input))
    const ours = decodeRecordBatches(encodeRecordBatch(input)).batches[0]
    expect(batch.timestampType).toBe('log-append')
    expect(ours.records.map((r) => r.timestamp)).toEqual(batch.records.map((r) => BigInt(r.timestamp)))
  })
})

test('lz4: Java reads what samsa writes when the records do not compress, and past 64 KiB', async () => {
  let state = 12345
  const noise = (length: number) => {
    const bytes = Buffer.alloc(length)
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      bytes[i] = state >>> 24
    }
    return bytes
  }
  const records: RecordInput[] = [noise(70_000), Buffer.alloc(40_000, 7), noise(100), noise(65_536)].map((value, i) => ({ key: `k${i}`, value, timestamp: T0 + i }))
  const [batch] = await javaRead(encodeRecordBatch({ compression: 'lz4', records }))
  expect(batch.compression).toBe('lz4')
  expect(batch.records.map(fromJava)).toEqual(records.map((r, i) => expected(r, BigInt(i))))
})

describe('legacy message sets written by Java decode in samsa', () => {
  const legacyCodecs: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4']
  const cases = [0, 1].flatMap((magic) => legacyCodecs.map((compression) => ({ magic, compression })))
  test.each(cases)('magic $magic, $compression', async ({ magic, compression }) => {
    const records = recordSet(31 + magic, 40).map((r) => ({ ...r, headers: [] }))
    const bytes = await javaBuild({ records, compression, baseOffset: 500n }, magic)
    const { batches, incomplete } = decodeRecordBatches(bytes)
    expect(incomplete).toBe(false)
    expect(batches.every((b) => b.magic === magic && b.compression === compression)).toBe(true)
    const decoded = batches.flatMap((b) => b.records)
    expect(decoded).toEqual(
      records.map((r, i) => ({ ...expected(r, 500n + BigInt(i)), timestamp: magic === 0 ? -1n : BigInt(r.timestamp as number) })),
    )
    // The same bytes, as Java reads them, for good measure.
    const javaView = (await javaRead(bytes)).flatMap((b) => b.records).map(fromJava)
    expect(decoded).toEqual(javaView)
  })
})

describe('transaction markers', () => {
  test.each(['commit', 'abort'] as const)('%s marker from Java is recognised, and samsa writes the same bytes', async (type) => {
    const request = { op: 'marker', type, baseOffset: '77', timestamp: String(T0), partitionLeaderEpoch: 4, producerId: '123456', producerEpoch: 2, coordinatorEpoch: 19 }
    const bytes = Buffer.from((await ask(request)).hex as string, 'hex')
    const [batch] = decodeRecordBatches(bytes).batches
    expect(batch).toMatchObject({ isControl: true, isTransactional: true, producerId: 123456n, producerEpoch: 2, baseOffset: 77n })
    expect(batch.control).toEqual({ type, typeId: type === 'commit' ? 1 : 0, version: 0, coordinatorEpoch: 19 })
    const ours = encodeControlBatch({ type, coordinatorEpoch: 19, producerId: 123456n, producerEpoch: 2, baseOffset: 77n, timestamp: T0, partitionLeaderEpoch: 4 })
    expect(ours.toString('hex')).toBe(bytes.toString('hex'))
    const [javaBatch] = await javaRead(ours)
    expect(javaBatch.records[0]).toMatchObject({ controlType: type.toUpperCase(), coordinatorEpoch: 19 })
  })
})

test('a fetch-like concatenation of Java batches (v2 of every codec, then a cut-off batch) decodes in order', async () => {
  const parts: Buffer[] = []
  let offset = 0n
  for (const compression of CODECS) {
    parts.push(await javaBuild({ compression, baseOffset: offset, records: recordSet(3, 10) }))
    offset += 10n
  }
  const tail = await javaBuild({ baseOffset: offset, records: recordSet(4, 3) })
  const { batches, incomplete, bytesConsumed } = decodeRecordBatches(Buffer.concat([...parts, tail.subarray(0, tail.length - 5)]))
  expect(batches.map((b) => b.compression)).toEqual(CODECS)
  expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
  expect(incomplete).toBe(true)
  expect(bytesConsumed).toBe(parts.reduce((a, p) => a + p.length, 0))
})
