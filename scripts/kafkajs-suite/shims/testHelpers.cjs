'use strict'
/**
 * Our stand-in for KafkaJS's testHelpers, pointed at the samsa harness broker run.mjs describes in the environment
 * (KAFKA_BROKERS, KAFKA_SSL_BROKERS, KAFKA_SASL_SSL_BROKERS, KAFKA_SSL_CA_FILE, SUITE_SASL_USERNAME/PASSWORD).
 *
 * KafkaJS's specs expect three brokers per listener kind on fixed ports; the harness gives one node with all four
 * listener kinds (or three PLAINTEXT nodes with --cluster three), so a "broker list" here is whatever the harness has.
 * Topic setup goes through samsa's native admin so that a facade-admin bug does not fail producer or consumer specs.
 */
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { kafkajsRoot } = require('./facade.cjs')
const { plainTextBrokers, withNativeAdmin, throwItemErrors } = require('./native.cjs')
const { createCluster } = require('./cluster.cjs')
const { newLogger } = require('./logger.cjs')
const { ShimLimitationError } = require('./limitation.cjs')

// KafkaJS's own dependency-free polling helper, from its extracted tree (its KafkaJSTimeout resolves to the facade's).
const kafkajsWaitFor = require(path.join(kafkajsRoot, 'src/utils/waitFor'))

const list = (variable) => (process.env[variable] || '').split(',').filter(Boolean)
const sslBrokers = () => list('KAFKA_SSL_BROKERS')
const saslBrokers = () => list('KAFKA_SASL_SSL_BROKERS')
const saslUser = { username: process.env.SUITE_SASL_USERNAME, password: process.env.SUITE_SASL_PASSWORD }

const secureRandom = (length = 10) => `${crypto.randomBytes(length).toString('hex')}-${process.pid}-${crypto.randomUUID()}`

const connectionOpts = (opts = {}) => ({
  clientId: `test-${secureRandom()}`,
  connectionTimeout: 3000,
  requestTimeout: 30000,
  logger: newLogger(),
  ...opts,
})

const sslConnectionOpts = () => ({
  ...connectionOpts(),
  ssl: {
    servername: 'localhost',
    rejectUnauthorized: false,
    ca: process.env.KAFKA_SSL_CA_FILE ? [fs.readFileSync(process.env.KAFKA_SSL_CA_FILE, 'utf-8')] : undefined,
  },
})

const withSasl = (sasl) => () => ({ ...sslConnectionOpts(), sasl })
const saslConnectionOpts = withSasl({ mechanism: 'plain', ...saslUser })
const saslSCRAM256ConnectionOpts = withSasl({ mechanism: 'scram-sha-256', ...saslUser })
const saslSCRAM512ConnectionOpts = withSasl({ mechanism: 'scram-sha-512', ...saslUser })
const wrongUser = { username: 'wrong', password: 'wrong' }

// Kafka's default OAUTHBEARER validator accepts unsigned tokens; `sub` names the principal.
function unsecuredJwt(subject) {
  const encode = (object) => Buffer.from(JSON.stringify(object)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return `${encode({ alg: 'none' })}.${encode({ sub: subject, iat: now, exp: now + 3600 })}.`
}
const saslOAuthBearerConnectionOpts = withSasl({
  mechanism: 'oauthbearer',
  oauthBearerProvider: async () => ({ value: unsecuredJwt(saslUser.username) }),
})

// KafkaJS runs OAUTHBEARER in a separate broker setup; the harness listener takes all four mechanisms at once.
const saslEntries = [
  { name: 'PLAIN', opts: saslConnectionOpts, wrongOpts: withSasl({ mechanism: 'plain', ...wrongUser }), expectedErr: /SASL PLAIN authentication failed/ },
  { name: 'SCRAM 256', opts: saslSCRAM256ConnectionOpts, wrongOpts: withSasl({ mechanism: 'scram-sha-256', ...wrongUser }), expectedErr: /SASL SCRAM SHA256 authentication failed/ },
  { name: 'SCRAM 512', opts: saslSCRAM512ConnectionOpts, wrongOpts: withSasl({ mechanism: 'scram-sha-512', ...wrongUser }), expectedErr: /SASL SCRAM SHA512 authentication failed/ },
  { name: 'OAUTHBEARER', opts: saslOAuthBearerConnectionOpts },
]

const createModPartitioner = () => ({ partitionMetadata, message }) => {
  const digits = parseInt(String(message.key).replace(/[^\d]/g, ''), 10)
  return ((digits || 0) % 3) % partitionMetadata.length
}

const waitFor = (fn, opts = {}) => kafkajsWaitFor(fn, { ignoreTimeout: true, ...opts })

const retryProtocol = (errorType, fn) =>
  waitFor(async () => {
    try {
      return await fn()
    } catch (error) {
      if (error.type !== errorType) throw error
      return false
    }
  })

const waitForMessages = (buffer, { number = 1, delay = 50 } = {}) => waitFor(() => (buffer.length >= number ? buffer : false), { delay })

function waitForEvent(consumer, eventName, maxWait, onTimeout) {
  return new Promise((resolve, reject) => {
    const removers = []
    const settle = (fn) => (value) => {
      clearTimeout(timer)
      removers.forEach((remove) => remove())
      fn(value)
    }
    const timer = setTimeout(() => onTimeout(settle(reject)), maxWait)
    removers.push(consumer.on(eventName, settle(resolve)))
    removers.push(consumer.on(consumer.events.CRASH, (event) => settle(reject)(event.payload.error)))
  })
}

const waitForNextEvent = (consumer, eventName, { maxWait = 10000 } = {}) =>
  waitForEvent(consumer, eventName, maxWait, (reject) => reject(new Error(`Timeout waiting for '${eventName}'`)))

const waitForConsumerToJoinGroup = (consumer, { maxWait = 10000, label = '' } = {}) =>
  waitForEvent(consumer, consumer.events.GROUP_JOIN, maxWait, (reject) =>
    consumer.disconnect().then(() => reject(new Error(`Timeout ${label}`.trim())), reject),
  )

const createTopic = ({ topic, partitions = 1, replicas = 1, config = [] }) =>
  withNativeAdmin(async (admin) => {
    const configs = Object.fromEntries(config.map(({ name, value }) => [name, value]))
    throwItemErrors(await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: replicas, configs }]), ['TOPIC_ALREADY_EXISTS'])
  })

