/**
 * Routing helpers shared by the admin methods: typed sends through the cluster's one request path, fan-out to
 * partition leaders, group/transaction coordinators and every broker, and the per-item retry of items whose
 * error says our routing was stale. Everything else about retries (connections, top-level codes) is the
 * cluster's.
 */
import { KafkaError, KafkaProtocolError } from '../errors.js'
import type { Cluster, SendOptions, Target, TopicInfo } from '../network/cluster.js'
import type { Budget } from '../network/policy.js'
import { sendSharded } from '../network/sharded.js'
import { type ApiCodec, type Apis, apis, ApiKeys, ErrorCodes, errorFromCode } from '../protocol/index.js'

export interface AdminContext {
  cluster: Cluster
  /** Broker-side timeout put in requests that carry one (CreateTopics, DeleteRecords…), at most. */
  defaultTimeoutMs: number
  /** The call's one budget: every request of the call counts against it. */
  budget: Budget
}

/** Options every admin method accepts. */
export interface AdminCallOptions {
  /** Cancels the call: it rejects with an AbortError. */
  signal?: AbortSignal
  /**
   * How long the whole call may take, retries included (default: the client's `defaultApiTimeoutMs`, 60 000). For
   * requests with a broker-side timeout (topic creation, deletion, elections…) it is also how long the broker may
   * take, at most.
   */
  timeoutMs?: number
}

export interface TopicPartition {
  topic: string
  partition: number
}

type RequestOf<K extends keyof Apis> = Apis[K] extends ApiCodec<infer _Req, infer _Res, infer In, infer _ResIn> ? In : never
export type ResponseOf<K extends keyof Apis> = Apis[K] extends ApiCodec<infer _Req, infer Res, infer _In, infer _ResIn> ? Res : never

/**
 * The timeout the broker gets, and the one the client waits for that request: a little longer, so the broker's
 * answer wins. Neither outlives the call's budget.
 */
