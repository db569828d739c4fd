'use strict'
// KafkaJS's src/consumer/assignerProtocol.js is public API (`AssignerProtocol`): the facade's must serve the specs.
const { facade } = require('./facade.cjs')

if (!facade.AssignerProtocol) throw new Error('samsa/kafkajs does not export AssignerProtocol')
module.exports = facade.AssignerProtocol
