/** Consumer-specific errors (the shared classes are in src/errors.ts). */
import { KafkaError } from '../errors.js'

/**
 * The partition's log was truncated below what this consumer had fetched (an unclean leader election, KIP-320), and
 * `autoOffsetReset` is 'none', so the consumer will not pick a new position by itself. `seek()` to a position of
 * your choice (`divergentOffset` is where the new leader's log diverges) to continue.
 */
export class LogTruncationError extends KafkaError {
  readonly topic: string
  readonly partition: number
  /** The fetch position the consumer had reached. */
  readonly position: bigint
  /** The first offset that is no longer the same on the new leader. */
  readonly divergentOffset: bigint
  readonly leaderEpoch: number

  constructor(topic: string, partition: number, position: bigint, divergentOffset: bigint, leaderEpoch: number) {
    super(`${topic}-${partition}: the log was truncated to ${divergentOffset} (leader epoch ${leaderEpoch}) below the fetched position ${position}, and autoOffsetReset is 'none'`)
    this.topic = topic
    this.partition = partition
    this.position = position
    this.divergentOffset = divergentOffset
    this.leaderEpoch = leaderEpoch
  }
}

/**
 * A key or value deserializer threw. The record is not handed out and does not count as processed (a commit
 * never passes it); the consumer stays at it, so asking for the next message runs the deserializer on the same
 * record again (a deserializer that failed for a passing reason can succeed). To skip the record, `seek()` to
 * `offset + 1n`. The deserializer's own error is the `cause`.
 */
export class DeserializationError extends KafkaError {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  /** Which part of the record failed to deserialize. */
  readonly field: 'key' | 'value'

  constructor(topic: string, partition: number, offset: bigint, field: 'key' | 'value', cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`${topic}-${partition} offset ${offset}: the ${field} deserializer threw: ${reason}`, { cause })
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.field = field
  }
}
