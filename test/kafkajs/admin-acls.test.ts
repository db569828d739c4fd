/**
 * ACLs and partition reassignments through the facade's admin on the real broker. The harness broker runs an
 * authorizer (super users ANONYMOUS and admin, everyone allowed where no ACL matches) and a SASL listener with the
 * user samsa, so an ACL's effect is checked through a facade client logged in as samsa.
 */
import type { Admin as KafkaJSAdmin } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  ResourcePatternTypes,
  type AclEntry,
} from '../../src/kafkajs/index.js'
import { describeWithEnv } from '../helpers/kafka.js'
import { connectAdmins, disconnectAdmins, eventually, failureOf } from './admin-oracle.js'
import { newKafka, uniqueName } from './support.js'

let admin: Admin
let oracle: KafkaJSAdmin

beforeAll(async () => ({ admin, oracle } = await connectAdmins()))
afterAll(() => disconnectAdmins(admin, oracle))

const anyAclOf = (resourceName: string) => ({
  resourceType: AclResourceTypes.TOPIC,
  resourceName,
  resourcePatternType: ResourcePatternTypes.ANY,
  operation: AclOperationTypes.ANY,
  permissionType: AclPermissionTypes.ANY,
})

describeWithEnv(['KAFKA_SASL_BROKERS', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'], 'kafkajs admin: ACLs', () => {
  it('createAcls, describeAcls and deleteAcls answer as KafkaJS, and a DENY Describe ACL stops the SASL user describing the topic', async () => {
    const topic = uniqueName('acl')
    await admin.createTopics({ topics: [{ topic }] })
    const username = process.env.KAFKA_SASL_USERNAME!
    const principal = `User:${username}`
    const acl: AclEntry[] = [
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: topic,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal,
        host: '*',
        operation: AclOperationTypes.DESCRIBE,
        permissionType: AclPermissionTypes.DENY,
      },
      {
        // Not covering the topic itself: any ALLOW ACL on it would end allow.everyone.if.no.acl.found there for samsa.
        resourceType: AclResourceTypes.TOPIC,
        resourceName: `${topic}-other`,
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        principal: 'User:someone-else',
        host: '*',
        operation: AclOperationTypes.READ,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ]
    expect(await admin.createAcls({ acl })).toBe(true)

    // MATCH finds every ACL that applies to a name: the literal one on the topic name, the prefixed one on a name under it.
    const literal = { ...anyAclOf(topic), resourcePatternType: ResourcePatternTypes.MATCH }
    const prefixed = { ...anyAclOf(`${topic}-other-topic`), resourcePatternType: ResourcePatternTypes.MATCH }
    const [onTopic, underPrefix] = await eventually(async () => {
      const answers = [await admin.describeAcls(literal), await admin.describeAcls(prefixed)]
      expect(answers.map((a) => a.resources.length)).toEqual([1, 1])
      return answers
    })
    expect(onTopic).toEqual({
      throttleTime: 0,
      errorCode: 0,
      resources: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          acls: [{ principal, host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.DENY }],
        },
      ],
    })
    expect(underPrefix!.resources).toEqual([
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: `${topic}-other`,
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        acls: [{ principal: 'User:someone-else', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }],
      },
    ])
    expect(onTopic!.resources).toEqual((await oracle.describeAcls(literal)).resources)
    expect(underPrefix!.resources).toEqual((await oracle.describeAcls(prefixed)).resources)

    const samsaUser = newKafka({
      brokers: process.env.KAFKA_SASL_BROKERS!.split(','),
      sasl: { mechanism: 'plain', username, password: process.env.KAFKA_SASL_PASSWORD! },
    }).admin()
    try {
      await eventually(async () =>
        expect(await failureOf(() => samsaUser.fetchTopicMetadata({ topics: [topic] }))).toMatchObject({ name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' }),
      )

      const deleted = await admin.deleteAcls({
        filters: [{ ...anyAclOf(topic), resourcePatternType: ResourcePatternTypes.LITERAL, principal }, { ...anyAclOf(uniqueName('nothing-here')) }],
      })
      expect(deleted).toEqual({
        throttleTime: 0,
        filterResponses: [
          {
            errorCode: 0,
            errorMessage: null,
            matchingAcls: [
              {
                errorCode: 0,
                errorMessage: null,
                resourceType: AclResourceTypes.TOPIC,
                resourceName: topic,
                resourcePatternType: ResourcePatternTypes.LITERAL,
                principal,
                host: '*',
                operation: AclOperationTypes.DESCRIBE,
                permissionType: AclPermissionTypes.DENY,
              },
            ],
          },
          { errorCode: 0, errorMessage: null, matchingAcls: [] },
        ],
      })
      await eventually(async () => expect((await samsaUser.fetchTopicMetadata({ topics: [topic] })).topics[0]!.name).toBe(topic))
    } finally {
      await samsaUser.disconnect()
      await admin.deleteAcls({ filters: [anyAclOf(topic), anyAclOf(`${topic}-other`)] })
    }
  })

  it('createAcls with a filter-only value rejects with a KafkaJSProtocolError, as the broker refuses it', async () => {
    const failure = await failureOf(() =>
      admin.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: uniqueName('acl-any'),
            resourcePatternType: ResourcePatternTypes.MATCH,
            principal: 'User:x',
            host: '*',
            operation: AclOperationTypes.READ,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      }),
    )
    expect(failure).toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_REQUEST' })
  })
})

describe('kafkajs admin: partition reassignments', () => {
  it('alterPartitionReassignments onto the current replica succeeds; listPartitionReassignments answers as KafkaJS', async () => {
    const topic = uniqueName('reassign')
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    await expect(admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }] })).resolves.toBeUndefined()
    const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0, 1] }] })
    expect(listed).toEqual({ topics: [] })
    expect(listed).toEqual(await oracle.listPartitionReassignments({ topics: [{ topic, partitions: [0, 1] }] }))
    expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] })
  })

  it('an impossible reassignment rejects with a KafkaJSAggregateError of KafkaJSAlterPartitionReassignmentsErrors, as KafkaJS', async () => {
    const topic = uniqueName('reassign-bad')
    await admin.createTopics({ topics: [{ topic }] })
    const request = { topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [7] }] }] }
    let caught: unknown
    await admin.alterPartitionReassignments(request).catch((e: unknown) => (caught = e))
    expect(caught).toBeInstanceOf(KafkaJSAggregateError)
    const aggregate = caught as KafkaJSAggregateError
    expect(aggregate.message).toBe('Errors altering partition reassignments')
    expect(aggregate.errors).toEqual([expect.any(KafkaJSAlterPartitionReassignmentsError)])
    expect(aggregate.errors[0]).toMatchObject({ name: 'KafkaJSAlterPartitionReassignmentsError', topic, partition: 0, type: 'INVALID_REPLICA_ASSIGNMENT', code: 39 })

    let reference: unknown
    await oracle.alterPartitionReassignments(request).catch((e: unknown) => (reference = e))
    expect((reference as KafkaJSAggregateError).errors[0]).toMatchObject({ name: 'KafkaJSAlterPartitionReassignmentsError', type: 'INVALID_REPLICA_ASSIGNMENT' })
  })
})
