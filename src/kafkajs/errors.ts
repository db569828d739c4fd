/**
 * KafkaJS's error classes, with the names and properties KafkaJS programs test for (`retriable`, `type`, `code`,
 * `broker`, …), and `toKafkaJSError`, which turns what samsa throws into the class KafkaJS would have thrown. The
 * samsa error stays reachable as `cause`, so nothing samsa knows (broker message, error kind) is lost.
 */
import { AuthenticationError, ConnectionError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { UnsupportedVersionError } from '../network/versions.js'
import { errorCodes } from '../protocol/generated/error-codes.js'
import type { DeleteGroupsResult } from './admin-types.js'
import { TransactionError } from '../producer/transactions.js'

export interface KafkaJSErrorMetadata {
  retriable?: boolean
  topic?: string
  partitionId?: number
  metadata?: unknown
  cause?: Error
}

export interface KafkaJSOffsetOutOfRangeMetadata {
  topic: string
  partition: number
}

export interface KafkaJSNumberOfRetriesExceededMetadata {
  retryCount: number
  retryTime: number
}

export interface KafkaJSConnectionErrorMetadata {
  broker?: string
  code?: string
}

export interface KafkaJSTopicMetadataNotLoadedMetadata {
  topic: string
}

export interface KafkaJSStaleTopicMetadataAssignmentMetadata {
  topic: string
  unknownPartitions: unknown[]
}

export interface KafkaJSServerDoesNotSupportApiKeyMetadata {
  apiKey: number
  apiName: string
}

function messageOf(e: Error | string): string {
  return typeof e === 'string' ? e : e.message
}

export class KafkaJSError extends Error {
  retriable: boolean
  helpUrl?: string
  declare cause?: Error

  constructor(e: Error | string, { retriable = true, cause }: KafkaJSErrorMetadata = {}) {
    super(messageOf(e), cause === undefined ? undefined : { cause })
    this.name = 'KafkaJSError'
    this.retriable = retriable
    if (typeof e !== 'string' && 'helpUrl' in e && typeof e.helpUrl === 'string') this.helpUrl = e.helpUrl
    if (cause !== undefined) this.cause = cause
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string, { cause }: { cause?: Error } = {}) {
    super(e, { retriable: false, cause })
    this.name = 'KafkaJSNonRetriableError'
  }
}

/** What a protocol error is built from: KafkaJS passes its own error-table entry ({ type, code, retriable, message }). */
export interface ProtocolErrorInput {
  message: string
  type: string
  code: number
  retriable?: boolean
}

export class KafkaJSProtocolError extends KafkaJSError {
  type: string
  code: number

  constructor(e: Error | string | ProtocolErrorInput, { retriable, cause }: { retriable?: boolean; cause?: Error } = {}) {
    const input = typeof e === 'string' ? { message: e } : (e as Partial<ProtocolErrorInput> & { message: string })
    super(input.message, { retriable: retriable ?? input.retriable ?? true, cause })
    this.type = input.type ?? 'UNKNOWN'
    this.code = input.code ?? -1
    this.name = 'KafkaJSProtocolError'
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  topic: string
  partition: number
  constructor(e: Error | string | ProtocolErrorInput, { topic, partition }: { topic: string; partition: number }) {
    super(e)
    this.topic = topic
    this.partition = partition
    this.name = 'KafkaJSOffsetOutOfRange'
  }
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  memberId: string
  constructor(e: Error | string | ProtocolErrorInput, { memberId }: { memberId: string }) {
    super(e)
    this.memberId = memberId
    this.name = 'KafkaJSMemberIdRequired'
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  retryCount: number
  retryTime: number
  constructor(e: Error | string, { retryCount, retryTime }: { retryCount: number; retryTime: number }) {
    super(e, { cause: typeof e === 'string' ? undefined : e })
    this.name = 'KafkaJSNumberOfRetriesExceeded'
    if (typeof e !== 'string') this.stack = `${this.name}\n  Caused by: ${e.stack}`
    this.retryCount = retryCount
    this.retryTime = retryTime
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  broker?: string
  code?: string
  constructor(e: Error | string, { broker, code, cause }: { broker?: string; code?: string; cause?: Error } = {}) {
    super(e, { cause })
    this.broker = broker
    this.code = code
    this.name = 'KafkaJSConnectionError'
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  host?: string
  port?: number
  constructor(e: Error | string, { host, port }: { host?: string; port?: number } = {}) {
    super(e, { broker: `${host}:${port}` })
    this.host = host
    this.port = port
    this.name = 'KafkaJSConnectionClosedError'
  }
}

export interface KafkaJSRequestTimeoutErrorMetadata {
  broker?: string
  clientId?: string
  correlationId?: number
  createdAt?: number
  sentAt?: number
  pendingDuration?: number
  cause?: Error
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  broker?: string
  correlationId?: number
  createdAt?: number
  sentAt?: number
  pendingDuration?: number
  constructor(e: Error | string, { broker, correlationId, createdAt, sentAt, pendingDuration, cause }: KafkaJSRequestTimeoutErrorMetadata = {}) {
    super(e, { cause })
    this.broker = broker
    this.correlationId = correlationId
    this.createdAt = createdAt
    this.sentAt = sentAt
    this.pendingDuration = pendingDuration
    this.name = 'KafkaJSRequestTimeoutError'
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: Error | string = 'Metadata not loaded', metadata?: KafkaJSErrorMetadata) {
    super(e, metadata)
    this.name = 'KafkaJSMetadataNotLoaded'
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  topic: string
  constructor(e: Error | string, { topic }: { topic: string }) {
    super(e)
    this.topic = topic
    this.name = 'KafkaJSTopicMetadataNotLoaded'
  }
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  topic: string
  unknownPartitions: unknown[]
  constructor(e: Error | string, { topic, unknownPartitions }: { topic: string; unknownPartitions: unknown[] }) {
    super(e)
    this.topic = topic
    this.unknownPartitions = unknownPartitions
    this.name = 'KafkaJSStaleTopicMetadataAssignment'
  }
}

export interface KafkaJSDeleteGroupsErrorGroups {
  groupId: string
  errorCode: number
  error: KafkaJSError
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  groups: DeleteGroupsResult[]
  constructor(e: Error | string, groups: ReadonlyArray<KafkaJSDeleteGroupsErrorGroups | DeleteGroupsResult> = []) {
    super(e)
    // The facade only ever puts protocol errors here, which is what KafkaJS's declarations promise.
    this.groups = groups as DeleteGroupsResult[]
    this.name = 'KafkaJSDeleteGroupsError'
  }
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  apiKey: number
  apiName: string
  constructor(e: Error | string, { apiKey, apiName }: { apiKey: number; apiName: string }) {
    super(e)
    this.apiKey = apiKey
    this.apiName = apiName
    this.name = 'KafkaJSServerDoesNotSupportApiKey'
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e: Error | string = 'Broker not found', metadata?: KafkaJSErrorMetadata) {
    super(e, metadata)
    this.name = 'KafkaJSBrokerNotFound'
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'Partial message', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSPartialMessageError'
  }
}

export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'SASL authentication failed', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSSASLAuthenticationError'
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'Group coordinator not found', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSGroupCoordinatorNotFound'
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'Not implemented', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSNotImplemented'
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'Timeout', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSTimeout'
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e: Error | string = 'Lock timeout', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSLockTimeout'
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'Unsupported magic byte', metadata?: { cause?: Error }) {
    super(e, metadata)
    this.name = 'KafkaJSUnsupportedMagicByteInMessageSet'
  }
}

export interface KafkaJSDeleteTopicRecordsErrorPartition {
  partition: number
  offset: string
  error: KafkaJSError
}

export interface KafkaJSDeleteTopicRecordsErrorTopic {
  topic: string
  partitions: KafkaJSDeleteTopicRecordsErrorPartition[]
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  partitions: KafkaJSDeleteTopicRecordsErrorPartition[]
  constructor({ partitions }: KafkaJSDeleteTopicRecordsErrorTopic) {
    // Retriable only when every partition's failure is.
    super('Error while deleting records', { retriable: partitions.every(({ error }) => error.retriable) })
    this.name = 'KafkaJSDeleteTopicRecordsError'
    this.partitions = partitions
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(message: string) {
    super(`Invariant violated: ${message}. This is likely a bug and should be reported.`)
    this.name = 'KafkaJSInvariantViolation'
  }
}

// KafkaJS names these two 'KafkaJSNonRetriableError'; programs that test `name` see the same.
export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {}
export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  topic: string
  constructor(e: Error | string | ProtocolErrorInput, topicName: string) {
    super(e)
    this.topic = topicName
    this.name = 'KafkaJSCreateTopicError'
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  topic?: string
  partition?: number
  constructor(e: Error | string | ProtocolErrorInput, topic?: string, partition?: number) {
    super(e)
    this.topic = topic
    this.partition = partition
    this.name = 'KafkaJSAlterPartitionReassignmentsError'
  }
}

export class KafkaJSAggregateError extends Error {
  errors: Array<Error | string>
  constructor(message: Error | string, errors: Array<Error | string>) {
    super(messageOf(message))
    this.errors = errors
    this.name = 'KafkaJSAggregateError'
  }
}

export class KafkaJSFetcherRebalanceError extends Error {}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available')
    this.name = 'KafkaJSNoBrokerAvailableError'
  }
}

/**
 * KafkaJS words a protocol error with its own table, not with the broker's text, and programs match on those
 * words. Most entries are Kafka's standard message for the code without its final period; these are the ones
 * where KafkaJS's wording differs.
 */
const KAFKAJS_WORDING = new Map<number, string>([
  [2, "This message has failed its CRC checksum, exceeds the valid size, or is otherwise corrupt"],
  [6, "This server is not the leader for that topic-partition"],
  [9, "The replica is not available for the requested topic-partition"],
  [14, "The coordinator is loading and hence can't process requests for this group"],
  [15, "The group coordinator is not available"],
  [16, "This is not the correct coordinator for this group"],
  [23, "The group member's supported protocols are incompatible with those of existing members"],
  [24, "The configured groupId is invalid"],
  [29, "Not authorized to access topics: [Topic authorization failed]"],
  [30, "Not authorized to access group: Group authorization failed"],
  [37, "Number of partitions is invalid"],
  [38, "Replication-factor is invalid"],
  [47, "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker"],
  [50, "The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)"],
  [69, "The group id was not found"],
  [81, "The consumer group has reached its max size. It already has the configured maximum number of members"],
  [82, "The broker rejected this static consumer since another consumer with the same group instance id has registered with a different member id"],
  [87, "This record has failed the validation on broker and hence be rejected"],
])

/** The protocol error as KafkaJS would build it from a samsa one: `type` is Kafka's error name, `message` KafkaJS's words. */
export function protocolError(error: KafkaProtocolError): KafkaJSProtocolError {
  const standard = errorCodes.get(error.code)?.message?.replace(/\.$/, '')
  const message = KAFKAJS_WORDING.get(error.code) ?? standard ?? error.brokerMessage ?? error.message
  return new KafkaJSProtocolError({ message, type: error.errorName, code: error.code, retriable: error.retriable }, { cause: error })
}

/**
 * The KafkaJS error for anything samsa (or a user callback) threw. KafkaJS errors and non-samsa errors pass
 * through unchanged: a user's own exception from `eachMessage` must reach them as they threw it.
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error
  if (!(error instanceof KafkaError)) return error instanceof Error ? error : new KafkaJSError(String(error))
  if (error instanceof KafkaProtocolError) return protocolError(error)
  if (error instanceof TransactionError && error.cause instanceof KafkaProtocolError) {
    const converted = protocolError(error.cause)
    converted.message = error.message
    return converted
  }
  if (error instanceof AuthenticationError) return new KafkaJSSASLAuthenticationError(error.message, { cause: error })
  if (error instanceof ConnectionError) return new KafkaJSConnectionError(error.message, { broker: error.broker, cause: error })
  if (error instanceof TimeoutError) return new KafkaJSRequestTimeoutError(error.message, { cause: error })
  if (error instanceof UnsupportedVersionError) {
    const converted = new KafkaJSNonRetriableError(error.message, { cause: error })
    converted.name = 'KafkaJSServerDoesNotSupportApiKey'
    return converted
  }
  return new KafkaJSError(error.message, { retriable: error.retriable, cause: error })
}

/** KafkaJS's helper: the error says a rebalance is under way (the member must rejoin). */
export function isRebalancing(e: { type?: string }): boolean {
  return e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'NOT_COORDINATOR' || e.type === 'ILLEGAL_GENERATION'
}

export function isKafkaJSError(e: unknown): e is KafkaJSError {
  return e instanceof KafkaJSError
}
