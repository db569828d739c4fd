import { messageCodecs } from '../../../src/protocol/index.js'
import { decodeVersioned, encodeVersioned } from '../../../src/protocol/versioned.js'
import { ProtocolDecodeError } from '../../../src/errors.js'

const assignment = messageCodecs.ConsumerProtocolAssignment

describe('versioned data', () => {
  it('puts the version before the body, byte for byte the body the codec writes', () => {
    const value = { assignedPartitions: [{ topic: 't', partitions: [0, 2] }], userData: null }
    const bytes = encodeVersioned(assignment, 1, value)
    expect(bytes.readInt16BE(0)).toBe(1)
    expect(bytes.subarray(2)).toEqual(assignment.encode(1, value))
  })

  it('decodes bytes from a newer writer at the highest version it is allowed to read', () => {
    const body = assignment.encode(assignment.maxVersion, { assignedPartitions: [{ topic: 't', partitions: [5] }], userData: null })
    const fromTheFuture = Buffer.concat([Buffer.from([0x7f, 0x00]), body])
    expect(decodeVersioned(assignment, fromTheFuture).assignedPartitions).toEqual([{ topic: 't', partitions: [5] }])
    expect(decodeVersioned(assignment, fromTheFuture, 0).assignedPartitions).toEqual([{ topic: 't', partitions: [5] }])
  })

  it('rejects a missing version, a version below the first, and a body that does not decode', () => {
    expect(() => decodeVersioned(assignment, Buffer.from([0]))).toThrow(ProtocolDecodeError)
    expect(() => decodeVersioned(assignment, Buffer.from([0xff, 0xff, 0, 0]))).toThrow(ProtocolDecodeError)
    expect(() => decodeVersioned(assignment, Buffer.from([0, 1, 0, 0, 0, 9]))).toThrow(ProtocolDecodeError)
  })
})
