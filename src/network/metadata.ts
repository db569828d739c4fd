/**
 * The cluster's metadata as last heard: brokers, the controller, topics with their ids, partitions, leaders and
 * leader epochs, and which topics some client cares about. It decides what a Metadata response changes and when
 * one is needed; asking a broker is the cluster's business (it passes the fetch in).
 *
 * Refreshes are coalesced: callers that ask while one is running share it when it covers their topics, otherwise
 * they share the single next one. Each caller waits on the shared refresh only as long as its own signal allows.
 * Partition leader epochs only move forward, so a response from a broker with older metadata cannot send us back to
 * a previous leader (KIP-320), and a topic id that changes under the same name is a new topic (KIP-516).
 */
import { KafkaError } from '../errors.js'
import { ErrorCodes, errorFromCode } from '../protocol/index.js'
import { abortable } from './abort.js'
import type { Clock } from './clock.js'

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface PartitionInfo {
  partition: number
  /** -1 while the partition has no leader. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  errorCode: number
}

export interface TopicInfo {
  name: string
  topicId: string
  isInternal: boolean
  partitions: PartitionInfo[]
}

export interface MetadataResponseShape {
  brokers: Array<{ nodeId: number; host: string; port: number; rack?: string | null }>
  clusterId?: string | null
  controllerId?: number
  errorCode?: number
  topics: Array<{
    errorCode: number
    name: string | null
    topicId?: string
    isInternal?: boolean
    partitions: Array<{
      errorCode: number
      partitionIndex: number
      leaderId: number
      leaderEpoch?: number
      replicaNodes: number[]
      isrNodes: number[]
      offlineReplicas?: number[]
    }>
  }>
}

/** The topic id Kafka uses for "none" (and to ask by name). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** The topics a refresh asks for: a set, or every topic in the cluster. */
export type TopicSelection = Set<string> | 'all'

const { UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID } = ErrorCodes

type Refresh = { topics: TopicSelection; promise: Promise<void> }

export class MetadataCache {
  readonly #clock: Clock
  readonly #maxAgeMs: number
  /** One Metadata request (one attempt) for `topics`, which applies the response here; it runs on no caller's signal. */
  readonly #fetch: (topics: TopicSelection) => Promise<void>
  readonly #brokers = new Map<number, BrokerInfo>()
  readonly #topics = new Map<string, TopicInfo>()
  readonly #topicNamesById = new Map<string, string>()
  readonly #topicErrors = new Map<string, number>()
  /** Topics some client uses: every refresh covers them so that their leaders stay current. */
  readonly #interest = new Set<string>()
  #clusterId: string | null = null
  #controllerId = -1
  #lastRefreshAt = 0
  #current: Refresh | null = null
  #next: { topics: TopicSelection; promise: Promise<void>; start: () => void } | null = null

  constructor(options: { clock: Clock; maxAgeMs: number; fetch: (topics: TopicSelection) => Promise<void> }) {
    this.#clock = options.clock
    this.#maxAgeMs = options.maxAgeMs
    this.#fetch = options.fetch
  }

  get clusterId(): string | null {
    return this.#clusterId
  }

  get controllerId(): number {
    return this.#controllerId
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs
  }

  brokers(): BrokerInfo[] {
    return [...this.#brokers.values()]
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.#brokers.get(nodeId)
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name)
  }

  topicNameById(topicId: string): string | undefined {
    return this.#topicNamesById.get(topicId)
  }

  addInterest(topics: Iterable<string>): void {
    for (const topic of topics) this.#interest.add(topic)
  }

  /** Forgets every known broker (rebootstrap, KIP-899): the next connection goes to the bootstrap servers. */
  forgetBrokers(): void {
    this.#brokers.clear()
  }

  /** Refreshes `topics` plus every topic of interest (or all topics), sharing requests with concurrent callers. */
  refresh(topics: Iterable<string> | 'all', signal?: AbortSignal): Promise<void> {
    return abortable(this.shared(topics), signal)
  }

  /**
   * The refresh that covers `topics` (plus every topic of interest): the one running when it does, else the single
   * next one, which starts when the running one ends. One caller giving up must not fail the others, so it runs on
   * no caller's signal; the pool's close ends it, and the request timeout bounds it.
   */
  shared(topics: Iterable<string> | 'all'): Promise<void> {
    const wanted: TopicSelection = topics === 'all' ? 'all' : new Set([...this.#interest, ...topics])
    const current = this.#current
    if (current && covers(current.topics, wanted)) return current.promise
    if (!current) return this.#startRefresh(wanted).promise
    if (this.#next) {
      this.#next.topics = merge(this.#next.topics, wanted)
      return this.#next.promise
    }
    let start!: () => void
    const next = {
      topics: wanted,
      promise: new Promise<void>((resolve, reject) => {
        start = () => this.#startRefresh(next.topics).promise.then(resolve, reject)
      }),
      start: () => start(),
    }
    this.#next = next
    return next.promise
  }

  #startRefresh(topics: TopicSelection): Refresh {
    const refresh: Refresh = {
      topics,
      promise: this.#fetch(topics).finally(() => {
        this.#current = null
        const next = this.#next
        this.#next = null
        if (next) {
          this.#current = { topics: next.topics, promise: next.promise }
          next.start()
        }
      }),
    }
    this.#current = refresh
    return refresh
  }

  /** Whether any of `names` is unknown, or everything is older than the maximum age. */
  needsRefresh(names: string[]): boolean {
    return this.#clock.now() - this.#lastRefreshAt > this.#maxAgeMs || names.some((n) => !this.#topics.has(n))
  }

  /**
   * One attempt at metadata for `names`: a refresh when unknown or stale, then the first missing topic's error
   * (UNKNOWN_TOPIC_OR_PARTITION unless the broker said otherwise).
   */
  async ensure(names: string[], signal: AbortSignal | undefined): Promise<void> {
    if (!this.needsRefresh(names)) return
    await this.refresh(names, signal)
    const missing = names.find((n) => !this.#topics.has(n))
    if (missing !== undefined) {
      const code = this.#topicErrors.get(missing) ?? UNKNOWN_TOPIC_OR_PARTITION
      throw errorFromCode(code, missing) ?? new KafkaError(`Topic ${missing} has no metadata`)
    }
  }

  /** Takes in a Metadata response to a request for `requested`; with 'all', topics it omits no longer exist. */
  apply(response: MetadataResponseShape, requested: TopicSelection): void {
    if (response.brokers.length > 0) {
      this.#brokers.clear()
      for (const b of response.brokers) this.#brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })
    }
    this.#clusterId = response.clusterId ?? this.#clusterId
    this.#controllerId = response.controllerId ?? this.#controllerId
    this.#lastRefreshAt = this.#clock.now()
    const seen = new Set<string>()
    for (const t of response.topics) {
      if (t.name === null) continue
      seen.add(t.name)
      if (t.errorCode !== 0) {
        this.#topicErrors.set(t.name, t.errorCode)
        if (t.errorCode === UNKNOWN_TOPIC_OR_PARTITION || t.errorCode === UNKNOWN_TOPIC_ID) this.#forgetTopic(t.name)
        continue
      }
      this.#topicErrors.delete(t.name)
      const topicId = t.topicId ?? ZERO_UUID
      const previous = this.#topics.get(t.name)
      // A new topic id under the same name is a re-created topic (KIP-516): its old epochs mean nothing.
      const sameTopic = previous !== undefined && previous.topicId === topicId
      const partitions: PartitionInfo[] = new Array(t.partitions.length)
      for (const p of t.partitions) {
        const info: PartitionInfo = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        }
        const old = sameTopic ? previous.partitions[p.partitionIndex] : undefined
        partitions[p.partitionIndex] = old && old.leaderEpoch > info.leaderEpoch ? old : info
      }
      if (previous && !sameTopic) this.#topicNamesById.delete(previous.topicId)
      this.#topics.set(t.name, { name: t.name, topicId, isInternal: t.isInternal ?? false, partitions: partitions.filter(Boolean) })
      if (topicId !== ZERO_UUID) this.#topicNamesById.set(topicId, t.name)
    }
    if (requested === 'all') {
      for (const name of [...this.#topics.keys()]) if (!seen.has(name)) this.#forgetTopic(name)
    }
  }

  #forgetTopic(name: string): void {
    const old = this.#topics.get(name)
    if (old) this.#topicNamesById.delete(old.topicId)
    this.#topics.delete(name)
  }

  /** KIP-951: a leader named by an error response replaces the cached one if its epoch is newer; says whether it did. */
  applyLeaderHint(topic: string, partition: number, leaderId: number, leaderEpoch: number, endpoint?: BrokerInfo): boolean {
    if (endpoint && !this.#brokers.has(endpoint.nodeId)) this.#brokers.set(endpoint.nodeId, endpoint)
    const info = this.#topics.get(topic)?.partitions[partition]
    if (!info || leaderId < 0 || leaderEpoch <= info.leaderEpoch || !this.#brokers.has(leaderId)) return false
    info.leader = leaderId
    info.leaderEpoch = leaderEpoch
    return true
  }
}

function covers(have: TopicSelection, want: TopicSelection): boolean {
  if (have === 'all') return true
  if (want === 'all') return false
  for (const t of want) if (!have.has(t)) return false
  return true
}

function merge(a: TopicSelection, b: TopicSelection): TopicSelection {
  if (a === 'all' || b === 'all') return 'all'
  return new Set([...a, ...b])
}
