/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup for classic groups. JoinGroup and SyncGroup answers wait for the
 * phase to end, as a broker parks them; the connection's later requests queue behind, as on a broker.
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext, type RequestOf } from '../registry.js'
import {
  addMember,
  completeSync,
  joinError,
  joinResultFor,
  maybeCompleteJoin,
  newClassicGroup,
  prepareRebalance,
  removeMember,
  selectProtocol,
  supportsProtocols,
  syncError,
  touch,
} from './classic-group.js'
import type { ClassicGroup, ClassicMember, GroupCoordinator, JoinResult, SyncResult } from './coordinator.js'

export function groupsOf(ctx: RequestContext): GroupCoordinator {
  return ctx.services.groups
}

/** The classic group, or the error a request for it gets (an empty KIP-848 group gives way to a classic one). */
function classicGroup(coord: GroupCoordinator, groupId: string, create: boolean): ClassicGroup | number {
  const group = coord.groups.get(groupId)
  if (group?.type === 'consumer') {
    if (group.members.size > 0) return ErrorCodes.INCONSISTENT_GROUP_PROTOCOL
    coord.groups.delete(groupId)
  } else if (group !== undefined) {
    return group
  }
  if (!create) return ErrorCodes.UNKNOWN_MEMBER_ID
  const created = newClassicGroup(groupId)
  coord.groups.set(groupId, created)
  return created
}

/** Kafka's validateMember: a static member is checked by its instance id first, so an old id is fenced. */
export function validateMember(group: ClassicGroup, memberId: string, instanceId: string | null): number {
  if (instanceId !== null) {
    const current = group.staticMembers.get(instanceId)
    if (current === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID
    return current === memberId ? 0 : ErrorCodes.FENCED_INSTANCE_ID
  }
  return group.members.has(memberId) ? 0 : ErrorCodes.UNKNOWN_MEMBER_ID
}

function waitFor<T>(ctx: RequestContext, register: (reply: (value: T) => void) => void, onAbort: () => void): Promise<T> {
  return new Promise<T>((resolve) => {
    const abort = (): void => onAbort()
    ctx.signal.addEventListener('abort', abort, { once: true })
    register((value) => {
      ctx.signal.removeEventListener('abort', abort)
      resolve(value)
    })
  })
}

/** Parks the member in the join phase; the returned promise settles when the phase ends for it. */
function awaitJoin(ctx: RequestContext, coord: GroupCoordinator, group: ClassicGroup, member: ClassicMember): Promise<JoinResult> {
  return waitFor<JoinResult>(
    ctx,
    (reply) => {
      member.awaitingJoin = reply
      if (group.state === 'PreparingRebalance') maybeCompleteJoin(coord, group)
      else prepareRebalance(coord, group)
    },
    // The connection went away: the member stays until its session expires, as on a broker.
    () => (member.awaitingJoin = null),
  )
}

function join(ctx: RequestContext, req: RequestOf<'JoinGroup'>): JoinResult | Promise<JoinResult> {
  const coord = groupsOf(ctx)
  const refused = coord.check(ctx, req.groupId)
  if (refused !== 0) return joinError(refused, req.memberId)
  if (req.groupId === '') return joinError(ErrorCodes.INVALID_GROUP_ID, req.memberId)
  if (req.sessionTimeoutMs < coord.config.minSessionTimeoutMs || req.sessionTimeoutMs > coord.config.maxSessionTimeoutMs) {
    return joinError(ErrorCodes.INVALID_SESSION_TIMEOUT, req.memberId)
  }
  const group = classicGroup(coord, req.groupId, req.memberId === '')
  if (typeof group === 'number') return joinError(group, req.memberId)
  const instanceId = req.groupInstanceId ?? null
  const known = group.members.get(req.memberId)
  const others = known === undefined ? group : { ...group, members: new Map([...group.members].filter(([id]) => id !== req.memberId)) }
  if (!supportsProtocols(others, req.protocolType, req.protocols)) return joinError(ErrorCodes.INCONSISTENT_GROUP_PROTOCOL, req.memberId)
  const fields = {
    clientId: ctx.clientId ?? '',
    clientHost: `/${ctx.connection.remote.replace(/:\d+$/, '')}`,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
  }
  const newMember = (memberId: string): ClassicMember => ({
    memberId, groupInstanceId: instanceId, ...fields, assignment: Buffer.alloc(0), awaitingJoin: null, awaitingSync: null, sessionTimer: null,
  })

  if (req.memberId === '') {
    const memberId = `${ctx.clientId ?? ''}-${ctx.cluster.random.uuid()}`
    if (instanceId !== null && group.staticMembers.has(instanceId)) return rejoinStatic(ctx, coord, group, group.members.get(group.staticMembers.get(instanceId)!)!, memberId, fields)
    if (group.members.size >= coord.config.maxSize) return joinError(ErrorCodes.GROUP_MAX_SIZE_REACHED)
    if (instanceId === null && ctx.apiVersion >= 4) {
      // KIP-394: the id comes back first, so a member that never rejoins never enters the group.
      group.pendingMembers.get(memberId)?.cancel()
      group.pendingMembers.set(memberId, coord.clock.schedule(req.sessionTimeoutMs, () => {
        group.pendingMembers.delete(memberId)
        maybeCompleteJoin(coord, group)
      }))
      return joinError(ErrorCodes.MEMBER_ID_REQUIRED, memberId)
    }
    const member = newMember(memberId)
    addMember(coord, group, member)
    return awaitJoin(ctx, coord, group, member)
  }
  const pending = group.pendingMembers.get(req.memberId)
  if (pending !== undefined) {
    pending.cancel()
    group.pendingMembers.delete(req.memberId)
    const member = newMember(req.memberId)
    addMember(coord, group, member)
    return awaitJoin(ctx, coord, group, member)
  }
  const invalid = validateMember(group, req.memberId, instanceId)
  if (invalid !== 0 || known === undefined) return joinError(invalid || ErrorCodes.UNKNOWN_MEMBER_ID, req.memberId)
  const sameProtocols = sameMetadata(known.protocols, fields.protocols)
  Object.assign(known, fields)
  touch(coord, group, known)
  if (sameProtocols && (group.state === 'CompletingRebalance' || (group.state === 'Stable' && group.leaderId !== known.memberId))) {
    // Nothing changed for this member: it gets the current generation again, without a rebalance.
    return joinResultFor(group, known, false)
  }
  return awaitJoin(ctx, coord, group, known)
}

function sameMetadata(a: Array<{ name: string; metadata: Buffer }>, b: Array<{ name: string; metadata: Buffer }>): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
}

