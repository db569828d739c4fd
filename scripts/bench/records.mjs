// Record batch codec benchmark: samsa vs KafkaJS vs @platformatic/kafka, side by side in one process.
//
//   npm run build && node scripts/bench/records.mjs [--records 1000000] [--batch 1000] [--rounds 3] [--codecs none,gzip,...]
//       [--shapes plain,headers] [--quick] [--cpu-prof dir] [--json out.json]
//
// Every library encodes the same prepared inputs and decodes the same bytes, and every decode touches key, value
// and headers of every record. Two record shapes: `plain` (8-byte key, 100-byte value, no headers: issue #18's
// goal 6 case) and `headers` (~10-byte key, 100-byte value, one 8-byte-named header). Reports the best of
// `--rounds` runs. `--quick`: 200 000 records, 2 rounds. `--cpu-prof dir`: a V8 CPU profile of samsa's encode and
// decode per shape and codec (the timed rounds only), written to dir. `--json`: the report (lib/report.mjs) to a file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { flag, listOption, numberOption, option } from './lib/args.mjs'
import { benchReport, reportTable } from './lib/report.mjs'
import { importPart, repoRoot } from './lib/samsa.mjs'

// Each library is measured with only its own inputs alive and after a full GC, so one library's garbage or retained
// inputs don't slow the next one down: re-run with --expose-gc to be able to collect between measurements.
if (typeof globalThis.gc !== 'function') {
  const { status } = (await import('node:child_process')).spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
const require = createRequire(join(repoRoot, 'package.json'))

const QUICK = flag('quick')
const TOTAL = numberOption('records', QUICK ? 200_000 : 1_000_000)
const BATCH = numberOption('batch', 1000)
const ROUNDS = numberOption('rounds', QUICK ? 2 : 3)
const CODECS = listOption('codecs', ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
const SHAPES = listOption('shapes', ['plain', 'headers'])
const CPU_PROF = option('cpu-prof', null)
const BATCHES_PER_FETCH = 10

const { module: samsa, origin: samsaOrigin } = await importPart('records')
const pfDist = join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'dist', 'protocol')
const pf = await import(pathToFileURL(join(pfDist, 'records.js')).href)
const { Reader: PfReader } = await import(pathToFileURL(join(pfDist, 'reader.js')).href)
const pfVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')).version
const { RecordBatch: KafkaJSRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0')
const KafkaJSRecord = require('kafkajs/src/protocol/recordBatch/record/v0')
const KafkaJSDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder')
const KafkaJSDecoder = require('kafkajs/src/protocol/decoder')
const { Types: KafkaJSCodecs, Codecs: KafkaJSRegisteredCodecs } = require('kafkajs/src/protocol/message/compression')
const kafkajsVersion = require('kafkajs/package.json').version

// ---- inputs: 100-byte values of JSON-like text (compressible like real payloads), ~10-byte keys, one header.
const T0 = 1_700_000_000_000
function valueFor(i) {
  const text = `{"id":${i},"user":"u${(i * 7919) % 100000}","amount":${(i * 31) % 10000},"currency":"EUR","note":"`
  return Buffer.from(text.padEnd(99, 'x') + '}')
}
const BATCH_COUNT = Math.ceil(TOTAL / BATCH)

/**
 * Builds one library's input batches from the record index (not timed), so only that library's inputs are alive.
 * `plain`: 8-byte key, no headers; `headers`: ~10-byte key and one header.
 */
function makeInputs(library, recordShape) {
  const make = inputShapes[library][recordShape]
  const batches = []
  for (let start = 0; start < TOTAL; start += BATCH) {
    const records = []
    for (let i = start; i < Math.min(start + BATCH, TOTAL); i++) {
      records.push(recordShape === 'plain'
        ? make(Buffer.from(String(i % 1e8).padStart(8, '0')), valueFor(i), null, null, T0 + i)
        : make(Buffer.from(`key-${i}`), valueFor(i), 'trace-id', Buffer.from(`t${i}`.padEnd(16, '0')), T0 + i))
    }
    batches.push(records)
  }
  return batches
}

const inputShapes = {
  samsa: {
    plain: (key, value, _hk, _hv, timestamp) => ({ key, value, timestamp }),
    headers: (key, value, headerKey, headerValue, timestamp) => ({ key, value, headers: [[headerKey, headerValue]], timestamp }),
  },
  '@platformatic/kafka': {
    plain: (key, value, _hk, _hv, timestamp) => ({ key, value, timestamp: BigInt(timestamp), topic: 't', partition: 0 }),
    headers: (key, value, headerKey, headerValue, timestamp) => ({
      key, value, headers: new Map([[Buffer.from(headerKey), headerValue]]), timestamp: BigInt(timestamp), topic: 't', partition: 0,
    }),
  },
  kafkajs: {
    plain: (key, value, _hk, _hv, timestamp) => ({ key, value, headers: {}, timestamp }),
    headers: (key, value, headerKey, headerValue, timestamp) => ({ key, value, headers: { [headerKey]: headerValue }, timestamp }),
  },
}

// Bytes a decode touches in one record's headers (every header's name and value), per library's header form.
const touchHeaders = (headers) => {
  let n = 0
  for (let h = 0; h < headers.length; h++) n += headers[h][0].length + headers[h][1].length
  return n
}
const touchHeaderObject = (headers) => {
  let n = 0
  for (const name in headers) n += name.length + headers[name].length
  return n
}

const kafkajsCodecIds = { none: KafkaJSCodecs.None, gzip: KafkaJSCodecs.GZIP, snappy: KafkaJSCodecs.Snappy, lz4: KafkaJSCodecs.LZ4, zstd: KafkaJSCodecs.ZSTD }
// @platformatic/kafka's zstd relies on node:zlib's zstd, which Node 20 lacks.
const nodeHasZstd = typeof (await import('node:zlib')).zstdCompressSync === 'function'
const pfAvailable = (codec) => codec !== 'zstd' || nodeHasZstd

const peers = {
  samsa: {
    supports: () => true,
    encode: (batch, codec) => samsa.encodeRecordBatch({ records: batch, compression: codec }),
    decode: (buf) => {
      let touched = 0
      for (const batch of samsa.decodeRecordBatches(buf).batches) {
        for (const r of batch.records) touched += r.key.length + r.value.length + touchHeaders(r.headers)
      }
      return touched
    },
  },
  'samsa (no CRC check)': {
    supports: () => true,
    encode: null,
    decode: (buf) => {
      let touched = 0
      for (const batch of samsa.decodeRecordBatches(buf, { verifyCrc: false }).batches) {
        for (const r of batch.records) touched += r.key.length + r.value.length + touchHeaders(r.headers)
      }
      return touched
    },
  },
  '@platformatic/kafka': {
    supports: (codec) => pfAvailable(codec),
    encode: (batch, codec) => pf.createRecordsBatch(batch, { compression: codec }).buffer,
    decode: (buf) => {
      let touched = 0
      for (const batch of pf.readRecordsBatches(PfReader.from(buf))) {
        for (const r of batch.records) {
          touched += r.key.length + r.value.length
          for (let h = 0; h < r.headers.length; h++) touched += r.headers[h][0].toString().length + r.headers[h][1].length
        }
      }
      return touched
    },
  },
  kafkajs: {
    // KafkaJS ships gzip only; the other codecs are placeholders that throw until a plugin registers them.
    supports: (codec) => {
      if (codec === 'none') return true
      try {
        KafkaJSRegisteredCodecs[kafkajsCodecIds[codec]]()
        return true
      } catch {
        return false
      }
    },
    encode: async (input, codec) => {
      const records = input.map((r, n) => KafkaJSRecord({ offsetDelta: n, timestampDelta: r.timestamp - input[0].timestamp, key: r.key, value: r.value, headers: r.headers }))
      const batch = await KafkaJSRecordBatch({
        compression: kafkajsCodecIds[codec],
        firstTimestamp: input[0].timestamp,
        maxTimestamp: input[input.length - 1].timestamp,
        lastOffsetDelta: input.length - 1,
        records,
      })
      return batch.buffer
    },
    decode: async (buf) => {
      let touched = 0
      const decoder = new KafkaJSDecoder(buf)
      while (decoder.canReadInt64()) {
        const batch = await KafkaJSDecodeBatch(decoder)
        for (const r of batch.records) touched += r.key.length + r.value.length + touchHeaderObject(r.headers)
      }
      return touched
    },
  },
}

let profiler = null
if (CPU_PROF) {
  mkdirSync(CPU_PROF, { recursive: true })
  const { Session } = await import('node:inspector/promises')
  profiler = new Session()
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 })
}

