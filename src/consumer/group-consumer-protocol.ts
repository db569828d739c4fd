/**
 * KIP-848 group membership: ConsumerGroupHeartbeat carries the subscription (names or a regex) and the partitions
 * this member owns; the broker runs the assignor and answers with the target assignment and a member epoch. The
 * client reconciles — revoke what left the target (committing first), take what is new — and reports the result
 * in the next heartbeat, sent at once so the broker can hand revoked partitions to their new owners. The member
 * id is generated here (KIP-1082) and kept across fencing, so the broker sees one member rejoining.
 */
import { randomUUID } from 'node:crypto'
import { type KafkaError, KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import { clientLogger, type Logger } from '../network/logging.js'
import type { Membership, MembershipHost } from './membership.js'
import { assignmentByName, diffAssignment, groupRequest, MembershipLoop, roundRequest, type RoundFailure } from './membership-loop.js'
import type { MemberIdentity } from './offsets.js'

const { UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, UNSUPPORTED_VERSION } = ErrorCodes

const LEAVE_EPOCH = -1
const STATIC_LEAVE_EPOCH = -2

/** A UUID as Kafka's Uuid.toString prints it: 22 characters of unpadded base64url. */
export function newMemberId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url')
}

export class ConsumerProtocolMembership implements Membership {
  readonly protocol = 'consumer' as const
  readonly #host: MembershipHost
  readonly memberId = newMemberId()
  memberEpoch = 0
  readonly #logger: Logger
  #intervalMs: number
  readonly #loop: MembershipLoop
  /** Set when the reported state changed (assignment reconciled, subscription changed): heartbeat without waiting. */
  #urgent = true
  #sentSubscription: string | null = null
  #onUnsupported: (() => void) | null

  constructor(host: MembershipHost, onUnsupported: (() => void) | null) {
    this.#host = host
    this.#intervalMs = host.heartbeatIntervalMs
    this.#onUnsupported = onUnsupported
    this.#logger = clientLogger(host.logger).child({ memberId: this.memberId })
    this.#loop = new MembershipLoop({ clock: host.clock, fatal: (error: KafkaError) => host.fatal(error), unreachableTimeoutMs: host.unreachableTimeoutMs, logger: this.#logger }, {
      round: () => this.#round(),
      failed: (error) => this.#failed(error),
      retryBackoffMs: () => Math.min(this.#intervalMs, 1000),
    })
  }

  identity(): MemberIdentity | null {
    if (this.memberEpoch <= 0) return null
    return { memberId: this.memberId, generationIdOrMemberEpoch: this.memberEpoch, groupInstanceId: this.#host.groupInstanceId }
  }

  start(): void {
    this.#loop.start()
  }

  subscriptionChanged(): void {
    this.#urgent = true
    this.#loop.wake()
  }

  commitFenced(): void {
    this.#urgent = true
    this.#loop.wake()
  }

  async heartbeatNow(): Promise<void> {
    // Heartbeats run on their own timer; nothing the application does can delay them, so this is a no-op.
  }

  async #round(): Promise<void> {
    await this.#heartbeat()
    if (!this.#urgent) await this.#loop.pause(this.#intervalMs)
  }

  async #failed(error: KafkaError): Promise<RoundFailure> {
    if (!(error instanceof KafkaProtocolError)) return 'retry'
    if (error.code === UNKNOWN_MEMBER_ID || error.code === FENCED_MEMBER_EPOCH) {
      this.#logger.info({ err: error }, 'fenced; rejoining with epoch 0')
      const lost = this.#host.owned()
      this.memberEpoch = 0
      this.#sentSubscription = null
      await this.#host.lose(lost)
      this.#urgent = true
      return 'rejoin'
    }
    // Before this member has joined, UNSUPPORTED_VERSION means the broker has no KIP-848 groups: hand over to classic.
    if (error.code === UNSUPPORTED_VERSION && this.memberEpoch === 0 && this.#onUnsupported) {
      this.#onUnsupported()
      return 'stop'
    }
    return 'retry'
  }

  async #heartbeat(): Promise<void> {
    this.#urgent = false
    const host = this.#host
    const { topics, pattern } = host.subscription()
    const subscriptionKey = pattern ? `re:${pattern.source}` : `names:${[...topics].sort().join(',')}`
    const full = this.memberEpoch === 0 || this.#sentSubscription !== subscriptionKey
    const owned = host.owned()
    if (pattern === null && topics.length > 0) await host.cluster.topicsOnce(topics, this.#loop.signal).catch(() => undefined)
    const byTopic = new Map<string, number[]>()
    for (const tp of owned) {
      const id = host.cluster.topic(tp.topic)?.topicId
      if (!id) continue
      let list = byTopic.get(id)
      if (!list) byTopic.set(id, (list = []))
      list.push(tp.partition)
    }
    const epochSent = this.memberEpoch
    const sentAt = host.clock.now()
    const response = await roundRequest(host, ApiKeys.ConsumerGroupHeartbeat,
      (version) => ({
        groupId: host.groupId,
        memberId: this.memberId,
        memberEpoch: epochSent,
        instanceId: host.groupInstanceId,
        rackId: full ? host.clientRack : null,
        rebalanceTimeoutMs: full ? host.rebalanceTimeoutMs : -1,
        subscribedTopicNames: full ? (pattern ? (version >= 1 ? null : []) : topics) : null,
        subscribedTopicRegex: full && pattern ? pattern.source : null,
        serverAssignor: full ? (host.groupRemoteAssignor ?? null) : null,
        topicPartitions: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
      }),
      { signal: this.#loop.signal },
    )
    if (!this.#loop.running) return
    this.#sentSubscription = subscriptionKey
    this.memberEpoch = response.memberEpoch
    if (response.heartbeatIntervalMs > 0) this.#intervalMs = response.heartbeatIntervalMs
    if (response.assignment) {
      const { partitions: target, unknownTopicIds } = await assignmentByName(host.cluster, response.assignment.topicPartitions)
      const { revoked, added } = diffAssignment(host.owned(), target)
      try {
        if (revoked.length > 0) await host.revoke(revoked)
        if (added.length > 0) await host.assign(added)
      } catch (error) {
        if (this.#loop.running) host.metrics?.rebalanceFailed()
        throw error
      }
      // A rebalance, for this member: from the heartbeat that brought a new assignment to having taken it.
      if (revoked.length > 0 || added.length > 0) host.metrics?.rebalanced(host.clock.now() - sentAt)
      if (unknownTopicIds.length > 0) this.#logger.warn({}, 'assignment names a topic id this client cannot resolve yet')
      this.#urgent = true
    } else if (this.memberEpoch > 0) {
      host.stable()
    }
  }

  async stop(leave: boolean, signal?: AbortSignal): Promise<void> {
    if (!this.#loop.running && this.memberEpoch === 0) return
    await this.#loop.halt()
    if (!leave || this.memberEpoch === 0) return
    const host = this.#host
    const epoch = host.groupInstanceId ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH
    try {
      await groupRequest(host, ApiKeys.ConsumerGroupHeartbeat,
        {
          groupId: host.groupId,
          memberId: this.memberId,
          memberEpoch: epoch,
          instanceId: host.groupInstanceId,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: null,
        },
        { signal, retry: { retries: 2 } },
      )
    } catch (error) {
      this.#logger.debug({ err: error }, 'leaving the group failed (the session timeout will expire the member)')
    } finally {
      this.memberEpoch = 0
    }
  }
}
