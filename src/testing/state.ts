/**
 * The cluster as the controller sees it: brokers, topics, partitions with their leaders, epochs and logs. Handlers
 * read and change it synchronously (one event loop: no locking); whatever a long poll may be waiting for is
 * announced through `notify`.
 */
import { PartitionLog } from './log.js'
import { SeededRandom } from './random.js'
import { ErrorCodes } from '../protocol/generated/error-codes.js'

export interface BrokerState {
  readonly id: number
  readonly host: string
  port: number
  rack: string | null
  alive: boolean
}

export interface PartitionState {
  readonly topic: TopicState
  readonly index: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  readonly log: PartitionLog
}

export interface TopicState {
  readonly name: string
  readonly topicId: string
  readonly internal: boolean
  partitions: PartitionState[]
  /** Overrides only (TOPIC_CONFIG); defaults come from topicConfigDefaults. */
  readonly configs: Map<string, string>
}

export interface NewTopic {
  name: string
  partitions: number
  replicationFactor: number
  /** Replica lists per partition; overrides partitions/replicationFactor when given. */
  assignments?: number[][]
  configs?: Record<string, string>
  internal?: boolean
}

/** Error code and message, as responses carry them. */
export interface Failure {
  errorCode: number
  errorMessage: string | null
}

/** offsets.topic.num.partitions and transaction.state.log.num.partitions: Kafka's default, 50. */
export const INTERNAL_TOPIC_PARTITIONS = 50
export const GROUP_TOPIC = '__consumer_offsets'
export const TRANSACTION_TOPIC = '__transaction_state'

