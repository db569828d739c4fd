/**
 * The cluster as the clients see it: a metadata cache (brokers, topics with their ids, partitions, leaders and
 * leader epochs), coordinator lookups, and the one request path every client uses:
 * build → route (any broker, a node, the controller, a coordinator, a partition leader) → send → classify errors
 * → refresh what the error says is stale → retry with backoff under the call's budget, or surface a typed error.
 *
 * Only `send` (and `topics` when called without a budget) retries. Routing steps (metadata, coordinator look-ups,
 * connecting) make one attempt each, bounded by the request timeout and the caller's signal; the caller's budget
 * decides whether to try again.
 *
 * Metadata refreshes are coalesced: callers that ask while one is running share it when it covers their topics,
 * otherwise they share the single next one. Each caller waits on the shared refresh only as long as its own signal
 * allows. Partition leader epochs only move forward, so a response from a broker with older metadata cannot send us
 * back to a previous leader (KIP-320).
 */
import { ConnectionError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { type ApiCodec, apis, ApiKeys, ErrorCodes, errorFromCode } from '../protocol/index.js'
import type { Connection, RequestOptions } from './connection.js'
import { type Logger, silentLogger } from './instrumentation.js'
import { abortable, throwIfAborted } from './abort.js'
import { Budget, DEFAULT_RETRY, type RetryOptions, staleness } from './policy.js'
import { type BrokerAddress, ConnectionPool, type PoolOptions } from './pool.js'
import { type Clock, systemClock } from './clock.js'

export interface ClusterOptions extends PoolOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[]
  /** Refresh metadata at least this often even without errors (Java's metadata.max.age.ms). */
  metadataMaxAgeMs?: number
  retry?: Partial<RetryOptions>
  /** Bounds a call that names no deadline of its own (Java's default.api.timeout.ms). Default 60 000. */
  defaultApiTimeoutMs?: number
  /** The time every client of this cluster reads and schedules with; real time unless a test injects its own. */
  clock?: Clock
}

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface PartitionInfo {
  partition: number
  /** -1 while the partition has no leader. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  errorCode: number
}

export interface TopicInfo {
  name: string
  topicId: string
  isInternal: boolean
  partitions: PartitionInfo[]
}

export type CoordinatorType = 'group' | 'transaction' | 'share'
const COORDINATOR_KEY_TYPE: Record<CoordinatorType, number> = { group: 0, transaction: 1, share: 2 }

/** Where a request goes. */
export type Target =
  | { kind: 'any' }
  | { kind: 'node'; nodeId: number }
  | { kind: 'controller' }
  | { kind: 'coordinator'; type: CoordinatorType; key: string }
  | { kind: 'leader'; topic: string; partition: number }

export interface SendOptions extends Omit<RequestOptions, 'version'> {
  /** Connection purpose (`default`, `fetch`, `group`, `produce`…): separates long polls from control traffic. */
  purpose?: string
  /**
   * The call this request belongs to: its attempts, deadline and signal. Without one, `send` makes a budget of its
   * own from `retry`, `deadline` and `signal`, bounded by `defaultApiTimeoutMs`.
   */
  budget?: Budget
  retry?: Partial<RetryOptions>
  /** Absolute deadline (Date.now() ms) for all attempts together. */
  deadline?: number
  /** Returns the error code the response carries at the top level (0 for none), so it is classified and retried. */
  errorCode?: (response: never) => number
  /** Picks the version from the negotiated one; throw UnsupportedVersionError when the broker is too old. */
  version?: number | ((negotiated: number) => number)
}

const { UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE, NOT_CONTROLLER, UNKNOWN_TOPIC_ID, REBOOTSTRAP_REQUIRED } = ErrorCodes

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

interface MetadataResponseShape {
  brokers: Array<{ nodeId: number; host: string; port: number; rack?: string | null }>
  clusterId?: string | null
  controllerId?: number
  errorCode?: number
  topics: Array<{
    errorCode: number
    name: string | null
    topicId?: string
    isInternal?: boolean
    partitions: Array<{
      errorCode: number
      partitionIndex: number
      leaderId: number
      leaderEpoch?: number
      replicaNodes: number[]
      isrNodes: number[]
      offlineReplicas?: number[]
    }>
  }>
}

interface FindCoordinatorResponseShape {
  errorCode?: number
  errorMessage?: string | null
  nodeId?: number
  host?: string
  port?: number
  coordinators?: Array<{ key: string; nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }>
}

type Refresh = { topics: Set<string> | 'all'; promise: Promise<void> }

export class Cluster {
  readonly pool: ConnectionPool
  readonly #bootstrap: BrokerAddress[]
  readonly #logger: Logger
  readonly #retry: RetryOptions
  readonly #metadataMaxAgeMs: number
  readonly #defaultApiTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #brokers = new Map<number, BrokerInfo>()
  readonly #topics = new Map<string, TopicInfo>()
  readonly #topicNamesById = new Map<string, string>()
  readonly #topicErrors = new Map<string, number>()
  /** Topics some client uses: every refresh covers them so that their leaders stay current. */
  readonly #interest = new Set<string>()
  readonly #coordinators = new Map<string, BrokerAddress>()
  readonly #coordinatorLookups = new Map<string, Promise<BrokerAddress>>()
  #clusterId: string | null = null
  #controllerId = -1
  #lastRefreshAt = 0
  #current: Refresh | null = null
  #next: { topics: Set<string> | 'all'; promise: Promise<void>; start: () => void } | null = null
  #anyIndex = 0
  readonly clock: Clock

  constructor(options: ClusterOptions) {
    if (!options.brokers || options.brokers.length === 0) throw new KafkaError('No bootstrap brokers given')
    this.#bootstrap = options.brokers.map(parseHostPort)
    this.clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    this.#metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000
    this.#defaultApiTimeoutMs = options.defaultApiTimeoutMs ?? 60_000
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.pool = new ConnectionPool(options)
  }

  get clusterId(): string | null {
    return this.#clusterId
  }

  get controllerId(): number {
    return this.#controllerId
  }

  /** How long metadata (and anything derived from it, like a preferred read replica) is trusted. */
  get metadataMaxAgeMs(): number {
    return this.#metadataMaxAgeMs
  }

  get retryOptions(): RetryOptions {
    return this.#retry
  }

  get defaultApiTimeoutMs(): number {
    return this.#defaultApiTimeoutMs
  }

  /**
   * A budget for one call: `timeoutMs` (else `defaultApiTimeoutMs`, or the setting named by `bound`), the caller's
   * signal, and the configured retries unless `retry` says otherwise. End it when the call settles.
   */
  budget(options: { timeoutMs?: number; signal?: AbortSignal; retry?: Partial<RetryOptions>; bound?: string } = {}): Budget {
    return Budget.for(options, {
      timeoutMs: this.#defaultApiTimeoutMs,
      bound: 'defaultApiTimeoutMs',
      retry: this.#retry,
      clock: this.clock,
    })
  }

  /** Runs `call` under a budget of its own (see `budget`), ended when it settles. */
  async withBudget<T>(options: { timeoutMs?: number; signal?: AbortSignal; retry?: Partial<RetryOptions>; bound?: string }, call: (budget: Budget) => Promise<T>): Promise<T> {
    const budget = this.budget(options)
    try {
      return await call(budget)
    } finally {
      budget.end()
    }
  }

  brokers(): BrokerInfo[] {
    return [...this.#brokers.values()]
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.#brokers.get(nodeId)
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name)
  }

  topicNameById(topicId: string): string | undefined {
    return this.#topicNamesById.get(topicId)
  }

  /** Keeps `topics` in every future metadata refresh. */
  addInterest(topics: Iterable<string>): void {
    for (const topic of topics) this.#interest.add(topic)
  }

  // ---- metadata ----

  /**
   * Refreshes metadata for `topics` (plus every topic of interest), or for all topics with 'all'. Concurrent calls
   * share requests.
   */
  refreshMetadata(topics: Iterable<string> | 'all' = [], options: { signal?: AbortSignal } = {}): Promise<void> {
    return abortable(this.#sharedRefresh(topics), options.signal)
  }

  /**
   * One Metadata request (one attempt) shared by every caller it covers. It runs on no caller's signal, since one
   * caller giving up must not fail the others; the pool's close ends it, and the request timeout bounds it.
   */
  #sharedRefresh(topics: Iterable<string> | 'all'): Promise<void> {
    const wanted: Set<string> | 'all' = topics === 'all' ? 'all' : new Set([...this.#interest, ...topics])
    const current = this.#current
    if (current && covers(current.topics, wanted)) return current.promise
    if (!current) return this.#startRefresh(wanted).promise
    if (this.#next) {
      this.#next.topics = merge(this.#next.topics, wanted)
      return this.#next.promise
    }
    let start!: () => void
    const next = {
      topics: wanted,
      promise: new Promise<void>((resolve, reject) => {
        start = () => this.#startRefresh(next.topics).promise.then(resolve, reject)
      }),
      start: () => start(),
    }
    this.#next = next
    return next.promise
  }

  #startRefresh(topics: Set<string> | 'all'): Refresh {
    const refresh: Refresh = {
      topics,
      promise: this.#fetchMetadata(topics, this.pool.signal).finally(() => {
        this.#current = null
        const next = this.#next
        this.#next = null
        if (next) {
          this.#current = { topics: next.topics, promise: next.promise }
          next.start()
        }
      }),
    }
    this.#current = refresh
    return refresh
  }

  async #fetchMetadata(topics: Set<string> | 'all', signal?: AbortSignal): Promise<void> {
    const connection = await this.anyConnection('default', signal)
    const api = apis[ApiKeys.Metadata] as ApiCodec<unknown, MetadataResponseShape>
    const version = connection.versions.require(ApiKeys.Metadata, 1)
    const request = {
      topics: topics === 'all' ? null : [...topics].map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    }
    const response = await connection.send(api, request, { version, signal, timeoutMs: this.#requestTimeoutMs })
    if (response.errorCode === REBOOTSTRAP_REQUIRED) {
      this.#rebootstrap()
      throw errorFromCode(REBOOTSTRAP_REQUIRED, 'Metadata') ?? new ConnectionError('Rebootstrap required')
    }
    this.#applyMetadata(response, topics)
  }

  #applyMetadata(response: MetadataResponseShape, requested: Set<string> | 'all'): void {
    if (response.brokers.length > 0) {
      this.#brokers.clear()
      for (const b of response.brokers) this.#brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })
    }
    this.#clusterId = response.clusterId ?? this.#clusterId
    this.pool.expectedClusterId = this.#clusterId
    this.#controllerId = response.controllerId ?? this.#controllerId
    this.#lastRefreshAt = this.clock.now()
    const seen = new Set<string>()
    for (const t of response.topics) {
      if (t.name === null) continue
      seen.add(t.name)
      if (t.errorCode !== 0) {
        this.#topicErrors.set(t.name, t.errorCode)
        if (t.errorCode === UNKNOWN_TOPIC_OR_PARTITION || t.errorCode === UNKNOWN_TOPIC_ID) this.#forgetTopic(t.name)
        continue
      }
      this.#topicErrors.delete(t.name)
      const topicId = t.topicId ?? ZERO_UUID
      const previous = this.#topics.get(t.name)
      // A new topic id under the same name is a re-created topic (KIP-516): its old epochs mean nothing.
      const sameTopic = previous !== undefined && previous.topicId === topicId
      const partitions: PartitionInfo[] = new Array(t.partitions.length)
      for (const p of t.partitions) {
        const info: PartitionInfo = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        }
        const old = sameTopic ? previous.partitions[p.partitionIndex] : undefined
        partitions[p.partitionIndex] = old && old.leaderEpoch > info.leaderEpoch ? old : info
      }
      if (previous && !sameTopic) this.#topicNamesById.delete(previous.topicId)
      this.#topics.set(t.name, { name: t.name, topicId, isInternal: t.isInternal ?? false, partitions: partitions.filter(Boolean) })
      if (topicId !== ZERO_UUID) this.#topicNamesById.set(topicId, t.name)
    }
    if (requested === 'all') {
      for (const name of [...this.#topics.keys()]) if (!seen.has(name)) this.#forgetTopic(name)
    }
  }

  #forgetTopic(name: string): void {
    const old = this.#topics.get(name)
    if (old) this.#topicNamesById.delete(old.topicId)
    this.#topics.delete(name)
  }

  /**
   * Metadata for each topic, refreshing when unknown or older than metadataMaxAgeMs. A topic that does not exist
   * fails with UNKNOWN_TOPIC_OR_PARTITION (retriable: a topic just created takes a moment to appear). With a
   * `budget` this is one attempt of the caller's call; without one it retries under a budget of its own
   * (`timeoutMs`, else defaultApiTimeoutMs).
   */
  async topics(names: string[], options: { signal?: AbortSignal; budget?: Budget; timeoutMs?: number; bound?: string } = {}): Promise<TopicInfo[]> {
    this.addInterest(names)
    if (!this.#needsRefresh(names)) return names.map((n) => this.#topics.get(n)!)
    if (options.budget) {
      await this.#topicsOnce(names, options.budget.signal)
    } else {
      await this.withBudget(options, (budget) => budget.run(() => this.#topicsOnce(names, budget.signal)))
    }
    return names.map((n) => this.#topics.get(n)!)
  }

  /**
   * One attempt at metadata for `names` (a refresh when unknown or stale; the topic's error when still missing):
   * for loops that retry on their own, such as a group member's rounds.
   */
  async topicsOnce(names: string[], signal?: AbortSignal): Promise<TopicInfo[]> {
    this.addInterest(names)
    await this.#topicsOnce(names, signal)
    return names.map((n) => this.#topics.get(n)!)
  }

  #needsRefresh(names: string[]): boolean {
    return this.clock.now() - this.#lastRefreshAt > this.#metadataMaxAgeMs || names.some((n) => !this.#topics.has(n))
  }

  async #topicsOnce(names: string[], signal: AbortSignal | undefined): Promise<void> {
    if (!this.#needsRefresh(names)) return
    await this.refreshMetadata(names, { signal })
    const missing = names.find((n) => !this.#topics.has(n))
    if (missing !== undefined) {
      const code = this.#topicErrors.get(missing) ?? UNKNOWN_TOPIC_OR_PARTITION
      throw errorFromCode(code, missing) ?? new KafkaError(`Topic ${missing} has no metadata`)
    }
  }

  /**
   * Applies a leader hint from a Produce/Fetch error response (KIP-951): the new leader (and its endpoint when the
   * response carries it) replaces the cached one at once, with no metadata round trip. Returns whether the cache
   * now names a newer leader, in which case the caller can retry without refreshing metadata.
   */
  applyLeaderHint(topic: string, partition: number, leaderId: number, leaderEpoch: number, endpoint?: BrokerInfo): boolean {
    if (endpoint && !this.#brokers.has(endpoint.nodeId)) this.#brokers.set(endpoint.nodeId, endpoint)
    const info = this.#topics.get(topic)?.partitions[partition]
    if (!info || leaderId < 0 || leaderEpoch <= info.leaderEpoch || !this.#brokers.has(leaderId)) return false
    info.leader = leaderId
    info.leaderEpoch = leaderEpoch
    return true
  }

  /** The broker leading `topic`/`partition`, refreshing metadata when it is unknown (one attempt with a budget). */
  async leaderFor(topic: string, partition: number, signal?: AbortSignal | Budget): Promise<BrokerInfo> {
    const [info] = await this.topics([topic], signal instanceof Budget ? { budget: signal } : { signal })
    const p = info!.partitions[partition]
    if (!p) throw errorFromCode(UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`)!
    const leader = this.#brokers.get(p.leader)
    if (!leader) {
      void this.refreshMetadata([topic]).catch(() => undefined)
      throw errorFromCode(LEADER_NOT_AVAILABLE, `${topic}-${partition}`)!
    }
    return leader
  }

  // ---- connections and routing ----

  async connectionToNode(nodeId: number, purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    let broker = this.#brokers.get(nodeId)
    if (!broker) {
      await this.refreshMetadata([], { signal })
      broker = this.#brokers.get(nodeId)
      if (!broker) throw new ConnectionError(`Broker ${nodeId} is not in the cluster metadata`, { retriable: true })
    }
    return this.pool.get(broker, purpose, signal)
  }

  /**
   * A connection to some broker: an open one if any, else known brokers in turn (skipping those backing off),
   * else the bootstrap servers again (rebootstrap, KIP-899) when every known broker is unreachable.
   */
  async anyConnection(purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    const known: BrokerAddress[] = [...this.#brokers.values()]
    for (const broker of known) {
      const open = this.pool.peek(broker, purpose)
      if (open?.isReady) return open
    }
    const candidates = known.length > 0 ? rotate(known, this.#anyIndex++) : []
    const healthy = candidates.filter((b) => !this.pool.isBackingOff(b))
    let lastError: unknown
    for (const broker of [...healthy, ...rotate(this.#bootstrap, this.#anyIndex)]) {
      throwIfAborted(signal)
      try {
        return await this.pool.get(broker, purpose, signal)
      } catch (error) {
        lastError = error
        if (error instanceof KafkaError && !error.retriable) throw error
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('No broker is reachable')
  }

  #rebootstrap(): void {
    this.#logger.warn({}, 'rebootstrapping: forgetting known brokers and using the bootstrap servers')
    this.#brokers.clear()
    this.#coordinators.clear()
    this.pool.expectedClusterId = null
  }

  /**
   * The node a coordinator lookup returned for `type`/`key`, looked up (one FindCoordinator, shared by concurrent
   * callers) when not cached. Retrying a failed look-up is the caller's budget's business.
   */
  coordinator(type: CoordinatorType, key: string, signal?: AbortSignal): Promise<BrokerAddress> {
    const cacheKey = `${type}:${key}`
    const cached = this.#coordinators.get(cacheKey)
    if (cached) return Promise.resolve(cached)
    let lookup = this.#coordinatorLookups.get(cacheKey)
    if (!lookup) {
      lookup = this.#findCoordinator(type, key, this.pool.signal).finally(() => this.#coordinatorLookups.delete(cacheKey))
      this.#coordinatorLookups.set(cacheKey, lookup)
    }
    return abortable(lookup, signal)
  }

  /** The cached coordinator of `type`/`key`, if one is known (no look-up). */
  cachedCoordinator(type: CoordinatorType, key: string): BrokerAddress | undefined {
    return this.#coordinators.get(`${type}:${key}`)
  }

  /** Caches a coordinator found by a batched look-up (admin's FindCoordinator v4 for many keys). */
  rememberCoordinator(type: CoordinatorType, key: string, address: BrokerAddress): void {
    this.#coordinators.set(`${type}:${key}`, address)
  }

  invalidateCoordinator(type: CoordinatorType, key: string): void {
    this.#coordinators.delete(`${type}:${key}`)
  }

  async #findCoordinator(type: CoordinatorType, key: string, signal?: AbortSignal): Promise<BrokerAddress> {
    const connection = await this.anyConnection('default', signal)
    const api = apis[ApiKeys.FindCoordinator] as ApiCodec<unknown, FindCoordinatorResponseShape>
    const version = connection.versions.require(ApiKeys.FindCoordinator)
    const keyType = COORDINATOR_KEY_TYPE[type]
    const request = version >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType }
    const response = await connection.send(api, request, { version, signal, timeoutMs: this.#requestTimeoutMs })
    const entry =
      version >= 4
        ? response.coordinators?.find((c) => c.key === key)
        : { errorCode: response.errorCode ?? 0, errorMessage: response.errorMessage ?? null, nodeId: response.nodeId!, host: response.host!, port: response.port! }
    if (!entry) throw errorFromCode(COORDINATOR_NOT_AVAILABLE, `${type} coordinator for ${key}`)!
    if (entry.errorCode !== 0) throw errorFromCode(entry.errorCode, `${type} coordinator for ${key}`, entry.errorMessage)!
    const address = { nodeId: entry.nodeId, host: entry.host, port: entry.port }
    this.#coordinators.set(`${type}:${key}`, address)
    return address
  }

  async connectionFor(target: Target, purpose: string, signal?: AbortSignal): Promise<Connection> {
    switch (target.kind) {
      case 'any':
        return this.anyConnection(purpose, signal)
      case 'node':
        return this.connectionToNode(target.nodeId, purpose, signal)
      case 'controller': {
        if (this.#controllerId < 0 || !this.#brokers.has(this.#controllerId)) await this.refreshMetadata([], { signal })
        return this.connectionToNode(this.#controllerId, purpose, signal)
      }
      case 'coordinator':
        return this.pool.get(await this.coordinator(target.type, target.key, signal), purpose, signal)
      case 'leader': {
        const leader = await this.leaderFor(target.topic, target.partition, signal)
        return this.pool.get(leader, purpose, signal)
      }
    }
  }

  /**
   * The one request path: route, send at the negotiated version, classify the response's top-level error code and
   * retry what is retriable, after refreshing whatever the error proves stale, under one budget: the caller's
   * (`options.budget`, whose attempts this call then counts against) or one made from `retry`, `deadline` and
   * `signal`, bounded by defaultApiTimeoutMs. Inside a loop that already owns the caller's budget (a sharded call,
   * `budget.run`) this is one attempt: retries never nest.
   */
  async send<Req, Res, ReqIn = Req, ResIn = Res>(
    target: Target,
    api: ApiCodec<Req, Res, ReqIn, ResIn>,
    body: ReqIn | ((version: number) => ReqIn),
    options: SendOptions = {},
  ): Promise<Res> {
    if (options.budget?.looping) return this.sendOnce(target, api, body, options.budget, options)
    const own = options.budget === undefined
    const budget =
      options.budget ??
      this.budget({
        signal: options.signal,
        retry: options.retry,
        timeoutMs: options.deadline === undefined ? undefined : options.deadline - this.clock.now(),
      })
    try {
      return await budget.run(
        () => this.sendOnce(target, api, body, budget, options),
        (error) => this.handleRetriableError(error, target),
      )
    } finally {
      if (own) budget.end()
    }
  }

  /** One attempt of `send`: route, send, check the top-level error code. Retrying is the caller's. */
  async sendOnce<Req, Res, ReqIn = Req, ResIn = Res>(
    target: Target,
    api: ApiCodec<Req, Res, ReqIn, ResIn>,
    body: ReqIn | ((version: number) => ReqIn),
    budget: Budget,
    options: Omit<SendOptions, 'budget' | 'retry' | 'deadline' | 'signal'> = {},
  ): Promise<Res> {
    const connection = await this.connectionFor(target, options.purpose ?? 'default', budget.signal)
    const negotiated = connection.versions.require(api.apiKey)
    const version = typeof options.version === 'function' ? options.version(negotiated) : (options.version ?? negotiated)
    const request = typeof body === 'function' ? (body as (v: number) => ReqIn)(version) : body
    const response = await connection.send(api, request, {
      version,
      timeoutMs: budget.requestTimeout(options.timeoutMs ?? this.#requestTimeoutMs),
      signal: budget.signal,
      expectResponse: options.expectResponse,
      zeroCopy: options.zeroCopy,
    })
    const code = options.errorCode ? options.errorCode(response as never) : 0
    if (code !== 0) throw errorFromCode(code, api.name, errorMessageOf(response)) ?? new KafkaError(`${api.name} failed with ${code}`)
    return response
  }

  /**
   * Drops whatever cached routing `error` proves stale, by its class in Kafka's error table: metadata (leaders,
   * topics) or the target's coordinator. A lost connection or a timeout proves both suspect. Clients call this for
   * per-partition errors too.
   */
  handleRetriableError(error: KafkaError, target?: Target): void {
    const code = error instanceof KafkaProtocolError ? error.code : -1
    const lost = error instanceof ConnectionError || error instanceof TimeoutError
    const stale = staleness(error)
    if (target?.kind === 'coordinator' && (stale === 'coordinator' || lost)) this.invalidateCoordinator(target.type, target.key)
    if (code === REBOOTSTRAP_REQUIRED) this.#rebootstrap()
    if (stale === 'metadata' || lost || code === NOT_CONTROLLER || code === REBOOTSTRAP_REQUIRED) {
      const topics = target?.kind === 'leader' ? [target.topic] : []
      void this.#sharedRefresh(topics).catch((refreshError: unknown) =>
        this.#logger.debug({ error: refreshError }, 'metadata refresh after a retriable error failed'),
      )
    }
  }

  close(): void {
    this.pool.close()
  }
}

function errorMessageOf(response: unknown): string | null {
  const message = (response as { errorMessage?: unknown }).errorMessage
  return typeof message === 'string' ? message : null
}

function covers(have: Set<string> | 'all', want: Set<string> | 'all'): boolean {
  if (have === 'all') return true
  if (want === 'all') return false
  for (const t of want) if (!have.has(t)) return false
  return true
}

function merge(a: Set<string> | 'all', b: Set<string> | 'all'): Set<string> | 'all' {
  if (a === 'all' || b === 'all') return 'all'
  return new Set([...a, ...b])
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items
  const k = by % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

export function parseHostPort(address: string): BrokerAddress {
  const trimmed = address.trim()
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed)
  if (bracketed) return { nodeId: null, host: bracketed[1]!, port: Number(bracketed[2]) }
  const colon = trimmed.lastIndexOf(':')
  if (colon <= 0) throw new KafkaError(`Broker address "${address}" is not host:port`)
  const port = Number(trimmed.slice(colon + 1))
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaError(`Broker address "${address}" has an invalid port`)
  return { nodeId: null, host: trimmed.slice(0, colon), port }
}
