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

const CLUSTER_SPY = "replaces KafkaJS's internal Cluster/Broker methods with jest mocks and counts their calls; the facade has neither"
const RETRY_SPY = "spies on KafkaJS's internal retrier (jest.mock('../retry')), which the facade does not use"
const EOS_SPY = "spies on KafkaJS's internal EOS manager (jest.mock('./eosManager')), which the facade does not use"

/** Single tests: `file` relative to KafkaJS's root, `test` the test's own title (without describe blocks). */
export const EXCLUDED_TESTS = [
]

export { CLUSTER_SPY, RETRY_SPY, EOS_SPY }
