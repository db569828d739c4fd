/**
 * A bare request/response channel to a broker, for tests whose subject is the codecs (generated messages, record
 * batches, frame.ts) rather than the network layer: no ApiVersions negotiation, no retries, no timeouts. Responses
 * are matched to requests by correlation id.
 */
import { type Socket, connect } from 'node:net'
import { type ApiCodec, decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from '../../src/protocol/index.js'
import { onSizePrefixedFrames } from './frames.js'

/** The first broker of KAFKA_BROKERS (set by the jest global setup). */
export function firstBroker(): { host: string; port: number } {
  const [host, portText] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!.split(':')
  return { host: host!, port: Number(portText) }
}

export class RawKafkaConnection {
  private nextCorrelationId = 1
  private readonly waiting = new Map<number, (frame: Buffer) => void>()

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
    onSizePrefixedFrames(socket, (frame) => {
      const correlationId = peekCorrelationId(frame)
      const resolve = this.waiting.get(correlationId)
      this.waiting.delete(correlationId)
      resolve?.(frame)
    })
  }

  static open(address: { host: string; port: number }, clientId: string): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(address, () => resolve(new RawKafkaConnection(socket, clientId)))
      socket.once('error', reject)
    })
  }

  /** Sends `body` at `version` and decodes the answer; throws when the decoded header names another request. */
  async send<Res, ReqIn>(api: ApiCodec<unknown, Res, ReqIn, unknown>, version: number, body: ReqIn): Promise<Res> {
    const correlationId = this.nextCorrelationId++
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(correlationId, resolve)
      this.socket.write(encodeRequestFrame(api, version, correlationId, this.clientId, body), (err) => err && reject(err))
    })
    const decoded = decodeResponseFrame(api, version, frame)
    if (decoded.correlationId !== correlationId) {
      throw new Error(`${api.name} v${version}: response header decoded correlation id ${decoded.correlationId}, sent ${correlationId}`)
    }
    return decoded.body
  }

  close(): void {
    this.socket.destroy()
  }
}
