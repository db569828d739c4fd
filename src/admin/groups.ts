/**
 * Groups of every type listed across all brokers and deleted; consumer groups (KIP-848 through
 * ConsumerGroupDescribe, classic ones through DescribeGroups, as the Java admin falls back) described and their
 * members removed. Group requests go to each group's coordinator, several groups per coordinator in one request
 * where the API takes several. Committed offsets, share groups and streams groups live in their own files; their
 * names are re-exported here so this stays the one module the admin and callers import groups from.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes, messageCodecs } from '../protocol/index.js'
import { decodeVersioned } from '../protocol/versioned.js'
import { assignmentFrom, describeOnCoordinators, type GroupOutcome, onGroupCoordinator } from './group-coordinator.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  allBrokerIds,
  authorizedOperations,
  itemError,
  send,
  sendToCoordinators,
} from './internal.js'

export {
  alterConsumerGroupOffsets,
  deleteConsumerGroupOffsets,
  listConsumerGroupOffsets,
  type CommittedOffset,
  type ListGroupOffsetsOptions,
  type ListGroupOffsetsRequestItem,
  type ListGroupOffsetsResult,
  type OffsetToCommit,
  type PartitionResult,
} from './group-offsets.js'
export {
  alterShareGroupOffsets,
  deleteShareGroupOffsets,
  describeShareGroups,
  listShareGroupOffsets,
  type ShareGroupDescription,
  type ShareGroupOffsetsRequestItem,
  type ShareGroupOffsetsResult,
  type ShareGroupPartitionOffset,
  type ShareOffsetToSet,
  type TopicResult,
} from './share-groups.js'
export {
  describeStreamsGroups,
  type StreamsAssignment,
  type StreamsGroupDescription,
  type StreamsGroupMemberDescription,
  type StreamsTasks,
} from './streams-groups.js'

const { GROUP_ID_NOT_FOUND, UNSUPPORTED_VERSION } = ErrorCodes

export type GroupType = 'classic' | 'consumer' | 'share' | 'streams'

export interface ListGroupsOptions extends AdminCallOptions {
  /** Only groups of these types (ListGroups v5, KIP-1043). */
  types?: GroupType[]
  /** Only groups in these states, e.g. `['Stable', 'Empty']` (ListGroups v4). */
  states?: string[]
}

export interface GroupListing {
  groupId: string
  /** `consumer` for consumer groups of either protocol, `connect`, `share`… or `''` for an empty classic group. */
  protocolType: string
  /** null when the broker does not report it (before ListGroups v4). */
  state: string | null
  /** null when the broker does not report it (before ListGroups v5). */
  type: GroupType | null
}

export interface MemberAssignment {
  topic: string
  partitions: number[]
}

export interface GroupMemberDescription {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rackId: string | null
  /** KIP-848 member epoch; -1 for classic members. */
  memberEpoch: number
  /** Current assignment (for classic consumer groups, decoded from the member's assignment bytes). */
  assignment: MemberAssignment[]
  /** KIP-848 target assignment; null for classic members. */
  targetAssignment: MemberAssignment[] | null
  subscribedTopics: string[]
  subscribedTopicRegex: string | null
  /** 'consumer' or 'classic' for a member of a consumer group (KIP-1099), null when unknown. */
  memberType: 'classic' | 'consumer' | null
  /** A classic member's subscription bytes as the group holds them (any protocol type); null for KIP-848 members. */
  memberMetadata: Buffer | null
  /** A classic member's assignment bytes as the leader sent them; null for KIP-848 members. */
  memberAssignment: Buffer | null
}

