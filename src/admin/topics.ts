/**
 * Topic administration: create, delete, list, describe, add partitions. Creation, deletion and partition
 * changes go to the controller the metadata names (in KRaft a broker that forwards to the quorum), as the Java
 * admin does; describe uses the paginated DescribeTopicPartitions (KIP-966) where the broker has it.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { sleep } from '../network/abort.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import { type ConfigSource, configSourceName } from './configs.js'
import {
  type AclOperation,
  type AdminCallOptions,
  type AdminContext,
  authorizedOperations,
  itemError,
  type ResponseOf,
  send,
  timeouts,
} from './internal.js'

export interface NewTopic {
  name: string
  /** Default: the broker's `num.partitions`. Leave out when giving `assignments`. */
  numPartitions?: number
  /** Default: the broker's `default.replication.factor`. Leave out when giving `assignments`. */
  replicationFactor?: number
  /** Explicit replica placement: element i (or key i) lists the broker ids of partition i, preferred leader first. */
  assignments?: number[][] | Record<number, number[]>
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string | null>
}

export interface CreateTopicsOptions extends AdminCallOptions {
  /** Check that the topics could be created as given, without creating them. */
  validateOnly?: boolean
  /**
   * Resolve only once the brokers' metadata shows every created topic with a leader for each partition (bounded by
   * `timeoutMs`), so that a describe or produce right after sees the topic. Default true (as KafkaJS); false gives
   * the Java admin's behaviour: resolve as soon as the controller has committed the topics.
   */
  waitForLeaders?: boolean
}

export interface CreatedTopicConfig {
  name: string
  value: string | null
  readOnly: boolean
  source: ConfigSource
  isSensitive: boolean
}

export interface CreateTopicResult {
  name: string
  /** The new topic's id (null before CreateTopics v7, or on error). */
  topicId: string | null
  /** As created (or as it would be with `validateOnly`); -1 when the broker did not say. */
  numPartitions: number
  replicationFactor: number
  /** The topic's resulting configs, when the broker returns them (CreateTopics v5+). */
  configs: CreatedTopicConfig[]
  error: KafkaProtocolError | null
}

export interface DeleteTopicResult {
  /** The name, when deleted by name or when the broker reports it. */
  name: string | null
  topicId: string | null
  error: KafkaProtocolError | null
}

export interface TopicListing {
  name: string
  topicId: string
  isInternal: boolean
}

export interface ListTopicsOptions extends AdminCallOptions {
  /** Include internal topics (`__consumer_offsets`, `__transaction_state`…). Default false. */
  includeInternal?: boolean
}

export interface PartitionDescription {
  partition: number
  /** The leader's broker id, or null while the partition has no leader. */
  leader: number | null
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  /** KIP-966 eligible leader replicas; null when the broker does not report them (ELR off, or Metadata fallback). */
  eligibleLeaderReplicas: number[] | null
  lastKnownEligibleLeaderReplicas: number[] | null
  error: KafkaProtocolError | null
}

export interface TopicDescription {
  name: string
  topicId: string | null
  isInternal: boolean
  partitions: PartitionDescription[]
  /** Operations the caller may perform on the topic; null unless `includeAuthorizedOperations`. */
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

export interface DescribeTopicsOptions extends AdminCallOptions {
  includeAuthorizedOperations?: boolean
  /** Partitions per DescribeTopicPartitions response page (the broker's default is 2000). */
  partitionsPerPage?: number
}

export interface NewPartitions {
  /** The topic. */
  name: string
  /** The total partition count after the change. */
  count: number
  /** Broker ids for each new partition (only the added ones), preferred leader first. */
  assignments?: number[][]
}

export interface CreatePartitionsResult {
  name: string
  error: KafkaProtocolError | null
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

function assignmentList(assignments: NewTopic['assignments']): Array<{ partitionIndex: number; brokerIds: number[] }> {
  if (!assignments) return []
  const entries: Array<[number, number[]]> = Array.isArray(assignments)
    ? assignments.map((brokers, i) => [i, brokers])
    : Object.entries(assignments).map(([k, brokers]) => [Number(k), brokers])
  return entries.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds }))
}

