/**
 * The group coordinator's state, shared by every broker of the fake: which broker coordinates a group is decided
 * by the leader of its __consumer_offsets partition (as in Kafka), but the state itself is one in-memory copy, so
 * a coordinator move keeps groups and offsets the way loading them from the log would.
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import type { RequestContext } from '../registry.js'
import { RealClock, type FakeClock, type TimerHandle } from './clock.js'

/** Broker settings of the group coordinator; change them on `fake.services.groups.config` before clients join. */
export interface GroupConfig {
  /** group.initial.rebalance.delay.ms. Kafka's default is 3000; 0 here so a test's first member starts at once. */
  initialRebalanceDelayMs: number
  /** group.min.session.timeout.ms / group.max.session.timeout.ms. */
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  /** group.max.size. */
  maxSize: number
  /** group.consumer.session.timeout.ms (KIP-848 groups). */
  consumerSessionTimeoutMs: number
  /** group.consumer.heartbeat.interval.ms. Kafka's default is 5000; 1000 here so tests rebalance quickly. */
  consumerHeartbeatIntervalMs: number
  /** group.consumer.assignors: the first is the default. */
  consumerAssignors: string[]
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 2_147_483_647,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 1000,
  consumerAssignors: ['uniform', 'range'],
}

export interface CommittedOffset {
  offset: bigint
  leaderEpoch: number
  metadata: string | null
  commitTimestamp: number
}

export type ClassicState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface ClassicMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: Array<{ name: string; metadata: Buffer }>
  assignment: Buffer
  /** A JoinGroup waiting for the join phase to complete. */
  awaitingJoin: ((response: JoinResult) => void) | null
  /** A SyncGroup waiting for the leader's assignment. */
  awaitingSync: ((response: SyncResult) => void) | null
  sessionTimer: TimerHandle | null
}

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  skipAssignment: boolean
  memberId: string
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export interface ClassicGroup {
  readonly type: 'classic'
  readonly groupId: string
  state: ClassicState
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string | null
  readonly members: Map<string, ClassicMember>
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined (KIP-394), with their expiry timers. */
  readonly pendingMembers: Map<string, TimerHandle>
  /** group.instance.id → member id (KIP-345). */
  readonly staticMembers: Map<string, string>
  rebalanceTimer: TimerHandle | null
  /** True while the initial rebalance delay holds the first join phase open. */
  delaying: boolean
}

/** Topic id → partitions, as KIP-848 assignments travel. */
export type Assignment = Map<string, Set<number>>

export interface ConsumerMember {
  memberId: string
  instanceId: string | null
  rackId: string | null
  clientId: string
  clientHost: string
  memberEpoch: number
  previousMemberEpoch: number
  /** 'stable', or waiting for the client to give partitions up / for others to release them. */
  state: 'stable' | 'unrevoked' | 'unreleased'
  rebalanceTimeoutMs: number
  subscribedTopicNames: string[]
  subscribedTopicRegex: string | null
  serverAssignor: string | null
  assigned: Assignment
  pendingRevocation: Assignment
  /** What the last response told the member, to send the assignment only when it changed. */
  lastSent: string | null
  sessionTimer: TimerHandle | null
  rebalanceTimer: TimerHandle | null
  /** A static member that left with epoch -2: it keeps its assignment for the session timeout. */
  leftStatic: boolean
}

export interface ConsumerGroup {
  readonly type: 'consumer'
  readonly groupId: string
  groupEpoch: number
  assignmentEpoch: number
  readonly members: Map<string, ConsumerMember>
  /** Member id → target partitions, as the assignor computed them at assignmentEpoch. */
  targetAssignment: Map<string, Assignment>
  /** The topic metadata the assignment was computed from: a change in partitions or topics bumps the epoch. */
  subscriptionSignature: string
}

export type Group = ClassicGroup | ConsumerGroup

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function splitTpKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) }
}

export class GroupCoordinator {
  readonly config: GroupConfig = { ...DEFAULT_GROUP_CONFIG }
  readonly groups = new Map<string, Group>()
  /** Group id → committed offsets by topic-partition key. */
  readonly offsets = new Map<string, Map<string, CommittedOffset>>()
  /** Group id → producer id → offsets a transaction committed, applied or dropped by its markers. */
  readonly pendingTxnOffsets = new Map<string, Map<bigint, Map<string, CommittedOffset>>>()
  #clock: FakeClock = new RealClock()
  /** Every clock used so far: timers set on a replaced clock are still cleared at stop. */
  readonly #clocks: FakeClock[] = [this.#clock]

  get clock(): FakeClock {
    return this.#clock
  }

  /** Swaps the clock (a ManualClock in tests); do it before any member joins. */
  useClock(clock: FakeClock): void {
    this.#clock = clock
    this.#clocks.push(clock)
  }

  stop(): void {
    for (const clock of this.#clocks) (clock as { clear?: () => void }).clear?.()
  }

  /** 0 when this broker coordinates the group, else the error code the request gets. */
  check(ctx: RequestContext, groupId: string): number {
    const { broker } = ctx.cluster.coordinatorFor('group', groupId)
    if (broker === -1) return ErrorCodes.COORDINATOR_NOT_AVAILABLE
    return broker === ctx.broker.id ? 0 : ErrorCodes.NOT_COORDINATOR
  }

  committed(groupId: string): Map<string, CommittedOffset> {
    let map = this.offsets.get(groupId)
    if (map === undefined) this.offsets.set(groupId, (map = new Map()))
    return map
  }

  /** True while some transaction holds uncommitted offsets for this partition of the group (require_stable). */
  hasPendingOffset(groupId: string, key: string): boolean {
    for (const offsets of this.pendingTxnOffsets.get(groupId)?.values() ?? []) if (offsets.has(key)) return true
    return false
  }

  /** A transaction's markers reached the group: its pending offsets become committed (commit) or vanish. */
  completeTransaction(groupId: string, producerId: bigint, commit: boolean): void {
    const byProducer = this.pendingTxnOffsets.get(groupId)
    const pending = byProducer?.get(producerId)
    if (pending === undefined) return
    byProducer!.delete(producerId)
    if (byProducer!.size === 0) this.pendingTxnOffsets.delete(groupId)
    if (!commit) return
    const committed = this.committed(groupId)
    for (const [key, value] of pending) committed.set(key, value)
  }

  /** A group "exists" for the admin APIs while it has members or offsets. */
  exists(groupId: string): boolean {
    const group = this.groups.get(groupId)
    if (group !== undefined && (group.members.size > 0 || group.type === 'consumer' || group.state !== 'Dead')) return true
    return (this.offsets.get(groupId)?.size ?? 0) > 0
  }

  isEmpty(groupId: string): boolean {
    const group = this.groups.get(groupId)
    return group === undefined || group.members.size === 0
  }
}
