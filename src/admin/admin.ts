/**
 * The admin client: typed methods over the generated admin APIs, each routed where the Java admin routes it and
 * retried by the shared policy. Methods that name several items answer per item — `{ …item, error }` with
 * `error: KafkaProtocolError | null` — so one bad item does not hide the others; a method throws only when the
 * whole request failed (unreachable cluster, a top-level error code, an unsupported broker).
 */
import { KafkaError, TelemetryDisabledError } from '../errors.js'
import { anySignal, ownAbortReason } from '../network/abort.js'
import type { Cluster } from '../network/cluster.js'
import { clientLogger, type Logger, silentLogger } from '../network/logging.js'
import { type MetricSnapshot, MetricsRegistry } from '../network/metrics.js'
import { ClientTelemetry } from '../network/telemetry.js'
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
  /** The `client-id` tag of the admin's metrics. Default 'samsa'. */
  clientId?: string
  logger?: Logger
  release(): void
}

export interface AdminOptions {
  /** Broker-side timeout of topic creation/deletion, elections and the like. Default 30 000 (Java's request.timeout.ms). */
  defaultTimeoutMs?: number
  /**
   * Pushes the admin client's metrics to the brokers when a client-metrics subscription asks for them (KIP-714;
   * Java's enable.metrics.push). Brokers without a client telemetry plugin are never asked. Default true.
   */
  enableMetricsPush?: boolean
}

export class Admin {
  readonly #client: AdminClientContext
  readonly #ctx: Omit<AdminContext, 'budget'>
  #closed = false
  readonly #closing = new AbortController()
  #metrics: MetricsRegistry | null = null
  /** KIP-714 metrics push; null with enableMetricsPush false. */
  readonly #telemetry: ClientTelemetry | null

  constructor(client: AdminClientContext, options: AdminOptions = {}) {
    this.#client = client
    this.#ctx = { cluster: client.cluster, defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000 }
    const cluster = client.cluster
    this.#telemetry =
      options.enableMetricsPush === false
        ? null
        : new ClientTelemetry({
            clock: cluster.clock,
            logger: clientLogger(client.logger ?? silentLogger).child({ client: 'admin' }),
            connection: (signal) => cluster.backgroundConnection('default', signal),
            connect: (signal) => cluster.anyConnection('default', signal),
            metrics: () => this.#registry().points(),
          })
    this.#telemetry?.start()
  }

  #registry(): MetricsRegistry {
    if (this.#metrics === null) {
      const cluster = this.#client.cluster
      this.#metrics = new MetricsRegistry(cluster.clock)
      cluster.networkMetrics.register(this.#metrics, 'admin-client-metrics', { 'client-id': this.#client.clientId ?? 'samsa' })
    }
    return this.#metrics
  }

