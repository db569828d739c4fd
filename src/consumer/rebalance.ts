/**
 * The consumer as a group member (the rebalance half of Java's ConsumerCoordinator, with its listener invoker): it
 * creates the membership — KIP-848, handing over to classic when the broker has no consumer groups — and carries
 * out what the membership decides. New partitions get their positions after `onAssigned`; revoked ones are
 * committed (auto-commit) after `onRevoked`, their in-process messages left uncommitted; lost ones are dropped
 * uncommitted after `onLost`; each change is a `rebalance` event. A manual `assign()` takes the same steps without
 * listener or events.
 *
 * Also maxPollIntervalMs in Node terms: heartbeats run on timers, so a member whose application is stuck (a handler
 * awaiting forever, a loop body that never returns) would otherwise keep its partitions while processing nothing.
 * When the application has held a message longer than maxPollIntervalMs, the member leaves the group (its
 * partitions count as lost: nothing in process gets committed) and rejoins when the application asks for the next
 * message.
 */
import type { KafkaError } from '../errors.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { channels, type RebalanceChannelEvent } from '../network/instrumentation.js'
import type { ClientLogger } from '../network/logging.js'
import type { Commits } from './commits.js'
import { ClassicMembership } from './group-classic.js'
import { ConsumerProtocolMembership } from './group-consumer-protocol.js'
import type { Membership, MembershipHost } from './membership.js'
import type { GroupMetricsSink } from './metrics.js'
import type { CallOptions } from './offsets.js'
import type { PartitionState } from './partition-state.js'
import type { Positions } from './positions.js'
import type { ConsumerOptions, GroupEvent, RebalanceEvent, RebalanceListener, TopicPartition } from './types.js'

type MemberOptions = Required<
  Pick<
    ConsumerOptions,
    | 'groupProtocol'
    | 'partitionAssignmentStrategy'
    | 'sessionTimeoutMs'
    | 'heartbeatIntervalMs'
    | 'maxPollIntervalMs'
    | 'defaultApiTimeoutMs'
    | 'enableAutoCommit'
  >
> &
  Pick<ConsumerOptions, 'groupInstanceId' | 'groupRemoteAssignor' | 'clientRack'>

export interface RebalanceHost {
  readonly cluster: Cluster
  readonly clock: Clock
  readonly logger: ClientLogger
  readonly clientId: string
  readonly groupId: string | null
  /** Connection purpose of this consumer's coordinator traffic. */
  readonly groupPurpose: string
  readonly options: MemberOptions
  readonly positions: Positions
  readonly commits: Commits | null
  subscription(): { topics: string[]; pattern: RegExp | null }
  /** Bounds of a commit on revoke. */
  commitCall(): CallOptions
  /** Partitions have positions: the fetcher may fetch. */
  fetchable(): void
  fail(error: KafkaError): void
  emit(event: RebalanceEvent): void
  /** The consumer is closing or closed: no rejoin. */
  closing(): boolean
  /** Membership progress, for instrumentation. */
  observe?(event: GroupEvent): void
  readonly metrics?: GroupMetricsSink | null
}

export class Rebalancer {
  listener: RebalanceListener = {}
  readonly #host: RebalanceHost
  #membership: Membership | null = null
  #pollTimer: ClockTimer | null = null
  /**
   * The poll clock. Messages are handed out far more often than the clock can be read cheaply (a clock read costs
   * ~10 % of a message's delivery here), so handing out only counts, and the periodic check stamps the time when it
   * sees the count moved: the stamp is at or after the real hand-over, so a hold is measured short by at most one
   * check interval — a member may leave up to that much late, never early.
   */
  #handouts = 0
  #handoutsSeen = 0
  #holdingSince: number
  /** The application holds a message (between handing it out and the next request): the poll clock runs. */
  #appBusy = false
  /** Set when maxPollIntervalMs passed: the member left the group and rejoins at the next poll. */
  #leftForPollTimeout: Promise<void> | null = null

  constructor(host: RebalanceHost) {
    this.#host = host
    this.#holdingSince = host.clock.now()
  }

  /** The membership (null until subscribe()); it may be replaced once, by the hand-over to classic. */
  get membership(): Membership | null {
    return this.#membership
  }

  /** Joins the group, and starts checking the poll interval. */
  join(): void {
    const host = this.#host
    this.#membership = this.#createMembership(host.options.groupProtocol)
    this.#membership.start()
    const every = Math.max(100, Math.min(1000, host.options.maxPollIntervalMs / 4))
    this.#pollTimer = host.clock.setInterval(() => this.#checkPollInterval(), every)
    this.#pollTimer.unref?.()
  }

