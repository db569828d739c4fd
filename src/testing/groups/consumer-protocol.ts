/** ConsumerGroupHeartbeat and ConsumerGroupDescribe: KIP-848 groups with the assignment made on the broker. */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext, type RequestOf, type ResponseOf } from '../registry.js'
import { consumerGroupState } from './admin.js'
import { groupsOf } from './classic.js'
import { assignmentKey, newConsumerGroup, reconcile, refreshTarget, removeMember, touch } from './consumer-group.js'
import type { Assignment, ConsumerGroup, ConsumerMember } from './coordinator.js'

const LEAVE_EPOCH = -1
const STATIC_LEAVE_EPOCH = -2

type HeartbeatResponse = ResponseOf<'ConsumerGroupHeartbeat'>

function failure(errorCode: number, errorMessage: string | null = null): HeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null }
}

function toAssignment(list: Array<{ topicId: string; partitions: number[] }> | null): Assignment | null {
  if (list === null) return null
  return new Map(list.map((t) => [t.topicId, new Set(t.partitions)]))
}

function wire(a: Assignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a].filter(([, s]) => s.size > 0).map(([topicId, s]) => ({ topicId, partitions: [...s].sort((x, y) => x - y) }))
}

function consumerGroup(ctx: RequestContext, groupId: string): ConsumerGroup | number {
  const coord = groupsOf(ctx)
  const group = coord.groups.get(groupId)
  if (group?.type === 'consumer') return group
  // An empty classic group (offsets only, or all members gone) becomes a consumer group, as Kafka converts it.
  if (group !== undefined && group.members.size > 0) return ErrorCodes.GROUP_ID_NOT_FOUND
  const created = newConsumerGroup(groupId)
  coord.groups.set(groupId, created)
  return created
}

function heartbeat(ctx: RequestContext, req: RequestOf<'ConsumerGroupHeartbeat'>): HeartbeatResponse {
  const coord = groupsOf(ctx)
  const refused = coord.check(ctx, req.groupId)
  if (refused !== 0) return failure(refused)
  if (req.groupId === '') return failure(ErrorCodes.INVALID_REQUEST, 'GroupId can\'t be empty.')
  const existing = coord.groups.get(req.groupId)
  if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) {
    const member = existing?.type === 'consumer' ? existing.members.get(req.memberId) : undefined
    if (existing?.type !== 'consumer' || member === undefined) return failure(ErrorCodes.UNKNOWN_MEMBER_ID)
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // A static member going away for a restart keeps its partitions until its session expires.
      member.leftStatic = true
    } else {
      removeMember(coord, existing, member)
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null }
  }
  const group = consumerGroup(ctx, req.groupId)
  if (typeof group === 'number') return failure(group, `Group ${req.groupId} is not a consumer group.`)
  let member: ConsumerMember | undefined
  if (req.memberEpoch === 0) {
    const joined = join(ctx, group, req)
    if (typeof joined === 'number') return failure(joined)
    member = joined
  } else {
    member = group.members.get(req.memberId)
    if (member === undefined) return failure(ErrorCodes.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`)
    if (req.memberEpoch !== member.memberEpoch) {
      // A lost response: the member still at its previous epoch, owning nothing it should not, may go on.
      const owned = toAssignment(req.topicPartitions)
      const fits = req.memberEpoch === member.previousMemberEpoch && owned !== null && [...owned].every(([t, s]) => [...s].every((p) => member!.assigned.get(t)?.has(p) === true || member!.pendingRevocation.get(t)?.has(p) === true))
      if (!fits) return failure(ErrorCodes.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is fenced (current ${member.memberEpoch}).`)
    }
  }
  if (req.subscribedTopicNames !== null) member.subscribedTopicNames = [...req.subscribedTopicNames]
  if (req.subscribedTopicRegex !== undefined && req.subscribedTopicRegex !== null) member.subscribedTopicRegex = req.subscribedTopicRegex
  else if (req.subscribedTopicNames !== null) member.subscribedTopicRegex = null
  if (req.serverAssignor !== null) {
    if (!coord.config.consumerAssignors.includes(req.serverAssignor)) return failure(ErrorCodes.UNSUPPORTED_ASSIGNOR, `Unsupported assignor ${req.serverAssignor}.`)
    member.serverAssignor = req.serverAssignor
  }
  if (req.rackId !== null) member.rackId = req.rackId
  if (req.rebalanceTimeoutMs > 0) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
  member.leftStatic = false
  touch(coord, group, member)
  refreshTarget(coord, ctx.cluster, group)
  reconcile(coord, group, member, toAssignment(req.topicPartitions))
  const key = `${member.memberEpoch}|${assignmentKey(member.assigned)}`
  const full = req.memberEpoch === 0 || req.subscribedTopicNames !== null || req.subscribedTopicRegex != null
  const send = full || key !== member.lastSent
  member.lastSent = key
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: member.memberId,
    memberEpoch: member.memberEpoch,
    heartbeatIntervalMs: coord.config.consumerHeartbeatIntervalMs,
    assignment: send ? { topicPartitions: wire(member.assigned) } : null,
  }
}