  /**
   * The id the brokers gave this admin client for client metrics push (KIP-714), as its base64url uuid string: the
   * one a broker's client-telemetry plugin sees. Resolves once the first GetTelemetrySubscriptions is answered; null
   * when the brokers do not support client telemetry (no telemetry plugin) or refused it; TimeoutError after
   * `timeoutMs` (default 60 000). Rejects with TelemetryDisabledError when `enableMetricsPush` is false.
   */
  async clientInstanceId(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string | null> {
    if (!this.#telemetry) throw new TelemetryDisabledError()
    return this.#telemetry.clientInstanceId(options)
  }

  /**
   * The admin client's metrics as of now (`admin-client-metrics`: connections, requests, bytes, request latency),
   * named as the Java admin client's; see docs/observability.md. They count every client of the same `Kafka` (they
   * share its connections).
   */
  metrics(): MetricSnapshot[] {
    return this.#registry().snapshot()
  }

  // ---- topics ----

  /** Creates topics; per-topic results (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR… as `error`). */
  async createTopics(newTopics: topics.NewTopic[], options?: topics.CreateTopicsOptions): Promise<topics.CreateTopicResult[]> {
    return this.#call(options, (ctx) => topics.createTopics(ctx, newTopics, options))
  }

  /** Deletes topics by name or `{ topicId }`. */
  async deleteTopics(names: Array<string | { topicId: string }>, options?: AdminCallOptions): Promise<topics.DeleteTopicResult[]> {
    return this.#call(options, (ctx) => topics.deleteTopics(ctx, names, options))
  }

  /** Every topic the caller may describe, sorted by name. */
  async listTopics(options?: topics.ListTopicsOptions): Promise<topics.TopicListing[]> {
    return this.#call(options, (ctx) => topics.listTopics(ctx, options))
  }

  /** Partitions, leaders, ISR, offline and eligible leader replicas, topic ids; by name or `{ topicId }`, one result each. */
  async describeTopics(names: Array<string | { topicId: string }>, options?: topics.DescribeTopicsOptions): Promise<topics.TopicDescription[]> {
    return this.#call(options, (ctx) => topics.describeTopics(ctx, names, options))
  }

  /** Raises topics' partition counts. */
  async createPartitions(changes: topics.NewPartitions[], options?: topics.CreateTopicsOptions): Promise<topics.CreatePartitionsResult[]> {
    return this.#call(options, (ctx) => topics.createPartitions(ctx, changes, options))
  }

  // ---- configs ----

  async describeConfigs(resources: configs.DescribeConfigsRequestItem[], options?: configs.DescribeConfigsOptions): Promise<configs.DescribeConfigsResult[]> {
    return this.#call(options, (ctx) => configs.describeConfigs(ctx, resources, options))
  }

  /** Sets, deletes, appends to or subtracts from config keys, per resource. */
  async incrementalAlterConfigs(resources: configs.AlterConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return this.#call(options, (ctx) => configs.incrementalAlterConfigs(ctx, resources, options))
  }

  /**
   * Replaces all dynamic configs of each resource (the legacy AlterConfigs, deprecated in the Java admin): keys not
   * given are removed. Prefer `incrementalAlterConfigs`.
   */
  async alterConfigs(resources: configs.ReplaceConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return this.#call(options, (ctx) => configs.alterConfigs(ctx, resources, options))
  }

  /** Config resources that exist (topics, groups, client-metrics subscriptions…), of the given types or all. */
  async listConfigResources(types?: configs.ConfigResourceType[], options?: AdminCallOptions): Promise<configs.ConfigResource[]> {
    return this.#call(options, (ctx) => configs.listConfigResources(ctx, types, options))
  }

  // ---- offsets and records ----

  /** Offsets by spec (earliest, latest, max-timestamp, earliest-local, latest-tiered, earliest-pending-upload) or timestamp. */
  async listOffsets(partitions: offsets.ListOffsetsRequestItem[], options?: offsets.ListOffsetsOptions): Promise<offsets.ListOffsetsResult[]> {
    return this.#call(options, (ctx) => offsets.listOffsets(ctx, partitions, options))
  }

  /** Deletes records before the given offsets (moves the log start offset). */
  async deleteRecords(partitions: offsets.DeleteRecordsRequestItem[], options?: AdminCallOptions): Promise<offsets.DeleteRecordsResult[]> {
    return this.#call(options, (ctx) => offsets.deleteRecords(ctx, partitions, options))
  }

  // ---- groups ----

  /** Groups of every type on every broker, optionally filtered by type and state. */
  async listGroups(options?: groups.ListGroupsOptions): Promise<groups.GroupListing[]> {
    return this.#call(options, (ctx) => groups.listGroups(ctx, options))
  }

  /** Consumer groups of either protocol (KIP-848 or classic), with members and their assignments. */
  async describeConsumerGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return this.#call(options, (ctx) => groups.describeConsumerGroups(ctx, groupIds, options))
  }

  /** Same as `describeConsumerGroups`. */
  async describeGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return this.#call(options, (ctx) => groups.describeConsumerGroups(ctx, groupIds, options))
  }

  /** Groups of the classic protocol only (DescribeGroups), whatever their protocol type (consumer, connect…). */
  async describeClassicGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ConsumerGroupDescription[]> {
    return this.#call(options, (ctx) => groups.describeClassicGroups(ctx, groupIds, options))
  }

  /** Share groups (KIP-932), with members and assignments. */
  async describeShareGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.ShareGroupDescription[]> {
    return this.#call(options, (ctx) => groups.describeShareGroups(ctx, groupIds, options))
  }

  /** Streams groups (KIP-1071): topology, members, task assignments. */
  async describeStreamsGroups(groupIds: string[], options?: groups.DescribeGroupsOptions): Promise<groups.StreamsGroupDescription[]> {
    return this.#call(options, (ctx) => groups.describeStreamsGroups(ctx, groupIds, options))
  }

