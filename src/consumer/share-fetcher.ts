/**
 * The share consumer's fetching (Java's ShareConsumeRequestManager): a round sends one ShareFetch to each leader of
 * an assigned partition, carrying the acknowledgements owed to it, and turns the records in the acquired ranges
 * into messages (acquired offsets without a record are acknowledged as gaps). Rounds are pulled by the application:
 * nothing is acquired ahead of what the iterator asks for. Failed rounds back off (KIP-580); an idle round (no
 * assignment, no leader) waits on the clock until an assignment, an error or close() ends the wait. Also the
 * ShareAcknowledge requests, for `commit()`, renewals and `close()` (which ends every session).
 */
import { KafkaError, KafkaProtocolError, ProtocolDecodeError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { Clock } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import type { Logger } from '../network/instrumentation.js'
import { ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import type { ShareFetchResponse, ShareFetchResponsePartitionData } from '../protocol/generated/ShareFetchResponse.js'
import { decodeRecordBatchesAsync, type Header } from '../records/index.js'
import { partitionKey } from './partition-state.js'
import { request } from './request.js'
import type { ShareConsumerMetrics } from './share-metrics.js'
import {
  ACK_GAP,
  ACK_RENEW,
  FINAL_EPOCH,
  INITIAL_EPOCH,
  locked,
  mergeRanges,
  newSession,
  nextEpoch,
  type PendingAcknowledgements,
  type PendingAcks,
  RENEW_AND_ACQUIRE_MODE_VERSION,
  resetSession,
  type SessionPartition,
  type ShareSession,
} from './share-session.js'
import type { TopicPartition } from './types.js'

const { UNSUPPORTED_VERSION, UNKNOWN_MEMBER_ID, SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH } = ErrorCodes

/**
 * Java's share.acquire.mode (KIP-1206). `batch_optimized` lets the leader hand out whole record batches, so one
 * ShareFetch may acquire more than `maxPollRecords`; `record_limit` (Kafka 4.2+) makes `maxPollRecords` a hard limit.
 */
export type ShareAcquireMode = 'batch_optimized' | 'record_limit'
const ACQUIRE_MODE_CODES: Record<ShareAcquireMode, number> = { batch_optimized: 0, record_limit: 1 }

export function isAcquireMode(mode: string): mode is ShareAcquireMode {
  return Object.hasOwn(ACQUIRE_MODE_CODES, mode)
}

/** What one `commit()` achieved for a partition: `error` is null when the leader took every acknowledgement. */
export interface ShareAcknowledgementResult {
  topic: string
  partition: number
  error: KafkaProtocolError | null
}

export interface ShareFetcherOptions {
  maxPollRecords: number
  acquireMode: ShareAcquireMode
  fetchMaxWaitMs: number
  fetchMinBytes: number
  fetchMaxBytes: number
  checkCrcs: boolean
  /** Connection purpose for the fetches: the member's own, so its long polls hold up nobody else's. */
  purpose: string
}

export interface ShareFetcherHost {
  readonly cluster: Cluster
  readonly clock: Clock
  readonly logger: Logger
  readonly groupId: string
  memberId(): string
  assignment(): TopicPartition[]
  closed(): boolean
  fatal(): KafkaError | null
  fail(error: KafkaError): void
  /** Absent where a test scripts the cluster. */
  readonly metrics?: ShareConsumerMetrics | null
  /** A record inside an acquired range, for the application. */
  received(topic: string, partition: number, offset: bigint, timestamp: number, key: Buffer | null, value: Buffer | null, headers: Header[], deliveryCount: number): void
}

export class ShareFetcher {
  readonly #host: ShareFetcherHost
  readonly #cluster: Cluster
  readonly #logger: Logger
  readonly #pending: PendingAcknowledgements
  readonly #maxPollRecords: number
  readonly #acquireMode: ShareAcquireMode
  readonly #fetchMaxWaitMs: number
  readonly #fetchMinBytes: number
  readonly #fetchMaxBytes: number
  readonly #checkCrcs: boolean
  readonly #purpose: string
  readonly #sessions = new Map<number, ShareSession>()
  /** Fetch rounds that failed in a row (for the backoff). */
  #failedRounds = 0
  #wake: (() => void) | null = null
  /** record_limit mode fetches from one leader per round; this picks whose turn it is. */
  #recordLimitTurn = 0
  #acquisitionLockTimeoutMs: number | null = null

  constructor(host: ShareFetcherHost, options: ShareFetcherOptions, pending: PendingAcknowledgements) {
    this.#host = host
    this.#cluster = host.cluster
    this.#logger = host.logger
    this.#pending = pending
    this.#maxPollRecords = options.maxPollRecords
    this.#acquireMode = options.acquireMode
    this.#fetchMaxWaitMs = options.fetchMaxWaitMs
    this.#fetchMinBytes = options.fetchMinBytes
    this.#fetchMaxBytes = options.fetchMaxBytes
    this.#checkCrcs = options.checkCrcs
    this.#purpose = options.purpose
  }

  /** The acquisition lock duration the leaders last reported (null before the first answer). */
  get acquisitionLockTimeoutMs(): number | null {
    return this.#acquisitionLockTimeoutMs
  }

  /** Ends an idle or backoff wait now: an assignment arrived, an error stopped the consumer, or it is closing. */
  wake(): void {
    this.#wake?.()
  }

  #noteLockTimeout(ms: number | undefined): void {
    if (ms !== undefined && ms > 0) this.#acquisitionLockTimeoutMs = ms
  }

  /** A wait that `wake()` ends early. */
  #sleep(ms: number): Promise<void> {
    const clock = this.#host.clock
    return new Promise((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer)
        if (this.#wake === done) this.#wake = null
        resolve()
      }
      const timer = clock.setTimeout(done, ms)
      this.#wake = done
    })
  }

  /** One ShareFetch to each leader of an assigned partition (and each leader owed acknowledgements). */
  async fetchRound(): Promise<void> {
    if (this.#host.assignment().length === 0) {
      await this.sendAcknowledgements(false).catch(() => undefined)
      if (!this.#host.closed() && !this.#host.fatal()) await this.#sleep(this.#fetchMaxWaitMs)
      return
    }
    const byNode = new Map<number, SessionPartition[]>()
    for (const tp of this.#host.assignment()) {
      try {
        const leader = await this.#cluster.leaderFor(tp.topic, tp.partition)
        const topicId = this.#cluster.topic(tp.topic)?.topicId
        if (!topicId) continue
        let list = byNode.get(leader.nodeId)
        if (!list) byNode.set(leader.nodeId, (list = []))
        list.push({ topic: tp.topic, topicId, partition: tp.partition })
      } catch (error) {
        this.#logger.debug({ err: error, topic: tp.topic, partition: tp.partition }, 'share consumer: no leader yet')
      }
    }
    // Sessions on brokers that no longer lead anything of ours still have partitions to forget.
    for (const nodeId of this.#sessions.keys()) if (!byNode.has(nodeId)) byNode.set(nodeId, [])
    if (byNode.size === 0) {
      await this.#sleep(Math.min(this.#fetchMaxWaitMs, 200))
      return
    }
    const fetchingNode = this.#recordLimitNode(byNode)
    const targets = [...byNode]
    const results = await Promise.allSettled(targets.map(([nodeId, wanted]) => {
      const session = this.#session(nodeId)
      // record_limit promises at most maxPollRecords per round, so the other leaders only get their acknowledgements.
      if (fetchingNode !== null && nodeId !== fetchingNode && wanted.length > 0) return this.#acknowledgeOnly(session).then(() => false)
      return this.#fetchFrom(session, wanted)
    }))
    let backOff = false
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        backOff ||= r.value
        return
      }
      backOff = true
      const error = r.reason instanceof KafkaError ? r.reason : new KafkaError(String(r.reason), { cause: r.reason })
      if (error instanceof KafkaProtocolError && !error.retriable) {
        this.#host.fail(error)
        return
      }
      this.#logger.debug({ err: error }, 'share fetch failed; retrying')
      // A leader that cannot be reached (killed, partitioned) stays the cached leader until metadata says otherwise:
      // ask, or every round would go back to the dead broker.
      const [, wanted] = targets[i]!
      for (const topic of new Set(wanted.map((p) => p.topic))) this.#cluster.handleRetriableError(error, { kind: 'leader', topic, partition: wanted.find((p) => p.topic === topic)!.partition })
    })
    // KIP-580 backoff, as the request policy's: grows while rounds keep failing, back to the start after one works.
    if (backOff) this.#failedRounds++
    else this.#failedRounds = 0
    if (backOff && !this.#host.closed() && !this.#host.fatal()) await this.#sleep(backoffDelayMs(this.#failedRounds - 1, this.#cluster.retryOptions))
  }

  /** In record_limit mode, the one leader (of those with partitions to fetch) this round fetches from, in turn. */
  #recordLimitNode(byNode: Map<number, SessionPartition[]>): number | null {
    if (this.#acquireMode !== 'record_limit') return null
    const candidates = [...byNode].filter(([, wanted]) => wanted.length > 0).map(([nodeId]) => nodeId).sort((a, b) => a - b)
    if (candidates.length <= 1) return null
    return candidates[this.#recordLimitTurn++ % candidates.length]!
  }

  /** ShareAcknowledge for whatever this session's partitions owe, without fetching. */
  #acknowledgeOnly(session: ShareSession): Promise<void> {
    return locked(session, async () => {
      if (this.#host.closed() || session.epoch === INITIAL_EPOCH) return
      const owed = [...this.#pending.keys()].filter((k) => session.partitions.has(k))
      if (owed.length === 0) return
      for (const r of await this.#acknowledgeOn(session, owed, false)) {
        if (r.error) this.#logger.warn({ topic: r.topic, partition: r.partition, err: r.error }, 'share acknowledgement refused by the leader')
      }
    })
  }

  #session(nodeId: number): ShareSession {
    let session = this.#sessions.get(nodeId)
    if (!session) this.#sessions.set(nodeId, (session = newSession(nodeId)))
    return session
  }

  /** Resolves true when the caller should back off before the next round. */
  #fetchFrom(session: ShareSession, wanted: SessionPartition[]): Promise<boolean> {
    return locked(session, async () => {
      if (this.#host.closed()) return false
      const wantedKeys = new Map(wanted.map((p) => [partitionKey(p.topic, p.partition), p]))
      // Acknowledgements for partitions this session will not fetch (no longer assigned here) go on their own, and so
      // do renewals: a ShareFetch carrying one must not fetch (the broker skips the fetch and wants its limits at 0).
      if (session.epoch !== INITIAL_EPOCH) {
        const separately = [...this.#pending.keys()].filter((k) => session.partitions.has(k) && (!wantedKeys.has(k) || this.#pending.hasRenewal(k)))
        if (separately.length > 0) await this.#acknowledgeOn(session, separately, false)
      }
      const full = session.epoch === INITIAL_EPOCH
      // A new session cannot carry acknowledgements (the broker refuses them at epoch 0): they wait for the next request.
      const acks: PendingAcks[] = []
      const listed = new Map<string, { partition: SessionPartition; acks: PendingAcks | undefined }>()
      for (const [key, p] of wantedKeys) {
        const pending = full ? undefined : this.#pending.take(key)
        if (pending) acks.push(pending)
        if (full || pending || !session.partitions.has(key)) listed.set(key, { partition: p, acks: pending })
      }
      const forgotten = full ? [] : [...session.partitions].filter(([key]) => !wantedKeys.has(key)).map(([, p]) => p)
      if (listed.size === 0 && forgotten.length === 0 && session.partitions.size === 0) return false
      const topics = new Map<string, Array<{ partitionIndex: number; acknowledgementBatches: ReturnType<typeof mergeRanges> }>>()
      for (const { partition, acks: pending } of listed.values()) {
        let list = topics.get(partition.topicId)
        if (!list) topics.set(partition.topicId, (list = []))
        list.push({ partitionIndex: partition.partition, acknowledgementBatches: pending ? mergeRanges(pending.ranges) : [] })
      }
      const forgottenByTopic = new Map<string, number[]>()
      for (const p of forgotten) {
        let list = forgottenByTopic.get(p.topicId)
        if (!list) forgottenByTopic.set(p.topicId, (list = []))
        list.push(p.partition)
      }
      const epochSent = session.epoch
      const acquireMode = this.#acquireMode
      let response: ShareFetchResponse
      const startedAt = performance.now()
      try {
        response = await request(this.#cluster, { kind: 'node', nodeId: session.nodeId }, ApiKeys.ShareFetch, (version) => {
          if (acquireMode === 'record_limit' && version < RENEW_AND_ACQUIRE_MODE_VERSION) {
            throw errorFromCode(UNSUPPORTED_VERSION, 'ShareFetch', `shareAcquireMode 'record_limit' needs ShareFetch v2 (Kafka 4.2+); broker ${session.nodeId} speaks v${version}`)!
          }
          return {
            groupId: this.#host.groupId,
            memberId: this.#host.memberId(),
            shareSessionEpoch: epochSent,
            maxWaitMs: this.#fetchMaxWaitMs,
            minBytes: this.#fetchMinBytes,
            maxBytes: this.#fetchMaxBytes,
            maxRecords: this.#maxPollRecords,
            batchSize: this.#maxPollRecords,
            shareAcquireMode: ACQUIRE_MODE_CODES[acquireMode],
            topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
            forgottenTopicsData: [...forgottenByTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
          }
        }, { purpose: this.#purpose, retry: { retries: 0 } })
      } catch (error) {
        // The request may or may not have reached the broker: start a new session rather than guess the epoch.
        this.#pending.restore(acks)
        resetSession(session)
        throw error
      }
      if (response.errorCode !== 0) {
        this.#pending.restore(acks)
        if (response.errorCode === SHARE_SESSION_NOT_FOUND || response.errorCode === INVALID_SHARE_SESSION_EPOCH) {
          this.#logger.info({ nodeId: session.nodeId, errorCode: response.errorCode }, 'share session lost; opening a new one')
          resetSession(session)
          return false
        }
        // The member was removed from the group between heartbeats: the heartbeat loop rejoins under the same id,
        // and the next session is opened for the new membership. Not the application's problem.
        if (response.errorCode === UNKNOWN_MEMBER_ID) {
          this.#logger.info({ nodeId: session.nodeId }, 'share fetch: member unknown to the leader; waiting for the rejoin')
          resetSession(session)
          return true
        }
        throw errorFromCode(response.errorCode, 'ShareFetch', response.errorMessage) ?? new KafkaError(`ShareFetch failed with ${response.errorCode}`)
      }
      session.epoch = nextEpoch(epochSent)
      this.#noteLockTimeout(response.acquisitionLockTimeoutMs)
      for (const { partition } of listed.values()) session.partitions.set(partitionKey(partition.topic, partition.partition), partition)
      for (const p of forgotten) session.partitions.delete(partitionKey(p.topic, p.partition))
      await this.#handleFetchResponse(session, response, performance.now() - startedAt, acks)
      return false
    })
  }

  async #handleFetchResponse(session: ShareSession, response: ShareFetchResponse, latencyMs: number, acks: PendingAcks[]): Promise<void> {
    let fatal: KafkaError | null = null
    let bytes = 0
    let records = 0
    let refused = 0
    for (const t of response.responses) {
      const topic = this.#cluster.topicNameById(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) {
        bytes += p.records?.length ?? 0
        if (p.acknowledgeErrorCode !== 0) {
          this.#logger.warn({ topic, partition: p.partitionIndex, errorCode: p.acknowledgeErrorCode }, 'share acknowledgement refused by the leader')
          refused += acknowledgedOffsets(acks, topic, p.partitionIndex)
        }
        if (p.errorCode !== 0) {
          const error = errorFromCode(p.errorCode, `${topic}-${p.partitionIndex}`, p.errorMessage) ?? new KafkaError(`ShareFetch ${topic}-${p.partitionIndex} failed with ${p.errorCode}`)
          if (!error.retriable) {
            fatal ??= error
            continue
          }
          // Leadership moved (or the partition is not ready): refresh routing and fetch it from its new leader.
          const moved = p.currentLeader.leaderId >= 0 && this.#cluster.applyLeaderHint(topic, p.partitionIndex, p.currentLeader.leaderId, p.currentLeader.leaderEpoch)
          if (!moved) this.#cluster.handleRetriableError(error, { kind: 'leader', topic, partition: p.partitionIndex })
          session.partitions.delete(partitionKey(topic, p.partitionIndex))
          continue
        }
        if (p.acquiredRecords.length > 0) records += await this.#deliver(topic, p)
      }
    }
    const metrics = this.#host.metrics
    if (metrics) {
      metrics.fetched(latencyMs, bytes, records, response.throttleTimeMs)
      metrics.acknowledged(acknowledgedOffsets(acks), refused)
    }
    if (fatal) throw fatal
  }

  /**
   * Buffers the records inside the acquired ranges; acquired offsets with no record (control, compacted) are gaps.
   * Resolves to the number of records buffered.
   */
  async #deliver(topic: string, data: ShareFetchResponsePartitionData): Promise<number> {
    let delivered = 0
    const ranges = [...data.acquiredRecords].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
    let previousLast = -1n
    for (const r of ranges) {
      if (r.firstOffset < 0n || r.lastOffset < r.firstOffset || r.firstOffset <= previousLast || r.deliveryCount < 1) {
        throw new ProtocolDecodeError(`ShareFetch ${topic}-${data.partitionIndex}: invalid acquired range ${r.firstOffset}..${r.lastOffset} (delivery count ${r.deliveryCount})`, { apiName: 'ShareFetch', fieldPath: 'AcquiredRecords', offset: 0 })
      }
      previousLast = r.lastOffset
    }
    const { batches } = await decodeRecordBatchesAsync(data.records, { verifyCrc: this.#checkCrcs })
    let rangeIndex = 0
    let covered = ranges[0]!.firstOffset // next acquired offset not yet accounted for
    const partition = data.partitionIndex
    for (const batch of batches) {
      if (batch.isControl) continue
      for (const record of batch.records) {
        while (rangeIndex < ranges.length && record.offset > ranges[rangeIndex]!.lastOffset) {
          const range = ranges[rangeIndex]!
          if (covered <= range.lastOffset) this.#pending.add(topic, partition, covered, range.lastOffset, ACK_GAP)
          rangeIndex++
          if (rangeIndex < ranges.length) covered = ranges[rangeIndex]!.firstOffset
        }
        if (rangeIndex >= ranges.length) break
        const range = ranges[rangeIndex]!
        // Before the range (the batch started earlier) or a repeated offset: not ours to deliver.
        if (record.offset < covered) continue
        if (record.offset > covered) this.#pending.add(topic, partition, covered, record.offset - 1n, ACK_GAP)
        covered = record.offset + 1n
        this.#host.received(topic, partition, record.offset, Number(batch.timestampType === 'log-append' ? batch.maxTimestamp : record.timestamp), record.key, record.value, record.headers, range.deliveryCount)
        delivered++
      }
    }
    for (; rangeIndex < ranges.length; rangeIndex++) {
      const range = ranges[rangeIndex]!
      if (covered <= range.lastOffset) this.#pending.add(topic, partition, covered, range.lastOffset, ACK_GAP)
      if (rangeIndex + 1 < ranges.length) covered = ranges[rangeIndex + 1]!.firstOffset
    }
    return delivered
  }

  // ---- acknowledging ----

  /** ShareAcknowledge to each leader owed acknowledgements; `closing` also ends every open session (epoch -1). */
  async sendAcknowledgements(closing: boolean): Promise<ShareAcknowledgementResult[]> {
    const byNode = new Map<number, string[]>()
    const results: ShareAcknowledgementResult[] = []
    for (const [key, pending] of this.#pending) {
      let nodeId: number | undefined
      for (const s of this.#sessions.values()) if (s.partitions.has(key) && s.epoch !== INITIAL_EPOCH) nodeId = s.nodeId
      if (nodeId === undefined) {
        // No open session holds the partition: the records were acquired in a session that is gone, and the broker
        // released them when it ended.
        this.#pending.delete(key)
        results.push({ topic: pending.topic, partition: pending.partition, error: errorFromCode(SHARE_SESSION_NOT_FOUND, `${pending.topic}-${pending.partition}`)! })
        continue
      }
      let list = byNode.get(nodeId)
      if (!list) byNode.set(nodeId, (list = []))
      list.push(key)
    }
    if (closing) for (const s of this.#sessions.values()) if (s.epoch !== INITIAL_EPOCH && !byNode.has(s.nodeId)) byNode.set(s.nodeId, [])
    const perNode = await Promise.all([...byNode].map(([nodeId, keys]) => locked(this.#session(nodeId), () => this.#acknowledgeOn(this.#session(nodeId), keys, closing))))
    for (const r of perNode) results.push(...r)
    return results
  }

  /** Must run under the session's lock. */
  async #acknowledgeOn(session: ShareSession, keys: string[], closing: boolean): Promise<ShareAcknowledgementResult[]> {
    const acks: PendingAcks[] = []
    for (const key of keys) {
      const pending = this.#pending.take(key)
      // A closing session gives every held record back, renewed or not: renewing them first would be pointless.
      if (pending && closing) pending.ranges = pending.ranges.filter((r) => r.type !== ACK_RENEW)
      if (pending && pending.ranges.length > 0) acks.push(pending)
    }
    if (session.epoch === INITIAL_EPOCH) {
      return acks.map((a) => ({ topic: a.topic, partition: a.partition, error: errorFromCode(SHARE_SESSION_NOT_FOUND, `${a.topic}-${a.partition}`)! }))
    }
    if (acks.length === 0 && !closing) return []
    const topics = new Map<string, Array<{ partitionIndex: number; acknowledgementBatches: ReturnType<typeof mergeRanges> }>>()
    for (const a of acks) {
      const topicId = this.#cluster.topic(a.topic)?.topicId
      if (!topicId) continue
      let list = topics.get(topicId)
      if (!list) topics.set(topicId, (list = []))
      list.push({ partitionIndex: a.partition, acknowledgementBatches: mergeRanges(a.ranges) })
    }
    const epochSent = closing ? FINAL_EPOCH : session.epoch
    const failAll = (error: KafkaProtocolError): ShareAcknowledgementResult[] => acks.map((a) => ({ topic: a.topic, partition: a.partition, error }))
    const renewing = acks.some((a) => a.ranges.some((r) => r.type === ACK_RENEW))
    let refusedBeforeSending: KafkaProtocolError | null = null
    let response
    try {
      response = await request(this.#cluster, { kind: 'node', nodeId: session.nodeId }, ApiKeys.ShareAcknowledge, (version) => {
        if (renewing && version < RENEW_AND_ACQUIRE_MODE_VERSION) {
          throw (refusedBeforeSending = errorFromCode(UNSUPPORTED_VERSION, 'ShareAcknowledge', `renew acknowledgements need ShareAcknowledge v2 (Kafka 4.2+); broker ${session.nodeId} speaks v${version}`)!)
        }
        return {
          groupId: this.#host.groupId,
          memberId: this.#host.memberId(),
          shareSessionEpoch: epochSent,
          isRenewAck: renewing,
          topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
        }
      }, { purpose: this.#purpose, retry: { retries: 0 } })
    } catch (error) {
      // Nothing reached the broker, so the session and its epoch are still good: only the renewals fail, the other
      // acknowledgements wait for the next request.
      if (refusedBeforeSending !== null && error === refusedBeforeSending) {
        const renewed = acks.filter((a) => a.ranges.some((r) => r.type === ACK_RENEW))
        this.#pending.restore(acks.map((a) => ({ ...a, ranges: a.ranges.filter((r) => r.type !== ACK_RENEW) })))
        return renewed.map((a) => ({ topic: a.topic, partition: a.partition, error: error as KafkaProtocolError }))
      }
      resetSession(session)
      if (error instanceof KafkaProtocolError) return failAll(error)
      throw error
    }
    if (closing) resetSession(session)
    const metrics = this.#host.metrics
    if (response.errorCode !== 0) {
      const error = errorFromCode(response.errorCode, 'ShareAcknowledge', response.errorMessage)!
      if (response.errorCode === SHARE_SESSION_NOT_FOUND || response.errorCode === INVALID_SHARE_SESSION_EPOCH) resetSession(session)
      metrics?.acknowledged(acknowledgedOffsets(acks), acknowledgedOffsets(acks))
      return failAll(error)
    }
    if (!closing) session.epoch = nextEpoch(epochSent)
    this.#noteLockTimeout(response.acquisitionLockTimeoutMs)
    const results: ShareAcknowledgementResult[] = []
    for (const t of response.responses) {
      const topic = this.#cluster.topicNameById(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) {
        results.push({ topic, partition: p.partitionIndex, error: p.errorCode === 0 ? null : errorFromCode(p.errorCode, `${topic}-${p.partitionIndex}`, p.errorMessage) })
      }
    }
    if (metrics) {
      let refused = 0
      for (const r of results) if (r.error) refused += acknowledgedOffsets(acks, r.topic, r.partition)
      metrics.acknowledged(acknowledgedOffsets(acks), refused)
    }
    return results
  }
}

/** Offsets acknowledged in `acks` (gaps included), of one partition or of all. */
function acknowledgedOffsets(acks: PendingAcks[], topic?: string, partition?: number): number {
  let n = 0
  for (const a of acks) {
    if (topic !== undefined && (a.topic !== topic || a.partition !== partition)) continue
    for (const r of a.ranges) n += Number(r.last - r.first) + 1
  }
  return n
}
