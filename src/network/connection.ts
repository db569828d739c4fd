/**
 * One TCP (or TLS) connection to one broker: size-prefixed framing, correlation ids, pipelining with a bounded
 * number of requests in flight, per-request deadlines, writes coalesced per event-loop tick, socket backpressure,
 * ApiVersions negotiation and SASL (with KIP-368 re-authentication).
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
import { isIP, Socket, connect as netConnect } from 'node:net'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { AuthenticationError, ConnectionError, KafkaError, KafkaProtocolError, ProtocolDecodeError, TimeoutError } from '../errors.js'
import {
  type AnyApiCodec,
  type ApiCodec,
  apis,
  ApiKeys,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeRequestFrameParts,
  errorFromCode,
  peekCorrelationId,
  ErrorCodes,
} from '../protocol/index.js'
import { abortError } from './abort.js'
import { channels, type Logger, silentLogger } from './instrumentation.js'
import type { SaslMechanism } from './sasl/mechanism.js'
import { negotiateVersions, type BrokerApiVersions, type NegotiatedVersions } from './versions.js'

const { UNSUPPORTED_VERSION, REBOOTSTRAP_REQUIRED } = ErrorCodes

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
}

export interface RequestOptions {
  /** Force a version instead of the negotiated one. */
  version?: number
  timeoutMs?: number
  signal?: AbortSignal
  /** Produce with acks=0: the broker sends nothing back, the promise resolves once the bytes are written. */
  expectResponse?: boolean
  /**
   * Buffers of the body (sealed record batches) to write as they are instead of copying them into the frame; they
   * must not change until the request settles.
   */
  zeroCopy?: ReadonlySet<Buffer>
}

type Settle = { resolve(value: unknown): void; reject(error: Error): void }

interface PendingRequest extends Settle {
  api: AnyApiCodec
  version: number
  body: unknown
  deadline: number
  signal: AbortSignal | undefined
  onAbort: (() => void) | null
  expectResponse: boolean
  /** Set once written: the correlation id and bytes written. */
  correlationId: number
  bytesOut: number
  startedAt: number
  /** The caller gave up (abort); the response is still read and dropped. */
  abandoned: boolean
  /** Internal requests (ApiVersions, SASL) skip the queue and its re-authentication gate. */
  internal: boolean
  zeroCopy: ReadonlySet<Buffer> | undefined
}

type State = 'connecting' | 'authenticating' | 'ready' | 'reauthenticating' | 'closed'

const SIZE_PREFIX = 4
/** Frames at least this large are assembled chunk by chunk as they arrive (a Fetch response can be 50 MiB). */
const INCREMENTAL_FRAME_BYTES = 256 * 1024
const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024

export class Connection {
  readonly host: string
  readonly port: number
  readonly nodeId: number | null
  readonly purpose: string
  readonly #options: ConnectionOptions
  readonly #logger: Logger
  readonly #requestTimeoutMs: number
  readonly #maxInFlight: number
  readonly #maxResponseBytes: number
  #socket: Socket | null = null
  #state: State = 'connecting'
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

  // Read side: chunks not yet consumed, without concatenating them until a frame spans several.
  #chunks: Buffer[] = []
  #buffered = 0
  #frameSize = -1
  /** A large frame under assembly (see #onData), and how much of it has arrived. */
  #partial: Buffer | null = null
  #partialFilled = 0

  #timer: NodeJS.Timeout | null = null
  #timerAt = Infinity
  #reauthTimer: NodeJS.Timeout | null = null
  readonly #closeListeners: Array<(error: Error) => void> = []
  #lastUsed = Date.now()
  /** The opener's signal, for the handshake requests (ApiVersions, SASL) only. */
  #openSignal: AbortSignal | undefined = undefined

  // KIP-219 throttling: while #unmuteTimer is set #flush writes nothing; it fires at #mutedUntil and flushes.
  #mutedUntil = 0
  #unmuteTimer: NodeJS.Timeout | null = null
  #throttledMs = 0
  #throttleCount = 0

