/**
 * Log directories: what each broker's directories hold, where a replica lives (and where it is moving), and moving
 * replicas between the directories of their broker. A broker is the only one that knows its own directories, so
 * every request goes to the broker concerned rather than to the controller.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import {
  type AdminCallOptions,
  type AdminContext,
  allBrokerIds,
  byTopic,
  itemError,
  partitionKey,
  send,
  type TopicPartition,
} from './internal.js'

export interface ReplicaLogDirInfo extends TopicPartition {
  size: bigint
  offsetLag: bigint
  /** The replica is being moved into this directory. */
  isFuture: boolean
}

export interface LogDirDescription {
  path: string
  error: KafkaProtocolError | null
  /** -1n when the broker does not report them (before DescribeLogDirs v4). */
  totalBytes: bigint
  usableBytes: bigint
  /** KIP-1066: no new replicas are placed here (DescribeLogDirs v5). */
  isCordoned: boolean
  replicas: ReplicaLogDirInfo[]
}

export interface BrokerLogDirs {
  brokerId: number
  logDirs: LogDirDescription[]
  error: KafkaProtocolError | null
}

export interface ReplicaLogDirMove extends TopicPartition {
  brokerId: number
  /** Absolute log directory on that broker. */
  path: string
}

export interface ReplicaLogDirResult extends TopicPartition {
  brokerId: number
  error: KafkaProtocolError | null
}

export interface ReplicaRef extends TopicPartition {
  brokerId: number
}

export interface ReplicaLogDirs extends ReplicaRef {
  /** The directory holding the replica on that broker; null when the broker has no such replica. */
  currentLogDir: string | null
  currentOffsetLag: bigint
  /** Where the replica is being moved to by `alterReplicaLogDirs`, if anywhere. */
  futureLogDir: string | null
  futureOffsetLag: bigint
  error: KafkaProtocolError | null
}

/** Log directories of the given brokers (every broker when left out), asked of each broker itself. */
export async function describeLogDirs(ctx: AdminContext, brokerIds?: number[], options: AdminCallOptions = {}): Promise<BrokerLogDirs[]> {
  const ids = brokerIds ?? (await allBrokerIds(ctx))
  return Promise.all(
    ids.map(async (brokerId): Promise<BrokerLogDirs> => {
      try {
        const response = await send(ctx, { kind: 'node', nodeId: brokerId }, ApiKeys.DescribeLogDirs, { topics: null }, { signal: options.signal })
        return {
          brokerId,
          error: itemError(response.errorCode ?? 0, `broker ${brokerId}`),
          logDirs: response.results.map((d) => ({
            path: d.logDir,
            error: itemError(d.errorCode, d.logDir),
            totalBytes: d.totalBytes ?? -1n,
            usableBytes: d.usableBytes ?? -1n,
            isCordoned: d.isCordoned ?? false,
            replicas: d.topics.flatMap((t) =>
              t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })),
            ),
          })),
        }
      } catch (error) {
        if (error instanceof KafkaError && 'code' in error) return { brokerId, logDirs: [], error: error as KafkaProtocolError }
        throw error
      }
    }),
  )
}

/** Moves replicas between log directories of their broker; one request per broker. */
export async function alterReplicaLogDirs(ctx: AdminContext, moves: ReplicaLogDirMove[], options: AdminCallOptions = {}): Promise<ReplicaLogDirResult[]> {
  const byBroker = new Map<number, ReplicaLogDirMove[]>()
  for (const m of moves) byBroker.set(m.brokerId, [...(byBroker.get(m.brokerId) ?? []), m])
  const answers = new Map<string, KafkaProtocolError | null>()
  await Promise.all(
    [...byBroker].map(async ([brokerId, list]) => {
      const byPath = new Map<string, ReplicaLogDirMove[]>()
      for (const m of list) byPath.set(m.path, [...(byPath.get(m.path) ?? []), m])
      const response = await send(
        ctx,
        { kind: 'node', nodeId: brokerId },
        ApiKeys.AlterReplicaLogDirs,
        {
          dirs: [...byPath].map(([path, items]) => ({
            path,
            topics: byTopic(items).map(({ topic, items: parts }) => ({ name: topic, partitions: parts.map((p) => p.partition) })),
          })),
        },
        { signal: options.signal },
      )
      for (const t of response.results) {
        for (const p of t.partitions) answers.set(`${brokerId}\u0000${partitionKey(t.topicName, p.partitionIndex)}`, itemError(p.errorCode, `${t.topicName}-${p.partitionIndex} on broker ${brokerId}`))
      }
    }),
  )
  return moves.map((m) => {
    const key = `${m.brokerId}\u0000${partitionKey(m.topic, m.partition)}`
    return { topic: m.topic, partition: m.partition, brokerId: m.brokerId, error: answers.has(key) ? answers.get(key)! : itemError(-1, key, 'no result for this replica') }
  })
}

/** Which log directory holds each replica (and where it is moving), asked of each replica's broker. */
export async function describeReplicaLogDirs(ctx: AdminContext, replicas: ReplicaRef[], options: AdminCallOptions = {}): Promise<ReplicaLogDirs[]> {
  const byBroker = new Map<number, ReplicaRef[]>()
  for (const r of replicas) byBroker.set(r.brokerId, [...(byBroker.get(r.brokerId) ?? []), r])
  const answers = new Map<string, ReplicaLogDirs>()
  const keyOf = (r: ReplicaRef) => `${r.brokerId}\u0000${partitionKey(r.topic, r.partition)}`
  await Promise.all(
    [...byBroker].map(async ([brokerId, list]) => {
      let dirs: Array<{ path: string; replicas: ReplicaLogDirInfo[] }> = []
      let brokerError: KafkaProtocolError | null = null
      try {
        const response = await send(
          ctx,
          { kind: 'node', nodeId: brokerId },
          ApiKeys.DescribeLogDirs,
          { topics: byTopic(list).map(({ topic, items }) => ({ topic, partitions: items.map((i) => i.partition) })) },
          { signal: options.signal, errorCode: (r) => r.errorCode ?? 0 },
        )
        dirs = response.results
          .filter((d) => d.errorCode === 0)
          .map((d) => ({
            path: d.logDir,
            replicas: d.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
          }))
      } catch (error) {
        if (!(error instanceof KafkaError && 'code' in error)) throw error
        brokerError = error as KafkaProtocolError
      }
      for (const r of list) {
        const find = (future: boolean) => {
          for (const d of dirs) {
            const hit = d.replicas.find((x) => x.topic === r.topic && x.partition === r.partition && x.isFuture === future)
            if (hit) return { path: d.path, lag: hit.offsetLag }
          }
          return null
        }
        const current = find(false)
        const future = find(true)
        answers.set(keyOf(r), {
          ...r,
          currentLogDir: current?.path ?? null,
          currentOffsetLag: current?.lag ?? -1n,
          futureLogDir: future?.path ?? null,
          futureOffsetLag: future?.lag ?? -1n,
          error: brokerError,
        })
      }
    }),
  )
  return replicas.map((r) => answers.get(keyOf(r))!)
}
