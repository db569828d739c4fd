/**
 * FakeKafka: an in-process Kafka cluster on real loopback sockets, for testing applications (and clients) without
 * Java. Each broker is a TCP listener; all share one ClusterState. The test-facing controls (faults, broker kills,
 * leader moves) change that state the way the controller would, so clients see what they would see from Kafka.
 */
import { apiVersionsHandlers } from './api-versions.js'
import { configHandlers } from './configs.js'
import { FaultRules } from './faults.js'
import { fetchHandlers } from './fetch.js'
import { FetchSessionCache } from './fetch-sessions.js'
import { GroupCoordinator, groupHandlers } from './groups/index.js'
import { metadataHandlers } from './metadata.js'
import { offsetHandlers } from './offsets.js'
import { produceHandlers } from './produce.js'
import { SeededRandom } from './random.js'
import { HandlerRegistry, type FakeServices, type RegisteredHandler } from './registry.js'
import { SaslUsers, saslHandlers } from './sasl.js'
import { BrokerServer } from './server.js'
import { ClusterState, type TopicState } from './state.js'
import { topicHandlers } from './topics.js'
import { checkTransactionalBatch, TransactionCoordinator, transactionHandlers } from './transactions.js'
import type { KafkaRecord } from '../records/types.js'
import type { FakeKafkaOptions, FakeTopicSpec, FaultHandle, FaultRule, SeenRequest } from './types.js'

/** Every API the fake implements; ApiVersions offers exactly these. */
export const DEFAULT_HANDLERS: readonly RegisteredHandler[] = [
  ...apiVersionsHandlers,
  ...metadataHandlers,
  ...topicHandlers,
  ...produceHandlers,
  ...fetchHandlers,
  ...offsetHandlers,
  ...configHandlers,
  ...saslHandlers,
  ...groupHandlers,
  ...transactionHandlers,
]

/**
 * Every KRaft cluster finalizes metadata.version; 7..33 (3.3-IV3 .. 4.4-IV2) is what the pinned Kafka supports
 * and 33 its latest production level.
 */
const METADATA_VERSION = { name: 'metadata.version', minVersion: 7, maxVersion: 33, level: 33 }

/** A record as `fake.records()` returns it: the decoded record plus where it sits. */
export interface StoredRecord extends KafkaRecord {
  partition: number
  /** Leader epoch of the batch that holds it. */
  leaderEpoch: number
  producerId: bigint
  isTransactional: boolean
}

/**
 * The features a Kafka 4.x cluster finalizes by default and the fake implements: KIP-848 groups (group.version 1)
 * and KIP-890 transactions (transaction.version 2). Lower a `level` in `fake.services.features` before clients
 * connect to test the older paths (level 1: AddPartitionsToTxn before producing).
 */
const KAFKA_FEATURES = [
  { name: 'group.version', minVersion: 0, maxVersion: 1, level: 1 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2, level: 2 },
]

export class FakeKafka {
  readonly cluster: ClusterState
  readonly services: FakeServices
  /** Every request received, in arrival order (cleared by `requests.length = 0`). */
  readonly requests: SeenRequest[] = []
  readonly #faults = new FaultRules()
  readonly #servers = new Map<number, BrokerServer>()
  #stopped = false

  private constructor(options: FakeKafkaOptions, random: SeededRandom) {
    const brokers = options.brokers ?? options.brokerIds?.length ?? 1
    if (!Number.isInteger(brokers) || brokers < 1) throw new RangeError('FakeKafka: brokers must be a positive integer')
    const ids = options.brokerIds ?? Array.from({ length: brokers }, (_, i) => i)
    if (ids.length !== brokers || new Set(ids).size !== ids.length || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
      throw new RangeError('FakeKafka: brokerIds must be distinct non-negative integers, one per broker')
    }
    this.cluster = new ClusterState({
      random,
      clusterId: options.clusterId,
      autoCreateTopics: options.autoCreateTopics ?? true,
      defaultPartitions: options.defaultPartitions ?? 1,
      defaultReplicationFactor: options.defaultReplicationFactor ?? Math.min(3, brokers),
    })
    const registry = new HandlerRegistry()
    registry.register(...DEFAULT_HANDLERS)
    const sasl = options.sasl !== undefined && options.sasl.length > 0 ? new SaslUsers(options.sasl, random) : null
    const groups = new GroupCoordinator()
    const transactions = new TransactionCoordinator(groups)
    this.services = { registry, sasl, fetchSessions: new Map(), hooks: { checkTransactionalBatch }, onStop: [() => transactions.stop(), () => groups.stop()], groups, transactions, features: [{ ...METADATA_VERSION }, ...KAFKA_FEATURES.map((f) => ({ ...f }))] }
    const host = options.host ?? '127.0.0.1'
    for (const [i, id] of ids.entries()) {
      this.cluster.brokers.set(id, { id, host, port: options.ports?.[i] ?? 0, rack: null, alive: true })
      this.services.fetchSessions.set(id, new FetchSessionCache(() => random.uint32()))
    }
  }

