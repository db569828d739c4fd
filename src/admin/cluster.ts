/**
 * The cluster itself: brokers and controller, feature levels, the KRaft metadata quorum, log directories,
 * leader elections, partition reassignments, broker unregistration. Controller-bound requests go to the node
 * the metadata names as controller (a broker that forwards in KRaft), like the Java admin.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import type { PartitionResult } from './groups.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  allBrokerIds,
  authorizedOperations,
  byTopic,
  itemError,
  partitionKey,
  send,
  type TopicPartition,
  throwIfError,
  timeouts,
} from './internal.js'

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

export interface ReplicaLogDirInfo extends TopicPartition {
  size: bigint
  offsetLag: bigint
  /** The replica is being moved into this directory. */
  isFuture: boolean
}

export interface LogDirDescription {
  path: string
  error: KafkaProtocolError | null
  /** -1n when the broker does not report them (before DescribeLogDirs v4). */
  totalBytes: bigint
  usableBytes: bigint
  /** KIP-1066: no new replicas are placed here (DescribeLogDirs v5). */
  isCordoned: boolean
  replicas: ReplicaLogDirInfo[]
}

export interface BrokerLogDirs {
  brokerId: number
  logDirs: LogDirDescription[]
  error: KafkaProtocolError | null
}

export interface ReplicaLogDirMove extends TopicPartition {
  brokerId: number
  /** Absolute log directory on that broker. */
  path: string
}

export interface ReplicaLogDirResult extends TopicPartition {
  brokerId: number
  error: KafkaProtocolError | null
}

export interface ElectLeadersOptions extends AdminCallOptions {
  /** Partitions to elect for; every partition when left out (preferred elections only). */
  partitions?: TopicPartition[]
}

export interface PartitionReassignment extends TopicPartition {
  /** The new replica list, or null to cancel an ongoing reassignment. */
  replicas: number[] | null
}

export interface AlterPartitionReassignmentsOptions extends AdminCallOptions {
  /** KIP-860: refuse reassignments that change the replication factor (v1+). Default true (allowed). */
  allowReplicationFactorChange?: boolean
}

export interface OngoingReassignment extends TopicPartition {
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
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

/** Log directories of the given brokers (every broker when left out), asked of each broker itself. */
export async function describeLogDirs(ctx: AdminContext, brokerIds?: number[], options: AdminCallOptions = {}): Promise<BrokerLogDirs[]> {
  const ids = brokerIds ?? (await allBrokerIds(ctx))
  return Promise.all(
    ids.map(async (brokerId): Promise<BrokerLogDirs> => {
      try {
        const response = await send(ctx, { kind: 'node', nodeId: brokerId }, ApiKeys.DescribeLogDirs, { topics: null }, { signal: options.signal })
        return {
          brokerId,
          error: itemError(response.errorCode ?? 0, `broker ${brokerId}`),
          logDirs: response.results.map((d) => ({
            path: d.logDir,
            error: itemError(d.errorCode, d.logDir),
            totalBytes: d.totalBytes ?? -1n,
            usableBytes: d.usableBytes ?? -1n,
            isCordoned: d.isCordoned ?? false,
            replicas: d.topics.flatMap((t) =>
              t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })),
            ),
          })),
        }
      } catch (error) {
        if (error instanceof KafkaError && 'code' in error) return { brokerId, logDirs: [], error: error as KafkaProtocolError }
        throw error
      }
    }),
  )
}

