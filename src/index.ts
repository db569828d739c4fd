/** samsa: the public surface. Clients (Kafka, Producer, Consumer, Admin) are exported here as they land. */
export {
  KafkaError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RecordsDecodeError,
  CompressionCodecUnavailableError,
  ConnectionError,
  TimeoutError,
  AuthenticationError,
  AbortError,
  AbortedError,
} from './errors.js'
export { UnsupportedVersionError } from './network/versions.js'
export { ManualClock, systemClock, type Clock, type ClockTimer } from './network/clock.js'
export type { MetricSnapshot } from './network/metrics.js'
export { EncodeError } from './protocol/writer.js'
export { Kafka, type KafkaConfig } from './kafka.js'
export { compressionAvailable, type CompressionCodec } from './records/compression.js'
export {
  Producer,
  ProducerClosedError,
  type SendOptions,
  type ProducerMessage,
  type ProducerRecord,
  type RecordMetadata,
  type Transaction,
  type TransactionConsumer,
} from './producer/producer.js'
export type { Serializer, SerializerOption, SerializerInput, StringSerializable } from './producer/serializers.js'
export type { ProducerOptions, Acks } from './producer/options.js'
export { TransactionError, type TransactionErrorKind, type TopicPartitionOffset, type GroupMetadata } from './producer/transactions.js'
export type { Partitioner, PartitionerContext } from './producer/partitioner.js'
export type { SaslConfig, SaslMechanism, OAuthBearerToken, OAuthBearerTokenProvider } from './network/sasl/index.js'
// A class so delegation-token logins can pass SCRAM extensions: new ScramMechanism('sha256', tokenId, hmacBase64, undefined, { tokenauth: 'true' }).
export { ScramMechanism } from './network/sasl/scram.js'
export type { Logger, LogLevel } from './network/logging.js'
export type {
  ConnectEvent,
  RequestStartEvent,
  RequestFinishEvent,
  RequestObserver,
  ThrottleEvent,
  ProduceChannelEvent,
  FetchChannelEvent,
  RebalanceChannelEvent,
  TraceOutcome,
  ProducerSendContext,
  SendTraceMessage,
  SendTraceResult,
  ConsumerFetchContext,
  ConsumerProcessContext,
  ProcessTraceMessage,
  RequestTraceContext,
} from './network/instrumentation.js'
/** The TracingChannels (`samsa:producer:send`, `samsa:consumer:fetch`, `samsa:consumer:process`, `samsa:request`). */
export { tracingChannels } from './network/instrumentation.js'
export * from './admin/index.js'
export * from './consumer/index.js'
