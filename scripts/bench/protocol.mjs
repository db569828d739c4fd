// Generated protocol codec benchmark: encode and decode of a large MetadataResponse and of small Fetch and Produce
// request frames (header + body), in operations per second.
//
//   npm run build && node scripts/bench/protocol.mjs [--seconds 1] [--rounds 3] [--json-only] [--json out.json]
//
// Prints JSON (one object) and a human table; `--json` also writes the report (scripts/bench/lib/report.mjs). Each case runs for --seconds per round after a warm-up; the best
// round is reported (the machine is shared, so the best is the least disturbed). Single-threaded, no I/O.
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { flag, numberOption, option } from './lib/args.mjs'
import { benchReport, formatNumber, reportTable } from './lib/report.mjs'
import { importPart, repoRoot } from './lib/samsa.mjs'

const SECONDS = numberOption('seconds', 1)
const ROUNDS = numberOption('rounds', 3)
const JSON_ONLY = flag('json-only')
const JSON_OUT = option('json', null)

const { module: protocol, origin } = await importPart('protocol')
const { apis, ApiKeys, messageCodecs, encodeRequestFrame, decodeResponseFrame, Reader } = protocol

// ---- inputs
const uuidOf = (i) => Buffer.from(i.toString(16).padStart(32, '0'), 'hex').toString('base64url')

const metadataApi = apis[ApiKeys.Metadata]
const metadataVersion = metadataApi.highestVersion()
const TOPICS = 10
const PARTITIONS_PER_TOPIC = 100
const metadataResponse = {
  throttleTimeMs: 0,
  brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: `broker-${nodeId}.kafka.internal`, port: 9092, rack: `rack-${nodeId}` })),
  clusterId: 'Q3JhenlDbHVzdGVySWQxMg',
  controllerId: 1,
  topics: Array.from({ length: TOPICS }, (_, t) => ({
    errorCode: 0,
    name: `orders.events.region-${t}`,
    topicId: uuidOf(t + 1),
    isInternal: false,
    partitions: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, p) => ({
      errorCode: 0,
      partitionIndex: p,
      leaderId: (p % 3) + 1,
      leaderEpoch: 7,
      replicaNodes: [(p % 3) + 1, ((p + 1) % 3) + 1, ((p + 2) % 3) + 1],
      isrNodes: [(p % 3) + 1, ((p + 1) % 3) + 1, ((p + 2) % 3) + 1],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  })),
}
const metadataBody = metadataApi.response.encode(metadataVersion, metadataResponse)
// A response frame as the network layer sees it: correlation id + header tags + body.
const metadataFrame = Buffer.concat([Buffer.from([0, 0, 0, 1, 0]), metadataBody])

const fetchApi = apis[ApiKeys.Fetch]
const fetchVersion = fetchApi.highestVersion()
const fetchRequest = {
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52428800,
  isolationLevel: 1,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topicId: uuidOf(42),
      partitions: [0, 1, 2].map((partition) => ({
        partition,
        currentLeaderEpoch: 7,
        fetchOffset: 123456789n + BigInt(partition),
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
        partitionMaxBytes: 1048576,
      })),
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
}

const produceApi = apis[ApiKeys.Produce]
const produceVersion = produceApi.highestVersion()
const records = Buffer.alloc(1024, 7) // an opaque record batch: the codec copies bytes, it does not parse them
const produceRequest = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topicData: [{ topicId: uuidOf(42), name: '', partitionData: [{ index: 0, records }] }],
}

const fetchFrame = encodeRequestFrame(fetchApi, fetchVersion, 1, 'bench-client', fetchRequest)
const produceFrame = encodeRequestFrame(produceApi, produceVersion, 1, 'bench-client', produceRequest)
const requestHeader = messageCodecs.RequestHeader

/** Decodes a request frame (after the size prefix) the way a broker would: header, then body. */
function decodeRequestFrame(api, version, frame) {
  const r = new Reader(frame, 4, frame.length)
  const header = requestHeader.read(r, api.requestHeaderVersion(version))
  return { header, body: api.request.read(r, version) }
}

let sink = 0
const cases = [
  {
    name: `MetadataResponse v${metadataVersion} encode (${TOPICS}x${PARTITIONS_PER_TOPIC} partitions, ${metadataBody.length} B)`,
    run: () => (sink += metadataApi.response.encode(metadataVersion, metadataResponse).length),
  },
  {
    name: `MetadataResponse v${metadataVersion} decode frame (${TOPICS}x${PARTITIONS_PER_TOPIC} partitions)`,
    run: () => (sink += decodeResponseFrame(metadataApi, metadataVersion, metadataFrame).body.topics.length),
  },
  {
    name: `FetchRequest v${fetchVersion} encode frame (3 partitions, ${fetchFrame.length} B)`,
    run: () => (sink += encodeRequestFrame(fetchApi, fetchVersion, 7, 'bench-client', fetchRequest).length),
  },
  {
    name: `FetchRequest v${fetchVersion} decode frame`,
    run: () => (sink += decodeRequestFrame(fetchApi, fetchVersion, fetchFrame).body.topics.length),
  },
  {
    name: `ProduceRequest v${produceVersion} encode frame (1 KiB records, ${produceFrame.length} B)`,
    run: () => (sink += encodeRequestFrame(produceApi, produceVersion, 7, 'bench-client', produceRequest).length),
  },
  {
    name: `ProduceRequest v${produceVersion} decode frame`,
    run: () => (sink += decodeRequestFrame(produceApi, produceVersion, produceFrame).body.topicData.length),
  },
]

