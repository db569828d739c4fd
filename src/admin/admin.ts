/**
 * The admin client: typed methods over the generated admin APIs, each routed where the Java admin routes it and
 * retried by the shared policy. Methods that name several items answer per item — `{ …item, error }` with
 * `error: KafkaProtocolError | null` — so one bad item does not hide the others; a method throws only when the
 * whole request failed (unreachable cluster, a top-level error code, an unsupported broker).
 */
import type { Cluster } from '../network/cluster.js'
import * as clusterOps from './cluster.js'
import * as configs from './configs.js'
import * as groups from './groups.js'
import type { AdminCallOptions, AdminContext, TopicPartition } from './internal.js'
import * as offsets from './offsets.js'
import * as security from './security.js'
import * as topics from './topics.js'
import * as transactions from './transactions.js'

/** What the admin needs from `Kafka.context()`: the shared cluster and a way to give it back. */
export interface AdminClientContext {
  cluster: Cluster
  release(): void
}

export interface AdminOptions {
  /** Broker-side timeout of topic creation/deletion, elections and the like. Default 30 000 (Java's request.timeout.ms). */
  defaultTimeoutMs?: number
}

export class Admin {
  readonly #client: AdminClientContext
  readonly #ctx: AdminContext
  #closed = false

  constructor(client: AdminClientContext, options: AdminOptions = {}) {
    this.#client = client
    this.#ctx = { cluster: client.cluster, defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000 }
  }

  // ---- topics ----

