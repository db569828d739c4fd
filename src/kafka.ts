/**
 * The entry object: `new Kafka(config)` holds the connection pool and metadata cache that every client created
 * from it shares. Connections close when the last client closes (or with `kafka.close()`), so a program that
 * closes its clients exits without further calls.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { KafkaError } from './errors.js'
import { Cluster } from './network/cluster.js'
import type { Clock } from './network/clock.js'
import { type RequestObserver } from './network/instrumentation.js'
import { type ClientLogger, type Logger, type LogLevel, resolveLogger } from './network/logging.js'
import type { RetryOptions } from './network/policy.js'
import { optionNames, warnUnknownOptions } from './network/option-names.js'
import { type SaslConfig, saslMechanismFrom } from './network/sasl/index.js'
import type { ProducerOptions } from './producer/options.js'
import { Producer } from './producer/producer.js'
import type { SerializerInput, SerializerOption } from './producer/serializers.js'
import { Consumer } from './consumer/consumer.js'
import type { ConsumerKey, ConsumerOptions, ConsumerValue } from './consumer/types.js'
import { Admin, type AdminOptions } from './admin/admin.js'
import { ShareConsumer, type ShareConsumerKey, type ShareConsumerOptions, type ShareConsumerValue } from './consumer/share-consumer.js'

export interface KafkaConfig {
  /** Bootstrap servers: `['host:port', …]` or a comma-separated string. */
  brokers: string[] | string
  clientId?: string
  /** `true` for TLS with the system CAs; or node:tls options (`ca`, `cert`, `key`, `servername`…). Certificates are verified unless `rejectUnauthorized: false`. */
  ssl?: boolean | TlsConnectionOptions
  sasl?: SaslConfig
  /** How long a TCP connect plus TLS handshake may take. Default 10 000. */
  connectTimeoutMs?: number
  /** How long any single request may wait for its response (ApiVersions, SASL and Metadata included). Default 30 000. */
  requestTimeoutMs?: number
  /**
   * How long an admin call, or a consumer call that talks to the cluster (`committed`, `position`, `commit`,
   * `offsetsForTimes` …), may take in all, retries included, unless the call names its own `timeoutMs`. Default
   * 60 000 (Java's default.api.timeout.ms).
   */
  defaultApiTimeoutMs?: number
  /**
   * Retries of retriable errors, per call: a failing call makes at most `retries + 1` attempts, waiting an
   * exponential backoff with jitter between them (KIP-580), and never outlives its deadline. Default
   * `{ retries: 5, initialBackoffMs: 100, maxBackoffMs: 1000 }`.
   */
  retry?: Partial<RetryOptions>
  /** Default 300 000 (Java's metadata.max.age.ms). */
  metadataMaxAgeMs?: number
  /** Metadata requests ask the broker to create topics that do not exist (Java's allow.auto.create.topics). Default false. */
  allowAutoTopicCreation?: boolean
  /**
   * Told of every request this client's connections write and of their queues of unwritten requests: per-client
   * observation, where the `samsa:request:*` channels are process-wide. Default none (nothing extra per request).
   */
  requestObserver?: RequestObserver
  /**
   * Requests written but not yet answered on one connection, at most; further requests wait in the client (and
   * `requestObserver` hears of that queue). Default 100. KafkaJS's per-client `maxInFlightRequests`.
   */
  maxInFlightRequests?: number
  /** Default 540 000 (Java's connections.max.idle.ms). */
  connectionsMaxIdleMs?: number
  /** Reconnect backoff start and cap. Defaults 50 and 1000 (Java's reconnect.backoff.ms / .max.ms). */
  reconnectBackoffMs?: number
  reconnectBackoffMaxMs?: number
  /** Use API versions the broker marks unstable. Testing only. Default false. */
  allowUnstableApiVersions?: boolean
  /** A pino-compatible logger, or `false` for silence. Default: one line per entry on stderr. */
  logger?: Logger | false
  /**
   * The least severe level logged: 'error', 'warn', 'info', 'debug', 'trace' (every request and response) or
   * 'silent'. Default 'warn' for the built-in stderr logger; everything for a logger you pass (its level applies).
   */
  logLevel?: LogLevel
  /**
   * The time the clients read and schedule their timers with (linger, delivery and call deadlines, backoff, poll
   * interval, heartbeats, metadata age). Default: real time. Tests pass a `ManualClock` to run those timers in
   * virtual time; socket-level timeouts stay on real time.
   */
  clock?: Clock
}

