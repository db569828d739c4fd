export { Consumer } from './consumer.js'
export { CONSUMER_DEFAULTS } from './options.js'
export { DeserializationError, LogTruncationError } from './errors.js'
export { ShareConsumer, ShareConsumerMessage, SHARE_CONSUMER_DEFAULTS } from './share-consumer.js'
export type {
  ShareConsumerOptions,
  ShareAcknowledgeType,
  ShareAcknowledgementMode,
  ShareAcquireMode,
  ShareAcknowledgementResult,
  ShareConsumerKey,
  ShareConsumerValue,
} from './share-consumer.js'
export { rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor, type Assignor, type AssignorMember, type ProtocolAssignor } from './assignors.js'
export type {
  GroupProtocol,
  AssignorName,
  AutoOffsetReset,
  IsolationLevel,
  ConsumerOptions,
  Deserializer,
  DeserializerOption,
  DeserializedOutput,
  ConsumerKey,
  ConsumerValue,
  ConsumerMessage,
  ConsumerBatch,
  RebalanceEvent,
  TruncationEvent,
  GroupEvent,
  CommitEvent,
  FetchEvent,
  OwnedBatch,
  RebalanceListener,
  PartitionLag,
  EachMessagePayload,
  EachBatchPayload,
  RunOptions,
  CommitOptions,
  ConsumerGroupMetadata,
  TopicPartition as ConsumerTopicPartition,
  TopicPartitionOffset as ConsumerTopicPartitionOffset,
} from './types.js'
export type { CommittedOffset as ConsumerCommittedOffset, ListedOffset } from './offsets.js'
