/**
 * One incremental fetch session with one broker (KIP-227, Java's FetchSessionHandler): which partitions the broker
 * holds for us and at what offset, so that a fetch lists only what changed and names what to forget; the session id
 * and epoch that order the requests; and the topic ids the session was built with, so that a re-created topic is
 * forgotten under its old id. A session that fails in any way is dropped and the next fetch starts a full one.
 */
import { partitionKey, type PartitionState } from './partition-state.js'

export interface FetchPartition {
  partition: number
  currentLeaderEpoch: number
  fetchOffset: bigint
  lastFetchedEpoch: number
  logStartOffset: bigint
  partitionMaxBytes: number
}

interface SessionPartition {
  fetchOffset: bigint
  epoch: number
}

/** What one fetch sends in a session: the partitions by topic name, what to forget, and the full set it leaves. */
export interface SessionRequest {
  incremental: boolean
  topics: Map<string, FetchPartition[]>
  forgotten: Map<string, number[]>
  next: Map<string, SessionPartition>
  /** The topics of `next`. */
  nextTopics: Set<string>
}

/** The epoch that tells the broker to close the session. */
export const FINAL_EPOCH = -1
const MAX_EPOCH = 0x7fffffff

export class FetchSession {
  /** 0 until the broker opens a session for us (then every fetch is incremental). */
  id = 0
  epoch = 0
  #partitions = new Map<string, SessionPartition>()
  readonly #topicIds = new Map<string, string>()
  /** #topicIds reversed (the first name given an id, as a walk of #topicIds finds it): one look-up per topic. */
  readonly #topicNames = new Map<string, string>()

  /** The request for `states`: in an open session, only partitions whose offset or epoch moved are listed. */
  build(states: PartitionState[], describe: (state: PartitionState) => FetchPartition): SessionRequest {
    const incremental = this.id !== 0
    const next = new Map<string, SessionPartition>()
    const nextTopics = new Set<string>()
    const topics = new Map<string, FetchPartition[]>()
    for (const state of states) {
      const key = partitionKey(state.topic, state.partition)
      const entry = { fetchOffset: state.fetchPosition!, epoch: state.fetchEpoch }
      next.set(key, entry)
      nextTopics.add(state.topic)
      const previous = this.#partitions.get(key)
      if (incremental && previous && previous.fetchOffset === entry.fetchOffset && previous.epoch === entry.epoch) continue
      let list = topics.get(state.topic)
      if (!list) topics.set(state.topic, (list = []))
      list.push(describe(state))
    }
    const forgotten = new Map<string, number[]>()
    if (incremental) {
      for (const key of this.#partitions.keys()) {
        if (next.has(key)) continue
        const cut = key.lastIndexOf('\u0000')
        const topic = key.slice(0, cut)
        let list = forgotten.get(topic)
        if (!list) forgotten.set(topic, (list = []))
        list.push(Number(key.slice(cut + 1)))
      }
    }
    return { incremental, topics, forgotten, next, nextTopics }
  }

  /** The id `name` has in this session, fixed the first time it is used (from `lookup`). */
  topicId(name: string, lookup: () => string): string {
    const known = this.#topicIds.get(name)
    if (known) return known
    const id = lookup()
    this.#topicIds.set(name, id)
    if (!this.#topicNames.has(id)) this.#topicNames.set(id, name)
    return id
  }

  /** The name a response's topic id stands for in this session, else whatever `lookup` knows. */
  topicName(topicId: string, lookup: (topicId: string) => string | undefined): string | undefined {
    return this.#topicNames.get(topicId) ?? lookup(topicId)
  }

  /** The broker took `request` in session `sessionId`: it now holds exactly what the request left. */
  accepted(sessionId: number, request: SessionRequest): void {
    this.id = sessionId
    this.epoch = this.epoch >= MAX_EPOCH ? 1 : this.epoch + 1
    this.#partitions = request.next
    // Topics the session no longer holds lose their ids (one set look-up each: with a walk of `next` per topic, a
    // session of 1 000 topics cost 10^6 steps a fetch).
    let dropped = false
    for (const name of [...this.#topicIds.keys()]) {
      if (request.topics.has(name) || request.nextTopics.has(name)) continue
      const id = this.#topicIds.get(name)!
      this.#topicIds.delete(name)
      if (this.#topicNames.get(id) === name) {
        this.#topicNames.delete(id)
        dropped = true
      }
    }
    // An id two names shared (only the zero id, for topics metadata had no id for) goes to the next of them.
    if (dropped) for (const [name, id] of this.#topicIds) if (!this.#topicNames.has(id)) this.#topicNames.set(id, name)
  }

  /** The partition must be listed again in the next fetch (its answer was dropped, or it moved). */
  forget(state: PartitionState): void {
    this.#partitions.delete(partitionKey(state.topic, state.partition))
  }
}
