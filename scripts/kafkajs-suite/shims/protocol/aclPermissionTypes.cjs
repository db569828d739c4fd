'use strict'
// KafkaJS's src/protocol/aclPermissionTypes.js → the facade's public `AclPermissionTypes`.
module.exports = require('../facade.cjs').facade.AclPermissionTypes
