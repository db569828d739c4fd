/**
 * Versioned data: a message body behind its own int16 version, the framing Kafka uses for payloads the broker
 * passes through without reading (the consumer protocol's subscription and assignment inside JoinGroup, SyncGroup
 * and DescribeGroups). Writer and reader may be different client releases, so a reader decodes newer bytes at the
 * highest version it knows: those schemas only ever append fields, which an older reader then ignores.
 */
import { ProtocolDecodeError } from '../errors.js'
import type { MessageCodec } from './codec.js'

const VERSION_BYTES = 2

/** `value` encoded at `version`, preceded by that version. */
export function encodeVersioned<T, I>(codec: MessageCodec<T, I>, version: number, value: I): Buffer {
  const body = codec.encode(version, value)
  const out = Buffer.allocUnsafe(body.length + VERSION_BYTES)
  out.writeInt16BE(version, 0)
  body.copy(out, VERSION_BYTES)
  return out
}

/**
 * Decodes versioned bytes at their version, capped at `maxVersion`. Throws ProtocolDecodeError when the bytes
 * are too short for the version, declare a version below the codec's first, or do not decode.
 */
export function decodeVersioned<T, I>(codec: MessageCodec<T, I>, bytes: Buffer, maxVersion = codec.maxVersion): T {
  if (bytes.length < VERSION_BYTES) {
    throw new ProtocolDecodeError('versioned data is shorter than its version field', { apiName: codec.name, offset: 0 })
  }
  const declared = bytes.readInt16BE(0)
  if (declared < codec.minVersion) {
    throw new ProtocolDecodeError(`versioned data declares version ${declared}`, { apiName: codec.name, offset: 0 })
  }
  return codec.decode(Math.min(declared, maxVersion), bytes.subarray(VERSION_BYTES))
}
