/**
 * The server-side assignors of KIP-848 groups: `uniform` (balanced and sticky: members keep what they had up to
 * their share) and `range` (per topic, contiguous ranges in member id order). They work on topic ids, as the
 * protocol does.
 */
import type { Assignment } from './coordinator.js'

export interface AssignorMember {
  memberId: string
  /** Topic ids the member subscribes to (resolved from names or its regex). */
  topics: Set<string>
  /** Its current target, for stickiness. */
  current: Assignment
}

/** Topic id → partition count, for every subscribed topic that exists. */
export type TopicCounts = Map<string, number>

function emptyTargets(members: AssignorMember[]): Map<string, Assignment> {
  return new Map(members.map((m) => [m.memberId, new Map<string, Set<number>>()]))
}

function put(target: Assignment, topicId: string, partition: number): void {
  let set = target.get(topicId)
  if (set === undefined) target.set(topicId, (set = new Set()))
  set.add(partition)
}

export function rangeAssign(members: AssignorMember[], topics: TopicCounts): Map<string, Assignment> {
  const out = emptyTargets(members)
  for (const [topicId, count] of [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const subscribers = members.filter((m) => m.topics.has(topicId)).sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    if (subscribers.length === 0) continue
    const per = Math.floor(count / subscribers.length)
    const extra = count % subscribers.length
    let next = 0
    subscribers.forEach((m, i) => {
      const n = per + (i < extra ? 1 : 0)
      for (let k = 0; k < n; k++) put(out.get(m.memberId)!, topicId, next++)
    })
  }
  return out
}

export function uniformAssign(members: AssignorMember[], topics: TopicCounts): Map<string, Assignment> {
  const out = emptyTargets(members)
  const counts = new Map(members.map((m) => [m.memberId, 0]))
  const partitions: Array<[string, number]> = []
  for (const [topicId, count] of [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) for (let p = 0; p < count; p++) partitions.push([topicId, p])
  const eligible = (topicId: string): AssignorMember[] => members.filter((m) => m.topics.has(topicId))
  // A member's fair share among those that could take the same partitions; with one subscription for all, the
  // classic floor/ceil split.
  const share = new Map<string, number>()
  for (const m of members) {
    const mine = partitions.filter(([t]) => m.topics.has(t)).length
    const rivals = members.filter((o) => [...o.topics].some((t) => m.topics.has(t))).length
    share.set(m.memberId, Math.floor(mine / Math.max(1, rivals)))
  }
  const owner = new Map<string, string>()
  // Sticky pass: keep previous partitions up to the share.
  for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
    for (const [topicId, set] of m.current) {
      if (!m.topics.has(topicId) || !topics.has(topicId)) continue
      for (const p of [...set].sort((a, b) => a - b)) {
        const key = `${topicId}:${p}`
        if (p >= topics.get(topicId)! || owner.has(key) || counts.get(m.memberId)! >= share.get(m.memberId)!) continue
        owner.set(key, m.memberId)
        counts.set(m.memberId, counts.get(m.memberId)! + 1)
        put(out.get(m.memberId)!, topicId, p)
      }
    }
  }
  // The rest go to the eligible member with the fewest, preferring a previous owner on a tie.
  for (const [topicId, p] of partitions) {
    const key = `${topicId}:${p}`
    if (owner.has(key)) continue
    const candidates = eligible(topicId)
    if (candidates.length === 0) continue
    let best = candidates[0]!
    for (const c of candidates) {
      const diff = counts.get(c.memberId)! - counts.get(best.memberId)!
      if (diff < 0 || (diff === 0 && c.current.get(topicId)?.has(p) === true && best.current.get(topicId)?.has(p) !== true)) best = c
    }
    owner.set(key, best.memberId)
    counts.set(best.memberId, counts.get(best.memberId)! + 1)
    put(out.get(best.memberId)!, topicId, p)
  }
  return out
}

export const SERVER_ASSIGNORS: Record<string, (members: AssignorMember[], topics: TopicCounts) => Map<string, Assignment>> = {
  uniform: uniformAssign,
  range: rangeAssign,
}
