'use strict'
// KafkaJS's src/errors.js → the facade's error classes, so `toThrow(KafkaJSSomething)` checks what the facade throws.
const { facade } = require('./facade.cjs')

const classes = Object.fromEntries(Object.entries(facade).filter(([name]) => name.startsWith('KafkaJS')))

module.exports = {
  ...classes,
  isKafkaJSError: (error) => error instanceof facade.KafkaJSError,
  isRebalancing: (error) => error && (error.type === 'REBALANCE_IN_PROGRESS' || error.type === 'NOT_COORDINATOR_FOR_GROUP'),
}
