/** What a group membership (classic or KIP-848) needs from the consumer, and what the consumer needs from it. */
import type { KafkaError } from '../errors.js'
import type { Clock } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { clientLogger, type Logger } from '../network/logging.js'
import type { GroupMetricsSink } from './metrics.js'
import type { MemberIdentity } from './offsets.js'
import type { GroupEvent, TopicPartition } from './types.js'

/**
 * What a membership uses of the cluster: the request path and the metadata cache. Narrow, so that tests can drive a
 * membership through a scripted cluster in virtual time.
 */
export type GroupCluster = Pick<Cluster, 'send' | 'topicsOnce' | 'topic' | 'topicNameById' | 'refreshMetadata' | 'addInterest'>

export interface MembershipHost {
  readonly cluster: GroupCluster
  /** Heartbeat intervals, retry backoff and the unreachable timeout run on it. */
  readonly clock: Clock
  readonly logger: Logger
  readonly groupId: string
  /**
   * Connection purpose for this member's coordinator traffic. Per consumer: the broker answers a connection's
   * requests one at a time, so one consumer's blocking JoinGroup must not hold up another's heartbeat.
   */
  readonly groupPurpose: string
  readonly groupInstanceId: string | null
  readonly clientRack: string | null
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly rebalanceTimeoutMs: number
  /** KIP-848 server-side assignor name, or null for the broker's default. */
  readonly groupRemoteAssignor: string | null
  /** Topic names subscribed to, or a pattern. */
  subscription(): { topics: string[]; pattern: RegExp | null }
  /** Partitions now owned (assigned and not revoked). */
  owned(): TopicPartition[]
  /** New partitions: look up committed offsets, start fetching. */
  assign(partitions: TopicPartition[]): Promise<void>
  /** Partitions to give up cleanly: stop fetching, commit what was processed (auto-commit), call onRevoked. */
  revoke(partitions: TopicPartition[]): Promise<void>
  /** Partitions already taken away (fenced, session lost): drop without committing, call onLost. */
  lose(partitions: TopicPartition[]): Promise<void>
  /**
   * How long the member may fail every round in a row (coordinator unreachable, not answering) before the failure
   * is fatal: iteration then ends with the error instead of waiting forever. Default: no limit.
   */
  readonly unreachableTimeoutMs?: number
  /** The membership cannot continue: the application must see this error. */
  fatal(error: KafkaError): void
  /** The group reached a stable assignment (for waiters). */
  stable(): void
  /** Membership progress for instrumentation; absent when nobody listens. */
  readonly observe?: (event: GroupEvent) => void
  /** Told of heartbeats and rebalances (consumer metrics). */
  readonly metrics?: GroupMetricsSink | null
}

export interface Membership {
  readonly protocol: 'consumer' | 'classic'
  start(): void
  /** The identity commits must carry, or null while not a member. */
  identity(): MemberIdentity | null
  /** The subscription changed: tell the coordinator (KIP-848) or rejoin (classic). */
  subscriptionChanged(): void
  /** A commit said the member is fenced or stale: rejoin. */
  commitFenced(error: KafkaError): void
  /** Stops heartbeating; `leave` sends the leave (static members keep their place). */
  stop(leave: boolean, signal?: AbortSignal): Promise<void>
  /** Sends a heartbeat now (run()'s heartbeat()). */
  heartbeatNow(): Promise<void>
}

/**
 * The host's logger bound to a member id, made again only when the id changes (a classic member learns its id from
 * the first JoinGroup and loses it when fenced).
 */
export function memberLogger(base: Logger): (memberId: string) => Logger {
  let boundTo: string | null = null
  let bound = base
  return (memberId) => {
    if (memberId !== boundTo) {
      boundTo = memberId
      bound = memberId === '' ? base : clientLogger(base).child({ memberId })
    }
    return bound
  }
}