/** What a client created by `Kafka` receives: the shared cluster plus a way to say it is done with it. */
export interface ClientContext {
  cluster: Cluster
  clientId: string
  /** Bound to the client id; each client adds its own bindings (client kind, group, transactional id). */
  logger: Logger
  clock: Clock
  /** Call once when the client closes. */
  release(): void
}

const KAFKA_CONFIG_NAMES = optionNames<KafkaConfig>()([
  'brokers', 'clientId', 'ssl', 'sasl', 'connectTimeoutMs', 'requestTimeoutMs', 'defaultApiTimeoutMs', 'retry', 'metadataMaxAgeMs',
  'allowAutoTopicCreation', 'requestObserver', 'maxInFlightRequests', 'connectionsMaxIdleMs', 'reconnectBackoffMs', 'reconnectBackoffMaxMs',
  'allowUnstableApiVersions', 'logger', 'logLevel', 'clock',
])
const PRODUCER_OPTION_NAMES = optionNames<ProducerOptions>()([
  'acks', 'lingerMs', 'batchSize', 'bufferMemory', 'maxBlockMs', 'compression', 'compressionLevel', 'idempotent',
  'maxInFlightRequestsPerConnection', 'deliveryTimeoutMs', 'requestTimeoutMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'maxRequestSize',
  'partitioner', 'partitionerAdaptivePartitioningEnable', 'partitionerAvailabilityTimeoutMs', 'partitionerIgnoreKeys', 'transactionalId',
  'transactionTimeoutMs', 'asyncCompressionMinBytes', 'enableMetricsPush', 'keySerializer', 'valueSerializer',
])
const CONSUMER_OPTION_NAMES = optionNames<ConsumerOptions>()([
  'groupId', 'groupProtocol', 'groupInstanceId', 'groupRemoteAssignor', 'partitionAssignmentStrategy', 'sessionTimeoutMs',
  'heartbeatIntervalMs', 'maxPollIntervalMs', 'enableAutoCommit', 'autoCommitIntervalMs', 'autoOffsetReset', 'isolationLevel',
  'fetchMinBytes', 'fetchMaxBytes', 'fetchMaxWaitMs', 'maxPartitionFetchBytes', 'clientRack', 'checkCrcs', 'maxPollRecords',
  'closeTimeoutMs', 'enableMetricsPush', 'defaultApiTimeoutMs', 'keyDeserializer', 'valueDeserializer',
])
const SHARE_CONSUMER_OPTION_NAMES = optionNames<ShareConsumerOptions>()([
  'groupId', 'acknowledgementMode', 'maxPollRecords', 'shareAcquireMode', 'fetchMaxWaitMs', 'fetchMinBytes', 'fetchMaxBytes',
  'clientRack', 'checkCrcs', 'keyDeserializer', 'valueDeserializer', 'enableMetricsPush',
])
const ADMIN_OPTION_NAMES = optionNames<AdminOptions>()(['defaultTimeoutMs', 'enableMetricsPush'])

export class Kafka {
  readonly cluster: Cluster
  readonly clientId: string
  readonly logger: ClientLogger
  #openClients = 0

