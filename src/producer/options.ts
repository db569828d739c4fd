/** Producer options, named after the Java producer's configs; defaults are Java 4.x's unless noted. */
import { KafkaError } from '../errors.js'
import type { CompressionCodec } from '../records/index.js'
import type { Partitioner } from './partitioner.js'
import type { SerializerOption } from './serializers.js'

export type Acks = 0 | 1 | -1 | 'all'

export interface ProducerOptions {
  /** Replicas that must have the batch before it counts as written: 0 (none, fire and forget), 1 (leader), 'all'. Default 'all'. */
  acks?: Acks
  /** How long a batch waits for more records before it is sent. Default 5 (Java 4.x, KIP-1030). */
  lingerMs?: number
  /** Target size of one partition's batch in bytes (uncompressed). Default 16 384. */
  batchSize?: number
  /** Bytes of records waiting to be sent or acknowledged, at most; `send` waits when full. Default 33 554 432. */
  bufferMemory?: number
  /** How long `send` may wait for buffer memory or topic metadata before failing. Default 60 000. */
  maxBlockMs?: number
  compression?: CompressionCodec
  /** Codec level (gzip 1–9, zstd -7–22, lz4 ignored). Default: the codec's default. */
  compressionLevel?: number
  /**
   * Exactly-once per partition: the broker drops duplicates of retried batches and keeps order. Default true
   * (needs acks 'all' and maxInFlightRequestsPerConnection ≤ 5; when left unset and acks is not 'all', it is off).
   */
  idempotent?: boolean
  /** Produce requests in flight per broker connection. Default 5. */
  maxInFlightRequestsPerConnection?: number
  /** Upper bound on the time from `send` to success or failure, retries included. Default 120 000. */
  deliveryTimeoutMs?: number
  /** How long to wait for one Produce response. Default 30 000. */
  requestTimeoutMs?: number
  /** Backoff between retries of a batch, growing exponentially with jitter up to retryBackoffMaxMs. Defaults 100 / 1000. */
  retryBackoffMs?: number
  retryBackoffMaxMs?: number
  /** Largest Produce request in bytes; a single larger record is refused. Default 1 048 576. */
  maxRequestSize?: number
  /** Custom placement; return undefined to fall back to the default (key hash, else sticky). */
  partitioner?: Partitioner
  /**
   * Unkeyed records favour partitions whose queues are shorter (their brokers keep up), as Java's
   * partitioner.adaptive.partitioning.enable. Default true.
   */
  partitionerAdaptivePartitioningEnable?: boolean
  /**
   * With adaptive partitioning: a broker that has had batches ready but could not take them for this long has its
   * partitions skipped by unkeyed records until it recovers (Java's partitioner.availability.timeout.ms). 0, the
   * default, never skips.
   */
  partitionerAvailabilityTimeoutMs?: number
  /** Keyed records are placed as unkeyed ones, the key ignored (Java's partitioner.ignore.keys). Default false. */
  partitionerIgnoreKeys?: boolean
  /** Enables transactions (implies idempotence). */
  transactionalId?: string
  /** Default 60 000. */
  transactionTimeoutMs?: number
  /** Batches at least this large are compressed on libuv's thread pool instead of the event loop. Default 65 536. */
  asyncCompressionMinBytes?: number
  /**
   * Pushes the producer's metrics to the brokers when a client-metrics subscription asks for them (KIP-714; Java's
   * enable.metrics.push). Brokers without a client telemetry plugin are never asked. Default true.
   */
  enableMetricsPush?: boolean
  /** Turns each message's key into bytes before partitioning: `'string'`, `'json'` or a function. Default: none (keys are `Buffer | string | null`). */
  keySerializer?: SerializerOption
  /** Turns each message's value into bytes: `'string'`, `'json'` or a function. Default: none (values are `Buffer | string | null`). */
  valueSerializer?: SerializerOption
}

export interface ResolvedProducerOptions {
  acks: 0 | 1 | -1
  lingerMs: number
  batchSize: number
  bufferMemory: number
  maxBlockMs: number
  compression: CompressionCodec
  compressionLevel: number | undefined
  idempotent: boolean
  maxInFlightRequestsPerConnection: number
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  maxRequestSize: number
  partitioner: Partitioner | undefined
  partitionerAdaptivePartitioningEnable: boolean
  partitionerAvailabilityTimeoutMs: number
  partitionerIgnoreKeys: boolean
  transactionalId: string | null
  transactionTimeoutMs: number
  asyncCompressionMinBytes: number
  enableMetricsPush: boolean
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new KafkaError(`Producer option ${name} must be a non-negative number, got ${value}`)
  return value
}

export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const acks = options.acks === undefined || options.acks === 'all' || options.acks === -1 ? -1 : options.acks
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new KafkaError(`Producer option acks must be 0, 1 or 'all'`)
  const transactionalId = options.transactionalId ?? null
  const maxInFlight = options.maxInFlightRequestsPerConnection ?? 5
  let idempotent = options.idempotent ?? (acks === -1 && maxInFlight <= 5)
  if (transactionalId !== null) {
    if (options.idempotent === false) throw new KafkaError('A transactional producer must be idempotent')
    idempotent = true
  }
  if (idempotent && acks !== -1) throw new KafkaError("Idempotence needs acks 'all' (set idempotent: false to use acks 0 or 1)")
  if (idempotent && maxInFlight > 5) throw new KafkaError('Idempotence allows at most 5 in-flight requests per connection')
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new KafkaError('maxInFlightRequestsPerConnection must be ≥ 1')
  const lingerMs = nonNegative('lingerMs', options.lingerMs ?? 5)
  const requestTimeoutMs = nonNegative('requestTimeoutMs', options.requestTimeoutMs ?? 30_000)
  const deliveryTimeoutMs = nonNegative('deliveryTimeoutMs', options.deliveryTimeoutMs ?? 120_000)
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    throw new KafkaError('deliveryTimeoutMs must be at least lingerMs + requestTimeoutMs')
  }
  return {
    acks,
    lingerMs,
    batchSize: Math.max(1, nonNegative('batchSize', options.batchSize ?? 16_384)),
    bufferMemory: nonNegative('bufferMemory', options.bufferMemory ?? 32 * 1024 * 1024),
    maxBlockMs: nonNegative('maxBlockMs', options.maxBlockMs ?? 60_000),
    compression: options.compression ?? 'none',
    compressionLevel: options.compressionLevel,
    idempotent,
    maxInFlightRequestsPerConnection: maxInFlight,
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs: nonNegative('retryBackoffMs', options.retryBackoffMs ?? 100),
    retryBackoffMaxMs: nonNegative('retryBackoffMaxMs', options.retryBackoffMaxMs ?? 1000),
    maxRequestSize: nonNegative('maxRequestSize', options.maxRequestSize ?? 1024 * 1024),
    partitioner: options.partitioner,
    partitionerAdaptivePartitioningEnable: options.partitionerAdaptivePartitioningEnable ?? true,
    partitionerAvailabilityTimeoutMs: nonNegative('partitionerAvailabilityTimeoutMs', options.partitionerAvailabilityTimeoutMs ?? 0),
    partitionerIgnoreKeys: options.partitionerIgnoreKeys ?? false,
    transactionalId,
    transactionTimeoutMs: nonNegative('transactionTimeoutMs', options.transactionTimeoutMs ?? 60_000),
    asyncCompressionMinBytes: nonNegative('asyncCompressionMinBytes', options.asyncCompressionMinBytes ?? 64 * 1024),
    enableMetricsPush: options.enableMetricsPush ?? true,
  }
}
