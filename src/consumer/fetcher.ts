/**
 * The fetcher: one Fetch in flight per broker, covering every fetchable partition that broker leads (or that a
 * preferred read replica serves, KIP-392), inside an incremental fetch session (KIP-227) with topic ids where the
 * broker has them. Responses are not decoded record by record here: each partition's records field becomes a
 * `FetchedChunk` (a view on the response buffer) queued for delivery, and the fetch position moves past the last
 * whole batch by reading batch headers only. Batches are decoded one at a time as the application reads, so a
 * large response never blocks the event loop in one piece and memory stays bounded by what was fetched.
 */
import { performance } from 'node:perf_hooks'
import { KafkaError, KafkaProtocolError } from '../errors.js'
import { backoffDelayMs } from '../network/backoff.js'
import type { ClockTimer } from '../network/clock.js'
import type { Cluster } from '../network/cluster.js'
import { channels, type FetchChannelEvent, type Logger } from '../network/instrumentation.js'
import { apis, ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import { BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC } from '../records/layout.js'
import { openRecordBatchAt, type RecordSource } from '../records/index.js'
import type { KafkaRecord } from '../records/types.js'
import { request } from './request.js'

const { OFFSET_OUT_OF_RANGE, FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR, INCONSISTENT_TOPIC_ID } = ErrorCodes

export interface FetcherOptions {
  fetchMinBytes: number
  fetchMaxBytes: number
  fetchMaxWaitMs: number
  maxPartitionFetchBytes: number
  isolationLevel: 0 | 1
  clientRack: string | null
  checkCrcs: boolean
  /** Connection purpose: per consumer, so one consumer's long poll never delays another's fetch. */
  purpose: string
  /** For samsa:fetch events. */
  clientId: string
  groupId: string | null
  /**
   * A partition whose fetches have failed without a single success for this long stops the consumer with a typed
   * error instead of retrying unseen forever.
   */
  stallTimeoutMs: number
}

/** Everything the consumer knows about one assigned partition. */
export class PartitionState {
  readonly topic: string
  readonly partition: number
  /** Next offset to fetch. Runs ahead of `position` by what is buffered. */
  fetchPosition: bigint | null = null
  /** Leader epoch of the last fetched batch (Fetch lastFetchedEpoch, KIP-320). */
  fetchEpoch = -1
  /** Next offset to hand to the application. */
  position: bigint | null = null
  positionEpoch = -1
  /** Offset after the last record the application finished with: what a commit writes. */
  processed: bigint | null = null
  processedEpoch = -1
  lastCommitted: bigint | null = null
  highWatermark: bigint | null = null
  lastStableOffset: bigint | null = null
  logStartOffset: bigint | null = null
  paused = false
  /** Set once the partition leaves the assignment: buffered data and in-process messages no longer count. */
  revoked = false
  /** Bumped by seek and by resets, so that chunks fetched before them are discarded. */
  generation = 0
  preferredReplica = -1
  /** When the leader's advice to read from preferredReplica lapses and the leader is asked again (as Java does). */
  preferredReplicaUntil = 0
  bufferedChunks = 0
  bufferedBytes = 0
  /** When the fetch position must be found (committed offset or reset policy) before fetching. */
  needsPosition = true
  /** Partition-level failure the application must see (e.g. OFFSET_OUT_OF_RANGE with autoOffsetReset 'none'). */
  error: KafkaError | null = null
  /** Retry errors on this partition after this time (ms). */
  backoffUntil = 0
  /** When fetching this partition started failing without a success since (0: not failing). */
  failingSince = 0
  /** Fetches or validations that failed in a row (the backoff grows with them, KIP-580). */
  failures = 0
  lastFetchError: KafkaError | null = null
  /**
   * The partition leader's epoch (from metadata) the fetch position is known to be consistent with. A newer epoch
   * in metadata means a leader change: the position is validated with OffsetForLeaderEpoch before fetching again.
   */
  validatedLeaderEpoch = -1
  /** An OffsetForLeaderEpoch validation is out for this partition (KIP-320); no fetching until it answers. */
  awaitingValidation = false

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  get fetchable(): boolean {
    return !this.revoked && !this.paused && !this.needsPosition && !this.awaitingValidation && this.fetchPosition !== null && this.error === null
  }

  /** Moves both positions (seek, reset, committed offset), forgetting anything buffered. */
  setPosition(offset: bigint, leaderEpoch = -1): void {
    this.generation++
    this.fetchPosition = offset
    this.position = offset
    this.positionEpoch = leaderEpoch
    this.fetchEpoch = leaderEpoch
    this.needsPosition = false
    this.awaitingValidation = false
    this.error = null
    this.preferredReplica = -1
    // A position that carries an epoch came from elsewhere (a commit, a seek): it is checked with the leader first.
    if (leaderEpoch >= 0) this.validatedLeaderEpoch = -1
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** A partition's records from one fetch response, decoded batch by batch as the application reads. */
export class FetchedChunk {
  readonly state: PartitionState
  readonly generation: number
  readonly records: Buffer
  readonly size: number
  pos = 0
  /** read_committed: aborted transactions by first offset, consumed as the batches pass them. */
  readonly aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null
  readonly abortedProducers: Set<bigint> | null
  highWatermark: bigint

  constructor(state: PartitionState, records: Buffer, aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null, highWatermark: bigint) {
    this.state = state
    this.generation = state.generation
    this.records = records
    this.size = records.length
    this.aborted = aborted && aborted.length > 0 ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : null
    this.abortedProducers = this.aborted ? new Set() : null
    this.highWatermark = highWatermark
  }

  get stale(): boolean {
    return this.state.revoked || this.state.generation !== this.generation
  }

  /**
   * A batch the application never sees (transaction marker, aborted data) still moves the position past it, so
   * that lag reaches zero and a commit after the last record does not point back at the marker.
   */
  #skip(lastOffset: bigint): typeof EMPTY_BATCH {
    const state = this.state
    if (!this.stale && state.position !== null && lastOffset + 1n > state.position) state.position = lastOffset + 1n
    return EMPTY_BATCH
  }

  /**
   * The next batch's records, decoded as they are read, or null when the chunk is exhausted. Control batches and
   * aborted transactions come back empty. `from` is set when the batch starts before the position (compressed
   * batches and compaction can hand back records that were delivered already): records below it are not delivered.
   */
  nextBatch(checkCrcs: boolean): { records: RecordSource; leaderEpoch: number; from: bigint | null } | null {
    if (this.pos >= this.size) return null
    const opened = openRecordBatchAt(this.records, this.pos, { verifyCrc: checkCrcs })
    if (opened === null) {
      this.pos = this.size
      return null
    }
    this.pos = opened.next
    const batch = opened.batch
    if (this.aborted !== null) {
      while (this.aborted.length > 0 && this.aborted[0]!.firstOffset <= batch.lastOffset) this.abortedProducers!.add(this.aborted.shift()!.producerId)
      if (batch.isControl) {
        if (batch.control?.type === 'abort') this.abortedProducers!.delete(batch.producerId)
        return this.#skip(batch.lastOffset)
      }
      if (batch.isTransactional && this.abortedProducers!.has(batch.producerId)) return this.#skip(batch.lastOffset)
    }
    if (batch.isControl) return this.#skip(batch.lastOffset)
    const position = this.state.position ?? 0n
    return { records: batch.records, leaderEpoch: batch.partitionLeaderEpoch, from: batch.baseOffset < position ? position : null }
  }
}

const NO_RECORDS: RecordSource = { next: () => null }
const EMPTY_BATCH: { records: RecordSource; leaderEpoch: number; from: bigint | null } = { records: NO_RECORDS, leaderEpoch: -1, from: null }

interface SessionPartition {
  fetchOffset: bigint
  epoch: number
}

interface FetchSession {
  id: number
  epoch: number
  partitions: Map<string, SessionPartition>
  /** Topic name ↔ id used in this session: a re-created topic must be forgotten under its old id. */
  topicIds: Map<string, string>
}

const UNDEFINED_EPOCH = -1
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export interface FetcherHost {
  /** The partitions currently assigned. */
  partitions(): Iterable<PartitionState>
  /** A chunk is ready for delivery. */
  deliver(chunk: FetchedChunk): void
  /** OFFSET_OUT_OF_RANGE: the consumer applies its reset policy. */
  resetOffset(state: PartitionState): void
  /**
   * Truncation detected (KIP-320), by Fetch's diverging epoch or by OffsetForLeaderEpoch validation after a leader
   * change: the new leader's log for `epoch` ends at `endOffset`, below the fetch position.
   */
  truncated(state: PartitionState, endOffset: bigint, epoch: number, detectedBy: 'fetch' | 'validation'): void
  /** An error that stops consumption: the iterator throws it. */
  fatal(error: KafkaError): void
  /** Total bytes waiting for the application. */
  bufferedBytes(): number
}

/**
 * What the fetcher uses of the cluster: routing and metadata, connections to the brokers it fetches from, and the
 * clock its backoffs run on. Narrow, so that tests can drive the fetcher through a scripted cluster in virtual time.
 */
export type FetcherCluster = Pick<
  Cluster,
  | 'clock'
  | 'send'
  | 'connectionToNode'
  | 'topic'
  | 'topicNameById'
  | 'broker'
  | 'refreshMetadata'
  | 'handleRetriableError'
  | 'applyLeaderHint'
  | 'metadataMaxAgeMs'
  | 'retryOptions'
>

/** Runs the fetch loop: `schedule()` whenever something may have become fetchable; it starts what can start. */
export class Fetcher {
  readonly #cluster: FetcherCluster
  readonly #options: FetcherOptions
  readonly #host: FetcherHost
  readonly #logger: Logger
  readonly #inFlight = new Set<number>()
  readonly #sessions = new Map<number, FetchSession>()
  #stopped = false
  #retryTimer: ClockTimer | null = null
  /** Fetch responses received, for tests and stats. */
  fetchCount = 0
  incrementalFetchCount = 0
  /** OffsetForLeaderEpoch validations sent (per partition), for tests and stats. */
  validationCount = 0

  constructor(cluster: FetcherCluster, options: FetcherOptions, host: FetcherHost, logger: Logger) {
    this.#cluster = cluster
    this.#options = options
    this.#host = host
    this.#logger = logger
  }

  stop(): void {
    this.#stopped = true
    this.#cluster.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = null
  }

  /** Closes the broker-side fetch sessions (KIP-227 final epoch) so brokers free them at once. Best effort. */
  async closeSessions(timeoutMs = 2000): Promise<void> {
    const sessions = [...this.#sessions].filter(([, session]) => session.id !== 0)
    this.#sessions.clear()
    await Promise.all(
      sessions.map(async ([node, session]) => {
        try {
          const connection = await this.#cluster.connectionToNode(node, this.#options.purpose)
          const version = connection.versions.require(ApiKeys.Fetch, 7)
          await connection.send(
            apis[ApiKeys.Fetch],
            { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: this.#options.isolationLevel, sessionId: session.id, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '' },
            { version, timeoutMs },
          )
        } catch (error) {
          this.#logger.debug({ node, error }, 'closing the fetch session failed')
        }
      }),
    )
  }

  start(): void {
    this.#stopped = false
    this.schedule()
  }

  /** Starts a fetch to every broker that has fetchable partitions and none in flight. */
  schedule(): void {
    if (this.#stopped) return
    if (this.#host.bufferedBytes() >= this.#options.fetchMaxBytes) return
    const now = this.#cluster.clock.now()
    const byNode = new Map<number, PartitionState[]>()
    const toValidate = new Map<number, Array<{ state: PartitionState; leaderEpoch: number }>>()
    let waitingForBackoff = Infinity
    for (const state of this.#host.partitions()) {
      if (!state.fetchable || state.bufferedChunks > 1) continue
      if (state.backoffUntil > now) {
        waitingForBackoff = Math.min(waitingForBackoff, state.backoffUntil)
        continue
      }
      const node = this.#nodeFor(state)
      if (node < 0) {
        this.#failed(state, new KafkaError(`${state.topic}-${state.partition} has no leader`, { retriable: true }))
        waitingForBackoff = Math.min(waitingForBackoff, state.backoffUntil)
        void this.#cluster.refreshMetadata([state.topic]).catch(() => undefined)
        continue
      }
      const leaderEpoch = this.#cluster.topic(state.topic)?.partitions[state.partition]?.leaderEpoch ?? -1
      if (leaderEpoch > state.validatedLeaderEpoch) {
        // A position without an epoch (a reset, or a seek to a bare offset) has nothing to be checked against. One
        // with an epoch is checked even on first assignment: a committed offset (or a seek to one) may point past
        // a log that an unclean election has since truncated and refilled, and fetching there would skip records.
        if (state.fetchEpoch < 0) {
          state.validatedLeaderEpoch = leaderEpoch
        } else {
          const leader = this.#leaderOf(state)
          if (leader >= 0) {
            state.awaitingValidation = true
            let pending = toValidate.get(leader)
            if (!pending) toValidate.set(leader, (pending = []))
            pending.push({ state, leaderEpoch })
            continue
          }
        }
      }
      if (this.#inFlight.has(node)) continue
      let list = byNode.get(node)
      if (!list) byNode.set(node, (list = []))
      list.push(state)
    }
    for (const [node, states] of byNode) void this.#fetch(node, states)
    for (const [node, pending] of toValidate) void this.#validate(node, pending)
    if (waitingForBackoff !== Infinity && this.#retryTimer === null) {
      this.#retryTimer = this.#cluster.clock.setTimeout(() => {
        this.#retryTimer = null
        this.schedule()
      }, Math.max(1, waitingForBackoff - now))
      this.#retryTimer.unref?.()
    }
  }

  #nodeFor(state: PartitionState): number {
    if (state.preferredReplica >= 0) {
      // A follower that stays up but stops replicating would otherwise keep this consumer forever: the advice lapses
      // after metadataMaxAgeMs, and the leader (which only names in-sync replicas) is asked again.
      if (this.#cluster.clock.now() < state.preferredReplicaUntil && this.#cluster.broker(state.preferredReplica)) return state.preferredReplica
      state.preferredReplica = -1
    }
    const info = this.#cluster.topic(state.topic)?.partitions[state.partition]
    if (!info || info.leader < 0 || !this.#cluster.broker(info.leader)) return -1
    return info.leader
  }

  /** Forgets the session with `node` (after an error), so the next fetch starts a new full one. */
  #resetSession(node: number): void {
    this.#sessions.delete(node)
  }

  async #fetch(node: number, states: PartitionState[]): Promise<void> {
    this.#inFlight.add(node)
    const startedAt = channels.fetch.hasSubscribers ? performance.now() : -1
    let received: { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> } | null = null
    let failure: KafkaError | undefined
    let session = this.#sessions.get(node)
    if (!session) {
      session = { id: 0, epoch: 0, partitions: new Map(), topicIds: new Map() }
      this.#sessions.set(node, session)
    }
    const sent = new Map<string, { state: PartitionState; generation: number; fetchOffset: bigint }>()
    try {
      const connection = await this.#cluster.connectionToNode(node, this.#options.purpose)
      const version = connection.versions.require(ApiKeys.Fetch, 4)
      const useIds = version >= 13
      const incremental = session.id !== 0
      const next = new Map<string, SessionPartition>()
      const topics = new Map<string, Array<{ partition: number; currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; logStartOffset: bigint; partitionMaxBytes: number }>>()
      for (const state of states) {
        const key = partitionKey(state.topic, state.partition)
        const fetchOffset = state.fetchPosition!
        sent.set(key, { state, generation: state.generation, fetchOffset })
        const entry = { fetchOffset, epoch: state.fetchEpoch }
        next.set(key, entry)
        const previous = session.partitions.get(key)
        if (incremental && previous && previous.fetchOffset === fetchOffset && previous.epoch === entry.epoch) continue
        let list = topics.get(state.topic)
        if (!list) topics.set(state.topic, (list = []))
        const info = this.#cluster.topic(state.topic)?.partitions[state.partition]
        list.push({
          partition: state.partition,
          currentLeaderEpoch: info?.leaderEpoch ?? -1,
          fetchOffset,
          lastFetchedEpoch: state.fetchEpoch,
          logStartOffset: -1n,
          partitionMaxBytes: this.#options.maxPartitionFetchBytes,
        })
      }
      const forgotten = new Map<string, number[]>()
      if (incremental) {
        for (const key of session.partitions.keys()) {
          if (next.has(key)) continue
          const cut = key.lastIndexOf('\u0000')
          const topic = key.slice(0, cut)
          let list = forgotten.get(topic)
          if (!list) forgotten.set(topic, (list = []))
          list.push(Number(key.slice(cut + 1)))
        }
      }
      const topicId = (name: string): string => {
        const known = session!.topicIds.get(name)
        if (known) return known
        const id = this.#cluster.topic(name)?.topicId ?? ZERO_UUID
        session!.topicIds.set(name, id)
        return id
      }
      if (useIds) for (const name of topics.keys()) if ((this.#cluster.topic(name)?.topicId ?? ZERO_UUID) === ZERO_UUID) throw new KafkaError(`No topic id for ${name}`, { retriable: true })
      const request = {
        replicaId: -1,
        maxWaitMs: this.#options.fetchMaxWaitMs,
        minBytes: this.#options.fetchMinBytes,
        maxBytes: this.#options.fetchMaxBytes,
        isolationLevel: this.#options.isolationLevel,
        sessionId: session.id,
        sessionEpoch: session.epoch,
        topics: [...topics].map(([name, partitions]) => (useIds ? { topicId: topicId(name), partitions } : { topic: name, partitions })),
        forgottenTopicsData: [...forgotten].map(([name, partitions]) => (useIds ? { topicId: topicId(name), partitions } : { topic: name, partitions })),
        rackId: this.#options.clientRack ?? '',
      }
      const timeoutMs = this.#options.fetchMaxWaitMs + 30_000
      const response = await connection.send(apis[ApiKeys.Fetch], request, { version, timeoutMs })
      received = response
      this.fetchCount++
      if (incremental) this.incrementalFetchCount++
      if (response.errorCode && response.errorCode !== 0) {
        const code = response.errorCode
        this.#resetSession(node)
        if (code === FETCH_SESSION_ID_NOT_FOUND || code === INVALID_FETCH_SESSION_EPOCH || code === FETCH_SESSION_TOPIC_ID_ERROR) {
          this.#logger.debug({ node, code }, 'fetch session reset')
          failure = errorFromCode(code, `Fetch from node ${node}`) ?? undefined
          return
        }
        throw errorFromCode(code, `Fetch from node ${node}`)!
      }
      // The session now holds what we sent; a response without a session id means the broker keeps none.
      if (response.sessionId && response.sessionId !== 0) {
        session.id = response.sessionId
        session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1
        session.partitions = next
        for (const name of [...session.topicIds.keys()]) if (!topics.has(name) && ![...next.keys()].some((k) => k.startsWith(`${name}\u0000`))) session.topicIds.delete(name)
      } else {
        this.#resetSession(node)
      }
      for (const topicResponse of response.responses) {
        const name = useIds ? (topicResponse.topicId ? [...session.topicIds].find(([, id]) => id === topicResponse.topicId)?.[0] ?? this.#cluster.topicNameById(topicResponse.topicId) : undefined) : topicResponse.topic
        if (name === undefined) continue
        for (const p of topicResponse.partitions) {
          const key = partitionKey(name, p.partitionIndex)
          const request = sent.get(key)
          // An incremental response may include partitions with no new data that we did not list this time.
          const state = request?.state ?? [...states].find((s) => s.topic === name && s.partition === p.partitionIndex)
          if (!state) continue
          this.#handlePartition(node, session, state, request?.generation ?? state.generation, request?.fetchOffset ?? state.fetchPosition, p)
        }
      }
    } catch (error) {
      this.#resetSession(node)
      const kafkaError = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
      failure = kafkaError
      if (!this.#stopped) {
        if (kafkaError.retriable || !(kafkaError instanceof KafkaProtocolError)) {
          this.#logger.debug({ node, error: kafkaError }, 'fetch failed; backing off and refreshing metadata')
          for (const state of states) {
            state.preferredReplica = -1
            this.#failed(state, kafkaError)
          }
          void this.#cluster.refreshMetadata(states.map((s) => s.topic)).catch(() => undefined)
        } else {
          this.#host.fatal(kafkaError)
        }
      }
    } finally {
      this.#inFlight.delete(node)
      // Published before the next fetch starts, so events of one node never appear out of order.
      if (startedAt >= 0 && channels.fetch.hasSubscribers) this.#publishFetch(node, startedAt, states.length, received, failure)
      this.schedule()
    }
  }

  /**
   * One samsa:fetch event. `partitions` counts the partitions the response carried (an incremental response leaves
   * out those with nothing new); a fetch that failed before a response counts those it asked for.
   */
  #publishFetch(
    node: number,
    startedAt: number,
    requested: number,
    response: { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> } | null,
    error: KafkaError | undefined,
  ): void {
    let partitions = 0
    let bytes = 0
    if (response !== null) {
      for (const topic of response.responses) {
        partitions += topic.partitions.length
        for (const p of topic.partitions) bytes += p.records?.length ?? 0
      }
    } else partitions = requested
    const event: FetchChannelEvent = {
      clientId: this.#options.clientId,
      groupId: this.#options.groupId,
      nodeId: node,
      partitions,
      bytes,
      durationMs: performance.now() - startedAt,
    }
    if (error !== undefined) event.error = error
    channels.fetch.publish(event)
  }

  /**
   * KIP-320 validation after a leader change, as the Java consumer does: asks the new leader where the epoch of the
   * last fetched batch ends in its log. An end below the fetch position means the log was truncated under us (an
   * unclean election); the host moves back (or stops, with autoOffsetReset 'none'). Buffered data is left alone:
   * a move bumps the partition's generation, which discards it.
   */
  async #validate(node: number, pending: Array<{ state: PartitionState; leaderEpoch: number }>): Promise<void> {
    const sent = pending.map((p) => ({ ...p, generation: p.state.generation, fetchPosition: p.state.fetchPosition!, fetchEpoch: p.state.fetchEpoch }))
    this.validationCount += sent.length
    const byTopic = new Map<string, Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>>()
    for (const p of sent) {
      let list = byTopic.get(p.state.topic)
      if (!list) byTopic.set(p.state.topic, (list = []))
      list.push({ partition: p.state.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.fetchEpoch })
    }
    const retryLater = (p: (typeof sent)[number], error: KafkaError): void => {
      p.state.awaitingValidation = false
      this.#failed(p.state, error)
    }
    try {
      const response = await request(
        this.#cluster,
        { kind: 'node', nodeId: node },
        ApiKeys.OffsetForLeaderEpoch,
        { replicaId: -1, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) },
        { purpose: 'default', retry: { retries: 0 } },
      )
      const answers = new Map<string, { errorCode: number; leaderEpoch: number; endOffset: bigint }>()
      for (const t of response.topics) for (const p of t.partitions) answers.set(partitionKey(t.topic, p.partition), { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch ?? UNDEFINED_EPOCH, endOffset: p.endOffset })
      for (const p of sent) {
        const state = p.state
        // Moved while the request was out (seek, reset, revoke): the new position needs no check against the old.
        if (state.revoked || state.generation !== p.generation || !state.awaitingValidation) continue
        const answer = answers.get(partitionKey(state.topic, state.partition))
        if (!answer) {
          retryLater(p, new KafkaError(`OffsetForLeaderEpoch: no answer for ${state.topic}-${state.partition}`, { retriable: true }))
          continue
        }
        if (answer.errorCode !== 0) {
          const error = errorFromCode(answer.errorCode, `OffsetForLeaderEpoch ${state.topic}-${state.partition}`)!
          if (!error.retriable) {
            state.awaitingValidation = false
            state.error = error
            this.#host.fatal(error)
            continue
          }
          // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH / NOT_LEADER: our metadata or the broker's is behind.
          this.#cluster.handleRetriableError(error, { kind: 'leader', topic: state.topic, partition: state.partition })
          retryLater(p, error)
          continue
        }
        state.awaitingValidation = false
        state.validatedLeaderEpoch = p.leaderEpoch
        state.failingSince = 0
        state.failures = 0
        if (answer.leaderEpoch === UNDEFINED_EPOCH || answer.endOffset < 0n) {
          // The leader has no record of our epoch (older than its log start): where we are cannot be checked.
          this.#logger.warn({ topic: state.topic, partition: state.partition, epoch: p.fetchEpoch }, 'leader epoch unknown to the new leader; applying autoOffsetReset')
          this.#host.resetOffset(state)
        } else if (answer.endOffset < p.fetchPosition) {
          this.#sessions.get(node)?.partitions.delete(partitionKey(state.topic, state.partition))
          this.#host.truncated(state, answer.endOffset, answer.leaderEpoch, 'validation')
        }
      }
    } catch (error) {
      const kafkaError = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
      this.#logger.debug({ node, error: kafkaError }, 'offset validation failed; retrying after a metadata refresh')
      for (const p of sent) if (p.state.generation === p.generation) retryLater(p, kafkaError)
      void this.#cluster.refreshMetadata([...byTopic.keys()]).catch(() => undefined)
    } finally {
      this.schedule()
    }
  }

  #handlePartition(
    node: number,
    session: FetchSession,
    state: PartitionState,
    generation: number,
    fetchOffset: bigint | null,
    p: {
      partitionIndex: number
      errorCode: number
      highWatermark: bigint
      lastStableOffset: bigint
      logStartOffset?: bigint
      divergingEpoch?: { epoch: number; endOffset: bigint }
      currentLeader?: { leaderId: number; leaderEpoch: number }
      abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null
      preferredReadReplica?: number
      records: Buffer | null
    },
  ): void {
    if (state.revoked || state.generation !== generation || state.fetchPosition !== fetchOffset) {
      // Moved (seek, reset, revoke) while the fetch was out: drop what came back and make the session resend.
      session.partitions.delete(partitionKey(state.topic, state.partition))
      return
    }
    if (p.errorCode !== 0) {
      session.partitions.delete(partitionKey(state.topic, state.partition))
      state.preferredReplica = -1
      if (p.errorCode === OFFSET_OUT_OF_RANGE) {
        if (node !== this.#leaderOf(state)) return // a follower may lag: ask the leader before resetting
        this.#host.resetOffset(state)
        return
      }
      const error = errorFromCode(p.errorCode, `Fetch ${state.topic}-${state.partition}`)!
      if (error.retriable || p.errorCode === INCONSISTENT_TOPIC_ID) {
        if (p.currentLeader && p.currentLeader.leaderId >= 0) this.#cluster.applyLeaderHint(state.topic, state.partition, p.currentLeader.leaderId, p.currentLeader.leaderEpoch)
        this.#cluster.handleRetriableError(error, { kind: 'leader', topic: state.topic, partition: state.partition })
        this.#failed(state, error)
        return
      }
      state.error = error
      this.#host.fatal(error)
      return
    }
    state.failingSince = 0
    state.failures = 0
    state.lastFetchError = null
    state.highWatermark = p.highWatermark
    state.lastStableOffset = p.lastStableOffset >= 0n ? p.lastStableOffset : state.lastStableOffset
    if (p.logStartOffset !== undefined && p.logStartOffset >= 0n) state.logStartOffset = p.logStartOffset
    if (p.divergingEpoch && p.divergingEpoch.epoch >= 0) {
      session.partitions.delete(partitionKey(state.topic, state.partition))
      this.#host.truncated(state, p.divergingEpoch.endOffset, p.divergingEpoch.epoch, 'fetch')
      return
    }
    if (p.preferredReadReplica !== undefined && p.preferredReadReplica >= 0 && p.preferredReadReplica !== state.preferredReplica) {
      state.preferredReplica = p.preferredReadReplica
      state.preferredReplicaUntil = this.#cluster.clock.now() + this.#cluster.metadataMaxAgeMs
    }
    const records = p.records
    if (records === null || records.length === 0) return
    const end = scanBatches(records)
    if (end.bytes === 0) {
      if (records.length >= this.#options.maxPartitionFetchBytes && records.length >= this.#options.fetchMaxBytes) {
        this.#host.fatal(new KafkaError(`${state.topic}-${state.partition}: a record batch at offset ${state.fetchPosition} is larger than fetchMaxBytes`))
      }
      return
    }
    state.fetchPosition = end.nextOffset > state.fetchPosition! ? end.nextOffset : state.fetchPosition
    if (end.lastEpoch >= 0) state.fetchEpoch = end.lastEpoch
    const chunk = new FetchedChunk(state, end.bytes === records.length ? records : records.subarray(0, end.bytes), this.#options.isolationLevel === 1 ? p.abortedTransactions : null, p.highWatermark)
    state.bufferedChunks++
    state.bufferedBytes += chunk.size
    this.#host.deliver(chunk)
  }

  /**
   * Records a failed fetch and backs the partition off (exponential with jitter, as the request policy); past
   * stallTimeoutMs of nothing but failures the consumer stops with the last error.
   */
  #failed(state: PartitionState, error: KafkaError): void {
    const now = this.#cluster.clock.now()
    if (state.failingSince === 0) state.failingSince = now
    state.backoffUntil = now + backoffDelayMs(state.failures++, this.#cluster.retryOptions)
    state.lastFetchError = error
    if (now - state.failingSince > this.#options.stallTimeoutMs) {
      this.#host.fatal(
        new KafkaError(`${state.topic}-${state.partition}: no successful fetch for ${now - state.failingSince} ms (last error: ${error.message})`, { cause: error }),
      )
    }
  }

  #leaderOf(state: PartitionState): number {
    return this.#cluster.topic(state.topic)?.partitions[state.partition]?.leader ?? -1
  }
}

/**
 * Walks batch headers only: the offset after the last whole batch, that batch's leader epoch and the bytes the
 * whole batches span. A trailing partial batch (the broker cuts at the byte limit) is left for the next fetch.
 */
export function scanBatches(records: Buffer): { nextOffset: bigint; lastEpoch: number; bytes: number } {
  let pos = 0
  let nextOffset = -1n
  let lastEpoch = -1
  const length = records.length
  while (pos + LOG_OVERHEAD + 5 <= length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH)
    if (size < 0) break
    const end = pos + LOG_OVERHEAD + size
    if (end > length) break
    const magic = records[pos + MAGIC]
    if (magic === 2) {
      if (pos + LAST_OFFSET_DELTA + 4 > end) break
      nextOffset = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + LAST_OFFSET_DELTA)) + 1n
      lastEpoch = records.readInt32BE(pos + 12)
    } else {
      // Legacy message (set): the outer offset is the last inner offset.
      nextOffset = records.readBigInt64BE(pos) + 1n
    }
    pos = end
  }
  return { nextOffset, lastEpoch, bytes: pos }
}
