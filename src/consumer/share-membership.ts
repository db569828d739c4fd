/**
 * Share-group membership (KIP-932): ShareGroupHeartbeat carries the subscription and the broker answers with the
 * member epoch, the heartbeat interval and, when it changed, the whole assignment. There is nothing to reconcile or
 * revoke: several members may be assigned the same partition and records are handed out one acquisition at a time,
 * so a new assignment simply replaces the old one. The member id is generated here (as KIP-1082 does for consumer
 * groups) and kept across fencing, so the broker sees one member rejoining.
 */
import { type KafkaError, KafkaProtocolError } from '../errors.js'
import type { Clock } from '../network/clock.js'
import { clientLogger, type Logger } from '../network/logging.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import { newMemberId } from './group-consumer-protocol.js'
import type { GroupCluster } from './membership.js'
import { assignmentByName, type GroupRequestHost, groupRequest, MembershipLoop, roundRequest, type RoundFailure } from './membership-loop.js'
import type { TopicPartition } from './types.js'

const { UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH } = ErrorCodes

const LEAVE_EPOCH = -1
/** Until the broker says otherwise (its share.heartbeat.interval.ms default). */
const INITIAL_HEARTBEAT_INTERVAL_MS = 5000

export interface ShareMembershipHost {
  readonly cluster: GroupCluster
  /** Heartbeat intervals, retry backoff and the unreachable timeout run on it. */
  readonly clock: Clock
  readonly logger: Logger
  readonly groupId: string
  readonly clientRack: string | null
  /** Connection purpose for the heartbeats, so a long ShareFetch poll never delays one. */
  readonly purpose: string
  subscription(): string[]
  /** The whole assignment the broker gave this member (empty when fenced or left). */
  assigned(partitions: TopicPartition[]): void
  /** How long every heartbeat may fail in a row before that is fatal (see MembershipHost). */
  readonly unreachableTimeoutMs?: number
  /** The membership cannot continue; the application must see this error. */
  fatal(error: KafkaError): void
  /** Told of heartbeats (share consumer metrics). */
  readonly metrics?: { heartbeat(responseTimeMs: number): void } | null
}

export class ShareMembership {
  readonly memberId = newMemberId()
  memberEpoch = 0
  readonly #host: ShareMembershipHost
  readonly #logger: Logger
  readonly #coordinator: GroupRequestHost
  readonly #loop: MembershipLoop
  #intervalMs = INITIAL_HEARTBEAT_INTERVAL_MS
  #sentSubscription: string | null = null
  /** Set when the subscription changed (or the member was fenced): heartbeat without waiting. */
  #urgent = true

  constructor(host: ShareMembershipHost) {
    this.#host = host
    this.#coordinator = { cluster: host.cluster, groupId: host.groupId, groupPurpose: host.purpose, metrics: host.metrics ?? null }
    this.#logger = clientLogger(host.logger).child({ memberId: this.memberId })
    this.#loop = new MembershipLoop({ clock: host.clock, fatal: (error) => host.fatal(error), unreachableTimeoutMs: host.unreachableTimeoutMs, logger: this.#logger }, {
      round: () => this.#round(),
      failed: (error) => this.#failed(error),
      retryBackoffMs: () => Math.min(this.#intervalMs, 1000),
    })
  }

  get running(): boolean {
    return this.#loop.running
  }

  start(): void {
    this.#loop.start()
  }

  subscriptionChanged(): void {
    this.#urgent = true
    this.#loop.wake()
  }

  async #round(): Promise<void> {
    await this.#heartbeat()
    if (!this.#urgent) await this.#loop.pause(this.#intervalMs)
  }

  #failed(error: KafkaError): RoundFailure {
    if (error instanceof KafkaProtocolError && (error.code === UNKNOWN_MEMBER_ID || error.code === FENCED_MEMBER_EPOCH)) {
      this.#logger.info({ err: error }, 'share member fenced; rejoining with epoch 0')
      this.memberEpoch = 0
      this.#sentSubscription = null
      this.#urgent = true
      this.#host.assigned([])
      return 'rejoin'
    }
    return 'retry'
  }

  async #heartbeat(): Promise<void> {
    this.#urgent = false
    const host = this.#host
    const topics = host.subscription()
    const subscriptionKey = [...topics].sort().join(',')
    const full = this.memberEpoch === 0 || this.#sentSubscription !== subscriptionKey
    // Topic ids in the assignment are resolved through the metadata cache, so make sure it knows the topics.
    if (full && topics.length > 0) await host.cluster.topicsOnce(topics, this.#loop.signal).catch(() => undefined)
    const response = await roundRequest(this.#coordinator, ApiKeys.ShareGroupHeartbeat,
      {
        groupId: host.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        rackId: full ? host.clientRack : null,
        subscribedTopicNames: full ? topics : null,
      },
      { signal: this.#loop.signal },
    )
    if (!this.#loop.running) return
    this.#sentSubscription = subscriptionKey
    this.memberEpoch = response.memberEpoch
    if (response.heartbeatIntervalMs > 0) this.#intervalMs = response.heartbeatIntervalMs
    if (!response.assignment) return
    const { partitions, unknownTopicIds } = await assignmentByName(host.cluster, response.assignment.topicPartitions)
    for (const topicId of unknownTopicIds) {
      this.#logger.warn({ topicId }, 'share assignment names a topic id this client cannot resolve yet')
      // Ask again soon: the next full heartbeat brings the assignment back once metadata knows the topic.
      this.#sentSubscription = null
    }
    host.assigned(partitions)
  }

  /** Stops heartbeating; with `leave`, tells the coordinator (epoch -1) so the member's records are freed now. */
  async stop(leave: boolean, signal?: AbortSignal): Promise<void> {
    if (!this.#loop.running && this.memberEpoch === 0) return
    await this.#loop.halt()
    if (!leave || this.memberEpoch === 0) return
    try {
      await groupRequest(this.#coordinator, ApiKeys.ShareGroupHeartbeat,
        { groupId: this.#host.groupId, memberId: this.memberId, memberEpoch: LEAVE_EPOCH, rackId: null, subscribedTopicNames: null },
        // A moved or loading coordinator is retried, as the KIP-848 leave is; anything else is only logged below.
        { signal, retry: { retries: 2 } },
      )
    } catch (error) {
      this.#logger.debug({ err: error }, 'leaving the share group failed (the session timeout will expire the member)')
    } finally {
      this.memberEpoch = 0
    }
  }
}