  /** Creates topics; per-topic results (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR… as `error`). */
  createTopics(newTopics: topics.NewTopic[], options?: topics.CreateTopicsOptions): Promise<topics.CreateTopicResult[]> {
    return topics.createTopics(this.#ctx, newTopics, options)
  }

  /** Deletes topics by name or `{ topicId }`. */
  deleteTopics(names: Array<string | { topicId: string }>, options?: AdminCallOptions): Promise<topics.DeleteTopicResult[]> {
    return topics.deleteTopics(this.#ctx, names, options)
  }

  /** Every topic the caller may describe, sorted by name. */
  listTopics(options?: topics.ListTopicsOptions): Promise<topics.TopicListing[]> {
    return topics.listTopics(this.#ctx, options)
  }

  /** Partitions, leaders, ISR, offline and eligible leader replicas, topic ids; by name or `{ topicId }`, one result each. */
  describeTopics(names: Array<string | { topicId: string }>, options?: topics.DescribeTopicsOptions): Promise<topics.TopicDescription[]> {
    return topics.describeTopics(this.#ctx, names, options)
  }

  /** Raises topics' partition counts. */
  createPartitions(changes: topics.NewPartitions[], options?: topics.CreateTopicsOptions): Promise<topics.CreatePartitionsResult[]> {
    return topics.createPartitions(this.#ctx, changes, options)
  }

  // ---- configs ----

  describeConfigs(resources: configs.DescribeConfigsRequestItem[], options?: configs.DescribeConfigsOptions): Promise<configs.DescribeConfigsResult[]> {
    return configs.describeConfigs(this.#ctx, resources, options)
  }

  /** Sets, deletes, appends to or subtracts from config keys, per resource. */
  incrementalAlterConfigs(resources: configs.AlterConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return configs.incrementalAlterConfigs(this.#ctx, resources, options)
  }

  /**
   * Replaces all dynamic configs of each resource (the legacy AlterConfigs, deprecated in the Java admin): keys not
   * given are removed. Prefer `incrementalAlterConfigs`.
   */
  alterConfigs(resources: configs.ReplaceConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return configs.alterConfigs(this.#ctx, resources, options)
  }

  /** Config resources that exist (topics, groups, client-metrics subscriptions…), of the given types or all. */
  listConfigResources(types?: configs.ConfigResourceType[], options?: AdminCallOptions): Promise<configs.ConfigResource[]> {
    return configs.listConfigResources(this.#ctx, types, options)
  }

  // ---- offsets and records ----

  /** Offsets by spec (earliest, latest, max-timestamp, earliest-local, latest-tiered, earliest-pending-upload) or timestamp. */
  listOffsets(partitions: offsets.ListOffsetsRequestItem[], options?: offsets.ListOffsetsOptions): Promise<offsets.ListOffsetsResult[]> {
    return offsets.listOffsets(this.#ctx, partitions, options)
  }

  /** Deletes records before the given offsets (moves the log start offset). */
  deleteRecords(partitions: offsets.DeleteRecordsRequestItem[], options?: AdminCallOptions): Promise<offsets.DeleteRecordsResult[]> {
    return offsets.deleteRecords(this.#ctx, partitions, options)
  }

  // ---- groups ----

  /** Groups of every type on every broker, optionally filtered by type and state. */
  listGroups(options?: groups.ListGroupsOptions): Promise<groups.GroupListing[]> {
    return groups.listGroups(this.#ctx, options)
  }

  /** Consumer groups of either protocol (KIP-848 or classic), with members and their assignments. */
  describeConsumerGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.#ctx, groupIds, options)
  }

  /** Same as `describeConsumerGroups`. */
  describeGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.#ctx, groupIds, options)
  }

  /** Groups of the classic protocol only (DescribeGroups), whatever their protocol type (consumer, connect…). */
  describeClassicGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeClassicGroups(this.#ctx, groupIds, options)
  }

  /** Share groups (KIP-932), with members and assignments. */
  describeShareGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ShareGroupDescription[]> {
    return groups.describeShareGroups(this.#ctx, groupIds, options)
  }

  /** Streams groups (KIP-1071): topology, members, task assignments. */
  describeStreamsGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.StreamsGroupDescription[]> {
    return groups.describeStreamsGroups(this.#ctx, groupIds, options)
  }

  /** Committed offsets of streams groups (the same OffsetFetch as consumer groups). */
  listStreamsGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return groups.listConsumerGroupOffsets(this.#ctx, groupIds, options)
  }

  /** Commits offsets for a streams group with no active members. */
  alterStreamsGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterConsumerGroupOffsets(this.#ctx, groupId, offsetsToCommit, options)
  }

  /** Deletes committed offsets of a streams group. */
  deleteStreamsGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.deleteConsumerGroupOffsets(this.#ctx, groupId, partitions, options)
  }

  /** Deletes groups of any type (empty ones only); per-group errors such as NON_EMPTY_GROUP. */
  deleteGroups(groupIds: string[], options?: AdminCallOptions): Promise<groups.DeleteGroupResult[]> {
    return groups.deleteGroups(this.#ctx, groupIds, options)
  }

  /** Committed offsets per group: a group id (all partitions) or `{ groupId, partitions }`. */
  listConsumerGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return groups.listConsumerGroupOffsets(this.#ctx, groupIds, options)
  }

  /** Commits offsets for a group with no active members (resetting or moving its position). */
  alterConsumerGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterConsumerGroupOffsets(this.#ctx, groupId, offsetsToCommit, options)
  }

  /** Deletes committed offsets of partitions the group does not consume. */
  deleteConsumerGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.deleteConsumerGroupOffsets(this.#ctx, groupId, partitions, options)
  }

  /** Removes members (by member id or group instance id) from a classic group; all members when `members` is left out. */
  removeMembersFromConsumerGroup(groupId: string, members?: groups.MemberToRemove[], options?: AdminCallOptions): Promise<groups.RemoveMemberResult[]> {
    return groups.removeMembersFromConsumerGroup(this.#ctx, groupId, members, options)
  }

  /** Share-partition start offsets (and lag) of share groups. */
  listShareGroupOffsets(groupIds: Array<string | groups.ShareGroupOffsetsRequestItem>, options?: AdminCallOptions): Promise<groups.ShareGroupOffsetsResult[]> {
    return groups.listShareGroupOffsets(this.#ctx, groupIds, options)
  }

  /** Moves share-partition start offsets of a share group with no active members. */
  alterShareGroupOffsets(groupId: string, offsetsToSet: groups.ShareOffsetToSet[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterShareGroupOffsets(this.#ctx, groupId, offsetsToSet, options)
  }

  /** Deletes a share group's state for whole topics. */
  deleteShareGroupOffsets(groupId: string, topicNames: string[], options?: AdminCallOptions): Promise<groups.TopicResult[]> {
    return groups.deleteShareGroupOffsets(this.#ctx, groupId, topicNames, options)
  }

  // ---- cluster ----

  /** Cluster id, controller and brokers (fenced ones too with `includeFencedBrokers`, KIP-1073). */
  describeCluster(options?: clusterOps.DescribeClusterOptions): Promise<clusterOps.ClusterDescription> {
    return clusterOps.describeCluster(this.#ctx, options)
  }

  /** Finalized and supported feature levels. */
  describeFeatures(options?: AdminCallOptions): Promise<clusterOps.FeatureMetadata> {
    return clusterOps.describeFeatures(this.#ctx, options)
  }

  updateFeatures(updates: clusterOps.FeatureUpdate[], options?: clusterOps.UpdateFeaturesOptions): Promise<clusterOps.FeatureUpdateResult[]> {
    return clusterOps.updateFeatures(this.#ctx, updates, options)
  }

  /** The KRaft metadata quorum: leader, voters, observers and their lag. */
  describeMetadataQuorum(options?: AdminCallOptions): Promise<clusterOps.QuorumInfo> {
    return clusterOps.describeMetadataQuorum(this.#ctx, options)
  }

  /** Log directories per broker (all brokers when `brokerIds` is left out), with the replicas in each. */
  describeLogDirs(brokerIds?: number[], options?: AdminCallOptions): Promise<clusterOps.BrokerLogDirs[]> {
    return clusterOps.describeLogDirs(this.#ctx, brokerIds, options)
  }

  /** The log directory of each replica (and its destination while `alterReplicaLogDirs` moves it). */
  describeReplicaLogDirs(replicas: clusterOps.ReplicaRef[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirs[]> {
    return clusterOps.describeReplicaLogDirs(this.#ctx, replicas, options)
  }

  alterReplicaLogDirs(moves: clusterOps.ReplicaLogDirMove[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirResult[]> {
    return clusterOps.alterReplicaLogDirs(this.#ctx, moves, options)
  }

  /** Preferred or unclean leader election, for the given partitions or (preferred) all. */
  electLeaders(type: 'preferred' | 'unclean', options?: clusterOps.ElectLeadersOptions): Promise<groups.PartitionResult[]> {
    return clusterOps.electLeaders(this.#ctx, type, options)
  }

  /** Starts (replicas) or cancels (null) partition reassignments. */
  alterPartitionReassignments(
    reassignments: clusterOps.PartitionReassignment[],
    options?: clusterOps.AlterPartitionReassignmentsOptions,
  ): Promise<groups.PartitionResult[]> {
    return clusterOps.alterPartitionReassignments(this.#ctx, reassignments, options)
  }

  listPartitionReassignments(partitions?: TopicPartition[], options?: AdminCallOptions): Promise<clusterOps.OngoingReassignment[]> {
    return clusterOps.listPartitionReassignments(this.#ctx, partitions, options)
  }

  /** Removes a shut-down broker's registration (KRaft). */
  unregisterBroker(brokerId: number, options?: AdminCallOptions): Promise<void> {
    return clusterOps.unregisterBroker(this.#ctx, brokerId, options)
  }

  // ---- ACLs, quotas, SCRAM ----

  /** ACLs matching the filter (all ACLs with an empty filter). */
  describeAcls(filter?: security.AclBindingFilter, options?: AdminCallOptions): Promise<security.DescribedAcl[]> {
    return security.describeAcls(this.#ctx, filter, options)
  }

  createAcls(bindings: security.AclBinding[], options?: AdminCallOptions): Promise<security.CreateAclResult[]> {
    return security.createAcls(this.#ctx, bindings, options)
  }

  /** Deletes the ACLs each filter matches; per filter, the deleted ACLs. */
  deleteAcls(filters: security.AclBindingFilter[], options?: AdminCallOptions): Promise<security.DeleteAclsResult[]> {
    return security.deleteAcls(this.#ctx, filters, options)
  }

  /** Quotas of the entities matching every component (`[]` with `strict: false`: all). */
  describeClientQuotas(components: security.QuotaFilterComponent[], options?: security.DescribeClientQuotasOptions): Promise<security.ClientQuotaEntry[]> {
    return security.describeClientQuotas(this.#ctx, components, options)
  }

  alterClientQuotas(alterations: security.ClientQuotaAlteration[], options?: security.AlterClientQuotasOptions): Promise<security.AlterClientQuotaResult[]> {
    return security.alterClientQuotas(this.#ctx, alterations, options)
  }

  /** SCRAM mechanisms and iteration counts per user (all users when left out). */
  describeUserScramCredentials(users?: string[], options?: AdminCallOptions): Promise<security.UserScramCredentials[]> {
    return security.describeUserScramCredentials(this.#ctx, users, options)
  }

  /** Creates, updates or deletes SCRAM credentials; one result per user (the broker takes one change per user per call). */
  alterUserScramCredentials(alterations: security.ScramCredentialAlteration[], options?: AdminCallOptions): Promise<security.AlterScramResult[]> {
    return security.alterUserScramCredentials(this.#ctx, alterations, options)
  }

  // ---- transactions and producers ----

  /** Active producers of partitions (ids, epochs, sequences, open transaction start offsets), at the leaders. */
  describeProducers(partitions: TopicPartition[], options?: AdminCallOptions): Promise<transactions.PartitionProducers[]> {
    return transactions.describeProducers(this.#ctx, partitions, options)
  }

  /** Transactions on every coordinator, optionally filtered by state, producer id, duration or id pattern. */
  listTransactions(options?: transactions.ListTransactionsOptions): Promise<transactions.TransactionListing[]> {
    return transactions.listTransactions(this.#ctx, options)
  }

  describeTransactions(transactionalIds: string[], options?: AdminCallOptions): Promise<transactions.TransactionDescription[]> {
    return transactions.describeTransactions(this.#ctx, transactionalIds, options)
  }

  /** Aborts a hanging transaction on one partition (ids and epochs from `describeProducers`). */
  abortTransaction(spec: transactions.AbortTransactionSpec, options?: AdminCallOptions): Promise<void> {
    return transactions.abortTransaction(this.#ctx, spec, options)
  }

  /** Bumps the epoch of each transactional id, fencing its current producer and aborting its open transaction. */
  fenceProducers(transactionalIds: string[], options?: transactions.FenceProducersOptions): Promise<transactions.FencedProducer[]> {
    return transactions.fenceProducers(this.#ctx, transactionalIds, options)
  }

  /** Releases this client's hold on the shared connections. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#client.release()
  }
}
