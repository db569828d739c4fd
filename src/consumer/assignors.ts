/**
 * Classic-protocol partition assignors, run by the group leader: range and roundrobin (eager: everyone gives up
 * everything at each rebalance) and cooperative-sticky (incremental: members keep what they own where the
 * balance allows, and a partition that must move is first revoked by its owner, then assigned in a follow-up
 * rebalance, so no partition is ever owned twice and unaffected partitions keep flowing).
 * Placement follows the Java assignors' rules (members ordered by instance id, else member id), so a mixed group
 * with a Java leader or a samsa leader assigns alike.
 */
import type { TopicPartition } from './types.js'

export interface AssignorMember {
  memberId: string
  groupInstanceId: string | null
  topics: string[]
  /** cooperative-sticky: what the member owns now, and the generation it owned it in. */
  ownedPartitions: TopicPartition[]
  generation: number
}

/** Partition counts per topic. */
export type TopicPartitionCounts = Map<string, number>

export type Assignment = Map<string, TopicPartition[]>

export interface Assignor {
  readonly name: string
  readonly cooperative: boolean
  assign(members: AssignorMember[], partitions: TopicPartitionCounts): Assignment
}

function memberOrder(a: AssignorMember, b: AssignorMember): number {
  const ka = a.groupInstanceId ?? a.memberId
  const kb = b.groupInstanceId ?? b.memberId
  if (a.groupInstanceId !== null && b.groupInstanceId === null) return -1
  if (a.groupInstanceId === null && b.groupInstanceId !== null) return 1
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/**
 * Each member's topics as a set: `topics.includes` inside the per-partition loops made assignment cost
 * O(partitions × subscribed topics) — quadratic for a group on 1 000 topics.
 */
function topicSets(members: readonly AssignorMember[]): Map<AssignorMember, Set<string>> {
  return new Map(members.map((m) => [m, new Set(m.topics)]))
}

function emptyAssignment(members: AssignorMember[]): Assignment {
  return new Map(members.map((m) => [m.memberId, [] as TopicPartition[]]))
}

export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, counts) {
    const result = emptyAssignment(members)
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort()
    const subscribed = topicSets(members)
    const sortedMembers = [...members].sort(memberOrder)
    for (const topic of topics) {
      const count = counts.get(topic)
      if (count === undefined) continue
      const subscribers = sortedMembers.filter((m) => subscribed.get(m)!.has(topic))
      const per = Math.floor(count / subscribers.length)
      const extra = count % subscribers.length
      let next = 0
      subscribers.forEach((member, i) => {
        const n = per + (i < extra ? 1 : 0)
        for (let k = 0; k < n; k++) result.get(member.memberId)!.push({ topic, partition: next++ })
      })
    }
    return result
  },
}

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members, counts) {
    const result = emptyAssignment(members)
    const sorted = [...members].sort(memberOrder)
    const subscribed = topicSets(members)
    const all: TopicPartition[] = []
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      for (let p = 0; p < (counts.get(topic) ?? 0); p++) all.push({ topic, partition: p })
    }
    let cursor = 0
    for (const tp of all) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const member = sorted[cursor++ % sorted.length]!
        if (subscribed.get(member)!.has(tp.topic)) {
          result.get(member.memberId)!.push(tp)
          break
        }
      }
    }
    return result
  },
}

const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, counts) {
    const sorted = [...members].sort(memberOrder)
    const subscribed = topicSets(members)
    const all: TopicPartition[] = []
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      for (let p = 0; p < (counts.get(topic) ?? 0); p++) all.push({ topic, partition: p })
    }
    // Who owns what now: the claim from the highest generation wins a partition two members both report.
    const previousOwner = new Map<string, { memberId: string; generation: number }>()
    for (const m of sorted) {
      for (const tp of m.ownedPartitions) {
        if (!subscribed.get(m)!.has(tp.topic) || tp.partition >= (counts.get(tp.topic) ?? 0)) continue
        const prior = previousOwner.get(key(tp))
        if (!prior || m.generation > prior.generation) previousOwner.set(key(tp), { memberId: m.memberId, generation: m.generation })
      }
    }
    const target = new Map<string, TopicPartition[]>(sorted.map((m) => [m.memberId, []]))
    const quotaFloor = sorted.length === 0 ? 0 : Math.floor(all.length / sorted.length)
    let extraSlots = sorted.length === 0 ? 0 : all.length % sorted.length
    const unassigned: TopicPartition[] = []
    // Keep owned partitions up to the quota (floor, or floor+1 while extra slots remain).
    // Each member's owned partitions in `all`'s order, from one walk of `all` (not one walk per member).
    const owned = new Map<string, TopicPartition[]>(sorted.map((m) => [m.memberId, []]))
    for (const tp of all) {
      const owner = previousOwner.get(key(tp))
      if (owner) owned.get(owner.memberId)!.push(tp)
    }
    for (const m of sorted) {
      const mine = owned.get(m.memberId)!
      let quota = quotaFloor
      if (mine.length > quotaFloor && extraSlots > 0) {
        quota++
        extraSlots--
      }
      target.get(m.memberId)!.push(...mine.slice(0, quota))
      unassigned.push(...mine.slice(quota))
    }
    for (const tp of all) if (!previousOwner.has(key(tp))) unassigned.push(tp)
    // Hand out the rest to the least loaded subscriber each time.
    for (const tp of unassigned) {
      let best: AssignorMember | null = null
      for (const m of sorted) {
        if (!subscribed.get(m)!.has(tp.topic)) continue
        if (best === null || target.get(m.memberId)!.length < target.get(best.memberId)!.length) best = m
      }
      if (best) target.get(best.memberId)!.push(tp)
    }
    // Cooperative step: a partition moving away from a current owner is withheld this round; the owner revokes it
    // and rejoins, and the follow-up rebalance assigns it.
    const result = emptyAssignment(members)
    for (const [memberId, list] of target) {
      result.set(
        memberId,
        list.filter((tp) => {
          const owner = previousOwner.get(key(tp))
          return owner === undefined || owner.memberId === memberId
        }),
      )
    }
    return result
  },
}

export const ASSIGNORS: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
}

/**
 * A classic-protocol assignor with its own wire format (another client's, e.g. KafkaJS's), for groups that mix
 * this client with that one: the member metadata and the assignment bytes are the assignor's, not the Java
 * ConsumerProtocol's. Eager: the member gives everything up before each join.
 */
export interface ProtocolAssignor {
  /** The protocol name sent in JoinGroup; the group picks one that every member lists. */
  readonly name: string
  /** This member's JoinGroup metadata for its subscribed topics. */
  metadata(topics: string[]): Buffer | Promise<Buffer>
  /**
   * Run by the leader: every member's assignment bytes from the members' metadata. `topics` are the leader's own
   * subscribed topics. Members left out get an empty assignment.
   */
  assign(members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>, topics: string[]): Promise<Array<{ memberId: string; assignment: Buffer }>>
  /** This member's partitions from the bytes the leader assigned it. */
  decodeAssignment(bytes: Buffer): TopicPartition[]
}

export function isProtocolAssignor(assignor: unknown): assignor is ProtocolAssignor {
  return typeof assignor === 'object' && assignor !== null && typeof (assignor as ProtocolAssignor).decodeAssignment === 'function'
}
