// Just enough of the Kafka protocol, written by hand, to ask a broker "are you serving?" (ApiVersions v3).
// The harness deliberately does not use src/: it must work while the SDK itself is broken.
import { connect as connectTcp } from 'node:net'
import { connect as connectTls } from 'node:tls'

const API_VERSIONS = 18
const UNSUPPORTED_VERSION = 35
const MAX_RESPONSE_BYTES = 1 << 20

function uvarint(value) {
  const bytes = []
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80)
    value >>>= 7
  }
  bytes.push(value)
  return Buffer.from(bytes)
}

function compactString(text) {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([uvarint(bytes.length + 1), bytes])
}

/** A complete ApiVersions v3 request frame: size, header v2, body. */
export function encodeApiVersionsRequest(correlationId, clientId = 'samsa-harness') {
  const clientIdBytes = Buffer.from(clientId, 'utf8')
  const header = Buffer.alloc(10)
  header.writeInt16BE(API_VERSIONS, 0)
  header.writeInt16BE(3, 2)
  header.writeInt32BE(correlationId, 4)
  header.writeInt16BE(clientIdBytes.length, 8)
  const body = Buffer.concat([
    header,
    clientIdBytes,
    Buffer.from([0]), // header tagged fields
    compactString('samsa-harness'),
    compactString('0'),
    Buffer.from([0]), // body tagged fields
  ])
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length, 0)
  return Buffer.concat([size, body])
}

class Reader {
  constructor(buffer) {
    this.buffer = buffer
    this.offset = 0
  }
  need(n) {
    if (this.offset + n > this.buffer.length) throw new Error(`truncated ApiVersions response at byte ${this.offset}`)
  }
  int16() {
    this.need(2)
    const v = this.buffer.readInt16BE(this.offset)
    this.offset += 2
    return v
  }
  int32() {
    this.need(4)
    const v = this.buffer.readInt32BE(this.offset)
    this.offset += 4
    return v
  }
  uvarint() {
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      this.need(1)
      const byte = this.buffer[this.offset++]
      value |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return value >>> 0
    }
    throw new Error('malformed varint in ApiVersions response')
  }
  skipTaggedFields() {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      const size = this.uvarint()
      this.need(size)
      this.offset += size
    }
  }
}

/**
 * Decodes an ApiVersions response body (after the 4-byte size). A broker that does not know v3 answers in the
 * v0 layout with UNSUPPORTED_VERSION, so that case is decoded as v0.
 * @returns {{ correlationId: number, errorCode: number, apis: Array<{ apiKey: number, minVersion: number, maxVersion: number }> }}
 */
export function decodeApiVersionsResponse(buffer) {
  const reader = new Reader(buffer)
  const correlationId = reader.int32()
  const errorCode = reader.int16()
  const apis = []
  const flexible = errorCode !== UNSUPPORTED_VERSION
  const count = flexible ? reader.uvarint() - 1 : reader.int32()
  // Each entry takes at least 6 bytes, so a count beyond that is a lie we refuse to allocate for.
  if (count < 0 || count * 6 > buffer.length) throw new Error(`implausible ApiVersions entry count ${count}`)
  for (let i = 0; i < count; i++) {
    const api = { apiKey: reader.int16(), minVersion: reader.int16(), maxVersion: reader.int16() }
    if (flexible) reader.skipTaggedFields()
    apis.push(api)
  }
  return { correlationId, errorCode, apis }
}

/**
 * Connects, sends ApiVersions v3, resolves with the decoded answer, and closes.
 * @param {{ host?: string, port: number, timeoutMs?: number, tls?: import('node:tls').ConnectionOptions }} options
 */
export function probeApiVersions({ host = '127.0.0.1', port, timeoutMs = 3000, tls }) {
  return new Promise((resolve, reject) => {
    const socket = tls ? connectTls({ host, port, ...tls }) : connectTcp({ host, port })
    const chunks = []
    let received = 0
    let expected = -1
    const finish = (error, value) => {
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(value)
    }
    const timer = setTimeout(() => finish(new Error(`no ApiVersions answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(encodeApiVersionsRequest(1)))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      received += chunk.length
      if (expected < 0 && received >= 4) {
        expected = Buffer.concat(chunks).readInt32BE(0)
        if (expected < 0 || expected > MAX_RESPONSE_BYTES) return finish(new Error(`implausible response size ${expected}`))
      }
      if (expected >= 0 && received >= 4 + expected) {
        try {
          finish(null, decodeApiVersionsResponse(Buffer.concat(chunks).subarray(4, 4 + expected)))
        } catch (error) {
          finish(error)
        }
      }
    })
    socket.on('error', (error) => finish(error))
    socket.on('close', () => finish(new Error(`connection to ${host}:${port} closed before an ApiVersions answer`)))
  })
}
