/**
 * One TCP (or TLS) connection to one broker: correlation ids, pipelining with a bounded number of requests in flight,
 * per-request deadlines, writes coalesced per event-loop tick, socket backpressure, and the state that holds requests
 * back while the connection opens, re-authenticates (KIP-368) or is throttled (KIP-219). The parts with a life of
 * their own sit beside it: opening the socket (socket.ts), cutting responses out of the byte stream
 * (frame-reader.ts), ApiVersions and SASL (handshake.ts), a request's settlement (pending-request.ts) and the
 * throttle's clock (throttle.ts).
 *
 * It knows nothing of what a request means: routing, retries and metadata live above it (pool, cluster).
 *
 * Invariants worth knowing before changing this file:
 * - Kafka answers requests on a connection strictly in the order they were sent, so in-flight requests are a FIFO
 *   and a response whose correlation id is not the head's means the stream is corrupt: the connection is closed.
 * - A request that times out closes the connection (as the Java client does): its response may still arrive, and
 *   everything behind it on the socket waits for it, so the connection can no longer be trusted to be timely.
 * - A request aborted by its caller while in flight stays in the FIFO as a placeholder so that the response is
 *   still consumed in order; only the caller's promise is settled early.
 */
import type { Socket } from 'node:net'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { AuthenticationError, ConnectionError, KafkaError, TimeoutError } from '../errors.js'
import { type AnyApiCodec, type ApiCodec, decodeResponseFrame, encodeRequestFrame, encodeRequestFrameParts, peekCorrelationId } from '../protocol/index.js'
import { abortError } from './abort.js'
import { FrameReader } from './frame-reader.js'
import { processReceivePool } from './receive-pool.js'
import { authenticateSasl, type HandshakeSend, negotiateApiVersions, reauthenticationDelayMs } from './handshake.js'
import { channels, type ConnectEvent, type RequestObserver, type RequestTraceContext, tracingChannels } from './instrumentation.js'
import { type ClientLogger, clientLogger, type Logger, silentLogger } from './logging.js'
import type { NetworkMetrics } from './metrics.js'
import { type PendingRequest, type RequestOptions, requestEvent, settle, traceFields } from './pending-request.js'
import type { SaslMechanism } from './sasl/mechanism.js'
import { dial, writeFrame } from './socket.js'
import { Throttle } from './throttle.js'
import type { NegotiatedVersions } from './versions.js'

export type { RequestOptions } from './pending-request.js'

export interface ConnectionOptions {
  host: string
  port: number
  /** The broker's node id when known (null for a bootstrap address). */
  nodeId?: number | null
  clientId?: string | null
  /** TLS settings; `true` means TLS with the system's CAs and full verification. */
  tls?: TlsConnectionOptions | boolean | null
  sasl?: SaslMechanism | null
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  /** Requests written but not yet answered, at most. Further requests queue in memory. */
  maxInFlightRequests?: number
  /** A response larger than this closes the connection (a corrupt or hostile size prefix). */
  maxResponseBytes?: number
  /** Use API versions the broker marks unstable (testing only). */
  allowUnstableVersions?: boolean
  /**
   * The cluster this connection is meant for. With `nodeId`, ApiVersions v5 asks the broker to refuse the
   * connection with REBOOTSTRAP_REQUIRED when it is another cluster or node (KIP-1242: a reused address).
   */
  expectedClusterId?: string | null
  /** A label that keeps long-polling traffic away from latency-sensitive requests, e.g. `fetch`, `group`. */
  purpose?: string
  logger?: Logger
  /** Told of every request this connection writes and of its queue of unwritten requests (see RequestObserver). */
  requestObserver?: RequestObserver
  /** Counts this connection's requests, responses and bytes (the cluster's; absent in bare connections). */
  metrics?: NetworkMetrics
}

type State = 'connecting' | 'authenticating' | 'ready' | 'reauthenticating' | 'closed'

const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024

