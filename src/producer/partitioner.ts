/**
 * Partitioning that places records exactly where the Java producer would:
 * - an explicit partition wins;
 * - a keyed record goes to toPositive(murmur2(keyBytes)) % partitionCount (Java's BuiltInPartitioner);
 * - an unkeyed record sticks to one partition until that partition's batch is full or sent (KIP-480 "sticky"),
 *   then moves on, spreading load without splitting small batches.
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

/** A custom partitioner returns a partition index, or undefined to fall back to the default behaviour. */
export type Partitioner = (context: PartitionerContext) => number | undefined

/** Per-topic sticky partition for unkeyed records; the accumulator calls `onNewBatch` when that batch closes. */
export class StickyPartitionCache {
  readonly #current = new Map<string, number>()

  partition(topic: string, partitionCount: number, available: readonly number[]): number {
    const current = this.#current.get(topic)
    if (current !== undefined && current < partitionCount) return current
    return this.#next(topic, partitionCount, available, -1)
  }

  /** The sticky partition's batch was completed: pick another partition (never the same one when there is a choice). */
  onNewBatch(topic: string, partitionCount: number, available: readonly number[], previous: number): void {
    if (this.#current.get(topic) !== previous) return
    this.#next(topic, partitionCount, available, previous)
  }

  #next(topic: string, partitionCount: number, available: readonly number[], previous: number): number {
    const candidates = available.length > 0 ? available : Array.from({ length: partitionCount }, (_, i) => i)
    let choice = candidates[Math.floor(Math.random() * candidates.length)]!
    if (candidates.length > 1) {
      while (choice === previous) choice = candidates[Math.floor(Math.random() * candidates.length)]!
    }
    this.#current.set(topic, choice)
    return choice
  }
}
