/**
 * Classic group membership: JoinGroup → (leader assigns) → SyncGroup → Heartbeat on its own timer and its own
 * `group` connection, so no long fetch can hold a heartbeat up. Eager assignors give everything up before each
 * join; cooperative-sticky keeps owned partitions across the join, revokes only what the new assignment takes
 * away, and rejoins at once when it revoked something so the partitions reach their new owner.
 */
import { KafkaError, KafkaProtocolError } from '../errors.js'
import { ApiKeys, messageCodecs, ErrorCodes } from '../protocol/index.js'
import { decodeVersioned, encodeVersioned } from '../protocol/versioned.js'
import { ASSIGNORS, isProtocolAssignor, type Assignor, type AssignorMember, type ProtocolAssignor } from './assignors.js'
import type { Logger } from '../network/logging.js'
import { memberLogger, type Membership, type MembershipHost } from './membership.js'
import { diffAssignment, groupRequest, MembershipLoop, roundRequest, type RoundFailure } from './membership-loop.js'
import type { MemberIdentity } from './offsets.js'
import type { AssignorName, TopicPartition } from './types.js'
import { listTopicNames } from './offsets.js'

const { ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED, FENCED_INSTANCE_ID } = ErrorCodes


const SUBSCRIPTION_VERSION = 3
/** A classic member re-checks its pattern's matches and (as leader) partition counts every this many heartbeats. */
const SUBSCRIPTION_CHECK_HEARTBEATS = 10
const ASSIGNMENT_VERSION = 3
/** Pause before retrying a failed join or heartbeat. */
const RETRY_BACKOFF_MS = 500

function groupByTopic(partitions: TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const tp of partitions) {
    let list = byTopic.get(tp.topic)
    if (!list) byTopic.set(tp.topic, (list = []))
    list.push(tp.partition)
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
}

export function encodeSubscription(topics: string[], owned: TopicPartition[], generation: number, rack: string | null): Buffer {
  return encodeVersioned(messageCodecs.ConsumerProtocolSubscription, SUBSCRIPTION_VERSION, {
    topics,
    userData: null,
    ownedPartitions: groupByTopic(owned),
    generationId: generation,
    rackId: rack,
  })
}

export function decodeSubscription(bytes: Buffer): { topics: string[]; owned: TopicPartition[]; generation: number } {
  const s = decodeVersioned(messageCodecs.ConsumerProtocolSubscription, bytes, SUBSCRIPTION_VERSION)
  return {
    topics: s.topics,
    owned: (s.ownedPartitions ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
    generation: s.generationId ?? -1,
  }
}

export function encodeAssignment(partitions: TopicPartition[]): Buffer {
  return encodeVersioned(messageCodecs.ConsumerProtocolAssignment, ASSIGNMENT_VERSION, {
    assignedPartitions: groupByTopic(partitions),
    userData: null,
  })
}

export function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return []
  const a = decodeVersioned(messageCodecs.ConsumerProtocolAssignment, bytes, ASSIGNMENT_VERSION)
  return a.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
}

export class ClassicMembership implements Membership {
  readonly protocol = 'classic' as const
  readonly #host: MembershipHost
  readonly #assignors: Array<Assignor | ProtocolAssignor>
  memberId = ''
  generationId = -1
  readonly #memberLogger: (memberId: string) => Logger
  #protocolName: string | null = null
  readonly #loop: MembershipLoop
  #rejoin = true
  #joinedTopics = ''
  #lastSubscriptionCheck = 0
  /** Partition counts the last assignment (as leader) was computed from. */
  #assignedCounts: Map<string, number> | null = null

