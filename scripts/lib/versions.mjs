// The one place the pinned Apache Kafka versions live. Upgrading Kafka: change KAFKA_VERSION, run
// `npm run specs -- --update-manifest`, regenerate, run the tests.
export const KAFKA_VERSION = '4.4.0'
/** An older broker line kept working for version-negotiation tests. */
export const KAFKA_LEGACY_VERSION = '3.9.2'
export const SCALA_BINARY_VERSION = '2.13'