  /** Committed offsets of streams groups (the same OffsetFetch as consumer groups). */
  async listStreamsGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return this.#call(options, (ctx) => groups.listConsumerGroupOffsets(ctx, groupIds, options))
  }

  /** Commits offsets for a streams group with no active members. */
  async alterStreamsGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => groups.alterConsumerGroupOffsets(ctx, groupId, offsetsToCommit, options))
  }

  /** Deletes committed offsets of a streams group. */
  async deleteStreamsGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => groups.deleteConsumerGroupOffsets(ctx, groupId, partitions, options))
  }

  /** Deletes groups of any type (empty ones only); per-group errors such as NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: string[], options?: AdminCallOptions): Promise<groups.DeleteGroupResult[]> {
    return this.#call(options, (ctx) => groups.deleteGroups(ctx, groupIds, options))
  }

  /** Committed offsets per group: a group id (all partitions) or `{ groupId, partitions }`. */
  async listConsumerGroupOffsets(
    groupIds: Array<string | groups.ListGroupOffsetsRequestItem>,
    options?: groups.ListGroupOffsetsOptions,
  ): Promise<groups.ListGroupOffsetsResult[]> {
    return this.#call(options, (ctx) => groups.listConsumerGroupOffsets(ctx, groupIds, options))
  }

  /** Commits offsets for a group with no active members (resetting or moving its position). */
  async alterConsumerGroupOffsets(groupId: string, offsetsToCommit: groups.OffsetToCommit[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => groups.alterConsumerGroupOffsets(ctx, groupId, offsetsToCommit, options))
  }

  /** Deletes committed offsets of partitions the group does not consume. */
  async deleteConsumerGroupOffsets(groupId: string, partitions: TopicPartition[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => groups.deleteConsumerGroupOffsets(ctx, groupId, partitions, options))
  }

  /** Removes members (by member id or group instance id) from a classic group; all members when `members` is left out. */
  async removeMembersFromConsumerGroup(groupId: string, members?: groups.MemberToRemove[], options?: AdminCallOptions): Promise<groups.RemoveMemberResult[]> {
    return this.#call(options, (ctx) => groups.removeMembersFromConsumerGroup(ctx, groupId, members, options))
  }

  /** Share-partition start offsets (and lag) of share groups. */
  async listShareGroupOffsets(groupIds: Array<string | groups.ShareGroupOffsetsRequestItem>, options?: AdminCallOptions): Promise<groups.ShareGroupOffsetsResult[]> {
    return this.#call(options, (ctx) => groups.listShareGroupOffsets(ctx, groupIds, options))
  }

  /** Moves share-partition start offsets of a share group with no active members. */
  async alterShareGroupOffsets(groupId: string, offsetsToSet: groups.ShareOffsetToSet[], options?: AdminCallOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => groups.alterShareGroupOffsets(ctx, groupId, offsetsToSet, options))
  }

  /** Deletes a share group's state for whole topics. */
  async deleteShareGroupOffsets(groupId: string, topicNames: string[], options?: AdminCallOptions): Promise<groups.TopicResult[]> {
    return this.#call(options, (ctx) => groups.deleteShareGroupOffsets(ctx, groupId, topicNames, options))
  }

  // ---- cluster ----

  /** Cluster id, controller and brokers (fenced ones too with `includeFencedBrokers`, KIP-1073). */
  async describeCluster(options?: clusterOps.DescribeClusterOptions): Promise<clusterOps.ClusterDescription> {
    return this.#call(options, (ctx) => clusterOps.describeCluster(ctx, options))
  }

  /** Finalized and supported feature levels. */
  async describeFeatures(options?: AdminCallOptions): Promise<clusterOps.FeatureMetadata> {
    return this.#call(options, (ctx) => clusterOps.describeFeatures(ctx, options))
  }

  async updateFeatures(updates: clusterOps.FeatureUpdate[], options?: clusterOps.UpdateFeaturesOptions): Promise<clusterOps.FeatureUpdateResult[]> {
    return this.#call(options, (ctx) => clusterOps.updateFeatures(ctx, updates, options))
  }

  /** The KRaft metadata quorum: leader, voters, observers and their lag. */
  async describeMetadataQuorum(options?: AdminCallOptions): Promise<clusterOps.QuorumInfo> {
    return this.#call(options, (ctx) => clusterOps.describeMetadataQuorum(ctx, options))
  }

  /** Adds a controller to a dynamic KRaft quorum (KIP-853); the voter must already run as an observer. */
  async addRaftVoter(
    voter: clusterOps.RaftVoter & { endpoints: clusterOps.RaftVoterEndpoint[] },
    options?: clusterOps.AddRaftVoterOptions,
  ): Promise<void> {
    return this.#call(options, (ctx) => clusterOps.addRaftVoter(ctx, voter, options))
  }

  /** Removes a controller from a dynamic KRaft quorum (KIP-853). */
  async removeRaftVoter(voter: clusterOps.RaftVoter, options?: clusterOps.RaftVoterOptions): Promise<void> {
    return this.#call(options, (ctx) => clusterOps.removeRaftVoter(ctx, voter, options))
  }

  /** Log directories per broker (all brokers when `brokerIds` is left out), with the replicas in each. */
  async describeLogDirs(brokerIds?: number[], options?: AdminCallOptions): Promise<clusterOps.BrokerLogDirs[]> {
    return this.#call(options, (ctx) => clusterOps.describeLogDirs(ctx, brokerIds, options))
  }

  /** The log directory of each replica (and its destination while `alterReplicaLogDirs` moves it). */
  async describeReplicaLogDirs(replicas: clusterOps.ReplicaRef[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirs[]> {
    return this.#call(options, (ctx) => clusterOps.describeReplicaLogDirs(ctx, replicas, options))
  }

  async alterReplicaLogDirs(moves: clusterOps.ReplicaLogDirMove[], options?: AdminCallOptions): Promise<clusterOps.ReplicaLogDirResult[]> {
    return this.#call(options, (ctx) => clusterOps.alterReplicaLogDirs(ctx, moves, options))
  }

  /** Preferred or unclean leader election, for the given partitions or (preferred) all. */
  async electLeaders(type: 'preferred' | 'unclean', options?: clusterOps.ElectLeadersOptions): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => clusterOps.electLeaders(ctx, type, options))
  }

  /** Starts (replicas) or cancels (null) partition reassignments. */
  async alterPartitionReassignments(
    reassignments: clusterOps.PartitionReassignment[],
    options?: clusterOps.AlterPartitionReassignmentsOptions,
  ): Promise<groups.PartitionResult[]> {
    return this.#call(options, (ctx) => clusterOps.alterPartitionReassignments(ctx, reassignments, options))
  }

  async listPartitionReassignments(partitions?: TopicPartition[], options?: AdminCallOptions): Promise<clusterOps.OngoingReassignment[]> {
    return this.#call(options, (ctx) => clusterOps.listPartitionReassignments(ctx, partitions, options))
  }

  /** Removes a shut-down broker's registration (KRaft). */
  async unregisterBroker(brokerId: number, options?: AdminCallOptions): Promise<void> {
    return this.#call(options, (ctx) => clusterOps.unregisterBroker(ctx, brokerId, options))
  }

  // ---- ACLs, quotas, SCRAM ----

  /** ACLs matching the filter (all ACLs with an empty filter). */
  async describeAcls(filter?: security.AclBindingFilter, options?: AdminCallOptions): Promise<security.DescribedAcl[]> {
    return this.#call(options, (ctx) => security.describeAcls(ctx, filter, options))
  }

  async createAcls(bindings: security.AclBinding[], options?: AdminCallOptions): Promise<security.CreateAclResult[]> {
    return this.#call(options, (ctx) => security.createAcls(ctx, bindings, options))
  }

  /** Deletes the ACLs each filter matches; per filter, the deleted ACLs. */
  async deleteAcls(filters: security.AclBindingFilter[], options?: AdminCallOptions): Promise<security.DeleteAclsResult[]> {
    return this.#call(options, (ctx) => security.deleteAcls(ctx, filters, options))
  }

  /** Quotas of the entities matching every component (`[]` with `strict: false`: all). */
  async describeClientQuotas(components: security.QuotaFilterComponent[], options?: security.DescribeClientQuotasOptions): Promise<security.ClientQuotaEntry[]> {
    return this.#call(options, (ctx) => security.describeClientQuotas(ctx, components, options))
  }

  async alterClientQuotas(alterations: security.ClientQuotaAlteration[], options?: security.AlterClientQuotasOptions): Promise<security.AlterClientQuotaResult[]> {
    return this.#call(options, (ctx) => security.alterClientQuotas(ctx, alterations, options))
  }

  /** SCRAM mechanisms and iteration counts per user (all users when left out). */
  async describeUserScramCredentials(users?: string[], options?: AdminCallOptions): Promise<security.UserScramCredentials[]> {
    return this.#call(options, (ctx) => security.describeUserScramCredentials(ctx, users, options))
  }

  /** Creates, updates or deletes SCRAM credentials; one result per user (the broker takes one change per user per call). */
  async alterUserScramCredentials(alterations: security.ScramCredentialAlteration[], options?: AdminCallOptions): Promise<security.AlterScramResult[]> {
    return this.#call(options, (ctx) => security.alterUserScramCredentials(ctx, alterations, options))
  }

  // ---- delegation tokens ----

  /** Creates a delegation token for the caller (or `owner`); the caller must have authenticated with SASL, not with a token. */
  async createDelegationToken(options?: security.CreateDelegationTokenOptions): Promise<security.DelegationToken> {
    return this.#call(options, (ctx) => security.createDelegationToken(ctx, options))
  }

  /** Extends a token's expiry (up to its max timestamp); answers the new expiry timestamp (ms). */
  async renewDelegationToken(hmac: Buffer, options?: security.RenewDelegationTokenOptions): Promise<number> {
    return this.#call(options, (ctx) => security.renewDelegationToken(ctx, hmac, options))
  }

  /** Expires a token, immediately unless `expiryTimePeriodMs` says otherwise; answers its expiry timestamp (ms). */
  async expireDelegationToken(hmac: Buffer, options?: security.ExpireDelegationTokenOptions): Promise<number> {
    return this.#call(options, (ctx) => security.expireDelegationToken(ctx, hmac, options))
  }

  /** Tokens the caller may describe, optionally only those of some owners. */
  async describeDelegationTokens(options?: security.DescribeDelegationTokensOptions): Promise<security.DelegationToken[]> {
    return this.#call(options, (ctx) => security.describeDelegationTokens(ctx, options))
  }

  // ---- transactions and producers ----

  /** Active producers of partitions (ids, epochs, sequences, open transaction start offsets), at the leaders. */
  async describeProducers(partitions: TopicPartition[], options?: AdminCallOptions): Promise<transactions.PartitionProducers[]> {
    return this.#call(options, (ctx) => transactions.describeProducers(ctx, partitions, options))
  }

  /** Transactions on every coordinator, optionally filtered by state, producer id, duration or id pattern. */
  async listTransactions(options?: transactions.ListTransactionsOptions): Promise<transactions.TransactionListing[]> {
    return this.#call(options, (ctx) => transactions.listTransactions(ctx, options))
  }

  async describeTransactions(transactionalIds: string[], options?: AdminCallOptions): Promise<transactions.TransactionDescription[]> {
    return this.#call(options, (ctx) => transactions.describeTransactions(ctx, transactionalIds, options))
  }

  /** Aborts a hanging transaction on one partition (ids and epochs from `describeProducers`). */
  async abortTransaction(spec: transactions.AbortTransactionSpec, options?: AdminCallOptions): Promise<void> {
    return this.#call(options, (ctx) => transactions.abortTransaction(ctx, spec, options))
  }

  /** Bumps the epoch of each transactional id, fencing its current producer and aborting its open transaction. */
  async fenceProducers(transactionalIds: string[], options?: transactions.FenceProducersOptions): Promise<transactions.FencedProducer[]> {
    return this.#call(options, (ctx) => transactions.fenceProducers(ctx, transactionalIds, options))
  }

  /**
   * Runs one admin call under one budget: `options.timeoutMs` (else defaultApiTimeoutMs), `options.signal`, and the
   * client's closing, which ends every call still running.
   */
  async #call<T>(options: AdminCallOptions | undefined, call: (ctx: AdminContext) => Promise<T>): Promise<T> {
    if (this.#closed) throw new KafkaError('The admin client is closed')
    const closing = this.#closing.signal
    const signal = options?.signal ? anySignal([options.signal, closing]) : closing
    return this.#client.cluster.withBudget({ timeoutMs: options?.timeoutMs, signal }, (budget) => call({ ...this.#ctx, budget }))
  }

  /** Releases this client's hold on the shared connections; calls still running reject with a KafkaError. */
  /** Ends the calls still running and releases the connections, after the last metrics push (within `timeoutMs`, default 30 000). */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort(ownAbortReason(new KafkaError('The admin client is closed')))
    await this.#telemetry?.close({ timeoutMs: options.timeoutMs ?? 30_000 })
    this.#client.release()
  }

  /** `await using admin = kafka.admin()`: closes the client (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
