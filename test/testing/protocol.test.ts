/**
 * FakeKafka at the wire level, with a bare connection: version negotiation, every version of the core APIs, the
 * idempotent producer's sequence checks, fetch sessions, byte limits, isolation levels, and offset errors.
 */
import { RawKafkaConnection } from '../helpers/raw-kafka-connection.js'
import { apis, ApiKeys, encodeRequestFrame, type AnyApiCodec } from '../../src/protocol/index.js'
import { ErrorCodes } from '../../src/protocol/generated/error-codes.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/records/index.js'
import { FakeKafka } from '../../src/testing/index.js'
import { connect } from 'node:net'
import { onSizePrefixedFrames } from '../helpers/frames.js'

const api = <K extends keyof typeof apis>(key: K) => apis[key]

function batch(values: string[], extra: { producerId?: bigint; producerEpoch?: number; baseSequence?: number; transactional?: boolean } = {}): Buffer {
  return encodeRecordBatch({ records: values.map((value) => ({ value })), ...extra })
}

describe('FakeKafka on the wire', () => {
  let fake: FakeKafka
  let conn: RawKafkaConnection
  const address = () => ({ host: '127.0.0.1', port: fake.cluster.brokers.get(0)!.port })

  beforeEach(async () => {
    fake = await FakeKafka.start({ topics: [{ name: 't', partitions: 2 }], seed: 7 })
    conn = await RawKafkaConnection.open(address(), 'raw')
  })
  afterEach(async () => {
    conn.close()
    await fake.stop()
  })

  async function produce(partition: number, records: Buffer, version = 9, transactionalId: string | null = null) {
    const res = await conn.send(api(ApiKeys.Produce), version, {
      transactionalId,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', topicId: fake.cluster.topics.get('t')!.topicId, partitionData: [{ index: partition, records }] }],
    })
    return res.responses[0]!.partitionResponses[0]!
  }

  it('offers exactly the implemented APIs with the pinned Kafka version ranges', async () => {
    const res = await conn.send(api(ApiKeys.ApiVersions), 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0' })
    expect(res.errorCode).toBe(0)
    const offered = new Map(res.apiKeys.map((k) => [k.apiKey, k]))
    for (const name of ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'CreateTopics', 'DeleteTopics', 'CreatePartitions', 'InitProducerId', 'DescribeConfigs', 'SaslAuthenticate'] as const) {
      const codec = apis[ApiKeys[name]] as AnyApiCodec
      expect(offered.get(codec.apiKey)).toMatchObject({ minVersion: codec.minVersion, maxVersion: codec.highestVersion(false) })
    }
    expect(offered.get(ApiKeys.JoinGroup)).toMatchObject({ minVersion: 0, maxVersion: 9 })
    expect(offered.has(ApiKeys.ShareFetch)).toBe(false)
  })

  it('reports metadata.version and the features later modules register (KIP-584), leaving min-0 features out of v3', async () => {
    // A KRaft cluster always finalizes metadata.version (the pinned Kafka's latest production level). Part B's
    // group.version and transaction.version are set aside: this test registers its own.
    const ours = fake.services.features.filter((f) => f.name === 'metadata.version')
    fake.services.features.splice(0, fake.services.features.length, ...ours)
    const initial = await conn.send(api(ApiKeys.ApiVersions), 4, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    expect(initial.finalizedFeatures!.map((f) => [f.name, f.maxVersionLevel])).toEqual([['metadata.version', 33]])
    fake.services.features.push({ name: 'transaction.version', minVersion: 0, maxVersion: 2, level: 2 })
    const v4 = await conn.send(api(ApiKeys.ApiVersions), 4, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    expect(v4.supportedFeatures!.map((f) => f.name)).toEqual(['metadata.version', 'transaction.version'])
    expect(v4.finalizedFeatures!.map((f) => [f.name, f.maxVersionLevel])).toEqual([['metadata.version', 33], ['transaction.version', 2]])
    const v3 = await conn.send(api(ApiKeys.ApiVersions), 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    expect(v3.supportedFeatures!.map((f) => f.name)).toEqual(['metadata.version'])
  })

  it('answers an ApiVersions version it does not know at v0 with UNSUPPORTED_VERSION and its ranges (KIP-511)', async () => {
    const socket = connect(address())
    const frames: Buffer[] = []
    onSizePrefixedFrames(socket, (f) => frames.push(f))
    await new Promise((r) => socket.once('connect', r))
    // v3 body bytes under version 99: the fake must not try to decode the body.
    const frame = encodeRequestFrame(api(ApiKeys.ApiVersions), 3, 5, 'raw', { clientSoftwareName: 'x', clientSoftwareVersion: '1' })
    frame.writeInt16BE(99, 6)
    socket.write(frame)
    while (frames.length === 0) await new Promise((r) => setTimeout(r, 5))
    const body = api(ApiKeys.ApiVersions).response.decode(0, frames[0]!.subarray(4))
    expect(frames[0]!.readInt32BE(0)).toBe(5)
    expect(body.errorCode).toBe(ErrorCodes.UNSUPPORTED_VERSION)
    expect(body.apiKeys.some((k) => k.apiKey === ApiKeys.ApiVersions && k.maxVersion === 4 + 1)).toBe(true)
    socket.destroy()
  })

  it('tells a client expecting another cluster or node to rebootstrap (KIP-1242), and reports authorized operations', async () => {
    const ask = (clusterId: string | null, nodeId: number) => conn.send(api(ApiKeys.ApiVersions), 5, { clientSoftwareName: 'raw', clientSoftwareVersion: '1', clusterId, nodeId })
    expect((await ask(fake.clusterId, 0)).errorCode).toBe(0)
    expect((await ask(null, -1)).errorCode).toBe(0)
    expect((await ask('AAAAAAAAAAAAAAAAAAAAAA', 0)).errorCode).toBe(ErrorCodes.REBOOTSTRAP_REQUIRED)
    expect((await ask(fake.clusterId, 7)).errorCode).toBe(ErrorCodes.REBOOTSTRAP_REQUIRED)
    const md = await conn.send(api(ApiKeys.Metadata), 12, { topics: [{ name: 't' }], includeTopicAuthorizedOperations: true })
    // READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS: what a broker without an authorizer allows.
    expect(md.topics[0]!.topicAuthorizedOperations).toBe([3, 4, 5, 6, 7, 8, 10, 11].reduce((f, op) => f | (1 << op), 0))
    const plain = await conn.send(api(ApiKeys.Metadata), 12, { topics: [{ name: 't' }] })
    expect(plain.topics[0]!.topicAuthorizedOperations).toBe(-2147483648)
  })

  it('answers every Metadata version (topic ids from v10, leader epochs from v7)', async () => {
    for (let v = 0; v <= 13; v++) {
      const res = await conn.send(api(ApiKeys.Metadata), v, { topics: [{ name: 't' }], ...(v >= 4 ? { allowAutoTopicCreation: false } : {}) })
      const topic = res.topics[0]!
      expect([v, topic.errorCode, topic.partitions.length]).toEqual([v, 0, 2])
      if (v >= 10) expect(topic.topicId).toBe(fake.cluster.topics.get('t')!.topicId)
      if (v >= 7) expect(topic.partitions[0]!.leaderEpoch).toBe(0)
      if (v >= 2) expect(res.clusterId).toBe(fake.clusterId)
    }
    const unknown = await conn.send(api(ApiKeys.Metadata), 12, { topics: [{ name: 'nope' }], allowAutoTopicCreation: false })
    expect(unknown.topics[0]!.errorCode).toBe(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION)
    const byId = await conn.send(api(ApiKeys.Metadata), 12, { topics: [{ topicId: fake.cluster.topics.get('t')!.topicId, name: null }] })
    expect(byId.topics[0]!.name).toBe('t')
  })

  it('produces at every version and fetches at every version', async () => {
    for (let v = 3; v <= 13; v++) expect(await produce(0, batch([`p${v}`]), v)).toMatchObject({ errorCode: 0, baseOffset: BigInt(v - 3) })
    for (let v = 4; v <= 18; v++) {
      const res = await conn.send(api(ApiKeys.Fetch), v, {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: 't', topicId: fake.cluster.topics.get('t')!.topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      })
      const p = res.responses[0]!.partitions[0]!
      expect([v, p.errorCode, p.highWatermark]).toEqual([v, 0, 11n])
      expect(decodeRecordBatches(p.records!).batches.length).toBe(11)
    }
  })

  it('validates produced batches: CRC, one batch, magic, control, unknown partition, wrong leader', async () => {
    const good = batch(['a'])
    const corrupt = Buffer.from(good)
    corrupt[corrupt.length - 1] ^= 0xff
    expect((await produce(0, corrupt)).errorCode).toBe(ErrorCodes.CORRUPT_MESSAGE)
    expect((await produce(0, Buffer.concat([good, good]))).errorCode).toBe(ErrorCodes.INVALID_RECORD)
    const magic1 = Buffer.from(good)
    magic1[16] = 1
    expect((await produce(0, magic1)).errorCode).toBe(ErrorCodes.INVALID_RECORD)
    expect((await produce(5, good)).errorCode).toBe(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION)
    expect(fake.records('t', 0)).toEqual([])
  })

  it('enforces the topic configs a leader acts on: size, ISR, timestamps, log-append time', async () => {
    const topic = fake.cluster.topics.get('t')!
    topic.configs.set('max.message.bytes', '200')
    expect((await produce(0, batch(['x'.repeat(500)]))).errorCode).toBe(ErrorCodes.MESSAGE_TOO_LARGE)
    topic.configs.delete('max.message.bytes')
    topic.configs.set('min.insync.replicas', '2')
    expect((await produce(0, batch(['needs two replicas']))).errorCode).toBe(ErrorCodes.NOT_ENOUGH_REPLICAS)
    topic.configs.delete('min.insync.replicas')
    const future = encodeRecordBatch({ records: [{ value: 'from the future', timestamp: Date.now() + 2 * 3600_000 }] })
    expect((await produce(0, future)).errorCode).toBe(ErrorCodes.INVALID_TIMESTAMP)
    topic.configs.set('message.timestamp.type', 'LogAppendTime')
    const before = Date.now()
    const old = encodeRecordBatch({ records: [{ value: 'stamped', timestamp: 1000 }] })
    const answer = await produce(0, old)
    expect(answer.errorCode).toBe(0)
    expect(Number(answer.logAppendTimeMs)).toBeGreaterThanOrEqual(before)
    const [stored] = decodeRecordBatches(fake.cluster.partition('t', 0)!.log.batches[0]!.buffer).batches
    expect([stored!.timestampType, stored!.maxTimestamp]).toEqual(['log-append', answer.logAppendTimeMs])
    expect(stored!.records[0]!.timestamp).toBe(answer.logAppendTimeMs)
  })

  it('checks idempotent sequences: duplicates answered with the original offset, gaps and old epochs refused', async () => {
    const init = await conn.send(api(ApiKeys.InitProducerId), 4, { transactionalId: null, transactionTimeoutMs: 60000 })
    expect(init.errorCode).toBe(0)
    const producerId = init.producerId
    const first = batch(['a', 'b'], { producerId, producerEpoch: 0, baseSequence: 0 })
    expect(await produce(0, first)).toMatchObject({ errorCode: 0, baseOffset: 0n })
    expect(await produce(0, batch(['c'], { producerId, producerEpoch: 0, baseSequence: 2 }))).toMatchObject({ errorCode: 0, baseOffset: 2n })
    // A retry of the first batch: success, its original offset, nothing appended.
    expect(await produce(0, first)).toMatchObject({ errorCode: 0, baseOffset: 0n })
    expect(fake.records('t', 0).length).toBe(3)
    expect((await produce(0, batch(['gap'], { producerId, producerEpoch: 0, baseSequence: 7 }))).errorCode).toBe(ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER)
    // A new epoch must start at sequence 0; after it, the old epoch is fenced.
    expect((await produce(0, batch(['x'], { producerId, producerEpoch: 1, baseSequence: 5 }))).errorCode).toBe(ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER)
    expect((await produce(0, batch(['x'], { producerId, producerEpoch: 1, baseSequence: 0 }))).errorCode).toBe(0)
    expect((await produce(0, batch(['y'], { producerId, producerEpoch: 0, baseSequence: 3 }))).errorCode).toBe(ErrorCodes.INVALID_PRODUCER_EPOCH)
    expect(fake.records('t', 0).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c', 'x'])
  })

  it('always returns the first batch even above the byte limits (KIP-74), and OFFSET_OUT_OF_RANGE past the end', async () => {
    await produce(0, batch(['x'.repeat(5000)]))
    await produce(0, batch(['small']))
    const fetch = (fetchOffset: bigint, maxBytes: number) =>
      conn.send(api(ApiKeys.Fetch), 12, {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes,
        isolationLevel: 0,
        topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: maxBytes }] }],
      })
    const limited = (await fetch(0n, 100)).responses[0]!.partitions[0]!
    expect(decodeRecordBatches(limited.records!).batches.map((b) => b.baseOffset)).toEqual([0n])
    const out = (await fetch(5n, 100)).responses[0]!.partitions[0]!
    expect(out.errorCode).toBe(ErrorCodes.OFFSET_OUT_OF_RANGE)
  })

  it('keeps fetch sessions: incremental fetches return only changed partitions; forgotten partitions leave', async () => {
    const topic = 't'
    const fetch = (sessionId: number, sessionEpoch: number, partitions: Array<{ partition: number; fetchOffset: bigint }>, forgotten: number[] = []) =>
      conn.send(api(ApiKeys.Fetch), 12, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId,
        sessionEpoch,
        topics: partitions.length > 0 ? [{ topic, partitions: partitions.map((p) => ({ ...p, partitionMaxBytes: 1 << 20 })) }] : [],
        forgottenTopicsData: forgotten.length > 0 ? [{ topic, partitions: forgotten }] : [],
      })
    const full = await fetch(0, 0, [{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }])
    const sessionId = full.sessionId!
    expect(full.sessionId).toBeGreaterThan(0)
    expect(full.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1])
    const idle = await fetch(sessionId, 1, [])
    expect(idle.errorCode).toBe(0)
    expect(idle.responses).toEqual([])
    await produce(1, batch(['new']))
    const changed = await fetch(sessionId, 2, [])
    expect(changed.responses[0]!.partitions.map((p) => [p.partitionIndex, p.highWatermark])).toEqual([[1, 1n]])
    await produce(1, batch(['more']))
    const afterForget = await fetch(sessionId, 3, [], [1])
    expect(afterForget.responses).toEqual([])
    expect((await fetch(sessionId, 9, [])).errorCode).toBe(ErrorCodes.INVALID_FETCH_SESSION_EPOCH)
    expect((await fetch(123456, 1, [])).errorCode).toBe(ErrorCodes.FETCH_SESSION_ID_NOT_FOUND)
  })

  it('rotates partitions that got data to the back of an incremental session, so none starves', async () => {
    for (let i = 0; i < 4; i++) {
      await produce(0, batch([`a${i}`.repeat(200)]))
      await produce(1, batch([`b${i}`.repeat(200)]))
    }
    const offsets = new Map([[0, 0n], [1, 0n]])
    const fetch = (sessionId: number, sessionEpoch: number, changed: number[]) =>
      conn.send(api(ApiKeys.Fetch), 12, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 100, // one batch per response, whatever its size
        isolationLevel: 0,
        sessionId,
        sessionEpoch,
        topics: changed.length > 0 ? [{ topic: 't', partitions: changed.map((p) => ({ partition: p, fetchOffset: offsets.get(p)!, partitionMaxBytes: 1 << 20 })) }] : [],
        forgottenTopicsData: [],
      })
    const served: number[] = []
    let res = await fetch(0, 0, [0, 1])
    const sessionId = res.sessionId!
    for (let epoch = 1; epoch <= 6; epoch++) {
      const withData = res.responses.flatMap((t) => t.partitions).filter((p) => p.records!.length > 0)
      for (const p of withData) {
        served.push(p.partitionIndex)
        offsets.set(p.partitionIndex, offsets.get(p.partitionIndex)! + 1n)
      }
      res = await fetch(sessionId, epoch, withData.map((p) => p.partitionIndex))
    }
    // The full fetch serves partition 0; from then on the incremental answers alternate.
    expect(served.slice(0, 6)).toEqual([0, 0, 1, 0, 1, 0])
  })

  it('bounds read_committed by the last stable offset and lists aborted transactions', async () => {
    const producerId = 4242n
    // This test drives the log's transaction state itself, without a transaction coordinator to ask.
    delete fake.services.hooks.checkTransactionalBatch
    await produce(0, batch(['committed-later'], { producerId, producerEpoch: 0, baseSequence: 0, transactional: true }), 9, 'tx')
    const log = fake.cluster.partition('t', 0)!.log
    expect([log.highWatermark, log.lastStableOffset]).toEqual([1n, 0n])
    const listLatest = async (isolationLevel: number) =>
      (await conn.send(api(ApiKeys.ListOffsets), 7, { replicaId: -1, isolationLevel, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset
    expect([await listLatest(0), await listLatest(1)]).toEqual([1n, 0n])
    log.appendControl({ producerId, producerEpoch: 0, type: 'abort', coordinatorEpoch: 0, leaderEpoch: 0 })
    fake.cluster.notify()
    const res = await conn.send(api(ApiKeys.Fetch), 12, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    })
    const p = res.responses[0]!.partitions[0]!
    expect(p.lastStableOffset).toBe(2n)
    expect(p.abortedTransactions).toEqual([{ producerId, firstOffset: 0n }])
    const batches = decodeRecordBatches(p.records!).batches
    expect(batches.map((b) => [b.isControl, b.control?.type ?? null])).toEqual([[false, null], [true, 'abort']])
  })

  it('answers OffsetForLeaderEpoch from the leader epoch history', async () => {
    await produce(0, batch(['e0']))
    fake.moveLeader('t', 0, 0) // same broker, new epoch 1
    await produce(0, batch(['e1-a', 'e1-b']))
    const res = await conn.send(api(ApiKeys.OffsetForLeaderEpoch), 4, {
      replicaId: -1,
      topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 1 }] }],
    })
    expect(res.topics[0]!.partitions.map((p) => [p.leaderEpoch, p.endOffset])).toEqual([[0, 1n], [1, 3n]])
    const fenced = await conn.send(api(ApiKeys.OffsetForLeaderEpoch), 4, { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }] })
    expect(fenced.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCodes.FENCED_LEADER_EPOCH)
  })

  it('answers every offered API at every offered version, normally and under an injected error', async () => {
    const problems: string[] = []
    await fake.stop()
    fake = await FakeKafka.start({ topics: [{ name: 't', partitions: 2 }], log: (line) => problems.push(line) })
    conn.close()
    conn = await RawKafkaConnection.open(address(), 'sweep')
    const offered = (await conn.send(api(ApiKeys.ApiVersions), 3, { clientSoftwareName: 'sweep', clientSoftwareVersion: '1' })).apiKeys
    let answered = 0
    for (const injected of [null, ErrorCodes.NOT_LEADER_OR_FOLLOWER]) {
      const rules = injected === null ? [] : offered.filter((k) => k.apiKey !== ApiKeys.ApiVersions).map((k) => fake.control({ apiKey: k.apiKey, action: { errorCode: injected } }))
      for (const { apiKey, minVersion, maxVersion } of offered) {
        const codec = apis[apiKey] as AnyApiCodec
        for (let v = minVersion; v <= maxVersion; v++) {
          // Every field at its default: empty lists, nulls, zeros; acks 0 would get no answer, so ask for acks 1.
          const body = apiKey === ApiKeys.Produce ? { acks: 1 } : apiKey === ApiKeys.SaslHandshake ? { mechanism: 'PLAIN' } : {}
          if (apiKey === ApiKeys.SaslAuthenticate || apiKey === ApiKeys.SaslHandshake) continue // no SASL listener: answered, then nothing to check
          await conn.send(codec as never, v, body as never)
          answered++
        }
      }
      for (const rule of rules) rule.remove()
    }
    expect(answered).toBeGreaterThan(100)
    expect(problems).toEqual([])
  })
})
