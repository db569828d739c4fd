/**
 * What the suite does not run, and why. KafkaJS's specs are judged as a contract for the facade, so a test is
 * excluded only when it checks KafkaJS's internals (its Cluster, Broker, retrier or EOS manager, spied on or driven
 * directly), never because the facade behaves differently. Behaviour differences stay in the results as failures.
 */

/** Whole spec files in the chosen folders that unit-test KafkaJS internals rather than its public API. */
export const OUT_OF_SCOPE_FILES = [
  { file: 'src/consumer/__tests__/batch.spec.js', reason: 'unit spec of the internal Batch class' },
  { file: 'src/consumer/__tests__/consumerGroup.spec.js', reason: 'unit spec of the internal ConsumerGroup class' },
  { file: 'src/consumer/__tests__/filterAbortedMessages.spec.js', reason: 'unit spec of an internal helper over protocol fixtures' },
  { file: 'src/consumer/__tests__/runner.spec.js', reason: 'unit spec of the internal Runner with a mocked ConsumerGroup' },
  { file: 'src/producer/createTopicData.spec.js', reason: 'unit spec of an internal helper' },
  { file: 'src/producer/eosManager/index.spec.js', reason: 'unit spec of the internal EOS manager with mocked brokers' },
  { file: 'src/producer/groupMessagesPerPartition.spec.js', reason: 'unit spec of an internal helper' },
  { file: 'src/producer/sendMessages.spec.js', reason: 'unit spec of internal sendMessages with mocked brokers' },
  { file: 'src/producer/partitioners/default/murmur2.spec.js', reason: 'unit spec of the internal hash function' },
  { file: 'src/producer/partitioners/legacy/murmur2.spec.js', reason: 'unit spec of the internal hash function' },
  { file: 'src/producer/partitioners/legacy/randomBytes.spec.js', reason: 'unit spec of an internal helper' },
]

const CONTROLLER_MOCK = "replaces the internal Cluster's refreshMetadata/findControllerBroker with jest mocks returning a fake Broker and counts their calls"
const METADATA_SPY = "asserts that the internal Cluster's refreshMetadataIfNecessary was called (a jest spy on KafkaJS's Cluster)"
const COORDINATOR_FAULTS = "injects faults by replacing methods of the internal Broker returned by cluster.findGroupCoordinator()"
const PRODUCE_FAULTS = "injects faults by replacing produce() of the internal Broker returned by cluster.findBroker()"
const DELETE_RECORDS_SPY = 'injects faults through a jest spy on the internal Broker.prototype.deleteRecords'
const CLUSTER_STATE = "checks the internal Cluster's connection state (cluster.isConnected()/cluster.disconnect())"

const tests = (file, reason, titles) => titles.map((test) => ({ file, test, reason }))

/** Single tests: `file` relative to KafkaJS's root, `test` the test's own title (without describe blocks). */
export const EXCLUDED_TESTS = [
  ...['alterConfigs', 'alterPartitionReassignments', 'createPartitions', 'createTopics', 'deleteTopics', 'describeConfigs', 'listPartitionReassignments'].flatMap((api) =>
    tests(`src/admin/__tests__/${api}.spec.js`, CONTROLLER_MOCK, ['retries if the controller has moved']),
  ),
  ...tests('src/admin/__tests__/createTopics.spec.js', CONTROLLER_MOCK, [
    'ignore already created topics and return false',
    'query metadata if waitForLeaders is true',
    'forward non ignorable errors with topic name metadata',
  ]),
  ...tests('src/admin/__tests__/deleteTopics.spec.js', CONTROLLER_MOCK, ['interrupts on REQUEST_TIMED_OUT']),
  ...tests('src/admin/__tests__/deleteTopics.spec.js', "counts the topics in the internal Cluster's targetTopics set", [
    'remove deleted topics from the cluster target group',
  ]),
  ...tests('src/admin/__tests__/deleteTopicRecords.spec.js', DELETE_RECORDS_SPY, [
    'in case of retriable error, tries again from the last successful partition (does not re-process successful partition twice)',
    'UNKNOWN_TOPIC_OR_PARTITION refresh stale metadata and tries again',
    'LEADER_NOT_AVAILABLE refresh stale metadata and tries again',
    'NOT_LEADER_FOR_PARTITION refresh stale metadata and tries again',
    'KafkaJSMetadataNotLoaded refresh stale metadata and tries again',
    'if at least 1 broker error is non-retriable, will not attempt to retry',
    'if all broker errors are retriable, will retry the request',
  ]),
  ...tests('src/consumer/__tests__/commitOffsets.spec.js', "reads the internal Cluster's committed-offsets cache (cluster.committedOffsets())", [
    'updates the partition committed offset to the given offset',
  ]),
  ...tests('src/consumer/__tests__/connection.spec.js', CLUSTER_STATE, ['reconnects the cluster if disconnected']),
  ...tests('src/consumer/__tests__/consumeMessages.spec.js', METADATA_SPY, [
    'consume messages',
    'commits the last offsets processed before stopping',
    'consume messages with 0.11 format',
  ]),
  ...tests('src/consumer/__tests__/errorRecovery.spec.js', COORDINATOR_FAULTS, [
    'recovers from offset out of range',
    'recovers from crashes due to retriable errors',
    'does not recover from crashes due to not retriable errors',
    'recovers from crashes due to retriable errors exhausting the number of retries',
    'allows the user to bail out of restarting on retriable errors',
  ]),
  ...tests('src/consumer/__tests__/handlerErrorRecovery.spec.js', COORDINATOR_FAULTS, ['commits the previous offsets', 'does not commit the offset if autoCommit=false']),
  ...tests('src/producer/__tests__/idempotentProduceMessages.spec.js', PRODUCE_FAULTS, [
    'sequential produce() calls > where produce() throws a retriable error, all messages are written to the partition once, in order',
    'sequential produce() calls > where produce() throws a retriable error after the message is written to the log, all messages are written to the partition once, in order',
    'concurrent produce() calls > where produce() throws a retriable error on the first call, all messages are written to the partition once',
    'concurrent produce() calls > where produce() throws a retriable error on 2nd call, all messages are written to the partition once',
    'concurrent produce() calls > where produce() throws a retriable error after the message is written to the log, all messages are written to the partition once',
  ]),
  ...tests('src/producer/index.spec.js', CLUSTER_STATE, ['reconnects the cluster if disconnected']),
  ...tests('src/producer/index.spec.js', "spies on KafkaJS's internal retrier (jest.mock('../retry')) to read the retry options it was given", [
    'sets the default retry value to MAX_SAFE_INTEGER',
  ]),
  ...tests('src/producer/index.spec.js', "counts calls on a jest spy of KafkaJS's internal EOS manager (jest.mock('./eosManager'))", [
    'only calls initProducerId if unitialized',
  ]),
  ...tests('src/producer/index.spec.js', "spies on the internal EOS manager's sendOffsets and the Cluster's markOffsetAsCommitted", ['supports sending offsets']),
]