// ---- the same MetadataResponse decoded by other pure-JS clients (their own parsers, same bytes), for scale.
import { createRequire } from 'node:module'
const require = createRequire(join(repoRoot, 'package.json'))
const comparisons = []
try {
  const pfDist = join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'dist')
  const pfMetadata = await import(pathToFileURL(join(pfDist, 'apis', 'metadata', 'metadata-v12.js')).href)
  const { Reader: PfReader } = await import(pathToFileURL(join(pfDist, 'protocol', 'reader.js')).href)
  const pfVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')).version
  const v12Body = metadataApi.response.encode(12, metadataResponse)
  comparisons.push(
    { name: `MetadataResponse v12 decode body: samsa`, run: () => (sink += metadataApi.response.decode(12, v12Body).topics.length) },
    {
      name: `MetadataResponse v12 decode body: @platformatic/kafka ${pfVersion}`,
      run: () => (sink += pfMetadata.parseResponse(1, 3, 12, PfReader.from(v12Body)).topics.length),
    },
  )
} catch (err) {
  process.stderr.write(`bench: @platformatic/kafka comparison skipped (${err.message})\n`)
}
try {
  const kafkajsMetadata = require('kafkajs/src/protocol/requests/metadata/v6/response')
  const kafkajsVersion = require('kafkajs/package.json').version
  const v6Response = { ...metadataResponse, topics: metadataResponse.topics.map((t) => ({ ...t, topicId: undefined, topicAuthorizedOperations: undefined })) }
  const v6Body = metadataApi.response.encode(6, v6Response)
  comparisons.push(
    { name: `MetadataResponse v6 decode body: samsa`, run: () => (sink += metadataApi.response.decode(6, v6Body).topics.length) },
    {
      // KafkaJS decoders are async; the promise's cost is negligible next to a 1000-partition parse.
      name: `MetadataResponse v6 decode body: kafkajs ${kafkajsVersion}`,
      run: async () => (sink += (await kafkajsMetadata.decode(v6Body)).topicMetadata.length),
      async: true,
    },
  )
} catch (err) {
  process.stderr.write(`bench: kafkajs comparison skipped (${err.message})\n`)
}
cases.push(...comparisons)

async function measureAsync(run) {
  const deadline = performance.now() + SECONDS * 1000
  let ops = 0
  const start = performance.now()
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 16; i++) await run()
    ops += 16
    now = performance.now()
  }
  return (ops * 1000) / (now - start)
}

function measure(run) {
  // Batches of calls between clock reads keep timer overhead out of the figure.
  let batch = 1
  const deadline = performance.now() + SECONDS * 1000
  let ops = 0
  const start = performance.now()
  let now = start
  while (now < deadline) {
    for (let i = 0; i < batch; i++) run()
    ops += batch
    if (batch < 1024) batch *= 2
    now = performance.now()
  }
  return (ops * 1000) / (now - start)
}

const results = []
for (const c of cases) {
  const measureCase = c.async ? measureAsync : async (run) => measure(run)
  await measureCase(c.run) // warm-up: lets V8 optimise before the measured rounds
  let best = 0
  for (let round = 0; round < ROUNDS; round++) best = Math.max(best, await measureCase(c.run))
  results.push({ case: c.name, opsPerSecond: Math.round(best), microsecondsPerOp: Number((1e6 / best).toFixed(3)) })
}

const report = {
  benchmark: 'protocol',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  source: origin,
  secondsPerRound: SECONDS,
  rounds: ROUNDS,
  results,
  checksum: sink % 1000,
}
process.stdout.write(JSON.stringify(report) + '\n')
if (!JSON_ONLY) {
  const width = Math.max(...results.map((r) => r.case.length))
  process.stdout.write(`\n${'case'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'µs/op'.padStart(10)}\n`)
  for (const r of results) {
    process.stdout.write(`${r.case.padEnd(width)}  ${r.opsPerSecond.toLocaleString('en-US').padStart(12)}  ${r.microsecondsPerOp.toFixed(3).padStart(10)}\n`)
  }
  process.stdout.write(`\nNode ${process.version}, ${report.cpu} (${report.cpus} cores, shared), best of ${ROUNDS} x ${SECONDS}s, from ${origin}\n`)
}
if (JSON_OUT) {
  const versions = { samsa: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version }
  const rows = results.map((r) => [r.case, formatNumber(r.opsPerSecond), r.microsecondsPerOp.toFixed(3)])
  const contract = benchReport({
    bench: 'protocol',
    versions,
    settings: { secondsPerRound: SECONDS, rounds: ROUNDS, source: origin },
    results,
    tables: [
      reportTable('protocol-codecs', 'Generated protocol codecs: operations per second', ['case', 'ops/s', 'µs/op'], rows, [
        `Best of ${ROUNDS} rounds of ${SECONDS} s after a warm-up; single-threaded, no I/O; samsa from ${origin}.`,
        'The decode-body rows compare the same MetadataResponse bytes parsed by each library.',
      ]),
    ],
  })
  writeFileSync(JSON_OUT, `${JSON.stringify({ ...contract, ...report }, null, 2)}\n`)
}
