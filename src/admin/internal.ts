/**
 * Routing helpers shared by the admin methods: typed sends through the cluster's one request path, fan-out to
 * partition leaders, group/transaction coordinators and every broker, and the per-item retry of items whose
 * error says our routing was stale. Everything else about retries (connections, top-level codes) is the
 * cluster's.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { sleep } from '../network/abort.js'
import { backoffDelayMs } from '../network/backoff.js'
import { isRetriable } from '../network/retry.js'
import type { Cluster, SendOptions, Target } from '../network/cluster.js'
import { type ApiCodec, type Apis, apis, ApiKeys, errorFromCode } from '../protocol/index.js'

export interface AdminContext {
  cluster: Cluster
  /** Broker-side timeout put in requests that carry one (CreateTopics, DeleteRecords…). */
  defaultTimeoutMs: number
}

/** Options every admin method accepts. */
export interface AdminCallOptions {
  signal?: AbortSignal
  /** For requests with a broker-side timeout (topic creation, deletion, elections…): how long the broker may take. */
  timeoutMs?: number
}

export interface TopicPartition {
  topic: string
  partition: number
}

type RequestOf<K extends keyof Apis> = Apis[K] extends ApiCodec<infer _Req, infer _Res, infer In, infer _ResIn> ? In : never
export type ResponseOf<K extends keyof Apis> = Apis[K] extends ApiCodec<infer _Req, infer Res, infer _In, infer _ResIn> ? Res : never

export const NOT_CONTROLLER = 41
const COORDINATOR_LOAD_IN_PROGRESS = 14
const COORDINATOR_NOT_AVAILABLE = 15
const NOT_COORDINATOR = 16
const UNKNOWN_TOPIC_OR_PARTITION = 3
const LEADER_NOT_AVAILABLE = 5
const NOT_LEADER_OR_FOLLOWER = 6
const REQUEST_TIMED_OUT = 7
const FENCED_LEADER_EPOCH = 74
const UNKNOWN_LEADER_EPOCH = 75

/** Per-partition codes that mean "ask the current leader again". */
const LEADER_STALE = new Set([LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION])
/** Per-key codes that mean "look the coordinator up again". */
const COORDINATOR_STALE = new Set([COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR])

/** The timeout the broker gets, and the one the client waits: a little longer, so the broker's answer wins. */
export function timeouts(ctx: AdminContext, options: AdminCallOptions): { brokerTimeoutMs: number; clientTimeoutMs: number } {
  const brokerTimeoutMs = options.timeoutMs ?? ctx.defaultTimeoutMs
  return { brokerTimeoutMs, clientTimeoutMs: brokerTimeoutMs + 5_000 }
}

/** A typed `cluster.send`: the request input and decoded response types come from the API key. */
export function send<K extends keyof Apis>(
  ctx: AdminContext,
  target: Target,
  key: K,
  body: RequestOf<K> | ((version: number) => RequestOf<K>),
  options: Omit<SendOptions, 'errorCode'> & { errorCode?: (response: ResponseOf<K>) => number } = {},
): Promise<ResponseOf<K>> {
  const api = apis[key] as unknown as ApiCodec<RequestOf<K>, ResponseOf<K>>
  return ctx.cluster.send(target, api, body, options as SendOptions)
}

export function itemError(code: number, context: string, message?: string | null): KafkaProtocolError | null {
  return errorFromCode(code, context, message ?? null)
}

/** Capped version for APIs whose newer versions key topics by id only (we keep names on the wire). */
export function capVersion(max: number): (negotiated: number) => number {
  return (negotiated) => Math.min(negotiated, max)
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** Returns `items` grouped by `keyOf`, keeping first-seen order. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const list = groups.get(key)
    if (list) list.push(item)
    else groups.set(key, [item])
  }
  return groups
}

/** `{ topic, partitions[] }` entries from partition items, in first-seen order. */
export function byTopic<T extends TopicPartition>(items: T[]): Array<{ topic: string; items: T[] }> {
  return [...groupBy(items, (i) => i.topic)].map(([topic, list]) => ({ topic, items: list }))
}

async function waitBeforeRetry(ctx: AdminContext, attempt: number, signal?: AbortSignal): Promise<void> {
  await sleep(backoffDelayMs(attempt, ctx.cluster.retryOptions), signal)
}

/**
 * Sends partition-level requests to the partitions' leaders, one request per leader, and retries the partitions
 * whose answer says the leader moved. `sendBatch` returns one result per partition it was given, each with `error`.
 * `failed` builds the result of a partition that cannot be routed (unknown topic, no leader after the retries).
 */
