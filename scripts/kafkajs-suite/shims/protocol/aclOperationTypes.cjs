'use strict'
// KafkaJS's src/protocol/aclOperationTypes.js → the facade's public `AclOperationTypes`.
module.exports = require('../facade.cjs').facade.AclOperationTypes
