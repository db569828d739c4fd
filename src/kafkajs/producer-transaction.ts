/**
 * KafkaJS's transactions over samsa's: `producer.transaction()` initialises the transactional id once (fencing older
 * producers with it), begins a transaction and returns KafkaJS's `Transaction`. Only records sent through that
 * object are in the transaction (the producer's own `send` stays outside it, as in KafkaJS), one transaction is
 * active at a time, and an ended transaction refuses every call.
 */
import type { Producer as SamsaProducer } from '../producer/producer.js'
import type { CompressionTypes } from './constants.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import type { ProducerBatch, ProducerRecord, RecordMetadata, TopicMessages } from './producer-send.js'
import type { Offsets, PartitionOffset, TopicOffsets } from './shared-types.js'
export type { Offsets, PartitionOffset, TopicOffsets } from './shared-types.js'

export type Transaction = {
  send(record: ProducerRecord): Promise<RecordMetadata[]>
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>
  sendOffsets(offsets: Offsets & { consumerGroupId: string }): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
  isActive(): boolean
}

/** What the producer lends its transactions. */
export interface TransactionHost {
  /** A new samsa producer with the transactional id, on the producer's connection. */
  native(): SamsaProducer
  checkConnected(): void
  send(topicMessages: TopicMessages[], acks: number, compression: CompressionTypes | undefined, native: SamsaProducer): Promise<RecordMetadata[]>
}

export class TransactionalProducer {
  readonly #host: TransactionHost
  #native: SamsaProducer | null = null
  #initialized: Promise<void> | null = null
  #inTransaction = false

  constructor(host: TransactionHost) {
    this.#host = host
  }

  /** The samsa producer, once created (closed with the facade producer). */
  get native(): SamsaProducer {
    return (this.#native ??= this.#host.native())
  }

  async begin(): Promise<Transaction> {
    if (this.#inTransaction) {
      throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.')
    }
    this.#host.checkConnected()
    const native = this.native
    try {
      // Once per producer: a failed attempt is tried again by the next transaction().
      this.#initialized ??= native.initTransactions().catch((error: unknown) => {
        this.#initialized = null
        throw error
      })
      await this.#initialized
      // Checked again: a concurrent transaction() may have begun while this one waited for the initialisation.
      if (this.#inTransaction) {
        throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.')
      }
      native.beginTransaction()
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.#inTransaction = true
    return this.#transaction(native)
  }

  #transaction(native: SamsaProducer): Transaction {
    let ended = false
    const isActive = (): boolean => this.#inTransaction && !ended
    const guard = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => (isActive() ? call(...args) : Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')))
    const end = async (how: () => Promise<void>): Promise<void> => {
      try {
        await how()
      } catch (error) {
        throw toKafkaJSError(error)
      }
      ended = true
      this.#inTransaction = false
    }
    return {
      send: guard(({ topic, messages, acks = -1, compression }: ProducerRecord) => this.#host.send([{ topic, messages }], acks, compression, native)),
      sendBatch: guard(({ topicMessages = [], acks = -1, compression }: ProducerBatch) => this.#host.send(topicMessages, acks, compression, native)),
      sendOffsets: guard(async ({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }) => {
        // Number(): a consumer's uncommittedOffsets() names partitions as strings at runtime, as KafkaJS's does.
        const offsets = topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition: Number(partition), offset: BigInt(offset) })))
        try {
          await native.sendOffsetsToTransaction(offsets, { groupId: consumerGroupId })
        } catch (error) {
          throw toKafkaJSError(error)
        }
      }),
      commit: guard(() => end(() => native.commitTransaction())),
      abort: guard(() => end(() => native.abortTransaction())),
      isActive,
    }
  }
}
