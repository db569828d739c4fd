export { Admin, type AdminOptions } from './admin.js'
export type { AdminCallOptions, TopicPartition, AclOperation } from './internal.js'
export type * from './topics.js'
export type * from './configs.js'
export type * from './offsets.js'
export type * from './groups.js'
export type {
  ClusterNode,
  ClusterDescription,
  DescribeClusterOptions,
  FeatureRange,
  FeatureMetadata,
  FeatureUpdate,
  UpdateFeaturesOptions,
  FeatureUpdateResult,
  QuorumReplica,
  QuorumInfo,
  ReplicaLogDirInfo,
  LogDirDescription,
  BrokerLogDirs,
  ReplicaLogDirMove,
  ReplicaLogDirResult,
  ElectLeadersOptions,
  PartitionReassignment,
  AlterPartitionReassignmentsOptions,
  OngoingReassignment,
  ReplicaRef,
  ReplicaLogDirs,
  RaftVoter,
  RaftVoterEndpoint,
  RaftVoterOptions,
  AddRaftVoterOptions,
} from './cluster.js'
export type * from './security.js'
export type * from './transactions.js'
