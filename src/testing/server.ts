/**
 * A broker's listener: a TCP server on loopback whose connections are FakeConnections. Stopping it closes the
 * listener and every connection, so the port refuses until it listens again on the same port (restartBroker).
 */
import { createServer, type Server, type Socket } from 'node:net'
import { FakeConnection, type ConnectionDeps } from './connection.js'
import type { BrokerState } from './state.js'

export class BrokerServer {
  readonly broker: BrokerState
  readonly #deps: ConnectionDeps
  #server: Server | null = null
  readonly #connections = new Set<FakeConnection>()
  readonly #sockets = new Set<Socket>()

  constructor(broker: BrokerState, deps: ConnectionDeps) {
    this.broker = broker
    this.#deps = deps
  }

  get listening(): boolean {
    return this.#server !== null
  }

  async listen(port: number): Promise<number> {
    const server = createServer((socket) => {
      this.#sockets.add(socket)
      const connection = new FakeConnection(socket, this.broker, this.#deps)
      this.#connections.add(connection)
      socket.on('close', () => {
        this.#sockets.delete(socket)
        this.#connections.delete(connection)
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host: this.broker.host, exclusive: true }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.#server = server
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('fake broker: no TCP address')
    return address.port
  }

  /** Closes the listener and every connection on it; resolves when the port is free again. */
  async close(): Promise<void> {
    const server = this.#server
    this.#server = null
    for (const connection of this.#connections) connection.close()
    for (const socket of this.#sockets) socket.destroy()
    this.#connections.clear()
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