const addPartitions = ({ topic, partitions }) =>
  withNativeAdmin(async (admin) => throwItemErrors(await admin.createPartitions([{ name: topic, count: partitions }])))

const kafkaVersionAtLeast = (wanted) => {
  const [major, minor] = (process.env.KAFKA_VERSION || '0.0').split('.').map(Number)
  const [wantedMajor, wantedMinor] = wanted.split('.').map(Number)
  return major > wantedMajor || (major === wantedMajor && minor >= wantedMinor)
}
const testIf = (condition) => {
  const scoped = (description, callback, testFn = test) => (condition() ? testFn(description, callback) : test.skip(description, callback))
  scoped.only = (description, callback) => scoped(description, callback, test.only)
  return scoped
}

const flakyTest = (description, callback, testFn = test) => testFn(`[flaky] ${description}`, callback)
flakyTest.skip = (description, callback) => flakyTest(description, callback, test.skip)
flakyTest.only = (description, callback) => flakyTest(description, callback, test.only)

const describeIf = (condition) => (description, callback, describeFn = describe) =>
  condition ? describeFn(description, callback) : describe.skip(description, callback)

const generateMessages = ({ prefix, number = 100 } = {}) => {
  const tag = prefix ? `-${prefix}` : ''
  return Array.from({ length: number }, (_, i) => {
    const value = secureRandom()
    return { key: `key${tag}-${i}-${value}`, value: `value${tag}-${i}-${value}` }
  })
}

const internal = (name) => () => {
  throw new ShimLimitationError(`testHelpers.${name}()`)
}

module.exports = {
  secureRandom,
  connectionOpts,
  sslConnectionOpts,
  saslConnectionOpts,
  saslSCRAM256ConnectionOpts,
  saslSCRAM512ConnectionOpts,
  saslOAuthBearerConnectionOpts,
  saslEntries,
  createConnectionPool: internal('createConnectionPool'),
  createConnectionBuilder: internal('createConnectionBuilder'),
  createCluster: (opts = {}, brokers = plainTextBrokers()) => createCluster({ ...connectionOpts(), ...opts }, brokers),
  createModPartitioner,
  plainTextBrokers,
  sslBrokers,
  saslBrokers,
  newLogger,
  retryProtocol,
  createTopic,
  waitFor,
  waitForMessages,
  waitForNextEvent,
  waitForConsumerToJoinGroup,
  testIfKafkaAtMost_0_10: testIf(() => !kafkaVersionAtLeast('0.11')),
  testIfKafkaAtLeast_0_11: testIf(() => kafkaVersionAtLeast('0.11')),
  testIfKafkaAtLeast_1_1_0: testIf(() => kafkaVersionAtLeast('1.1')),
  flakyTest,
  // Both run: the harness listener serves OAUTHBEARER beside the other mechanisms.
  describeIfOauthbearerEnabled: describeIf(true),
  describeIfOauthbearerDisabled: describeIf(true),
  addPartitions,
  unsupportedVersionResponse: internal('unsupportedVersionResponse'),
  unsupportedVersionResponseWithTimeout: internal('unsupportedVersionResponseWithTimeout'),
  generateMessages,
}
