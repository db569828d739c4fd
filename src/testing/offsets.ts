/**
 * The leader's offset queries and log-start moves: ListOffsets (earliest, latest, by timestamp, max timestamp;
 * latest is the last stable offset under read_committed), OffsetForLeaderEpoch (KIP-101/320 truncation checks) and
 * DeleteRecords.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { decodeRecordBatches } from '../records/decoder.js'
import type { ListOffsetsRequestListOffsetsPartition } from '../protocol/generated/ListOffsetsRequest.js'
import type { PartitionLog } from './log.js'
import { defineHandler, type RequestContext } from './registry.js'
import type { PartitionState } from './state.js'

const LATEST = -1n
const EARLIEST = -2n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n

/** The partition a leader-only request names on this broker, or the error code to answer instead. */
export function leaderPartition(ctx: RequestContext, topicName: string, index: number, currentLeaderEpoch = -1): PartitionState | number {
  const p = ctx.cluster.partition(topicName, index)
  if (p === undefined) return ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION
  if (p.leader !== ctx.broker.id) return ErrorCodes.NOT_LEADER_OR_FOLLOWER
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < p.leaderEpoch) return ErrorCodes.FENCED_LEADER_EPOCH
  if (currentLeaderEpoch > p.leaderEpoch) return ErrorCodes.UNKNOWN_LEADER_EPOCH
  return p
}

/** First record at or after `timestamp` below `upTo`; or the record with the largest timestamp when `max`. */
function offsetForTimestamp(log: PartitionLog, timestamp: bigint, upTo: bigint, max: boolean): { offset: bigint; timestamp: bigint; epoch: number } | null {
  let best: { offset: bigint; timestamp: bigint; epoch: number } | null = null
  for (const batch of log.batches) {
    if (batch.baseOffset >= upTo) break
    if (batch.isControl) continue
    if (max ? best !== null && batch.maxTimestamp <= best.timestamp : batch.maxTimestamp < timestamp) continue
    for (const decoded of decodeRecordBatches(batch.buffer, { verifyCrc: false }).batches) {
      for (const record of decoded.records) {
        if (record.offset < log.logStartOffset || record.offset >= upTo) continue
        if (max) {
          if (best === null || record.timestamp > best.timestamp) best = { offset: record.offset, timestamp: record.timestamp, epoch: batch.leaderEpoch }
        } else if (record.timestamp >= timestamp) {
          return { offset: record.offset, timestamp: record.timestamp, epoch: batch.leaderEpoch }
        }
      }
    }
  }
  return best
}

/** One partition's ListOffsets answer. */
function listOffset(ctx: RequestContext, topic: string, rp: ListOffsetsRequestListOffsetsPartition, readCommitted: boolean) {
  const base = { partitionIndex: rp.partitionIndex, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
  const p = leaderPartition(ctx, topic, rp.partitionIndex, rp.currentLeaderEpoch ?? -1)
  if (typeof p === 'number') return { ...base, errorCode: p }
  const log = p.log
  const upTo = readCommitted ? log.lastStableOffset : log.highWatermark
  if (rp.timestamp === EARLIEST || rp.timestamp === EARLIEST_LOCAL) {
    return { ...base, errorCode: 0, offset: log.logStartOffset, leaderEpoch: log.epochAt(log.logStartOffset) }
  }
  if (rp.timestamp === LATEST) return { ...base, errorCode: 0, offset: upTo, leaderEpoch: log.epochs[log.epochs.length - 1]?.epoch ?? -1 }
  if (rp.timestamp < EARLIEST_LOCAL) return { ...base, errorCode: 0 } // tiered-storage queries: nothing tiered
  const found = offsetForTimestamp(log, rp.timestamp, upTo, rp.timestamp === MAX_TIMESTAMP)
  if (found === null) return { ...base, errorCode: 0 }
  return { ...base, errorCode: 0, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.epoch }
}

export const offsetHandlers = [
  defineHandler({
    api: 'ListOffsets',
    handle(ctx, request) {
      const readCommitted = (request.isolationLevel ?? 0) === 1
      // leaderEpoch exists from v4 (KIP-320); older versions may only carry its default.
      const withEpoch = <T extends { leaderEpoch: number }>(r: T) => (ctx.apiVersion >= 4 ? r : { ...r, leaderEpoch: -1 })
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((rp) => withEpoch(listOffset(ctx, t.name, rp, readCommitted))),
      }))
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(_ctx, request, errorCode) {
      return { topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
    },
  }),
  defineHandler({
    api: 'OffsetForLeaderEpoch',
    handle(ctx, request) {
      const topics = request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp) => {
          const p = leaderPartition(ctx, t.topic, rp.partition, rp.currentLeaderEpoch)
          if (typeof p === 'number') return { errorCode: p, partition: rp.partition, leaderEpoch: -1, endOffset: -1n }
          const { leaderEpoch, endOffset } = p.log.endOffsetFor(rp.leaderEpoch)
          return { errorCode: 0, partition: rp.partition, leaderEpoch, endOffset }
        }),
      }))
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(_ctx, request, errorCode) {
      return { topics: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode, partition: p.partition })) })) }
    },
  }),
  defineHandler({
    api: 'DeleteRecords',
    handle(ctx, request) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((rp) => {
          const p = leaderPartition(ctx, t.name, rp.partitionIndex)
          if (typeof p === 'number') return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: p }
          const target = rp.offset === -1n ? p.log.highWatermark : rp.offset
          if (target < 0n || target > p.log.highWatermark) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCodes.OFFSET_OUT_OF_RANGE }
          p.log.truncateBefore(target)
          ctx.cluster.notify()
          return { partitionIndex: rp.partitionIndex, lowWatermark: p.log.logStartOffset, errorCode: 0 }
        }),
      }))
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(_ctx, request, errorCode) {
      return { topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) }
    },
  }),
  defineHandler({
    api: 'InitProducerId',
    handle(ctx, request) {
      // Transactional ids belong to the transaction coordinator (a later module replaces this handler); without
      // one, the fake answers as a broker whose coordinator is not up.
      if (request.transactionalId !== null) return { throttleTimeMs: 0, errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 }
      return { throttleTimeMs: 0, errorCode: 0, producerId: ctx.cluster.allocateProducerId(), producerEpoch: 0 }
    },
    errorResponse(_ctx, _request, errorCode) {
      return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }
    },
  }),
]
