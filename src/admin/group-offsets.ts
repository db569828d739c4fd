/**
 * Committed offsets of consumer groups (classic and KIP-848 alike): listing them, several groups per coordinator
 * where OffsetFetch allows, and setting or deleting them for groups with no active members. Share groups keep
 * start offsets instead, in share-groups.ts.
 */
import type { KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import { onGroupCoordinator } from './group-coordinator.js'
import {
  type AdminCallOptions,
  type AdminContext,
  byTopic,
  capVersion,
  itemError,
  partitionKey,
  send,
  sendToCoordinators,
  type TopicPartition,
} from './internal.js'

/** Per-partition OffsetCommit codes that are about the coordinator, not the partition: the group is retried whole. */
const COORDINATOR_ERRORS = new Set<number>([ErrorCodes.COORDINATOR_LOAD_IN_PROGRESS, ErrorCodes.COORDINATOR_NOT_AVAILABLE, ErrorCodes.NOT_COORDINATOR])

export interface ListGroupOffsetsRequestItem {
  groupId: string
  /** Only these partitions; every partition with a committed offset when left out. */
  partitions?: TopicPartition[]
}

export interface CommittedOffset extends TopicPartition {
  /** -1n when nothing is committed for the partition. */
  offset: bigint
  leaderEpoch: number
  metadata: string | null
  error: KafkaProtocolError | null
}

export interface ListGroupOffsetsResult {
  groupId: string
  offsets: CommittedOffset[]
  error: KafkaProtocolError | null
}

export interface ListGroupOffsetsOptions extends AdminCallOptions {
  /** Wait for pending transactional offsets instead of returning them as unstable. */
  requireStable?: boolean
}

export interface OffsetToCommit extends TopicPartition {
  offset: bigint
  leaderEpoch?: number
  metadata?: string | null
}

export interface PartitionResult extends TopicPartition {
  error: KafkaProtocolError | null
}

/** Committed offsets of groups; OffsetFetch v8+ fetches several groups of one coordinator in one request. */
export async function listConsumerGroupOffsets(
  ctx: AdminContext,
  groups: Array<string | ListGroupOffsetsRequestItem>,
  options: ListGroupOffsetsOptions = {},
): Promise<ListGroupOffsetsResult[]> {
  const requests = new Map(groups.map((g) => (typeof g === 'string' ? [g, { groupId: g }] : [g.groupId, g])))
  return sendToCoordinators(
    ctx,
    'group',
    [...requests.keys()],
    async (nodeId, batch) => {
      const topicsOf = (groupId: string) => {
        const partitions = requests.get(groupId)!.partitions
        return partitions ? byTopic(partitions).map(({ topic, items }) => ({ name: topic, partitionIndexes: items.map((i) => i.partition) })) : null
      }
      const answers = new Map<string, ListGroupOffsetsResult>()
      const connection = await ctx.cluster.connectionToNode(nodeId, 'group', ctx.budget.signal)
      const batched = (connection.versions.get(ApiKeys.OffsetFetch) ?? 0) >= 8
      // Brokers before OffsetFetch v8 take one group per request.
      for (const group of batched ? [batch] : batch.map((g) => [g])) {
        const response = await send(
          ctx,
          { kind: 'node', nodeId },
          ApiKeys.OffsetFetch,
          (version) =>
            version >= 8
              ? { groups: group.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: topicsOf(groupId) })), requireStable: options.requireStable ?? false }
              : { groupId: group[0]!, topics: topicsOf(group[0]!), requireStable: options.requireStable ?? false },
          // v10 names topics by id only; names keep the results self-describing without a metadata lookup.
          { signal: options.signal, purpose: 'group', version: capVersion(9) },
        )
        const perGroup =
          response.groups && response.groups.length > 0
            ? response.groups
            : [{ groupId: group[0]!, errorCode: response.errorCode ?? 0, topics: (response.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions })) }]
        for (const g of perGroup) {
          answers.set(g.groupId, {
            groupId: g.groupId,
            error: itemError(g.errorCode ?? 0, g.groupId),
            offsets: g.topics.flatMap((t) =>
              t.partitions.map((p) => ({
                topic: t.name ?? '',
                partition: p.partitionIndex,
                offset: p.committedOffset,
                leaderEpoch: p.committedLeaderEpoch ?? -1,
                metadata: p.metadata,
                error: itemError(p.errorCode, `${g.groupId} ${t.name}-${p.partitionIndex}`),
              })),
            ),
          })
        }
      }
      return answers
    },
    (groupId, error) => ({ groupId, offsets: [], error }),
  )
}

/** Sets committed offsets of a group that has no active members (the coordinator refuses otherwise). */
export async function alterConsumerGroupOffsets(
  ctx: AdminContext,
  groupId: string,
  offsets: OffsetToCommit[],
  options: AdminCallOptions = {},
): Promise<PartitionResult[]> {
  if (offsets.length === 0) return []
  const result = await onGroupCoordinator(
    ctx,
    groupId,
    async (nodeId) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.OffsetCommit,
        {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: byTopic(offsets).map(({ topic, items }) => ({
            name: topic,
            partitions: items.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: o.offset,
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? '',
            })),
          })),
        },
        { signal: options.signal, purpose: 'group', version: capVersion(9) },
      )
      const answers = new Map<string, PartitionResult>()
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.name ?? '', p.partitionIndex), { topic: t.name ?? '', partition: p.partitionIndex, error: itemError(p.errorCode, `${groupId} ${t.name}-${p.partitionIndex}`) })
        }
      }
      // One group-level outcome: the first coordinator error, so a moved coordinator is retried as a whole.
      const coordinatorError = [...answers.values()].find((a) => a.error && COORDINATOR_ERRORS.has(a.error.code))?.error ?? null
      return { error: coordinatorError, answers }
    },
    new Map<string, PartitionResult>(),
    options.signal,
  )
  return offsets.map(
    (o) => result.answers.get(partitionKey(o.topic, o.partition)) ?? { topic: o.topic, partition: o.partition, error: result.error ?? itemError(-1, groupId, 'no result for this partition') },
  )
}

/** Deletes committed offsets of partitions the group no longer consumes. Throws for group-level errors. */
export async function deleteConsumerGroupOffsets(
  ctx: AdminContext,
  groupId: string,
  partitions: TopicPartition[],
  options: AdminCallOptions = {},
): Promise<PartitionResult[]> {
  const result = await onGroupCoordinator(
    ctx,
    groupId,
    async (nodeId) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.OffsetDelete,
        { groupId, topics: byTopic(partitions).map(({ topic, items }) => ({ name: topic, partitions: items.map((i) => ({ partitionIndex: i.partition })) })) },
        { signal: options.signal, purpose: 'group' },
      )
      const answers = new Map<string, PartitionResult>()
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, error: itemError(p.errorCode, `${groupId} ${t.name}-${p.partitionIndex}`) })
        }
      }
      return { error: itemError(response.errorCode, groupId), answers }
    },
    new Map<string, PartitionResult>(),
    options.signal,
  )
  if (result.error) throw result.error
  return partitions.map((p) => result.answers.get(partitionKey(p.topic, p.partition)) ?? { topic: p.topic, partition: p.partition, error: itemError(-1, groupId, 'no result for this partition') })
}