  private constructor(options: ConnectionOptions) {
    this.#options = options
    this.host = options.host
    this.port = options.port
    this.nodeId = options.nodeId ?? null
    this.purpose = options.purpose ?? 'default'
    this.#logger = options.logger ?? silentLogger
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#maxInFlight = Math.max(1, options.maxInFlightRequests ?? 100)
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
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
      connection.#flush()
      if (channels.connect.hasSubscribers) channels.connect.publish(connection.#connectEvent(started))
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
    return this.#throttledMs
  }

  /** Responses that asked this connection to back off (throttleTimeMs > 0). */
  get throttleCount(): number {
    return this.#throttleCount
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
        abandoned: false,
        internal,
        zeroCopy: options.zeroCopy,
      }
      if (signal) {
        request.onAbort = () => this.#abort(request)
        signal.addEventListener('abort', request.onAbort, { once: true })
      }
      this.#pending.push(request)
      this.#armTimer(request.deadline)
      this.#flush()
    })
  }

  /** Closes the connection; every request not yet answered fails with `error` (retriable by default). */
  close(error?: Error): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    const reason = error ?? new ConnectionError('Connection closed', { broker: this.broker })
    this.#closeError = reason
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#reauthTimer) clearTimeout(this.#reauthTimer)
    if (this.#unmuteTimer) clearTimeout(this.#unmuteTimer)
    this.#timer = this.#reauthTimer = this.#unmuteTimer = null
    const socket = this.#socket
    if (socket) {
      socket.removeAllListeners('data')
      socket.removeAllListeners('drain')
      socket.on('error', () => {}) // errors after close have nobody left to tell
      socket.destroy()
    }
    this.#chunks = []
    this.#buffered = 0
    this.#partial = null
    const failed = [...this.#inFlight.slice(this.#inFlightHead), ...this.#pending.slice(this.#pendingHead)]
    this.#inFlight.length = this.#pending.length = 0
    this.#inFlightHead = this.#pendingHead = 0
    for (const request of failed) this.#settle(request, this.#closedError())
    for (const listener of this.#closeListeners.splice(0)) listener(reason)
    if (channels.close.hasSubscribers) channels.close.publish({ broker: this.broker, nodeId: this.nodeId, purpose: this.purpose, error: reason })
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
    const tlsOption = this.#options.tls
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000
    return new Promise<void>((resolve, reject) => {
      let socket: Socket
      if (tlsOption) {
        const tlsOptions: TlsConnectionOptions = tlsOption === true ? {} : { ...tlsOption }
        if (tlsOptions.servername === undefined && !isIP(host)) tlsOptions.servername = host
        // node:tls loads on the first TLS connection: it is the costliest module to load at import (~4 ms).
        socket = (require('node:tls') as typeof import('node:tls')).connect({ ...tlsOptions, host, port })
      } else {
        socket = netConnect({ host, port })
      }
      this.#socket = socket
      socket.setNoDelay(true)
      const connectedEvent = tlsOption ? 'secureConnect' : 'connect'
      const fail = (error: Error): void => {
        cleanup()
        reject(error)
      }
      const onError = (error: NodeJS.ErrnoException): void => {
        if (tlsOption && isTlsVerificationError(error)) {
          fail(new AuthenticationError(`TLS handshake with ${host}:${port} failed: ${error.code ?? error.message}`, { cause: error }))
        } else {
          fail(new ConnectionError(`Cannot connect: ${error.code ?? error.message}`, { broker: `${host}:${port}`, cause: error }))
        }
      }
      const onAbort = (): void => fail(abortError(signal!))
      const timer = setTimeout(
        () => fail(new ConnectionError(`Connect timed out after ${timeoutMs} ms`, { broker: `${host}:${port}` })),
        timeoutMs,
      )
      const onConnected = (): void => {
        cleanup()
        this.#attach(socket)
        resolve()
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        socket.removeListener(connectedEvent, onConnected)
        socket.removeListener('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      socket.once(connectedEvent, onConnected)
      socket.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => {
      this.#socketFull = false
      this.#flush()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.close(new ConnectionError(`Socket error: ${error.code ?? error.message}`, { broker: this.broker, cause: error }))
    })
    socket.on('close', () => this.close(new ConnectionError('Broker closed the connection', { broker: this.broker })))
  }

  async #negotiate(): Promise<void> {
    const api = apis[ApiKeys.ApiVersions] as ApiCodec<Record<string, unknown>, ApiVersionsResponseShape>
    let version = api.maxVersion
    if (api.latestVersionUnstable && !this.#options.allowUnstableVersions) version--
    const expectedClusterId = this.#options.expectedClusterId ?? null
    const request =
      expectedClusterId !== null && this.nodeId !== null
        ? { clientSoftwareName: 'samsa', clientSoftwareVersion: SOFTWARE_VERSION, clusterId: expectedClusterId, nodeId: this.nodeId }
        : { clientSoftwareName: 'samsa', clientSoftwareVersion: SOFTWARE_VERSION }
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = (await this.#enqueue(api as ApiCodec<unknown, unknown>, version, request, { signal: this.#openSignal }, true).catch(
        (error: unknown) => {
          // A broker that does not know this ApiVersions version answers in the v0 layout; decoding at our
          // version then fails. Fall back to v0 to learn the broker's range. Anything else (a timeout, a lost or
          // closed connection, an abort) is the answer.
          if (version > 0 && error instanceof ProtocolDecodeError) return null
          throw error
        },
      )) as ApiVersionsResponseShape | null
      if (response === null) {
        version = 0
        continue
      }
      if (response.errorCode === UNSUPPORTED_VERSION) {
        const own = response.apiKeys.find((k) => k.apiKey === ApiKeys.ApiVersions)
        const next = own ? Math.min(own.maxVersion, version - 1) : 0
        if (next === version || next < 0) break
        version = next
        continue
      }
      if (response.errorCode === REBOOTSTRAP_REQUIRED) {
        throw new KafkaProtocolError(REBOOTSTRAP_REQUIRED, 'REBOOTSTRAP_REQUIRED', true, {
          context: `ApiVersions: ${this.broker} is not node ${this.nodeId} of cluster ${expectedClusterId}`,
        })
      }
      if (response.errorCode !== 0) throw errorFromCode(response.errorCode, 'ApiVersions') ?? new KafkaError('ApiVersions failed')
      this.#versions = negotiateVersions(toBrokerApiVersions(response), { allowUnstable: this.#options.allowUnstableVersions ?? false })
      return
    }
    throw new KafkaError(`Broker ${this.broker} supports no ApiVersions version this client can speak`)
  }

  // ---- SASL ----

  async #authenticate(mechanism: SaslMechanism): Promise<void> {
    const versions = this.versions
    const handshakeApi = apis[ApiKeys.SaslHandshake] as ApiCodec<{ mechanism: string }, { errorCode: number; mechanisms: string[] }>
    const authApi = apis[ApiKeys.SaslAuthenticate] as ApiCodec<
      { authBytes: Buffer },
      { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs?: bigint }
    >
    const handshakeVersion = versions.require(ApiKeys.SaslHandshake)
    if (handshakeVersion < 1) throw new AuthenticationError(`Broker ${this.broker} does not support SaslAuthenticate`)
    const handshake = (await this.#enqueue(handshakeApi as ApiCodec<unknown, unknown>, handshakeVersion, { mechanism: mechanism.mechanism }, { signal: this.#openSignal }, true)) as {
      errorCode: number
      mechanisms: string[]
    }
    if (handshake.errorCode !== 0) {
      throw new AuthenticationError(
        `Broker ${this.broker} does not accept SASL mechanism ${mechanism.mechanism} (enabled: ${handshake.mechanisms.join(', ') || 'none'})`,
      )
    }
    const authVersion = versions.require(ApiKeys.SaslAuthenticate)
    let sessionLifetimeMs = 0n
    await mechanism.authenticate(
      async (authBytes) => {
        const response = (await this.#enqueue(authApi as ApiCodec<unknown, unknown>, authVersion, { authBytes }, { signal: this.#openSignal }, true)) as {
          errorCode: number
          errorMessage: string | null
          authBytes: Buffer
          sessionLifetimeMs?: bigint
        }
        if (response.errorCode !== 0) {
          const protocolError = errorFromCode(response.errorCode, 'SaslAuthenticate', response.errorMessage)
          throw new AuthenticationError(
            `SASL ${mechanism.mechanism} authentication with ${this.broker} failed: ${protocolError?.errorName ?? response.errorCode}${
              response.errorMessage ? `: ${response.errorMessage}` : ''
            }`,
            { cause: protocolError },
          )
        }
        if (response.sessionLifetimeMs !== undefined) sessionLifetimeMs = response.sessionLifetimeMs
        return response.authBytes
      },
      { host: this.host, port: this.port },
    )
    this.#scheduleReauthentication(mechanism, Number(sessionLifetimeMs))
  }

  /**
   * KIP-368: a broker with `connections.max.reauth.ms` closes connections whose session expired. Re-authenticate
   * at 85–95% of the lifetime (the Java client's window), after letting in-flight requests finish.
   */
  #scheduleReauthentication(mechanism: SaslMechanism, lifetimeMs: number): void {
    if (!(lifetimeMs > 0)) return
    const delay = Math.max(0, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1)))
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
    if (!socket || this.#state === 'closed' || this.#unmuteTimer !== null) return
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
      this.#settle(request, error instanceof Error ? error : new KafkaError(String(error)))
      return
    }
    request.correlationId = correlationId
    request.bytesOut = bytesOut
    request.startedAt = performance.now()
    if (channels.requestStart.hasSubscribers) channels.requestStart.publish(this.#requestEvent(request))
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
    if (request.expectResponse) {
      this.#inFlight.push(request)
      if (!writeFrame(socket, frame)) this.#socketFull = true
    } else {
      const written = writeFrame(socket, frame, (error) => this.#settle(request, error ?? null, undefined))
      if (!written) this.#socketFull = true
    }
  }

  // ---- reading ----

  #onData(chunk: Buffer): void {
    try {
      if (this.#partial !== null) {
        // A large frame is being assembled: copy this chunk into it now rather than all chunks at the end, so no
        // single turn copies a multi-megabyte response.
        const partial = this.#partial
        const count = Math.min(partial.length - this.#partialFilled, chunk.length)
        chunk.copy(partial, this.#partialFilled, 0, count)
        this.#partialFilled += count
        if (this.#partialFilled < partial.length) return
        this.#partial = null
        this.#partialFilled = 0
        this.#frameSize = -1
        this.#onFrame(partial)
        if (count === chunk.length) return
        chunk = chunk.subarray(count)
      }
      this.#chunks.push(chunk)
      this.#buffered += chunk.length
      while (this.#state !== 'closed') {
        if (this.#frameSize < 0) {
          if (this.#buffered < SIZE_PREFIX) return
          const size = this.#readSizePrefix()
          if (size < SIZE_PREFIX || size > this.#maxResponseBytes) {
            this.close(new ConnectionError(`Broker sent a frame of ${size} bytes (limit ${this.#maxResponseBytes})`, { broker: this.broker }))
            return
          }
          this.#frameSize = size
        }
        if (this.#buffered < this.#frameSize) {
          if (this.#frameSize >= INCREMENTAL_FRAME_BYTES) this.#startPartial()
          return
        }
        const frame = this.#take(this.#frameSize)
        this.#frameSize = -1
        this.#onFrame(frame)
      }
    } catch (error) {
      this.close(error instanceof Error ? error : new ConnectionError(String(error), { broker: this.broker }))
    }
  }

  /** Moves the buffered start of a large frame into its own buffer, which later chunks fill as they arrive. */
  #startPartial(): void {
    const partial = Buffer.allocUnsafe(this.#frameSize)
    let filled = 0
    for (const buffered of this.#chunks) {
      buffered.copy(partial, filled)
      filled += buffered.length
    }
    this.#chunks = []
    this.#buffered = 0
    this.#partial = partial
    this.#partialFilled = filled
  }

  #readSizePrefix(): number {
    const first = this.#chunks[0]!
    if (first.length >= SIZE_PREFIX) {
      const size = first.readInt32BE(0)
      this.#consume(SIZE_PREFIX)
      return size
    }
    return this.#take(SIZE_PREFIX).readInt32BE(0)
  }

  /** Removes `n` bytes from the front of the buffered chunks; a view when they sit in one chunk. */
  #take(n: number): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      this.#consume(n)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.#chunks[0]!
      const count = Math.min(chunk.length, n - filled)
      chunk.copy(out, filled, 0, count)
      filled += count
      this.#consume(count)
    }
    return out
  }

  #consume(n: number): void {
    const first = this.#chunks[0]!
    this.#buffered -= n
    if (n === first.length) this.#chunks.shift()
    else this.#chunks[0] = first.subarray(n)
  }

  #onFrame(frame: Buffer): void {
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
      if (typeof throttleTimeMs === 'number' && throttleTimeMs > 0) this.#throttle(request, throttleTimeMs)
      this.#settle(request, error, body, frame.length)
    }
    this.#flush()
  }

  /**
   * KIP-219: a broker over a client's quota answers at once with throttleTimeMs and then mutes its side of the
   * channel for that long. A client that keeps writing only piles requests up in the broker's socket buffer, where
   * their deadlines run while nobody reads them; held here instead they still time out, abort and fail over cleanly.
   * This holds for the request versions Kafka 2.0 introduced; with older ones the broker delayed the response itself
   * and a client that also waited would back off twice. samsa negotiates the highest version both sides know, and
   * every broker it supports (Kafka 3.9, 4.x) knows the 2.0 versions, so each throttleTimeMs read here asks for it.
   */
  #throttle(request: PendingRequest, throttleTimeMs: number): void {
    this.#throttledMs += throttleTimeMs
    this.#throttleCount++
    if (channels.throttle.hasSubscribers) {
      channels.throttle.publish({ broker: this.broker, nodeId: this.nodeId, apiName: request.api.name, apiKey: request.api.apiKey, throttleTimeMs })
    }
    const until = Date.now() + throttleTimeMs
    if (until <= this.#mutedUntil) return
    this.#mutedUntil = until
    if (this.#unmuteTimer) clearTimeout(this.#unmuteTimer)
    this.#unmuteTimer = setTimeout(() => this.#unmute(), throttleTimeMs)
    this.#unmuteTimer.unref()
  }

  #unmute(): void {
    this.#unmuteTimer = null
    // A timer may fire a millisecond early; never write before the broker's deadline.
    const left = this.#mutedUntil - Date.now()
    if (left > 0) {
      this.#unmuteTimer = setTimeout(() => this.#unmute(), left)
      this.#unmuteTimer.unref()
      return
    }
    this.#flush()
  }

  #settle(request: PendingRequest, error: Error | null, body?: unknown, bytesIn = 0): void {
    if (request.onAbort) {
      request.signal?.removeEventListener('abort', request.onAbort)
      request.onAbort = null
    }
    if (request.abandoned) return
    request.abandoned = true
    if (request.startedAt > 0 && channels.requestFinish.hasSubscribers) {
      channels.requestFinish.publish({
        ...this.#requestEvent(request),
        durationMs: performance.now() - request.startedAt,
        bytesIn,
        ...(error ? { error } : {}),
      })
    }
    if (error) request.reject(error)
    else request.resolve(body)
  }

  #abort(request: PendingRequest): void {
    // Stays queued/in flight as a placeholder; #write skips abandoned requests, #onFrame drops their response.
    this.#settle(request, abortError(request.signal!))
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
        this.#settle(request, new TimeoutError(`${request.api.name} to ${this.broker} timed out before it could be sent`))
      } else if (request.deadline < next) next = request.deadline
    }
    for (let i = this.#inFlightHead; i < this.#inFlight.length; i++) {
      const request = this.#inFlight[i]!
      if (request.abandoned) continue
      if (request.deadline <= now) {
        const error = new TimeoutError(`${request.api.name} v${request.version} to ${this.broker} timed out waiting for a response`)
        this.#settle(request, error)
        this.close(new ConnectionError(`Closed after a request timed out`, { broker: this.broker, cause: error }))
        return
      }
      if (request.deadline < next) next = request.deadline
    }
    if (next !== Infinity) this.#armTimer(next)
  }

  // ---- instrumentation ----

  #connectEvent(started: number): object {
    return {
      broker: this.broker,
      nodeId: this.nodeId,
      purpose: this.purpose,
      durationMs: performance.now() - started,
      tls: Boolean(this.#options.tls),
      saslMechanism: this.#options.sasl?.mechanism ?? null,
    }
  }

  #requestEvent(request: PendingRequest): { broker: string; apiName: string; apiKey: number; apiVersion: number; correlationId: number; bytesOut: number } {
    return {
      broker: this.broker,
      apiName: request.api.name,
      apiKey: request.api.apiKey,
      apiVersion: request.version,
      correlationId: request.correlationId,
      bytesOut: request.bytesOut,
    }
  }
}

