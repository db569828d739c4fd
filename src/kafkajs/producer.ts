/**
 * KafkaJS's producer over samsa's. KafkaJS chooses `acks`, `compression` and `timeout` per `send`, samsa per
 * producer, so the facade keeps one samsa producer per combination a program actually uses, all on one samsa `Kafka`
 * (one connection pool, one metadata cache); a program that never passes them uses exactly one. Records are placed
 * by the KafkaJS partitioner (exact KafkaJS placement) and handed to samsa with their partition, so samsa batches,
 * retries and orders them. With acks -1, samsa's idempotence is on unless the program turned it off: retries then
 * never duplicate or reorder records, which KafkaJS only promises with `idempotent: true`.
 */
import type { Kafka as SamsaKafka } from '../kafka.js'
import type { CompressionCodec } from '../records/compression.js'
import type { ProducerOptions as SamsaProducerOptions } from '../producer/options.js'
import type { Producer as SamsaProducer } from '../producer/producer.js'
import { COMPRESSION_BY_TYPE, CompressionTypes } from './constants.js'
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNotImplemented, KafkaJSProtocolError, toKafkaJSError } from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './instrumentation.js'
import type { FacadeContext, RetryOptions } from './kafka.js'
import type { Logger } from './logger.js'
import { type ConnectEvent, type DisconnectEvent, networkEvents, type RequestEvent, type RequestQueueSizeEvent, type RequestTimeoutEvent } from './network-events.js'
import { type ICustomPartitioner, type PartitionerArgs, Partitioners } from './partitioners.js'
import {
  checkedTopicMessages,
  placeMessages,
  type ProducerBatch,
  type ProducerRecord,
  type RecordMetadata,
  toRecordMetadata,
  topicInfos,
} from './producer-send.js'
import { TransactionalProducer, type Transaction } from './producer-transaction.js'

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner
  retry?: RetryOptions
  metadataMaxAge?: number
  allowAutoTopicCreation?: boolean
  idempotent?: boolean
  transactionalId?: string
  transactionTimeout?: number
  maxInFlightRequests?: number
}

export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const

export type ProducerEvents = {
  CONNECT: 'producer.connect'
  DISCONNECT: 'producer.disconnect'
  REQUEST: 'producer.network.request'
  REQUEST_TIMEOUT: 'producer.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size'
}

type Status = 'disconnected' | 'connected' | 'disconnecting'

const DEFAULT_TIMEOUT = 30_000

let warnedOfDefaultPartitioner = false

/** KafkaJS 2.x warns once per process that its default placement changed, unless the program silenced it. */
function warnOfDefaultPartitioner(logger: Logger): void {
  if (warnedOfDefaultPartitioner || process.env.KAFKAJS_NO_PARTITIONER_WARNING != null) return
  warnedOfDefaultPartitioner = true
  logger.warn(
    'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner". See the migration guide at https://kafka.js.org/docs/migration-guide-v2.0.0#producer-new-default-partitioner for details. Silence this warning by setting the environment variable "KAFKAJS_NO_PARTITIONER_WARNING=1"',
  )
}

/** How long a send may wait for a topic's metadata: about as long as KafkaJS's retries of it would take. */
function metadataWaitMs(retry: RetryOptions): number {
  const retries = retry.retries ?? 5
  let wait = retry.initialRetryTime ?? 300
  let total = 0
  for (let i = 0; i < retries; i++) {
    total += wait
    wait = Math.min(wait * (retry.multiplier ?? 2), retry.maxRetryTime ?? 30_000)
  }
  return Math.max(total, 5_000)
}

