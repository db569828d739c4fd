/**
 * Loopback "brokers" that misbehave on purpose, for deadline tests (issue #13, "every call ends on time"): each
 * accepts TCP connections on 127.0.0.1 and speaks just enough of the Kafka protocol to get a client to the point
 * where the fault bites. Valid answers are built with the SDK's generated codecs (`encodeResponseFrame`).
 *
 * Behaviours (per connection):
 * - `silent`: accepts and never answers anything.
 * - `silent-after-api-versions`: answers ApiVersions, then nothing.
 * - `silent-during-sasl`: answers ApiVersions and SaslHandshake (PLAIN accepted), never SaslAuthenticate.
 * - `half-open`: answers ApiVersions; to the next request writes only the first `halfOpenBytes` bytes of a valid
 *   response (size prefix, correlation id, a couple of body bytes) and nothing more, ever.
 * - `drip`: answers ApiVersions; the next responses (valid ones) are written one byte per `dripIntervalMs`.
 * - `wrong-correlation-id`: answers ApiVersions; every later request gets a valid response under a correlation id
 *   that is not the one asked.
 * - `oversized-frame`: answers ApiVersions; then a frame whose size prefix is 0x7fffffff (and a few bytes).
 * - `negative-frame`: answers ApiVersions; then a frame whose size prefix is -5 (and a few bytes).
 *
 * The ApiVersions answer is the real broker's (fetched once from KAFKA_BROKERS, re-encoded at the version the
 * client asks for), or, without a broker, every API of the generated table with its stable version range.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import {
  apis,
  ApiKeys,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  type AnyApiCodec,
} from '../../src/protocol/index.js'

export type HostileBehaviour =
  | 'silent'
  | 'silent-after-api-versions'
  | 'silent-during-sasl'
  | 'half-open'
  | 'drip'
  | 'wrong-correlation-id'
  | 'oversized-frame'
  | 'negative-frame'

export const HOSTILE_BEHAVIOURS: readonly HostileBehaviour[] = [
  'silent',
  'silent-after-api-versions',
  'silent-during-sasl',
  'half-open',
  'drip',
  'wrong-correlation-id',
  'oversized-frame',
  'negative-frame',
]

export interface HostileServerOptions {
  /** half-open: how many bytes of the response are written. Default 10 (size prefix + correlation id + 2). */
  halfOpenBytes?: number
  /** drip: milliseconds between two bytes. Default 1000. */
  dripIntervalMs?: number
}

export interface SeenRequest {
  /** Index into `connections`. */
  connection: number
  apiKey: number
  apiName: string
  apiVersion: number
  correlationId: number
  at: number
}

export interface AcceptedConnection {
  index: number
  remotePort: number | undefined
  acceptedAt: number
  /** Set when the socket closed (by either side). */
  closedAt: number | null
  socket: Socket
}

interface ApiVersionsBody {
  errorCode: number
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>
  [field: string]: unknown
}

let brokerApiVersions: Promise<ApiVersionsBody> | null = null

/**
 * The ApiVersions body the servers answer with: the real broker's when KAFKA_BROKERS is reachable (asked once per
 * process over a plain socket), else built from the generated API table.
 */
export function advertisedApiVersions(): Promise<ApiVersionsBody> {
  brokerApiVersions ??= fetchBrokerApiVersions().catch(() => tableApiVersions())
  return brokerApiVersions
}

function tableApiVersions(): ApiVersionsBody {
  const apiKeys: ApiVersionsBody['apiKeys'] = []
  for (const api of Object.values(apis) as AnyApiCodec[]) {
    if (!api.listeners.includes('broker')) continue
    apiKeys.push({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.highestVersion(false) })
  }
  apiKeys.sort((a, b) => a.apiKey - b.apiKey)
  return { errorCode: 0, apiKeys }
}

