/**
 * What the consumer knows about each assigned partition, shared by the fetcher (fetch position, session, backoff,
 * KIP-320 validation), the delivery buffer (position handed out, in-process offsets) and positions and commits
 * (processed and committed offsets). One object per partition, dropped when the partition is revoked: a chunk or a
 * look-up that outlives it sees `revoked` or a newer `generation` and is ignored.
 */
import type { KafkaError } from '../errors.js'

/** Everything the consumer knows about one assigned partition. */
export class PartitionState {
  readonly topic: string
  readonly partition: number
  /** Next offset to fetch. Runs ahead of `position` by what is buffered. */
  fetchPosition: bigint | null = null
  /** Leader epoch of the last fetched batch (Fetch lastFetchedEpoch, KIP-320). */
  fetchEpoch = -1
  /** Next offset to hand to the application. */
  position: bigint | null = null
  positionEpoch = -1
  /** Offset after the last record the application finished with: what a commit writes. */
  processed: bigint | null = null
  processedEpoch = -1
  lastCommitted: bigint | null = null
  highWatermark: bigint | null = null
  lastStableOffset: bigint | null = null
  logStartOffset: bigint | null = null
  paused = false
  /** Set once the partition leaves the assignment: buffered data and in-process messages no longer count. */
  revoked = false
  /** Bumped by seek and by resets, so that chunks fetched before them are discarded. */
  generation = 0
  /** Bumped when the position is set from elsewhere (seek, reset, truncation) — not by pause, unlike `generation`. */
  moves = 0
  preferredReplica = -1
  /** When the leader's advice to read from preferredReplica lapses and the leader is asked again (as Java does). */
  preferredReplicaUntil = 0
  bufferedChunks = 0
  bufferedBytes = 0
  /** When the fetch position must be found (committed offset or reset policy) before fetching. */
  needsPosition = true
  /** Partition-level failure the application must see (e.g. OFFSET_OUT_OF_RANGE with autoOffsetReset 'none'). */
  error: KafkaError | null = null
  /** Retry errors on this partition after this time (ms). */
  backoffUntil = 0
  /** When fetching this partition started failing without a success since (0: not failing). */
  failingSince = 0
  /** Fetches or validations that failed in a row (the backoff grows with them, KIP-580). */
  failures = 0
  lastFetchError: KafkaError | null = null
  /**
   * The partition leader's epoch (from metadata) the fetch position is known to be consistent with. A newer epoch
   * in metadata means a leader change: the position is validated with OffsetForLeaderEpoch before fetching again.
   */
  validatedLeaderEpoch = -1
  /** An OffsetForLeaderEpoch validation is out for this partition (KIP-320); no fetching until it answers. */
  awaitingValidation = false

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  get fetchable(): boolean {
    return !this.revoked && !this.paused && !this.needsPosition && !this.awaitingValidation && this.fetchPosition !== null && this.error === null
  }

  /** Moves both positions (seek, reset, committed offset), forgetting anything buffered. */
  setPosition(offset: bigint, leaderEpoch = -1): void {
    this.generation++
    this.moves++
    this.fetchPosition = offset
    this.position = offset
    this.positionEpoch = leaderEpoch
    this.fetchEpoch = leaderEpoch
    this.needsPosition = false
    this.awaitingValidation = false
    this.error = null
    this.preferredReplica = -1
    // A position that carries an epoch came from elsewhere (a commit, a seek): it is checked with the leader first.
    if (leaderEpoch >= 0) this.validatedLeaderEpoch = -1
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
