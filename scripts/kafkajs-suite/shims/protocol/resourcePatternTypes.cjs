'use strict'
// KafkaJS's src/protocol/resourcePatternTypes.js → the facade's public `ResourcePatternTypes`.
module.exports = require('../facade.cjs').facade.ResourcePatternTypes