export async function createTopics(ctx: AdminContext, topics: NewTopic[], options: CreateTopicsOptions = {}): Promise<CreateTopicResult[]> {
  checkNamedItems('createTopics', topics, '{ name, numPartitions?, replicationFactor?, configs? }', '{ topics: [{ topic, ... }] }')
  if (topics.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.CreateTopics,
    {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.assignments ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
        assignments: assignmentList(t.assignments),
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: brokerTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    },
    {
      signal: options.signal,
      timeoutMs: clientTimeoutMs,
      // A controller change mid-request is answered per topic; retrying the whole request is what Java does too.
      errorCode: (r) => (r.topics.some((t) => t.errorCode === ErrorCodes.NOT_CONTROLLER) ? ErrorCodes.NOT_CONTROLLER : 0),
    },
  )
  const byName = new Map(response.topics.map((t) => [t.name, t]))
  if (!options.validateOnly && options.waitForLeaders !== false) {
    const created = response.topics.filter((t) => t.errorCode === 0).map((t) => ({ name: t.name, partitions: t.numPartitions ?? -1 }))
    await waitForLeaders(ctx, created, Date.now() + brokerTimeoutMs, options.signal)
  }
  return topics.map(({ name }) => {
    const t = byName.get(name)
    if (!t) return { name, topicId: null, numPartitions: -1, replicationFactor: -1, configs: [], error: itemError(-1, name, 'no result for this topic') }
    return {
      name,
      topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null,
      numPartitions: t.numPartitions ?? -1,
      replicationFactor: t.replicationFactor ?? -1,
      configs: (t.configs ?? []).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        source: configSourceName(c.configSource),
        isSensitive: c.isSensitive,
      })),
      error: itemError(t.errorCode, name, t.errorMessage),
    }
  })
}

/**
 * Fails a call made from JavaScript with the wrong shape before anything is sent: an item without `name` would go out
 * as the empty topic name and come back as a per-topic error that names no cause. KafkaJS's shapes (an options
 * object, `topic` for the name) are the likely mistake, so the message says where those are taken.
 */
