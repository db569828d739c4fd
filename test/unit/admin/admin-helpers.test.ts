/**
 * The admin layer's own logic that needs no broker: decoding of authorized-operation bit fields, decoding of classic
 * consumer member bytes (hostile input included), and the checks that refuse a request before anything is sent.
 */
import { randomBytes } from 'node:crypto'
import { Admin } from '../../../src/admin/admin.js'
import { decodeClassicAssignment, decodeClassicSubscription } from '../../../src/admin/groups.js'
import { authorizedOperations } from '../../../src/admin/internal.js'
import { KafkaError, KafkaProtocolError } from '../../../src/errors.js'
import { Cluster } from '../../../src/network/cluster.js'
import { messageCodecs } from '../../../src/protocol/index.js'

function versioned(codec: { encode(version: number, value: never): Buffer }, version: number, value: unknown): Buffer {
  const prefix = Buffer.alloc(2)
  prefix.writeInt16BE(version, 0)
  return Buffer.concat([prefix, codec.encode(version, value as never)])
}

// Nothing listens on port 1: a test that reached the network would fail with a connection error.
function unreachableAdmin(): Admin {
  const cluster = new Cluster({ brokers: ['127.0.0.1:1'], clientId: 'unit', retry: { retries: 0, initialBackoffMs: 1, maxBackoffMs: 1 } })
  return new Admin({ cluster, release: () => cluster.close() })
}

describe('authorizedOperations', () => {
  it('is null when the broker was not asked (INT32_MIN)', () => {
    expect(authorizedOperations(-2147483648)).toBeNull()
    expect(authorizedOperations(undefined)).toBeNull()
  })

  it('names the operations whose bit is set', () => {
    expect(authorizedOperations((1 << 3) | (1 << 4) | (1 << 10))).toEqual(['read', 'write', 'describe-configs'])
    expect(authorizedOperations(0)).toEqual([])
  })
})

describe('classic consumer member bytes', () => {
  const assignment = versioned(messageCodecs.ConsumerProtocolAssignment, 1, {
    assignedPartitions: [
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'audit', partitions: [1] },
    ],
    userData: null,
  })

  it('decodes assignments and subscriptions of every version the codec knows', () => {
    expect(decodeClassicAssignment(assignment)).toEqual([
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'audit', partitions: [1] },
    ])
    for (let version = 0; version <= messageCodecs.ConsumerProtocolSubscription.maxVersion; version++) {
      const bytes = versioned(messageCodecs.ConsumerProtocolSubscription, version, { topics: ['a', 'b'], userData: null, ownedPartitions: [], generationId: -1, rackId: null })
      expect(decodeClassicSubscription(bytes)).toEqual(['a', 'b'])
    }
  })

  it('reads a newer version than it knows with the newest layout it knows, as Java does', () => {
    const newer = Buffer.from(assignment)
    newer.writeInt16BE(9, 0)
    expect(decodeClassicAssignment(newer)).toEqual([
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'audit', partitions: [1] },
    ])
  })

  it('reports truncated, lying and random bytes as no assignment instead of throwing', () => {
    for (let cut = 0; cut < assignment.length; cut++) expect(Array.isArray(decodeClassicAssignment(assignment.subarray(0, cut)))).toBe(true)
    const lying = Buffer.from(assignment)
    lying.writeInt32BE(0x7fffffff, 2) // the array length claims two billion topics
    expect(decodeClassicAssignment(lying)).toEqual([])
    const negative = Buffer.from(assignment)
    negative.writeInt16BE(-3, 0)
    expect(decodeClassicAssignment(negative)).toEqual([])
    for (let i = 0; i < 2000; i++) {
      const garbage = randomBytes(1 + (i % 64))
      expect(Array.isArray(decodeClassicAssignment(garbage))).toBe(true)
      expect(Array.isArray(decodeClassicSubscription(garbage))).toBe(true)
    }
  })
})

describe('requests refused before sending', () => {
  it('createAcls refuses filter-only values per binding without contacting a broker', async () => {
    const admin = unreachableAdmin()
    const results = await admin.createAcls([
      { resourceType: 'any', resourceName: 't', principal: 'User:a', operation: 'read', permission: 'allow' },
      { resourceType: 'topic', resourceName: 't', patternType: 'match', principal: 'User:a', operation: 'read', permission: 'allow' },
      { resourceType: 'topic', resourceName: 't', principal: 'User:a', operation: 'any', permission: 'allow' },
      { resourceType: 'topic', resourceName: 't', principal: 'User:a', operation: 'read', permission: 'any' },
    ])
    for (const r of results) {
      expect(r.error).toBeInstanceOf(KafkaProtocolError)
      expect(r.error).toMatchObject({ code: 42, errorName: 'INVALID_REQUEST' })
    }
    await admin.close()
  })

  it('listOffsets rejects an unknown spec', async () => {
    const admin = unreachableAdmin()
    await expect(admin.listOffsets([{ topic: 't', partition: 0, spec: 'newest' as never }])).rejects.toBeInstanceOf(KafkaError)
    await admin.close()
  })

  it('methods given nothing to do answer without a request', async () => {
    const admin = unreachableAdmin()
    expect(await admin.createTopics([])).toEqual([])
    expect(await admin.deleteTopics([])).toEqual([])
    expect(await admin.createPartitions([])).toEqual([])
    expect(await admin.listOffsets([])).toEqual([])
    expect(await admin.deleteRecords([])).toEqual([])
    expect(await admin.describeTopics([])).toEqual([])
    expect(await admin.describeConsumerGroups([])).toEqual([])
    expect(await admin.alterUserScramCredentials([])).toEqual([])
    await admin.close()
  })
})

describe('a closed admin client', () => {
  it('rejects further calls', async () => {
    const admin = unreachableAdmin()
    await admin.close()
    await expect(admin.listTopics()).rejects.toThrow('closed')
    await expect(admin.createTopics([])).rejects.toBeInstanceOf(KafkaError)
  })
})
