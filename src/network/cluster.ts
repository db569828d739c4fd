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
 * What the metadata says, and when it must be refreshed, is the MetadataCache's (metadata.ts); the cluster fetches
 * it, and drops whatever an error proves stale.
 */
import { ConnectionError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { type ApiCodec, apis, ApiKeys, ErrorCodes, errorFromCode } from '../protocol/index.js'
import type { Connection, RequestOptions } from './connection.js'
import { type Logger, silentLogger } from './instrumentation.js'
import { abortable, throwIfAborted } from './abort.js'
import { Budget, DEFAULT_RETRY, type RetryOptions, staleness } from './policy.js'
import { type BrokerAddress, ConnectionPool, type PoolOptions } from './pool.js'
import { type Clock, systemClock } from './clock.js'
import { checkTlsOptions } from './socket.js'
import { NetworkMetrics } from './metrics.js'
import { type BrokerInfo, MetadataCache, type MetadataResponseShape, type TopicInfo, type TopicSelection, ZERO_UUID } from './metadata.js'

export type { BrokerInfo, PartitionInfo, TopicInfo } from './metadata.js'

export interface ClusterOptions extends PoolOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[]
  /** Refresh metadata at least this often even without errors (Java's metadata.max.age.ms). */
  metadataMaxAgeMs?: number
  /** Metadata requests ask the broker to create missing topics (when it allows it). Default false, as Java's producer. */
  allowAutoTopicCreation?: boolean
  retry?: Partial<RetryOptions>
  /** Bounds a call that names no deadline of its own (Java's default.api.timeout.ms). Default 60 000. */
  defaultApiTimeoutMs?: number
  /** The time every client of this cluster reads and schedules with; real time unless a test injects its own. */
  clock?: Clock
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

const { UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE, NOT_CONTROLLER, REBOOTSTRAP_REQUIRED } = ErrorCodes

interface FindCoordinatorResponseShape {
  errorCode?: number
  errorMessage?: string | null
  nodeId?: number
  host?: string
  port?: number
  coordinators?: Array<{ key: string; nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }>
}

export class Cluster {
  readonly pool: ConnectionPool
  readonly #bootstrap: BrokerAddress[]
  readonly #logger: Logger
  readonly #retry: RetryOptions
  readonly #defaultApiTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #allowAutoTopicCreation: boolean
  readonly #metadata: MetadataCache
  readonly #coordinators = new Map<string, BrokerAddress>()
  readonly #coordinatorLookups = new Map<string, Promise<BrokerAddress>>()
  #anyIndex = 0
  readonly clock: Clock
  /** The traffic of this cluster's connections, shared by its clients' metrics (see metrics.ts). */
  readonly networkMetrics: NetworkMetrics

  constructor(options: ClusterOptions) {
    if (!options.brokers || options.brokers.length === 0) throw new KafkaError('No bootstrap brokers given')
    checkTlsOptions(options.tls)
    this.#bootstrap = options.brokers.map(parseHostPort)
    this.clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    this.#defaultApiTimeoutMs = options.defaultApiTimeoutMs ?? 60_000
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#allowAutoTopicCreation = options.allowAutoTopicCreation ?? false
    this.networkMetrics = new NetworkMetrics(this.clock)
    this.pool = new ConnectionPool({ ...options, metrics: this.networkMetrics })
    this.networkMetrics.connectionCount = () => this.pool.size
    this.#metadata = new MetadataCache({
      clock: this.clock,
      maxAgeMs: options.metadataMaxAgeMs ?? 300_000,
      fetch: (topics) => this.#fetchMetadata(topics, this.pool.signal),
    })
  }

  get clusterId(): string | null {
    return this.#metadata.clusterId
  }

  get controllerId(): number {
    return this.#metadata.controllerId
  }

  /** How long metadata (and anything derived from it, like a preferred read replica) is trusted. */
  get metadataMaxAgeMs(): number {
    return this.#metadata.maxAgeMs
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
    return this.#metadata.brokers()
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.#metadata.broker(nodeId)
  }

  topic(name: string): TopicInfo | undefined {
    return this.#metadata.topic(name)
  }

  topicNameById(topicId: string): string | undefined {
    return this.#metadata.topicNameById(topicId)
  }

  /** Keeps `topics` in every future metadata refresh. */
  addInterest(topics: Iterable<string>): void {
    this.#metadata.addInterest(topics)
  }

  // ---- metadata ----

  /**
   * Refreshes metadata for `topics` (plus every topic of interest), or for all topics with 'all'. Concurrent calls
   * share requests.
   */
  refreshMetadata(topics: Iterable<string> | 'all' = [], options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#metadata.refresh(topics, options.signal)
  }

  /** One Metadata request, one attempt; the MetadataCache shares it among the callers it covers. */
  async #fetchMetadata(topics: TopicSelection, signal?: AbortSignal): Promise<void> {
    const connection = await this.anyConnection('default', signal)
    const api = apis[ApiKeys.Metadata] as ApiCodec<unknown, MetadataResponseShape>
    const version = connection.versions.require(ApiKeys.Metadata, 1)
    const request = {
      topics: topics === 'all' ? null : [...topics].map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: this.#allowAutoTopicCreation,
      includeTopicAuthorizedOperations: false,
    }
    const response = await connection.send(api, request, { version, signal, timeoutMs: this.#requestTimeoutMs })
    if (response.errorCode === REBOOTSTRAP_REQUIRED) {
      this.#rebootstrap()
      throw errorFromCode(REBOOTSTRAP_REQUIRED, 'Metadata') ?? new ConnectionError('Rebootstrap required')
    }
    this.#metadata.apply(response, topics)
    this.pool.expectedClusterId = this.#metadata.clusterId
  }

  /**
   * Metadata for each topic, refreshing when unknown or older than metadataMaxAgeMs. A topic that does not exist
   * fails with UNKNOWN_TOPIC_OR_PARTITION (retriable: a topic just created takes a moment to appear). With a
   * `budget` this is one attempt of the caller's call; without one it retries under a budget of its own
   * (`timeoutMs`, else defaultApiTimeoutMs).
   */
  async topics(names: string[], options: { signal?: AbortSignal; budget?: Budget; timeoutMs?: number; bound?: string } = {}): Promise<TopicInfo[]> {
    this.addInterest(names)
    const metadata = this.#metadata
    if (!metadata.needsRefresh(names)) return names.map((n) => metadata.topic(n)!)
    if (options.budget) {
      await metadata.ensure(names, options.budget.signal)
    } else {
      await this.withBudget(options, (budget) => budget.run(() => metadata.ensure(names, budget.signal)))
    }
    return names.map((n) => metadata.topic(n)!)
  }

  /**
   * One attempt at metadata for `names` (a refresh when unknown or stale; the topic's error when still missing):
   * for loops that retry on their own, such as a group member's rounds.
   */
  async topicsOnce(names: string[], signal?: AbortSignal): Promise<TopicInfo[]> {
    this.addInterest(names)
    await this.#metadata.ensure(names, signal)
    return names.map((n) => this.#metadata.topic(n)!)
  }

  /**
   * Applies a leader hint from a Produce/Fetch error response (KIP-951): the new leader (and its endpoint when the
   * response carries it) replaces the cached one at once, with no metadata round trip. Returns whether the cache
   * now names a newer leader, in which case the caller can retry without refreshing metadata.
   */
  applyLeaderHint(topic: string, partition: number, leaderId: number, leaderEpoch: number, endpoint?: BrokerInfo): boolean {
    return this.#metadata.applyLeaderHint(topic, partition, leaderId, leaderEpoch, endpoint)
  }

  /** The broker leading `topic`/`partition`, refreshing metadata when it is unknown (one attempt with a budget). */
  async leaderFor(topic: string, partition: number, signal?: AbortSignal | Budget): Promise<BrokerInfo> {
    const [info] = await this.topics([topic], signal instanceof Budget ? { budget: signal } : { signal })
    const p = info!.partitions[partition]
    if (!p) throw errorFromCode(UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`)!
    const leader = this.#metadata.broker(p.leader)
    if (!leader) {
      void this.refreshMetadata([topic]).catch(() => undefined)
      throw errorFromCode(LEADER_NOT_AVAILABLE, `${topic}-${partition}`)!
    }
    return leader
  }

  // ---- connections and routing ----

  async connectionToNode(nodeId: number, purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    let broker = this.#metadata.broker(nodeId)
    if (!broker) {
      await this.refreshMetadata([], { signal })
      broker = this.#metadata.broker(nodeId)
      if (!broker) throw new ConnectionError(`Broker ${nodeId} is not in the cluster metadata`, { retriable: true })
    }
    return this.pool.get(broker, purpose, signal)
  }

  /**
   * A connection to some broker: an open one if any, else known brokers in turn (skipping those backing off),
   * else the bootstrap servers again (rebootstrap, KIP-899) when every known broker is unreachable.
   */
  async anyConnection(purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    const known: BrokerAddress[] = this.#metadata.brokers()
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

  /**
   * A connection for background work (KIP-714 telemetry): waits until the clients of this cluster have connected on
   * their own — such work is never the reason a client connects — then any broker's, as `anyConnection`.
   */
  async backgroundConnection(purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    await this.pool.whenConnected(signal)
    return this.anyConnection(purpose, signal)
  }

  #rebootstrap(): void {
    this.#logger.warn({}, 'rebootstrapping: forgetting known brokers and using the bootstrap servers')
    this.#metadata.forgetBrokers()
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
        const metadata = this.#metadata
        if (metadata.controllerId < 0 || !metadata.broker(metadata.controllerId)) await this.refreshMetadata([], { signal })
        return this.connectionToNode(metadata.controllerId, purpose, signal)
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
      void this.#metadata.shared(topics).catch((refreshError: unknown) =>
        this.#logger.debug({ err: refreshError }, 'metadata refresh after a retriable error failed'),
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
