/**
 * The admin's partition-offset methods: watermarks, offsets by timestamp and record deletion, in KafkaJS's
 * string offsets.
 */
import type { Admin as NativeAdmin } from '../admin/admin.js'
import type { OffsetSpec } from '../admin/offsets.js'
import type { SeekEntry } from './admin-types.js'
import * as validate from './admin-validate.js'
import { KafkaJSBrokerNotFound, KafkaJSDeleteTopicRecordsError, KafkaJSNonRetriableError, toKafkaJSError, type KafkaJSError } from './errors.js'
import type { Logger } from './logger.js'

export type NativeCall = <T>(fn: (admin: NativeAdmin) => Promise<T>) => Promise<T>

export class OffsetOperations {
  readonly #call: NativeCall
  readonly #logger: Logger

  constructor(call: NativeCall, logger: Logger) {
    this.#call = call
    this.#logger = logger
  }

  /** The topic's partition ids, ascending; the topic's error (UNKNOWN_TOPIC_OR_PARTITION…) when it has one. */
  async partitionsOf(topic: string): Promise<number[]> {
    const [described] = await this.#call((admin) => admin.describeTopics([topic]))
    if (!described) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
    if (described.error) throw toKafkaJSError(described.error)
    return described.partitions.map((p) => p.partition).sort((a, b) => a - b)
  }

  /** Offsets of every partition of `topic` at one spec, by partition. */
  async #offsetsAt(topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, bigint>> {
    const listed = await this.#call((admin) => admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec }))))
    const offsets = new Map<number, bigint>()
    for (const result of listed) {
      if (result.error) throw toKafkaJSError(result.error)
      offsets.set(result.partition, result.offset)
    }
    return offsets
  }

  async fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    validate.validateTopic(topic)
    const partitions = await this.partitionsOf(topic)
    const [high, low] = await Promise.all([this.#offsetsAt(topic, partitions, 'latest'), this.#offsetsAt(topic, partitions, 'earliest')])
    return partitions.map((partition) => {
      const offset = String(high.get(partition))
      return { partition, offset, high: offset, low: String(low.get(partition)) }
    })
  }

  /** The first offset at or after `timestamp`, or the high watermark when no record is that recent (or no timestamp is given). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    validate.validateTopic(topic)
    const partitions = await this.partitionsOf(topic)
    const high = await this.#offsetsAt(topic, partitions, 'latest')
    const atTimestamp = timestamp === undefined ? high : await this.#offsetsAt(topic, partitions, { timestamp })
    return partitions.map((partition) => {
      const offset = atTimestamp.get(partition)!
      return { partition, offset: String(offset >= 0n ? offset : high.get(partition)) }
    })
  }

  /**
   * Deletes records before each offset (-1: up to the high watermark). Partitions the topic does not have fail
   * together in one KafkaJSDeleteTopicRecordsError before anything is sent, as in KafkaJS; partitions the broker
   * refuses fail together in one too, the cause of a KafkaJSNonRetriableError when a refusal is not retriable.
   */
  async deleteTopicRecords({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${String(topic)}"`)
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions')
    const existing = new Set(await this.partitionsOf(topic))
    const missing = partitions.filter(({ partition }) => !existing.has(partition))
    if (missing.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({
        topic,
        partitions: missing.map(({ partition, offset }) => ({
          partition,
          offset,
          error: new KafkaJSBrokerNotFound('Could not find the leader for the partition', { retriable: false }),
        })),
      })
    }
    const low = await this.#offsetsAt(
      topic,
      partitions.map((p) => p.partition),
      'earliest',
    )
    for (const { partition, offset } of partitions) {
      if (BigInt(offset) < low.get(partition)! && BigInt(offset) !== -1n) {
        this.#logger.warn(
          'The requested offset is before the earliest offset maintained on the partition - no records will be deleted from this partition',
          { topic, partition, offset },
        )
      }
    }
    const results = await this.#call((admin) => admin.deleteRecords(partitions.map(({ partition, offset }) => ({ topic, partition, offset: BigInt(offset) }))))
    const offsetOf = new Map(partitions.map(({ partition, offset }) => [partition, offset]))
    const failed = results.flatMap(({ partition, error }) =>
      error ? [{ partition, offset: offsetOf.get(partition)!, error: toKafkaJSError(error) as KafkaJSError }] : [],
    )
    if (failed.length === 0) return
    const error = new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed })
    // KafkaJS sends DeleteRecords inside its retrier, which hands a non-retriable failure on wrapped in a
    // KafkaJSNonRetriableError (the partitions stay on its cause). Retriable ones were already retried below.
    throw error.retriable ? error : new KafkaJSNonRetriableError(error, { cause: error })
  }
}
