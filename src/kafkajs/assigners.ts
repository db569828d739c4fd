/**
 * KafkaJS's partition assigners: the `PartitionAssigner` factory interface, its round-robin assigner, and the
 * `AssignerProtocol` byte formats (KafkaJS's own: version 0 of the consumer protocol, without the fields later
 * versions added). A group that mixes KafkaJS consumers and facade consumers must agree byte for byte, so the
 * facade's members send exactly what KafkaJS sends, and any KafkaJS assigner runs unchanged as samsa's leader-side
 * assignor (`toProtocolAssignor`).
 */
import type { Cluster as SamsaCluster } from '../network/cluster.js'
import type { ProtocolAssignor } from '../consumer/assignors.js'
import type { TopicPartition } from '../consumer/types.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type ListedOffset, listOffsets } from '../consumer/offsets.js'
import { KafkaJSNonRetriableError, KafkaJSNotImplemented, toKafkaJSError } from './errors.js'
import type { Logger } from './logger.js'
import type { PartitionMetadata } from './shared-types.js'
import type { Broker, BrokerMetadata, Cluster } from './cluster-types.js'
export type { PartitionMetadata } from './shared-types.js'

export type Assignment = { [topic: string]: number[] }
export type GroupMember = { memberId: string; memberMetadata: Buffer }
export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer }
export type GroupState = { name: string; metadata: Buffer }

export type Assigner = {
  name: string
  version: number
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>
  protocol(subscription: { topics: string[] }): GroupState
}

/**
 * What an assigner may use of the cluster. KafkaJS hands assigners its whole internal cluster; the facade hands
 * the part an assigner needs to place partitions: metadata of topics, as KafkaJS's leader has it after refreshing.
 */
export type { Cluster } from './cluster-types.js'

export type PartitionAssigner = (config: { cluster: Cluster; groupId: string; logger: Logger }) => Assigner

export interface ISerializer<T> {
  encode(value: T): Buffer
  decode(buffer: Buffer): T | null
}

export type MemberMetadata = { version: number; topics: string[]; userData: Buffer }
export type MemberAssignment = { version: number; assignment: Assignment; userData: Buffer }

// ---- the byte formats: big-endian int16 version, int32-counted arrays, int16-length strings, int32-length bytes

class Writer {
  readonly #parts: Buffer[] = []

  int16(value: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(value)
    this.#parts.push(b)
    return this
  }

  int32(value: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(value)
    this.#parts.push(b)
    return this
  }

  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8')
    this.int16(bytes.length)
    this.#parts.push(bytes)
    return this
  }

  bytes(value: Buffer | null | undefined): this {
    if (value === null || value === undefined) return this.int32(-1)
    this.int32(value.length)
    this.#parts.push(value)
    return this
  }

  array<T>(items: T[], write: (item: T) => void): this {
    this.int32(items.length)
    for (const item of items) write(item)
    return this
  }

  get buffer(): Buffer {
    return Buffer.concat(this.#parts)
  }
}

class Reader {
  readonly #buffer: Buffer
  #offset = 0

  constructor(buffer: Buffer) {
    this.#buffer = buffer
  }

  canRead(bytes: number): boolean {
    return this.#buffer.length - this.#offset >= bytes
  }

  int16(): number {
    const value = this.#buffer.readInt16BE(this.#offset)
    this.#offset += 2
    return value
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.#offset)
    this.#offset += 4
    return value
  }

  string(): string {
    const length = this.int16()
    if (length < 0) return ''
    const value = this.#buffer.toString('utf8', this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }

  bytes(): Buffer {
    const length = this.int32()
    if (length < 0) return Buffer.alloc(0)
    const value = this.#buffer.subarray(this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }

  array<T>(read: () => T): T[] {
    const length = this.int32()
    const items: T[] = []
    for (let i = 0; i < length; i++) items.push(read())
    return items
  }
}

function encodeMetadata({ version, topics, userData = Buffer.alloc(0) }: MemberMetadata): Buffer {
  const w = new Writer().int16(version)
  w.array(topics, (topic) => w.string(topic))
  return w.bytes(userData).buffer
}

function encodeAssignment({ version, assignment, userData = Buffer.alloc(0) }: MemberAssignment): Buffer {
  const w = new Writer().int16(version)
  w.array(Object.keys(assignment), (topic) => {
    w.string(topic)
    w.array(assignment[topic]!, (partition) => w.int32(partition))
  })
  return w.bytes(userData).buffer
}

function decodeMetadata(buffer: Buffer): MemberMetadata {
  const reader = new Reader(buffer)
  return { version: reader.int16(), topics: reader.array(() => reader.string()), userData: reader.bytes() }
}

function decodeAssignment(buffer: Buffer): MemberAssignment | null {
  const reader = new Reader(buffer)
  if (!reader.canRead(2)) return null
  const version = reader.int16()
  const assignment: Assignment = {}
  for (const { topic, partitions } of reader.array(() => ({ topic: reader.string(), partitions: reader.array(() => reader.int32()) }))) {
    assignment[topic] = partitions
  }
  return { version, assignment, userData: reader.bytes() }
}

export const AssignerProtocol: { MemberMetadata: ISerializer<MemberMetadata>; MemberAssignment: ISerializer<MemberAssignment> } = {
  MemberMetadata: { encode: encodeMetadata, decode: decodeMetadata },
  MemberAssignment: { encode: encodeAssignment, decode: decodeAssignment },
}

// ---- KafkaJS's round robin: members sorted by id, every partition of the topics dealt out in turn

const roundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'RoundRobinAssigner',
  version: 0,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort()
    const byMember = new Map<string, Assignment>()
    let i = 0
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const memberId = memberIds[i++ % memberIds.length]!
        let assignment = byMember.get(memberId)
        if (!assignment) byMember.set(memberId, (assignment = Object.create(null) as Assignment))
        ;(assignment[topic] ??= []).push(partitionId)
      }
    }
    return [...byMember].map(([memberId, assignment]) => ({ memberId, memberAssignment: encodeAssignment({ version: this.version, assignment, userData: Buffer.alloc(0) }) }))
  },
  protocol({ topics }) {
    return { name: this.name, metadata: encodeMetadata({ version: this.version, topics, userData: Buffer.alloc(0) }) }
  },
})

