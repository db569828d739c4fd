/**
 * Offset look-ups and commits: ListOffsets (earliest/latest/by timestamp) batched per leader, OffsetFetch and
 * OffsetCommit against the group coordinator, by topic id where the broker offers it (KIP-516, OffsetCommit v10 /
 * OffsetFetch v10). Per-partition errors become typed errors; stale-routing errors refresh metadata and retry.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import type { Cluster, Target } from '../network/cluster.js'
import type { Budget, RetryOptions } from '../network/policy.js'
import { sendSharded } from '../network/sharded.js'
import { ApiKeys, ErrorCodes, errorFromCode } from '../protocol/index.js'
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

/** How long one consumer call may take in all (default: the consumer's defaultApiTimeoutMs), and what cancels it. */
export interface CallBounds {
  signal?: AbortSignal
  timeoutMs?: number
}

/**
 * A call's bounds inside samsa: also part of a call that already has a budget, or with its own number of retries
 * (the periodic auto-commit makes one attempt, as Java's).
 */
export interface CallOptions extends CallBounds {
  budget?: Budget
  retry?: Partial<RetryOptions>
}

/**
 * Runs `attempt` under the call's budget: retried by it, or once when a loop already owns that budget (the caller
 * retries), so retries never nest.
 */
function underBudget<T>(cluster: Cluster, call: CallOptions, target: Target, attempt: (budget: Budget) => Promise<T>): Promise<T> {
  const run = (budget: Budget): Promise<T> =>
    budget.looping ? attempt(budget) : budget.run(() => attempt(budget), (error) => cluster.handleRetriableError(error, target))
  return call.budget ? run(call.budget) : cluster.withBudget(call, run)
}

/**
 * ListOffsets for each partition at `timestamp` (or EARLIEST/LATEST), one request per leader; partitions whose
 * answer is retriable are asked again (at their new leader) under the call's one budget.
 */
export async function listOffsets(
  cluster: Cluster,
  requests: Array<TopicPartition & { timestamp: bigint }>,
  isolationLevel: number,
  call: CallOptions = {},
): Promise<ListedOffset[]> {
  if (requests.length === 0) return []
  type Item = TopicPartition & { timestamp: bigint }
  type Answer = { error: KafkaProtocolError | null; listed?: ListedOffset }
  const shard = (budget: Budget): Promise<Answer[]> =>
    sendSharded<Item, Answer>(budget, {
      items: requests,
      keyOf: (r) => `${r.topic}\u0000${r.partition}`,
      failed: (_, error) => ({ error }),
      stale: (r, error) => cluster.handleRetriableError(error, { kind: 'leader', topic: r.topic, partition: r.partition }),
      route: async (pending) => {
        const byNode = new Map<number, Item[]>()
        const unroutable: Array<[Item, KafkaError]> = []
        for (const r of pending) {
          try {
            const leader = await cluster.leaderFor(r.topic, r.partition, budget)
            let list = byNode.get(leader.nodeId)
            if (!list) byNode.set(leader.nodeId, (list = []))
            list.push(r)
          } catch (error) {
            if (!(error instanceof KafkaError) || budget.signal.aborted) throw error
            unroutable.push([r, error])
          }
        }
        return { byNode, unroutable }
      },
      send: async (nodeId, items) => {
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
            timeoutMs: budget.requestTimeout(30_000),
            topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
          },
          { budget },
        )
        const out = new Map<string, Answer>()
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const error = errorFromCode(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`)
            out.set(`${t.name}\u0000${p.partitionIndex}`, error
              ? { error }
              : { error: null, listed: { topic: t.name, partition: p.partitionIndex, offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch ?? -1 } })
          }
        }
        return out
      },
    })
  const answers = await (call.budget ? shard(call.budget) : cluster.withBudget(call, shard))
  const listed: ListedOffset[] = []
  for (const answer of answers) {
    if (answer.error) throw answer.error
    listed.push(answer.listed!)
  }
  return listed
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

const { STALE_MEMBER_EPOCH } = ErrorCodes

/** OffsetFetch for `partitions` of `groupId` (requireStable, so pending transactional commits are waited out). */
export async function fetchCommitted(
  cluster: Cluster,
  groupId: string,
  partitions: TopicPartition[],
  member: MemberIdentity | null,
  call: CallOptions = {},
  purpose = 'group',
): Promise<CommittedOffset[]> {
  if (partitions.length === 0) return []
  const topics = groupByTopic(partitions)
  const target = { kind: 'coordinator', type: 'group', key: groupId } as const
  return underBudget(cluster, call, target, async (budget) => {
      await cluster.topics([...topics.keys()], { budget })
      const response = await request(cluster, target, ApiKeys.OffsetFetch,
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
          budget,
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
          // UNSTABLE_OFFSET_COMMIT (a transactional commit pending) is retriable: the budget asks again.
          if (p.errorCode !== 0) throw errorFromCode(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`)!
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
    })
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
  call: CallOptions = {},
  purpose = 'group',
): Promise<void> {
  if (offsets.length === 0) return
  const topics = new Map<string, TopicPartitionOffset[]>()
  for (const o of offsets) {
    let list = topics.get(o.topic)
    if (!list) topics.set(o.topic, (list = []))
    list.push(o)
  }
  const target = { kind: 'coordinator', type: 'group', key: groupId } as const
  await underBudget(cluster, call, target, async (budget) => {
      await cluster.topics([...topics.keys()], { budget })
      const response = await request(cluster, target, ApiKeys.OffsetCommit,
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
        { purpose, budget },
      )
      for (const t of response.topics) {
        const name = t.name ?? (t.topicId ? cluster.topicNameById(t.topicId) : undefined) ?? '?'
        for (const p of t.partitions) {
          if (p.errorCode === 0) continue
          throw errorFromCode(p.errorCode, `OffsetCommit ${name}-${p.partitionIndex}`)!
        }
      }
    })
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
export async function listTopicNames(cluster: Pick<Cluster, 'send'>, signal?: AbortSignal): Promise<string[]> {
  const response = await request(cluster, { kind: 'any' }, ApiKeys.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { signal })
  return response.topics.filter((t) => t.errorCode === 0 && !t.isInternal && t.name !== null).map((t) => t.name!)
}
