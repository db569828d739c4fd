/**
 * The admin client: typed methods over the generated admin APIs, each routed where the Java admin routes it and
 * retried by the shared policy. Methods that name several items answer per item — `{ …item, error }` with
 * `error: KafkaProtocolError | null` — so one bad item does not hide the others; a method throws only when the
 * whole request failed (unreachable cluster, a top-level error code, an unsupported broker).
 */
import { KafkaError } from '../errors.js'
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
  async createTopics(newTopics: topics.NewTopic[], options?: topics.CreateTopicsOptions): Promise<topics.CreateTopicResult[]> {
    return topics.createTopics(this.#open(), newTopics, options)
  }

  /** Deletes topics by name or `{ topicId }`. */
  async deleteTopics(names: Array<string | { topicId: string }>, options?: AdminCallOptions): Promise<topics.DeleteTopicResult[]> {
    return topics.deleteTopics(this.#open(), names, options)
  }

  /** Every topic the caller may describe, sorted by name. */
  async listTopics(options?: topics.ListTopicsOptions): Promise<topics.TopicListing[]> {
    return topics.listTopics(this.#open(), options)
  }

  /** Partitions, leaders, ISR, offline and eligible leader replicas, topic ids; by name or `{ topicId }`, one result each. */
  async describeTopics(names: Array<string | { topicId: string }>, options?: topics.DescribeTopicsOptions): Promise<topics.TopicDescription[]> {
    return topics.describeTopics(this.#open(), names, options)
  }

  /** Raises topics' partition counts. */
  async createPartitions(changes: topics.NewPartitions[], options?: topics.CreateTopicsOptions): Promise<topics.CreatePartitionsResult[]> {
    return topics.createPartitions(this.#open(), changes, options)
  }

  // ---- configs ----

  async describeConfigs(resources: configs.DescribeConfigsRequestItem[], options?: configs.DescribeConfigsOptions): Promise<configs.DescribeConfigsResult[]> {
    return configs.describeConfigs(this.#open(), resources, options)
  }

  /** Sets, deletes, appends to or subtracts from config keys, per resource. */
  async incrementalAlterConfigs(resources: configs.AlterConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return configs.incrementalAlterConfigs(this.#open(), resources, options)
  }

  /**
   * Replaces all dynamic configs of each resource (the legacy AlterConfigs, deprecated in the Java admin): keys not
   * given are removed. Prefer `incrementalAlterConfigs`.
   */
  async alterConfigs(resources: configs.ReplaceConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return configs.alterConfigs(this.#open(), resources, options)
  }

  /** Config resources that exist (topics, groups, client-metrics subscriptions…), of the given types or all. */
  async listConfigResources(types?: configs.ConfigResourceType[], options?: AdminCallOptions): Promise<configs.ConfigResource[]> {
    return configs.listConfigResources(this.#open(), types, options)
  }

  // ---- offsets and records ----

  /** Offsets by spec (earliest, latest, max-timestamp, earliest-local, latest-tiered, earliest-pending-upload) or timestamp. */
  async listOffsets(partitions: offsets.ListOffsetsRequestItem[], options?: offsets.ListOffsetsOptions): Promise<offsets.ListOffsetsResult[]> {
    return offsets.listOffsets(this.#open(), partitions, options)
  }

  /** Deletes records before the given offsets (moves the log start offset). */
  async deleteRecords(partitions: offsets.DeleteRecordsRequestItem[], options?: AdminCallOptions): Promise<offsets.DeleteRecordsResult[]> {
    return offsets.deleteRecords(this.#open(), partitions, options)
  }

  // ---- groups ----

  /** Groups of every type on every broker, optionally filtered by type and state. */
  async listGroups(options?: groups.ListGroupsOptions): Promise<groups.GroupListing[]> {
    return groups.listGroups(this.#open(), options)
  }

  /** Consumer groups of either protocol (KIP-848 or classic), with members and their assignments. */
  async describeConsumerGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.#open(), groupIds, options)
  }

  /** Same as `describeConsumerGroups`. */
  async describeGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.#open(), groupIds, options)
  }

  /** Groups of the classic protocol only (DescribeGroups), whatever their protocol type (consumer, connect…). */
  async describeClassicGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return groups.describeClassicGroups(this.#open(), groupIds, options)
  }

  /** Share groups (KIP-932), with members and assignments. */
  async describeShareGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ShareGroupDescription[]> {
    return groups.describeShareGroups(this.#open(), groupIds, options)
  }

  /** Streams groups (KIP-1071): topology, members, task assignments. */
  async describeStreamsGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.StreamsGroupDescription[]> {
    return groups.describeStreamsGroups(this.#open(), groupIds, options)
  }

  /** Committed offsets of streams groups (the same OffsetFetch as consumer groups). */
  async listStreamsGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return groups.listConsumerGroupOffsets(this.#open(), groupIds, options)
  }

  /** Commits offsets for a streams group with no active members. */
  async alterStreamsGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterConsumerGroupOffsets(this.#open(), groupId, offsetsToCommit, options)
  }

  /** Deletes committed offsets of a streams group. */
  async deleteStreamsGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.deleteConsumerGroupOffsets(this.#open(), groupId, partitions, options)
  }

  /** Deletes groups of any type (empty ones only); per-group errors such as NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: string[], options?: AdminCallOptions): Promise<groups.DeleteGroupResult[]> {
    return groups.deleteGroups(this.#open(), groupIds, options)
  }

  /** Committed offsets per group: a group id (all partitions) or `{ groupId, partitions }`. */
  async listConsumerGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return groups.listConsumerGroupOffsets(this.#open(), groupIds, options)
  }

  /** Commits offsets for a group with no active members (resetting or moving its position). */
  async alterConsumerGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterConsumerGroupOffsets(this.#open(), groupId, offsetsToCommit, options)
  }

  /** Deletes committed offsets of partitions the group does not consume. */
  async deleteConsumerGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.deleteConsumerGroupOffsets(this.#open(), groupId, partitions, options)
  }

  /** Removes members (by member id or group instance id) from a classic group; all members when `members` is left out. */
  async removeMembersFromConsumerGroup(groupId: string, members?: groups.MemberToRemove[], options?: AdminCallOptions): Promise<groups.RemoveMemberResult[]> {
    return groups.removeMembersFromConsumerGroup(this.#open(), groupId, members, options)
  }

  /** Share-partition start offsets (and lag) of share groups. */
  async listShareGroupOffsets(groupIds: Array<string | groups.ShareGroupOffsetsRequestItem>, options?: AdminCallOptions): Promise<groups.ShareGroupOffsetsResult[]> {
    return groups.listShareGroupOffsets(this.#open(), groupIds, options)
  }

  /** Moves share-partition start offsets of a share group with no active members. */
  async alterShareGroupOffsets(groupId: string, offsetsToSet: groups.ShareOffsetToSet[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return groups.alterShareGroupOffsets(this.#open(), groupId, offsetsToSet, options)
  }

  /** Deletes a share group's state for whole topics. */
  async deleteShareGroupOffsets(groupId: string, topicNames: string[], options?: AdminCallOptions): Promise<groups.TopicResult[]> {
    return groups.deleteShareGroupOffsets(this.#open(), groupId, topicNames, options)
  }

  // ---- cluster ----

  /** Cluster id, controller and brokers (fenced ones too with `includeFencedBrokers`, KIP-1073). */
  async describeCluster(options?: clusterOps.DescribeClusterOptions): Promise<clusterOps.ClusterDescription> {
    return clusterOps.describeCluster(this.#open(), options)
  }

  /** Finalized and supported feature levels. */
  async describeFeatures(options?: AdminCallOptions): Promise<clusterOps.FeatureMetadata> {
    return clusterOps.describeFeatures(this.#open(), options)
  }

  async updateFeatures(updates: clusterOps.FeatureUpdate[], options?: clusterOps.UpdateFeaturesOptions): Promise<clusterOps.FeatureUpdateResult[]> {
    return clusterOps.updateFeatures(this.#open(), updates, options)
  }

  /** The KRaft metadata quorum: leader, voters, observers and their lag. */
  async describeMetadataQuorum(options?: AdminCallOptions): Promise<clusterOps.QuorumInfo> {
    return clusterOps.describeMetadataQuorum(this.#open(), options)
  }

  /** Adds a controller to a dynamic KRaft quorum (KIP-853); the voter must already run as an observer. */
  async addRaftVoter(
    voter: clusterOps.RaftVoter & { endpoints: clusterOps.RaftVoterEndpoint[] },
    options?: clusterOps.AddRaftVoterOptions,
  ): Promise<void> {
    return clusterOps.addRaftVoter(this.#open(), voter, options)
  }

  /** Removes a controller from a dynamic KRaft quorum (KIP-853). */
  async removeRaftVoter(voter: clusterOps.RaftVoter, options?: clusterOps.RaftVoterOptions): Promise<void> {
    return clusterOps.removeRaftVoter(this.#open(), voter, options)
  }

  /** Log directories per broker (all brokers when `brokerIds` is left out), with the replicas in each. */
  async describeLogDirs(brokerIds?: number[], options?: AdminCallOptions): Promise<clusterOps.BrokerLogDirs[]> {
    return clusterOps.describeLogDirs(this.#open(), brokerIds, options)
  }

  /** The log directory of each replica (and its destination while `alterReplicaLogDirs` moves it). */
  async describeReplicaLogDirs(replicas: clusterOps.ReplicaRef[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirs[]> {
    return clusterOps.describeReplicaLogDirs(this.#open(), replicas, options)
  }

  async alterReplicaLogDirs(moves: clusterOps.ReplicaLogDirMove[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirResult[]> {
    return clusterOps.alterReplicaLogDirs(this.#open(), moves, options)
  }

  /** Preferred or unclean leader election, for the given partitions or (preferred) all. */
  async electLeaders(type: 'preferred' | 'unclean', options?: clusterOps.ElectLeadersOptions): Promise<groups.PartitionResult[]> {
    return clusterOps.electLeaders(this.#open(), type, options)
  }

  /** Starts (replicas) or cancels (null) partition reassignments. */
  async alterPartitionReassignments(
    reassignments: clusterOps.PartitionReassignment[],
    options?: clusterOps.AlterPartitionReassignmentsOptions,
  ): Promise<groups.PartitionResult[]> {
    return clusterOps.alterPartitionReassignments(this.#open(), reassignments, options)
  }

  async listPartitionReassignments(partitions?: TopicPartition[], options?: AdminCallOptions): Promise<clusterOps.OngoingReassignment[]> {
    return clusterOps.listPartitionReassignments(this.#open(), partitions, options)
  }

  /** Removes a shut-down broker's registration (KRaft). */
  async unregisterBroker(brokerId: number, options?: AdminCallOptions): Promise<void> {
    return clusterOps.unregisterBroker(this.#open(), brokerId, options)
  }

  // ---- ACLs, quotas, SCRAM ----

  /** ACLs matching the filter (all ACLs with an empty filter). */
  async describeAcls(filter?: security.AclBindingFilter, options?: AdminCallOptions): Promise<security.DescribedAcl[]> {
    return security.describeAcls(this.#open(), filter, options)
  }

  async createAcls(bindings: security.AclBinding[], options?: AdminCallOptions): Promise<security.CreateAclResult[]> {
    return security.createAcls(this.#open(), bindings, options)
  }

  /** Deletes the ACLs each filter matches; per filter, the deleted ACLs. */
  async deleteAcls(filters: security.AclBindingFilter[], options?: AdminCallOptions): Promise<security.DeleteAclsResult[]> {
    return security.deleteAcls(this.#open(), filters, options)
  }

  /** Quotas of the entities matching every component (`[]` with `strict: false`: all). */
  async describeClientQuotas(components: security.QuotaFilterComponent[], options?: security.DescribeClientQuotasOptions): Promise<security.ClientQuotaEntry[]> {
    return security.describeClientQuotas(this.#open(), components, options)
  }

  async alterClientQuotas(alterations: security.ClientQuotaAlteration[], options?: security.AlterClientQuotasOptions): Promise<security.AlterClientQuotaResult[]> {
    return security.alterClientQuotas(this.#open(), alterations, options)
  }

  /** SCRAM mechanisms and iteration counts per user (all users when left out). */
  async describeUserScramCredentials(users?: string[], options?: AdminCallOptions): Promise<security.UserScramCredentials[]> {
    return security.describeUserScramCredentials(this.#open(), users, options)
  }

  /** Creates, updates or deletes SCRAM credentials; one result per user (the broker takes one change per user per call). */
  async alterUserScramCredentials(alterations: security.ScramCredentialAlteration[], options?: AdminCallOptions): Promise<security.AlterScramResult[]> {
    return security.alterUserScramCredentials(this.#open(), alterations, options)
  }

  // ---- delegation tokens ----

  /** Creates a delegation token for the caller (or `owner`); the caller must have authenticated with SASL, not with a token. */
  async createDelegationToken(options?: security.CreateDelegationTokenOptions): Promise<security.DelegationToken> {
    return security.createDelegationToken(this.#open(), options)
  }

  /** Extends a token's expiry (up to its max timestamp); answers the new expiry timestamp (ms). */
  async renewDelegationToken(hmac: Buffer, options?: security.RenewDelegationTokenOptions): Promise<number> {
    return security.renewDelegationToken(this.#open(), hmac, options)
  }

  /** Expires a token, immediately unless `expiryTimePeriodMs` says otherwise; answers its expiry timestamp (ms). */
  async expireDelegationToken(hmac: Buffer, options?: security.ExpireDelegationTokenOptions): Promise<number> {
    return security.expireDelegationToken(this.#open(), hmac, options)
  }

  /** Tokens the caller may describe, optionally only those of some owners. */
  async describeDelegationTokens(options?: security.DescribeDelegationTokensOptions): Promise<security.DelegationToken[]> {
    return security.describeDelegationTokens(this.#open(), options)
  }

  // ---- transactions and producers ----

  /** Active producers of partitions (ids, epochs, sequences, open transaction start offsets), at the leaders. */
  async describeProducers(partitions: TopicPartition[], options?: AdminCallOptions): Promise<transactions.PartitionProducers[]> {
    return transactions.describeProducers(this.#open(), partitions, options)
  }

  /** Transactions on every coordinator, optionally filtered by state, producer id, duration or id pattern. */
  async listTransactions(options?: transactions.ListTransactionsOptions): Promise<transactions.TransactionListing[]> {
    return transactions.listTransactions(this.#open(), options)
  }

  async describeTransactions(transactionalIds: string[], options?: AdminCallOptions): Promise<transactions.TransactionDescription[]> {
    return transactions.describeTransactions(this.#open(), transactionalIds, options)
  }

  /** Aborts a hanging transaction on one partition (ids and epochs from `describeProducers`). */
  async abortTransaction(spec: transactions.AbortTransactionSpec, options?: AdminCallOptions): Promise<void> {
    return transactions.abortTransaction(this.#open(), spec, options)
  }

  /** Bumps the epoch of each transactional id, fencing its current producer and aborting its open transaction. */
  async fenceProducers(transactionalIds: string[], options?: transactions.FenceProducersOptions): Promise<transactions.FencedProducer[]> {
    return transactions.fenceProducers(this.#open(), transactionalIds, options)
  }

  #open(): AdminContext {
    if (this.#closed) throw new KafkaError('The admin client is closed')
    return this.#ctx
  }

  /** Releases this client's hold on the shared connections. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#client.release()
  }
}
