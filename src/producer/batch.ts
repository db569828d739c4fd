/**
 * The producer's unit of work: a `ProducerBatch` holds the records of one partition going out in one Produce
 * request, who asked for each of them (`SendGroup`, one per `send` call), and its identity once sent (producer id,
 * epoch, base sequence) so that a retry is the same batch to the broker. A `PartitionState` is one partition's
 * queue of batches and its sequence and retry state. These are plain data; the accumulator, the sender and the
 * sequence rules act on them.
 */
import { AbortError } from '../errors.js'
import { RecordBatchBuilder } from '../records/index.js'
import type { ResolvedProducerOptions } from './options.js'

export interface RecordMetadata {
  topic: string
  partition: number
  /** -1n with acks=0, where the broker reports nothing. */
  offset: bigint
  /** Create time, or the broker's log-append time when the topic uses it. */
  timestamp: number
  /**
   * The partition's log start offset as the broker reported it when it wrote the record (Produce v5+): what
   * retention or deleteRecords has not yet removed. -1n with acks=0, or from a broker that does not report it.
   */
  logStartOffset: bigint
}

// The executor of every SendGroup's promise: a promise's executor runs synchronously inside its constructor, so
// one shared function handing the resolvers to the group being built saves a closure per send.
let groupUnderConstruction: SendGroup | null = null
function captureResolvers(resolve: (results: RecordMetadata[]) => void, reject: (error: Error) => void): void {
  groupUnderConstruction!.resolve = resolve
  groupUnderConstruction!.reject = reject
}

/** The records of one `send`/`sendBatch` call: settles when all its records are acknowledged or one fails. */
export class SendGroup {
  readonly results: RecordMetadata[]
  remaining: number
  settled = false
  resolve: (results: RecordMetadata[]) => void = noop
  reject: (error: Error) => void = noop

  constructor(count: number) {
    this.results = new Array(count)
    this.remaining = count
  }

  /** The promise of the call; made once, right after the group. */
  promise(): Promise<RecordMetadata[]> {
    groupUnderConstruction = this
    const promise = new Promise<RecordMetadata[]>(captureResolvers)
    groupUnderConstruction = null
    return promise
  }

  fail(error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }
}

function noop(): void {}

/** A SendGroup that fails with AbortError when `signal` fires, and stops listening once settled. */
class AbortableSendGroup extends SendGroup {
  readonly #signal: AbortSignal
  readonly #onAbort = (): void => this.fail(new AbortError(this.#signal.reason))

  constructor(count: number, signal: AbortSignal) {
    super(count)
    this.#signal = signal
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  override promise(): Promise<RecordMetadata[]> {
    const promise = super.promise()
    const resolve = this.resolve
    const reject = this.reject
    this.resolve = (results) => {
      this.#signal.removeEventListener('abort', this.#onAbort)
      resolve(results)
    }
    this.reject = (error) => {
      this.#signal.removeEventListener('abort', this.#onAbort)
      reject(error)
    }
    return promise
  }
}

export function abortableSendGroup(count: number, signal: AbortSignal): SendGroup {
  return new AbortableSendGroup(count, signal)
}

/** Bytes a batch buffer has beyond batchSize: a record that ends a batch may overshoot it a little. */
export const BATCH_HEADROOM = 64

export class ProducerBatch {
  readonly builder: RecordBatchBuilder
  sealed: Buffer | null = null
  /** Who asked for each record, and at which index of their results. */
  readonly owners: SendGroup[] = []
  readonly ownerIndexes: number[] = []
  readonly timestamps: number[] = []
  full = false
  baseSequence = -1
  producerId = -1n
  producerEpoch = -1
  attempts = 0
  retryAt = 0
  inFlight = false
  settled = false
  readonly deadline: number
  readonly done: Promise<void>
  resolveDone!: () => void

  constructor(
    readonly partitionState: PartitionState,
    readonly createdAt: number,
    /** Buffer memory this batch holds until settled; a split hands it on to the pieces. */
    public reservedBytes: number,
    options: ResolvedProducerOptions,
    transactional: boolean,
    /** A pooled buffer of batchSize + BATCH_HEADROOM bytes to build into. */
    buffer?: Buffer,
  ) {
    this.builder = new RecordBatchBuilder({
      compression: options.compression,
      compressionLevel: options.compressionLevel,
      transactional,
      initialCapacity: Math.min(reservedBytes, options.batchSize) + BATCH_HEADROOM,
      ...(buffer === undefined ? {} : { buffer }),
    })
    this.deadline = createdAt + options.deliveryTimeoutMs
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  get recordCount(): number {
    return this.owners.length
  }

  addOwner(timestamp: number, group: SendGroup, index: number): void {
    this.owners.push(group)
    this.ownerIndexes.push(index)
    this.timestamps.push(timestamp)
  }
}

export class PartitionState {
  readonly queue: ProducerBatch[] = []
  inFlight = 0
  nextSequence = 0
  lastAckedSequence = -1
  /** The broker lost (or we broke) this partition's sequence: the next epoch bump renumbers its unacknowledged batches. */
  resetOnEpochBump = false
  /**
   * After an epoch bump triggered elsewhere, batches sent under the previous producer id/epoch are still unresolved
   * here: they may be written already, so they are retried unchanged (the broker still deduplicates them), and the
   * partition starts the new sequence only once all of them are settled.
   */
  awaitingPreviousIdentity = false
  /** A batch must be resent: nothing new goes out until every in-flight batch has come back. */
  retrying = false
  /**
   * Uncompressed size at which new batches close: batchSize, or less after the broker refused a batch as
   * MESSAGE_TOO_LARGE (the topic's max.message.bytes is below batchSize), so that later batches are not refused and
   * split one by one. Back to batchSize at batchLimitRelaxAt, in case the topic's limit was raised meanwhile.
   */
  batchLimit: number
  batchLimitRelaxAt = 0
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly batchSize: number,
  ) {
    this.batchLimit = batchSize
  }

  /** No batch is still taking records: the last one is full or already sealed for sending, or there is none. */
  get batchesFull(): boolean {
    const queue = this.queue
    const last = queue.length === 0 ? null : queue[queue.length - 1]!
    return last === null || last.full || last.sealed !== null
  }
}

export const MAX_SEQUENCE = 0x7fffffff

/** Sequence numbers wrap at 2^31, as the broker's do. */
export function addSequence(sequence: number, delta: number): number {
  return (((sequence + delta) % (MAX_SEQUENCE + 1)) + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1)
}

export function sequenceBefore(a: ProducerBatch, b: ProducerBatch): boolean {
  if (a.baseSequence < 0) return false
  if (b.baseSequence < 0) return true
  return a.baseSequence < b.baseSequence
}