  /** Starts the brokers and creates the initial topics. */
  static async start(options: FakeKafkaOptions = {}): Promise<FakeKafka> {
    const fake = new FakeKafka(options, new SeededRandom(options.seed))
    try {
      for (const broker of fake.cluster.brokers.values()) {
        const server = new BrokerServer(broker, {
          cluster: fake.cluster,
          services: fake.services,
          faults: fake.#faults,
          seen: (r) => fake.requests.push(r),
          log: options.log ?? (() => undefined),
        })
        broker.port = await server.listen(broker.port)
        fake.#servers.set(broker.id, server)
      }
      for (const topic of options.topics ?? []) fake.createTopic(topic)
    } catch (err) {
      await fake.stop()
      throw err
    }
    return fake
  }

  /** host:port of every broker, comma separated, for a client's bootstrap setting. */
  get bootstrap(): string {
    return [...this.cluster.brokers.values()].map((b) => `${b.host}:${b.port}`).join(',')
  }

  /** The same as an array, as KafkaJS's `brokers` wants it. */
  get brokers(): string[] {
    return this.bootstrap.split(',')
  }

  get clusterId(): string {
    return this.cluster.clusterId
  }

  /** Closes every listener and connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#faults.clear()
    await Promise.all([...this.#servers.values()].map((s) => s.close()))
    for (const stop of this.services.onStop) stop()
    this.cluster.notify()
  }

  /** `await using fake = await FakeKafka.start()` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** Creates a topic directly (no request); throws on a name or settings Kafka would refuse. */
  createTopic(spec: FakeTopicSpec): TopicState {
    const newTopic = {
      name: spec.name,
      partitions: spec.partitions ?? this.cluster.defaultPartitions,
      replicationFactor: spec.replicationFactor ?? Math.min(this.cluster.defaultReplicationFactor, this.cluster.aliveBrokers().length),
      configs: spec.configs,
    }
    const failure = this.cluster.validateNewTopic(newTopic)
    if (failure !== null) throw new Error(`FakeKafka.createTopic: ${failure.errorMessage}`)
    return this.cluster.createTopic(newTopic)
  }

  /** Adds a fault rule; see FaultRule. */
  control(rule: FaultRule): FaultHandle {
    return this.#faults.add(rule)
  }

  /**
   * Stops a broker as a crash would: its port refuses, its connections drop, partitions it led elect another
   * in-sync replica under a new leader epoch, and it leaves every ISR.
   */
  async killBroker(id: number): Promise<void> {
    const server = this.#server(id)
    await server.close()
    this.cluster.brokerDown(id)
    this.services.fetchSessions.get(id)?.clear()
  }

  /** Starts a killed broker again on the same port; it rejoins the ISRs (leadership does not move back). */
  async restartBroker(id: number): Promise<void> {
    const server = this.#server(id)
    if (server.listening) return
    await server.listen(server.broker.port)
    this.cluster.brokerUp(id)
  }

  /** Moves a partition's leadership (bumping its leader epoch); the old leader answers NOT_LEADER_OR_FOLLOWER. */
  moveLeader(topic: string, partition: number, toBroker: number): void {
    const p = this.cluster.partition(topic, partition)
    if (p === undefined) throw new Error(`FakeKafka.moveLeader: no partition ${topic}-${partition}`)
    if (!this.cluster.brokers.has(toBroker)) throw new Error(`FakeKafka.moveLeader: no broker ${toBroker}`)
    if (!p.replicas.includes(toBroker)) p.replicas.push(toBroker)
    if (!p.isr.includes(toBroker)) p.isr.push(toBroker)
    this.cluster.setLeader(p, toBroker)
  }

  /** Grows a topic to `count` partitions, as CreatePartitions does. */
  setPartitionCount(topic: string, count: number): void {
    const t = this.cluster.topics.get(topic)
    if (t === undefined) throw new Error(`FakeKafka.setPartitionCount: no topic ${topic}`)
    if (count < t.partitions.length) throw new Error('FakeKafka.setPartitionCount: Kafka cannot remove partitions')
    if (count > t.partitions.length) this.cluster.growTopic(t, count)
  }

  /** The records of a partition from its log start (control batches left out), decoded. */
  records(topic: string, partition: number): StoredRecord[] {
    const p = this.cluster.partition(topic, partition)
    if (p === undefined) throw new Error(`FakeKafka.records: no partition ${topic}-${partition}`)
    return p.log.records().map(({ batch, ...record }) => ({
      ...record,
      partition,
      leaderEpoch: batch.leaderEpoch,
      producerId: batch.producerId,
      isTransactional: batch.isTransactional,
    }))
  }

  #server(id: number): BrokerServer {
    const server = this.#servers.get(id)
    if (server === undefined) throw new Error(`FakeKafka: no broker ${id}`)
    return server
  }
}