export interface ConsumerGroupDescription {
  groupId: string
  /** Which protocol the group runs: KIP-848 (`consumer`) or the classic JoinGroup/SyncGroup one. */
  type: 'consumer' | 'classic'
  /** e.g. `Stable`, `Empty`, `PreparingRebalance`, `Reconciling`, `Assigning`, `Dead`. */
  state: string
  /** Classic: the protocol type (`consumer` for Kafka consumers); `consumer` for KIP-848 groups. */
  protocolType: string
  /** Classic: the chosen assignor (protocol); KIP-848: the server-side assignor name. */
  assignor: string
  groupEpoch: number
  assignmentEpoch: number
  members: GroupMemberDescription[]
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

export interface DescribeGroupsOptions extends AdminCallOptions {
  includeAuthorizedOperations?: boolean
}

export interface DeleteGroupResult {
  groupId: string
  error: KafkaProtocolError | null
}

export interface MemberToRemove {
  /** A dynamic member by id, or a static member by `groupInstanceId`. */
  memberId?: string
  groupInstanceId?: string
  reason?: string
}

export interface RemoveMemberResult {
  memberId: string
  groupInstanceId: string | null
  error: KafkaProtocolError | null
}

/** Groups live on every broker's share of `__consumer_offsets`: ask each broker and merge. */
export async function listGroups(ctx: AdminContext, options: ListGroupsOptions = {}): Promise<GroupListing[]> {
  const nodes = await allBrokerIds(ctx)
  const perNode = await Promise.all(
    nodes.map((nodeId) =>
      send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.ListGroups,
        { statesFilter: options.states ?? [], typesFilter: options.types ?? [] },
        {
          signal: options.signal,
          version: (negotiated) => {
            if (options.types?.length && negotiated < 5) throw new KafkaError('Filtering groups by type needs ListGroups v5 (Kafka 4.0+)')
            if (options.states?.length && negotiated < 4) throw new KafkaError('Filtering groups by state needs ListGroups v4 (Kafka 2.6+)')
            return negotiated
          },
          errorCode: (r) => r.errorCode,
        },
      ),
    ),
  )
  const seen = new Map<string, GroupListing>()
  for (const response of perNode) {
    for (const g of response.groups) {
      seen.set(g.groupId, {
        groupId: g.groupId,
        protocolType: g.protocolType,
        state: g.groupState ?? null,
        type: (g.groupType?.toLowerCase() as GroupType | undefined) ?? null,
      })
    }
  }
  return [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
}

/** Exported for tests: decodes a classic consumer member's assignment bytes, never throwing. */
export function decodeClassicAssignment(bytes: Buffer): MemberAssignment[] {
  // The assignment of a Kafka consumer is a versioned ConsumerProtocolAssignment; other protocol types
  // (connect…) are opaque to us and left empty. Malformed bytes are reported as no assignment, not a failure.
  try {
    return decodeVersioned(messageCodecs.ConsumerProtocolAssignment, bytes).assignedPartitions.map((a) => ({ topic: a.topic, partitions: a.partitions }))
  } catch {
    return []
  }
}

/** Exported for tests: decodes a classic consumer member's subscription bytes (topics), never throwing. */
export function decodeClassicSubscription(bytes: Buffer): string[] {
  try {
    return decodeVersioned(messageCodecs.ConsumerProtocolSubscription, bytes).topics
  } catch {
    return []
  }
}

/** Classic-protocol groups of any protocol type (consumer, connect…) through DescribeGroups. */
export async function describeClassicGroups(
  ctx: AdminContext,
  groupIds: string[],
  options: DescribeGroupsOptions = {},
): Promise<ConsumerGroupDescription[]> {
  return sendToCoordinators(
    ctx,
    'group',
    groupIds,
    async (nodeId, batch) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.DescribeGroups,
        { groups: batch, includeAuthorizedOperations: options.includeAuthorizedOperations ?? false },
        { signal: options.signal, purpose: 'group' },
      )
      return new Map(
        response.groups.map((g) => {
          const isConsumer = g.protocolType === 'consumer' || g.protocolType === ''
          return [
            g.groupId,
            {
              groupId: g.groupId,
              type: 'classic' as const,
              state: g.groupState,
              protocolType: g.protocolType,
              assignor: g.protocolData,
              groupEpoch: -1,
              assignmentEpoch: -1,
              members: g.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId ?? null,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rackId: null,
                memberEpoch: -1,
                assignment: isConsumer ? decodeClassicAssignment(m.memberAssignment) : [],
                targetAssignment: null,
                subscribedTopics: isConsumer ? decodeClassicSubscription(m.memberMetadata) : [],
                subscribedTopicRegex: null,
                memberType: 'classic' as const,
                memberMetadata: m.memberMetadata,
                memberAssignment: m.memberAssignment,
              })),
              authorizedOperations: options.includeAuthorizedOperations ? authorizedOperations(g.authorizedOperations) : null,
              // Before DescribeGroups v6 a missing group is "Dead" with no error; report it as not found either way.
              error: itemError(g.errorCode !== 0 ? g.errorCode : g.groupState === 'Dead' ? GROUP_ID_NOT_FOUND : 0, g.groupId, g.errorMessage),
            },
          ]
        }),
      )
    },
    (groupId, error) => emptyDescription(groupId, error),
  )
}

function emptyDescription(groupId: string, error: KafkaProtocolError | null): ConsumerGroupDescription {
  return { groupId, type: 'classic', state: 'Unknown', protocolType: '', assignor: '', groupEpoch: -1, assignmentEpoch: -1, members: [], authorizedOperations: null, error }
}