function checkNamedItems(call: string, items: unknown, shape: string, kafkajsShape: string): void {
  const kafkajsHint = ` (KafkaJS's ${kafkajsShape} is what the admin of samsa/kafkajs takes)`
  if (!Array.isArray(items)) {
    const looksKafkajs = typeof items === 'object' && items !== null && ('topics' in items || 'topicPartitions' in items)
    throw new KafkaError(`${call} takes an array of ${shape}${looksKafkajs ? kafkajsHint : ''}`)
  }
  items.forEach((item: unknown, i) => {
    const name = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined
    if (typeof name === 'string' && name.length > 0) return
    const hasTopic = typeof item === 'object' && item !== null && 'topic' in item
    throw new KafkaError(`${call}: item ${i} needs a non-empty string \`name\`${hasTopic ? `, not \`topic\`${kafkajsHint}` : ''}`)
  })
}

/** Names or `{ topicId }`s, in an array: a lone name or KafkaJS's `{ topics }` failed inside with a TypeError. */
function checkTopicList(call: string, topics: unknown): void {
  const valid =
    Array.isArray(topics) &&
    topics.every((t: unknown) => (typeof t === 'string' && t.length > 0) || (typeof t === 'object' && t !== null && typeof (t as { topicId?: unknown }).topicId === 'string'))
  if (!valid) throw new KafkaError(`${call} takes an array of topic names or { topicId } objects${typeof topics === 'string' ? `: [${JSON.stringify(topics)}]` : ''}`)
}

/**
 * Polls until every topic shows its partitions with leaders, or the deadline passes. Best effort: the topics exist
 * either way, so running out of time is not an error.
 */
async function waitForLeaders(ctx: AdminContext, topics: Array<{ name: string; partitions: number }>, deadline: number, signal?: AbortSignal): Promise<void> {
  let pending = topics
  while (pending.length > 0 && Date.now() < deadline) {
    const described = await describeTopics(ctx, pending.map((t) => t.name), { signal })
    pending = pending.filter((t, i) => {
      const d = described[i]!
      const complete = t.partitions < 0 ? d.partitions.length > 0 : d.partitions.length === t.partitions
      return d.error !== null || !complete || d.partitions.some((p) => p.leader === null)
    })
    // A poll of the broker's own progress, not a retry: bounded by the broker timeout and the call's budget.
    if (pending.length > 0) await sleep(50, ctx.budget.signal)
  }
}

/** Deletes topics by name (`'orders'`) or by id (`{ topicId }`, DeleteTopics v6+). */
export async function deleteTopics(
  ctx: AdminContext,
  topics: Array<string | { topicId: string }>,
  options: AdminCallOptions = {},
): Promise<DeleteTopicResult[]> {
  checkTopicList('deleteTopics', topics)
  if (topics.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const byId = topics.some((t) => typeof t !== 'string')
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.DeleteTopics,
    (version) => {
      if (version >= 6) {
        return {
          topics: topics.map((t) => (typeof t === 'string' ? { name: t, topicId: ZERO_UUID } : { name: null, topicId: t.topicId })),
          timeoutMs: brokerTimeoutMs,
        }
      }
      if (byId) throw new KafkaError('Deleting topics by id needs DeleteTopics v6 (Kafka 2.8+)')
      return { topicNames: topics as string[], timeoutMs: brokerTimeoutMs }
    },
    {
      signal: options.signal,
      timeoutMs: clientTimeoutMs,
      errorCode: (r) => (r.responses.some((t) => t.errorCode === ErrorCodes.NOT_CONTROLLER) ? ErrorCodes.NOT_CONTROLLER : 0),
    },
  )
  return topics.map((t) => {
    const answer =
      typeof t === 'string'
        ? response.responses.find((r) => r.name === t)
        : response.responses.find((r) => r.topicId === t.topicId)
    const label = typeof t === 'string' ? t : t.topicId
    if (!answer) return { name: typeof t === 'string' ? t : null, topicId: typeof t === 'string' ? null : t.topicId, error: itemError(-1, label, 'no result for this topic') }
    return {
      name: answer.name ?? (typeof t === 'string' ? t : null),
      topicId: answer.topicId && answer.topicId !== ZERO_UUID ? answer.topicId : typeof t === 'string' ? null : t.topicId,
      error: itemError(answer.errorCode, label, answer.errorMessage),
    }
  })
}

export async function listTopics(ctx: AdminContext, options: ListTopicsOptions = {}): Promise<TopicListing[]> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.Metadata,
    { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    { signal: options.signal, errorCode: (r) => r.errorCode ?? 0 },
  )
  return response.topics
    .filter((t) => t.errorCode === 0 && t.name !== null && (options.includeInternal || !t.isInternal))
    .map((t) => ({ name: t.name!, topicId: t.topicId ?? ZERO_UUID, isInternal: t.isInternal ?? false }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** Describes topics by name, or by id (`{ topicId }`, through Metadata v10+). One result per topic asked for. */
export async function describeTopics(
  ctx: AdminContext,
  topics: Array<string | { topicId: string }>,
  options: DescribeTopicsOptions = {},
): Promise<TopicDescription[]> {
  checkTopicList('describeTopics', topics)
  if (topics.length === 0) return []
  const names = topics.filter((t): t is string => typeof t === 'string')
  const ids = topics.filter((t): t is { topicId: string } => typeof t !== 'string').map((t) => t.topicId)
  const connection = await ctx.cluster.anyConnection('default', ctx.budget.signal)
  const byName =
    names.length === 0
      ? new Map<string, TopicDescription>()
      : connection.versions.get(ApiKeys.DescribeTopicPartitions) !== null
        ? await describeWithTopicPartitions(ctx, names, options)
        : await describeWithMetadata(ctx, names.map((name) => ({ name, topicId: ZERO_UUID })), options)
  const byId = new Map<string, TopicDescription>()
  if (ids.length > 0) {
    for (const d of (await describeWithMetadata(ctx, ids.map((topicId) => ({ name: null, topicId })), options, true)).values()) {
      if (d.topicId) byId.set(d.topicId, d)
    }
  }
  return topics.map((t) => {
    if (typeof t === 'string') {
      return byName.get(t) ?? { name: t, topicId: null, isInternal: false, partitions: [], authorizedOperations: null, error: itemError(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, t, 'the broker did not describe this topic') }
    }
    return byId.get(t.topicId) ?? { name: '', topicId: t.topicId, isInternal: false, partitions: [], authorizedOperations: null, error: itemError(ErrorCodes.UNKNOWN_TOPIC_ID, t.topicId, 'the broker did not describe this topic id') }
  })
}

async function describeWithTopicPartitions(ctx: AdminContext, names: string[], options: DescribeTopicsOptions): Promise<Map<string, TopicDescription>> {
  const described = new Map<string, TopicDescription>()
  const sorted = [...new Set(names)].sort()
  let cursor: { topicName: string; partitionIndex: number } | null = null
  // The broker walks topics in name order and hands back a cursor when a page is full.
  for (;;) {
    const from: { topicName: string; partitionIndex: number } | null = cursor
    const response: ResponseOf<typeof ApiKeys.DescribeTopicPartitions> = await send(
      ctx,
      { kind: 'any' },
      ApiKeys.DescribeTopicPartitions,
      {
        topics: (from ? sorted.filter((n) => n >= from.topicName) : sorted).map((name) => ({ name })),
        responsePartitionLimit: options.partitionsPerPage ?? 2000,
        cursor: from,
      },
      { signal: options.signal },
    )
    for (const t of response.topics) {
      if (t.name === null) continue
      const previous = described.get(t.name)
      const partitions = t.partitions.map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId < 0 ? null : p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
        eligibleLeaderReplicas: p.eligibleLeaderReplicas,
        lastKnownEligibleLeaderReplicas: p.lastKnownElr,
        error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`),
      }))
      if (previous) {
        previous.partitions.push(...partitions.filter((p) => !previous.partitions.some((q) => q.partition === p.partition)))
        continue
      }
      described.set(t.name, {
        name: t.name,
        topicId: t.topicId === ZERO_UUID ? null : t.topicId,
        isInternal: t.isInternal,
        partitions,
        authorizedOperations: options.includeAuthorizedOperations ? authorizedOperations(t.topicAuthorizedOperations) : null,
        error: itemError(t.errorCode, t.name),
      })
    }
    cursor = response.nextCursor
    if (!cursor) break
  }
  for (const d of described.values()) d.partitions.sort((a, b) => a.partition - b.partition)
  return described
}