export class Producer {
  readonly events: ProducerEvents = PRODUCER_EVENTS
  readonly #context: FacadeContext
  readonly #config: ProducerConfig
  readonly #logger: Logger
  readonly #emitter = new InstrumentationEmitter(PRODUCER_EVENTS, 'producer')
  readonly #partition: (args: PartitionerArgs) => number
  readonly #retry: RetryOptions
  readonly #metadataWaitMs: number
  #status: Status = 'disconnected'
  #kafka: SamsaKafka | null = null
  /** The samsa producer for acks -1, no compression, default timeout: every send of most programs. */
  #common: SamsaProducer | null = null
  readonly #others = new Map<string, SamsaProducer>()
  #transactional: TransactionalProducer | null = null

  constructor(context: FacadeContext, config: ProducerConfig) {
    this.#context = context
    this.#config = config
    this.#logger = context.logger.namespace('Producer')
    this.#retry = context.retry(config.retry)
    if (config.idempotent && config.retry?.retries !== undefined && config.retry.retries < 1) {
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors')
    }
    if (config.createPartitioner == null) warnOfDefaultPartitioner(context.logger)
    this.#partition = (config.createPartitioner ?? Partitioners.DefaultPartitioner)()
    this.#metadataWaitMs = metadataWaitMs(this.#retry)
  }

