/**
 * Share groups (KIP-932): describing them, and their share-partition start offsets (list, alter, delete). A share
 * group has no committed offsets: its state per partition is where delivery starts, kept by the share coordinator.
 */
import type { KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import type { PartitionResult } from './group-offsets.js'
import { assignmentFrom, describeOnCoordinators, type GroupOutcome, onGroupCoordinator } from './group-coordinator.js'
import type { DescribeGroupsOptions, MemberAssignment } from './groups.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  byTopic,
  itemError,
  partitionKey,
  send,
  sendToCoordinators,
  type TopicPartition,
} from './internal.js'

export interface ShareGroupDescription {
  groupId: string
  state: string
  groupEpoch: number
  assignmentEpoch: number
  assignor: string
  members: Array<{ memberId: string; clientId: string; clientHost: string; rackId: string | null; memberEpoch: number; subscribedTopics: string[]; assignment: MemberAssignment[] }>
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

export async function describeShareGroups(ctx: AdminContext, groupIds: string[], options: DescribeGroupsOptions = {}): Promise<ShareGroupDescription[]> {
  return describeOnCoordinators(
    ctx,
    ApiKeys.ShareGroupDescribe,
    groupIds,
    options,
    (g): Omit<ShareGroupDescription, keyof GroupOutcome> => ({
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignor: g.assignorName,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        subscribedTopics: m.subscribedTopicNames,
        assignment: assignmentFrom(m.assignment),
      })),
    }),
    (groupId, error) => ({ groupId, state: 'Unknown', groupEpoch: -1, assignmentEpoch: -1, assignor: '', members: [], authorizedOperations: null, error }),
  )
}

export interface ShareGroupOffsetsRequestItem {
  groupId: string
  /** Only these partitions; every partition the group has state for when left out. */
  partitions?: TopicPartition[]
}

export interface ShareGroupPartitionOffset extends TopicPartition {
  /** The share-partition start offset: records before it are no longer delivered to the group. -1n when none. */
  startOffset: bigint
  leaderEpoch: number
  /** KIP-1226 lag (DescribeShareGroupOffsets v1); -1n when not reported. */
  lag: bigint
  error: KafkaProtocolError | null
}

export interface ShareGroupOffsetsResult {
  groupId: string
  offsets: ShareGroupPartitionOffset[]
  error: KafkaProtocolError | null
}

export interface ShareOffsetToSet extends TopicPartition {
  startOffset: bigint
}

export interface TopicResult {
  topic: string
  error: KafkaProtocolError | null
}

/** Start offsets of share groups, batched per coordinator. */
export async function listShareGroupOffsets(
  ctx: AdminContext,
  groups: Array<string | ShareGroupOffsetsRequestItem>,
  options: AdminCallOptions = {},
): Promise<ShareGroupOffsetsResult[]> {
  const requests = new Map(groups.map((g) => (typeof g === 'string' ? [g, { groupId: g }] : [g.groupId, g])))
  return sendToCoordinators(
    ctx,
    'group',
    [...requests.keys()],
    async (nodeId, batch) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.DescribeShareGroupOffsets,
        {
          groups: batch.map((groupId) => {
            const partitions = requests.get(groupId)!.partitions
            return {
              groupId,
              topics: partitions ? byTopic(partitions).map(({ topic, items }) => ({ topicName: topic, partitions: items.map((i) => i.partition) })) : null,
            }
          }),
        },
        { signal: options.signal, purpose: 'group' },
      )
      return new Map(
        response.groups.map((g) => [
          g.groupId,
          {
            groupId: g.groupId,
            error: itemError(g.errorCode, g.groupId, g.errorMessage),
            offsets: g.topics.flatMap((t) =>
              t.partitions.map((p) => ({
                topic: t.topicName,
                partition: p.partitionIndex,
                startOffset: p.startOffset,
                leaderEpoch: p.leaderEpoch,
                lag: p.lag ?? -1n,
                error: itemError(p.errorCode, `${g.groupId} ${t.topicName}-${p.partitionIndex}`, p.errorMessage),
              })),
            ),
          },
        ]),
      )
    },
    (groupId, error) => ({ groupId, offsets: [], error }),
  )
}

/** Sets share-partition start offsets of a share group with no active members. Group-level errors throw. */
export async function alterShareGroupOffsets(ctx: AdminContext, groupId: string, offsets: ShareOffsetToSet[], options: AdminCallOptions = {}): Promise<PartitionResult[]> {
  if (offsets.length === 0) return []
  const result = await onGroupCoordinator(
    ctx,
    groupId,
    async (nodeId) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.AlterShareGroupOffsets,
        {
          groupId,
          topics: byTopic(offsets).map(({ topic, items }) => ({ topicName: topic, partitions: items.map((o) => ({ partitionIndex: o.partition, startOffset: o.startOffset })) })),
        },
        { signal: options.signal, purpose: 'group' },
      )
      const answers = new Map<string, PartitionResult>()
      for (const t of response.responses) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.topicName, p.partitionIndex), {
            topic: t.topicName,
            partition: p.partitionIndex,
            error: itemError(p.errorCode, `${groupId} ${t.topicName}-${p.partitionIndex}`, p.errorMessage),
          })
        }
      }
      return { error: itemError(response.errorCode, groupId, response.errorMessage), answers }
    },
    new Map<string, PartitionResult>(),
    options.signal,
  )
  if (result.error) throw result.error
  return offsets.map((o) => result.answers.get(partitionKey(o.topic, o.partition)) ?? { topic: o.topic, partition: o.partition, error: itemError(-1, groupId, 'no result for this partition') })
}

/** Deletes a share group's state for whole topics. Group-level errors throw; per-topic errors are returned. */
export async function deleteShareGroupOffsets(ctx: AdminContext, groupId: string, topics: string[], options: AdminCallOptions = {}): Promise<TopicResult[]> {
  if (topics.length === 0) return []
  const result = await onGroupCoordinator(
    ctx,
    groupId,
    async (nodeId) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.DeleteShareGroupOffsets,
        { groupId, topics: topics.map((topicName) => ({ topicName })) },
        { signal: options.signal, purpose: 'group' },
      )
      const answers = new Map(response.responses.map((t) => [t.topicName, itemError(t.errorCode, `${groupId} ${t.topicName}`, t.errorMessage)]))
      return { error: itemError(response.errorCode, groupId, response.errorMessage), answers }
    },
    new Map<string, KafkaProtocolError | null>(),
    options.signal,
  )
  if (result.error) throw result.error
  return topics.map((topic) => ({ topic, error: result.answers.has(topic) ? result.answers.get(topic)! : itemError(-1, groupId, 'no result for this topic') }))
}