  #createMembership(protocol: 'consumer' | 'classic'): Membership {
    const host = this.#membershipHost()
    const strategy = this.#host.options.partitionAssignmentStrategy
    if (protocol === 'classic') return new ClassicMembership(host, strategy)
    return new ConsumerProtocolMembership(host, () => {
      this.#host.logger.info({}, 'the broker has no KIP-848 consumer groups; using the classic protocol')
      this.#membership = new ClassicMembership(host, strategy)
      this.#membership.start()
    })
  }

  #membershipHost(): MembershipHost {
    const { cluster, clock, logger, options, positions } = this.#host
    return {
      cluster,
      clock,
      logger,
      groupId: this.#host.groupId!,
      groupPurpose: this.#host.groupPurpose,
      groupInstanceId: options.groupInstanceId ?? null,
      groupRemoteAssignor: options.groupRemoteAssignor ?? null,
      clientRack: options.clientRack ?? null,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      rebalanceTimeoutMs: options.maxPollIntervalMs,
      unreachableTimeoutMs: options.defaultApiTimeoutMs,
      subscription: () => this.#host.subscription(),
      owned: () => positions.assignment(),
      assign: (partitions) => this.add(partitions, true),
      revoke: (partitions) => this.remove(partitions, 'revoked'),
      lose: (partitions) => this.remove(partitions, 'lost'),
      fatal: (error) => this.#host.fail(error),
      // Waiters on the assignment re-check once the group is stable.
      stable: () => positions.progressed(),
      observe: this.#host.observe ? (event) => this.#host.observe!(event) : undefined,
      metrics: this.#host.metrics ?? null,
    }
  }

  /** Partitions join the assignment: positions are found (committed offset or reset), then fetching starts. */
  async add(partitions: TopicPartition[], fromGroup: boolean): Promise<void> {
    if (partitions.length === 0) return
    const host = this.#host
    const topics = [...new Set(partitions.map((p) => p.topic))]
    await host.cluster.topics(topics)
    const added = host.positions.add(partitions)
    if (fromGroup) {
      try {
        await this.listener.onAssigned?.(partitions)
      } catch (error) {
        host.logger.error({ err: error }, 'onAssigned threw')
      }
      this.#announce('assigned', partitions)
    }
    await host.positions.init(added)
    host.positions.progressed()
    host.fetchable()
  }

  /** Partitions leave the assignment: `revoked` commits what was processed first, `lost` and manual do not. */
  async remove(partitions: TopicPartition[], reason: 'revoked' | 'lost' | null): Promise<void> {
    if (partitions.length === 0) return
    const host = this.#host
    const states = partitions.map((p) => host.positions.get(p.topic, p.partition)).filter((s): s is PartitionState => s !== undefined)
    if (reason === 'revoked') {
      try {
        await this.listener.onRevoked?.(partitions)
      } catch (error) {
        host.logger.error({ err: error }, 'onRevoked threw')
      }
      // In-process messages of these partitions stay uncommitted: their handlers have not finished.
      if (host.commits && host.options.enableAutoCommit) {
        await host.commits.commitProcessed(states, host.commitCall()).catch((error: unknown) => host.logger.warn({ err: error }, 'commit on revoke failed'))
      }
    } else if (reason === 'lost') {
      try {
        await this.listener.onLost?.(partitions)
      } catch (error) {
        host.logger.error({ err: error }, 'onLost threw')
      }
    }
    host.positions.remove(states)
    if (reason) this.#announce(reason, partitions)
  }

  #announce(type: RebalanceEvent['type'], partitions: TopicPartition[]): void {
    this.#host.emit({ type, partitions })
    const logger = this.#host.logger
    if (logger.enabled('info')) {
      const byTopic: Record<string, number[]> = {}
      for (const p of partitions) (byTopic[p.topic] ??= []).push(p.partition)
      logger.info({ memberId: this.#membership?.identity()?.memberId || null, partitions: byTopic }, `partitions ${type}`)
    }
    if (!channels.rebalance.hasSubscribers) return
    channels.rebalance.publish({
      clientId: this.#host.clientId,
      groupId: this.#host.groupId,
      memberId: this.#membership?.identity()?.memberId || null,
      type,
      partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
    } satisfies RebalanceChannelEvent)
  }

  // ---- maxPollIntervalMs ----

  /** The application asked for more: the poll clock stops (waiting for data is not holding a message). */
  polled(): void {
    this.#appBusy = false
  }

  /** The application holds a message: the poll clock runs from here. */
  handedOut(): void {
    this.#appBusy = true
    this.#handouts++
  }

  /** The leave for the poll interval, while the member has left and must rejoin before delivering more. */
  get leftForPollTimeout(): Promise<void> | null {
    return this.#leftForPollTimeout
  }

  #checkPollInterval(): void {
    const now = this.#host.clock.now()
    if (this.#handouts !== this.#handoutsSeen) {
      this.#handoutsSeen = this.#handouts
      this.#holdingSince = now
    }
    if (!this.#membership || this.#leftForPollTimeout || this.#host.closing() || !this.#appBusy) return
    const held = now - this.#holdingSince
    if (held <= this.#host.options.maxPollIntervalMs) return
    this.#host.logger.warn({ heldMs: held }, 'maxPollIntervalMs exceeded: leaving the group until the application polls again')
    this.#leftForPollTimeout = this.#membership
      .stop(true)
      .then(() => this.remove(this.#host.positions.assignment(), 'lost'))
      .catch((error: unknown) => this.#host.logger.warn({ err: error }, 'leaving after maxPollIntervalMs failed'))
  }

  /** After a leave for the poll interval: waits for the leave to finish, then joins again (unless closing). */
  async rejoinIfLeft(): Promise<void> {
    const leaving = this.#leftForPollTimeout
    if (!leaving) return
    await leaving
    this.#leftForPollTimeout = null
    if (!this.#host.closing()) this.#membership?.start()
  }

  stopPollCheck(): void {
    this.#host.clock.clearInterval(this.#pollTimer)
  }
}