export async function sendToLeaders<T extends TopicPartition, R extends { error: KafkaProtocolError | null }>(
  ctx: AdminContext,
  items: T[],
  sendBatch: (nodeId: number, batch: T[]) => Promise<Map<string, R>>,
  failed: (item: T, error: KafkaProtocolError) => R,
  signal?: AbortSignal,
): Promise<R[]> {
  const { cluster } = ctx
  const results = new Map<string, R>()
  let pending = items
  for (let attempt = 0; pending.length > 0; attempt++) {
    const lastAttempt = attempt >= cluster.retryOptions.retries
    const topics = [...new Set(pending.map((i) => i.topic))]
    const metadata = new Map<string, Awaited<ReturnType<Cluster['topics']>>[number] | KafkaProtocolError>()
    await Promise.all(
      topics.map(async (topic) => {
        try {
          metadata.set(topic, (await cluster.topics([topic], { signal }))[0]!)
        } catch (error) {
          if (!isProtocolError(error)) throw error
          metadata.set(topic, error)
        }
      }),
    )
    const byLeader = new Map<number, T[]>()
    const retry: T[] = []
    for (const item of pending) {
      const info = metadata.get(item.topic)!
      const key = partitionKey(item.topic, item.partition)
      if (isProtocolError(info)) {
        results.set(key, failed(item, info))
        continue
      }
      const partition = info.partitions[item.partition]
      if (!partition) {
        results.set(key, failed(item, itemError(UNKNOWN_TOPIC_OR_PARTITION, key.replace('\u0000', '-'))!))
      } else if (partition.leader < 0 || !cluster.broker(partition.leader)) {
        if (lastAttempt) results.set(key, failed(item, itemError(LEADER_NOT_AVAILABLE, `${item.topic}-${item.partition}`)!))
        else retry.push(item)
      } else {
        const list = byLeader.get(partition.leader)
        if (list) list.push(item)
        else byLeader.set(partition.leader, [item])
      }
    }
    await Promise.all(
      [...byLeader].map(async ([nodeId, batch]) => {
        let answers: Map<string, R>
        try {
          answers = await sendBatch(nodeId, batch)
        } catch (error) {
          // The leader went away (after the request path's own retries on that node): route again from fresh metadata.
          if (lastAttempt || !isRetriable(error)) throw error
          retry.push(...batch)
          return
        }
        for (const item of batch) {
          const key = partitionKey(item.topic, item.partition)
          const answer = answers.get(key)
          if (!answer) {
            results.set(key, failed(item, itemError(UNKNOWN_TOPIC_OR_PARTITION, `${item.topic}-${item.partition}`, 'the broker did not answer for this partition')!))
          } else if (answer.error && (LEADER_STALE.has(answer.error.code) || answer.error.code === REQUEST_TIMED_OUT) && !lastAttempt) {
            retry.push(item)
          } else {
            results.set(key, answer)
          }
        }
      }),
    )
    pending = retry
    if (pending.length > 0) {
      await cluster.refreshMetadata([...new Set(pending.map((i) => i.topic))], { signal })
      await waitBeforeRetry(ctx, attempt, signal)
    }
  }
  return items.map((i) => results.get(partitionKey(i.topic, i.partition))!)
}

/**
 * Finds the coordinators of `keys` (FindCoordinator v4+ batches them in one request), sends one request per
 * coordinator with its keys, and retries the keys whose answer says the coordinator moved or is loading.
 */