export class Connection {
  readonly host: string
  readonly port: number
  readonly nodeId: number | null
  readonly purpose: string
  readonly observer: RequestObserver | undefined
  /** The queue length last told to the observer, so that it hears of changes only. */
  #observedQueue = 0
  readonly #options: ConnectionOptions
  readonly #logger: ClientLogger
  /** Set when trace logging was on as the connection opened: every request and response is logged. */
  readonly traceLogger: ClientLogger | null
  readonly #requestTimeoutMs: number
  readonly #maxInFlight: number
  readonly #reader: FrameReader
  readonly #metrics: NetworkMetrics | null
  /** Counted as created in the metrics, so that its close is counted too (a failed open counts neither). */
  #counted = false
  #socket: Socket | null = null
  #state: State = 'connecting'
  /** A response arrived after the handshake: the listener speaks what this client speaks. */
  #answeredWhenReady = false
  #closeError: Error | null = null
  #correlationId = 0
  #versions: NegotiatedVersions | null = null

  // Writes are queued in #pending until there is room in flight and the socket is writable.
  readonly #pending: PendingRequest[] = []
  #pendingHead = 0
  readonly #inFlight: PendingRequest[] = []
  #inFlightHead = 0
  #corked = false
  #socketFull = false

  #timer: NodeJS.Timeout | null = null
  #timerAt = Infinity
  #reauthTimer: NodeJS.Timeout | null = null
  readonly #closeListeners: Array<(error: Error) => void> = []
  #lastUsed = Date.now()
  /** The opener's signal, for the handshake requests (ApiVersions, SASL) only. */
  #openSignal: AbortSignal | undefined = undefined
  /** Handshake requests skip the queue's re-authentication gate and run on the opener's signal (none later). */
  readonly #handshakeSend: HandshakeSend = (api, version, body) => this.#enqueue(api, version, body, { signal: this.#openSignal }, true)

  /** KIP-219: while muted #flush writes nothing; unmuting flushes. */
  readonly #throttle = new Throttle(() => this.#flush())
  readonly #receivePool = processReceivePool

  private constructor(options: ConnectionOptions) {
    this.#options = options
    this.host = options.host
    this.port = options.port
    this.nodeId = options.nodeId ?? null
    this.purpose = options.purpose ?? 'default'
    this.observer = options.requestObserver
    this.#logger = clientLogger(options.logger ?? silentLogger).child(this.nodeId === null ? { broker: this.broker } : { broker: this.broker, nodeId: this.nodeId })
    this.traceLogger = this.#logger.enabled('trace') ? this.#logger : null
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#maxInFlight = Math.max(1, options.maxInFlightRequests ?? 100)
    this.#metrics = options.metrics ?? null
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.#reader = new FrameReader(maxResponseBytes, (frame) => this.#onFrame(frame), this.broker, this.#receivePool)
  }

  /**
   * A response frame handed out through the request option `onFrame` that nothing views any more: its memory takes
   * a later large response. Any other buffer, or the same frame twice, is ignored.
   */
  reuseFrame(frame: Buffer): void {
    this.#receivePool.give(frame)
  }

