import type { CompressionCodec } from './compression.js'

export type Header = [string, Buffer | null]

/** One record as decoded. `key`, `value` and header values are views into the fetch (or decompressed) buffer. */
export interface KafkaRecord {
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Header[]
}

/** The marker a control batch carries (KIP-98 transaction markers; KRaft's own control records read as 'other'). */
export interface ControlRecord {
  type: 'abort' | 'commit' | 'other'
  /** The raw control type id: 0 abort, 1 commit, higher ids are KRaft metadata markers. */
  typeId: number
  version: number
  /** Epoch of the transaction coordinator that wrote the marker; -1 when the marker type has none. */
  coordinatorEpoch: number
}

export interface RecordBatch {
  /** 2 for RecordBatch v2; 0 or 1 for a legacy message (set) surfaced as one batch. */
  magic: number
  baseOffset: bigint
  lastOffset: bigint
  /** Bytes this batch occupies in the input, size prefix and offset included. */
  sizeInBytes: number
  partitionLeaderEpoch: number
  crc: number
  attributes: number
  compression: CompressionCodec
  timestampType: 'create' | 'log-append'
  isTransactional: boolean
  isControl: boolean
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  /** Count as declared in the header (v2) or messages found (legacy). */
  recordCount: number
  records: KafkaRecord[]
  /** Set on control batches. */
  control: ControlRecord | null
}

export interface DecodeOptions {
  /** Check CRC32C (v2) / CRC32 (legacy). Default true; skip only for data already verified (e.g. by the broker). */
  verifyCrc?: boolean
  /** Cap on one batch's decompressed size. Default DEFAULT_MAX_DECOMPRESSED_BYTES (64 MiB). */
  maxDecompressedBytes?: number
}

export interface DecodeResult {
  batches: RecordBatch[]
  /**
   * True when the input ends in a partial batch. Fetch responses routinely end this way (the broker cuts at
   * the byte limit); it is not an error. The partial bytes start at `bytesConsumed`.
   */
  incomplete: boolean
  /** Bytes of whole batches decoded from the start of the input. */
  bytesConsumed: number
}