/** Best of ROUNDS timed runs after one warm-up; with `profileName`, the timed runs are CPU-profiled into CPU_PROF. */
async function timeIt(fn, profileName = null) {
  let best = Infinity
  let check = 0
  for (let round = 0; round <= ROUNDS; round++) {
    if (round === 1 && profiler && profileName) await profiler.post('Profiler.start')
    const start = process.hrtime.bigint()
    check = await fn()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (round > 0 || ROUNDS === 0) best = Math.min(best, seconds) // round 0 warms up
  }
  if (profiler && profileName && ROUNDS > 0) {
    const { profile } = await profiler.post('Profiler.stop')
    writeFileSync(join(CPU_PROF, `${profileName}.cpuprofile`), JSON.stringify(profile))
  }
  return { seconds: best, check }
}

/** Decode input: one library's encoding of every batch, grouped BATCHES_PER_FETCH to a buffer like a fetch response. */
function fetchBuffers(batches) {
  const fetches = []
  for (let i = 0; i < batches.length; i += BATCHES_PER_FETCH) fetches.push(Buffer.concat(batches.slice(i, i + BATCHES_PER_FETCH)))
  return fetches
}

const results = []
for (const shape of SHAPES) for (const codec of CODECS) {
  // Decode bytes come from @platformatic/kafka where it supports the codec (its snappy is a raw block, which all
  // three read; samsa's xerial framing is Java's and @platformatic/kafka can't read it), else from samsa.
  const decodeSourceName = peers['@platformatic/kafka'].supports(codec) ? '@platformatic/kafka' : 'samsa'
  let fetches = []
  {
    const inputs = makeInputs(decodeSourceName, shape)
    const encoded = []
    for (const batch of inputs) encoded.push(Buffer.from(await peers[decodeSourceName].encode(batch, codec)))
    fetches = fetchBuffers(encoded)
  }
  const bytes = fetches.reduce((a, b) => a + b.length, 0)
  for (const [name, peer] of Object.entries(peers)) {
    if (!peer.supports(codec)) {
      results.push({ shape, codec, library: name, encodeRecPerSec: null, decodeRecPerSec: null, note: 'codec not available' })
      continue
    }
    let encodeRecPerSec = null
    if (peer.encode) {
      let inputs = makeInputs(name, shape)
      globalThis.gc()
      const { seconds } = await timeIt(async () => {
        let size = 0
        for (const batch of inputs) size += (await peer.encode(batch, codec)).length
        return size
      }, name === 'samsa' ? `samsa-encode-${shape}-${codec}` : null)
      inputs = null
      encodeRecPerSec = Math.round(TOTAL / seconds)
    }
    globalThis.gc()
    let decodeRecPerSec = null
    try {
      const { seconds, check } = await timeIt(async () => {
        let touched = 0
        for (const f of fetches) touched += await peer.decode(f)
        return touched
      }, name === 'samsa' ? `samsa-decode-${shape}-${codec}` : null)
      if (check === 0) throw new Error('decode touched nothing')
      decodeRecPerSec = Math.round(TOTAL / seconds)
    } catch (error) {
      results.push({ shape, codec, library: name, encodeRecPerSec, decodeRecPerSec: null, note: `decode failed: ${error.message}` })
      continue
    }
    results.push({ shape, codec, library: name, encodeRecPerSec, decodeRecPerSec, encodedMiB: +(bytes / 2 ** 20).toFixed(1) })
    process.stderr.write(`${shape} ${codec} ${name}: encode ${encodeRecPerSec ?? '-'} rec/s, decode ${decodeRecPerSec} rec/s\n`)
  }
}

