/** A KafkaJS admin program (see config.ts for how types.test.ts uses these files). */
import {
  Kafka,
  ConfigResourceTypes,
  ConfigSource,
  AclResourceTypes,
  AclOperationTypes,
  AclPermissionTypes,
  ResourcePatternTypes,
  type Admin,
  type AdminConfig,
  type ITopicConfig,
  type ITopicPartitionConfig,
  type ITopicMetadata,
  type PartitionMetadata,
  type DescribeConfigResponse,
  type ConfigEntries,
  type ConfigSynonyms,
  type IResourceConfig,
  type ResourceConfigQuery,
  type GroupOverview,
  type GroupDescriptions,
  type DeleteGroupsResult,
  type FetchOffsetsPartition,
  type SeekEntry,
  type AclEntry,
  type AclFilter,
  type DescribeAclResponse,
  type DescribeAclResource,
  type DeleteAclResponse,
  type MatchingAcl,
  type ListPartitionReassignmentsResponse,
  type OngoingPartitionReassignment,
  type PartitionReassignment,
  type ReplicaAssignment,
  type AdminEvents,
  type ConnectEvent,
  type RequestEvent,
  type RequestTimeoutEvent,
  type RequestQueueSizeEvent,
} from 'kafkajs'

const kafka = new Kafka({ clientId: 'admin-app', brokers: ['kafka:9092'] })
const adminConfig: AdminConfig = { retry: { retries: 2 } }
export const admin: Admin = kafka.admin(adminConfig)
export const plainAdmin: Admin = kafka.admin()

export async function topics(): Promise<void> {
  await admin.connect()
  const names: string[] = await admin.listTopics()
  const replicaAssignment: ReplicaAssignment[] = [{ partition: 0, replicas: [1, 2] }]
  const topicConfigs: ITopicConfig[] = [
    { topic: 'a' },
    { topic: 'b', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: 'c', replicaAssignment },
  ]
  const created: boolean = await admin.createTopics({ topics: topicConfigs, validateOnly: false, waitForLeaders: true, timeout: 5000 })
  const partitions: ITopicPartitionConfig[] = [{ topic: 'b', count: 6 }, { topic: 'c', count: 2, assignments: [[1]] }]
  const grown: boolean = await admin.createPartitions({ topicPartitions: partitions, validateOnly: false, timeout: 5000 })
  const { topics: metadata }: { topics: ITopicMetadata[] } = await admin.fetchTopicMetadata({ topics: names })
  for (const { name, partitions: parts } of metadata) {
    const first: PartitionMetadata | undefined = parts[0]
    console.log(name, first?.leader, first?.replicas, first?.isr, first?.offlineReplicas, first?.partitionErrorCode)
  }
  await admin.fetchTopicMetadata()
  const offsets: Array<SeekEntry & { high: string; low: string }> = await admin.fetchTopicOffsets('a')
  console.log(offsets.map(({ partition, offset, high, low }) => [partition, offset, high, low]))
  const byTime: SeekEntry[] = await admin.fetchTopicOffsetsByTimestamp('a', Date.now())
  await admin.fetchTopicOffsetsByTimestamp('a')
  await admin.deleteTopicRecords({ topic: 'a', partitions: byTime.map(({ partition }) => ({ partition, offset: '-1' })) })
  await admin.deleteTopics({ topics: ['a'], timeout: 5000 })
  console.log(created, grown)
  await admin.disconnect()
}

export async function cluster(): Promise<number | null> {
  const { brokers, controller, clusterId } = await admin.describeCluster()
  console.log(brokers.map(({ nodeId, host, port }) => `${nodeId}@${host}:${port}`), clusterId)
  return controller
}

export async function configs(): Promise<unknown> {
  const query: ResourceConfigQuery[] = [
    { type: ConfigResourceTypes.TOPIC, name: 'a', configNames: ['cleanup.policy'] },
    { type: ConfigResourceTypes.BROKER, name: '1' },
  ]
  const described: DescribeConfigResponse = await admin.describeConfigs({ resources: query, includeSynonyms: true })
  for (const resource of described.resources) {
    console.log(resource.errorCode, resource.errorMessage, resource.resourceName, resource.resourceType === ConfigResourceTypes.TOPIC)
    for (const entry of resource.configEntries) {
      const { configName, configValue, isDefault, configSource, isSensitive, readOnly, configSynonyms }: ConfigEntries = entry
      const synonyms: ConfigSynonyms[] = configSynonyms
      console.log(configName, configValue, isDefault, configSource === ConfigSource.DEFAULT_CONFIG, isSensitive, readOnly, synonyms)
    }
  }
  console.log(described.throttleTime, ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG, ConfigResourceTypes.BROKER_LOGGER)
  const changes: IResourceConfig[] = [{ type: ConfigResourceTypes.TOPIC, name: 'a', configEntries: [{ name: 'retention.ms', value: '1000' }] }]
  return admin.alterConfigs({ validateOnly: false, resources: changes })
}

