/**
 * Committed offsets: OffsetCommit (with the generation / member epoch checks of classic and KIP-848 groups, and
 * simple commits by a client outside any group while the group is empty), OffsetFetch (every version, v8+ for
 * many groups, require_stable answering UNSTABLE_OFFSET_COMMIT while a transaction holds an offset) and
 * OffsetDelete.
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import { messageCodecs } from '../../protocol/index.js'
import { decodeVersioned } from '../../protocol/versioned.js'
import { defineHandler, type RequestContext } from '../registry.js'
import { groupsOf, validateMember } from './classic.js'
import { tpKey, splitTpKey, type GroupCoordinator } from './coordinator.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/**
 * Whether this member may commit for the group now (Kafka's validateOffsetCommit of both group types); 0 if so.
 * A transactional commit from a producer that knows no group member (generation -1, no member id) is accepted.
 */
export function validateCommit(coord: GroupCoordinator, groupId: string, memberId: string, instanceId: string | null, generation: number, transactional: boolean): number {
  const group = coord.groups.get(groupId)
  const anonymous = generation < 0 && memberId === ''
  if (group === undefined || group.members.size === 0) return generation < 0 || (transactional && anonymous) ? 0 : ErrorCodes.ILLEGAL_GENERATION
  if (transactional && anonymous) return 0
  if (group.type === 'classic') {
    const invalid = validateMember(group, memberId, instanceId)
    if (invalid !== 0) return invalid
    if (generation !== group.generationId) return ErrorCodes.ILLEGAL_GENERATION
    if (group.state === 'CompletingRebalance') return ErrorCodes.REBALANCE_IN_PROGRESS
    return 0
  }
  const member = group.members.get(memberId)
  if (member === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID
  if (generation !== member.memberEpoch) return ErrorCodes.STALE_MEMBER_EPOCH
  return 0
}

/** Topic name of a request topic (by name before v10, by id from v10 on), or null for an unknown id. */
export function topicNameOf(ctx: RequestContext, byId: boolean, topic: { name?: string; topicId?: string }): string | null {
  if (!byId) return topic.name ?? ''
  return ctx.cluster.topicsById.get(topic.topicId ?? '')?.name ?? null
}

function topicKey(byId: boolean, topic: { name?: string; topicId?: string }): { name: string } | { topicId: string } {
  return byId ? { topicId: topic.topicId ?? ZERO_UUID } : { name: topic.name ?? '' }
}

interface FetchedPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string
  errorCode: number
}