const environment = {
  node: process.version,
  cpu: (await import('node:os')).cpus()[0]?.model,
  records: TOTAL,
  batchSize: BATCH,
  valueBytes: 100,
  shapes: { plain: '8-byte key, 100-byte value, no headers', headers: '~10-byte key, 100-byte value, one header (8-byte name, 16-byte value)' },
  loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))),
  rounds: ROUNDS,
  samsa: samsaOrigin,
  kafkajs: kafkajsVersion,
  platformatic: pfVersion,
}
console.log(JSON.stringify({ environment, results }, null, 2))

const fmt = (n) => (n === null || n === undefined ? '—' : `${(n / 1e6).toFixed(2)} M`)
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—')
const columns = ['records', 'codec', 'op', 'samsa', '@platformatic/kafka', 'KafkaJS', 'samsa ÷ platformatic', 'samsa ÷ KafkaJS']
const rows = []
for (const shape of SHAPES) for (const codec of CODECS) {
  const row = (lib) => results.find((r) => r.shape === shape && r.codec === codec && r.library === lib) ?? {}
  for (const op of ['encode', 'decode']) {
    const key = `${op}RecPerSec`
    const s = row('samsa')[key]
    const p = row('@platformatic/kafka')[key]
    const k = row('kafkajs')[key]
    rows.push([shape, codec, `${op} rec/s`, fmt(s), fmt(p), fmt(k), ratio(s, p), ratio(s, k)])
  }
  const nocrc = row('samsa (no CRC check)').decodeRecPerSec
  rows.push([shape, codec, 'decode rec/s, samsa verifyCrc:false', fmt(nocrc), '', '', ratio(nocrc, row('@platformatic/kafka').decodeRecPerSec), ratio(nocrc, row('kafkajs').decodeRecPerSec)])
}
console.log(`\n| ${columns.join(' | ')} |`)
console.log('|---|---|---|---|---|---|---|---|')
for (const row of rows) console.log(`| ${row.join(' | ')} |`)

const JSON_OUT = option('json', null)
if (JSON_OUT) {
  const contract = benchReport({
    bench: 'records',
    versions: { samsa: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version, kafkajs: kafkajsVersion, platformatic: pfVersion },
    settings: { records: TOTAL, batch: BATCH, rounds: ROUNDS, codecs: CODECS, shapes: SHAPES, samsa: samsaOrigin },
    results,
    tables: [
      reportTable('records-codecs', 'Record batch encode and decode (records per second)', columns, rows, [
        `${TOTAL.toLocaleString('en-US')} records in batches of ${BATCH}, best of ${ROUNDS} rounds; @platformatic/kafka ${pfVersion}, KafkaJS ${kafkajsVersion}.`,
        'plain: 8-byte key, 100-byte value, no headers; headers: ~10-byte key, 100-byte value, one header.',
        'Every decode touches key, value and headers of every record; samsa verifies CRC32C, the peers do not.',
        `—: codec not available (KafkaJS ships gzip only${nodeHasZstd ? '' : "; @platformatic/kafka's zstd needs node:zlib zstd, which this Node lacks"}).`,
      ]),
    ],
  })
  writeFileSync(JSON_OUT, `${JSON.stringify({ ...contract, environment }, null, 2)}\n`)
}
