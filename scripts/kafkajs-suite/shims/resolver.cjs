'use strict'
/**
 * Jest resolver for the extracted KafkaJS tree: a spec's import of a KafkaJS module that the facade replaces
 * (client factories, errors, public enums, testHelpers) resolves to our shim instead. Matching on the resolved file
 * rather than the import string keeps `../index` from src/admin/__tests__ and `./index` from src/admin the same.
 */
const path = require('node:path')

const root = process.env.KAFKAJS_ROOT
const shim = (file) => path.join(__dirname, file)

const REPLACED = {
  'src/admin/index.js': shim('admin.cjs'),
  'src/producer/index.js': shim('producer.cjs'),
  'src/consumer/index.js': shim('consumer.cjs'),
  'src/errors.js': shim('errors.cjs'),
  'src/instrumentation/emitter.js': shim('instrumentationEmitter.cjs'),
  'src/consumer/assignerProtocol.js': shim('assignerProtocol.cjs'),
  'src/producer/partitioners/legacy/index.js': shim('legacyPartitioner.cjs'),
  'src/protocol/message/compression/index.js': shim('protocol/compression.cjs'),
  'src/protocol/aclResourceTypes.js': shim('protocol/aclResourceTypes.cjs'),
  'src/protocol/aclOperationTypes.js': shim('protocol/aclOperationTypes.cjs'),
  'src/protocol/aclPermissionTypes.js': shim('protocol/aclPermissionTypes.cjs'),
  'src/protocol/resourcePatternTypes.js': shim('protocol/resourcePatternTypes.cjs'),
  'src/protocol/configResourceTypes.js': shim('protocol/configResourceTypes.cjs'),
  'src/protocol/configSource.js': shim('protocol/configSource.cjs'),
}

module.exports = (request, options) => {
  if (request === 'testHelpers') return shim('testHelpers.cjs')
  const resolved = options.defaultResolver(request, options)
  const fromRoot = path.relative(root, resolved).split(path.sep).join('/')
  // A shim's own requires (the facade in dist/) must not be redirected.
  if (options.basedir.startsWith(__dirname)) return resolved
  return REPLACED[fromRoot] || resolved
}
