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
import { channels, type ConsumerFetchContext, type FetchChannelEvent, type Logger, publishSettled, tracingChannels } from '../network/instrumentation.js'
import { apis, ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import { FetchedChunk, scanBatches, SharedFrame } from './fetched-chunk.js'
import type { ConsumerMetrics } from './metrics.js'
import { FetchSession, FINAL_EPOCH, type FetchPartition } from './fetch-session.js'
import { type PendingValidation, type ValidationHost, validatePositions } from './offset-validation.js'
import { type PartitionState, partitionKey } from './partition-state.js'
import type { FetchEvent } from './types.js'



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

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/**
 * How long a fetch may first wait at the broker while partitions of the same broker are left out of it because they
 * have data buffered. One fetch per broker is in flight, so a fetch of only caught-up partitions held the others —
 * released by the application a few milliseconds later — for the whole fetchMaxWaitMs: a million-record read took
 * 500 ms longer in half the runs, at half the rate. Partitions at their end still get new records as soon as the
 * broker has them. While the application drains nothing during such a fetch, the next one waits twice as long (up
 * to fetchMaxWaitMs), so a slow application costs a few empty fetches, not fifty a second.
 */
const HELD_BACK_FIRST_WAIT_MS = 20

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
  /** A listener for this consumer's fetch events while someone listens, else null (asked once per fetch). */
  fetchObserver?(): ((event: FetchEvent) => void) | null
  /** The consumer's metrics, told of every Fetch response. */
  readonly metrics?: ConsumerMetrics | null
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
  /** Summed over one response's partitions by #handlePartition (synchronous, so one response at a time). */
  #fetchedBytes = 0
  #fetchedRecords = 0
  #stopped = false
  /** The last schedule() found the delivery buffer full and started nothing. */
  #bufferFull = false
  #retryTimer: ClockTimer | null = null
  /** Per broker: how long its next fetch beside held-back partitions may wait (see HELD_BACK_FIRST_WAIT_MS). */
  readonly #heldBackWaitMs = new Map<number, number>()
  /** Brokers with a fetch in flight during which the application made one of their partitions fetchable again. */
  readonly #drainedDuringFetch = new Set<number>()
  /** Fetch responses received, for tests and stats. */
  fetchCount = 0
  incrementalFetchCount = 0
  /** OffsetForLeaderEpoch validations sent (per partition), for tests and stats. */
  validationCount = 0

  readonly #validation: ValidationHost

  constructor(cluster: FetcherCluster, options: FetcherOptions, host: FetcherHost, logger: Logger) {
    this.#cluster = cluster
    this.#options = options
    this.#host = host
    this.#logger = logger
    this.#validation = {
      cluster,
      logger,
      fatal: (error) => host.fatal(error),
      resetOffset: (state) => host.resetOffset(state),
      truncated: (state, endOffset, epoch, detectedBy) => host.truncated(state, endOffset, epoch, detectedBy),
      failed: (state, error) => this.#failed(state, error),
      forget: (node, state) => this.#sessions.get(node)?.forget(state),
    }
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
            { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: this.#options.isolationLevel, sessionId: session.id, sessionEpoch: FINAL_EPOCH, topics: [], forgottenTopicsData: [], rackId: '' },
            { version, timeoutMs },
          )
        } catch (error) {
          this.#logger.debug({ nodeId: node, err: error }, 'closing the fetch session failed')
        }
      }),
    )
  }

  start(): void {
    this.#stopped = false
    this.schedule()
  }

  /**
   * A chunk of `state` left the delivery buffer. schedule() walks every assigned partition, and the application
   * releases one chunk per partition per fetch, so calling it here made a fetch round cost O(partitions²) (10 000
   * partitions: 10^8 steps). A release can only make fetchable what it frees: the partition itself (its buffered
   * chunks), or everything when the buffer was full. A partition whose broker has a fetch in flight waits for that
   * fetch's end, whose schedule() lists it — so most releases cost O(1).
   */
  released(state: PartitionState): void {
    if (this.#stopped) return
    if (!this.#bufferFull) {
      if (!state.fetchable || state.bufferedChunks > 1) return
      const node = this.#nodeFor(state)
      if (node >= 0 && this.#inFlight.has(node)) {
        this.#drainedDuringFetch.add(node)
        return
      }
    }
    this.schedule()
  }

  /** Starts a fetch to every broker that has fetchable partitions and none in flight. */
  schedule(): void {
    if (this.#stopped) return
    this.#bufferFull = this.#host.bufferedBytes() >= this.#options.fetchMaxBytes
    if (this.#bufferFull) return
    const now = this.#cluster.clock.now()
    const byNode = new Map<number, PartitionState[]>()
    const toValidate = new Map<number, Array<{ state: PartitionState; leaderEpoch: number }>>()
    let heldBack: Set<number> | null = null
    let waitingForBackoff = Infinity
    for (const state of this.#host.partitions()) {
      if (!state.fetchable) continue
      if (state.bufferedChunks > 1) {
        ;(heldBack ??= new Set()).add(this.#nodeFor(state))
        continue
      }
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
    for (const [node, states] of byNode) {
      const besideHeldBack = heldBack?.has(node) === true
      const maxWaitMs = besideHeldBack ? Math.min(this.#heldBackWaitMs.get(node) ?? HELD_BACK_FIRST_WAIT_MS, this.#options.fetchMaxWaitMs) : this.#options.fetchMaxWaitMs
      void this.#fetch(node, states, maxWaitMs, besideHeldBack)
    }
    for (const [node, pending] of toValidate) this.#validate(node, pending)
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

  /** A partition as a fetch lists it. */
  #describe(state: PartitionState): FetchPartition {
    return {
      partition: state.partition,
      currentLeaderEpoch: this.#cluster.topic(state.topic)?.partitions[state.partition]?.leaderEpoch ?? -1,
      fetchOffset: state.fetchPosition!,
      lastFetchedEpoch: state.fetchEpoch,
      logStartOffset: -1n,
      partitionMaxBytes: this.#options.maxPartitionFetchBytes,
    }
  }

  async #fetch(node: number, states: PartitionState[], maxWaitMs: number, besideHeldBack: boolean): Promise<void> {
    this.#inFlight.add(node)
    this.#drainedDuringFetch.delete(node)
    const observe = this.#host.fetchObserver?.() ?? null
    observe?.({ type: 'start', nodeId: node })
    const metrics = this.#host.metrics ?? null
    const publish = channels.fetch.hasSubscribers || observe !== null
    const startedAt = publish || metrics !== null ? performance.now() : -1
    let received: { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> } | null = null
    let failure: KafkaError | undefined
    let session = this.#sessions.get(node)
    if (!session) this.#sessions.set(node, (session = new FetchSession()))
    const sent = new Map<string, { state: PartitionState; generation: number; fetchOffset: bigint }>()
    for (const state of states) sent.set(partitionKey(state.topic, state.partition), { state, generation: state.generation, fetchOffset: state.fetchPosition! })
    const trace = tracingChannels.consumerFetch.hasSubscribers ? this.#traceStart(node, states) : null
    // The response's memory, reused for a later response once every chunk cut from it has been read.
    let shared: SharedFrame | null = null
    try {
      const connection = await this.#cluster.connectionToNode(node, this.#options.purpose)
      const version = connection.versions.require(ApiKeys.Fetch, 4)
      const useIds = version >= 13
      const built = session.build(states, (state) => this.#describe(state))
      const { incremental, topics, forgotten } = built
      const topicId = (name: string): string => session!.topicId(name, () => this.#cluster.topic(name)?.topicId ?? ZERO_UUID)
      if (useIds) for (const name of topics.keys()) if ((this.#cluster.topic(name)?.topicId ?? ZERO_UUID) === ZERO_UUID) throw new KafkaError(`No topic id for ${name}`, { retriable: true })
      const request = {
        replicaId: -1,
        maxWaitMs,
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
      let frame: Buffer | null = null
      const response = await connection.send(apis[ApiKeys.Fetch], request, { version, timeoutMs, onFrame: (f) => (frame = f) })
      if (frame !== null) shared = new SharedFrame(frame, (f) => connection.reuseFrame(f))
      received = response
      this.fetchCount++
      if (incremental) this.incrementalFetchCount++
      if (response.errorCode && response.errorCode !== 0) {
        const code = response.errorCode
        this.#resetSession(node)
        if (code === FETCH_SESSION_ID_NOT_FOUND || code === INVALID_FETCH_SESSION_EPOCH || code === FETCH_SESSION_TOPIC_ID_ERROR) {
          this.#logger.debug({ nodeId: node, errorCode: code }, 'fetch session reset')
          failure = errorFromCode(code, `Fetch from node ${node}`) ?? undefined
          return
        }
        throw errorFromCode(code, `Fetch from node ${node}`)!
      }
      // The session now holds what we sent; a response without a session id means the broker keeps none.
      if (response.sessionId && response.sessionId !== 0) {
        session.accepted(response.sessionId, built)
      } else {
        this.#resetSession(node)
      }
      this.#fetchedBytes = this.#fetchedRecords = 0
      for (const topicResponse of response.responses) {
        const name = useIds ? (topicResponse.topicId ? session.topicName(topicResponse.topicId, (id) => this.#cluster.topicNameById(id)) : undefined) : topicResponse.topic
        if (name === undefined) continue
        for (const p of topicResponse.partitions) {
          // `sent` holds every partition of the session, also those an incremental request did not list because
          // nothing moved (the session forgets the others), so a partition it lacks is not ours.
          const request = sent.get(partitionKey(name, p.partitionIndex))
          if (!request) continue
          this.#handlePartition(node, session, request.state, request.generation, request.fetchOffset, p, shared)
        }
      }
      metrics?.fetched(performance.now() - startedAt, this.#fetchedBytes, this.#fetchedRecords, response.throttleTimeMs ?? 0)
    } catch (error) {
      this.#resetSession(node)
      const kafkaError = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
      failure = kafkaError
      if (!this.#stopped) {
        if (!isProgrammingError(error) && (kafkaError.retriable || !(kafkaError instanceof KafkaProtocolError))) {
          this.#logger.debug({ nodeId: node, err: kafkaError }, 'fetch failed; backing off and refreshing metadata')
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
      if (besideHeldBack) {
        const drained = this.#drainedDuringFetch.delete(node)
        this.#heldBackWaitMs.set(node, drained ? HELD_BACK_FIRST_WAIT_MS : Math.min(2 * maxWaitMs, this.#options.fetchMaxWaitMs))
      }
      // Published before the next fetch starts, so events of one node never appear out of order.
      if (publish) this.#publishFetch(node, startedAt, states.length, received, failure, observe)
      if (trace !== null) this.#traceEnd(trace, received, failure)
      received = null
      shared?.seal()
      this.schedule()
    }
  }

  #traceStart(node: number, states: PartitionState[]): ConsumerFetchContext {
    const context: ConsumerFetchContext = {
      clientId: this.#options.clientId,
      groupId: this.#options.groupId,
      nodeId: node,
      partitions: states.map((state) => ({ topic: state.topic, partition: state.partition, fetchOffset: state.fetchPosition! })),
    }
    tracingChannels.consumerFetch.start.publish(context)
    tracingChannels.consumerFetch.end.publish(context)
    return context
  }

  #traceEnd(
    context: ConsumerFetchContext,
    response: { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> } | null,
    error: KafkaError | undefined,
  ): void {
    if (error === undefined && response !== null) {
      let partitions = 0
      let bytes = 0
      for (const topic of response.responses) {
        partitions += topic.partitions.length
        for (const p of topic.partitions) bytes += p.records?.length ?? 0
      }
      context.result = { partitions, bytes, records: this.#fetchedRecords }
    }
    publishSettled(tracingChannels.consumerFetch, context, error)
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
    observe: ((event: FetchEvent) => void) | null,
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
    if (channels.fetch.hasSubscribers) channels.fetch.publish(event)
    observe?.({ type: 'done', nodeId: node, partitions, bytes, durationMs: event.durationMs, ...(error !== undefined ? { error } : {}) })
  }

  /** KIP-320: checks positions with the new leader before fetching there again (see offset-validation.ts). */
  #validate(node: number, pending: PendingValidation[]): void {
    this.validationCount += pending.length
    void validatePositions(this.#validation, node, pending).finally(() => this.schedule())
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
    shared: SharedFrame | null,
  ): void {
    if (state.revoked || state.generation !== generation || state.fetchPosition !== fetchOffset) {
      // Moved (seek, reset, revoke) while the fetch was out: drop what came back and make the session resend.
      session.forget(state)
      return
    }
    if (p.errorCode !== 0) {
      session.forget(state)
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
    const metrics = this.#host.metrics
    if (metrics && state.position !== null) {
      const end = this.#options.isolationLevel === 1 ? state.lastStableOffset : p.highWatermark
      if (end !== null) metrics.partitionFetched(Number(end - state.position), state.logStartOffset === null ? -1 : Number(state.position - state.logStartOffset))
    }
    if (p.divergingEpoch && p.divergingEpoch.epoch >= 0) {
      session.forget(state)
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
    const chunk = new FetchedChunk(state, end.bytes === records.length ? records : records.subarray(0, end.bytes), this.#options.isolationLevel === 1 ? p.abortedTransactions : null, p.highWatermark, shared)
    this.#fetchedBytes += end.bytes
    this.#fetchedRecords += end.records
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
 * A TypeError or RangeError out of a fetch is a bug or a bad value given to the consumer (an offset of the wrong
 * type), not a network fault: retried, it fails the same way forever while the application waits on a silent
 * consumer. It stops the consumer instead, and the application sees it.
 */
function isProgrammingError(error: unknown): boolean {
  return !(error instanceof KafkaError) && (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError)
}