/**
 * Describes consumer groups of both protocols: ConsumerGroupDescribe first, then DescribeGroups for the groups it
 * says are not KIP-848 groups (or for every group on brokers without ConsumerGroupDescribe).
 */
export async function describeConsumerGroups(ctx: AdminContext, groupIds: string[], options: DescribeGroupsOptions = {}): Promise<ConsumerGroupDescription[]> {
  if (groupIds.length === 0) return []
  const connection = await ctx.cluster.anyConnection('default', ctx.budget.signal)
  if (connection.versions.get(ApiKeys.ConsumerGroupDescribe) === null) return describeClassicGroups(ctx, groupIds, options)
  const modern = await describeOnCoordinators(
    ctx,
    ApiKeys.ConsumerGroupDescribe,
    groupIds,
    options,
    (g): Omit<ConsumerGroupDescription, keyof GroupOutcome> => ({
      type: 'consumer',
      state: g.groupState,
      protocolType: 'consumer',
      assignor: g.assignorName,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        assignment: assignmentFrom(m.assignment),
        targetAssignment: assignmentFrom(m.targetAssignment),
        subscribedTopics: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        memberType: m.memberType === 0 ? 'classic' : m.memberType === 1 ? 'consumer' : null,
        memberMetadata: null,
        memberAssignment: null,
      })),
    }),
    emptyDescription,
  )
  const classicIds = modern.filter((d) => d.error && (d.error.code === GROUP_ID_NOT_FOUND || d.error.code === UNSUPPORTED_VERSION)).map((d) => d.groupId)
  if (classicIds.length === 0) return modern
  const classic = new Map((await describeClassicGroups(ctx, classicIds, options)).map((d) => [d.groupId, d]))
  return modern.map((d) => classic.get(d.groupId) ?? d)
}

export async function deleteGroups(ctx: AdminContext, groupIds: string[], options: AdminCallOptions = {}): Promise<DeleteGroupResult[]> {
  return sendToCoordinators(
    ctx,
    'group',
    groupIds,
    async (nodeId, batch) => {
      const response = await send(ctx, { kind: 'node', nodeId }, ApiKeys.DeleteGroups, { groupsNames: batch }, { signal: options.signal, purpose: 'group' })
      return new Map(response.results.map((r) => [r.groupId, { groupId: r.groupId, error: itemError(r.errorCode, r.groupId, r.errorMessage) }]))
    },
    (groupId, error) => ({ groupId, error }),
  )
}

/**
 * Removes members from a classic group (LeaveGroup v3+ on their behalf); with no `members`, removes every
 * current member, as the Java admin's "remove all" does. Group-level errors throw; per-member errors are returned.
 */
export async function removeMembersFromConsumerGroup(
  ctx: AdminContext,
  groupId: string,
  members: MemberToRemove[] | undefined,
  options: AdminCallOptions = {},
): Promise<RemoveMemberResult[]> {
  let toRemove = members
  if (!toRemove) {
    const [description] = await describeConsumerGroups(ctx, [groupId], options)
    if (description!.error) throw description!.error
    toRemove = description!.members.map((m) => (m.groupInstanceId ? { groupInstanceId: m.groupInstanceId } : { memberId: m.memberId }))
  }
  if (toRemove.length === 0) return []
  const identities = toRemove.map((m) => ({
    memberId: m.memberId ?? '',
    groupInstanceId: m.groupInstanceId ?? null,
    reason: m.reason ?? 'removed by an admin client',
  }))
  const result = await onGroupCoordinator(
    ctx,
    groupId,
    async (nodeId) => {
      const response = await send(ctx, { kind: 'node', nodeId }, ApiKeys.LeaveGroup, { groupId, members: identities }, {
        signal: options.signal,
        purpose: 'group',
        version: (negotiated) => {
          if (negotiated < 3) throw new KafkaError('Removing members needs LeaveGroup v3 (Kafka 2.4+)')
          return negotiated
        },
      })
      return { error: itemError(response.errorCode, groupId), answers: response.members ?? [] }
    },
    [],
    options.signal,
  )
  if (result.error) throw result.error
  return identities.map((m) => {
    const answer = result.answers.find((r) => (m.groupInstanceId ? r.groupInstanceId === m.groupInstanceId : r.memberId === m.memberId))
    return {
      memberId: answer?.memberId ?? m.memberId,
      groupInstanceId: m.groupInstanceId,
      error: answer ? itemError(answer.errorCode, `${groupId} member ${m.groupInstanceId ?? m.memberId}`) : itemError(-1, groupId, 'no result for this member'),
    }
  })
}
