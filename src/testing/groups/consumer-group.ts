/**
 * KIP-848 group logic: the group epoch moves when membership, subscriptions or subscribed topic metadata change;
 * the target assignment is recomputed by the server-side assignor at that epoch; each member then reconciles
 * towards its target — first giving up partitions that move away (its epoch stays until it has), then taking new
 * ones only once their previous owner has released them, so no partition is ever owned twice.
 */
import type { ClusterState } from '../state.js'
import { SERVER_ASSIGNORS, type AssignorMember, type TopicCounts } from './assignors.js'
import type { Assignment, ConsumerGroup, ConsumerMember, GroupCoordinator } from './coordinator.js'

export function newConsumerGroup(groupId: string): ConsumerGroup {
  return { type: 'consumer', groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), targetAssignment: new Map(), subscriptionSignature: '' }
}

/** Topic names a member subscribes to that exist: its names, or the non-internal topics its regex matches. */
export function subscribedTopics(cluster: ClusterState, member: ConsumerMember): string[] {
  if (member.subscribedTopicRegex !== null && member.subscribedTopicRegex !== '') {
    let re: RegExp
    try {
      re = new RegExp(`^(?:${member.subscribedTopicRegex})$`)
    } catch {
      return []
    }
    return [...cluster.topics.values()].filter((t) => !t.internal && re.test(t.name)).map((t) => t.name)
  }
  return member.subscribedTopicNames.filter((name) => cluster.topics.has(name))
}

/** What the assignment depends on besides membership: subscribed topics, their ids and partition counts. */
function signature(cluster: ClusterState, group: ConsumerGroup): string {
  const names = new Set<string>()
  for (const m of group.members.values()) for (const t of subscribedTopics(cluster, m)) names.add(t)
  return [...names].sort().map((n) => {
    const t = cluster.topics.get(n)!
    return `${t.topicId}/${t.partitions.length}`
  }).join(',') + `|${[...group.members.values()].map((m) => `${m.memberId}:${m.serverAssignor ?? ''}:${m.subscribedTopicNames.join(',')}:${m.subscribedTopicRegex ?? ''}`).sort().join(';')}`
}

export function assignmentKey(a: Assignment): string {
  return [...a].filter(([, s]) => s.size > 0).map(([t, s]) => `${t}:${[...s].sort((x, y) => x - y).join(',')}`).sort().join(';')
}

function copy(a: Assignment): Assignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]))
}

function minus(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map()
  for (const [t, s] of a) {
    const rest = [...s].filter((p) => b.get(t)?.has(p) !== true)
    if (rest.length > 0) out.set(t, new Set(rest))
  }
  return out
}

function intersect(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map()
  for (const [t, s] of a) {
    const both = [...s].filter((p) => b.get(t)?.has(p) === true)
    if (both.length > 0) out.set(t, new Set(both))
  }
  return out
}

function isEmpty(a: Assignment): boolean {
  for (const s of a.values()) if (s.size > 0) return false
  return true
}

/** Bumps the group epoch when what the assignment depends on changed, then recomputes the target if behind. */
export function refreshTarget(coord: GroupCoordinator, cluster: ClusterState, group: ConsumerGroup): void {
  const sig = signature(cluster, group)
  if (sig !== group.subscriptionSignature) {
    group.subscriptionSignature = sig
    group.groupEpoch++
  }
  if (group.assignmentEpoch >= group.groupEpoch) return
  const members: AssignorMember[] = [...group.members.values()].map((m) => ({
    memberId: m.memberId,
    topics: new Set(subscribedTopics(cluster, m).map((n) => cluster.topics.get(n)!.topicId)),
    current: group.targetAssignment.get(m.memberId) ?? new Map(),
  }))
  const counts: TopicCounts = new Map()
  for (const m of members) for (const id of m.topics) counts.set(id, cluster.topicsById.get(id)!.partitions.length)
  // The assignor the members ask for (Kafka takes the most requested); the broker's first by default.
  const asked = [...group.members.values()].map((m) => m.serverAssignor).find((a) => a !== null && a in SERVER_ASSIGNORS)
  const assignor = SERVER_ASSIGNORS[asked ?? coord.config.consumerAssignors[0] ?? 'uniform'] ?? SERVER_ASSIGNORS.uniform!
  group.targetAssignment = assignor(members, counts)
  group.assignmentEpoch = group.groupEpoch
}

/** Partitions some other member still owns or has yet to give up. */
function heldByOthers(group: ConsumerGroup, self: ConsumerMember): Assignment {
  const held: Assignment = new Map()
  for (const m of group.members.values()) {
    if (m === self) continue
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, s] of a) for (const p of s) {
        let set = held.get(t)
        if (set === undefined) held.set(t, (set = new Set()))
        set.add(p)
      }
    }
  }
  return held
}

/**
 * One step of Kafka's CurrentAssignmentBuilder. `owned` is what the client reports it holds (null when it did
 * not say): a member with partitions to revoke keeps its epoch until it reports them gone.
 */
export function reconcile(coord: GroupCoordinator, group: ConsumerGroup, member: ConsumerMember, owned: Assignment | null): void {
  if (member.state === 'unrevoked') {
    const stillOwned = owned === null ? member.pendingRevocation : intersect(owned, member.pendingRevocation)
    if (!isEmpty(stillOwned)) return
    member.pendingRevocation = new Map()
    member.rebalanceTimer?.cancel()
    member.rebalanceTimer = null
  }
  const target = group.targetAssignment.get(member.memberId) ?? new Map()
  const revoke = minus(member.assigned, target)
  if (!isEmpty(revoke)) {
    member.assigned = intersect(member.assigned, target)
    member.pendingRevocation = revoke
    member.state = 'unrevoked'
    member.rebalanceTimer?.cancel()
    member.rebalanceTimer = coord.clock.schedule(member.rebalanceTimeoutMs, () => {
      // A member that does not give partitions up in time is fenced, so others can have them.
      if (group.members.get(member.memberId) === member && member.state === 'unrevoked') removeMember(coord, group, member)
    })
    return
  }
  const free = minus(minus(target, member.assigned), heldByOthers(group, member))
  const next = copy(member.assigned)
  for (const [t, s] of free) for (const p of s) {
    let set = next.get(t)
    if (set === undefined) next.set(t, (set = new Set()))
    set.add(p)
  }
  member.assigned = next
  if (member.memberEpoch !== group.assignmentEpoch) {
    member.previousMemberEpoch = member.memberEpoch
    member.memberEpoch = group.assignmentEpoch
  }
  member.state = assignmentKey(next) === assignmentKey(target) ? 'stable' : 'unreleased'
}

export function removeMember(coord: GroupCoordinator, group: ConsumerGroup, member: ConsumerMember): void {
  member.sessionTimer?.cancel()
  member.rebalanceTimer?.cancel()
  group.members.delete(member.memberId)
  group.targetAssignment.delete(member.memberId)
  group.groupEpoch++
  void coord
}

export function touch(coord: GroupCoordinator, group: ConsumerGroup, member: ConsumerMember): void {
  member.sessionTimer?.cancel()
  member.sessionTimer = coord.clock.schedule(coord.config.consumerSessionTimeoutMs, () => {
    if (group.members.get(member.memberId) === member) removeMember(coord, group, member)
  })
}
