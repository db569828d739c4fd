/**
 * The classic group state machine (Kafka's ClassicGroup and its coordinator): Empty → PreparingRebalance (members
 * rejoin; the phase ends when all have, or at the rebalance timeout) → CompletingRebalance (the leader's SyncGroup
 * brings the assignment) → Stable. Session timers expire members that stop heartbeating; static members
 * (KIP-345) keep their place and assignment across restarts.
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import type { ClassicGroup, ClassicMember, GroupCoordinator, JoinResult, SyncResult } from './coordinator.js'

export function newClassicGroup(groupId: string): ClassicGroup {
  return {
    type: 'classic',
    groupId,
    state: 'Empty',
    generationId: 0,
    protocolType: null,
    protocolName: null,
    leaderId: null,
    members: new Map(),
    pendingMembers: new Map(),
    staticMembers: new Map(),
    rebalanceTimer: null,
    delaying: false,
  }
}

export function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] }
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
}

/** The protocol every member supports that most members prefer (ties to the first in preference order). */
export function selectProtocol(group: ClassicGroup): string | null {
  const members = [...group.members.values()]
  const first = members[0]
  if (first === undefined) return null
  const candidates = first.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]))
  for (const m of members) {
    const vote = m.protocols.find((p) => votes.has(p.name))
    if (vote !== undefined) votes.set(vote.name, votes.get(vote.name)! + 1)
  }
  let best: string | null = null
  for (const [name, count] of votes) if (best === null || count > votes.get(best)!) best = name
  return best
}

/** Whether a joining member's protocols fit the group's (type and at least one protocol every member has). */
export function supportsProtocols(group: ClassicGroup, protocolType: string, protocols: Array<{ name: string }>): boolean {
  if (protocols.length === 0 || protocolType === '') return false
  if (group.members.size === 0) return true
  const members = [...group.members.values()]
  return group.protocolType === protocolType && protocols.some((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))
}

export function memberMetadata(group: ClassicGroup, member: ClassicMember): Buffer {
  return member.protocols.find((p) => p.name === group.protocolName)?.metadata ?? Buffer.alloc(0)
}

export function joinResultFor(group: ClassicGroup, member: ClassicMember, skipAssignment: boolean): JoinResult {
  const isLeader = group.leaderId === member.memberId
  return {
    errorCode: 0,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: isLeader && skipAssignment,
    memberId: member.memberId,
    members: isLeader
      ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: memberMetadata(group, m) }))
      : [],
  }
}

/** Restarts a member's session timer; an expiry while it waits in a join or sync phase is not an expiry. */
export function touch(coord: GroupCoordinator, group: ClassicGroup, member: ClassicMember): void {
  member.sessionTimer?.cancel()
  member.sessionTimer = coord.clock.schedule(member.sessionTimeoutMs, () => {
    member.sessionTimer = null
    if (group.members.get(member.memberId) !== member) return
    if (member.awaitingJoin !== null || member.awaitingSync !== null) return touch(coord, group, member)
    removeMember(coord, group, member, ErrorCodes.UNKNOWN_MEMBER_ID)
  })
}

export function addMember(coord: GroupCoordinator, group: ClassicGroup, member: ClassicMember): void {
  if (group.members.size === 0) group.protocolType = member.protocolType
  group.members.set(member.memberId, member)
  if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId)
  if (group.leaderId === null) group.leaderId = member.memberId
  touch(coord, group, member)
}

/** A member leaves (LeaveGroup, expiry, fencing): whatever it waits for is answered with `errorCode`. */
export function removeMember(coord: GroupCoordinator, group: ClassicGroup, member: ClassicMember, errorCode: number): void {
  member.sessionTimer?.cancel()
  member.sessionTimer = null
  group.members.delete(member.memberId)
  if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) group.staticMembers.delete(member.groupInstanceId)
  member.awaitingJoin?.(joinError(errorCode, member.memberId))
  member.awaitingJoin = null
  member.awaitingSync?.(syncError(errorCode))
  member.awaitingSync = null
  if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null
  if (group.state === 'Stable' || group.state === 'CompletingRebalance') prepareRebalance(coord, group)
  else if (group.state === 'PreparingRebalance') maybeCompleteJoin(coord, group)
}

export function prepareRebalance(coord: GroupCoordinator, group: ClassicGroup): void {
  if (group.state === 'CompletingRebalance') {
    for (const m of group.members.values()) {
      m.awaitingSync?.(syncError(ErrorCodes.REBALANCE_IN_PROGRESS))
      m.awaitingSync = null
    }
  }
  if (group.state === 'PreparingRebalance') return maybeCompleteJoin(coord, group)
  const wasEmpty = group.state === 'Empty'
  group.state = 'PreparingRebalance'
  const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs))
  group.rebalanceTimer?.cancel()
  group.rebalanceTimer = coord.clock.schedule(timeout, () => {
    group.rebalanceTimer = null
    completeJoin(coord, group)
  })
  if (wasEmpty && coord.config.initialRebalanceDelayMs > 0) {
    group.delaying = true
    coord.clock.schedule(Math.min(coord.config.initialRebalanceDelayMs, timeout), () => {
      group.delaying = false
      maybeCompleteJoin(coord, group)
    })
    return
  }
  maybeCompleteJoin(coord, group)
}

export function maybeCompleteJoin(coord: GroupCoordinator, group: ClassicGroup): void {
  if (group.state !== 'PreparingRebalance' || group.delaying) return
  const all = [...group.members.values()].every((m) => m.awaitingJoin !== null)
  if (all && group.pendingMembers.size === 0) completeJoin(coord, group)
}

/** The join phase ends: members that did not rejoin are out, a new generation starts with a leader. */
function completeJoin(coord: GroupCoordinator, group: ClassicGroup): void {
  if (group.state !== 'PreparingRebalance') return
  group.rebalanceTimer?.cancel()
  group.rebalanceTimer = null
  group.delaying = false
  for (const m of [...group.members.values()]) {
    if (m.awaitingJoin === null) {
      m.sessionTimer?.cancel()
      group.members.delete(m.memberId)
      if (m.groupInstanceId !== null) group.staticMembers.delete(m.groupInstanceId)
    }
  }
  group.generationId++
  if (group.members.size === 0) {
    group.state = 'Empty'
    group.protocolName = null
    group.leaderId = null
    return
  }
  if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value!
  group.protocolName = selectProtocol(group)
  group.state = 'CompletingRebalance'
  for (const m of group.members.values()) {
    m.assignment = Buffer.alloc(0)
    const reply = m.awaitingJoin!
    m.awaitingJoin = null
    reply(joinResultFor(group, m, false))
    touch(coord, group, m)
  }
}

/** The leader's SyncGroup: everyone gets their part and the group is Stable. */
export function completeSync(coord: GroupCoordinator, group: ClassicGroup, assignments: Array<{ memberId: string; assignment: Buffer }>): void {
  const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
  group.state = 'Stable'
  for (const m of group.members.values()) {
    m.assignment = byMember.get(m.memberId) ?? Buffer.alloc(0)
    const reply = m.awaitingSync
    m.awaitingSync = null
    reply?.({ errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment })
    touch(coord, group, m)
  }
}