function fetchBrokerApiVersions(): Promise<ApiVersionsBody> {
  const first = process.env.KAFKA_BROKERS?.split(',')[0]?.trim()
  if (!first) return Promise.reject(new Error('KAFKA_BROKERS is not set'))
  const colon = first.lastIndexOf(':')
  const host = first.slice(0, colon)
  const port = Number(first.slice(colon + 1))
  const api = apis[ApiKeys.ApiVersions] as AnyApiCodec
  const version = 3
  return new Promise((resolve, reject) => {
    const socket = connect(port, host)
    let buffered: Buffer = Buffer.alloc(0)
    const finish = (error: Error | null, body?: ApiVersionsBody): void => {
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(body!)
    }
    const timer = setTimeout(() => finish(new Error('ApiVersions from the real broker timed out')), 3000)
    socket.on('error', (error) => finish(error))
    socket.on('connect', () => {
      socket.write(encodeRequestFrame(api, version, 1, 'samsa-hostile-server', { clientSoftwareName: 'samsa-hostile-server', clientSoftwareVersion: '0.0.0' }))
    })
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 4) return
      const size = buffered.readInt32BE(0)
      if (buffered.length < 4 + size) return
      try {
        const body = decodeResponseFrame(api, version, buffered.subarray(4, 4 + size)).body as ApiVersionsBody
        if (body.errorCode !== 0 || body.apiKeys.length === 0) throw new Error(`ApiVersions answered error ${body.errorCode}`)
        finish(null, body)
      } catch (error) {
        finish(error as Error)
      }
    })
  })
}

export class HostileServer {
  readonly behaviour: HostileBehaviour
  readonly connections: AcceptedConnection[] = []
  readonly requests: SeenRequest[] = []
  readonly #server: Server
  readonly #options: Required<HostileServerOptions>
  readonly #apiVersions: ApiVersionsBody
  readonly #timers = new Set<NodeJS.Timeout>()
  #port = 0
  #closed = false

  private constructor(behaviour: HostileBehaviour, apiVersions: ApiVersionsBody, options: HostileServerOptions) {
    this.behaviour = behaviour
    this.#apiVersions = apiVersions
    this.#options = { halfOpenBytes: options.halfOpenBytes ?? 10, dripIntervalMs: options.dripIntervalMs ?? 1000 }
    this.#server = createServer((socket) => this.#accept(socket))
  }

