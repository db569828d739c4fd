'use strict'
// Stands in for KafkaJS's src/admin/index.js: createAdmin(options) → new Kafka(config).admin({ retry }).
const { kafkaFor, definedOnly } = require('./cluster.cjs')

module.exports = function createAdmin({ cluster, logger, retry } = {}) {
  return kafkaFor(cluster, logger).admin(definedOnly({ retry }))
}