export function timeouts(ctx: AdminContext, options: AdminCallOptions): { brokerTimeoutMs: number; clientTimeoutMs: number } {
  const brokerTimeoutMs = Math.max(1, Math.min(options.timeoutMs ?? ctx.defaultTimeoutMs, ctx.budget.remainingMs()))
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
  return ctx.cluster.send(target, api, body, { budget: ctx.budget, ...options } as SendOptions)
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

/**
 * Sends partition-level requests to the partitions' leaders, one request per leader, and retries the partitions
 * whose answer is retriable (the leader moved, a timeout…) under the call's budget. `sendBatch` returns one result
 * per partition it was given, each with `error`. `failed` builds the result of a partition that cannot be routed
 * (unknown topic, no leader after the retries).
 */
export async function sendToLeaders<T extends TopicPartition, R extends { error: KafkaProtocolError | null }>(
  ctx: AdminContext,
  items: T[],
  sendBatch: (nodeId: number, batch: T[]) => Promise<Map<string, R>>,
  failed: (item: T, error: KafkaProtocolError) => R,
): Promise<R[]> {
  const { cluster } = ctx
  return sendSharded(ctx.budget, {
    items,
    keyOf: (item) => partitionKey(item.topic, item.partition),
    failed,
    send: (nodeId, batch) => sendBatch(nodeId, batch),
    stale: (item, error) => cluster.handleRetriableError(error, { kind: 'leader', topic: item.topic, partition: item.partition }),
    route: async (pending, budget) => {
      const byNode = new Map<number, T[]>()
      const unroutable: Array<[T, KafkaError]> = []
      const metadata = new Map<string, TopicInfo | KafkaError>()
      await Promise.all(
        [...new Set(pending.map((i) => i.topic))].map(async (topic) => {
          try {
            metadata.set(topic, (await cluster.topics([topic], { budget }))[0]!)
          } catch (error) {
            if (!(error instanceof KafkaProtocolError) || budget.signal.aborted) throw error
            metadata.set(topic, error)
          }
        }),
      )
      for (const item of pending) {
        const info = metadata.get(item.topic)!
        if (info instanceof KafkaError) {
          unroutable.push([item, info])
          continue
        }
        const partition = info.partitions[item.partition]
        const where = `${item.topic}-${item.partition}`
        if (!partition) unroutable.push([item, nonRetriable(itemError(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, where)!)])
        else if (partition.leader < 0 || !cluster.broker(partition.leader)) unroutable.push([item, itemError(ErrorCodes.LEADER_NOT_AVAILABLE, where)!])
        else {
          const list = byNode.get(partition.leader)
          if (list) list.push(item)
          else byNode.set(partition.leader, [item])
        }
      }
      return { byNode, unroutable }
    },
  })
}

/** A partition the topic does not have will not appear by asking again. */
function nonRetriable(error: KafkaProtocolError): KafkaProtocolError {
  return new KafkaProtocolError(error.code, error.errorName, false, { context: error.message })
}

/**
 * Finds the coordinators of `keys` (FindCoordinator v4+ batches them in one request), sends one request per
 * coordinator with its keys, and retries the keys whose answer is retriable (the coordinator moved or is loading)
 * under the call's budget.
 */
export async function sendToCoordinators<R extends { error: KafkaProtocolError | null }>(
  ctx: AdminContext,
  type: 'group' | 'transaction',
  keys: string[],
  sendBatch: (nodeId: number, batch: string[]) => Promise<Map<string, R>>,
  failed: (key: string, error: KafkaProtocolError) => R,
): Promise<R[]> {
  const { cluster } = ctx
  return sendSharded(ctx.budget, {
    items: [...new Set(keys)],
    keyOf: (key) => key,
    failed,
    send: (nodeId, batch) => sendBatch(nodeId, batch),
    stale: (key, error) => cluster.handleRetriableError(error, { kind: 'coordinator', type, key }),
    route: async (pending, budget) => {
      const coordinators = await findCoordinators(ctx, type, pending, budget)
      const byNode = new Map<number, string[]>()
      const unroutable: Array<[string, KafkaError]> = []
      for (const key of pending) {
        const found = coordinators.get(key)!
        if (typeof found !== 'number') {
          unroutable.push([key, found])
          continue
        }
        const list = byNode.get(found)
        if (list) list.push(key)
        else byNode.set(found, [key])
      }
      return { byNode, unroutable }
    },
  }).then((results) => keys.map((key) => results[[...new Set(keys)].indexOf(key)]!))
}

const KEY_TYPES = { group: 0, transaction: 1 } as const

/** Coordinator node id per key, or the key's error (one FindCoordinator attempt). */
async function findCoordinators(
  ctx: AdminContext,
  type: 'group' | 'transaction',
  keys: string[],
  budget: Budget,
): Promise<Map<string, number | KafkaProtocolError>> {
  const found = new Map<string, number | KafkaProtocolError>()
  // One cache for every client: keys whose coordinator is known are not looked up again (a stale one is dropped by
  // the error that proves it, before the next round).
  for (const key of keys) {
    const cached = ctx.cluster.cachedCoordinator(type, key)
    if (cached?.nodeId != null) found.set(key, cached.nodeId)
  }
  keys = keys.filter((key) => !found.has(key))
  if (keys.length === 0) return found
  const response = await ctx.cluster.sendOnce(
    { kind: 'any' },
    apis[ApiKeys.FindCoordinator] as ApiCodec<unknown, ResponseOf<typeof ApiKeys.FindCoordinator>>,
    (version: number) => (version >= 4 ? { keyType: KEY_TYPES[type], coordinatorKeys: keys } : { keyType: KEY_TYPES[type], key: keys[0]! }),
    budget,
    { errorCode: (r: ResponseOf<typeof ApiKeys.FindCoordinator>) => r.errorCode ?? 0 },
  )
  if (response.coordinators && response.coordinators.length > 0) {
    for (const c of response.coordinators) {
      if (c.errorCode === 0) {
        found.set(c.key, c.nodeId)
        ctx.cluster.rememberCoordinator(type, c.key, { nodeId: c.nodeId, host: c.host, port: c.port })
      } else {
        found.set(c.key, itemError(c.errorCode, `${type} coordinator for ${c.key}`, c.errorMessage)!)
      }
    }
  } else {
    // Brokers before FindCoordinator v4 look up one key per request: the rest are asked one by one.
    found.set(keys[0]!, response.nodeId ?? -1)
    for (const key of keys.slice(1)) {
      const address = await ctx.cluster.coordinator(type, key, budget.signal)
      found.set(key, address.nodeId ?? -1)
    }
  }
  for (const key of keys) {
    if (!found.has(key)) found.set(key, itemError(ErrorCodes.COORDINATOR_NOT_AVAILABLE, `${type} coordinator for ${key}`)!)
  }
  // A coordinator we have no address for yet needs fresh metadata before we can connect to it.
  const unknown = [...found.values()].some((v) => typeof v === 'number' && !ctx.cluster.broker(v))
  if (unknown) await ctx.cluster.refreshMetadata([], { signal: budget.signal })
  return found
}

/** Node ids of every broker in the cluster, from fresh metadata. */
export async function allBrokerIds(ctx: AdminContext): Promise<number[]> {
  await ctx.cluster.refreshMetadata([], { signal: ctx.budget.signal })
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