export async function groups(): Promise<void> {
  const { groups: overview }: { groups: GroupOverview[] } = await admin.listGroups()
  const ids = overview.map(({ groupId, protocolType }) => `${groupId}:${protocolType}`)
  const described: GroupDescriptions = await admin.describeGroups(ids)
  console.log(described.groups.map(({ groupId, state, members, protocol, protocolType }) => [groupId, state, members.length, protocol, protocolType]))
  const fetched: Array<{ topic: string; partitions: FetchOffsetsPartition[] }> = await admin.fetchOffsets({ groupId: 'g', topics: ['a'], resolveOffsets: true })
  console.log(fetched.map(({ topic, partitions }) => partitions.map(({ partition, offset, metadata }) => [topic, partition, offset, metadata])))
  await admin.fetchOffsets({ groupId: 'g' })
  await admin.setOffsets({ groupId: 'g', topic: 'a', partitions: [{ partition: 0, offset: '5' }] })
  await admin.resetOffsets({ groupId: 'g', topic: 'a', earliest: true })
  const deleted: DeleteGroupsResult[] = await admin.deleteGroups(['g'])
  console.log(deleted.map(({ groupId, errorCode, error }) => [groupId, errorCode, error?.type]))
}

export async function acls(): Promise<void> {
  const entry: AclEntry = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: 'a',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:bob',
    host: '*',
    operation: AclOperationTypes.ALL,
    permissionType: AclPermissionTypes.DENY,
  }
  const created: boolean = await admin.createAcls({ acl: [entry] })
  const filter: AclFilter = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  }
  const described: DescribeAclResponse = await admin.describeAcls({ ...filter, resourceName: 'a', principal: 'User:bob', host: '*' })
  const resources: DescribeAclResource[] = described.resources
  console.log(created, described.errorCode, described.errorMessage, described.throttleTime, resources.map((r) => r.acls.map((a) => a.operation)))
  const deleted: DeleteAclResponse = await admin.deleteAcls({ filters: [filter] })
  for (const response of deleted.filterResponses) {
    const matching: MatchingAcl[] = response.matchingAcls
    console.log(response.errorCode, response.errorMessage, matching.map((m) => [m.principal, m.resourceName, m.errorCode]))
  }
  console.log(AclResourceTypes.DELEGATION_TOKEN, AclOperationTypes.IDEMPOTENT_WRITE, ResourcePatternTypes.PREFIXED, AclPermissionTypes.ALLOW)
}

export async function reassignments(): Promise<void> {
  const moves: PartitionReassignment[] = [{ topic: 'a', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }]
  await admin.alterPartitionReassignments({ topics: moves, timeout: 5000 })
  const ongoing: ListPartitionReassignmentsResponse = await admin.listPartitionReassignments({ topics: [{ topic: 'a', partitions: [0] }], timeout: 5000 })
  await admin.listPartitionReassignments({})
  for (const { topic, partitions } of ongoing.topics) {
    const parts: OngoingPartitionReassignment[] = partitions
    console.log(topic, parts.map(({ partitionIndex, replicas, addingReplicas, removingReplicas }) => [partitionIndex, replicas, addingReplicas, removingReplicas]))
  }
}

export function events(): Array<() => void> {
  const names: AdminEvents = admin.events
  return [
    admin.on(names.CONNECT, (event: ConnectEvent) => console.log(event.timestamp)),
    admin.on(names.DISCONNECT, (event) => console.log(event.type)),
    admin.on(names.REQUEST, ({ payload }: RequestEvent) => console.log(payload.size)),
    admin.on(names.REQUEST_TIMEOUT, ({ payload }: RequestTimeoutEvent) => console.log(payload.sentAt)),
    admin.on(names.REQUEST_QUEUE_SIZE, ({ payload }: RequestQueueSizeEvent) => console.log(payload.queueSize)),
  ]
}

export const logger = admin.logger()
