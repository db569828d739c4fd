/**
 * Which brokers hold and lead each partition: leader elections (preferred or unclean) and replica reassignments
 * (start, cancel, list the ongoing ones). All of these are the controller's to decide, so they go to the node the
 * metadata names as controller, with the broker-side timeout the call allows.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import type { PartitionResult } from './group-offsets.js'
import {
  type AdminCallOptions,
  type AdminContext,
  byTopic,
  itemError,
  partitionKey,
  send,
  type TopicPartition,
  timeouts,
} from './internal.js'

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
