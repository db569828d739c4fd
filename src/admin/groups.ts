/**
 * Groups of every type (classic, consumer, share, streams): listing across all brokers, describing (KIP-848
 * consumer groups through ConsumerGroupDescribe, classic ones through DescribeGroups, as the Java admin falls
 * back), deleting, committed offsets, and removing members. Group requests go to each group's coordinator,
 * several groups per coordinator in one request where the API takes several.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes, messageCodecs } from '../protocol/index.js'
import { decodeVersioned } from '../protocol/versioned.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  allBrokerIds,
  authorizedOperations,
  byTopic,
  capVersion,
  itemError,
  partitionKey,
  type ResponseOf,
  send,
  sendToCoordinators,
  type TopicPartition,
} from './internal.js'

const { GROUP_ID_NOT_FOUND, UNSUPPORTED_VERSION } = ErrorCodes

/** Per-partition OffsetCommit codes that are about the coordinator, not the partition: the group is retried whole. */
const COORDINATOR_ERRORS = new Set<number>([ErrorCodes.COORDINATOR_LOAD_IN_PROGRESS, ErrorCodes.COORDINATOR_NOT_AVAILABLE, ErrorCodes.NOT_COORDINATOR])

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

export interface DescribeGroupsOptions extends AdminCallOptions {
  includeAuthorizedOperations?: boolean
}

export interface DeleteGroupResult {
  groupId: string
  error: KafkaProtocolError | null
}

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

function assignmentFrom(a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }): MemberAssignment[] {
  return a.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: tp.partitions }))
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

type GroupDescribeApi = typeof ApiKeys.ConsumerGroupDescribe | typeof ApiKeys.ShareGroupDescribe | typeof ApiKeys.StreamsGroupDescribe
type DescribedGroupOf<K extends GroupDescribeApi> = ResponseOf<K> extends { groups: Array<infer G> } ? G : never

/** What every group description carries, whatever the group's type. */
interface GroupOutcome {
  groupId: string
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

/**
 * The describe APIs of the newer group types (consumer, share, streams) take the same request and report the same
 * per-group id, error and authorized operations; only the group's own fields differ, which `describe` maps.
 * `unknown` stands in for a group whose coordinator could not be reached.
 */
async function describeOnCoordinators<K extends GroupDescribeApi, D extends GroupOutcome>(
  ctx: AdminContext,
  api: K,
  groupIds: string[],
  options: DescribeGroupsOptions,
  describe: (group: DescribedGroupOf<K>) => Omit<D, keyof GroupOutcome>,
  unknown: (groupId: string, error: KafkaProtocolError) => D,
): Promise<D[]> {
  const includeAuthorizedOperations = options.includeAuthorizedOperations ?? false
  return sendToCoordinators(
    ctx,
    'group',
    groupIds,
    async (nodeId, batch) => {
      // Sent as the union of the three APIs, whose request and common group fields TypeScript can check; `describe`
      // gets each group back as the one API's own type.
      const anyOfThem: GroupDescribeApi = api
      const response = await send(ctx, { kind: 'node', nodeId }, anyOfThem, { groupIds: batch, includeAuthorizedOperations }, { signal: options.signal, purpose: 'group' })
      return new Map(
        response.groups.map((g) => [
          g.groupId,
          {
            groupId: g.groupId,
            ...describe(g as DescribedGroupOf<K>),
            authorizedOperations: includeAuthorizedOperations ? authorizedOperations(g.authorizedOperations) : null,
            error: itemError(g.errorCode, g.groupId, g.errorMessage),
          } as D,
        ]),
      )
    },
    unknown,
  )
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
      })),
    }),
    emptyDescription,
  )
  const classicIds = modern.filter((d) => d.error && (d.error.code === GROUP_ID_NOT_FOUND || d.error.code === UNSUPPORTED_VERSION)).map((d) => d.groupId)
  if (classicIds.length === 0) return modern
  const classic = new Map((await describeClassicGroups(ctx, classicIds, options)).map((d) => [d.groupId, d]))
  return modern.map((d) => classic.get(d.groupId) ?? d)
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

