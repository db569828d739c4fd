/** The consumer's public types: options (Java consumer config names, camelCased), messages, batches, events. */
import type { Header } from '../records/types.js'

export type GroupProtocol = 'consumer' | 'classic'
import type { ProtocolAssignor } from './assignors.js'

export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky'
/** `earliest`, `latest`, `none` (throw when there is no committed offset) or `by_duration:<ISO-8601 duration>` (KIP-1106). */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none' | `by_duration:${string}`
export type IsolationLevel = 'read_uncommitted' | 'read_committed'

export interface TopicPartition {
  topic: string
  partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint
  /** Leader epoch of the record before `offset` (KIP-320); -1 when unknown. */
  leaderEpoch?: number
  metadata?: string | null
}

export interface ConsumerOptions {
  /** Consumer group. Without it only `assign()` works and nothing is committed. */
  groupId?: string
  /** `consumer` (KIP-848, default on brokers that support it) or `classic`. Default `consumer`, falling back to classic. */
  groupProtocol?: GroupProtocol
  /** Static membership (KIP-345): a stable id per process instance; the member keeps its partitions across restarts. */
  groupInstanceId?: string
  /** KIP-848 server-side assignor (`uniform` or `range`); default: the broker's default. */
  groupRemoteAssignor?: string
  /** Classic protocol assignors, in preference order. Default `['range', 'cooperative-sticky']`, as Java's. */
  partitionAssignmentStrategy?: Array<AssignorName | ProtocolAssignor>
  /** Classic: the coordinator drops a member it has not heard from for this long. Default 45 000. */
  sessionTimeoutMs?: number
  /** Classic: heartbeat interval. KIP-848: the broker decides. Default 3 000. */
  heartbeatIntervalMs?: number
  /**
   * Longest time between the application asking for messages (iterator `next()`, or a `run()` handler returning).
   * Also the rebalance timeout. When exceeded the member leaves the group so others can take its partitions.
   * Default 300 000.
   */
  maxPollIntervalMs?: number
  /** Default true. */
  enableAutoCommit?: boolean
  /** Default 5 000. */
  autoCommitIntervalMs?: number
  /** Default `latest`. */
  autoOffsetReset?: AutoOffsetReset
  /** Default `read_uncommitted`. */
  isolationLevel?: IsolationLevel
  /** Default 1. */
  fetchMinBytes?: number
  /** Default 52 428 800 (50 MiB). Also bounds the prefetch buffer. */
  fetchMaxBytes?: number
  /** Default 500. */
  fetchMaxWaitMs?: number
  /** Default 1 048 576 (1 MiB). */
  maxPartitionFetchBytes?: number
  /** Rack of this client, for fetching from the closest replica (KIP-392). Default none. */
  clientRack?: string
  /** Check record batch CRCs. Default true. */
  checkCrcs?: boolean
  /** Largest number of records a `batches()` item or `eachBatch` call holds. Default 500 (Java's max.poll.records). */
  maxPollRecords?: number
  /** How long `close()` may take (commit + leave + the last metrics push). Default 30 000. */
  closeTimeoutMs?: number
  /**
   * Pushes the consumer's metrics to the brokers when a client-metrics subscription asks for them (KIP-714; Java's
   * enable.metrics.push). Brokers without a client telemetry plugin are never asked. Default true.
   */
  enableMetricsPush?: boolean
  /**
   * How long a call that talks to the cluster (`committed`, `position`, `commit`, `offsetsForTimes`,
   * `beginningOffsets`, `endOffsets`) may take, retries included, unless it names its own `timeoutMs`; and how long
   * the group coordinator or the committed offsets may stay unreachable before iteration fails with the error.
   * Default: the client's `defaultApiTimeoutMs` (60 000).
   */
  defaultApiTimeoutMs?: number
  /** Turns each non-null key into what `message.key` holds. Default: none (the raw bytes). See DeserializerOption. */
  keyDeserializer?: DeserializerOption
  /** Turns each non-null value into what `message.value` holds. Default: none (the raw bytes). See DeserializerOption. */
  valueDeserializer?: DeserializerOption
}

/**
 * Turns a record's key or value bytes into an application value. `bytes` is a view on the fetch response, valid
 * only during the call: copy it (`Buffer.from(bytes)`) to keep raw bytes. Never called for null (a record without
 * key, a tombstone): null stays null. Throwing stops delivery at that record with a `DeserializationError`.
 */
export type Deserializer<T> = (bytes: Buffer, topic: string) => T

/** `'string'`: UTF-8 text. `'json'`: `JSON.parse` of the UTF-8 text. A function: your own. */
export type DeserializerOption = 'string' | 'json' | Deserializer<unknown>

/**
 * What `message.key` / `message.value` holds for a deserializer option: `string | null` for `'string'`, `unknown`
 * for `'json'` (check or cast it), `T | null` for a function returning T, and `Buffer | null` without one. An
 * option typed as the whole `DeserializerOption` union also gives `unknown`.
 */
export type DeserializedOutput<D> = [Exclude<D, undefined>] extends [never] ? Buffer | null : OutputOf<Exclude<D, undefined>>

type OutputOf<D> = D extends 'string' ? string | null : D extends 'json' ? unknown : D extends Deserializer<infer T> ? T | null : Buffer | null

/** What `message.key` holds for a consumer made with options of type O (see DeserializedOutput). */
export type ConsumerKey<O> = DeserializedOutput<O extends { keyDeserializer?: infer D } ? D : undefined>
/** What `message.value` holds for a consumer made with options of type O (see DeserializedOutput). */
export type ConsumerValue<O> = DeserializedOutput<O extends { valueDeserializer?: infer D } ? D : undefined>

