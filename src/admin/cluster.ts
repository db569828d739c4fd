/**
 * The cluster itself: brokers and controller, feature levels, the KRaft metadata quorum and its voters, broker
 * unregistration. Controller-bound requests go to the node the metadata names as controller (a broker that forwards
 * in KRaft), like the Java admin. Log directories and partition placement (elections, reassignments) live in their
 * own files; their names are re-exported here so callers import them from cluster.js as before.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  authorizedOperations,
  itemError,
  send,
  throwIfError,
  timeouts,
} from './internal.js'

export {
  alterReplicaLogDirs,
  describeLogDirs,
  describeReplicaLogDirs,
  type BrokerLogDirs,
  type LogDirDescription,
  type ReplicaLogDirInfo,
  type ReplicaLogDirMove,
  type ReplicaLogDirResult,
  type ReplicaLogDirs,
  type ReplicaRef,
} from './log-dirs.js'
export {
  alterPartitionReassignments,
  electLeaders,
  listPartitionReassignments,
  type AlterPartitionReassignmentsOptions,
  type ElectLeadersOptions,
  type OngoingReassignment,
  type PartitionReassignment,
} from './replica-placement.js'

export interface ClusterNode {
  nodeId: number
  host: string
  port: number
  rack: string | null
  /** KIP-1073: a fenced broker is registered but not serving (DescribeCluster v2; false when not reported). */
  isFenced: boolean
}

export interface ClusterDescription {
  clusterId: string
  /** The controller id the brokers report (in KRaft, a broker that forwards controller requests). */
  controllerId: number
  nodes: ClusterNode[]
  authorizedOperations: AclOperation[] | null
}

export interface DescribeClusterOptions extends AdminCallOptions {
  includeAuthorizedOperations?: boolean
  /** Also list fenced brokers (DescribeCluster v2, Kafka 4.0+). */
  includeFencedBrokers?: boolean
}

export interface FeatureRange {
  minVersion: number
  maxVersion: number
}

export interface FeatureMetadata {
  /** Finalized feature levels, e.g. `{ 'metadata.version': { minVersion: 1, maxVersion: 27 } }`. */
  finalized: Record<string, FeatureRange>
  /** What the answering broker supports. */
  supported: Record<string, FeatureRange>
  /** Epoch of the finalized levels; -1n when unknown. */
  finalizedEpoch: bigint
}

export interface FeatureUpdate {
  feature: string
  /** The new finalized level (0 removes the feature). */
  maxVersionLevel: number
  /** Default 'upgrade'; downgrades must say so. */
  upgradeType?: 'upgrade' | 'safe-downgrade' | 'unsafe-downgrade'
}

export interface UpdateFeaturesOptions extends AdminCallOptions {
  validateOnly?: boolean
}

export interface FeatureUpdateResult {
  feature: string
  error: KafkaProtocolError | null
}

export interface QuorumReplica {
  replicaId: number
  replicaDirectoryId: string | null
  logEndOffset: bigint
  /** -1 when unknown. */
  lastFetchTimestamp: number
  lastCaughtUpTimestamp: number
}

export interface QuorumInfo {
  leaderId: number
  leaderEpoch: number
  highWatermark: bigint
  voters: QuorumReplica[]
  observers: QuorumReplica[]
  /** Endpoints of the voters (DescribeQuorum v2). */
  nodes: Array<{ nodeId: number; endpoints: Array<{ listener: string; host: string; port: number }> }>
}

export async function describeCluster(ctx: AdminContext, options: DescribeClusterOptions = {}): Promise<ClusterDescription> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.DescribeCluster,
    { includeClusterAuthorizedOperations: options.includeAuthorizedOperations ?? false, endpointType: 1, includeFencedBrokers: options.includeFencedBrokers ?? false },
    {
      signal: options.signal,
      errorCode: (r) => r.errorCode,
      version: (negotiated) => {
        if (options.includeFencedBrokers && negotiated < 2) throw new KafkaError('Listing fenced brokers needs DescribeCluster v2 (Kafka 4.0+)')
        return negotiated
      },
    },
  )
  return {
    clusterId: response.clusterId,
    controllerId: response.controllerId,
    nodes: response.brokers
      .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, isFenced: b.isFenced ?? false }))
      .sort((a, b) => a.nodeId - b.nodeId),
    authorizedOperations: options.includeAuthorizedOperations ? authorizedOperations(response.clusterAuthorizedOperations) : null,
  }
}

