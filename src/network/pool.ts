/**
 * Connections keyed by broker AND purpose. The broker answers one connection's requests in order, so a Fetch
 * long-poll must not share a socket with heartbeats, commits or metadata requests: each purpose gets its own.
 *
 * Connections open lazily, concurrent callers share one attempt, a broker that failed waits out an exponential
 * backoff before the next attempt, every DNS address of a host is tried, and idle connections are closed.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { AuthenticationError, ConnectionError, KafkaError, TimeoutError } from '../errors.js'
import { backoffDelayMs } from './backoff.js'
import { abortable, ownAbortReason, sleep } from './abort.js'
import { Connection } from './connection.js'
import { type Logger, type RequestObserver, silentLogger } from './instrumentation.js'
import type { NetworkMetrics } from './metrics.js'
import type { SaslMechanism } from './sasl/mechanism.js'

export interface BrokerAddress {
  nodeId: number | null
  host: string
  port: number
}

export interface PoolOptions {
  clientId: string
  tls?: TlsConnectionOptions | boolean | null
  sasl?: SaslMechanism | null
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  maxInFlightRequests?: number
  /** Close connections unused for this long (Java's connections.max.idle.ms). */
  connectionsMaxIdleMs?: number
  reconnectBackoffMs?: number
  reconnectBackoffMaxMs?: number
  allowUnstableVersions?: boolean
  logger?: Logger
  /** Told of every request of this pool's connections (see RequestObserver). */
  requestObserver?: RequestObserver
  /** Counts the pool's connections and their traffic (see metrics.ts). */
  metrics?: NetworkMetrics
}

const WARN_INTERVAL_MS = 30_000

interface BrokerHealth {
  failures: number
  retryAt: number
}

export class ConnectionPool {
  readonly #options: PoolOptions
  readonly #logger: Logger
  readonly #connections = new Map<string, Connection>()
  readonly #opening = new Map<string, Promise<Connection>>()
  readonly #connectedWaiters = new Set<() => void>()
  readonly #health = new Map<string, BrokerHealth>()
  #idleTimer: NodeJS.Timeout | null = null
  #closed = false
  #closing = new AbortController()
  readonly #idleMs: number
  /** Per broker: when a failure was last reported at warn, and how many failures were not reported since. */
  readonly #warned = new Map<string, { at: number; suppressed: number }>()
  /** Set by the cluster once metadata names the cluster; connections to known nodes then verify it (KIP-1242). */
  expectedClusterId: string | null = null

  constructor(options: PoolOptions) {
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#idleMs = options.connectionsMaxIdleMs ?? 540_000
  }

  /** The idle sweep runs only while connections exist, so an unused pool holds no timer. */
  #startIdleSweep(): void {
    if (this.#idleTimer || this.#idleMs <= 0) return
    const idleMs = this.#idleMs
    this.#idleTimer = setInterval(() => this.closeIdle(idleMs), Math.min(idleMs, 30_000))
    this.#idleTimer.unref()
  }

  #stopIdleSweep(): void {
    if (this.#idleTimer) clearInterval(this.#idleTimer)
    this.#idleTimer = null
  }

  /** Fires when the pool closes: work that no caller owns (shared refreshes, look-ups) stops with it. */
  get signal(): AbortSignal {
    return this.#closing.signal
  }

  /** An open connection to `broker` for `purpose`, opening one if needed. */
  async get(broker: BrokerAddress, purpose = 'default', signal?: AbortSignal): Promise<Connection> {
    if (this.#closed) throw new ConnectionError('The client is closed', { retriable: false })
    const key = `${broker.host}:${broker.port}/${purpose}`
    const existing = this.#connections.get(key)
    if (existing && !existing.isClosed) return existing
    let opening = this.#opening.get(key)
    if (!opening) {
      // The attempt is shared, so it runs on the pool's signal, not the first caller's; each caller waits on it as
      // long as its own signal allows. The connect timeout bounds it.
      opening = this.#open(broker, purpose, key, this.#closing.signal).finally(() => this.#opening.delete(key))
      this.#opening.set(key, opening)
    }
    return abortable(opening, signal)
  }

  /**
   * Resolves once any connection is open (at once when one is): for background work (KIP-714 telemetry) that rides
   * on the client's own connections instead of being the reason a client connects.
   */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.size > 0) return Promise.resolve()
    let waiter: (() => void) | undefined
    const connected = new Promise<void>((resolve) => {
      waiter = resolve
      this.#connectedWaiters.add(resolve)
    })
    return abortable(connected, signal).finally(() => this.#connectedWaiters.delete(waiter!))
  }

  /** A connection that is already open to `broker` for `purpose`, without opening one. */
  peek(broker: BrokerAddress, purpose = 'default'): Connection | undefined {
    const connection = this.#connections.get(`${broker.host}:${broker.port}/${purpose}`)
    return connection && !connection.isClosed ? connection : undefined
  }

  /** True while a broker is inside its reconnect backoff after failed connection attempts. */
  isBackingOff(broker: BrokerAddress, now = Date.now()): boolean {
    const health = this.#health.get(`${broker.host}:${broker.port}`)
    return health !== undefined && health.retryAt > now
  }