  constructor(config: KafkaConfig) {
    const brokers = typeof config.brokers === 'string' ? config.brokers.split(',') : config.brokers
    if (!brokers || brokers.filter((b) => b.trim()).length === 0) throw new KafkaError('Kafka: `brokers` is empty')
    this.clientId = config.clientId ?? 'samsa'
    this.logger = resolveLogger(config.logger, config.logLevel).child({ clientId: this.clientId })
    warnUnknownOptions(this.logger, 'Kafka', config, KAFKA_CONFIG_NAMES)
    this.cluster = new Cluster({
      brokers: brokers.map((b) => b.trim()).filter(Boolean),
      clientId: this.clientId,
      tls: config.ssl ?? null,
      sasl: config.sasl ? saslMechanismFrom(config.sasl) : null,
      connectTimeoutMs: config.connectTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      retry: config.retry,
      defaultApiTimeoutMs: config.defaultApiTimeoutMs,
      metadataMaxAgeMs: config.metadataMaxAgeMs,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      requestObserver: config.requestObserver,
      maxInFlightRequests: config.maxInFlightRequests,
      connectionsMaxIdleMs: config.connectionsMaxIdleMs,
      reconnectBackoffMs: config.reconnectBackoffMs,
      reconnectBackoffMaxMs: config.reconnectBackoffMaxMs,
      allowUnstableVersions: config.allowUnstableApiVersions,
      logger: this.logger,
      clock: config.clock,
    })
  }

  /** For clients: registers one more user of the shared cluster. */
  context(): ClientContext {
    this.#openClients++
    let released = false
    return {
      cluster: this.cluster,
      clientId: this.clientId,
      logger: this.logger,
      clock: this.cluster.clock,
      release: () => {
        if (released) return
        released = true
        if (--this.#openClients === 0) this.cluster.pool.closeAll()
      },
    }
  }

  admin(options: AdminOptions = {}): Admin {
    warnUnknownOptions(this.logger, 'admin', options, ADMIN_OPTION_NAMES)
    return new Admin(this.context(), options)
  }

  /**
   * A share-group consumer (KIP-932, queues): members of the group share partitions and acknowledge records one by
   * one. What messages' key and value hold follows from `keyDeserializer` / `valueDeserializer`.
   */
  shareConsumer<O extends ShareConsumerOptions>(options: O): ShareConsumer<ShareConsumerKey<O>, ShareConsumerValue<O>> {
    warnUnknownOptions(this.logger, 'shareConsumer', options, SHARE_CONSUMER_OPTION_NAMES)
    return new ShareConsumer<ShareConsumerKey<O>, ShareConsumerValue<O>>(this.context(), options)
  }

  /** `K` and `V`, the key and value types `send` accepts, follow from `keySerializer` / `valueSerializer`. */
  producer<KS extends SerializerOption | undefined, VS extends SerializerOption | undefined>(
    options: ProducerOptions & { keySerializer?: KS; valueSerializer?: VS } = {},
  ): Producer<SerializerInput<KS>, SerializerInput<VS>> {
    warnUnknownOptions(this.logger, 'producer', options, PRODUCER_OPTION_NAMES)
    return new Producer<SerializerInput<KS>, SerializerInput<VS>>(this.context(), options)
  }

  /**
   * What messages' key and value hold follows from `keyDeserializer` / `valueDeserializer` (`Buffer | null` without).
   * Two signatures because a defaulted type parameter would stop an inline deserializer's parameters being typed.
   */
  consumer(): Consumer
  consumer<O extends ConsumerOptions>(options: O): Consumer<ConsumerKey<O>, ConsumerValue<O>>
  consumer(options: ConsumerOptions = {}): Consumer<unknown, unknown> {
    warnUnknownOptions(this.logger, 'consumer', options, CONSUMER_OPTION_NAMES)
    return new Consumer<unknown, unknown>(this.context(), options)
  }

  /** Closes every connection. Clients still open fail their pending work with a connection error. */
  async close(): Promise<void> {
    this.cluster.close()
  }

  /** `await using kafka = new Kafka(config)`: closes every connection (as `close()`) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