/** Feature levels from ApiVersions, as the Java admin reads them. */
export async function describeFeatures(ctx: AdminContext, options: AdminCallOptions = {}): Promise<FeatureMetadata> {
  const response = await send(ctx, { kind: 'any' }, ApiKeys.ApiVersions, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0' }, { signal: options.signal, errorCode: (r) => r.errorCode })
  const ranges = (items: Array<{ name: string; min: number; max: number }>) =>
    Object.fromEntries(items.map((f) => [f.name, { minVersion: f.min, maxVersion: f.max }]))
  return {
    finalized: ranges((response.finalizedFeatures ?? []).map((f) => ({ name: f.name, min: f.minVersionLevel, max: f.maxVersionLevel }))),
    supported: ranges((response.supportedFeatures ?? []).map((f) => ({ name: f.name, min: f.minVersion, max: f.maxVersion }))),
    finalizedEpoch: response.finalizedFeaturesEpoch ?? -1n,
  }
}

const UPGRADE_TYPES = { upgrade: 1, 'safe-downgrade': 2, 'unsafe-downgrade': 3 } as const

export async function updateFeatures(ctx: AdminContext, updates: FeatureUpdate[], options: UpdateFeaturesOptions = {}): Promise<FeatureUpdateResult[]> {
  if (updates.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.UpdateFeatures,
    (version) => ({
      timeoutMs: brokerTimeoutMs,
      featureUpdates: updates.map((u) => {
        const upgradeType = UPGRADE_TYPES[u.upgradeType ?? 'upgrade']
        if (version === 0 && upgradeType === UPGRADE_TYPES['unsafe-downgrade']) throw new KafkaError('Unsafe downgrades need UpdateFeatures v1')
        // v0 says "downgrade allowed" with a flag; v1+ says which kind of change it is.
        return version === 0
          ? { feature: u.feature, maxVersionLevel: u.maxVersionLevel, allowDowngrade: upgradeType !== 1 }
          : { feature: u.feature, maxVersionLevel: u.maxVersionLevel, upgradeType }
      }),
      validateOnly: options.validateOnly ?? false,
    }),
    { signal: options.signal, timeoutMs: clientTimeoutMs, errorCode: (r) => (r.errorCode === ErrorCodes.NOT_CONTROLLER ? ErrorCodes.NOT_CONTROLLER : 0) },
  )
  // v2 answers with the top-level code only: it then stands for every update of the request.
  const topLevel = itemError(response.errorCode, 'UpdateFeatures', response.errorMessage)
  return updates.map((u) => {
    const result = response.results?.find((r) => r.feature === u.feature)
    return { feature: u.feature, error: topLevel ?? (result ? itemError(result.errorCode, u.feature, result.errorMessage) : null) }
  })
}

const METADATA_TOPIC = '__cluster_metadata'

export async function describeMetadataQuorum(ctx: AdminContext, options: AdminCallOptions = {}): Promise<QuorumInfo> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.DescribeQuorum,
    { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] },
    { signal: options.signal, errorCode: (r) => r.errorCode },
  )
  const partition = response.topics.find((t) => t.topicName === METADATA_TOPIC)?.partitions.find((p) => p.partitionIndex === 0)
  if (!partition) throw new KafkaError('DescribeQuorum: the response has no __cluster_metadata partition')
  throwIfError(partition.errorCode, METADATA_TOPIC, partition.errorMessage)
  const replica = (r: (typeof partition.currentVoters)[number]): QuorumReplica => ({
    replicaId: r.replicaId,
    replicaDirectoryId: r.replicaDirectoryId ?? null,
    logEndOffset: r.logEndOffset,
    lastFetchTimestamp: Number(r.lastFetchTimestamp ?? -1n),
    lastCaughtUpTimestamp: Number(r.lastCaughtUpTimestamp ?? -1n),
  })
  return {
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    highWatermark: partition.highWatermark,
    voters: partition.currentVoters.map(replica),
    observers: partition.observers.map(replica),
    nodes: (response.nodes ?? []).map((n) => ({ nodeId: n.nodeId, endpoints: n.listeners.map((l) => ({ listener: l.name, host: l.host, port: l.port })) })),
  }
}

export interface RaftVoterEndpoint {
  /** Controller listener name, e.g. CONTROLLER. */
  listener: string
  host: string
  port: number
}

export interface RaftVoter {
  voterId: number
  /** The voter's metadata log directory id (uuid), as `describeMetadataQuorum` reports it. */
  voterDirectoryId: string
}

export interface RaftVoterOptions extends AdminCallOptions {
  /** Refuse the change unless the cluster has this id (guards against a wrong bootstrap list). */
  clusterId?: string
}

export interface AddRaftVoterOptions extends RaftVoterOptions {
  /** Answer once the new voter set is committed (true, the default) or once the leader has appended it (AddRaftVoter v1+). */
  ackWhenCommitted?: boolean
}

// Voter changes (KIP-853) need a dynamic quorum (kraft.version 1, formatted with --standalone or
// --initial-controllers); a static `controller.quorum.voters` quorum refuses them with a top-level error.
export async function addRaftVoter(ctx: AdminContext, voter: RaftVoter & { endpoints: RaftVoterEndpoint[] }, options: AddRaftVoterOptions = {}): Promise<void> {
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.AddRaftVoter,
    {
      clusterId: options.clusterId ?? null,
      timeoutMs: brokerTimeoutMs,
      voterId: voter.voterId,
      voterDirectoryId: voter.voterDirectoryId,
      listeners: voter.endpoints.map((e) => ({ name: e.listener, host: e.host, port: e.port })),
      ackWhenCommitted: options.ackWhenCommitted ?? true,
    },
    {
      signal: options.signal,
      timeoutMs: clientTimeoutMs,
      errorCode: (r) => r.errorCode,
      version: (negotiated) => {
        if (options.ackWhenCommitted === false && negotiated < 1) throw new KafkaError('ackWhenCommitted: false needs AddRaftVoter v1 (Kafka 4.1+)')
        return negotiated
      },
    },
  )
  throwIfError(response.errorCode, `AddRaftVoter ${voter.voterId}`, response.errorMessage)
}

export async function removeRaftVoter(ctx: AdminContext, voter: RaftVoter, options: RaftVoterOptions = {}): Promise<void> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.RemoveRaftVoter,
    { clusterId: options.clusterId ?? null, voterId: voter.voterId, voterDirectoryId: voter.voterDirectoryId },
    { signal: options.signal, errorCode: (r) => r.errorCode },
  )
  throwIfError(response.errorCode, `RemoveRaftVoter ${voter.voterId}`, response.errorMessage)
}

/** Removes a (shut down) broker's registration from the KRaft cluster. Throws on error. */
export async function unregisterBroker(ctx: AdminContext, brokerId: number, options: AdminCallOptions = {}): Promise<void> {
  await send(ctx, { kind: 'controller' }, ApiKeys.UnregisterBroker, { brokerId }, { signal: options.signal, errorCode: (r) => r.errorCode })
}
