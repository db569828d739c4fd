/**
 * One client connection to a fake broker: framing, decoding with the generated codecs, the SASL gate, fault rules,
 * dispatch to the registered handler, and writing the answer. Requests on a connection are handled one at a time
 * and answered in order, as a Kafka broker mutes a channel until its response is sent: clients rely on that order,
 * and it is also why a long-polling Fetch holds up the requests behind it.
 *
 * Every byte is hostile: a bad size prefix, an unknown API or version, or a body the codec refuses closes this
 * connection and nothing else.
 */
import type { Socket } from 'node:net'
import { decodeRequestFrame, encodeResponseFrame } from '../protocol/frame.js'
import { ApiKeys, apis } from '../protocol/generated/index.js'
import { unsupportedApiVersionsFrame } from './api-versions.js'
import { authenticate } from './sasl.js'
import type { FaultRules } from './faults.js'
import type { ConnectionInfo, FakeServices, RegisteredHandler, RequestContext } from './registry.js'
import type { BrokerState, ClusterState } from './state.js'
import type { SeenRequest } from './types.js'

/** socket.request.max.bytes: Kafka's default cap on one request. */
const MAX_REQUEST_BYTES = 100 * 1024 * 1024
/** apiKey, apiVersion, correlationId: the least a request header holds. */
const MIN_REQUEST_BYTES = 8

/** Requests a SASL listener accepts before authentication (KIP-43, KIP-152). */
const PRE_AUTH_APIS = new Set<number>([ApiKeys.ApiVersions, ApiKeys.SaslHandshake, ApiKeys.SaslAuthenticate])

export interface ConnectionDeps {
  cluster: ClusterState
  services: FakeServices
  faults: FaultRules
  seen: (request: SeenRequest) => void
  /** Why a connection was closed or a handler failed, for FakeKafkaOptions.log. */
  log: (line: string) => void
}

let nextConnectionId = 1

export class FakeConnection {
  readonly info: ConnectionInfo
  readonly #socket: Socket
  readonly #broker: BrokerState
  readonly #deps: ConnectionDeps
  readonly #abort = new AbortController()
  #chunks: Buffer[] = []
  #buffered = 0
  /** Size of the request whose bytes are arriving, -1 until its prefix is read. */
  #frameSize = -1
  readonly #frames: Buffer[] = []
  #draining = false

  constructor(socket: Socket, broker: BrokerState, deps: ConnectionDeps) {
    this.#socket = socket
    this.#broker = broker
    this.#deps = deps
    this.info = {
      id: nextConnectionId++,
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      authenticated: deps.services.sasl === null,
      sasl: { mechanism: null, step: null, raw: false },
      closeAfterResponse: false,
      clientSoftwareName: null,
      clientSoftwareVersion: null,
    }
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
  }

  get closed(): boolean {
    return this.#abort.signal.aborted
  }

