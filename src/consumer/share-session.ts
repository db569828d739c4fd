/**
 * What a share consumer keeps per partition leader (KIP-932): the share session — its epoch orders this member's
 * requests to that broker, so they run one at a time — and the acknowledgements waiting to ride on the next request
 * for each partition, merged into as few acknowledgement batches as their offsets and types allow.
 */
import { partitionKey } from './partition-state.js'

/**
 * `accept`, `release` and `reject` settle a record; `renew` (KIP-1222, Kafka 4.2+) only restarts its acquisition lock,
 * so the application keeps holding it and settles it later.
 */
export type ShareAcknowledgeType = 'accept' | 'release' | 'reject' | 'renew'

/** An acquired offset with no record for the application (a control record, a compacted one). */
export const ACK_GAP = 0
export const ACK_RENEW = 4
export const ACK_CODES: Record<ShareAcknowledgeType, number> = { accept: 1, release: 2, reject: 3, renew: ACK_RENEW }
/** ShareFetch / ShareAcknowledge v2 (Kafka 4.2) brought the acquire mode and renew acknowledgements. */
export const RENEW_AND_ACQUIRE_MODE_VERSION = 2

export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1
const MAX_EPOCH = 2 ** 31 - 1

export interface AckRange {
  first: bigint
  last: bigint
  type: number
}

export interface PendingAcks {
  topic: string
  partition: number
  ranges: AckRange[]
}

export interface SessionPartition {
  topic: string
  topicId: string
  partition: number
}

/** One share session per partition leader: the epoch orders this member's requests to that broker. */
export interface ShareSession {
  nodeId: number
  epoch: number
  /** Partitions the broker holds in the session (what a full request listed plus later additions). */
  partitions: Map<string, SessionPartition>
  /** Requests on one session run one at a time, or their epochs would cross. */
  lock: Promise<void>
}

export const nextEpoch = (epoch: number): number => (epoch >= MAX_EPOCH ? 1 : epoch + 1)

export function newSession(nodeId: number): ShareSession {
  return { nodeId, epoch: INITIAL_EPOCH, partitions: new Map(), lock: Promise.resolve() }
}

/** Runs `fn` once the session's earlier requests are done. */
export function locked<T>(session: ShareSession, fn: () => Promise<T>): Promise<T> {
  const run = session.lock.then(fn)
  session.lock = run.then(() => undefined, () => undefined)
  return run
}

/** The next request opens a new session (epoch 0) and lists every partition again. */
export function resetSession(session: ShareSession): void {
  session.epoch = INITIAL_EPOCH
  session.partitions.clear()
}

/** Adjacent ranges of one type become one acknowledgement batch, so a run of accepts costs one entry. */
export function mergeRanges(ranges: AckRange[]): Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
  const out: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && last.acknowledgeTypes[0] === r.type && last.lastOffset + 1n === r.first) last.lastOffset = r.last
    else out.push({ firstOffset: r.first, lastOffset: r.last, acknowledgeTypes: [r.type] })
  }
  return out
}

/** Acknowledgements made and not yet sent, by partition. */
export class PendingAcknowledgements extends Map<string, PendingAcks> {
  add(topic: string, partition: number, first: bigint, last: bigint, type: number): void {
    const key = partitionKey(topic, partition)
    let pending = this.get(key)
    if (!pending) this.set(key, (pending = { topic, partition, ranges: [] }))
    // Renewals are single offsets. One not sent yet is superseded by a final acknowledgement of the same record (two
    // outcomes for one offset in a request would be refused) and is pointless to send twice.
    if (first === last) {
      const unsentRenewal = pending.ranges.findIndex((r) => r.type === ACK_RENEW && r.first === first)
      if (unsentRenewal >= 0) {
        if (type === ACK_RENEW) return
        pending.ranges.splice(unsentRenewal, 1)
      }
    }
    pending.ranges.push({ first, last, type })
  }


  /** The partition's acknowledgements, taken out to be sent. */
  take(key: string): PendingAcks | undefined {
    const pending = this.get(key)
    this.delete(key)
    return pending
  }

  /** Acknowledgements whose request failed before the broker took them: they wait for the next one. */
  restore(acks: PendingAcks[]): void {
    for (const a of acks) for (const r of a.ranges) this.add(a.topic, a.partition, r.first, r.last, r.type)
  }

  hasRenewal(key: string): boolean {
    return this.get(key)?.ranges.some((r) => r.type === ACK_RENEW) ?? false
  }
}
