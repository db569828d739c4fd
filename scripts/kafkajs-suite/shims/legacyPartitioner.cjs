'use strict'
// KafkaJS's src/producer/partitioners/legacy/index.js is public API (`Partitioners.LegacyPartitioner`).
const { facade } = require('./facade.cjs')

if (!facade.Partitioners || !facade.Partitioners.LegacyPartitioner) throw new Error('samsa/kafkajs does not export Partitioners.LegacyPartitioner')
module.exports = facade.Partitioners.LegacyPartitioner
