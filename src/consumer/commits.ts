/**
 * Commits (the commit half of Java's ConsumerCoordinator): what the application finished — each partition's
 * processed offset — written to the group with OffsetCommit, on request (sync or async), on the auto-commit
 * interval, on revoke and at close. A commit carries the member's current identity; while the member is still
 * joining it waits for one, and a commit fenced by a rebalance tells the membership and tries again with the next
 * epoch, under the call's one budget.
 */
import { KafkaError, KafkaProtocolError } from '../errors.js'
import { sleep } from '../network/abort.js'
import type { Clock, ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import type { Logger } from '../network/instrumentation.js'
import { ErrorCodes } from '../protocol/index.js'
import type { Membership } from './membership.js'
import type { GroupMetricsSink } from './metrics.js'
import { type CallOptions, commitOffsets } from './offsets.js'
import type { PartitionState } from './partition-state.js'
import type { CommitEvent, TopicPartitionOffset } from './types.js'

const FENCING_CODES = new Set<number>([
  ErrorCodes.ILLEGAL_GENERATION,
  ErrorCodes.UNKNOWN_MEMBER_ID,
  ErrorCodes.FENCED_MEMBER_EPOCH,
  ErrorCodes.STALE_MEMBER_EPOCH,
  ErrorCodes.REBALANCE_IN_PROGRESS,
])

/** How often a commit made while the member is still joining looks again for its identity. */
const IDENTITY_WAIT_MS = 100

export interface CommitsHost {
  readonly cluster: Cluster
  readonly clock: Clock
  readonly logger: Logger
  readonly groupId: string
  /** Connection purpose of this consumer's coordinator traffic. */
  readonly purpose: string
  /** The membership whose identity commits carry; null for standalone commits (assign(), no subscription). */
  membership(): Membership | null
  /** A listener for accepted commits while someone listens, else null. */
  commitObserver?(): ((event: CommitEvent) => void) | null
  /** Told how long each accepted OffsetCommit took. */
  readonly metrics?: GroupMetricsSink | null
}

export class Commits {
  readonly #host: CommitsHost
  #autoCommitTimer: ClockTimer | null = null

  constructor(host: CommitsHost) {
    this.#host = host
  }

  /** Commits the processed offset of each of `states` that moved since its last commit. */
  async commitProcessed(states: Iterable<PartitionState>, call: CallOptions, options: { onlyWithIdentity?: boolean } = {}): Promise<void> {
    const list: Array<TopicPartitionOffset & { state: PartitionState }> = []
    for (const s of states) {
      if (s.processed !== null && s.processed !== s.lastCommitted) list.push({ topic: s.topic, partition: s.partition, offset: s.processed, leaderEpoch: s.processedEpoch, state: s })
    }
    if (list.length === 0) return
    if (!(await this.commit(list, call, options))) return
    for (const item of list) item.state.lastCommitted = item.offset
  }

  /**
   * One commit under one budget: each attempt commits once with the member's current identity; while the member
   * has none (joining) or the coordinator says its epoch moved on (the next heartbeat brings the new one), the
   * budget backs off and tries again. With `onlyWithIdentity` (the periodic auto-commit) a member still joining
   * commits nothing (false): a commit that waited out a rebalance would carry offsets older than a commit made
   * meanwhile (close()'s final one) and could land after it, moving the group's offsets back.
   */
  async commit(offsets: TopicPartitionOffset[], call: CallOptions, options: { onlyWithIdentity?: boolean } = {}): Promise<boolean> {
    const host = this.#host
    const target = { kind: 'coordinator', type: 'group', key: host.groupId } as const
    return host.cluster.withBudget(call, (budget) =>
      budget.run(
        async () => {
          // Without a membership (assign() or no subscription) commits are standalone: no generation, no member id.
          // Asked afresh each time: a KIP-848 membership may hand over to a classic one meanwhile.
          const identityNow = () => {
            const membership = host.membership()
            return membership ? membership.identity() : { memberId: '', generationIdOrMemberEpoch: -1, groupInstanceId: null }
          }
          let identity = identityNow()
          if (identity === null && options.onlyWithIdentity) return false
          // A member still joining has no identity yet: wait for it (not an attempt), as long as the budget allows.
          while (identity === null) {
            await sleep(IDENTITY_WAIT_MS, budget.signal, host.clock)
            identity = identityNow()
          }
          try {
            const startedAt = host.metrics ? performance.now() : 0
            await commitOffsets(host.cluster, host.groupId, offsets, identity, { budget }, host.purpose)
            host.metrics?.committed(performance.now() - startedAt)
            host.commitObserver?.()?.({ memberId: identity.memberId, generationId: identity.generationIdOrMemberEpoch, offsets })
            return true
          } catch (error) {
            const membership = host.membership()
            if (!(error instanceof KafkaProtocolError && FENCING_CODES.has(error.code) && membership)) throw error
            membership.commitFenced(error)
            throw new KafkaError(`Commit fenced (${error.errorName}): retrying with the member's next epoch`, { retriable: true, cause: error })
          }
        },
        (error) => host.cluster.handleRetriableError(error, target),
      ),
    )
  }

  /** Every `intervalMs`, commits what `states()` has processed by then. */
  startAutoCommit(intervalMs: number, states: () => Iterable<PartitionState>, call: () => CallOptions): void {
    if (this.#autoCommitTimer) return
    this.#autoCommitTimer = this.#host.clock.setInterval(() => {
      // One attempt, as Java's asynchronous auto-commit: a retry landing after a newer commit (the next tick's, or
      // close()'s final one) would move the group's offsets back. The next tick commits what is processed by then.
      void this.commitProcessed(states(), { ...call(), retry: { retries: 0 } }, { onlyWithIdentity: true }).catch((error: unknown) =>
        error instanceof KafkaError && error.retriable
          ? this.#host.logger.debug({ err: error }, 'auto-commit failed; the next one follows in autoCommitIntervalMs')
          : this.#host.logger.warn({ err: error }, 'auto-commit failed'),
      )
    }, intervalMs)
    this.#autoCommitTimer.unref?.()
  }

  stopAutoCommit(): void {
    this.#host.clock.clearInterval(this.#autoCommitTimer)
    this.#autoCommitTimer = null
  }
}
