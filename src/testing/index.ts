/**
 * samsa/testing: FakeKafka, an in-process Kafka cluster on loopback sockets for testing applications without Java
 * or Docker. See docs/testing-your-app.md.
 */
export { FakeKafka, type StoredRecord } from './fake-kafka.js'
export type {
  FakeKafkaOptions,
  FakeTopicSpec,
  FakeSaslUser,
  FakeSaslMechanism,
  FaultRule,
  FaultAction,
  FaultHandle,
  SeenRequest,
} from './types.js'
// Part B: a virtual clock for the coordinators' timers and their settings' shape.
export { ManualClock, type FakeClock, type GroupConfig } from './groups/index.js'