/** Moves replicas between log directories of their broker; one request per broker. */
export async function alterReplicaLogDirs(ctx: AdminContext, moves: ReplicaLogDirMove[], options: AdminCallOptions = {}): Promise<ReplicaLogDirResult[]> {
  const byBroker = new Map<number, ReplicaLogDirMove[]>()
  for (const m of moves) byBroker.set(m.brokerId, [...(byBroker.get(m.brokerId) ?? []), m])
  const answers = new Map<string, KafkaProtocolError | null>()
  await Promise.all(
    [...byBroker].map(async ([brokerId, list]) => {
      const byPath = new Map<string, ReplicaLogDirMove[]>()
      for (const m of list) byPath.set(m.path, [...(byPath.get(m.path) ?? []), m])
      const response = await send(
        ctx,
        { kind: 'node', nodeId: brokerId },
        ApiKeys.AlterReplicaLogDirs,
        {
          dirs: [...byPath].map(([path, items]) => ({
            path,
            topics: byTopic(items).map(({ topic, items: parts }) => ({ name: topic, partitions: parts.map((p) => p.partition) })),
          })),
        },
        { signal: options.signal },
      )
      for (const t of response.results) {
        for (const p of t.partitions) answers.set(`${brokerId}\u0000${partitionKey(t.topicName, p.partitionIndex)}`, itemError(p.errorCode, `${t.topicName}-${p.partitionIndex} on broker ${brokerId}`))
      }
    }),
  )
  return moves.map((m) => {
    const key = `${m.brokerId}\u0000${partitionKey(m.topic, m.partition)}`
    return { topic: m.topic, partition: m.partition, brokerId: m.brokerId, error: answers.has(key) ? answers.get(key)! : itemError(-1, key, 'no result for this replica') }
  })
}

const ELECTION_TYPES = { preferred: 0, unclean: 1 } as const

/**
 * Elects leaders: the preferred replica (`preferred`) or any live replica even out of sync (`unclean`). Per-partition
 * results; ELECTION_NOT_NEEDED means the partition already has the leader asked for.
 */
export async function electLeaders(
  ctx: AdminContext,
  type: 'preferred' | 'unclean',
  options: ElectLeadersOptions = {},
): Promise<PartitionResult[]> {
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.ElectLeaders,
    {
      electionType: ELECTION_TYPES[type],
      topicPartitions: options.partitions ? byTopic(options.partitions).map(({ topic, items }) => ({ topic, partitions: items.map((i) => i.partition) })) : null,
      timeoutMs: brokerTimeoutMs,
    },
    { signal: options.signal, timeoutMs: clientTimeoutMs, errorCode: (r) => r.errorCode ?? 0 },
  )
  const results = response.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, error: itemError(p.errorCode, `${t.topic}-${p.partitionId}`, p.errorMessage) })),
  )
  if (!options.partitions) return results
  const byKey = new Map(results.map((r) => [partitionKey(r.topic, r.partition), r]))
  return options.partitions.map((p) => byKey.get(partitionKey(p.topic, p.partition)) ?? { ...p, error: itemError(-1, `${p.topic}-${p.partition}`, 'no result for this partition') })
}

export async function alterPartitionReassignments(
  ctx: AdminContext,
  reassignments: PartitionReassignment[],
  options: AlterPartitionReassignmentsOptions = {},
): Promise<PartitionResult[]> {
  if (reassignments.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.AlterPartitionReassignments,
    {
      timeoutMs: brokerTimeoutMs,
      allowReplicationFactorChange: options.allowReplicationFactorChange ?? true,
      topics: byTopic(reassignments).map(({ topic, items }) => ({ name: topic, partitions: items.map((i) => ({ partitionIndex: i.partition, replicas: i.replicas })) })),
    },
    {
      signal: options.signal,
      timeoutMs: clientTimeoutMs,
      errorCode: (r) => r.errorCode,
      version: (negotiated) => {
        if (options.allowReplicationFactorChange === false && negotiated < 1) throw new KafkaError('allowReplicationFactorChange needs AlterPartitionReassignments v1 (Kafka 4.1+)')
        return negotiated
      },
    },
  )
  const byKey = new Map<string, KafkaProtocolError | null>()
  for (const t of response.responses) for (const p of t.partitions) byKey.set(partitionKey(t.name, p.partitionIndex), itemError(p.errorCode, `${t.name}-${p.partitionIndex}`, p.errorMessage))
  return reassignments.map((r) => {
    const key = partitionKey(r.topic, r.partition)
    return { topic: r.topic, partition: r.partition, error: byKey.has(key) ? byKey.get(key)! : itemError(-1, key, 'no result for this partition') }
  })
}