  /** Connects, negotiates API versions and authenticates. */
  static async open(options: ConnectionOptions & { signal?: AbortSignal }): Promise<Connection> {
    const connection = new Connection(options)
    const started = performance.now()
    connection.#openSignal = options.signal
    try {
      await connection.#connect(options.signal)
      await connection.#negotiate()
      if (options.sasl) {
        connection.#state = 'authenticating'
        await connection.#authenticate(options.sasl)
      }
      connection.#state = 'ready'
      connection.#openSignal = undefined
      const metrics = connection.#metrics
      if (metrics !== null) {
        metrics.connectionsCreated.record(1, metrics.clock.now())
        connection.#counted = true
      }
      connection.#flush()
      if (channels.connect.hasSubscribers) channels.connect.publish(connection.#connectEvent(started))
      if (connection.#logger.enabled('debug')) {
        // broker and nodeId are the logger's bindings already.
        const { broker: _broker, nodeId: _nodeId, ...fields } = connection.#connectEvent(started)
        connection.#logger.debug(fields, 'connected')
      }
      return connection
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error))
      connection.close(err)
      if (channels.connect.hasSubscribers) channels.connect.publish({ ...connection.#connectEvent(started), error: err })
      throw err
    }
  }

  get broker(): string {
    return `${this.host}:${this.port}`
  }

  get versions(): NegotiatedVersions {
    if (!this.#versions) throw new KafkaError('API versions are not negotiated yet')
    return this.#versions
  }

  get isReady(): boolean {
    return this.#state === 'ready' || this.#state === 'reauthenticating'
  }

  get isClosed(): boolean {
    return this.#state === 'closed'
  }

  /** Requests written and not yet answered. */
  get inFlightCount(): number {
    return this.#inFlight.length - this.#inFlightHead
  }

  get pendingCount(): number {
    return this.#pending.length - this.#pendingHead
  }

  /** Milliseconds of throttling (KIP-219) the broker has asked of this connection, summed over its responses. */
  get throttledMs(): number {
    return this.#throttle.totalMs
  }

  /** Responses that asked this connection to back off (throttleTimeMs > 0). */
  get throttleCount(): number {
    return this.#throttle.count
  }

  /** Milliseconds since a request was last sent or answered. */
  idleMs(now = Date.now()): number {
    return this.inFlightCount + this.pendingCount > 0 ? 0 : now - this.#lastUsed
  }

  onClose(listener: (error: Error) => void): void {
    if (this.#state === 'closed') listener(this.#closeError!)
    else this.#closeListeners.push(listener)
  }

  /** Sends a request at the negotiated (or given) version and resolves with the decoded response body. */
  send<Req, Res, ReqIn, ResIn>(api: ApiCodec<Req, Res, ReqIn, ResIn>, body: ReqIn, options: RequestOptions = {}): Promise<Res> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError())
    const version = options.version ?? this.versions.require(api.apiKey)
    return this.#enqueue(api as unknown as AnyApiCodec, version, body, options, false) as Promise<Res>
  }

  #enqueue(api: AnyApiCodec, version: number, body: unknown, options: RequestOptions, internal: boolean): Promise<unknown> {
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(abortError(signal))
    // A closed connection never writes or times out anything again: fail now rather than queue forever.
    if (this.#state === 'closed') return Promise.reject(this.#closedError())
    return new Promise((resolve, reject) => {
      const request: PendingRequest = {
        api,
        version,
        body,
        resolve,
        reject,
        deadline: Date.now() + (options.timeoutMs ?? this.#requestTimeoutMs),
        signal,
        onAbort: null,
        expectResponse: options.expectResponse ?? true,
        correlationId: -1,
        bytesOut: 0,
        startedAt: 0,
        createdAt: this.observer ? Date.now() : 0,
        sentAt: 0,
        abandoned: false,
        internal,
        zeroCopy: options.zeroCopy,
        onFrame: options.onFrame,
        trace: null,
      }
      if (tracingChannels.request.hasSubscribers) this.#traceStart(request)
      if (signal) {
        request.onAbort = () => this.#abort(request)
        signal.addEventListener('abort', request.onAbort, { once: true })
      }
      if (internal && this.#pendingHead < this.#pending.length) {
        // A SASL step of a re-authentication goes ahead of the requests the re-authentication holds back: behind
        // them it would never be written. The handshake sends one request at a time, so there is never a second.
        if (this.#pendingHead > 0) this.#pending[--this.#pendingHead] = request
        else this.#pending.unshift(request)
      } else {
        this.#pending.push(request)
      }
      this.#armTimer(request.deadline)
      this.#flush()
      if (this.observer) this.#reportQueue()
    })
  }

  #traceStart(request: PendingRequest): void {
    const trace: RequestTraceContext = {
      clientId: this.#options.clientId ?? null,
      broker: this.broker,
      nodeId: this.nodeId,
      apiName: request.api.name,
      apiKey: request.api.apiKey,
      apiVersion: request.version,
      correlationId: -1,
      bytesOut: 0,
      bytesIn: 0,
    }
    request.trace = trace
    tracingChannels.request.start.publish(trace)
    tracingChannels.request.end.publish(trace)
  }

  /** Closes the connection; every request not yet answered fails with `error` (retriable by default). */
  close(error?: Error): void {
    if (this.#state === 'closed') return
    const wasOpen = this.isReady
    this.#state = 'closed'
    if (this.#counted) this.#metrics!.connectionsClosed.record(1, this.#metrics!.clock.now())
    const reason = error ?? new ConnectionError('Connection closed', { broker: this.broker })
    this.#closeError = reason
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#reauthTimer) clearTimeout(this.#reauthTimer)
    this.#timer = this.#reauthTimer = null
    this.#throttle.stop()
    const socket = this.#socket
    if (socket) {
      socket.removeAllListeners('drain')
      socket.on('error', () => {}) // errors after close have nobody left to tell
      socket.destroy()
    }
    this.#reader.stop()
    const failed = [...this.#inFlight.slice(this.#inFlightHead), ...this.#pending.slice(this.#pendingHead)]
    this.#inFlight.length = this.#pending.length = 0
    this.#inFlightHead = this.#pendingHead = 0
    for (const request of failed) settle(this, request, this.#closedError())
    if (this.observer) this.#reportQueue()
    for (const listener of this.#closeListeners.splice(0)) listener(reason)
    if (channels.close.hasSubscribers) channels.close.publish({ broker: this.broker, nodeId: this.nodeId, purpose: this.purpose, error: reason })
    // A connection that never opened is reported by the pool ('connection attempt failed').
    if (wasOpen && this.#logger.enabled('debug')) this.#logger.debug({ purpose: this.purpose, err: reason }, 'connection closed')
  }

  #closedError(): Error {
    const cause = this.#closeError
    if (cause instanceof AuthenticationError) return cause
    return new ConnectionError(cause ? cause.message : `Connection to ${this.broker} closed`, {
      broker: this.broker,
      cause,
      retriable: cause instanceof KafkaError ? cause.retriable || cause instanceof ConnectionError : true,
    })
  }

  // ---- connecting ----

  #connect(signal: AbortSignal | undefined): Promise<void> {
    const { host, port } = this
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000
    const reader = { target: () => this.#reader.readTarget(), received: (n: number) => this.#received(n) }
    return dial({ host, port, tls: this.#options.tls, timeoutMs, signal, reader }, (socket) => this.#attach(socket))
  }

  #attach(socket: Socket): void {
    this.#socket = socket
    socket.on('drain', () => {
      this.#socketFull = false
      this.#flush()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.close(new ConnectionError(`Socket error: ${error.code ?? error.message}`, { broker: this.broker, cause: error }))
    })
    socket.on('close', () => this.close(new ConnectionError(`Broker closed the connection${this.#closedEarlyHint()}`, { broker: this.broker })))
  }

  /**
   * A broker closing a fresh connection unanswered is most often a listener of another security protocol: a TLS
   * listener drops the plaintext ApiVersions, a SASL one drops the first request after it. The message says which
   * setting to check, as Java's client does for a connection "terminated during authentication".
   */
  #closedEarlyHint(): string {
    if (this.#state === 'connecting' && !this.#options.tls) return ' before answering ApiVersions (if the listener uses TLS, set ssl)'
    if (this.#state === 'ready' && !this.#answeredWhenReady && !this.#options.sasl) {
      return ' before answering its first request after ApiVersions (if the listener uses SASL, set sasl)'
    }
    return ''
  }

  async #negotiate(): Promise<void> {
    this.#versions = await negotiateApiVersions(this.#handshakeSend, this, {
      expectedClusterId: this.#options.expectedClusterId ?? null,
      allowUnstableVersions: this.#options.allowUnstableVersions ?? false,
    })
  }

  // ---- SASL ----

  async #authenticate(mechanism: SaslMechanism): Promise<void> {
    const lifetimeMs = await authenticateSasl(this.#handshakeSend, this, mechanism, this.versions)
    this.#scheduleReauthentication(mechanism, lifetimeMs)
  }

  /** KIP-368: once the session nears its end, hold new requests, let those in flight finish, then authenticate again. */
  #scheduleReauthentication(mechanism: SaslMechanism, lifetimeMs: number): void {
    const delay = reauthenticationDelayMs(lifetimeMs)
    if (delay === null) return
    this.#reauthTimer = setTimeout(() => {
      this.#reauthTimer = null
      if (this.#state !== 'ready') return
      this.#state = 'reauthenticating'
      this.#reauthenticateWhenIdle(mechanism)
    }, delay)
    this.#reauthTimer.unref()
  }

  #reauthenticateWhenIdle(mechanism: SaslMechanism): void {
    if (this.#state !== 'reauthenticating') return
    if (this.inFlightCount > 0) {
      setImmediate(() => this.#reauthenticateWhenIdle(mechanism))
      return
    }
    this.#authenticate(mechanism).then(
      () => {
        if (this.#state !== 'reauthenticating') return
        this.#state = 'ready'
        this.#flush()
      },
      (error: unknown) => this.close(error instanceof Error ? error : new AuthenticationError(String(error))),
    )
  }

  // ---- writing ----

  #flush(): void {
    const socket = this.#socket
    if (!socket || this.#state === 'closed' || this.#throttle.muted) return
    while (this.#pendingHead < this.#pending.length && !this.#socketFull) {
      const request = this.#pending[this.#pendingHead]!
      const gated = this.#state !== 'ready' && !request.internal
      if (gated || (request.expectResponse && this.inFlightCount >= this.#maxInFlight)) break
      this.#pending[this.#pendingHead++] = undefined as unknown as PendingRequest
      this.#write(socket, request)
    }
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0
      this.#pendingHead = 0
    } else if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending.splice(0, this.#pendingHead)
      this.#pendingHead = 0
    }
      if (this.observer) this.#reportQueue()
  }

  #reportQueue(): void {
    const size = this.#pending.length - this.#pendingHead
    if (size === this.#observedQueue) return
    this.#observedQueue = size
    this.observer!.queueSize(this.broker, size)
  }

  #write(socket: Socket, request: PendingRequest): void {
    if (request.abandoned) return
    const correlationId = this.#correlationId
    this.#correlationId = correlationId === 0x7fffffff ? 0 : correlationId + 1
    let frame: Buffer | Buffer[]
    let bytesOut = 0
    try {
      const clientId = this.#options.clientId ?? null
      if (request.zeroCopy) {
        frame = encodeRequestFrameParts(request.api, request.version, correlationId, clientId, request.body, request.zeroCopy)
        for (const part of frame) bytesOut += part.length
      } else {
        frame = encodeRequestFrame(request.api, request.version, correlationId, clientId, request.body)
        bytesOut = frame.length
      }
    } catch (error) {
      settle(this, request, error instanceof Error ? error : new KafkaError(String(error)))
      return
    }
    request.correlationId = correlationId
    request.bytesOut = bytesOut
    request.startedAt = performance.now()
    if (this.observer) request.sentAt = Date.now()
    if (channels.requestStart.hasSubscribers) channels.requestStart.publish(requestEvent(this, request))
    if (this.traceLogger !== null) this.traceLogger.trace(traceFields(request), 'request sent')
    if (request.trace !== null) {
      request.trace.correlationId = correlationId
      request.trace.bytesOut = bytesOut
    }
    if (!this.#corked) {
      // Coalesce every request written in this tick into one writev.
      this.#corked = true
      socket.cork()
      process.nextTick(() => {
        this.#corked = false
        socket.uncork()
      })
    }
    this.#lastUsed = Date.now()
    if (this.#metrics !== null) this.#metrics.requests.record(bytesOut, this.#metrics.clock.now())
    if (request.expectResponse) {
      this.#inFlight.push(request)
      if (!writeFrame(socket, frame)) this.#socketFull = true
    } else {
      const written = writeFrame(socket, frame, (error) => settle(this, request, error ?? null, undefined))
      if (!written) this.#socketFull = true
    }
  }

  // ---- reading ----

  #received(n: number): boolean {
    try {
      return this.#reader.received(n)
    } catch (error) {
      this.close(error instanceof Error ? error : new ConnectionError(String(error), { broker: this.broker }))
      return true
    }
  }

  #onFrame(frame: Buffer): void {
    if (this.#state === 'ready') this.#answeredWhenReady = true
    const request = this.#inFlight[this.#inFlightHead]
    const correlationId = peekCorrelationId(frame)
    if (!request || correlationId !== request.correlationId) {
      this.close(
        new ConnectionError(
          `Broker sent a response with correlation id ${correlationId}, expected ${request ? request.correlationId : 'none'}`,
          { broker: this.broker },
        ),
      )
      return
    }
    this.#inFlight[this.#inFlightHead++] = undefined as unknown as PendingRequest
    if (this.#inFlightHead === this.#inFlight.length) {
      this.#inFlight.length = 0
      this.#inFlightHead = 0
    }
    this.#lastUsed = Date.now()
    const metrics = this.#metrics
    if (metrics !== null) {
      const now = metrics.clock.now()
      metrics.responses.record(frame.length, now)
      metrics.latency.record(performance.now() - request.startedAt, now)
    }
    if (!request.abandoned) {
      let body: unknown
      let error: Error | null = null
      try {
        body = decodeResponseFrame(request.api, request.version, frame).body
      } catch (decodeError) {
        error = decodeError instanceof Error ? decodeError : new KafkaError(String(decodeError))
      }
      // Mute before settling, so that whatever the caller sends in reaction waits out the throttle too.
      const throttleTimeMs = (body as { throttleTimeMs?: unknown } | undefined)?.throttleTimeMs
      if (typeof throttleTimeMs === 'number' && throttleTimeMs > 0) this.#onThrottle(request, throttleTimeMs)
      if (error === null && request.onFrame !== undefined) request.onFrame(frame)
      settle(this, request, error, body, frame.length)
    }
    this.#flush()
  }

  #onThrottle(request: PendingRequest, throttleTimeMs: number): void {
    this.#throttle.hold(throttleTimeMs)
    if (channels.throttle.hasSubscribers) {
      channels.throttle.publish({ broker: this.broker, nodeId: this.nodeId, apiName: request.api.name, apiKey: request.api.apiKey, throttleTimeMs })
    }
  }

  #abort(request: PendingRequest): void {
    // Stays queued/in flight as a placeholder; #write skips abandoned requests, #onFrame drops their response.
    settle(this, request, abortError(request.signal!))
  }

  // ---- deadlines ----

  #armTimer(deadline: number): void {
    if (deadline >= this.#timerAt) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timerAt = deadline
    this.#timer = setTimeout(() => this.#checkDeadlines(), Math.max(0, deadline - Date.now()))
    this.#timer.unref()
  }

  #checkDeadlines(): void {
    this.#timer = null
    this.#timerAt = Infinity
    if (this.#state === 'closed') return
    const now = Date.now()
    let next = Infinity
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      const request = this.#pending[i]!
      if (request.abandoned) continue
      if (request.deadline <= now) {
        settle(this, request, new TimeoutError(`${request.api.name} to ${this.broker} timed out before it could be sent`))
      } else if (request.deadline < next) next = request.deadline
    }
    for (let i = this.#inFlightHead; i < this.#inFlight.length; i++) {
      const request = this.#inFlight[i]!
      if (request.abandoned) continue
      if (request.deadline <= now) {
        const error = new TimeoutError(`${request.api.name} v${request.version} to ${this.broker} timed out waiting for a response`)
        settle(this, request, error)
        this.close(new ConnectionError(`Closed after a request timed out`, { broker: this.broker, cause: error }))
        return
      }
      if (request.deadline < next) next = request.deadline
    }
    if (next !== Infinity) this.#armTimer(next)
  }

  // ---- instrumentation ----

  #connectEvent(started: number): ConnectEvent {
    return {
      broker: this.broker,
      nodeId: this.nodeId,
      purpose: this.purpose,
      durationMs: performance.now() - started,
      tls: Boolean(this.#options.tls),
      saslMechanism: this.#options.sasl?.mechanism ?? null,
    }
  }
}
