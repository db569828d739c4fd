import { crc32c } from './crc32c.js'
import { ATTRIBUTES, BASE_SEQUENCE, CRC, PRODUCER_EPOCH, PRODUCER_ID } from './layout.js'

/**
 * Rewrites the producer id, epoch and base sequence of a sealed RecordBatch v2 in place and recomputes its CRC.
 * An idempotent producer needs this after an epoch bump (KIP-360): batches not yet acknowledged are sent again
 * under the new epoch with new sequence numbers, and compressing them again would be wasted work.
 */
export function resealRecordBatch(batch: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  batch.writeBigInt64BE(producerId, PRODUCER_ID)
  batch.writeInt16BE(producerEpoch, PRODUCER_EPOCH)
  batch.writeInt32BE(baseSequence, BASE_SEQUENCE)
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES, batch.length), CRC)
}
