/**
 * Offset look-ups and commits: ListOffsets (earliest/latest/by timestamp) batched per leader, OffsetFetch and
 * OffsetCommit against the group coordinator, by topic id where the broker offers it (KIP-516, OffsetCommit v10 /
 * OffsetFetch v10). Per-partition errors become typed errors; stale-routing errors refresh metadata and retry.
 */
import { KafkaError } from '../errors.js'
import type { Cluster } from '../network/cluster.js'
import { withRetry } from '../network/retry.js'
import { ApiKeys, errorFromCode } from '../protocol/index.js'
import { request } from './request.js'
import type { TopicPartition, TopicPartitionOffset } from './types.js'

export const EARLIEST_TIMESTAMP = -2n
export const LATEST_TIMESTAMP = -1n

export interface ListedOffset extends TopicPartition {
  /** -1n when no record has a timestamp at or after the one asked for. */
  offset: bigint
  timestamp: bigint
  leaderEpoch: number
}

/** ListOffsets for each partition at `timestamp` (or EARLIEST/LATEST), one request per leader, retried as a whole. */
export async function listOffsets(
  cluster: Cluster,
  requests: Array<TopicPartition & { timestamp: bigint }>,
  isolationLevel: number,
  signal?: AbortSignal,
): Promise<ListedOffset[]> {
  if (requests.length === 0) return []
  return withRetry(
    async () => {
      const byLeader = new Map<number, Array<TopicPartition & { timestamp: bigint }>>()
      for (const r of requests) {
        const leader = await cluster.leaderFor(r.topic, r.partition, signal)
        let list = byLeader.get(leader.nodeId)
        if (!list) byLeader.set(leader.nodeId, (list = []))
        list.push(r)
      }
      const results = await Promise.all(
        [...byLeader].map(async ([nodeId, items]) => {
          const topics = new Map<string, Array<{ partitionIndex: number; timestamp: bigint; currentLeaderEpoch: number }>>()
          for (const item of items) {
            let parts = topics.get(item.topic)
            if (!parts) topics.set(item.topic, (parts = []))
            const epoch = cluster.topic(item.topic)?.partitions[item.partition]?.leaderEpoch ?? -1
            parts.push({ partitionIndex: item.partition, timestamp: item.timestamp, currentLeaderEpoch: epoch })
          }
          const response = await request(cluster, { kind: 'node', nodeId }, ApiKeys.ListOffsets,
            {
              replicaId: -1,
              isolationLevel,
              timeoutMs: 30_000,
              topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
            },
            { signal },
          )
          const out: ListedOffset[] = []
          for (const t of response.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== 0) {
                const error = errorFromCode(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`)!
                if (error.retriable) cluster.handleRetriableError(error, { kind: 'leader', topic: t.name, partition: p.partitionIndex })
                throw error
              }
              out.push({ topic: t.name, partition: p.partitionIndex, offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch ?? -1 })
            }
          }
          return out
        }),
      )
      return results.flat()
    },
    cluster.retryOptions,
    { signal },
  )
}

export interface CommittedOffset extends TopicPartition {
  /** null when the group has no committed offset for the partition. */
  offset: bigint | null
  leaderEpoch: number
  metadata: string | null
}

export interface MemberIdentity {
  memberId: string
  /** Classic generation id or KIP-848 member epoch; -1 for commits outside a group generation. */
  generationIdOrMemberEpoch: number
  groupInstanceId: string | null
}

const STALE_MEMBER_EPOCH = 113
const UNSTABLE_OFFSET_COMMIT = 88

/** OffsetFetch for `partitions` of `groupId` (requireStable, so pending transactional commits are waited out). */
export async function fetchCommitted(
  cluster: Cluster,
  groupId: string,
  partitions: TopicPartition[],
  member: MemberIdentity | null,
  signal?: AbortSignal,
  purpose = 'group',
): Promise<CommittedOffset[]> {
  if (partitions.length === 0) return []
  const topics = groupByTopic(partitions)
  await cluster.topics([...topics.keys()], { signal })
  return withRetry(
    async () => {
      const response = await request(cluster, { kind: 'coordinator', type: 'group', key: groupId }, ApiKeys.OffsetFetch,
        (version) => {
          if (version < 8) return { groupId, requireStable: true, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }
          return {
            requireStable: true,
            groups: [
              {
                groupId,
                memberId: member?.memberId ?? null,
                memberEpoch: member && member.generationIdOrMemberEpoch >= 0 && member.memberId ? member.generationIdOrMemberEpoch : -1,
                topics: [...topics].map(([name, partitionIndexes]) =>
                  version >= 10 ? { topicId: cluster.topic(name)!.topicId, partitionIndexes } : { name, partitionIndexes },
                ),
              },
            ],
          }
        },
        {
          purpose,
          signal,
          errorCode: (r: { errorCode?: number; groups?: Array<{ errorCode: number }> }) => {
            const code = r.groups?.[0]?.errorCode ?? r.errorCode ?? 0
            if (code === STALE_MEMBER_EPOCH && member !== null) {
              // A rebalance made the member epoch stale between heartbeats; reading committed offsets does not need
              // membership, so the retry asks as a non-member.
              member = null
              throw new KafkaError('OffsetFetch: member epoch went stale during a rebalance; asking again as a non-member', { retriable: true })
            }
            return code
          },
        },
      )
      const out: CommittedOffset[] = []
      const rows = response.groups
        ? response.groups[0]!.topics.map((t) => ({ name: t.name ?? (t.topicId ? cluster.topicNameById(t.topicId) : undefined), partitions: t.partitions }))
        : (response.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions }))
      for (const t of rows) {
        if (t.name === undefined) continue
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            const error = errorFromCode(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`)!
            if (p.errorCode === UNSTABLE_OFFSET_COMMIT || error.retriable) throw error
            throw error
          }
          out.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset < 0n ? null : p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.metadata ?? null,
          })
        }
      }
      return out
    },
    cluster.retryOptions,
    { signal },
  )
}

