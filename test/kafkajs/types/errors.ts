/** A KafkaJS program's error handling (see config.ts for how types.test.ts uses these files). */
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSBrokerNotFound,
  KafkaJSPartialMessageError,
  KafkaJSSASLAuthenticationError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSLockTimeout,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  type KafkaJSErrorMetadata,
  type KafkaJSDeleteGroupsErrorGroups,
  type KafkaJSDeleteTopicRecordsErrorPartition,
  type KafkaJSDeleteTopicRecordsErrorTopic,
  type DeleteGroupsResult,
} from 'kafkajs'

export function describe(error: unknown): string {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return `${error.retryCount} retries in ${error.retryTime} ms: ${error.stack}`
  if (error instanceof KafkaJSOffsetOutOfRange) return `${error.topic}/${error.partition} ${error.code}`
  if (error instanceof KafkaJSAlterPartitionReassignmentsError) return `${error.topic}/${error.partition} ${error.type}`
  if (error instanceof KafkaJSProtocolError) return `${error.type} (${error.code}) retriable=${error.retriable}`
  if (error instanceof KafkaJSConnectionError) return `connection to ${error.broker} failed`
  if (error instanceof KafkaJSRequestTimeoutError) {
    return `${error.broker} #${error.correlationId} created ${error.createdAt} sent ${error.sentAt} pending ${error.pendingDuration}`
  }
  if (error instanceof KafkaJSTopicMetadataNotLoaded) return `no metadata for ${error.topic}`
  if (error instanceof KafkaJSStaleTopicMetadataAssignment) return `${error.topic}: ${error.unknownPartitions}`
  if (error instanceof KafkaJSServerDoesNotSupportApiKey) return `${error.apiName} (${error.apiKey})`
  if (error instanceof KafkaJSDeleteGroupsError) {
    const groups: DeleteGroupsResult[] = error.groups
    return groups.map(({ groupId, errorCode, error: cause }) => `${groupId} ${errorCode} ${cause?.message}`).join()
  }
  if (error instanceof KafkaJSAggregateError) return error.errors.map(String).join('; ')
  if (error instanceof KafkaJSNonRetriableError) return `non-retriable: ${error.message}`
  if (error instanceof KafkaJSError) {
    const { name, message, retriable, helpUrl, cause } = error
    return `${name}: ${message} retriable=${retriable} ${helpUrl ?? ''} ${cause?.message ?? ''}`
  }
  return String(error)
}

const metadata: KafkaJSErrorMetadata = { retriable: true, topic: 't', partitionId: 0 }

// Programs make KafkaJS errors too: in tests, and to signal from handlers (e.g. a non-retriable crash).
export const made: Error[] = [
  new KafkaJSError('message'),
  new KafkaJSError(new Error('cause'), metadata),
  new KafkaJSNonRetriableError('fatal'),
  new KafkaJSNonRetriableError(new Error('fatal')),
  new KafkaJSProtocolError('protocol'),
  new KafkaJSOffsetOutOfRange('out of range', { topic: 't', partition: 0 }),
  new KafkaJSNumberOfRetriesExceeded(new Error('gave up'), { retryCount: 5, retryTime: 1000 }),
  new KafkaJSConnectionError('closed', { broker: 'kafka:9092', code: 'ECONNREFUSED' }),
  new KafkaJSRequestTimeoutError('timeout', { broker: 'b', clientId: 'c', correlationId: 1, createdAt: 0, sentAt: 0, pendingDuration: 0 }),
  new KafkaJSMetadataNotLoaded(),
  new KafkaJSTopicMetadataNotLoaded('no metadata', { topic: 't' }),
  new KafkaJSStaleTopicMetadataAssignment('stale', { topic: 't', unknownPartitions: [] }),
  new KafkaJSServerDoesNotSupportApiKey('unsupported', { apiKey: 1, apiName: 'Fetch' }),
  new KafkaJSBrokerNotFound(),
  new KafkaJSPartialMessageError(),
  new KafkaJSSASLAuthenticationError(),
  new KafkaJSGroupCoordinatorNotFound(),
  new KafkaJSNotImplemented(),
  new KafkaJSTimeout(),
  new KafkaJSLockTimeout(),
  new KafkaJSUnsupportedMagicByteInMessageSet(),
  new KafkaJSDeleteGroupsError('some groups failed'),
  new KafkaJSAggregateError('several', [new Error('a'), 'b']),
  new KafkaJSAlterPartitionReassignmentsError('reassignment', 't', 0),
]

const failedGroup: KafkaJSDeleteGroupsErrorGroups = { groupId: 'g', errorCode: 69, error: new KafkaJSError('GROUP_ID_NOT_FOUND') }
export const groupsError = new KafkaJSDeleteGroupsError('failed', [failedGroup])

const failedPartition: KafkaJSDeleteTopicRecordsErrorPartition = { partition: 0, offset: '10', error: new KafkaJSError('OFFSET_OUT_OF_RANGE') }
const failedTopic: KafkaJSDeleteTopicRecordsErrorTopic = { topic: 't', partitions: [failedPartition] }
export const recordsError = new KafkaJSDeleteTopicRecordsError(failedTopic)

export class MyRetriableError extends KafkaJSError {
  constructor(message: string) {
    super(message, { retriable: true })
  }
}