  async connect(): Promise<void> {
    if (this.#status === 'connected') return
    const requestObserver = networkEvents(this.#emitter, PRODUCER_EVENTS, this.#context.clientId)
    const kafka = await this.#context.connect(this.#config.retry, {
      metadataMaxAgeMs: this.#config.metadataMaxAge,
      allowAutoTopicCreation: this.#config.allowAutoTopicCreation ?? true,
      requestObserver,
      // KafkaJS's limit is its connections' (every request counts, and the excess waits in a reported queue).
      maxInFlightRequests: this.#config.maxInFlightRequests ?? undefined,
    })
    try {
      // KafkaJS's connect reaches the cluster; a program expects unreachable brokers to fail it, not its first send.
      await kafka.cluster.withBudget({ timeoutMs: this.#metadataWaitMs }, (budget) => budget.run(() => kafka.cluster.refreshMetadata([], { signal: budget.signal })))
    } catch (error) {
      await kafka.close()
      throw toKafkaJSError(error)
    }
    this.#kafka = kafka
    this.#status = 'connected'
    this.#emitter.emit(PRODUCER_EVENTS.CONNECT, null)
  }

  async disconnect(): Promise<void> {
    const kafka = this.#kafka
    if (kafka === null) return
    this.#status = 'disconnecting'
    const producers = [...this.#others.values()]
    if (this.#common) producers.push(this.#common)
    if (this.#transactional) producers.push(this.#transactional.native)
    this.#common = null
    this.#others.clear()
    this.#transactional = null
    try {
      await Promise.all(producers.map((producer) => producer.close()))
    } finally {
      await kafka.close()
      this.#kafka = null
      this.#status = 'disconnected'
      this.#emitter.emit(PRODUCER_EVENTS.DISCONNECT, null)
    }
  }

  isIdempotent(): boolean {
    return this.#config.idempotent === true
  }

  on(eventName: ProducerEvents['CONNECT'], listener: (event: ConnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: ProducerEvents['DISCONNECT'], listener: (event: DisconnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: ProducerEvents['REQUEST'], listener: (event: RequestEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: ProducerEvents['REQUEST_QUEUE_SIZE'], listener: (event: RequestQueueSizeEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: ProducerEvents['REQUEST_TIMEOUT'], listener: (event: RequestTimeoutEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: ProducerEvents[keyof ProducerEvents], listener: (event: InstrumentationEvent<unknown>) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: string, listener: (event: never) => void): RemoveInstrumentationEventListener<string> {
    return this.#emitter.on(eventName, listener)
  }

  logger(): Logger {
    return this.#logger
  }

  send({ topic, messages, acks, timeout, compression }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })
  }

  async sendBatch({ acks = -1, timeout, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    const checked = checkedTopicMessages(topicMessages, acks, this.#config.idempotent === true)
    this.#checkConnected()
    return this.#send(checked, acks, this.#producerFor(acks, compression, timeout))
  }

  transaction(): Promise<Transaction> {
    if (!this.#config.transactionalId) {
      return Promise.reject(new KafkaJSNonRetriableError('Must provide transactional id for transactional producer'))
    }
    this.#transactional ??= new TransactionalProducer({
      native: () => this.#native({ acks: 'all', idempotent: true, transactionalId: this.#config.transactionalId, transactionTimeoutMs: this.#config.transactionTimeout }),
      checkConnected: () => this.#checkConnected(),
      send: async (topicMessages, acks, compression, native) => {
        const checked = checkedTopicMessages(topicMessages, acks, true)
        this.#checkConnected()
        if (compression !== undefined && compression !== CompressionTypes.None) this.#warnTransactionCompression()
        return this.#send(checked, acks, native)
      },
    })
    return this.#transactional.begin()
  }

  #warnedOfTransactionCompression = false

  #warnTransactionCompression(): void {
    if (this.#warnedOfTransactionCompression) return
    this.#warnedOfTransactionCompression = true
    this.#logger.warn("Compression inside a transaction is not supported by samsa/kafkajs: the transaction's records are sent uncompressed")
  }

  #checkConnected(): void {
    if (this.#status === 'disconnecting') {
      throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore")
    }
    if (this.#status === 'disconnected') throw new KafkaJSError('The producer is disconnected')
  }

  async #send(topicMessages: Parameters<typeof checkedTopicMessages>[0], acks: number, producer: SamsaProducer): Promise<RecordMetadata[]> {
    const cluster = this.#kafka!.cluster
    try {
      const infos = await topicInfos(cluster, topicMessages, this.#metadataWaitMs)
      const records = placeMessages(topicMessages, infos, this.#partition, Date.now())
      const results = await producer.sendBatch(records)
      return acks === 0 ? [] : toRecordMetadata(records, results)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  #producerFor(acks: number, compression: CompressionTypes | undefined, timeout: number | undefined): SamsaProducer {
    if (acks === -1 && (compression === undefined || compression === CompressionTypes.None) && (timeout === undefined || timeout === DEFAULT_TIMEOUT)) {
      return (this.#common ??= this.#native({ acks: 'all' }))
    }
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      throw new KafkaJSProtocolError({ message: 'Produce request specified an invalid value for required acks', type: 'INVALID_REQUIRED_ACKS', code: 21, retriable: false })
    }
    const codec: CompressionCodec | undefined = COMPRESSION_BY_TYPE[compression ?? CompressionTypes.None]
    if (codec === undefined) throw new KafkaJSNotImplemented(`Compression type ${String(compression)} is not supported`)
    const key = `${acks}:${codec}:${timeout ?? DEFAULT_TIMEOUT}`
    let producer = this.#others.get(key)
    if (producer === undefined) {
      producer = this.#native({ acks: acks === -1 ? 'all' : acks, compression: codec, requestTimeoutMs: timeout })
      this.#others.set(key, producer)
    }
    return producer
  }

  /**
   * A samsa producer on this client's `Kafka`. KafkaJS sends a call's records at once, so nothing lingers; and it
   * puts all of a call's records for one partition in one batch, so batches are larger than samsa's default (a
   * large send then goes out in a few requests rather than many).
   */
  #native(options: SamsaProducerOptions): SamsaProducer {
    const timeout = options.requestTimeoutMs ?? DEFAULT_TIMEOUT
    try {
      return this.#kafka!.producer({
        lingerMs: 0,
        batchSize: 65_536,
        requestTimeoutMs: timeout,
        deliveryTimeoutMs: Math.max(120_000, timeout),
        ...(this.#config.idempotent === undefined ? {} : { idempotent: this.#config.idempotent }),
        ...(this.#config.maxInFlightRequests == null ? {} : { maxInFlightRequestsPerConnection: this.#config.maxInFlightRequests }),
        ...options,
      })
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
}

export type { Transaction } from './producer-transaction.js'