/**
 * OffsetCommit. Returns nothing; throws the first per-partition error (typed). Retriable coordinator errors are
 * retried by the request path; fencing errors (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH,
 * FENCED_INSTANCE_ID) surface for the membership to handle.
 */
export async function commitOffsets(
  cluster: Cluster,
  groupId: string,
  offsets: TopicPartitionOffset[],
  member: MemberIdentity,
  signal?: AbortSignal,
  purpose = 'group',
): Promise<void> {
  if (offsets.length === 0) return
  const topics = new Map<string, TopicPartitionOffset[]>()
  for (const o of offsets) {
    let list = topics.get(o.topic)
    if (!list) topics.set(o.topic, (list = []))
    list.push(o)
  }
  await cluster.topics([...topics.keys()], { signal })
  await withRetry(
    async () => {
      const response = await request(cluster, { kind: 'coordinator', type: 'group', key: groupId }, ApiKeys.OffsetCommit,
        (version) => ({
          groupId,
          generationIdOrMemberEpoch: member.generationIdOrMemberEpoch,
          memberId: member.memberId,
          groupInstanceId: member.groupInstanceId,
          retentionTimeMs: -1n,
          topics: [...topics].map(([name, list]) => ({
            ...(version >= 10 ? { topicId: cluster.topic(name)!.topicId } : { name }),
            partitions: list.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: o.offset,
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? '',
            })),
          })),
        }),
        { purpose, signal },
      )
      for (const t of response.topics) {
        const name = t.name ?? (t.topicId ? cluster.topicNameById(t.topicId) : undefined) ?? '?'
        for (const p of t.partitions) {
          if (p.errorCode === 0) continue
          const error = errorFromCode(p.errorCode, `OffsetCommit ${name}-${p.partitionIndex}`)!
          if (error.retriable) cluster.handleRetriableError(error, { kind: 'coordinator', type: 'group', key: groupId })
          throw error
        }
      }
    },
    cluster.retryOptions,
    { signal },
  )
}

export function groupByTopic(partitions: TopicPartition[]): Map<string, number[]> {
  const topics = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    let list = topics.get(topic)
    if (!list) topics.set(topic, (list = []))
    list.push(partition)
  }
  return topics
}

/** Parses an ISO-8601 duration (PnDTnHnMnS, weeks too) into milliseconds, for `by_duration:` resets. */
export function parseIsoDurationMs(text: string): number {
  const match = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim())
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) throw new KafkaError(`"${text}" is not an ISO-8601 duration`)
  const [, w, d, h, m, s] = match
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v))
  return Math.round((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(m)) * 60_000 + n(s) * 1000)
}

/** Every non-internal topic name in the cluster (for pattern subscriptions). */
export async function listTopicNames(cluster: Cluster, signal?: AbortSignal): Promise<string[]> {
  const response = await request(cluster, { kind: 'any' }, ApiKeys.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { signal })
  return response.topics.filter((t) => t.errorCode === 0 && !t.isInternal && t.name !== null).map((t) => t.name!)
}
