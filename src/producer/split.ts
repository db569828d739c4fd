/**
 * KIP-126, as the Java producer does it: a batch of several records that the broker refused as MESSAGE_TOO_LARGE
 * (the topic's max.message.bytes is below batchSize, was lowered, or compression did not shrink the records) is cut
 * into batches of at most half its size. A piece still too large is split again; a single record that is too large
 * fails alone.
 *
 * The broker refused the batch, so none of it is written and its sequence numbers are still the next the broker
 * expects. The pieces take over that range in order (the first piece the batch's base sequence, each next one after
 * the previous piece's last record), so batches already numbered after it stay valid. The pieces are sealed here
 * with that numbering, and sealed batches are sent one at a time in sequence order, like resends.
 */
import { decodeRecordBatches, type KafkaRecord } from '../records/index.js'
import { RECORDS } from '../records/layout.js'
import { addSequence, ProducerBatch } from './batch.js'
import type { ResolvedProducerOptions } from './options.js'

/** The pieces that replace `batch`, sealed when it was numbered; null when it cannot be split. */
export function splitRefusedBatch(batch: ProducerBatch, options: ResolvedProducerOptions, transactional: boolean): { pieces: ProducerBatch[]; pieceLimit: number } | null {
  if (batch.settled || batch.sealed === null || batch.recordCount < 2) return null
  let records: KafkaRecord[]
  try {
    records = decodeRecordBatches(batch.sealed, { verifyCrc: false }).batches[0]?.records ?? []
  } catch {
    return null
  }
  if (records.length !== batch.recordCount) return null
  const state = batch.partitionState
  // Half the records plus a batch header each: every refusal at least halves what is retried, so splitting ends.
  // A limit already learned from an earlier refusal on this topic saves the refusals in between.
  const halfSize = RECORDS + Math.ceil((batch.builder.sizeInBytes - RECORDS) / 2)
  const pieceLimit = Math.min(halfSize, state.batchLimit)
  const pieces: ProducerBatch[] = []
  let piece: ProducerBatch | null = null
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    const timestamp = batch.timestamps[i]!
    if (piece === null || piece.builder.tryAppend(record.key, record.value, record.headers, timestamp, pieceLimit) < 0) {
      piece = new ProducerBatch(state, batch.createdAt, pieceLimit, options, transactional)
      piece.builder.tryAppend(record.key, record.value, record.headers, timestamp, Infinity)
      piece.full = true
      pieces.push(piece)
    }
    piece.addOwner(timestamp, batch.owners[i]!, batch.ownerIndexes[i]!)
  }

  // The refused batch's buffer memory passes to the pieces, and it counts as done (for flush and commit) only once
  // every piece is settled.
  const share = Math.floor(batch.reservedBytes / pieces.length)
  for (const p of pieces) p.reservedBytes = share
  pieces[0]!.reservedBytes += batch.reservedBytes - share * pieces.length
  batch.settled = true
  const refusedDone = batch.resolveDone // not the batch itself: its buffers can go while the pieces are out
  void Promise.all(pieces.map((p) => p.done)).then(refusedDone)

  let sequence = batch.baseSequence
  if (sequence >= 0) {
    for (const p of pieces) {
      p.baseSequence = sequence
      p.producerId = batch.producerId
      p.producerEpoch = batch.producerEpoch
      // Synchronous compression: splitting is rare, and an unsealed piece would be numbered anew when sent.
      p.sealed = p.builder.close({ producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: sequence })
      sequence = addSequence(sequence, p.recordCount)
    }
  }
  return { pieces, pieceLimit }
}
