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
const { plainTextBrokers, withNativeAdmin, throwItemErrors } = require('./native.cjs')

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

// KafkaJS's docker setup defines these PLAIN users in its JAAS file; the harness cannot add PLAIN users, so
// global-setup.cjs creates them as SCRAM users with the same passwords and the shim authenticates them with SCRAM.
// The principal (User:bob…) is what the ACL specs are about, and it stays the same.
const KAFKAJS_JAAS_USERS = { test: 'testtest', bob: 'bobbob', alice: 'alicealice' }

function harnessSasl(sasl) {
  if (!sasl || sasl.mechanism !== 'plain' || KAFKAJS_JAAS_USERS[sasl.username] !== sasl.password) return sasl
  return { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password }
}

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
  'defaultOffset',
  'committedOffsets',
  'markOffsetAsCommitted',
  'getNodeIds',
]
const INTERNAL_PROPERTIES = ['targetTopics', 'logger', 'retrier', 'connectionPoolBuilder']

class ShimCluster {
  constructor(options) {
    this[OPTIONS] = options
  }

  /** What specs read to check their results: earliest or latest offsets, as KafkaJS's Cluster answers them. */
  fetchTopicsOffset(topics) {
    return withNativeAdmin(async (admin) => {
      const items = topics.flatMap(({ topic, partitions, fromBeginning }) =>
        partitions.map(({ partition }) => ({ topic, partition, spec: fromBeginning ? 'earliest' : 'latest' })),
      )
      const results = throwItemErrors(await admin.listOffsets(items))
      return topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition }) => ({
          partition,
          offset: String(results.find((r) => r.topic === topic && r.partition === partition).offset),
        })),
      }))
    })
  }

  /** Specs use the seed broker only to learn the brokers' ids. */
  get brokerPool() {
    const metadata = () =>
      withNativeAdmin(async (admin) => {
        const { nodes } = await admin.describeCluster()
        return { brokers: nodes.map(({ nodeId, host, port, rack }) => ({ nodeId, host, port, rack })), topicMetadata: [] }
      })
    return { seedBroker: { metadata } }
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
  return new ShimCluster({ ...options, sasl: harnessSasl(options.sasl), brokers })
}

// KafkaJS's factories take any cluster (a spec may pass undefined in a beforeEach, or {} to a factory that throws
// on its options first) and only fail once the client uses it; so does the shim, with the harness's defaults.
const UNSET_CLUSTER_OPTIONS = { connectionTimeout: 3000, requestTimeout: 30000 }

function clusterOptions(cluster) {
  if (cluster instanceof ShimCluster) return cluster[OPTIONS]
  return { ...UNSET_CLUSTER_OPTIONS, brokers: plainTextBrokers() }
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

module.exports = { KAFKAJS_JAAS_USERS, createCluster, clusterOptions, clusterClientOptions, kafkaFor, definedOnly }
