/** Byte positions inside a RecordBatch v2 header, counted from the batch start. */
export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const PARTITION_LEADER_EPOCH = 12
export const MAGIC = 16
export const CRC = 17
export const ATTRIBUTES = 21
export const LAST_OFFSET_DELTA = 23
export const BASE_TIMESTAMP = 27
export const MAX_TIMESTAMP = 35
export const PRODUCER_ID = 43
export const PRODUCER_EPOCH = 51
export const BASE_SEQUENCE = 53
export const RECORD_COUNT = 57
export const RECORDS = 61

/** Bytes before batchLength's count starts (baseOffset + batchLength itself). */
export const LOG_OVERHEAD = 12
/** Smallest legal batchLength: the header after the length field, with no records. */
export const MIN_BATCH_LENGTH = RECORDS - LOG_OVERHEAD

export const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_FLAG = 0x08
export const TRANSACTIONAL_FLAG = 0x10
export const CONTROL_FLAG = 0x20
export const DELETE_HORIZON_FLAG = 0x40

export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_PARTITION_LEADER_EPOCH = -1

const TWO_32 = 4294967296

/** Writes a millisecond timestamp (a safe integer) as a big-endian int64 without a BigInt allocation. */
export function writeInt64Number(buf: Buffer, value: number, pos: number): void {
  const high = Math.floor(value / TWO_32)
  buf.writeInt32BE(high, pos)
  buf.writeUInt32BE(value - high * TWO_32, pos + 4)
}