/** A consumed record. K and V are `Buffer | null` unless the consumer has deserializers. */
export interface ConsumerMessage<K = Buffer | null, V = Buffer | null> {
  topic: string
  partition: number
  offset: bigint
  /** Milliseconds since the epoch. */
  timestamp: number
  key: K
  value: V
  headers: Header[]
  leaderEpoch: number
}

export interface ConsumerBatch<K = Buffer | null, V = Buffer | null> {
  topic: string
  partition: number
  messages: Array<ConsumerMessage<K, V>>
  highWatermark: bigint
  /** Records after this batch that the broker already has (highWatermark minus the next offset). */
  lag: bigint
}

export interface RebalanceEvent {
  type: 'assigned' | 'revoked' | 'lost'
  partitions: TopicPartition[]
}

/** The log was truncated under the consumer (KIP-320, e.g. an unclean leader election) and it moved back. */
export interface TruncationEvent extends TopicPartition {
  /** The new position: the new leader's end offset for the diverging epoch (or the position, if that is lower). */
  offset: bigint
  /** The leader epoch the new leader's log diverges in. */
  epoch: number
  /** The fetch position before the move. */
  from: bigint
  /** Found by Fetch's diverging epoch, or by OffsetForLeaderEpoch validation after a leader change. */
  detectedBy: 'fetch' | 'validation'
}

export interface RebalanceListener {
  /** After new partitions are assigned, before they are fetched. */
  onAssigned?(partitions: TopicPartition[]): void | Promise<void>
  /** Before partitions are handed to another member; processed offsets are committed after it returns (auto-commit). */
  onRevoked?(partitions: TopicPartition[]): void | Promise<void>
  /** Partitions were taken away without a chance to commit (fenced, session expired). */
  onLost?(partitions: TopicPartition[]): void | Promise<void>
}

export interface PartitionLag extends TopicPartition {
  /** Next offset the application will see. */
  position: bigint | null
  highWatermark: bigint | null
  /** highWatermark - position (records the broker has that the application has not seen); null until known. */
  lag: bigint | null
}

export interface EachMessagePayload<K = Buffer | null, V = Buffer | null> {
  topic: string
  partition: number
  message: ConsumerMessage<K, V>
  heartbeat(): Promise<void>
  pause(): () => void
}

export interface EachBatchPayload<K = Buffer | null, V = Buffer | null> {
  batch: ConsumerBatch<K, V>
  /** Marks `offset` processed (its successor is what auto-commit will commit). */
  resolveOffset(offset: bigint): void
  heartbeat(): Promise<void>
  commitOffsetsIfNecessary(): Promise<void>
  isRunning(): boolean
  isStale(): boolean
}

/** A batch whose processing its holder reports offset by offset (see `Consumer.nextOwnedBatch`). */
export interface OwnedBatch<K = Buffer | null, V = Buffer | null> {
  batch: ConsumerBatch<K, V>
  /** `offset` and everything before it in the partition are processed: a commit may pass them. */
  resolve(offset: bigint): void
  /**
   * The partition was revoked, or a seek or reset moved it, since the batch was handed out: its offsets no longer
   * count. A pause does not make a batch stale (what its holder finishes still counts).
   */
  stale(): boolean
  /**
   * The holder gives up the messages from `offset` on (a pause in the middle of the batch): the partition is read
   * again from there, and what is buffered after it is dropped. Processed offsets stay as they are.
   */
  giveBack(offset: bigint): void
  /**
   * Set when the batch holds no messages but stands for records the consumer moved past without handing them out
   * (an aborted transaction's, control markers), for runners that report them (`nextOwnedBatch(signal, { skipped:
   * true })`); resolving `lastOffset` moves the processed offset past them.
   */
  skipped?: { firstOffset: bigint; lastOffset: bigint }
}

export interface RunOptions<K = Buffer | null, V = Buffer | null> {
  eachMessage?: (payload: EachMessagePayload<K, V>) => Promise<void> | void
  eachBatch?: (payload: EachBatchPayload<K, V>) => Promise<void> | void
  /** Stops the runner. */
  signal?: AbortSignal
}

export interface CommitOptions {
  /** Offsets to commit; default: every processed offset of the assignment. */
  offsets?: TopicPartitionOffset[]
  /** Resolve once sent and answered (default); `false` starts the commit and returns at once, errors go to the logger. */
  sync?: boolean
  signal?: AbortSignal
  /** How long the commit may take, retries included. Default: the consumer's defaultApiTimeoutMs. */
  timeoutMs?: number
}

/** The consumer's group identity, for `sendOffsetsToTransaction`. */
export interface ConsumerGroupMetadata {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

/**
 * Classic group membership progress, for instrumentation (`consumer.on('group', listener)`): a completed
 * join + sync, a successful heartbeat, and a rebalance the coordinator announced (the member rejoins).
 */
export type GroupEvent =
  | {
      type: 'joined'
      memberId: string
      leaderId: string
      generationId: number
      protocol: string | null
      assigned: TopicPartition[]
      /** From the start of the join to the assignment. */
      durationMs: number
    }
  | { type: 'heartbeat'; memberId: string; generationId: number }
  | { type: 'rebalancing'; memberId: string; generationId: number }

/** Offsets the group accepted in one OffsetCommit (`consumer.on('commit', listener)`). */
export interface CommitEvent {
  memberId: string
  generationId: number
  offsets: TopicPartitionOffset[]
}

/** A Fetch to one broker started, or was answered / failed (`consumer.on('fetch', listener)`). */
export type FetchEvent =
  | { type: 'start'; nodeId: number }
  | { type: 'done'; nodeId: number; partitions: number; bytes: number; durationMs: number; error?: Error }
