'use strict'
// Stands in for KafkaJS's src/producer/index.js: createProducer(options) → new Kafka(config).producer(options).
const { kafkaFor, clusterClientOptions, definedOnly } = require('./cluster.cjs')

module.exports = function createProducer({ cluster, logger, instrumentationEmitter: _ownEmitter, ...options } = {}) {
  return kafkaFor(cluster, logger).producer(definedOnly({ ...clusterClientOptions(cluster), ...options }))
}