/** A member joining (epoch 0): new, rejoining after being fenced, or a static member back from a restart. */
function join(ctx: RequestContext, group: ConsumerGroup, req: RequestOf<'ConsumerGroupHeartbeat'>): ConsumerMember | number {
  const coord = groupsOf(ctx)
  if (ctx.apiVersion >= 1 && req.memberId === '') return ErrorCodes.INVALID_REQUEST
  if (req.rebalanceTimeoutMs === -1 || (req.subscribedTopicNames === null && (req.subscribedTopicRegex ?? null) === null)) return ErrorCodes.INVALID_REQUEST
  if (req.topicPartitions !== null && req.topicPartitions.length > 0) return ErrorCodes.INVALID_REQUEST
  const memberId = req.memberId !== '' ? req.memberId : ctx.cluster.random.uuid()
  const fresh: ConsumerMember = {
    memberId,
    instanceId: req.instanceId,
    rackId: req.rackId,
    clientId: ctx.clientId ?? '',
    clientHost: `/${ctx.connection.remote.replace(/:\d+$/, '')}`,
    memberEpoch: 0,
    previousMemberEpoch: -1,
    state: 'stable',
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    assigned: new Map(),
    pendingRevocation: new Map(),
    lastSent: null,
    sessionTimer: null,
    rebalanceTimer: null,
    leftStatic: false,
  }
  if (req.instanceId !== null) {
    const previous = [...group.members.values()].find((m) => m.instanceId === req.instanceId)
    if (previous !== undefined) {
      if (!previous.leftStatic && previous.memberId !== memberId) return ErrorCodes.UNRELEASED_INSTANCE_ID
      // KIP-848 static membership: the new member id inherits the epoch and the partitions, no rebalance.
      previous.sessionTimer?.cancel()
      previous.rebalanceTimer?.cancel()
      group.members.delete(previous.memberId)
      const target = group.targetAssignment.get(previous.memberId)
      group.targetAssignment.delete(previous.memberId)
      const member: ConsumerMember = { ...fresh, memberEpoch: previous.memberEpoch, previousMemberEpoch: previous.previousMemberEpoch, assigned: previous.assigned, pendingRevocation: previous.pendingRevocation, state: previous.state, subscribedTopicNames: previous.subscribedTopicNames, subscribedTopicRegex: previous.subscribedTopicRegex, serverAssignor: previous.serverAssignor }
      group.members.set(memberId, member)
      if (target !== undefined) group.targetAssignment.set(memberId, target)
      // The signature names members: rename without a new epoch when nothing else changed.
      group.subscriptionSignature = group.subscriptionSignature.split(previous.memberId).join(memberId)
      return member
    }
  }
  const stale = group.members.get(memberId)
  if (stale !== undefined) removeMember(coord, group, stale)
  group.members.set(memberId, fresh)
  return fresh
}

function describe(ctx: RequestContext, groupId: string) {
  const coord = groupsOf(ctx)
  const base = { errorCode: 0, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 }
  const refused = coord.check(ctx, groupId)
  if (refused !== 0) return { ...base, errorCode: refused }
  const group = coord.groups.get(groupId)
  if (group === undefined || group.type !== 'consumer') {
    return { ...base, errorCode: ErrorCodes.GROUP_ID_NOT_FOUND, errorMessage: group === undefined ? `Group ${groupId} not found.` : `Group ${groupId} is not a consumer group.` }
  }
  const named = (a: Assignment) => ({
    topicPartitions: wire(a).map((t) => ({ ...t, topicName: ctx.cluster.topicsById.get(t.topicId)?.name ?? '' })),
  })
  const assignor = [...group.members.values()].map((m) => m.serverAssignor).find((a) => a !== null) ?? coord.config.consumerAssignors[0] ?? 'uniform'
  return {
    ...base,
    groupState: consumerGroupState(group),
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: assignor,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: named(m.assigned),
      targetAssignment: named(group.targetAssignment.get(m.memberId) ?? new Map()),
      memberType: 1,
    })),
  }
}

export const consumerProtocolHandlers = [
  defineHandler({
    api: 'ConsumerGroupHeartbeat',
    handle: (ctx, req) => heartbeat(ctx, req),
    errorResponse: (_ctx, _req, errorCode) => failure(errorCode),
  }),
  defineHandler({
    api: 'ConsumerGroupDescribe',
    handle: (ctx, req) => ({ throttleTimeMs: 0, groups: req.groupIds.map((id) => describe(ctx, id)) }),
    errorResponse: (_ctx, req, errorCode) => ({ groups: req.groupIds.map((groupId) => ({ groupId, errorCode, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] })) }),
  }),
]
