/**
 * Argument checks: each bad call fails on the facade exactly as on KafkaJS 2.2.4 (same class name, same message),
 * before anything is sent. Both admins point at the real broker, so a check KafkaJS makes and the facade missed
 * would show up as a different failure (or none).
 */
import type { Admin as KafkaJSAdmin } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'
import { failureOf, oracleAdmin } from './admin-oracle.js'
import { newKafka } from './support.js'

let admin: Admin
let oracle: KafkaJSAdmin

beforeAll(() => {
  admin = newKafka().admin()
  oracle = oracleAdmin()
})

afterAll(async () => {
  await Promise.all([admin.disconnect(), oracle.disconnect()])
})

// Loosely typed on purpose: these are the calls JavaScript programs can make and TypeScript would refuse.
type AnyAdmin = Record<string, (...args: unknown[]) => Promise<unknown>>

const acl = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }
const filter = { resourceType: 2, resourcePatternType: 3, operation: 3, permissionType: 3 }

const badCalls: Array<[string, unknown[]]> = [
  ['createTopics', [{ topics: undefined }]],
  ['createTopics', [{ topics: [{ topic: 1 }] }]],
  ['createTopics', [{ topics: [{ topic: 'a' }, { topic: 'a' }] }]],
  ['createTopics', [{ topics: [{ topic: 'a', configEntries: {} }] }]],
  ['createTopics', [{ topics: [{ topic: 'a', configEntries: [null] }] }]],
  ['createTopics', [{ topics: [{ topic: 'a', configEntries: [{ name: 'x' }] }] }]],
  ['createPartitions', [{ topicPartitions: 'x' }]],
  ['createPartitions', [{ topicPartitions: [] }]],
  ['createPartitions', [{ topicPartitions: [{ topic: 1, count: 2 }] }]],
  ['createPartitions', [{ topicPartitions: [{ topic: 'a', count: 2 }, { topic: 'a', count: 3 }] }]],
  ['deleteTopics', [{ topics: null }]],
  ['deleteTopics', [{ topics: [1] }]],
  ['fetchTopicOffsets', ['']],
  ['fetchTopicOffsetsByTimestamp', [undefined, 1]],
  ['fetchTopicMetadata', [{ topics: [''] }]],
  ['fetchOffsets', [{ groupId: '' }]],
  ['fetchOffsets', [{ groupId: 'g', topics: 'a' }]],
  ['setOffsets', [{ groupId: '', topic: 't', partitions: [{ partition: 0, offset: '0' }] }]],
  ['setOffsets', [{ groupId: 'g', topic: '', partitions: [{ partition: 0, offset: '0' }] }]],
  ['setOffsets', [{ groupId: 'g', topic: 't', partitions: [] }]],
  ['resetOffsets', [{ groupId: '', topic: 't' }]],
  ['resetOffsets', [{ groupId: 'g' }]],
  ['describeConfigs', [{ resources: null }]],
  ['describeConfigs', [{ resources: [] }]],
  ['describeConfigs', [{ resources: [{ type: 99, name: 'x' }] }]],
  ['describeConfigs', [{ resources: [{ type: 2, name: '' }] }]],
  ['describeConfigs', [{ resources: [{ type: 2, name: 'x', configNames: 'a' }] }]],
  ['alterConfigs', [{ resources: [{ type: 2, name: 'x' }] }]],
  ['alterConfigs', [{ resources: [{ type: 2, name: 'x', configEntries: [{ name: 'a', value: 1 }] }] }]],
  ['deleteGroups', ['g']],
  ['deleteGroups', [['g', 1]]],
  ['createAcls', [{ acl: null }]],
  ['createAcls', [{ acl: [] }]],
  ['createAcls', [{ acl: [{ ...acl, principal: 1 }] }]],
  ['createAcls', [{ acl: [{ ...acl, host: undefined }] }]],
  ['createAcls', [{ acl: [{ ...acl, resourceName: null }] }]],
  ['createAcls', [{ acl: [{ ...acl, operation: 42 }] }]],
  ['createAcls', [{ acl: [{ ...acl, resourcePatternType: 42 }] }]],
  ['createAcls', [{ acl: [{ ...acl, permissionType: 42 }] }]],
  ['createAcls', [{ acl: [{ ...acl, resourceType: 42 }] }]],
  ['describeAcls', [{ ...filter, principal: 1 }]],
  ['describeAcls', [{ ...filter, host: 1 }]],
  ['describeAcls', [{ ...filter, resourceName: 1 }]],
  ['describeAcls', [{ ...filter, operation: 42 }]],
  ['describeAcls', [{ ...filter, resourcePatternType: 42 }]],
  ['describeAcls', [{ ...filter, permissionType: 42 }]],
  ['describeAcls', [{ ...filter, resourceType: 42 }]],
  ['deleteAcls', [{ filters: 'x' }]],
  ['deleteAcls', [{ filters: [] }]],
  ['deleteAcls', [{ filters: [{ ...filter, principal: 1 }] }]],
  ['deleteAcls', [{ filters: [{ ...filter, operation: 42 }] }]],
  ['deleteTopicRecords', [{ topic: '', partitions: [{ partition: 0, offset: '0' }] }]],
  ['deleteTopicRecords', [{ topic: 't', partitions: [] }]],
  ['alterPartitionReassignments', [{ topics: null }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 1 }] }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 'a', partitionAssignment: [] }, { topic: 'a', partitionAssignment: [] }] }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 'a' }] }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 'a', partitionAssignment: [{ partition: -1, replicas: [1] }] }] }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 'a', partitionAssignment: [{ partition: 0 }] }] }]],
  ['alterPartitionReassignments', [{ topics: [{ topic: 'a', partitionAssignment: [{ partition: 0, replicas: [-1] }] }] }]],
  ['listPartitionReassignments', [{ topics: 'x' }]],
  ['listPartitionReassignments', [{ topics: [{ topic: 1 }] }]],
  ['listPartitionReassignments', [{ topics: [{ topic: 'a', partitions: [0] }, { topic: 'a', partitions: [1] }] }]],
  ['listPartitionReassignments', [{ topics: [{ topic: 'a' }] }]],
  ['listPartitionReassignments', [{ topics: [{ topic: 'a', partitions: [-1] }] }]],
]

describe('kafkajs admin: argument validation', () => {
  it.each(badCalls)('%s(%j) fails as in KafkaJS', async (method, args) => {
    const expected = await failureOf(() => (oracle as unknown as AnyAdmin)[method]!(...args))
    const actual = await failureOf(() => (admin as unknown as AnyAdmin)[method]!(...args))
    expect(expected.name).toBe('KafkaJSNonRetriableError')
    expect(actual).toEqual(expected)
  })
})
