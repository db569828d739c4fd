'use strict'
// KafkaJS's src/protocol/configSource.js → the facade's public `ConfigSource`.
module.exports = require('../facade.cjs').facade.ConfigSource
