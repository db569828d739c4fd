/**
 * The consumer's settings: Java's defaults, and the options a consumer runs with — each one given, else its
 * default; defaultApiTimeoutMs, when not given, is the cluster's.
 */
import type { AssignorName, ConsumerOptions } from './types.js'
import type { ProtocolAssignor } from './assignors.js'

export const CONSUMER_DEFAULTS = {
  groupProtocol: 'consumer',
  partitionAssignmentStrategy: ['range', 'cooperative-sticky'] as Array<AssignorName | ProtocolAssignor>,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  maxPollIntervalMs: 300_000,
  enableAutoCommit: true,
  autoCommitIntervalMs: 5_000,
  autoOffsetReset: 'latest',
  isolationLevel: 'read_uncommitted',
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  checkCrcs: true,
  maxPollRecords: 500,
  closeTimeoutMs: 30_000,
  enableMetricsPush: true,
} as const

/** Options with no default: absent unless given. */
type OptionalOptions = 'groupId' | 'groupInstanceId' | 'groupRemoteAssignor' | 'clientRack' | 'keyDeserializer' | 'valueDeserializer'

export type ResolvedConsumerOptions = Required<Omit<ConsumerOptions, OptionalOptions>> & Pick<ConsumerOptions, OptionalOptions>

export function resolveConsumerOptions(options: ConsumerOptions, defaultApiTimeoutMs: number): ResolvedConsumerOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  return { ...CONSUMER_DEFAULTS, defaultApiTimeoutMs, ...defined } as ResolvedConsumerOptions
}
