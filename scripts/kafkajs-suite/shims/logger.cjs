'use strict'
// KafkaJS specs hand a `logger` to every factory. The facade makes its logger from `logLevel` and `logCreator` in the
// Kafka config, so each logger made here remembers those and the factories pass them on.
const { facade } = require('./facade.cjs')

const optionsOf = new WeakMap()

function newLogger({ level = facade.logLevel.NOTHING, logCreator } = {}) {
  const config = { brokers: ['127.0.0.1:9'], logLevel: level }
  if (logCreator) config.logCreator = logCreator
  const logger = new facade.Kafka(config).logger()
  optionsOf.set(logger, { logLevel: level, logCreator })
  return logger
}

/** The Kafka config entries that recreate `logger` (NOTHING when the spec gave none). */
function loggerConfig(logger) {
  const options = (logger && optionsOf.get(logger)) || { logLevel: facade.logLevel.NOTHING }
  const config = { logLevel: options.logLevel }
  if (options.logCreator) config.logCreator = options.logCreator
  return config
}

module.exports = { newLogger, loggerConfig }
