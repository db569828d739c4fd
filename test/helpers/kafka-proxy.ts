/**
 * A man-in-the-middle between samsa and a real broker, for faults a healthy broker cannot be made to produce:
 * one loopback listener per broker; Metadata (and FindCoordinator) answers are rewritten so that clients keep
 * talking through the proxy; Produce answers can be swallowed after the broker has acted on the request (a write
 * whose acknowledgement is lost), or held back for a while on the way from one broker (a slow broker); answers of
 * one kind can be held back from every broker.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { apis, ApiKeys, decodeResponseFrame, encodeResponseFrame } from '../../src/protocol/index.js'
import { onSizePrefixedFrames, sizePrefixed } from './frames.js'

interface Route {
  nodeId: number
  host: string
  port: number
  server: Server
  listenPort: number
}

export class KafkaProxy {
  /** While true, every Produce response is dropped (the broker has written the records; the client never hears). */
  dropProduceResponses = false
  droppedProduceResponses = 0
  /** While true, every EndTxn response is dropped (the coordinator has ended the transaction; the client never hears). */
  dropEndTxnResponses = false
  droppedEndTxnResponses = 0
  /**
   * While set, answers to Produce requests sent to broker `nodeId` reach the client `ms` later than the broker gave
   * them (each delayed on its own, so requests in flight overlap their delays; the order on a connection is kept, and
   * whatever follows a delayed answer on its connection waits behind it). Null: no delay.
   */
  delayProduceResponses: { nodeId: number; ms: number } | null = null
  delayedProduceResponses = 0
  /** While set, every answer to a request of `apiKey`, from any broker, reaches the client `ms` late (a slow broker). */
  delayResponses: { apiKey: number; ms: number } | null = null
  readonly #routes = new Map<string, Route>()
  readonly #sockets = new Set<Socket>()

  /** Starts a listener for the bootstrap broker; others are added as Metadata answers name them. */
  static async start(bootstrap: { host: string; port: number }): Promise<KafkaProxy> {
    const proxy = new KafkaProxy()
    await proxy.#route(-1, bootstrap.host, bootstrap.port)
    return proxy
  }

  /** The bootstrap address to give the client. */
  get bootstrap(): string {
    const first = [...this.#routes.values()][0]!
    return `127.0.0.1:${first.listenPort}`
  }

  async #route(nodeId: number, host: string, port: number): Promise<Route> {
    const key = `${host}:${port}`
    const existing = this.#routes.get(key)
    if (existing) {
      // The bootstrap listener learns which broker it is from the first Metadata answer that lists it.
      if (existing.nodeId < 0) existing.nodeId = nodeId
      return existing
    }
    const server = createServer((client) => this.#pipe(client, route))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const route: Route = { nodeId, host, port, server, listenPort: (server.address() as { port: number }).port }
    this.#routes.set(key, route)
    return route
  }

  #pipe(client: Socket, route: Route): void {
    const upstream = connect(route.port, route.host)
    this.#sockets.add(client).add(upstream)
    const requests = new Map<number, { apiKey: number; apiVersion: number }>()
    const close = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    onSizePrefixedFrames(client, (frame) => {
      // Only the header's fixed start is needed (api key, version, correlation id): Produce bodies are not decoded.
      requests.set(frame.readInt32BE(4), { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2) })
      upstream.write(sizePrefixed(frame))
    })
    // Answers go back in order even when one is rewritten asynchronously (a new route has to start listening).
    let answers = Promise.resolve()
    onSizePrefixedFrames(upstream, (frame) => {
      const correlationId = frame.readInt32BE(0)
      const request = requests.get(correlationId)
      requests.delete(correlationId)
      if (request?.apiKey === ApiKeys.Produce && this.dropProduceResponses) {
        this.droppedProduceResponses++
        return
      }
      if (request?.apiKey === ApiKeys.EndTxn && this.dropEndTxnResponses) {
        this.droppedEndTxnResponses++
        return
      }
      const copy = Buffer.from(frame)
      const delay = this.delayProduceResponses
      const slow = this.delayResponses
      const releaseAt =
        request?.apiKey === ApiKeys.Produce && delay !== null && delay.nodeId === route.nodeId
          ? Date.now() + delay.ms
          : slow !== null && request?.apiKey === slow.apiKey
            ? Date.now() + slow.ms
            : 0
      if (releaseAt > 0) this.delayedProduceResponses++
      answers = answers.then(async () => {
        const wait = releaseAt - Date.now()
        // Unref: an answer still held when the test ends must not keep the process alive.
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref())
        const out =
          request?.apiKey === ApiKeys.Metadata
            ? await this.#rewriteMetadata(request.apiVersion, copy)
            : request?.apiKey === ApiKeys.FindCoordinator
              ? await this.#rewriteFindCoordinator(request.apiVersion, copy)
              : sizePrefixed(copy)
        if (!client.destroyed) client.write(out)
      })
    })
  }

  async #rewriteMetadata(version: number, frame: Buffer): Promise<Buffer> {
    const api = apis[ApiKeys.Metadata]
    const { correlationId, body } = decodeResponseFrame(api, version, frame)
    for (const broker of body.brokers) {
      const route = await this.#route(broker.nodeId, broker.host, broker.port)
      broker.host = '127.0.0.1'
      broker.port = route.listenPort
    }
    return encodeResponseFrame(api, version, correlationId, body)
  }

  /** Coordinators are reached through the proxy too (v4+ lists them; older versions answer one). */
  async #rewriteFindCoordinator(version: number, frame: Buffer): Promise<Buffer> {
    const api = apis[ApiKeys.FindCoordinator]
    const { correlationId, body } = decodeResponseFrame(api, version, frame)
    for (const coordinator of body.coordinators ?? []) {
      if (coordinator.errorCode !== 0) continue
      const route = await this.#route(coordinator.nodeId, coordinator.host, coordinator.port)
      coordinator.host = '127.0.0.1'
      coordinator.port = route.listenPort
    }
    if (version < 4 && (body.errorCode ?? 0) === 0 && body.host) {
      const route = await this.#route(body.nodeId!, body.host, body.port!)
      body.host = '127.0.0.1'
      body.port = route.listenPort
    }
    return encodeResponseFrame(api, version, correlationId, body)
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await Promise.all([...this.#routes.values()].map((r) => new Promise((resolve) => r.server.close(resolve))))
  }
}