  async #open(broker: BrokerAddress, purpose: string, key: string, signal?: AbortSignal): Promise<Connection> {
    const hostKey = `${broker.host}:${broker.port}`
    const health = this.#health.get(hostKey)
    if (health && health.retryAt > Date.now()) await sleep(health.retryAt - Date.now(), signal)
    try {
      const connection = await this.#connectAnyAddress(broker, purpose, signal)
      this.#health.delete(hostKey)
      this.#warned.delete(hostKey)
      this.#connections.set(key, connection)
      this.#startIdleSweep()
      for (const waiter of this.#connectedWaiters) waiter()
      this.#connectedWaiters.clear()
      connection.onClose((error) => {
        if (this.#connections.get(key) === connection) this.#connections.delete(key)
        if (error instanceof ConnectionError && error.cause instanceof TimeoutError) this.#warn(hostKey, error)
      })
      if (this.#closed) connection.close()
      return connection
    } catch (error) {
      if (!(error instanceof AuthenticationError)) {
        const failures = (health?.failures ?? 0) + 1
        const delay = backoffDelayMs(failures - 1, {
          initialBackoffMs: this.#options.reconnectBackoffMs ?? 50,
          maxBackoffMs: this.#options.reconnectBackoffMaxMs ?? 1000,
        })
        this.#health.set(hostKey, { failures, retryAt: Date.now() + delay })
      }
      if (!signal?.aborted) this.#warn(hostKey, error)
      throw error
    }
  }

  /** Tries every address the host resolves to, in order, until one connects. */
  async #connectAnyAddress(broker: BrokerAddress, purpose: string, signal?: AbortSignal): Promise<Connection> {
    let addresses: string[]
    try {
      addresses = (await lookup(broker.host, { all: true, verbatim: true })).map((a) => a.address)
    } catch (error) {
      throw new ConnectionError(`Cannot resolve ${broker.host}`, { broker: `${broker.host}:${broker.port}`, cause: error })
    }
    let lastError: unknown
    for (const address of addresses) {
      try {
        return await Connection.open({
          host: address,
          port: broker.port,
          nodeId: broker.nodeId,
          purpose,
          clientId: this.#options.clientId,
          // Certificates name the host, not the address we happened to connect to.
          tls: this.#tlsFor(broker.host),
          sasl: this.#options.sasl ?? null,
          connectTimeoutMs: this.#options.connectTimeoutMs,
          requestTimeoutMs: this.#options.requestTimeoutMs,
          maxInFlightRequests: this.#options.maxInFlightRequests,
          allowUnstableVersions: this.#options.allowUnstableVersions,
          expectedClusterId: broker.nodeId === null ? null : this.expectedClusterId,
          logger: this.#logger,
          requestObserver: this.#options.requestObserver,
          metrics: this.#options.metrics,
          signal,
        })
      } catch (error) {
        lastError = error
        if (error instanceof AuthenticationError || (error instanceof KafkaError && !error.retriable)) throw error
        this.#logger.debug({ broker: `${address}:${broker.port}`, err: error }, 'connection attempt failed')
      }
    }
    throw lastError
  }

  /**
   * A broker that keeps refusing or timing out is worth a warning a person can act on, but not one per attempt:
   * at most one line per broker every WARN_INTERVAL_MS, with how many failures it stands for. Errors carry no
   * secrets (see errors.ts), so the cause is logged as it is.
   */
  #warn(hostKey: string, error: unknown): void {
    const now = Date.now()
    const last = this.#warned.get(hostKey)
    if (last && now - last.at < WARN_INTERVAL_MS) {
      last.suppressed++
      return
    }
    this.#warned.set(hostKey, { at: now, suppressed: 0 })
    const cause = error instanceof Error ? error.message : String(error)
    const more = last && last.suppressed > 0 ? ` (${last.suppressed} more failure(s) since the last warning)` : ''
    const fields = { broker: hostKey, err: error, suppressed: last?.suppressed ?? 0 }
    this.#logger.warn(fields, `broker ${hostKey} is unreachable or not answering: ${cause}${more}`)
  }

  #tlsFor(host: string): TlsConnectionOptions | boolean | null {
    const tls = this.#options.tls
    if (!tls) return null
    const options: TlsConnectionOptions = tls === true ? {} : { ...tls }
    // SNI and certificate checks use the broker's name; a literal IP is checked against the certificate's IP SANs.
    if (options.servername === undefined && isIP(host) === 0) options.servername = host
    return options
  }

  closeIdle(maxIdleMs: number): void {
    const now = Date.now()
    for (const connection of this.#connections.values()) {
      if (connection.idleMs(now) > maxIdleMs) connection.close()
    }
  }

  /** Open connections, without copying them (connection-count). */
  get size(): number {
    let open = 0
    for (const connection of this.#connections.values()) if (!connection.isClosed) open++
    return open
  }

  /** Every open connection (for diagnostics and tests). */
  connections(): Connection[] {
    return [...this.#connections.values()]
  }

  /**
   * Closes every open connection and stops connection attempts and shared look-ups in progress; the pool stays
   * usable and reconnects on the next request.
   */
  closeAll(): void {
    const closing = this.#closing
    this.#closing = new AbortController()
    closing.abort(ownAbortReason(new ConnectionError('The client is closed', { retriable: false })))
    this.#stopIdleSweep()
    for (const connection of this.#connections.values()) connection.close()
    this.#connections.clear()
  }

  close(): void {
    this.#closed = true
    this.closeAll()
  }
}
