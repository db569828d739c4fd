/**
 * samsa/records: the RecordBatch v2 codec (with legacy message set decoding), compression codecs and CRC32C.
 * Importable on its own: it depends on nothing above the protocol layer.
 */
export {
  RecordBatchBuilder,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  encodeControlBatch,
  type RecordData,
  type HeaderInput,
  type RecordInput,
  type RecordBatchInput,
  type RecordBatchBuilderOptions,
  type BatchHeaderInput,
  type BatchDrainInput,
  type ControlBatchInput,
  type ControlType,
} from './encoder.js'
export { decodeRecordBatches, decodeRecordBatchesAsync, decodeRecordBatchAt, openRecordBatchAt, compressedPayloadAt, RecordCursor, type LazyRecordBatch, type OpenOptions, type RecordSource } from './decoder.js'
export type { KafkaRecord, RecordBatch, ControlRecord, Header, DecodeOptions, DecodeResult } from './types.js'
export {
  compressSync,
  compressAsync,
  decompressSync,
  decompressAsync,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  COMPRESSION_IDS,
  compressionAvailable,
  type CompressionCodec,
  type DecompressOptions,
} from './compression.js'
export { crc32c, crc32, preloadCrc32c } from './crc32c.js'
export { resealRecordBatch } from './reseal.js'
export { RecordsDecodeError, CompressionCodecUnavailableError } from '../errors.js'
