/**
 * Partitioning that places records exactly where the Java producer would:
 * - an explicit partition wins;
 * - a keyed record goes to toPositive(murmur2(keyBytes)) % partitionCount (Java's BuiltInPartitioner);
 * - an unkeyed record sticks to one partition until about a batch's worth of bytes has gone there (KIP-794),
 *   then moves on, spreading load without splitting batches.
 */

/** Kafka's murmur2 (the Java client's Utils.murmur2): 32-bit, seed 0x9747b28c, little-endian 4-byte blocks. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  const m = 0x5bd1e995
  let h = (0x9747b28c ^ length) | 0
  const blocks = length >> 2
  for (let i = 0; i < blocks; i++) {
    const o = i << 2
    let k = (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) | 0
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = blocks << 2
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) {
    h ^= data[tail]!
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount
}

export interface PartitionerContext {
  topic: string
  key: Buffer | null
  partitionCount: number
  /** Partitions that currently have a leader; the sticky choice prefers them. */
  availablePartitions: readonly number[]
}

/**
 * The partitions with a leader, or a function giving them. The accumulator passes a function: listing them costs
 * O(partitions), and the sticky partitioner needs them only when it draws a new partition, not for every record.
 */
export type AvailablePartitions = readonly number[] | (() => readonly number[])

/** A custom partitioner returns a partition index, or undefined to fall back to the default behaviour. */
export type Partitioner = (context: PartitionerContext) => number | undefined

/**
 * Per-topic sticky partition for unkeyed records, as Java's BuiltInPartitioner (KIP-794): the producer reports the
 * bytes each sticky record added (`onAppended`), and the partition moves on after `batchSize` bytes once its batches
 * are full, or after 2 × `batchSize` bytes in any case. The next partition may be the same one again, as in Java.
 *
 * How the next one is drawn: uniformly from the partitions with a leader (or from all when none has one), unless
 * adaptive partitioning has load figures for the topic (`updateLoad`, from the accumulator's queues). Then each
 * partition is weighted by how much shorter its queue is than the longest (longest + 1 − own), so partitions on
 * slower brokers, whose batches pile up, get fewer new records; partitions left out of the figures (their broker
 * could not take requests for `partitionerAvailabilityTimeoutMs`) get none.
 */
export class StickyPartitionCache {
  readonly #current = new Map<string, { partition: number; producedBytes: number }>()
  /** Per topic: cumulative weights and the partitions they belong to, or absent while every queue is equal. */
  readonly #load = new Map<string, { cumulative: number[]; partitions: number[] }>()
  readonly #random: () => number

  constructor(random: () => number = Math.random) {
    this.#random = random
  }

  partition(topic: string, partitionCount: number, available: AvailablePartitions): number {
    const current = this.#current.get(topic)
    if (current !== undefined && current.partition < partitionCount) return current.partition
    return this.#next(topic, partitionCount, available)
  }

  /** Before appending to a partition with no open batch: moves on when batchSize bytes already went there. */
  beforeAppend(topic: string, batchSize: number, partitionCount: number, available: AvailablePartitions): number {
    const current = this.#current.get(topic)
    if (current === undefined || current.partition >= partitionCount) return this.#next(topic, partitionCount, available)
    if (current.producedBytes >= batchSize) return this.#next(topic, partitionCount, available)
    return current.partition
  }

  onAppended(
    topic: string,
    partition: number,
    appendedBytes: number,
    batchSize: number,
    batchesFull: boolean,
    partitionCount: number,
    available: AvailablePartitions,
  ): void {
    const current = this.#current.get(topic)
    if (current === undefined || current.partition !== partition) return
    current.producedBytes += appendedBytes
    if ((current.producedBytes >= batchSize && batchesFull) || current.producedBytes >= 2 * batchSize) {
      this.#next(topic, partitionCount, available)
    }
  }

  /**
   * Adaptive partitioning's input: the queue length (batches waiting) of the topic's partitions that may be chosen,
   * `queueSizes[i]` for `partitions[i]`, out of `knownPartitions` partitions the producer holds queues for. With
   * fewer than two known partitions, or every known partition listed with the same queue length, the draw stays
   * uniform; once some partition was left out, the weighted draw applies even to a single one.
   */
  updateLoad(topic: string, queueSizes: readonly number[], partitions: readonly number[], knownPartitions: number): void {
    const length = queueSizes.length
    if (length === 0 || knownPartitions < 2) {
      this.#load.delete(topic)
      return
    }
    let longest = queueSizes[0]!
    let allEqual = true
    for (let i = 1; i < length; i++) {
      if (queueSizes[i] !== longest) allEqual = false
      if (queueSizes[i]! > longest) longest = queueSizes[i]!
    }
    if (allEqual && length === knownPartitions) {
      this.#load.delete(topic)
      return
    }
    const cumulative = new Array<number>(length)
    let sum = 0
    for (let i = 0; i < length; i++) cumulative[i] = sum += longest + 1 - queueSizes[i]!
    this.#load.set(topic, { cumulative, partitions: partitions.slice() })
  }

  #next(topic: string, partitionCount: number, availableOrLookup: AvailablePartitions): number {
    const load = this.#load.get(topic)
    let choice: number
    if (load !== undefined) {
      const total = load.cumulative[load.cumulative.length - 1]!
      const point = Math.floor(this.#random() * total)
      // The first partition whose running weight exceeds the point.
      let low = 0
      let high = load.cumulative.length - 1
      while (low < high) {
        const middle = (low + high) >>> 1
        if (load.cumulative[middle]! > point) high = middle
        else low = middle + 1
      }
      choice = load.partitions[low]!
    } else {
      const available = typeof availableOrLookup === 'function' ? availableOrLookup() : availableOrLookup
      choice = available.length > 0 ? available[Math.floor(this.#random() * available.length)]! : Math.floor(this.#random() * partitionCount)
    }
    this.#current.set(topic, { partition: choice, producedBytes: 0 })
    return choice
  }
}
