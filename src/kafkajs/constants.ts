/**
 * KafkaJS's enumerations, with KafkaJS's names and the Kafka protocol's numbers (so values a KafkaJS program
 * stored or compares keep working), and its compression codec registry.
 */
import { compressAsync, decompressAsync, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from '../records/compression.js'

export enum logLevel {
  NOTHING = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 4,
  DEBUG = 5,
}

export enum CompressionTypes {
  None = 0,
  GZIP = 1,
  Snappy = 2,
  LZ4 = 3,
  ZSTD = 4,
}

/** samsa's name for a KafkaJS compression type (an unknown number is refused by the caller). */
export const COMPRESSION_BY_TYPE: Readonly<Record<number, CompressionCodec>> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' }

/** The shape of a KafkaJS compression codec (kafkajs-snappy, @kafkajs/zstd, …). */
export interface CompressionCodecImplementation {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/**
 * KafkaJS programs register codec packages here (`CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec()`). samsa
 * has every codec built in, so the assignment is accepted and changes nothing on the wire: samsa compresses and
 * decompresses with its own implementation, which produces the same format. The entries start as functions that
 * return a codec with KafkaJS's shape over samsa's own, for programs that call them directly.
 */
export const CompressionCodecs: Record<number, () => CompressionCodecImplementation> = {
  [CompressionTypes.GZIP]: builtInCodec('gzip'),
  [CompressionTypes.Snappy]: builtInCodec('snappy'),
  [CompressionTypes.LZ4]: builtInCodec('lz4'),
  [CompressionTypes.ZSTD]: builtInCodec('zstd'),
}

function builtInCodec(codec: CompressionCodec): () => CompressionCodecImplementation {
  return () => ({
    compress: (encoder) => compressAsync(codec, encoder.buffer),
    decompress: (buffer) => decompressAsync(codec, buffer, { maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES, at: 0 }),
  })
}

export enum ResourceTypes {
  UNKNOWN = 0,
  ANY = 1,
  TOPIC = 2,
  GROUP = 3,
  CLUSTER = 4,
  TRANSACTIONAL_ID = 5,
  DELEGATION_TOKEN = 6,
}

export enum AclResourceTypes {
  UNKNOWN = 0,
  ANY = 1,
  TOPIC = 2,
  GROUP = 3,
  CLUSTER = 4,
  TRANSACTIONAL_ID = 5,
  DELEGATION_TOKEN = 6,
}

export enum ConfigResourceTypes {
  UNKNOWN = 0,
  TOPIC = 2,
  BROKER = 4,
  BROKER_LOGGER = 8,
}

export enum ConfigSource {
  UNKNOWN = 0,
  TOPIC_CONFIG = 1,
  DYNAMIC_BROKER_CONFIG = 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG = 3,
  STATIC_BROKER_CONFIG = 4,
  DEFAULT_CONFIG = 5,
  DYNAMIC_BROKER_LOGGER_CONFIG = 6,
}

export enum AclPermissionTypes {
  UNKNOWN = 0,
  ANY = 1,
  DENY = 2,
  ALLOW = 3,
}

export enum AclOperationTypes {
  UNKNOWN = 0,
  ANY = 1,
  ALL = 2,
  READ = 3,
  WRITE = 4,
  CREATE = 5,
  DELETE = 6,
  ALTER = 7,
  DESCRIBE = 8,
  CLUSTER_ACTION = 9,
  DESCRIBE_CONFIGS = 10,
  ALTER_CONFIGS = 11,
  IDEMPOTENT_WRITE = 12,
}

export enum ResourcePatternTypes {
  UNKNOWN = 0,
  ANY = 1,
  MATCH = 2,
  LITERAL = 3,
  PREFIXED = 4,
}