/** Keyed by name, or by topic id when `byId` (an unknown id comes back without a name). */
async function describeWithMetadata(
  ctx: AdminContext,
  topics: Array<{ name: string | null; topicId: string }>,
  options: DescribeTopicsOptions,
  byId = false,
): Promise<Map<string, TopicDescription>> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.Metadata,
    { topics, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: options.includeAuthorizedOperations ?? false },
    {
      signal: options.signal,
      version: (negotiated) => {
        if (byId && negotiated < 12) throw new KafkaError('Describing topics by id needs Metadata v12 (Kafka 3.1+)')
        return negotiated
      },
    },
  )
  const described = new Map<string, TopicDescription>()
  for (const t of response.topics) {
    const key = byId ? t.topicId : t.name
    if (key === null || key === undefined) continue
    described.set(key, {
      name: t.name ?? '',
      topicId: !t.topicId || t.topicId === ZERO_UUID ? null : t.topicId,
      isInternal: t.isInternal ?? false,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId < 0 ? null : p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          eligibleLeaderReplicas: null,
          lastKnownEligibleLeaderReplicas: null,
          error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`),
        }))
        .sort((a, b) => a.partition - b.partition),
      authorizedOperations: options.includeAuthorizedOperations ? authorizedOperations(t.topicAuthorizedOperations) : null,
      error: itemError(t.errorCode, t.name ?? t.topicId ?? ''),
    })
  }
  return described
}

export async function createPartitions(
  ctx: AdminContext,
  topics: NewPartitions[],
  options: CreateTopicsOptions = {},
): Promise<CreatePartitionsResult[]> {
  checkNamedItems('createPartitions', topics, '{ name, count, assignments? }', '{ topicPartitions: [{ topic, count }] }')
  if (topics.length === 0) return []
  const { brokerTimeoutMs, clientTimeoutMs } = timeouts(ctx, options)
  const response = await send(
    ctx,
    { kind: 'controller' },
    ApiKeys.CreatePartitions,
    {
      topics: topics.map((t) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null,
      })),
      timeoutMs: brokerTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    },
    {
      signal: options.signal,
      timeoutMs: clientTimeoutMs,
      errorCode: (r) => (r.results.some((t) => t.errorCode === ErrorCodes.NOT_CONTROLLER) ? ErrorCodes.NOT_CONTROLLER : 0),
    },
  )
  const byName = new Map(response.results.map((r) => [r.name, r]))
  if (!options.validateOnly && options.waitForLeaders !== false) {
    // As after createTopics: the answering broker's metadata trails the controller, so a describe or a produce to a
    // new partition right after would not find it yet.
    const grown = topics.filter((t) => byName.get(t.name)?.errorCode === 0).map((t) => ({ name: t.name, partitions: t.count }))
    await waitForLeaders(ctx, grown, Date.now() + brokerTimeoutMs, options.signal)
  }
  return topics.map(({ name }) => {
    const r = byName.get(name)
    return { name, error: r ? itemError(r.errorCode, name, r.errorMessage) : itemError(-1, name, 'no result for this topic') }
  })
}
