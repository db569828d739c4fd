/**
 * KafkaJS's partitioners, placing records exactly where KafkaJS 2.2.4 places them: an explicit partition wins, a
 * keyed record goes to `toPositive(murmur2(key)) % partitionCount`, an unkeyed one round-robins over the partitions
 * that have a leader, from a random start per topic. `DefaultPartitioner` hashes with Java's murmur2 (samsa's own);
 * `LegacyPartitioner` reproduces KafkaJS 1.x's murmur2, which computes in floating point and so differs from Java's
 * for most keys — programs that kept it must keep finding their keys where 1.x put them.
 */
import { randomBytes } from 'node:crypto'
import { murmur2 as javaMurmur2 } from '../producer/partitioner.js'
import type { IHeaders, PartitionMetadata } from './shared-types.js'
export type { IHeaders, PartitionMetadata } from './shared-types.js'

export interface Message {
  key?: Buffer | string | null
  value: Buffer | string | null
  partition?: number
  headers?: IHeaders
  timestamp?: string
}

export interface PartitionerArgs {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: Message
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number
export type DefaultPartitioner = ICustomPartitioner
export type LegacyPartitioner = ICustomPartitioner

type KeyHash = (key: Buffer | string) => number

const SEED = 0x9747b28c
const M = 0x5bd1e995

function keyBytes(key: Buffer | string): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key))
}

/**
 * KafkaJS 1.x's murmur2. Its products are JavaScript doubles rather than 32-bit integers, so they lose low bits once
 * past 2^53, and its block loop runs `length / 4` times rounded up, reading missing bytes as 0 before the tail is
 * mixed in again. Both quirks decide where keys land, so both are kept.
 */
export function legacyMurmur2(key: Buffer | string): number {
  const data = keyBytes(key)
  const length = data.length
  let h = SEED ^ length
  const blocks = Math.ceil(length / 4)
  for (let i = 0; i < blocks; i++) {
    const at = i * 4
    let k = (data[at]! & 0xff) + ((data[at + 1]! & 0xff) << 8) + ((data[at + 2]! & 0xff) << 16) + ((data[at + 3]! & 0xff) << 24)
    k *= M
    k ^= k >>> 24
    k *= M
    h *= M
    h ^= k
  }
  const tail = length & ~3
  const rest = length % 4
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8
  if (rest >= 1) {
    h ^= data[tail]! & 0xff
    h *= M
  }
  h ^= h >>> 13
  h *= M
  h ^= h >>> 15
  return h
}

/** KafkaJS 2.x's murmur2, which is Java's. */
export function defaultMurmur2(key: Buffer | string): number {
  return javaMurmur2(keyBytes(key))
}

/** Clears the sign bit (not Math.abs), after ToInt32 as JavaScript's `&` applies it. */
const toPositive = (x: number): number => x & 0x7fffffff

function createPartitioner(hash: KeyHash): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>()
    // The leader-holding partitions of the last metadata seen, so that a send does not filter them per record.
    let availableOf: PartitionMetadata[] | null = null
    let available: PartitionMetadata[] = []
    return ({ topic, partitionMetadata, message }) => {
      let counter = counters.get(topic)
      if (counter === undefined) {
        counter = randomBytes(4).readUInt32BE(0)
        counters.set(topic, counter)
      }
      if (message.partition !== null && message.partition !== undefined) return message.partition
      const count = partitionMetadata.length
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % count
      if (availableOf !== partitionMetadata) {
        available = partitionMetadata.filter((p) => p.leader >= 0)
        availableOf = partitionMetadata
      }
      counters.set(topic, ++counter)
      if (available.length > 0) return available[toPositive(counter) % available.length]!.partitionId
      return toPositive(counter) % count
    }
  }
}

const defaultPartitioner: DefaultPartitioner = createPartitioner(defaultMurmur2)
const legacyPartitioner: LegacyPartitioner = createPartitioner(legacyMurmur2)

export const Partitioners: {
  DefaultPartitioner: DefaultPartitioner
  LegacyPartitioner: LegacyPartitioner
  /** @deprecated KafkaJS 2.0 renamed it DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner
} = {
  DefaultPartitioner: defaultPartitioner,
  LegacyPartitioner: legacyPartitioner,
  JavaCompatiblePartitioner: defaultPartitioner,
}