  constructor(host: MembershipHost, strategy: Array<AssignorName | ProtocolAssignor>) {
    this.#host = host
    this.#memberLogger = memberLogger(host.logger)
    this.#assignors = strategy.map((name) => {
      if (isProtocolAssignor(name)) return name
      const assignor = ASSIGNORS[name]
      if (!assignor) throw new KafkaError(`Unknown partition assignor "${name}"`)
      return assignor
    })
    const log = () => this.#log()
    const loopHost = { clock: host.clock, fatal: (error: KafkaError) => host.fatal(error), unreachableTimeoutMs: host.unreachableTimeoutMs, get logger() { return log() } }
    this.#loop = new MembershipLoop(loopHost, {
      round: () => this.#round(),
      failed: (error) => this.#failed(error),
      retryBackoffMs: () => RETRY_BACKOFF_MS,
    })
  }

  get #cooperative(): boolean {
    const cooperative = (a: Assignor | ProtocolAssignor): boolean => !isProtocolAssignor(a) && a.cooperative
    const chosen = this.#assignors.find((a) => a.name === this.#protocolName)
    return chosen ? cooperative(chosen) : this.#assignors.every(cooperative)
  }

  identity(): MemberIdentity | null {
    if (this.generationId < 0 || !this.memberId) return null
    return { memberId: this.memberId, generationIdOrMemberEpoch: this.generationId, groupInstanceId: this.#host.groupInstanceId }
  }

  #log(): Logger {
    return this.#memberLogger(this.memberId)
  }

  start(): void {
    this.#loop.start()
  }

  subscriptionChanged(): void {
    this.#rejoin = true
    this.#loop.wake()
  }

  commitFenced(error: KafkaError): void {
    if (error instanceof KafkaProtocolError && error.code === REBALANCE_IN_PROGRESS) this.#rejoin = true
    this.#loop.wake()
  }

  async heartbeatNow(): Promise<void> {
    // The heartbeat timer is independent of the application; nothing to do here.
  }

  async #round(): Promise<void> {
    if (this.#rejoin) return this.#timedJoin()
    await this.#loop.pause(this.#host.heartbeatIntervalMs)
    if (!this.#loop.running || this.#rejoin) return
    await this.#heartbeat()
    if (this.#host.clock.now() - this.#lastSubscriptionCheck >= this.#host.heartbeatIntervalMs * SUBSCRIPTION_CHECK_HEARTBEATS) await this.#checkSubscription()
  }

  async #failed(error: KafkaError): Promise<RoundFailure> {
    if (!(error instanceof KafkaProtocolError)) return 'retry'
    if (error.code === REBALANCE_IN_PROGRESS) {
      this.#host.observe?.({ type: 'rebalancing', memberId: this.memberId, generationId: this.generationId })
      this.#rejoin = true
      return 'rejoin'
    }
    if (error.code === ILLEGAL_GENERATION || error.code === UNKNOWN_MEMBER_ID) {
      this.#log().info({ err: error }, 'member fenced; rejoining')
      await this.#host.lose(this.#host.owned())
      if (error.code === UNKNOWN_MEMBER_ID) this.memberId = ''
      this.generationId = -1
      this.#rejoin = true
      return 'rejoin'
    }
    // A newer member has taken our group.instance.id: this one must not take it back.
    if (error.code === FENCED_INSTANCE_ID) return 'fatal'
    return 'retry'
  }

  async #subscribedTopics(): Promise<string[]> {
    const { topics, pattern } = this.#host.subscription()
    if (!pattern) return topics
    return (await listTopicNames(this.#host.cluster)).filter((name) => pattern.test(name)).sort()
  }

  /** A join counted as a failed rebalance when it throws while the member is still running (not closing). */
  async #timedJoin(): Promise<void> {
    const metrics = this.#host.metrics
    if (!metrics) return this.#join()
    try {
      await this.#join()
    } catch (error) {
      if (this.#loop.running) metrics.rebalanceFailed()
      throw error
    }
  }

  async #join(): Promise<void> {
    const host = this.#host
    const startedAt = host.clock.now()
    if (!this.#cooperative && this.#host.owned().length > 0) await host.revoke(host.owned())
    const topics = await this.#subscribedTopics()
    if (topics.length > 0) await host.cluster.topicsOnce(topics, this.#loop.signal)
    this.#joinedTopics = topics.join('\u0000')
    this.#lastSubscriptionCheck = this.#host.clock.now()
    const owned = this.#cooperative ? host.owned() : []
    const metadata = encodeSubscription(topics, owned, this.generationId, host.clientRack)
    const protocols = await Promise.all(this.#assignors.map(async (a) => ({ name: a.name, metadata: isProtocolAssignor(a) ? await a.metadata(topics) : metadata })))
    const joined = await roundRequest(host, ApiKeys.JoinGroup,
      {
        groupId: host.groupId,
        sessionTimeoutMs: host.sessionTimeoutMs,
        rebalanceTimeoutMs: host.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: host.groupInstanceId,
        protocolType: 'consumer',
        protocols,
        reason: null,
      },
      { signal: this.#loop.signal, timeoutMs: host.rebalanceTimeoutMs + 5000, errorCode: (r: { errorCode: number }) => (r.errorCode === MEMBER_ID_REQUIRED ? 0 : r.errorCode) },
    )
    if (joined.errorCode === MEMBER_ID_REQUIRED) {
      this.memberId = joined.memberId
      return // the loop joins again with the id
    }
    this.memberId = joined.memberId
    this.generationId = joined.generationId
    this.#protocolName = joined.protocolName ?? null
    let assignments: Array<{ memberId: string; assignment: Buffer }> = []
    this.#assignedCounts = null
    if (joined.leader === joined.memberId) {
      const assignor = this.#assignors.find((a) => a.name === joined.protocolName)
      if (!assignor) throw new KafkaError(`Group chose assignor "${joined.protocolName}" which this member does not have`)
      assignments = isProtocolAssignor(assignor)
        ? await assignor.assign(joined.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, metadata: m.metadata })), topics)
        : await this.#assignBuiltIn(assignor, joined.members)
    }
    const synced = await roundRequest(host, ApiKeys.SyncGroup,
      {
        groupId: host.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: host.groupInstanceId,
        protocolType: 'consumer',
        protocolName: this.#protocolName,
        assignments,
      },
      { signal: this.#loop.signal, timeoutMs: host.rebalanceTimeoutMs + 5000 },
    )
    const chosen = this.#assignors.find((a) => a.name === this.#protocolName)
    const assigned = chosen && isProtocolAssignor(chosen) ? (synced.assignment.length === 0 ? [] : chosen.decodeAssignment(synced.assignment)) : decodeAssignment(synced.assignment)
    this.#rejoin = false
    const { revoked, added } = diffAssignment(host.owned(), assigned)
    if (revoked.length > 0) await host.revoke(revoked)
    if (added.length > 0) await host.assign(added)
    // Cooperative: what we gave up goes to its new owner in the follow-up rebalance we trigger now.
    if (this.#cooperative && revoked.length > 0) this.#rejoin = true
    else host.stable()
    host.metrics?.rebalanced(host.clock.now() - startedAt)
    host.observe?.({
      type: 'joined',
      memberId: this.memberId,
      leaderId: joined.leader,
      generationId: this.generationId,
      protocol: this.#protocolName,
      assigned,
      durationMs: host.clock.now() - startedAt,
    })
  }

  async #assignBuiltIn(assignor: Assignor, joinedMembers: Array<{ memberId: string; groupInstanceId?: string | null; metadata: Buffer }>): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const members: AssignorMember[] = joinedMembers.map((m) => {
      const s = decodeSubscription(m.metadata)
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, topics: s.topics, ownedPartitions: s.owned, generation: s.generation }
    })
    const allTopics = [...new Set(members.flatMap((m) => m.topics))]
    const infos = allTopics.length > 0 ? await this.#host.cluster.topicsOnce(allTopics, this.#loop.signal).catch(() => []) : []
    const counts = new Map(infos.map((t) => [t.name, t.partitions.length]))
    this.#assignedCounts = counts
    const result = assignor.assign(members, counts)
    return [...result].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment(partitions) }))
  }

  /**
   * The classic protocol has no server-side view of the subscription: a pattern that now matches other topics, or
   * a topic that gained partitions (noticed by the leader), needs a rejoin so the assignment covers them.
   */
  async #checkSubscription(): Promise<void> {
    this.#lastSubscriptionCheck = this.#host.clock.now()
    const topics = await this.#subscribedTopics()
    if (topics.join('\u0000') !== this.#joinedTopics) {
      this.#log().info({}, 'subscribed topics changed; rejoining')
      this.#rejoin = true
      return
    }
    if (this.#assignedCounts === null || topics.length === 0) return
    await this.#host.cluster.refreshMetadata(topics)
    for (const name of topics) {
      const count = this.#host.cluster.topic(name)?.partitions.length
      if (count !== undefined && count !== this.#assignedCounts.get(name)) {
        this.#log().info({ topic: name }, 'partition count changed; rejoining')
        this.#rejoin = true
        return
      }
    }
  }

  async #heartbeat(): Promise<void> {
    const host = this.#host
    await roundRequest(host, ApiKeys.Heartbeat,
      { groupId: host.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: host.groupInstanceId },
      { signal: this.#loop.signal },
    )
    host.observe?.({ type: 'heartbeat', memberId: this.memberId, generationId: this.generationId })
  }

  async stop(leave: boolean, signal?: AbortSignal): Promise<void> {
    await this.#loop.halt()
    if (!leave || !this.memberId) {
      this.#rejoin = true
      return
    }
    const host = this.#host
    try {
      await groupRequest(host, ApiKeys.LeaveGroup,
        (version) =>
          version >= 3
            ? { groupId: host.groupId, members: [{ memberId: this.memberId, groupInstanceId: host.groupInstanceId, reason: 'the consumer is closing' }] }
            : { groupId: host.groupId, memberId: this.memberId },
        { signal, retry: { retries: 2 } },
      )
    } catch (error) {
      this.#log().debug({ err: error }, 'LeaveGroup failed (the session timeout will expire the member)')
    } finally {
      // A later start() (after a maxPollIntervalMs leave) joins as a new member.
      this.generationId = -1
      this.memberId = ''
      this.#rejoin = true
    }
  }
}
