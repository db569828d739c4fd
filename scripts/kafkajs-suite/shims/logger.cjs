'use strict'
// KafkaJS specs hand a `logger` to every factory. The facade makes its logger from `logLevel` and `logCreator` in the
// Kafka config, so each logger made here remembers those and the factories pass them on. A spec that spies on its
// logger's methods (or hands over a logger of its own) gets every entry forwarded to that object instead, so the
// spy sees what KafkaJS would have logged through it.
const { facade } = require('./facade.cjs')

const made = new WeakMap()
const METHODS = ['debug', 'info', 'warn', 'error', 'namespace']
const METHOD_OF_LEVEL = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' }

function newLogger({ level = facade.logLevel.NOTHING, logCreator } = {}) {
  const config = { brokers: ['127.0.0.1:9'], logLevel: level }
  if (logCreator) config.logCreator = logCreator
  const logger = new facade.Kafka(config).logger()
  made.set(logger, { options: { logLevel: level, logCreator }, methods: METHODS.map((name) => logger[name]) })
  return logger
}

function forwardingTo(logger) {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _name, ...extra } = log
    const target = typeof logger.namespace === 'function' ? logger.namespace(namespace) : logger
    const method = target && target[METHOD_OF_LEVEL[level]]
    if (typeof method === 'function') method.call(target, message, extra)
  }
}

/** The Kafka config entries that recreate `logger` (NOTHING when the spec gave none). */
function loggerConfig(logger) {
  if (!logger) return { logLevel: facade.logLevel.NOTHING }
  const entry = made.get(logger)
  const untouched = entry && METHODS.every((name, i) => logger[name] === entry.methods[i])
  if (!untouched) return { logLevel: facade.logLevel.DEBUG, logCreator: forwardingTo(logger) }
  const config = { logLevel: entry.options.logLevel }
  if (entry.options.logCreator) config.logCreator = entry.options.logCreator
  return config
}

module.exports = { newLogger, loggerConfig }
