/**
 * Hostile bytes from the server. The real broker does the handshake (ApiVersions) through a TCP proxy; the proxy
 * then replaces the broker's answers with garbage, a fault a healthy broker cannot be made to produce.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { Connection } from '../../src/network/connection.js'
import { parseHostPort } from '../../src/network/cluster.js'
import { apis, ApiKeys } from '../../src/protocol/index.js'
import { ConnectionError } from '../../src/errors.js'

const broker = parseHostPort((process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!)

type Mode = { kind: 'forward' } | { kind: 'garbage'; bytes: Buffer } | { kind: 'silence' }

async function startProxy(): Promise<{ server: Server; port: number; setMode(mode: Mode): void; clients: Socket[] }> {
  let mode: Mode = { kind: 'forward' }
  const clients: Socket[] = []
  const server = createServer((client) => {
    clients.push(client)
    const upstream = connect(broker.port, broker.host)
    client.on('data', (chunk) => {
      if (mode.kind === 'forward') upstream.write(chunk)
      else if (mode.kind === 'garbage') client.write(mode.bytes)
    })
    upstream.on('data', (chunk) => {
      if (mode.kind === 'forward') client.write(chunk)
    })
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { server, port, setMode: (m) => (mode = m), clients }
}

describe('hostile server bytes', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>
  beforeAll(async () => {
    proxy = await startProxy()
  })
  afterAll(async () => {
    for (const c of proxy.clients) c.destroy()
    await new Promise((resolve) => proxy.server.close(resolve))
  })

  async function openThroughProxy(options: { maxResponseBytes?: number; requestTimeoutMs?: number } = {}): Promise<Connection> {
    proxy.setMode({ kind: 'forward' })
    return Connection.open({ host: '127.0.0.1', port: proxy.port, clientId: 'samsa-fault-test', ...options })
  }

  const metadata = (c: Connection, timeoutMs?: number): Promise<unknown> =>
    c.send(apis[ApiKeys.Metadata]!, { topics: [] } as never, timeoutMs ? { timeoutMs } : {})

  it('an oversized frame length closes the connection with a typed error', async () => {
    const connection = await openThroughProxy({ maxResponseBytes: 1024 * 1024 })
    const frame = Buffer.alloc(8)
    frame.writeInt32BE(0x7fffffff, 0)
    proxy.setMode({ kind: 'garbage', bytes: frame })
    await expect(metadata(connection)).rejects.toBeInstanceOf(ConnectionError)
    expect(connection.isClosed).toBe(true)
  })

  it('a negative frame length closes the connection with a typed error', async () => {
    const connection = await openThroughProxy()
    const frame = Buffer.alloc(8)
    frame.writeInt32BE(-5, 0)
    proxy.setMode({ kind: 'garbage', bytes: frame })
    await expect(metadata(connection)).rejects.toBeInstanceOf(ConnectionError)
  })

  it('a response with a foreign correlation id closes the connection', async () => {
    const connection = await openThroughProxy()
    const frame = Buffer.alloc(12)
    frame.writeInt32BE(8, 0)
    frame.writeInt32BE(987654, 4)
    proxy.setMode({ kind: 'garbage', bytes: frame })
    await expect(metadata(connection)).rejects.toThrow(/correlation id 987654/)
    expect(connection.isClosed).toBe(true)
  })

  it('random garbage never crashes: every request settles with a typed error', async () => {
    for (let round = 0; round < 25; round++) {
      const connection = await openThroughProxy({ maxResponseBytes: 64 * 1024 })
      proxy.setMode({ kind: 'garbage', bytes: randomBytes(1 + Math.floor(Math.random() * 200)) })
      const result = await metadata(connection, 500).then(
        () => 'resolved',
        (error: unknown) => error,
      )
      // Random bytes either lie about the length (closed), leave the frame incomplete (timeout → closed), or by
      // chance form a frame whose correlation id is wrong (closed): never a crash, never another error type.
      expect(result).not.toBe('resolved')
      expect((result as Error).constructor.name).toMatch(/^(ConnectionError|TimeoutError|ProtocolDecodeError)$/)
      connection.close()
    }
  })

  it('a silent broker times the request out and fails the others in flight with a retriable error', async () => {
    const connection = await openThroughProxy()
    proxy.setMode({ kind: 'silence' })
    const first = metadata(connection, 300)
    const second = metadata(connection, 10_000)
    await expect(first).rejects.toMatchObject({ name: 'TimeoutError' })
    await expect(second).rejects.toMatchObject({ name: 'ConnectionError', retriable: true })
  })
})
