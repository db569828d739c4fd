/**
 * Rebootstrap (KIP-899): when every broker the client knows is unreachable, it goes back to its bootstrap
 * servers. The bootstrap address first serves a stand-in for a cluster that has since disappeared (a fake that
 * answers ApiVersions and Metadata naming a broker that no longer exists — a state a healthy broker cannot be made
 * to produce), then forwards to the real broker, as a DNS name would after a cluster was replaced.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { Cluster, parseHostPort } from '../../src/network/cluster.js'
import { apis, ApiKeys, decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/index.js'
import { onSizePrefixedFrames } from '../helpers/frames.js'
import { unusedPort } from '../helpers/kafka.js'

const broker = parseHostPort((process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!)

function fakeVanishedCluster(client: Socket, deadPort: number): void {
  onSizePrefixedFrames(client, (frame) => {
    const request = decodeRequestFrame(frame)
    if (request.apiKey === ApiKeys.ApiVersions) {
      client.write(
        encodeResponseFrame(apis[ApiKeys.ApiVersions], request.apiVersion, request.correlationId, {
          errorCode: 0,
          apiKeys: [
            { apiKey: ApiKeys.ApiVersions, minVersion: 0, maxVersion: 4 },
            { apiKey: ApiKeys.Metadata, minVersion: 1, maxVersion: 12 },
          ],
        }),
      )
    } else if (request.apiKey === ApiKeys.Metadata) {
      client.write(
        encodeResponseFrame(apis[ApiKeys.Metadata], request.apiVersion, request.correlationId, {
          brokers: [{ nodeId: 7, host: '127.0.0.1', port: deadPort, rack: null }],
          clusterId: 'vanished-cluster-id-00',
          controllerId: 7,
          topics: [],
        }),
      )
    } else {
      client.destroy()
    }
  })
}

describe('rebootstrap', () => {
  let server: Server
  let mode: 'fake' | 'forward' = 'fake'
  const sockets: Socket[] = []
  let bootstrapPort = 0
  let deadPort = 0

  beforeAll(async () => {
    deadPort = await unusedPort()
    server = createServer((client) => {
      sockets.push(client)
      client.on('error', () => client.destroy())
      if (mode === 'fake') return fakeVanishedCluster(client, deadPort)
      const upstream = connect(broker.port, broker.host)
      client.pipe(upstream).pipe(client)
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    bootstrapPort = (server.address() as { port: number }).port
  })

  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('goes back to the bootstrap servers when every known broker is unreachable', async () => {
    const cluster = new Cluster({
      brokers: [`127.0.0.1:${bootstrapPort}`],
      clientId: 'samsa-rebootstrap-test',
      retry: { retries: 10, initialBackoffMs: 20, maxBackoffMs: 200 },
    })
    try {
      await cluster.refreshMetadata()
      expect(cluster.brokers().map((b) => b.nodeId)).toEqual([7])
      expect(cluster.clusterId).toBe('vanished-cluster-id-00')

      // The old cluster is gone: its connections drop and the bootstrap name now leads to the real cluster.
      mode = 'forward'
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => setTimeout(resolve, 100)) // let the client see its connections close

      const response = await cluster.send({ kind: 'any' }, apis[ApiKeys.DescribeCluster], { includeClusterAuthorizedOperations: false }, {
        errorCode: (r: { errorCode: number }) => r.errorCode,
      })
      expect(response.clusterId).not.toBe('vanished-cluster-id-00')
      await cluster.refreshMetadata()
      expect(cluster.clusterId).toBe(response.clusterId)
      expect(cluster.brokers().map((b) => b.nodeId)).not.toContain(7)
    } finally {
      cluster.close()
    }
  })
})
