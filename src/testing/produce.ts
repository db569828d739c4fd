/**
 * Produce: the leader's checks on every partition's batch (exactly one RecordBatch v2, CRC32C, record count and
 * offsets, size, ISR against min.insync.replicas), the idempotent producer's sequence checks, then the append.
 * acks=0 gets no answer at all, as from a broker.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { decodeRecordBatches } from '../records/decoder.js'
import { encodeRecordBatch } from '../records/encoder.js'
import type { CompressionCodec } from '../records/compression.js'
import type { RecordBatch } from '../records/types.js'
import { crc32c } from '../records/crc32c.js'
import { CompressionCodecUnavailableError } from '../errors.js'
import {
  ATTRIBUTES,
  BASE_SEQUENCE,
  BATCH_LENGTH,
  CONTROL_FLAG,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_COUNT,
  RECORDS,
  TRANSACTIONAL_FLAG,
} from '../records/layout.js'
import { topicConfig } from './configs.js'
import { PRODUCER_BATCH_WINDOW, type BatchHeaderFields, type PartitionLog } from './log.js'
import { brokerList } from './metadata.js'
import { defineHandler, type RequestContext } from './registry.js'
import type { Failure, PartitionState, TopicState } from './state.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
const INT32_MAX = 2147483647

interface PartitionResult {
  index: number
  errorCode: number
  baseOffset: bigint
  logAppendTimeMs: bigint
  logStartOffset: bigint
  errorMessage: string | null
  currentLeader?: { leaderId: number; leaderEpoch: number }
}

function failure(index: number, f: Failure): PartitionResult {
  return { index, errorCode: f.errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: f.errorMessage }
}

/** Reads and checks the one batch of a partition's records; a Failure when a broker would refuse it. */
export function parseProducedBatch(records: Buffer | null): { header: BatchHeaderFields; size: number; decoded: RecordBatch | null } | Failure {
  const invalid = (errorMessage: string): Failure => ({ errorCode: ErrorCodes.INVALID_RECORD, errorMessage })
  if (records === null || records.length < RECORDS) return invalid('Produce requests with version 3 and above must have exactly one record batch per partition')
  if (records[MAGIC] !== 2) return invalid(`Produce requests with version 3 and above must use magic 2, not ${records[MAGIC]}`)
  const size = LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH)
  if (size !== records.length) return invalid('Produce requests with version 3 and above must have exactly one record batch per partition')
  if ((crc32c(records, ATTRIBUTES, records.length) >>> 0) !== records.readUInt32BE(CRC)) {
    return { errorCode: ErrorCodes.CORRUPT_MESSAGE, errorMessage: 'Record batch is corrupt (CRC32C mismatch)' }
  }
  const attributes = records.readInt16BE(ATTRIBUTES)
  const header: BatchHeaderFields = {
    lastOffsetDelta: records.readInt32BE(LAST_OFFSET_DELTA),
    maxTimestamp: records.readBigInt64BE(MAX_TIMESTAMP),
    producerId: records.readBigInt64BE(PRODUCER_ID),
    producerEpoch: records.readInt16BE(PRODUCER_EPOCH),
    baseSequence: records.readInt32BE(BASE_SEQUENCE),
    recordCount: records.readInt32BE(RECORD_COUNT),
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl: (attributes & CONTROL_FLAG) !== 0,
  }
  if (header.isControl) return invalid('Clients are not allowed to write control records')
  if (header.recordCount <= 0) return invalid('Record batch has no records')
  if (header.lastOffsetDelta !== header.recordCount - 1) return invalid(`Record batch's last offset delta ${header.lastOffsetDelta} does not match its ${header.recordCount} records`)
  let decoded: RecordBatch | null = null
  try {
    const [batch] = decodeRecordBatches(records, { verifyCrc: false }).batches
    if (batch === undefined || batch.records.length !== header.recordCount) return invalid('Record count does not match the records')
    for (let i = 0; i < batch.records.length; i++) {
      if (batch.records[i]!.offset - batch.baseOffset !== BigInt(i)) return invalid('Record offsets are not consecutive from 0')
    }
    decoded = batch
  } catch (err) {
    // Without the codec the fake cannot look inside; the CRC already vouches for the bytes.
    if (!(err instanceof CompressionCodecUnavailableError)) {
      return { errorCode: ErrorCodes.CORRUPT_MESSAGE, errorMessage: err instanceof Error ? err.message : String(err) }
    }
  }
  return { header, size, decoded }
}

/**
 * A topic whose compression.type names a codec gets its batches in that codec, whatever the producer used:
 * the broker recompresses (Kafka's LogValidator), keeping producer id, epoch, sequence and record timestamps.
 */
