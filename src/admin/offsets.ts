/**
 * Partition offsets and records: ListOffsets (by spec or timestamp) and DeleteRecords, sent to the partitions'
 * leaders, one request per leader, with partitions whose leader moved retried after a metadata refresh.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import {
  type AdminCallOptions,
  type AdminContext,
  byTopic,
  itemError,
  partitionKey,
  send,
  sendToLeaders,
  type TopicPartition,
  timeouts,
} from './internal.js'

/**
 * Which offset to look up: the first (`earliest`), the next to be written (`latest`), the record with the highest
 * timestamp (`max-timestamp`, ListOffsets v7), the first still on local disk (`earliest-local`, v8, tiered storage),
 * the last in remote storage (`latest-tiered`, v9), the first not yet uploaded (`earliest-pending-upload`, v11), or
 * the first with a timestamp at or after `{ timestamp }` (ms).
 */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | 'earliest-local' | 'latest-tiered' | 'earliest-pending-upload' | { timestamp: number }

const SPECIAL_TIMESTAMPS = {
  latest: { timestamp: -1n, minVersion: 1 },
  earliest: { timestamp: -2n, minVersion: 1 },
  'max-timestamp': { timestamp: -3n, minVersion: 7 },
  'earliest-local': { timestamp: -4n, minVersion: 8 },
  'latest-tiered': { timestamp: -5n, minVersion: 9 },
  'earliest-pending-upload': { timestamp: -6n, minVersion: 11 },
} as const

export interface ListOffsetsRequestItem extends TopicPartition {
  spec: OffsetSpec
}

export interface ListOffsetsOptions extends AdminCallOptions {
  /** `read_committed` hides offsets of open transactions from `latest`. Default `read_uncommitted`. */
  isolationLevel?: 'read_uncommitted' | 'read_committed'
}

export interface ListOffsetsResult extends TopicPartition {
  /** -1n when no record matches (e.g. a timestamp after the last record). */
  offset: bigint
  /** The matching record's timestamp, -1 when not applicable. */
  timestamp: number
  leaderEpoch: number
  error: KafkaProtocolError | null
}

export interface DeleteRecordsRequestItem extends TopicPartition {
  /** Delete every record before this offset (-1n: up to the high watermark). */
  offset: bigint
}

export interface DeleteRecordsResult extends TopicPartition {
  /** The partition's new log start offset; -1n on error. */
  lowWatermark: bigint
  error: KafkaProtocolError | null
}

function specTimestamp(spec: OffsetSpec): { timestamp: bigint; minVersion: number } {
  if (typeof spec === 'object') return { timestamp: BigInt(spec.timestamp), minVersion: 1 }
  const special = SPECIAL_TIMESTAMPS[spec]
  if (!special) throw new KafkaError(`Unknown offset spec ${String(spec)}`)
  return special
}

export async function listOffsets(ctx: AdminContext, items: ListOffsetsRequestItem[], options: ListOffsetsOptions = {}): Promise<ListOffsetsResult[]> {
  if (items.length === 0) return []
  // A request may name a partition once only, so several specs for one partition go out in separate rounds.
  const rounds: ListOffsetsRequestItem[][] = []
  const roundOf = items.map((item) => {
    const key = partitionKey(item.topic, item.partition)
    let index = rounds.findIndex((round) => !round.some((other) => partitionKey(other.topic, other.partition) === key))
    if (index < 0) index = rounds.push([]) - 1
    rounds[index]!.push(item)
    return index
  })
  const answers = await Promise.all(rounds.map((round) => listOffsetsOnce(ctx, round, options)))
  const cursor = rounds.map(() => 0)
  return roundOf.map((round) => answers[round]![cursor[round]!++]!)
}

async function listOffsetsOnce(ctx: AdminContext, items: ListOffsetsRequestItem[], options: ListOffsetsOptions): Promise<ListOffsetsResult[]> {
  const minVersion = Math.max(...items.map((i) => specTimestamp(i.spec).minVersion))
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  return sendToLeaders(
    ctx,
    items,
    async (nodeId, batch) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.ListOffsets,
        {
          replicaId: -1,
          isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
          topics: byTopic(batch).map(({ topic, items: parts }) => ({
            name: topic,
            partitions: parts.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: specTimestamp(p.spec).timestamp })),
          })),
          timeoutMs: brokerTimeoutMs,
        },
        {
          signal: options.signal,
          timeoutMs: clientTimeoutMs,
          version: (negotiated) => {
            if (negotiated < minVersion) throw new KafkaError(`This offset spec needs ListOffsets v${minVersion}; the broker offers v${negotiated}`)
            return negotiated
          },
        },
      )
      const answers = new Map<string, ListOffsetsResult>()
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.name, p.partitionIndex), {
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.offset ?? -1n,
            timestamp: Number(p.timestamp ?? -1n),
            leaderEpoch: p.leaderEpoch ?? -1,
            error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`),
          })
        }
      }
      return answers
    },
    (item, error) => ({ topic: item.topic, partition: item.partition, offset: -1n, timestamp: -1, leaderEpoch: -1, error }),
  )
}

export async function deleteRecords(ctx: AdminContext, items: DeleteRecordsRequestItem[], options: AdminCallOptions = {}): Promise<DeleteRecordsResult[]> {
  if (items.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  return sendToLeaders(
    ctx,
    items,
    async (nodeId, batch) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.DeleteRecords,
        {
          topics: byTopic(batch).map(({ topic, items: parts }) => ({
            name: topic,
            partitions: parts.map((p) => ({ partitionIndex: p.partition, offset: p.offset })),
          })),
          timeoutMs: brokerTimeoutMs,
        },
        { signal: options.signal, timeoutMs: clientTimeoutMs },
      )
      const answers = new Map<string, DeleteRecordsResult>()
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.name, p.partitionIndex), {
            topic: t.name,
            partition: p.partitionIndex,
            lowWatermark: p.errorCode === 0 ? p.lowWatermark : -1n,
            error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`),
          })
        }
      }
      return answers
    },
    (item, error) => ({ topic: item.topic, partition: item.partition, lowWatermark: -1n, error }),
  )
}