  close(): void {
    if (!this.#abort.signal.aborted) this.#abort.abort()
    this.#frames.length = 0
    this.#socket.destroy()
  }

  #onData(chunk: Buffer): void {
    if (this.closed) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    for (;;) {
      if (this.#frameSize < 0) {
        if (this.#buffered < 4) break
        const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#concat()
        const size = head.readInt32BE(0)
        // A raw SASL token (after SaslHandshake v0) has no request header, so it can be shorter than one.
        const min = this.#rawSasl ? 0 : MIN_REQUEST_BYTES
        if (size < min || size > MAX_REQUEST_BYTES) return this.#hangUp(`request size ${size} outside ${MIN_REQUEST_BYTES}..${MAX_REQUEST_BYTES}`)
        this.#frameSize = size
      }
      // Chunks of a large request are joined once, when the last one arrives.
      if (this.#buffered < 4 + this.#frameSize) break
      const all = this.#concat()
      this.#frames.push(all.subarray(4, 4 + this.#frameSize))
      const rest = all.subarray(4 + this.#frameSize)
      this.#chunks = rest.length > 0 ? [rest] : []
      this.#buffered = rest.length
      this.#frameSize = -1
    }
    if (!this.#draining) void this.#drain()
  }

  #concat(): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks)
    this.#chunks = [all]
    return all
  }

  async #drain(): Promise<void> {
    this.#draining = true
    try {
      while (this.#frames.length > 0 && !this.closed) await this.#handle(this.#frames.shift()!)
    } catch (err) {
      this.#hangUp(`internal error: ${err instanceof Error ? err.stack : String(err)}`)
    } finally {
      this.#draining = false
    }
  }

  get #rawSasl(): boolean {
    return this.info.sasl.raw && !this.info.authenticated
  }

  /** A raw token of the SASL exchange SaslHandshake v0 started: answered raw; a failure hangs up (as Kafka does). */
  #handleRawToken(token: Buffer): void {
    const users = this.#deps.services.sasl
    const outcome = users === null ? null : authenticate(this.info, users, token)
    if (outcome === null || !outcome.ok) return this.#hangUp(`SASL authentication failed${outcome === null ? '' : `: ${outcome.message}`}`)
    const framed = Buffer.alloc(4 + outcome.bytes.length)
    framed.writeInt32BE(outcome.bytes.length, 0)
    outcome.bytes.copy(framed, 4)
    this.#write(framed)
  }

  async #handle(frame: Buffer): Promise<void> {
    if (this.#rawSasl) return this.#handleRawToken(frame)
    const { services, faults, cluster } = this.#deps
    const apiKey = frame.readInt16BE(0)
    const version = frame.readInt16BE(2)
    const correlationId = frame.readInt32BE(4)
    const handler = services.registry.get(apiKey)
    if (handler === undefined) return this.#hangUp(`API key ${apiKey} is not implemented`)
    if (version < handler.minVersion || version > handler.maxVersion) {
      // KIP-511: a client newer than the broker learns the supported versions from a v0 answer; any other API at
      // a version the broker does not speak is a broken client, and the broker hangs up.
      if (apiKey === ApiKeys.ApiVersions && version > handler.maxVersion) return this.#write(unsupportedApiVersionsFrame(services.registry, correlationId))
      return this.#hangUp(`${handler.apiName} v${version} is not offered (${handler.minVersion}-${handler.maxVersion})`)
    }
    let request
    try {
      request = decodeRequestFrame(frame, apis)
    } catch (err) {
      return this.#hangUp(`${handler.apiName} v${version} does not decode: ${err instanceof Error ? err.message : String(err)}`)
    }
    this.#deps.seen({ apiKey, apiName: handler.apiName, version, broker: this.#broker.id, clientId: request.clientId, correlationId })
    if (!this.info.authenticated && !PRE_AUTH_APIS.has(apiKey)) return this.#hangUp(`${handler.apiName} before SASL authentication`)

    const ctx: RequestContext = {
      cluster,
      broker: this.#broker,
      connection: this.info,
      apiVersion: version,
      clientId: request.clientId,
      correlationId,
      signal: this.#abort.signal,
      services,
    }
    const action = faults.take(apiKey, this.#broker.id)
    if (action === 'drop') return this.close()
    if (action === 'silent') return this.#untilClosed()
    if (typeof action === 'object' && 'delayMs' in action) await this.#sleep(action.delayMs)
    if (this.closed) return
    const body = typeof action === 'object' && 'errorCode' in action
      ? handler.errorResponse(ctx, request.body, action.errorCode)
      : await this.#run(handler, ctx, request.body)
    if (this.closed) return
    if (body !== null) {
      let frame: Buffer
      try {
        frame = encodeResponseFrame(request.api, version, correlationId, body)
      } catch (err) {
        // A handler gave a field this version does not have: answer like a broker's unexpected error instead.
        this.#deps.log(`broker ${this.#broker.id}: ${handler.apiName} v${version} response does not encode: ${err instanceof Error ? err.message : String(err)}`)
        const fallback = handler.errorResponse(ctx, request.body, -1)
        if (fallback === null) return this.close()
        frame = encodeResponseFrame(request.api, version, correlationId, fallback)
      }
      this.#write(frame)
    }
    if (this.info.closeAfterResponse) this.#socket.end()
  }

  async #run(handler: RegisteredHandler, ctx: RequestContext, body: unknown): Promise<unknown> {
    try {
      return await handler.handle(ctx, body)
    } catch (err) {
      // A handler bug answers like a broker's unexpected exception rather than killing the fake.
      this.#deps.log(`broker ${this.#broker.id}: ${handler.apiName} v${ctx.apiVersion} failed: ${err instanceof Error ? err.stack : String(err)}`)
      return handler.errorResponse(ctx, body, -1)
    }
  }

  #hangUp(reason: string): void {
    this.#deps.log(`broker ${this.#broker.id}: closing connection ${this.info.id} (${this.info.remote}): ${reason}`)
    this.close()
  }

  #write(frame: Buffer): void {
    if (!this.closed) this.#socket.write(frame)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const signal = this.#abort.signal
      function done(): void {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done)
    })
  }

  #untilClosed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve()
      this.#abort.signal.addEventListener('abort', () => resolve(), { once: true })
    })
  }
}