function recompressed(topic: TopicState, batch: Buffer, decoded: RecordBatch | null): Buffer {
  const wanted = topicConfig(topic, 'compression.type')
  if (wanted === null || wanted === 'producer' || decoded === null) return batch
  const codec: CompressionCodec = wanted === 'uncompressed' ? 'none' : (wanted as CompressionCodec)
  if (codec === decoded.compression) return batch
  const level = codec === 'gzip' || codec === 'lz4' || codec === 'zstd' ? Number(topicConfig(topic, `compression.${codec}.level`)) : undefined
  return encodeRecordBatch({
    compression: codec,
    compressionLevel: level === -1 ? undefined : level,
    transactional: decoded.isTransactional,
    producerId: decoded.producerId,
    producerEpoch: decoded.producerEpoch,
    baseSequence: decoded.baseSequence,
    records: decoded.records.map((r, i) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: i })),
  })
}

/** Sequence numbers wrap at Int32.MAX (Kafka's DefaultRecordBatch.incrementSequence). */
function lastSequenceOf(header: BatchHeaderFields): number {
  return (header.baseSequence + header.recordCount - 1) % (INT32_MAX + 1)
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: bigint } | { kind: 'error'; failure: Failure }

/** Kafka's ProducerAppendInfo checks: fencing by epoch, duplicates among the last five batches, gaps. */
export function checkSequence(log: PartitionLog, header: BatchHeaderFields): SequenceCheck {
  if (header.producerId < 0n) return { kind: 'append' }
  const entry = log.producers.get(header.producerId)
  if (entry === undefined) return { kind: 'append' }
  const lastSeq = lastSequenceOf(header)
  if (header.producerEpoch < entry.epoch) {
    return { kind: 'error', failure: { errorCode: ErrorCodes.INVALID_PRODUCER_EPOCH, errorMessage: `Epoch ${header.producerEpoch} is older than the current ${entry.epoch}` } }
  }
  if (header.producerEpoch === entry.epoch) {
    const duplicate = entry.batches.find((b) => b.firstSeq === header.baseSequence && b.lastSeq === lastSeq)
    if (duplicate !== undefined) return { kind: 'duplicate', baseOffset: duplicate.baseOffset }
    const last = entry.batches[entry.batches.length - 1]
    if (last !== undefined && !inSequence(last.lastSeq, header.baseSequence)) {
      return {
        kind: 'error',
        failure: { errorCode: ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER, errorMessage: `Out of order sequence number for producer ${header.producerId}: ${header.baseSequence} (incoming seq. number), ${last.lastSeq} (current end sequence number)` },
      }
    }
    return { kind: 'append' }
  }
  if (header.baseSequence !== 0) {
    return { kind: 'error', failure: { errorCode: ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER, errorMessage: `Invalid sequence number for new epoch ${header.producerEpoch}: ${header.baseSequence} (request epoch), 0 (seq. number)` } }
  }
  return { kind: 'append' }
}

function recordProducerBatch(log: PartitionLog, header: BatchHeaderFields, baseOffset: bigint): void {
  if (header.producerId < 0n) return
  let entry = log.producers.get(header.producerId)
  if (entry === undefined || entry.epoch !== header.producerEpoch) {
    entry = { epoch: header.producerEpoch, batches: [] }
    log.producers.set(header.producerId, entry)
  }
  entry.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequenceOf(header), baseOffset, lastOffset: baseOffset + BigInt(header.lastOffsetDelta), timestamp: header.maxTimestamp })
  if (entry.batches.length > PRODUCER_BATCH_WINDOW) entry.batches.shift()
}

function notLeader(ctx: RequestContext, p: PartitionState): PartitionResult {
  const result = failure(p.index, { errorCode: ErrorCodes.NOT_LEADER_OR_FOLLOWER, errorMessage: `Broker ${ctx.broker.id} is not the leader of ${p.topic.name}-${p.index} (leader ${p.leader})` })
  // KIP-951: from v10 the answer names the new leader so the client need not refresh metadata first.
  if (ctx.apiVersion >= 10 && p.leader >= 0) result.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch }
  return result
}