/** Writes a frame or its parts (one writev while the socket is corked); `done` follows the last part. */
function writeFrame(socket: Socket, frame: Buffer | Buffer[], done?: (error?: Error | null) => void): boolean {
  if (!Array.isArray(frame)) return done ? socket.write(frame, done) : socket.write(frame)
  let ok = true
  for (let i = 0; i < frame.length; i++) {
    const last = i === frame.length - 1
    ok = (last && done ? socket.write(frame[i]!, done) : socket.write(frame[i]!)) && ok
  }
  return ok
}

/** Reported to brokers in ApiVersions (KIP-511). */
const SOFTWARE_VERSION = '0.1.0'

interface ApiVersionsResponseShape {
  errorCode: number
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>
  finalizedFeatures?: Array<{ name: string; minVersionLevel: number; maxVersionLevel: number }>
  finalizedFeaturesEpoch?: bigint
  supportedFeatures?: Array<{ name: string; minVersion: number; maxVersion: number }>
}

function toBrokerApiVersions(response: ApiVersionsResponseShape): BrokerApiVersions {
  return {
    apis: response.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion })),
    finalizedFeatures: new Map((response.finalizedFeatures ?? []).map((f) => [f.name, f.maxVersionLevel])),
    finalizedFeaturesEpoch: response.finalizedFeaturesEpoch ?? -1n,
  }
}

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
])

function isTlsVerificationError(error: NodeJS.ErrnoException): boolean {
  return error.code !== undefined && (TLS_VERIFY_CODES.has(error.code) || error.code.startsWith('ERR_SSL_'))
}

