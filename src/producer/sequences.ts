/**
 * Sequence numbers of the idempotent producer, per partition: which number a batch gets when first sealed, and how
 * the numbering is repaired when the broker refuses a batch without writing it (the gap closes), when the producer
 * gets a new epoch (KIP-360: only partitions whose broker state is gone renumber; others finish under the old
 * identity first), and when a new transaction epoch restarts them. The broker accepts sequence n+1 only after n
 * and recognises a resend as a duplicate only by its unchanged numbers, so every rule here keeps one invariant: a
 * batch that may have been written is never renumbered.
 */
import { resealRecordBatch } from '../records/reseal.js'
import { addSequence, type PartitionState, type ProducerBatch, sequenceBefore } from './batch.js'

export interface ProducerIdentity {
  producerId: bigint
  producerEpoch: number
}

/** Numbers a batch sealed for its first send; returns what the record batch header carries. */
export function assignSequence(batch: ProducerBatch, identity: ProducerIdentity): { producerId: bigint; producerEpoch: number; baseSequence: number } {
  const state = batch.partitionState
  batch.baseSequence = state.nextSequence
  batch.producerId = identity.producerId
  batch.producerEpoch = identity.producerEpoch
  state.nextSequence = addSequence(state.nextSequence, batch.recordCount)
  return { producerId: identity.producerId, producerEpoch: identity.producerEpoch, baseSequence: batch.baseSequence }
}

export function resetSequences(state: PartitionState): void {
  state.nextSequence = 0
  state.lastAckedSequence = -1
}

export function acknowledged(batch: ProducerBatch): void {
  if (batch.baseSequence >= 0) batch.partitionState.lastAckedSequence = addSequence(batch.baseSequence, batch.recordCount - 1)
}

/**
 * The broker refused `failed` without writing any of it, so its sequence numbers are a gap the broker would never
 * see filled: the partition's later batches move down to close it, as the Java producer does, and need no epoch
 * bump. Only while none of them is on the wire (a batch being sent cannot be renumbered) and all carry the current
 * producer identity; otherwise the broker refuses them as out of order and the sender bumps the epoch.
 */
export function closeSequenceGap(failed: ProducerBatch, identity: ProducerIdentity): void {
  const { producerId, producerEpoch } = identity
  if (failed.baseSequence < 0 || failed.producerId !== producerId || failed.producerEpoch !== producerEpoch) return
  const state = failed.partitionState
  const later = state.queue.filter((b) => b.sealed !== null && sequenceBefore(failed, b))
  if (later.some((b) => b.inFlight || b.producerId !== producerId || b.producerEpoch !== producerEpoch)) return
  const gap = failed.recordCount
  for (const batch of later) {
    batch.baseSequence = addSequence(batch.baseSequence, -gap)
    resealRecordBatch(batch.sealed!, producerId, producerEpoch, batch.baseSequence)
  }
  state.nextSequence = addSequence(state.nextSequence, -gap)
}

/**
 * After an epoch bump (KIP-360) with nothing in flight. Partitions whose broker sequence state is gone
 * (resetOnEpochBump) renumber their unacknowledged batches from 0: the broker refused them, so none is written yet.
 * Elsewhere a sealed batch whose last attempt ended without an answer may well be written; renumbered, the broker
 * could not recognise it as a retry and would store it twice. Those are retried unchanged, and their partition
 * switches to the new identity once they are settled (awaitingPreviousIdentity, `adoptNewIdentityIfSettled`).
 */
export function renumberAfterEpochBump(partitions: readonly PartitionState[], identity: ProducerIdentity): void {
  for (const state of partitions) {
    state.retrying = false
    const pending = state.queue.some((b) => b.sealed !== null)
    if (!state.resetOnEpochBump) {
      if (pending) state.awaitingPreviousIdentity = true
      else resetSequences(state)
      continue
    }
    state.resetOnEpochBump = false
    state.awaitingPreviousIdentity = false
    resetSequences(state)
    for (const batch of state.queue) {
      if (batch.sealed === null) continue
      batch.baseSequence = state.nextSequence
      batch.producerId = identity.producerId
      batch.producerEpoch = identity.producerEpoch
      resealRecordBatch(batch.sealed, identity.producerId, identity.producerEpoch, batch.baseSequence)
      state.nextSequence = addSequence(state.nextSequence, batch.recordCount)
    }
  }
}

/**
 * The last batch sent under the previous producer identity is settled: the partition's new batches start the new
 * sequence. True when the partition switched (it may send again).
 */
export function adoptNewIdentityIfSettled(state: PartitionState): boolean {
  if (!state.awaitingPreviousIdentity) return false
  // New batches are not sealed while the flag is set, so every sealed batch left is one of the previous identity.
  if (state.queue.some((b) => b.sealed !== null)) return false
  state.awaitingPreviousIdentity = false
  resetSequences(state)
  return true
}