export async function sendToCoordinators<R extends { error: KafkaProtocolError | null }>(
  ctx: AdminContext,
  type: 'group' | 'transaction',
  keys: string[],
  sendBatch: (nodeId: number, batch: string[]) => Promise<Map<string, R>>,
  failed: (key: string, error: KafkaProtocolError) => R,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Map<string, R>()
  let pending = [...new Set(keys)]
  for (let attempt = 0; pending.length > 0; attempt++) {
    const lastAttempt = attempt >= ctx.cluster.retryOptions.retries
    const coordinators = await findCoordinators(ctx, type, pending, signal)
    const byNode = new Map<number, string[]>()
    const retry: string[] = []
    for (const key of pending) {
      const found = coordinators.get(key)!
      if (typeof found === 'number') {
        const list = byNode.get(found)
        if (list) list.push(key)
        else byNode.set(found, [key])
      } else if (COORDINATOR_STALE.has(found.code) && !lastAttempt) {
        retry.push(key)
      } else {
        results.set(key, failed(key, found))
      }
    }
    await Promise.all(
      [...byNode].map(async ([nodeId, batch]) => {
        let answers: Map<string, R>
        try {
          answers = await sendBatch(nodeId, batch)
        } catch (error) {
          // The coordinator went away (after the request path's own retries on that node): look it up again.
          if (lastAttempt || !isRetriable(error)) throw error
          retry.push(...batch)
          return
        }
        for (const key of batch) {
          const answer = answers.get(key)
          if (answer?.error && COORDINATOR_STALE.has(answer.error.code) && !lastAttempt) retry.push(key)
          else results.set(key, answer ?? failed(key, itemError(COORDINATOR_NOT_AVAILABLE, key, 'the coordinator did not answer for this key')!))
        }
      }),
    )
    pending = retry
    if (pending.length > 0) await waitBeforeRetry(ctx, attempt, signal)
  }
  return keys.map((k) => results.get(k)!)
}

const KEY_TYPES = { group: 0, transaction: 1 } as const

/** Coordinator node id per key, or the key's error. */
async function findCoordinators(
  ctx: AdminContext,
  type: 'group' | 'transaction',
  keys: string[],
  signal?: AbortSignal,
): Promise<Map<string, number | KafkaProtocolError>> {
  const found = new Map<string, number | KafkaProtocolError>()
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.FindCoordinator,
    (version) => (version >= 4 ? { keyType: KEY_TYPES[type], coordinatorKeys: keys } : { keyType: KEY_TYPES[type], key: keys[0]! }),
    // Brokers before FindCoordinator v4 look up one key per request: the rest are asked one by one below.
    { signal, errorCode: (r) => r.errorCode ?? 0 },
  )
  if (response.coordinators && response.coordinators.length > 0) {
    for (const c of response.coordinators) {
      found.set(c.key, c.errorCode === 0 ? c.nodeId : itemError(c.errorCode, `${type} coordinator for ${c.key}`, c.errorMessage)!)
    }
  } else {
    found.set(keys[0]!, response.nodeId ?? -1)
    for (const key of keys.slice(1)) {
      const address = await ctx.cluster.coordinator(type, key, signal)
      found.set(key, address.nodeId ?? -1)
    }
  }
  for (const key of keys) {
    if (!found.has(key)) found.set(key, itemError(COORDINATOR_NOT_AVAILABLE, `${type} coordinator for ${key}`)!)
  }
  // A coordinator we have no address for yet needs fresh metadata before we can connect to it.
  const unknown = [...found.values()].some((v) => typeof v === 'number' && !ctx.cluster.broker(v))
  if (unknown) await ctx.cluster.refreshMetadata([], { signal })
  return found
}

/** Node ids of every broker in the cluster, from fresh metadata. */
export async function allBrokerIds(ctx: AdminContext, signal?: AbortSignal): Promise<number[]> {
  await ctx.cluster.refreshMetadata([], { signal })
  return ctx.cluster.brokers().map((b) => b.nodeId).sort((a, b) => a - b)
}

export function isProtocolError(error: unknown): error is KafkaProtocolError {
  return error instanceof KafkaError && typeof (error as KafkaProtocolError).code === 'number' && 'errorName' in error
}

/** Throws when a response's top-level error code is not 0 (for items the per-item convention cannot carry). */
export function throwIfError(code: number, context: string, message?: string | null): void {
  const error = itemError(code, context, message)
  if (error) throw error
}

// ---- ACL enums (shared by topic/group/cluster "authorized operations" and the ACL methods) ----

export const ACL_OPERATIONS = [
  'unknown',
  'any',
  'all',
  'read',
  'write',
  'create',
  'delete',
  'alter',
  'describe',
  'cluster-action',
  'describe-configs',
  'alter-configs',
  'idempotent-write',
  'create-tokens',
  'describe-tokens',
  'two-phase-commit',
] as const
export type AclOperation = (typeof ACL_OPERATIONS)[number]

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

/** The operations a bit field of authorized operations names, or null when the broker was not asked for them. */
export function authorizedOperations(bits: number | undefined): AclOperation[] | null {
  if (bits === undefined || bits === AUTHORIZED_OPERATIONS_OMITTED) return null
  const operations: AclOperation[] = []
  for (let code = 0; code < ACL_OPERATIONS.length; code++) if (bits & (1 << code)) operations.push(ACL_OPERATIONS[code]!)
  return operations
}