/** One group's offsets for OffsetFetch: the named partitions, or every committed one when `topics` is null. */
function fetchGroup(ctx: RequestContext, groupId: string, topics: Array<{ name?: string; topicId?: string; partitionIndexes: number[] }> | null, requireStable: boolean, byId: boolean) {
  const coord = groupsOf(ctx)
  const committed = coord.offsets.get(groupId)
  const one = (topic: string, partition: number): FetchedPartition => {
    const key = tpKey(topic, partition)
    if (requireStable && coord.hasPendingOffset(groupId, key)) {
      return { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCodes.UNSTABLE_OFFSET_COMMIT }
    }
    const c = committed?.get(key)
    return { partitionIndex: partition, committedOffset: c?.offset ?? -1n, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: 0 }
  }
  if (topics !== null) {
    return topics.map((t) => {
      const name = topicNameOf(ctx, byId, t)
      return {
        ...topicKey(byId, t),
        partitions: t.partitionIndexes.map((p) => (name === null ? { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCodes.UNKNOWN_TOPIC_ID } : one(name, p))),
      }
    })
  }
  const byTopic = new Map<string, number[]>()
  for (const key of committed?.keys() ?? []) {
    const { topic, partition } = splitTpKey(key)
    let list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  return [...byTopic]
    .filter(([name]) => !byId || ctx.cluster.topics.has(name))
    .map(([name, partitions]) => ({
      ...(byId ? { topicId: ctx.cluster.topics.get(name)!.topicId } : { name }),
      partitions: partitions.sort((a, b) => a - b).map((p) => one(name, p)),
    }))
}

/** KIP-848 members fetching their own offsets name themselves (v9+): they must be current. */
function validateFetcher(coord: GroupCoordinator, groupId: string, memberId: string | null | undefined, memberEpoch: number | undefined): number {
  if (memberId === null || memberId === undefined || memberId === '') return 0
  const group = coord.groups.get(groupId)
  if (group?.type !== 'consumer') return 0
  const member = group.members.get(memberId)
  if (member === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID
  return memberEpoch !== undefined && memberEpoch >= 0 && memberEpoch !== member.memberEpoch ? ErrorCodes.STALE_MEMBER_EPOCH : 0
}

/** The topics a group's members subscribe to (OffsetDelete refuses to delete offsets still in use). */
function subscribedTopics(coord: GroupCoordinator, groupId: string): Set<string> {
  const out = new Set<string>()
  const group = coord.groups.get(groupId)
  if (group === undefined) return out
  if (group.type === 'consumer') {
    for (const m of group.members.values()) for (const t of m.subscribedTopicNames) out.add(t)
    return out
  }
  if (group.protocolType !== 'consumer') return out
  for (const m of group.members.values()) {
    const metadata = m.protocols.find((p) => p.name === group.protocolName)?.metadata
    if (metadata === undefined) continue
    try {
      for (const t of decodeVersioned(messageCodecs.ConsumerProtocolSubscription, metadata).topics) out.add(t)
    } catch {
      // Metadata the fake cannot read subscribes to nothing it can name.
    }
  }
  return out
}

export const offsetCommitHandlers = [
  defineHandler({
    api: 'OffsetCommit',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const byId = ctx.apiVersion >= 10
      const refused = coord.check(ctx, req.groupId)
      const invalid = refused !== 0 ? refused : validateCommit(coord, req.groupId, req.memberId, req.groupInstanceId ?? null, req.generationIdOrMemberEpoch, false)
      const now = ctx.services.groups.clock.now()
      const topics = req.topics.map((t) => {
        const name = topicNameOf(ctx, byId, t)
        return {
          ...topicKey(byId, t),
          partitions: t.partitions.map((p) => {
            if (invalid !== 0) return { partitionIndex: p.partitionIndex, errorCode: invalid }
            if (name === null) return { partitionIndex: p.partitionIndex, errorCode: ErrorCodes.UNKNOWN_TOPIC_ID }
            if ((p.committedMetadata?.length ?? 0) > 4096) return { partitionIndex: p.partitionIndex, errorCode: ErrorCodes.OFFSET_METADATA_TOO_LARGE }
            coord.committed(req.groupId).set(tpKey(name, p.partitionIndex), {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch ?? -1,
              metadata: p.committedMetadata ?? '',
              commitTimestamp: now,
            })
            return { partitionIndex: p.partitionIndex, errorCode: 0 }
          }),
        }
      })
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(ctx, req, errorCode) {
      const byId = ctx.apiVersion >= 10
      return { topics: req.topics.map((t) => ({ ...topicKey(byId, t), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
    },
  }),
  defineHandler({
    api: 'OffsetFetch',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const byId = ctx.apiVersion >= 10
      const requireStable = req.requireStable ?? false
      if (ctx.apiVersion >= 8) {
        const groups = (req.groups ?? []).map((g) => {
          const refused = coord.check(ctx, g.groupId) || validateFetcher(coord, g.groupId, g.memberId, g.memberEpoch)
          if (refused !== 0) return { groupId: g.groupId, topics: [], errorCode: refused }
          return { groupId: g.groupId, topics: fetchGroup(ctx, g.groupId, g.topics, requireStable, byId), errorCode: 0 }
        })
        return { throttleTimeMs: 0, groups }
      }
      const groupId = req.groupId ?? ''
      const refused = coord.check(ctx, groupId)
      const topics = (req.topics ?? null)?.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes })) ?? null
      if (refused !== 0) {
        return { throttleTimeMs: 0, errorCode: refused, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: '', errorCode: refused })) })) }
      }
      return { throttleTimeMs: 0, errorCode: 0, topics: fetchGroup(ctx, groupId, topics, requireStable, false) as Array<{ name: string; partitions: FetchedPartition[] }> }
    },
    errorResponse(ctx, req, errorCode) {
      if (ctx.apiVersion >= 8) return { groups: (req.groups ?? []).map((g) => ({ groupId: g.groupId, topics: [], errorCode })) }
      return { errorCode, topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: '', errorCode })) })) }
    },
  }),
  defineHandler({
    api: 'OffsetDelete',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const answer = (errorCode: number) => ({ errorCode, throttleTimeMs: 0, topics: [] })
      const refused = coord.check(ctx, req.groupId)
      if (refused !== 0) return answer(refused)
      if (!coord.exists(req.groupId)) return answer(ErrorCodes.GROUP_ID_NOT_FOUND)
      const group = coord.groups.get(req.groupId)
      if (group?.type === 'classic' && group.members.size > 0 && group.protocolType !== 'consumer') return answer(ErrorCodes.NON_EMPTY_GROUP)
      const subscribed = subscribedTopics(coord, req.groupId)
      const committed = coord.committed(req.groupId)
      const topics = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (subscribed.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCodes.GROUP_SUBSCRIBED_TO_TOPIC }
          committed.delete(tpKey(t.name, p.partitionIndex))
          return { partitionIndex: p.partitionIndex, errorCode: 0 }
        }),
      }))
      return { errorCode: 0, throttleTimeMs: 0, topics }
    },
    errorResponse: (_ctx, _req, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }),
  }),
]