/** Java's String.hashCode over UTF-16 code units, which Kafka hashes coordinator keys with. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's partitionFor: Utils.abs(key.hashCode) % partitions (Utils.abs maps Int.MIN to 0). */
export function coordinatorPartition(key: string, partitions = INTERNAL_TOPIC_PARTITIONS): number {
  const h = javaStringHash(key)
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/

export function topicNameError(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty'
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."'
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`
  if (!LEGAL_TOPIC.test(name)) return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`
  return null
}

export class ClusterState {
  readonly random: SeededRandom
  readonly clusterId: string
  readonly brokers = new Map<number, BrokerState>()
  readonly topics = new Map<string, TopicState>()
  readonly topicsById = new Map<string, TopicState>()
  autoCreateTopics: boolean
  defaultPartitions: number
  defaultReplicationFactor: number
  #nextProducerId = 1000n
  #waiters = new Set<() => void>()
  /** Round-robin start for replica placement, like Kafka's random start index but deterministic. */
  #placement = 0

  constructor(options: { random: SeededRandom; clusterId?: string; autoCreateTopics: boolean; defaultPartitions: number; defaultReplicationFactor: number }) {
    this.random = options.random
    this.clusterId = options.clusterId ?? options.random.uuid()
    this.autoCreateTopics = options.autoCreateTopics
    this.defaultPartitions = options.defaultPartitions
    this.defaultReplicationFactor = options.defaultReplicationFactor
    this.#nextProducerId = BigInt(1000 + (options.random.uint32() % 1000))
  }

  aliveBrokers(): BrokerState[] {
    return [...this.brokers.values()].filter((b) => b.alive).sort((a, b) => a.id - b.id)
  }

  /** The KRaft "controller" a Metadata answer names: any live broker forwards to the quorum, so the lowest one. */
  controllerId(): number {
    return this.aliveBrokers()[0]?.id ?? -1
  }

  allocateProducerId(): bigint {
    return this.#nextProducerId++
  }

  partition(topic: string, index: number): PartitionState | undefined {
    return this.topics.get(topic)?.partitions[index]
  }

  /** Checks a topic creation the way the controller does; null when it would succeed. */
  validateNewTopic(spec: NewTopic): Failure | null {
    const nameError = topicNameError(spec.name)
    if (nameError !== null) return { errorCode: ErrorCodes.INVALID_TOPIC_EXCEPTION, errorMessage: nameError }
    if (this.topics.has(spec.name)) return { errorCode: ErrorCodes.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${spec.name}' already exists.` }
    const brokerIds = [...this.brokers.keys()]
    if (spec.assignments !== undefined) {
      if (spec.assignments.length === 0) return { errorCode: ErrorCodes.INVALID_PARTITIONS, errorMessage: 'Number of partitions was set to an invalid non-positive value.' }
      for (const replicas of spec.assignments) {
        if (replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((r) => !brokerIds.includes(r))) {
          return { errorCode: ErrorCodes.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Replica assignment ${JSON.stringify(replicas)} is invalid.` }
        }
      }
      return null
    }
    if (spec.partitions <= 0) return { errorCode: ErrorCodes.INVALID_PARTITIONS, errorMessage: 'Number of partitions was set to an invalid non-positive value.' }
    if (spec.replicationFactor <= 0) return { errorCode: ErrorCodes.INVALID_REPLICATION_FACTOR, errorMessage: 'Replication factor must be larger than 0, or -1 to use the default value.' }
    if (spec.replicationFactor > this.aliveBrokers().length) {
      return {
        errorCode: ErrorCodes.INVALID_REPLICATION_FACTOR,
        errorMessage: `Unable to replicate the partition ${spec.replicationFactor} time(s): The target replication factor of ${spec.replicationFactor} cannot be reached because only ${this.aliveBrokers().length} broker(s) are registered.`,
      }
    }
    return null
  }

  /** Creates a topic (validate first); partitions are placed round robin over the live brokers. */
  createTopic(spec: NewTopic): TopicState {
    const topic: TopicState = {
      name: spec.name,
      topicId: this.random.uuid(),
      internal: spec.internal ?? false,
      partitions: [],
      configs: new Map(Object.entries(spec.configs ?? {})),
    }
    const assignments = spec.assignments ?? this.placeReplicas(spec.partitions, spec.replicationFactor)
    for (const replicas of assignments) this.#addPartition(topic, replicas)
    this.topics.set(topic.name, topic)
    this.topicsById.set(topic.topicId, topic)
    this.notify()
    return topic
  }

  placeReplicas(count: number, replicationFactor: number): number[][] {
    const live = this.aliveBrokers().map((b) => b.id)
    const out: number[][] = []
    const rf = Math.min(replicationFactor, live.length)
    for (let p = 0; p < count; p++) {
      const start = this.#placement++
      const replicas: number[] = []
      for (let r = 0; r < rf; r++) replicas.push(live[(start + r) % live.length]!)
      out.push(replicas)
    }
    return out
  }

  /** Adds partitions up to `count` (CreatePartitions, setPartitionCount); never removes any. */
  growTopic(topic: TopicState, count: number, assignments?: number[][]): void {
    const rf = topic.partitions[0]?.replicas.length ?? 1
    const placed = assignments ?? this.placeReplicas(count - topic.partitions.length, rf)
    for (const replicas of placed) this.#addPartition(topic, replicas)
    this.notify()
  }

  #addPartition(topic: TopicState, replicas: number[]): void {
    const isr = replicas.filter((id) => this.brokers.get(id)?.alive === true)
    const partition: PartitionState = {
      topic,
      index: topic.partitions.length,
      leader: isr[0] ?? -1,
      leaderEpoch: 0,
      replicas: [...replicas],
      isr,
      log: new PartitionLog(),
    }
    partition.log.beginEpoch(0)
    topic.partitions.push(partition)
  }

  deleteTopic(topic: TopicState): void {
    this.topics.delete(topic.name)
    this.topicsById.delete(topic.topicId)
    this.notify()
  }

  /** Leader election: a new leader (or none, -1) under a bumped epoch, as the controller writes it. */
  setLeader(partition: PartitionState, leader: number): void {
    partition.leader = leader
    partition.leaderEpoch++
    partition.log.beginEpoch(partition.leaderEpoch)
    this.notify()
  }

  /** A broker stopped: it leaves every ISR and the partitions it led elect another in-sync replica. */
  brokerDown(id: number): void {
    const broker = this.brokers.get(id)
    if (broker === undefined) return
    broker.alive = false
    for (const topic of this.topics.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(id)) continue
        if (p.isr.length > 1) p.isr = p.isr.filter((r) => r !== id)
        if (p.leader === id) {
          const next = p.isr.find((r) => r !== id && this.brokers.get(r)?.alive === true) ?? -1
          // Like Kafka, the last in-sync replica stays in the ISR when it dies: without unclean election the
          // partition is offline until it returns.
          this.setLeader(p, next)
        }
      }
    }
    this.notify()
  }

  /** A broker returned: it catches up at once (shared log) and rejoins ISRs; leaderless partitions elect it. */
  brokerUp(id: number): void {
    const broker = this.brokers.get(id)
    if (broker === undefined) return
    broker.alive = true
    for (const topic of this.topics.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(id)) continue
        if (!p.isr.includes(id)) p.isr = [...p.isr, id]
        if (p.leader === -1) this.setLeader(p, id)
      }
    }
    this.notify()
  }

  /** The internal topic, created on first use as the broker does when the first coordinator request arrives. */
  internalTopic(name: typeof GROUP_TOPIC | typeof TRANSACTION_TOPIC): TopicState {
    const existing = this.topics.get(name)
    if (existing !== undefined) return existing
    const replicationFactor = Math.min(3, this.aliveBrokers().length)
    return this.createTopic({
      name,
      partitions: INTERNAL_TOPIC_PARTITIONS,
      replicationFactor,
      internal: true,
      configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '104857600' },
    })
  }

  /**
   * The coordinator for a group id or transactional id: the leader of the key's partition of the internal topic
   * (-1 while that partition has no leader: COORDINATOR_NOT_AVAILABLE).
   */
  coordinatorFor(kind: 'group' | 'transaction', key: string): { partition: PartitionState; broker: number } {
    const topic = this.internalTopic(kind === 'group' ? GROUP_TOPIC : TRANSACTION_TOPIC)
    const partition = topic.partitions[coordinatorPartition(key, topic.partitions.length)]!
    return { partition, broker: partition.leader }
  }

  /** Wakes every long poll so it can look again (an append, a leader change, a deletion). */
  notify(): void {
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const wake of waiters) wake()
  }

  /** Resolves at the next `notify`; `cancel` detaches the waiter. */
  nextChange(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void
    const promise = new Promise<void>((resolve) => (wake = resolve))
    this.#waiters.add(wake)
    return { promise, cancel: () => this.#waiters.delete(wake) }
  }
}