/**
 * KIP-345: a static member restarts under a new member id. In a Stable group it takes over the old member's
 * assignment with no rebalance unless the group's protocol would change (its metadata may differ: a restarted
 * member owns nothing yet, and Kafka does not rebalance for that); the old id is fenced.
 */
function rejoinStatic(ctx: RequestContext, coord: GroupCoordinator, group: ClassicGroup, old: ClassicMember, memberId: string, fields: Partial<ClassicMember>): JoinResult | Promise<JoinResult> {
  old.sessionTimer?.cancel()
  old.awaitingJoin?.(joinError(ErrorCodes.FENCED_INSTANCE_ID, old.memberId))
  old.awaitingSync?.(syncError(ErrorCodes.FENCED_INSTANCE_ID))
  const member: ClassicMember = { ...old, ...fields, memberId, awaitingJoin: null, awaitingSync: null, sessionTimer: null }
  group.members.delete(old.memberId)
  group.members.set(memberId, member)
  group.staticMembers.set(member.groupInstanceId!, memberId)
  if (group.leaderId === old.memberId) group.leaderId = memberId
  touch(coord, group, member)
  if (group.state === 'Stable' && group.protocolName === selectProtocol(group)) return joinResultFor(group, member, ctx.apiVersion >= 9)
  return awaitJoin(ctx, coord, group, member)
}