/** Ongoing reassignments, of the given partitions or all. */
export async function listPartitionReassignments(ctx: AdminContext, partitions?: TopicPartition[], options: AdminCallOptions = {}): Promise<OngoingReassignment[]> {
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.ListPartitionReassignments,
    {
      timeoutMs: brokerTimeoutMs,
      topics: partitions ? byTopic(partitions).map(({ topic, items }) => ({ name: topic, partitionIndexes: items.map((i) => i.partition) })) : null,
    },
    { signal: options.signal, timeoutMs: clientTimeoutMs, errorCode: (r) => r.errorCode },
  )
  return response.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
  )
}

/** Removes a (shut down) broker's registration from the KRaft cluster. Throws on error. */
export async function unregisterBroker(ctx: AdminContext, brokerId: number, options: AdminCallOptions = {}): Promise<void> {
  await send(ctx, { kind: 'controller' }, ApiKeys.UnregisterBroker, { brokerId }, { signal: options.signal, errorCode: (r) => r.errorCode })
}

export interface ReplicaRef extends TopicPartition {
  brokerId: number
}

export interface ReplicaLogDirs extends ReplicaRef {
  /** The directory holding the replica on that broker; null when the broker has no such replica. */
  currentLogDir: string | null
  currentOffsetLag: bigint
  /** Where the replica is being moved to by `alterReplicaLogDirs`, if anywhere. */
  futureLogDir: string | null
  futureOffsetLag: bigint
  error: KafkaProtocolError | null
}

/** Which log directory holds each replica (and where it is moving), asked of each replica's broker. */
export async function describeReplicaLogDirs(ctx: AdminContext, replicas: ReplicaRef[], options: AdminCallOptions = {}): Promise<ReplicaLogDirs[]> {
  const byBroker = new Map<number, ReplicaRef[]>()
  for (const r of replicas) byBroker.set(r.brokerId, [...(byBroker.get(r.brokerId) ?? []), r])
  const answers = new Map<string, ReplicaLogDirs>()
  const keyOf = (r: ReplicaRef) => `${r.brokerId}\u0000${partitionKey(r.topic, r.partition)}`
  await Promise.all(
    [...byBroker].map(async ([brokerId, list]) => {
      let dirs: Array<{ path: string; replicas: ReplicaLogDirInfo[] }> = []
      let brokerError: KafkaProtocolError | null = null
      try {
        const response = await send(
          ctx,
          { kind: 'node', nodeId: brokerId },
          ApiKeys.DescribeLogDirs,
          { topics: byTopic(list).map(({ topic, items }) => ({ topic, partitions: items.map((i) => i.partition) })) },
          { signal: options.signal, errorCode: (r) => r.errorCode ?? 0 },
        )
        dirs = response.results
          .filter((d) => d.errorCode === 0)
          .map((d) => ({
            path: d.logDir,
            replicas: d.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
          }))
      } catch (error) {
        if (!(error instanceof KafkaError && 'code' in error)) throw error
        brokerError = error as KafkaProtocolError
      }
      for (const r of list) {
        const find = (future: boolean) => {
          for (const d of dirs) {
            const hit = d.replicas.find((x) => x.topic === r.topic && x.partition === r.partition && x.isFuture === future)
            if (hit) return { path: d.path, lag: hit.offsetLag }
          }
          return null
        }
        const current = find(false)
        const future = find(true)
        answers.set(keyOf(r), {
          ...r,
          currentLogDir: current?.path ?? null,
          currentOffsetLag: current?.lag ?? -1n,
          futureLogDir: future?.path ?? null,
          futureOffsetLag: future?.lag ?? -1n,
          error: brokerError,
        })
      }
    }),
  )
  return replicas.map((r) => answers.get(keyOf(r))!)
}
