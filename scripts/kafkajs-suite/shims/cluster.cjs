'use strict'
/**
 * KafkaJS's specs build clients from a `Cluster` (connection options plus a few client options). The facade has no
 * such object: a client owns its connections. The shim cluster only carries the options; the factories turn them
 * into `new Kafka(config).producer(...)` etc. Spec code that drives or spies on the cluster itself meets a
 * ShimLimitationError.
 */
const { facade } = require('./facade.cjs')
const { loggerConfig } = require('./logger.cjs')
const { ShimLimitationError } = require('./limitation.cjs')

const OPTIONS = Symbol('samsa-kafkajs-suite:cluster-options')

const CONNECTION_KEYS = [
  'ssl',
  'sasl',
  'clientId',
  'connectionTimeout',
  'authenticationTimeout',
  'reauthenticationThreshold',
  'requestTimeout',
  'enforceRequestTimeout',
  'retry',
  'socketFactory',
]

const INTERNAL_METHODS = [
  'connect',
  'disconnect',
  'isConnected',
  'refreshMetadata',
  'refreshMetadataIfNecessary',
  'metadata',
  'addTargetTopic',
  'addMultipleTargetTopics',
  'findBroker',
  'findControllerBroker',
  'findTopicPartitionMetadata',
  'findLeaderForPartitions',
  'findGroupCoordinator',
  'findGroupCoordinatorMetadata',
  'fetchTopicsOffset',
  'defaultOffset',
  'committedOffsets',
  'markOffsetAsCommitted',
  'getNodeIds',
]
const INTERNAL_PROPERTIES = ['brokerPool', 'targetTopics', 'logger', 'retrier', 'connectionPoolBuilder']

class ShimCluster {
  constructor(options) {
    this[OPTIONS] = options
  }
}
for (const name of INTERNAL_METHODS) {
  ShimCluster.prototype[name] = function () {
    throw new ShimLimitationError(`cluster.${name}()`)
  }
}
for (const name of INTERNAL_PROPERTIES) {
  Object.defineProperty(ShimCluster.prototype, name, {
    get() {
      throw new ShimLimitationError(`cluster.${name}`)
    },
  })
}

function createCluster(options, brokers) {
  return new ShimCluster({ ...options, brokers })
}

function clusterOptions(cluster) {
  if (!(cluster instanceof ShimCluster)) throw new ShimLimitationError('a client factory called without testHelpers.createCluster()')
  return cluster[OPTIONS]
}

function definedOnly(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined))
}

/** The facade `Kafka` a KafkaJS `Cluster` with these options stands for. */
function kafkaFor(cluster, logger) {
  const options = clusterOptions(cluster)
  const config = { brokers: options.brokers }
  for (const key of CONNECTION_KEYS) config[key] = options[key]
  return new facade.Kafka(definedOnly({ ...config, ...loggerConfig(logger || options.logger) }))
}

/** Client options KafkaJS keeps on the cluster (set there by `Kafka.producer()` / `Kafka.consumer()`). */
function clusterClientOptions(cluster) {
  const { metadataMaxAge, allowAutoTopicCreation, maxInFlightRequests } = clusterOptions(cluster)
  return definedOnly({ metadataMaxAge, allowAutoTopicCreation, maxInFlightRequests })
}

module.exports = { createCluster, clusterOptions, clusterClientOptions, kafkaFor, definedOnly }
