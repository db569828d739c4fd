/**
 * `samsa/kafkajs`: KafkaJS 2.2.4's public API over samsa's clients. Switching a program's import from `kafkajs`
 * to `samsa/kafkajs` is the whole migration; see docs/migrating-from-kafkajs.md for what behaves differently.
 */
export { Kafka } from './kafka.js'
export type {
  KafkaConfig,
  BrokersFunction,
  RetryOptions,
  Authenticator,
  AuthenticationProviderArgs,
  Mechanism,
  SaslAuthenticateArgs,
  OauthbearerProviderResponse,
  SASLMechanism,
  SASLMechanismOptionsMap,
  SASLOptions,
  ISocketFactory,
  ISocketFactoryArgs,
} from './kafka.js'
// ---- producer
export type { Producer, ProducerConfig, ProducerEvents, Transaction } from './producer.js'
export type { ProducerRecord, ProducerBatch, TopicMessages, RecordMetadata } from './producer-send.js'
export { Partitioners } from './partitioners.js'
export type { Message, PartitionerArgs, ICustomPartitioner, DefaultPartitioner, LegacyPartitioner } from './partitioners.js'
export type { NetworkEventNames, ConnectEvent, DisconnectEvent, RequestEvent, RequestTimeoutEvent, RequestQueueSizeEvent } from './network-events.js'
// ---- consumer
export type { Consumer } from './consumer.js'
export { AssignerProtocol, PartitionAssigners } from './assigners.js'
export type {
  Assigner,
  Assignment,
  Cluster,
  GroupMember,
  GroupMemberAssignment,
  GroupState,
  ISerializer,
  MemberAssignment,
  MemberMetadata,
  PartitionAssigner,
} from './assigners.js'
export type {
  Batch,
  ConsumerConfig,
  ConsumerCommitOffsetsEvent,
  ConsumerCrashEvent,
  ConsumerEachBatchPayload,
  ConsumerEachMessagePayload,
  ConsumerEndBatchProcessEvent,
  ConsumerEventMap,
  ConsumerEvents,
  ConsumerFetchEvent,
  ConsumerFetchStartEvent,
  ConsumerGroupJoinEvent,
  ConsumerHeartbeatEvent,
  ConsumerRebalancingEvent,
  ConsumerReceivedUnsubcribedTopicsEvent,
  ConsumerRunConfig,
  ConsumerStartBatchProcessEvent,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchHandler,
  EachBatchPayload,
  EachMessageHandler,
  EachMessagePayload,
  IBatchProcessEvent,
  IMemberAssignment,
  KafkaMessage,
  OffsetsByTopicPartition,
  TopicPartition,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
} from './consumer-types.js'
// ---- admin
export type { Admin, AdminConfig } from './admin.js'
export type {
  AdminEvents,
  ITopicConfig,
  ITopicPartitionConfig,
  ITopicMetadata,
  ReplicaAssignment,
  PartitionReassignment,
  IResourceConfig,
  IResourceConfigEntry,
  ResourceConfigQuery,
  ConfigEntries,
  ConfigSynonyms,
  DescribeConfigResponse,
  AlterConfigsResponse,
  FetchOffsetsPartition,
  GroupOverview,
  DeleteGroupsResult,
  Acl,
  AclResource,
  AclEntry,
  AclFilter,
  DescribeAclResource,
  DescribeAclResponse,
  MatchingAcl,
  DeleteAclFilterResponses,
  DeleteAclResponse,
  ListPartitionReassignmentsResponse,
  OngoingTopicReassignment,
  OngoingPartitionReassignment,
  SeekEntry,
  GroupDescriptions,
} from './admin-types.js'
// ---- shared by the clients
export type {
  ConsumerGroupState,
  GroupDescription,
  IHeaders,
  MemberDescription,
  Offsets,
  PartitionMetadata,
  PartitionOffset,
  TopicOffsets,
  TopicPartitions,
} from './shared-types.js'
export type { Logger, LogEntry, LoggerEntryContent, logCreator } from './logger.js'
export type { InstrumentationEvent, RemoveInstrumentationEventListener } from './instrumentation.js'
export {
  logLevel,
  CompressionTypes,
  CompressionCodecs,
  ResourceTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  AclPermissionTypes,
  AclOperationTypes,
  ResourcePatternTypes,
} from './constants.js'
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSMemberIdRequired,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSDeleteGroupsError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSBrokerNotFound,
  KafkaJSPartialMessageError,
  KafkaJSSASLAuthenticationError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSLockTimeout,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSInvariantViolation,
  KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError,
  KafkaJSCreateTopicError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSAggregateError,
  KafkaJSFetcherRebalanceError,
  KafkaJSNoBrokerAvailableError,
} from './errors.js'
export type {
  KafkaJSDeleteGroupsErrorGroups,
  KafkaJSDeleteTopicRecordsErrorPartition,
  KafkaJSDeleteTopicRecordsErrorTopic,
  KafkaJSErrorMetadata,
  KafkaJSOffsetOutOfRangeMetadata,
  KafkaJSNumberOfRetriesExceededMetadata,
  KafkaJSConnectionErrorMetadata,
  KafkaJSRequestTimeoutErrorMetadata,
  KafkaJSTopicMetadataNotLoadedMetadata,
  KafkaJSStaleTopicMetadataAssignmentMetadata,
  KafkaJSServerDoesNotSupportApiKeyMetadata,
} from './errors.js'
export type { ApiVersions, Broker, BrokerMetadata, ConsumerGroup, CoordinatorMetadata } from './cluster-types.js'