  static async start(behaviour: HostileBehaviour, options: HostileServerOptions = {}): Promise<HostileServer> {
    const server = new HostileServer(behaviour, await advertisedApiVersions(), options)
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject)
      server.#server.listen(0, '127.0.0.1', () => {
        server.#server.removeListener('error', reject)
        resolve()
      })
    })
    server.#port = (server.#server.address() as { port: number }).port
    return server
  }

  get port(): number {
    return this.#port
  }

  /** `127.0.0.1:<port>`: the bootstrap address to give a client, and the `broker` of its instrumentation events. */
  get address(): string {
    return `127.0.0.1:${this.#port}`
  }

  /** Accepted sockets that are still open (the client has not closed its end, or the close has not arrived yet). */
  openConnections(): AcceptedConnection[] {
    return this.connections.filter((c) => c.closedAt === null)
  }

  /** Requests seen for one API (by key or name). */
  requestsFor(api: number | string): SeenRequest[] {
    return this.requests.filter((r) => (typeof api === 'number' ? r.apiKey === api : r.apiName === api))
  }

  /** Destroys every accepted socket, stops listening and stops any drip in progress. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    for (const c of this.connections) c.socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy()
      return
    }
    const connection: AcceptedConnection = {
      index: this.connections.length,
      remotePort: socket.remotePort,
      acceptedAt: performance.now(),
      closedAt: null,
      socket,
    }
    this.connections.push(connection)
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      connection.closedAt = performance.now()
    })
    let buffered: Buffer = Buffer.alloc(0)
    let answeredOther = false
    const drip: { queue: Buffer; timer: NodeJS.Timeout | null } = { queue: Buffer.alloc(0), timer: null }
    socket.on('close', () => {
      if (drip.timer) {
        clearTimeout(drip.timer)
        this.#timers.delete(drip.timer)
        drip.timer = null
      }
    })
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0)
        if (size < 8 || size > 64 * 1024 * 1024) {
          // Not a client this server understands: hang up.
          socket.destroy()
          return
        }
        if (buffered.length < 4 + size) break
        const frame = buffered.subarray(4, 4 + size)
        buffered = buffered.subarray(4 + size)
        const apiKey = frame.readInt16BE(0)
        const apiVersion = frame.readInt16BE(2)
        const correlationId = frame.readInt32BE(4)
        const api = (apis as Record<number, AnyApiCodec | undefined>)[apiKey]
        this.requests.push({
          connection: connection.index,
          apiKey,
          apiName: api?.name ?? `api-${apiKey}`,
          apiVersion,
          correlationId,
          at: performance.now(),
        })
        if (socket.destroyed) continue
        const reply = this.#reply(apiKey, apiVersion, correlationId, answeredOther)
        if (apiKey !== ApiKeys.ApiVersions) answeredOther = true
        if (reply === null) continue
        if (reply.drip) {
          drip.queue = Buffer.concat([drip.queue, reply.bytes])
          this.#dripNext(socket, drip)
        } else {
          socket.write(reply.bytes)
        }
      }
    })
  }

  /** What to write for one request: null for nothing. `answeredOther`: a non-ApiVersions request came before. */
  #reply(apiKey: number, apiVersion: number, correlationId: number, answeredOther: boolean): { bytes: Buffer; drip?: boolean } | null {
    const behaviour = this.behaviour
    if (behaviour === 'silent') return null
    if (apiKey === ApiKeys.ApiVersions) return { bytes: this.#apiVersionsFrame(apiVersion, correlationId) }
    switch (behaviour) {
      case 'silent-after-api-versions':
        return null
      case 'silent-during-sasl':
        if (apiKey === ApiKeys.SaslHandshake) {
          return { bytes: encodeResponseFrame(apis[ApiKeys.SaslHandshake] as AnyApiCodec, apiVersion, correlationId, { errorCode: 0, mechanisms: ['PLAIN'] }) }
        }
        return null
      case 'half-open': {
        if (answeredOther) return null
        const full = validResponse(apiKey, apiVersion, correlationId)
        return { bytes: full.subarray(0, Math.min(this.#options.halfOpenBytes, full.length - 1)) }
      }
      case 'drip':
        return { bytes: validResponse(apiKey, apiVersion, correlationId), drip: true }
      case 'wrong-correlation-id':
        return { bytes: validResponse(apiKey, apiVersion, (correlationId + 7777) & 0x7fffffff) }
      case 'oversized-frame':
        return { bytes: garbageFrame(0x7fffffff) }
      case 'negative-frame':
        return { bytes: garbageFrame(-5) }
    }
    return null
  }

  #apiVersionsFrame(version: number, correlationId: number): Buffer {
    const api = apis[ApiKeys.ApiVersions] as AnyApiCodec
    // A version this table does not know is answered at v0, as a broker does (with UNSUPPORTED_VERSION).
    if (!api.response.hasVersion(version)) {
      return encodeResponseFrame(api, 0, correlationId, { errorCode: 35, apiKeys: this.#apiVersions.apiKeys.filter((k) => k.apiKey === ApiKeys.ApiVersions) })
    }
    return encodeResponseFrame(api, version, correlationId, this.#apiVersions)
  }

  #dripNext(socket: Socket, drip: { queue: Buffer; timer: NodeJS.Timeout | null }): void {
    if (drip.timer || drip.queue.length === 0 || socket.destroyed || this.#closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      drip.timer = null
      if (socket.destroyed || drip.queue.length === 0) return
      socket.write(drip.queue.subarray(0, 1))
      drip.queue = drip.queue.subarray(1)
      this.#dripNext(socket, drip)
    }, this.#options.dripIntervalMs)
    drip.timer = timer
    this.#timers.add(timer)
  }
}

/** A decodable response to any request: every field at its default, under the given correlation id. */
function validResponse(apiKey: number, apiVersion: number, correlationId: number): Buffer {
  const api = (apis as Record<number, AnyApiCodec | undefined>)[apiKey]
  if (!api || !api.response.hasVersion(apiVersion)) {
    // Unknown to the table: a bare header, still a well-formed frame.
    const frame = Buffer.alloc(8)
    frame.writeInt32BE(4, 0)
    frame.writeInt32BE(correlationId, 4)
    return frame
  }
  return encodeResponseFrame(api, apiVersion, correlationId, {})
}

function garbageFrame(size: number): Buffer {
  const frame = Buffer.alloc(12)
  frame.writeInt32BE(size, 0)
  frame.writeInt32BE(0x01020304, 4)
  frame.writeInt32BE(0x05060708, 8)
  return frame
}