function sync(ctx: RequestContext, req: RequestOf<'SyncGroup'>): SyncResult | Promise<SyncResult> {
  const coord = groupsOf(ctx)
  const refused = coord.check(ctx, req.groupId)
  if (refused !== 0) return syncError(refused)
  const group = coord.groups.get(req.groupId)
  if (group === undefined || group.type !== 'classic') return syncError(ErrorCodes.UNKNOWN_MEMBER_ID)
  const invalid = validateMember(group, req.memberId, req.groupInstanceId ?? null)
  if (invalid !== 0) return syncError(invalid)
  const member = group.members.get(req.memberId)!
  if (req.generationId !== group.generationId) return syncError(ErrorCodes.ILLEGAL_GENERATION)
  if ((req.protocolType != null && req.protocolType !== group.protocolType) || (req.protocolName != null && req.protocolName !== group.protocolName)) {
    return syncError(ErrorCodes.INCONSISTENT_GROUP_PROTOCOL)
  }
  touch(coord, group, member)
  if (group.state === 'PreparingRebalance') return syncError(ErrorCodes.REBALANCE_IN_PROGRESS)
  if (group.state === 'Stable') return { errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
  return waitFor<SyncResult>(
    ctx,
    (reply) => {
      member.awaitingSync = reply
      if (group.leaderId === member.memberId) completeSync(coord, group, req.assignments)
    },
    () => (member.awaitingSync = null),
  )
}

/** The protocol name is nullable only from v7: older versions say "no protocol" with an empty string. */
function wireJoin(ctx: RequestContext, result: JoinResult): JoinResult {
  return ctx.apiVersion < 7 && result.protocolName === null ? { ...result, protocolName: '' } : result
}

export const joinHandlers = [
  defineHandler({
    api: 'JoinGroup',
    handle: async (ctx, request) => wireJoin(ctx, await join(ctx, request)),
    errorResponse: (ctx, request, errorCode) => wireJoin(ctx, joinError(errorCode, request.memberId)),
  }),
]

export const classicHandlers = [
  ...joinHandlers,
  defineHandler({
    api: 'SyncGroup',
    handle: (ctx, request) => sync(ctx, request),
    errorResponse: (_ctx, _request, errorCode) => syncError(errorCode),
  }),
  defineHandler({
    api: 'Heartbeat',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const answer = (errorCode: number): { throttleTimeMs: number; errorCode: number } => ({ throttleTimeMs: 0, errorCode })
      const refused = coord.check(ctx, req.groupId)
      if (refused !== 0) return answer(refused)
      const group = coord.groups.get(req.groupId)
      if (group === undefined || group.type !== 'classic') return answer(ErrorCodes.UNKNOWN_MEMBER_ID)
      const invalid = validateMember(group, req.memberId, req.groupInstanceId ?? null)
      if (invalid !== 0) return answer(invalid)
      const member = group.members.get(req.memberId)!
      if (req.generationId !== group.generationId) return answer(ErrorCodes.ILLEGAL_GENERATION)
      touch(coord, group, member)
      return answer(group.state === 'PreparingRebalance' ? ErrorCodes.REBALANCE_IN_PROGRESS : 0)
    },
    errorResponse: (_ctx, _request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  }),
  defineHandler({
    api: 'LeaveGroup',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const batched = ctx.apiVersion >= 3
      const identities = batched ? (req.members ?? []) : [{ memberId: req.memberId ?? '', groupInstanceId: null }]
      const refused = coord.check(ctx, req.groupId)
      if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused, members: [] }
      const group = coord.groups.get(req.groupId)
      const results = identities.map((identity) => {
        const instanceId = identity.groupInstanceId ?? null
        const result = (errorCode: number): { memberId: string; groupInstanceId: string | null; errorCode: number } => ({ memberId: identity.memberId, groupInstanceId: instanceId, errorCode })
        if (group === undefined || group.type !== 'classic') return result(ErrorCodes.UNKNOWN_MEMBER_ID)
        const memberId = instanceId !== null ? group.staticMembers.get(instanceId) : identity.memberId
        if (instanceId !== null && memberId !== undefined && identity.memberId !== '' && identity.memberId !== memberId) return result(ErrorCodes.FENCED_INSTANCE_ID)
        const member = memberId === undefined ? undefined : group.members.get(memberId)
        if (member === undefined) return result(ErrorCodes.UNKNOWN_MEMBER_ID)
        removeMember(coord, group, member, ErrorCodes.UNKNOWN_MEMBER_ID)
        return result(0)
      })
      if (!batched) return { throttleTimeMs: 0, errorCode: results[0]!.errorCode }
      return { throttleTimeMs: 0, errorCode: 0, members: results }
    },
    errorResponse: (_ctx, _request, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }),
  }),
]
