// Compression bindings load the first time a batch needs them. A binding that cannot be loaded fails only the
// batches in its codec, with CompressionCodecUnavailableError naming the codec and the remedy; the CRC binding
// falls back to JavaScript tables.
import * as zlib from 'node:zlib'

type Records = typeof import('../../../src/records/index.js')
type Errors = typeof import('../../../src/errors.js')

const nodeHasZstd = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function'
const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value ${i} ${'v'.repeat(i * 10)}` }))

/** A fresh module registry in which `missing` packages throw as an uninstalled (or unbuilt) package does. */
function loadWithout(...missing: string[]): { records: Records; errors: Errors } {
  let loaded: { records: Records; errors: Errors } | undefined
  jest.isolateModules(() => {
    for (const name of missing) {
      jest.doMock(name, () => {
        throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' })
      })
    }
    loaded = { records: require('../../../src/records/index.js') as Records, errors: require('../../../src/errors.js') as Errors }
  })
  return loaded!
}

afterEach(() => {
  jest.dontMock('snappy')
  jest.dontMock('lz4-napi')
  jest.dontMock('zstd-napi')
  jest.dontMock('@node-rs/crc32')
})

describe('importing samsa/records loads no compression binding', () => {
  it('a module registry with every binding missing still imports, encodes and decodes uncompressed and gzip batches', () => {
    const { records: r } = loadWithout('snappy', 'lz4-napi', 'zstd-napi', '@node-rs/crc32')
    for (const compression of ['none', 'gzip'] as const) {
      const { batches } = r.decodeRecordBatches(r.encodeRecordBatch({ records, compression }))
      expect(batches[0]!.records.map((x) => x.value!.toString())).toEqual(records.map((x) => x.value))
    }
    expect(r.compressionAvailable('gzip')).toBe(true)
  })
})

describe.each([
  ['snappy', 'snappy'],
  ['lz4', 'lz4-napi'],
] as const)('%s without its binding', (codec, pkg) => {
  it(`fails ${codec} batches with CompressionCodecUnavailableError naming the codec and the remedy`, async () => {
    // Bytes in that codec, made where the binding loads.
    const real = loadWithout()
    const compressed = real.records.encodeRecordBatch({ records, compression: codec })

    const { records: r, errors } = loadWithout(pkg)
    expect(r.compressionAvailable(codec)).toBe(false)
    const encode = () => r.encodeRecordBatch({ records, compression: codec })
    expect(encode).toThrow(errors.CompressionCodecUnavailableError)
    expect(encode).toThrow(new RegExp(`^${codec} compression is not available here .*Cannot find module '${pkg}'.*reinstall without --omit=optional`))
    await expect(r.encodeRecordBatchAsync({ records, compression: codec })).rejects.toBeInstanceOf(errors.CompressionCodecUnavailableError)
    let thrown: unknown
    try {
      r.decodeRecordBatches(compressed)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(errors.CompressionCodecUnavailableError)
    expect(thrown).toBeInstanceOf(errors.KafkaError)
    expect(thrown).not.toBeInstanceOf(errors.RecordsDecodeError)
    expect((thrown as { codec: string }).codec).toBe(codec)
    await expect(r.decodeRecordBatchesAsync(compressed)).rejects.toBeInstanceOf(errors.CompressionCodecUnavailableError)
    // Every other codec still works in the same process.
    for (const other of ['none', 'gzip', codec === 'lz4' ? 'snappy' : 'lz4'] as const) {
      expect(r.decodeRecordBatches(r.encodeRecordBatch({ records, compression: other })).batches[0]!.records).toHaveLength(records.length)
    }
  })
})

describe('zstd', () => {
  if (nodeHasZstd) {
    it('comes from node:zlib on this Node, so zstd-napi is not needed', () => {
      const { records: r } = loadWithout('zstd-napi')
      expect(r.compressionAvailable('zstd')).toBe(true)
      const { batches } = r.decodeRecordBatches(r.encodeRecordBatch({ records, compression: 'zstd' }))
      expect(batches[0]!.records).toHaveLength(records.length)
    })
  } else {
    it('on a Node without it in node:zlib and without zstd-napi: a typed error that says what to do', () => {
      const compressed = loadWithout().records.encodeRecordBatch({ records, compression: 'zstd' })
      const { records: r, errors } = loadWithout('zstd-napi')
      expect(r.compressionAvailable('zstd')).toBe(false)
      const encode = () => r.encodeRecordBatch({ records, compression: 'zstd' })
      expect(encode).toThrow(errors.CompressionCodecUnavailableError)
      expect(encode).toThrow(/^zstd compression is not available here .*Node 22\.15\+ .*npm install zstd-napi/)
      expect(() => r.decodeRecordBatches(compressed)).toThrow(errors.CompressionCodecUnavailableError)
      expect(r.decodeRecordBatches(r.encodeRecordBatch({ records, compression: 'lz4' })).batches[0]!.records).toHaveLength(records.length)
    })
  }
})

describe('CRC32C and CRC32 without @node-rs/crc32', () => {
  it('fall back to tables and give the same checksums', () => {
    const real = loadWithout().records
    const { records: r } = loadWithout('@node-rs/crc32')
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff))
    for (const [start, end] of [[0, data.length], [3, 4000], [10, 100]]) {
      expect(r.crc32c(data, start, end)).toBe(real.crc32c(data, start, end))
      expect(r.crc32(data, start, end)).toBe(real.crc32(data, start, end))
    }
    // The check value of CRC32 (IEEE) over "123456789".
    expect(r.crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    const batch = r.encodeRecordBatch({ records, compression: 'gzip' })
    expect(r.decodeRecordBatches(batch, { verifyCrc: true }).batches[0]!.records).toHaveLength(records.length)
  })
})
