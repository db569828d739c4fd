'use strict'
// KafkaJS's src/protocol/aclResourceTypes.js → the facade's public `AclResourceTypes`.
module.exports = require('../facade.cjs').facade.AclResourceTypes
