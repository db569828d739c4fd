/**
 * Fetch sessions (KIP-227), one cache per broker: a full fetch (epoch 0) opens a session; incremental fetches
 * name only what changed (new or updated partitions, forgotten ones) and get back only partitions with something to
 * say. What was last sent per partition (high watermark, log start, last stable offset) decides that.
 */
export interface SessionPartition {
  readonly topicName: string
  readonly topicId: string
  readonly partition: number
  fetchOffset: bigint
  maxBytes: number
  currentLeaderEpoch: number
  /** What the last response said; -1 before the first. */
  sentHighWatermark: bigint
  sentLastStableOffset: bigint
  sentLogStartOffset: bigint
}

export class FetchSession {
  readonly id: number
  /** The epoch the next incremental request must carry. */
  epoch = 1
  /** Keyed by `${topicId or name}:${partition}`, in the order the client added them (responses keep it). */
  readonly partitions = new Map<string, SessionPartition>()

  constructor(id: number) {
    this.id = id
  }

  /** Epochs run 1..Int32.MAX and wrap to 1 (0 opens a session, -1 closes one). */
  advance(): void {
    this.epoch = this.epoch === 2147483647 ? 1 : this.epoch + 1
  }
}

export function sessionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`
}

/** max.incremental.fetch.session.cache.slots; the oldest session is evicted beyond it. */
const MAX_SESSIONS = 1000

export class FetchSessionCache {
  readonly #sessions = new Map<number, FetchSession>()
  #nextId: () => number

  constructor(nextId: () => number) {
    this.#nextId = nextId
  }

  create(): FetchSession {
    let id = 0
    while (id === 0 || this.#sessions.has(id)) id = this.#nextId() & 0x7fffffff
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!)
    const session = new FetchSession(id)
    this.#sessions.set(id, session)
    return session
  }

  get(id: number): FetchSession | undefined {
    const session = this.#sessions.get(id)
    if (session !== undefined) {
      // Most recently used last, so eviction takes the idlest.
      this.#sessions.delete(id)
      this.#sessions.set(id, session)
    }
    return session
  }

  remove(id: number): void {
    this.#sessions.delete(id)
  }

  clear(): void {
    this.#sessions.clear()
  }

  get size(): number {
    return this.#sessions.size
  }
}