interface GroupAnswer<A> {
  error: KafkaProtocolError | null
  answers: A
}

/**
 * Sends a request about one group to the group's coordinator, looking the coordinator up again while it moves or
 * loads. Resolves to what `sendOnce` made of the response, or to `noAnswers` with the error when no coordinator
 * could be reached.
 */
async function onGroupCoordinator<A>(
  ctx: AdminContext,
  groupId: string,
  sendOnce: (nodeId: number) => Promise<GroupAnswer<A>>,
  noAnswers: A,
  signal: AbortSignal | undefined,
): Promise<GroupAnswer<A>> {
  const [result] = await sendToCoordinators(ctx, 'group', [groupId], async (nodeId) => new Map([[groupId, await sendOnce(nodeId)]]), (_, error) => ({ error, answers: noAnswers }))
  return result!
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

// ---- share group offsets (KIP-932) ----

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

// ---- streams groups (KIP-1071) ----

export interface StreamsTasks {
  subtopologyId: string
  partitions: number[]
}

export interface StreamsAssignment {
  activeTasks: StreamsTasks[]
  standbyTasks: StreamsTasks[]
  warmupTasks: StreamsTasks[]
}

export interface StreamsGroupMemberDescription {
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rackId: string | null
  clientId: string
  clientHost: string
  topologyEpoch: number
  processId: string
  userEndpoint: { host: string; port: number } | null
  clientTags: Record<string, string>
  /** The member runs the classic (pre-KIP-1071) protocol through the streams group. */
  isClassic: boolean
  assignment: StreamsAssignment
  targetAssignment: StreamsAssignment
}

export interface StreamsGroupDescription {
  groupId: string
  state: string
  groupEpoch: number
  assignmentEpoch: number
  /** null until a member has sent the topology. */
  topology: {
    epoch: number
    subtopologies: Array<{ subtopologyId: string; sourceTopics: string[]; repartitionSinkTopics: string[]; stateChangelogTopics: string[]; repartitionSourceTopics: string[] }>
  } | null
  members: StreamsGroupMemberDescription[]
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

function streamsAssignment(a: { activeTasks: StreamsTasks[]; standbyTasks: StreamsTasks[]; warmupTasks: StreamsTasks[] }): StreamsAssignment {
  const tasks = (list: StreamsTasks[]) => list.map((t) => ({ subtopologyId: t.subtopologyId, partitions: t.partitions }))
  return { activeTasks: tasks(a.activeTasks), standbyTasks: tasks(a.standbyTasks), warmupTasks: tasks(a.warmupTasks) }
}

export async function describeStreamsGroups(ctx: AdminContext, groupIds: string[], options: DescribeGroupsOptions = {}): Promise<StreamsGroupDescription[]> {
  return describeOnCoordinators(
    ctx,
    ApiKeys.StreamsGroupDescribe,
    groupIds,
    options,
    (g): Omit<StreamsGroupDescription, keyof GroupOutcome> => ({
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      topology: g.topology
        ? {
            epoch: g.topology.epoch,
            subtopologies: (g.topology.subtopologies ?? []).map((s) => ({
              subtopologyId: s.subtopologyId,
              sourceTopics: s.sourceTopics,
              repartitionSinkTopics: s.repartitionSinkTopics,
              stateChangelogTopics: s.stateChangelogTopics.map((t) => t.name),
              repartitionSourceTopics: s.repartitionSourceTopics.map((t) => t.name),
            })),
          }
        : null,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        topologyEpoch: m.topologyEpoch,
        processId: m.processId,
        userEndpoint: m.userEndpoint ? { host: m.userEndpoint.host, port: m.userEndpoint.port } : null,
        clientTags: Object.fromEntries(m.clientTags.map((kv) => [kv.key, kv.value])),
        isClassic: m.isClassic,
        assignment: streamsAssignment(m.assignment),
        targetAssignment: streamsAssignment(m.targetAssignment),
      })),
    }),
    (groupId, error) => ({ groupId, state: 'Unknown', groupEpoch: -1, assignmentEpoch: -1, topology: null, members: [], authorizedOperations: null, error }),
  )
}