function producePartition(ctx: RequestContext, request: { transactionalId: string | null; acks: number }, topic: TopicState, index: number, records: Buffer | null, now: bigint): PartitionResult {
  const p = topic.partitions[index]
  if (p === undefined) return failure(index, { errorCode: ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' })
  if (p.leader !== ctx.broker.id) return notLeader(ctx, p)
  const parsed = parseProducedBatch(records)
  if ('errorCode' in parsed) return failure(index, parsed)
  const { header, size } = parsed
  const maxBytes = Number(topicConfig(topic, 'max.message.bytes'))
  if (size > maxBytes) return failure(index, { errorCode: ErrorCodes.MESSAGE_TOO_LARGE, errorMessage: `The batch of ${size} bytes exceeds max.message.bytes ${maxBytes}` })
  const minIsr = Number(topicConfig(topic, 'min.insync.replicas'))
  if (request.acks === -1 && p.isr.length < minIsr) {
    return failure(index, { errorCode: ErrorCodes.NOT_ENOUGH_REPLICAS, errorMessage: `The size of the current ISR ${p.isr.length} is insufficient to satisfy the min.isr requirement of ${minIsr}` })
  }
  const logAppendTime = topicConfig(topic, 'message.timestamp.type') === 'LogAppendTime'
  const afterMax = BigInt(topicConfig(topic, 'message.timestamp.after.max.ms') ?? '3600000')
  if (!logAppendTime && header.maxTimestamp > now + afterMax) {
    return failure(index, { errorCode: ErrorCodes.INVALID_TIMESTAMP, errorMessage: `Timestamp ${header.maxTimestamp} is more than ${afterMax} ms in the future` })
  }
  if (header.isTransactional) {
    if (request.transactionalId === null) return failure(index, { errorCode: ErrorCodes.INVALID_RECORD, errorMessage: 'A transactional batch in a request without a transactional id' })
    const check = ctx.services.hooks.checkTransactionalBatch
    const code = check?.(ctx, { transactionalId: request.transactionalId, producerId: header.producerId, producerEpoch: header.producerEpoch, topic: topic.name, partition: index }) ?? 0
    if (code !== 0) return failure(index, { errorCode: code, errorMessage: null })
  }
  const sequence = checkSequence(p.log, header)
  if (sequence.kind === 'error') return failure(index, sequence.failure)
  if (sequence.kind === 'duplicate') {
    return { index, errorCode: 0, baseOffset: sequence.baseOffset, logAppendTimeMs: -1n, logStartOffset: p.log.logStartOffset, errorMessage: null }
  }
  const stored = p.log.append(recompressed(topic, records!, parsed.decoded), header, { leaderEpoch: p.leaderEpoch, logAppendTime: logAppendTime ? now : null })
  recordProducerBatch(p.log, header, stored.baseOffset)
  ctx.cluster.notify()
  return { index, errorCode: 0, baseOffset: stored.baseOffset, logAppendTimeMs: logAppendTime ? now : -1n, logStartOffset: p.log.logStartOffset, errorMessage: null }
}

export const produceHandlers = [
  defineHandler({
    api: 'Produce',
    handle(ctx, request) {
      const now = BigInt(Date.now())
      const byId = ctx.apiVersion >= 13
      const responses = request.topicData.map((t) => {
        const topic = byId ? ctx.cluster.topicsById.get(t.topicId ?? '') : ctx.cluster.topics.get(t.name ?? '')
        const key = byId ? { topicId: t.topicId ?? ZERO_UUID } : { name: t.name ?? '' }
        const partitionResponses = t.partitionData.map((pd) => {
          if (![-1, 0, 1].includes(request.acks)) return failure(pd.index, { errorCode: ErrorCodes.INVALID_REQUIRED_ACKS, errorMessage: `Invalid required acks ${request.acks}` })
          if (topic === undefined) {
            return failure(pd.index, byId
              ? { errorCode: ErrorCodes.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' }
              : { errorCode: ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' })
          }
          return producePartition(ctx, request, topic, pd.index, pd.records, now)
        })
        return { ...key, partitionResponses }
      })
      if (request.acks === 0) return null
      const movedLeaders = responses.some((r) => r.partitionResponses.some((p) => p.currentLeader !== undefined))
      return { responses, throttleTimeMs: 0, ...(movedLeaders ? { nodeEndpoints: brokerList(ctx.cluster) } : {}) }
    },
    errorResponse(ctx, request, errorCode) {
      // A broker answers nothing to acks=0; it hangs up so the producer notices the failure.
      if (request.acks === 0) {
        ctx.connection.closeAfterResponse = true
        return null
      }
      const byId = ctx.apiVersion >= 13
      return {
        responses: request.topicData.map((t) => ({
          ...(byId ? { topicId: t.topicId ?? ZERO_UUID } : { name: t.name ?? '' }),
          partitionResponses: t.partitionData.map((pd) => failure(pd.index, { errorCode, errorMessage: null })),
        })),
      }
    },
  }),
]