export const PartitionAssigners: { roundRobin: PartitionAssigner } = { roundRobin }

/** The cluster view given to assigners, over samsa's metadata cache. */
export function assignerCluster(cluster: SamsaCluster, topics: () => string[]): Cluster {
  const partitionsOf = (topic: string): PartitionMetadata[] =>
    (cluster.topic(topic)?.partitions ?? []).map((p) => ({
      partitionErrorCode: p.errorCode,
      partitionId: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas,
    }))
  const refresh = async (names: Iterable<string>): Promise<void> => {
    try {
      await cluster.refreshMetadata(names)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
  const noBroker = async (): Promise<Broker> => {
    throw new KafkaJSNotImplemented('samsa/kafkajs gives assigners no raw Broker: use the cluster metadata methods')
  }
  return {
    getNodeIds: () => cluster.brokers().map((b) => b.nodeId),
    async metadata(): Promise<BrokerMetadata> {
      await refresh(topics())
      return {
        brokers: cluster.brokers().map(({ nodeId, host, port, rack }) => (rack === null ? { nodeId, host, port } : { nodeId, host, port, rack })),
        topicMetadata: topics()
          .filter((topic) => cluster.topic(topic) !== undefined)
          .map((topic) => ({ topicErrorCode: 0, topic, partitionMetadata: partitionsOf(topic) })),
      }
    },
    // samsa rebootstraps and drops brokers from metadata on its own; nothing for an assigner to remove.
    removeBroker: () => undefined,
    addMultipleTargetTopics: (names) => refresh(names),
    addTargetTopic: (name) => refresh([name]),
    // The consumer owns the connections; an assigner only ever sees them open.
    isConnected: () => true,
    connect: async () => undefined,
    disconnect: async () => undefined,
    refreshMetadata: () => refresh(topics()),
    refreshMetadataIfNecessary: async () => {
      const missing = topics().filter((topic) => cluster.topic(topic) === undefined)
      if (missing.length > 0) await refresh(missing)
    },
    findBroker: noBroker,
    findControllerBroker: noBroker,
    findGroupCoordinator: noBroker,
    async findGroupCoordinatorMetadata({ groupId }) {
      try {
        const { nodeId, host, port } = await cluster.coordinator('group', groupId)
        return { errorCode: 0, coordinator: { nodeId: nodeId ?? -1, host, port } }
      } catch (error) {
        throw toKafkaJSError(error)
      }
    },
    defaultOffset: ({ fromBeginning }) => (fromBeginning ? -2 : -1),
    async fetchTopicsOffset(requests) {
      const asked = requests.flatMap((request) =>
        request.partitions.map(({ partition }) => ({
          topic: request.topic,
          partition,
          timestamp: request.fromTimestamp !== undefined ? BigInt(request.fromTimestamp) : request.fromBeginning ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
        })),
      )
      let listed: ListedOffset[]
      try {
        listed = await listOffsets(cluster, asked, 0)
      } catch (error) {
        throw toKafkaJSError(error)
      }
      return requests.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition }) => ({
          partition,
          offset: String(listed.find((o) => o.topic === topic && o.partition === partition)?.offset ?? -1n),
        })),
      }))
    },
    findTopicPartitionMetadata: partitionsOf,
    findLeaderForPartitions(topic, partitions) {
      const result: { [leader: string]: number[] } = {}
      for (const p of partitionsOf(topic)) {
        if (partitions.includes(p.partitionId)) (result[String(p.leader)] ??= []).push(p.partitionId)
      }
      return result
    },
  }
}

/**
 * A KafkaJS assigner as samsa's leader-side assignor. As KafkaJS's leader does, metadata is refreshed before
 * `assign`, which gets the leader's own subscribed topics; each member's partitions come from its
 * `MemberAssignment` bytes, so any assigner that encodes them as KafkaJS requires works unchanged. `keepTopics`
 * says which assigned topics the member takes (KafkaJS drops topics it did not subscribe to).
 */
export function toProtocolAssignor(assigner: Assigner, cluster: Cluster, keepTopics: (assignedTopics: string[]) => Set<string>): ProtocolAssignor {
  if (!assigner || typeof assigner.name !== 'string' || typeof assigner.assign !== 'function' || typeof assigner.protocol !== 'function') {
    throw new KafkaJSNonRetriableError('A partition assigner must have name, version, protocol() and assign()')
  }
  return {
    name: assigner.name,
    metadata: (topics) => assigner.protocol({ topics }).metadata,
    async assign(members, topics) {
      await cluster.refreshMetadata()
      const result = await assigner.assign({ members: members.map((m) => ({ memberId: m.memberId, memberMetadata: m.metadata })), topics })
      return result.map((r) => ({ memberId: r.memberId, assignment: r.memberAssignment }))
    },
    decodeAssignment(bytes) {
      const assignment = decodeAssignment(bytes)?.assignment ?? {}
      const kept = keepTopics(Object.keys(assignment))
      const partitions: TopicPartition[] = []
      for (const [topic, list] of Object.entries(assignment)) if (kept.has(topic)) for (const partition of list) partitions.push({ topic, partition })
      return partitions
    },
  }
}
