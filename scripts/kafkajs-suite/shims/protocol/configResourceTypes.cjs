'use strict'
// KafkaJS's src/protocol/configResourceTypes.js → the facade's public `ConfigResourceTypes`.
module.exports = require('../facade.cjs').facade.ConfigResourceTypes
