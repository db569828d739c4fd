'use strict'
// Stands in for KafkaJS's src/consumer/index.js: createConsumer(options) → new Kafka(config).consumer(options).
const { kafkaFor, clusterOptions, clusterClientOptions, definedOnly } = require('./cluster.cjs')

// KafkaJS's ISOLATION_LEVEL.READ_UNCOMMITTED; the public API says `readUncommitted: true` instead.
const READ_UNCOMMITTED = 0

module.exports = function createConsumer({ cluster, logger, instrumentationEmitter: _ownEmitter, isolationLevel, ...options } = {}) {
  const level = isolationLevel === undefined ? clusterOptions(cluster).isolationLevel : isolationLevel
  const readUncommitted = level === undefined ? undefined : level === READ_UNCOMMITTED
  return kafkaFor(cluster, logger).consumer(definedOnly({ ...clusterClientOptions(cluster), ...options, readUncommitted }))
}
