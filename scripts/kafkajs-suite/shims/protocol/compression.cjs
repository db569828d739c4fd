'use strict'
// KafkaJS's src/protocol/message/compression → the facade's public CompressionTypes and CompressionCodecs.
const { facade } = require('../facade.cjs')

module.exports = { Types: facade.CompressionTypes, Codecs: facade.CompressionCodecs }
