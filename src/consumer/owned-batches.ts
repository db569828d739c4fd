/**
 * Owned batches: what a runner that keeps several batches in process at once (samsa/kafkajs's
 * `partitionsConsumedConcurrently`) may do with a batch's partition — mark offsets processed, learn that a rebalance
 * or seek made the batch stale, give back the unfinished tail — and the batches that stand for records moved past
 * without a message (aborted transactions, control markers), for runners that report those.
 */
import type { DeliveryBuffer } from './delivery.js'
import type { PartitionState } from './partition-state.js'
import type { OwnedBatch } from './types.js'

/** What an owned batch's holder may do with its partition while no rebalance or seek has moved it. */
export function ownership<K, V>(state: PartitionState, epoch: number, reschedule: () => void): Pick<OwnedBatch<K, V>, 'resolve' | 'stale' | 'giveBack'> {
  const moves = state.moves
  const stale = (): boolean => state.revoked || state.moves !== moves
  return {
    resolve: (offset) => {
      if (stale() || (state.processed !== null && state.processed > offset)) return
      state.processed = offset + 1n
      state.processedEpoch = epoch
    },
    stale,
    giveBack: (offset) => {
      if (stale() || state.position === null || offset >= state.position) return
      // Back to the first message not finished; chunks fetched past it are dropped (generation), not the position's history.
      state.generation++
      state.position = offset
      state.fetchPosition = offset
      state.positionEpoch = epoch
      state.fetchEpoch = epoch
      reschedule()
    },
  }
}

/**
 * Records moved past without a message (aborted, control) as an owned batch without messages, or null (nothing
 * skipped, or the skipped records went stale meanwhile: then nothing is left to report).
 */
export function skippedBatch<K, V>(delivery: DeliveryBuffer<K, V>, reschedule: () => void): OwnedBatch<K, V> | null {
  const skipped = delivery.takeSkipped()
  if (skipped === null) return null
  const { chunk, first, last, epoch } = skipped
  const state = chunk.state
  const highWatermark = state.highWatermark ?? -1n
  return {
    batch: { topic: state.topic, partition: state.partition, messages: [], highWatermark, lag: highWatermark > last ? highWatermark - last - 1n : 0n },
    skipped: { firstOffset: first, lastOffset: last },
    ...ownership<K, V>(state, epoch, reschedule),
  }
}
