/**
 * Hostile bytes: every malformed frame closes that one connection and the fake keeps serving everyone else.
 */
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { RawKafkaConnection } from '../helpers/raw-kafka-connection.js'
import { apis, ApiKeys, encodeRequestFrame } from '../../src/protocol/index.js'
import { FakeKafka } from '../../src/testing/index.js'

function closedAfter(port: number, bytes: Buffer[]): Promise<{ closed: boolean; received: number }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let received = 0
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ closed: false, received })
    }, 1000)
    socket.on('data', (d) => (received += d.length))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ closed: true, received })
    })
    socket.on('connect', () => {
      for (const b of bytes) socket.write(b)
    })
  })
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

describe('FakeKafka against hostile frames', () => {
  let fake: FakeKafka
  let port: number
  beforeAll(async () => {
    fake = await FakeKafka.start({ topics: [{ name: 't' }] })
    port = fake.cluster.brokers.get(0)!.port
  })
  afterAll(() => fake.stop())

  const metadata = encodeRequestFrame(apis[ApiKeys.Metadata], 12, 1, 'x', { topics: null })

  it.each([
    ['a negative size prefix', [int32(-5), Buffer.from('abcd')]],
    ['a size prefix beyond socket.request.max.bytes', [int32(0x7fffffff), Buffer.alloc(16)]],
    ['a frame too short for a header', [int32(3), Buffer.from([0, 3, 0])]],
    ['an unknown API key', [int32(10), Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])]],
    ['a version the broker does not offer', [(() => { const f = Buffer.from(metadata); f.writeInt16BE(99, 6); return f })()]],
    ['a body shorter than its size prefix claims to hold (lying inner lengths)', [(() => {
      const f = Buffer.from(metadata)
      f.writeInt16BE(0x7fff, 12) // client id length far past the frame's end
      return f
    })()]],
    ['garbage after a valid header', [int32(40), Buffer.concat([Buffer.from([0, 3, 0, 12, 0, 0, 0, 9, 0, 1, 0x78]), Buffer.alloc(29, 0xff)])]],
  ])('%s closes the connection', async (_name, bytes) => {
    const { closed } = await closedAfter(port, bytes)
    expect(closed).toBe(true)
  })

  it('a request before the end of its frame waits; a truncated frame then a close leaves the fake serving', async () => {
    const partial = metadata.subarray(0, metadata.length - 3)
    const { closed, received } = await closedAfter(port, [partial])
    expect(closed).toBe(false)
    expect(received).toBe(0)
  })

  it('a flood of random connections and bytes does not take the fake down', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => closedAfter(port, [randomBytes(1 + ((i * 97) % 300))])))
    const conn = await RawKafkaConnection.open({ host: '127.0.0.1', port }, 'after')
    const res = await conn.send(apis[ApiKeys.Metadata], 12, { topics: null })
    expect(res.topics.map((t) => t.name)).toEqual(['t'])
    conn.close()
  })

  it('corrupt record bytes inside a valid Produce are an error answer, not a hang-up', async () => {
    const conn = await RawKafkaConnection.open({ host: '127.0.0.1', port }, 'corrupt')
    const res = await conn.send(apis[ApiKeys.Produce], 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: randomBytes(80) }] }],
    })
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).not.toBe(0)
    conn.close()
  })
})
