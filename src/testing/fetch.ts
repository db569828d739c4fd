/**
 * Fetch: sessions (fetch-sessions.ts), leader and epoch checks, reading whole batches within the byte limits (the
 * first batch always, KIP-74), read_committed bounded by the last stable offset with the aborted transactions it
 * overlaps, and long polling: with less than minBytes ready the request waits up to maxWaitMs for an append.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import type { FetchRequest } from '../protocol/generated/FetchRequest.js'
import { FetchSession, sessionKey, type SessionPartition } from './fetch-sessions.js'
import { brokerList } from './metadata.js'
import { defineHandler, type RequestContext } from './registry.js'
import type { ClusterState } from './state.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
const READ_COMMITTED = 1
const EMPTY = Buffer.alloc(0)

interface PartitionData {
  partitionIndex: number
  errorCode: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null
  preferredReadReplica: number
  records: Buffer
  currentLeader?: { leaderId: number; leaderEpoch: number }
}

function errorData(partition: number, errorCode: number): PartitionData {
  return { partitionIndex: partition, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY }
}

interface Budget {
  remaining: number
  /** Until some data is in the response, the next batch goes in whatever its size. */
  minOneBatch: boolean
}

/** One partition's answer; reads consume `budget`. */
function readPartition(ctx: RequestContext, sp: SessionPartition, isolation: number, budget: Budget): PartitionData {
  const { cluster } = ctx
  const topic = ctx.apiVersion >= 13 ? cluster.topicsById.get(sp.topicId) : cluster.topics.get(sp.topicName)
  if (topic === undefined) return errorData(sp.partition, ctx.apiVersion >= 13 ? ErrorCodes.UNKNOWN_TOPIC_ID : ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION)
  const p = topic.partitions[sp.partition]
  if (p === undefined) return errorData(sp.partition, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION)
  if (p.leader !== ctx.broker.id) {
    const data = errorData(sp.partition, ErrorCodes.NOT_LEADER_OR_FOLLOWER)
    if (ctx.apiVersion >= 12 && p.leader >= 0) data.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch }
    return data
  }
  if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch < p.leaderEpoch) return errorData(sp.partition, ErrorCodes.FENCED_LEADER_EPOCH)
  if (sp.currentLeaderEpoch > p.leaderEpoch) return errorData(sp.partition, ErrorCodes.UNKNOWN_LEADER_EPOCH)
  const log = p.log
  const base = {
    partitionIndex: sp.partition,
    highWatermark: log.highWatermark,
    lastStableOffset: log.lastStableOffset,
    logStartOffset: log.logStartOffset,
    preferredReadReplica: -1,
  }
  if (sp.fetchOffset < log.logStartOffset || sp.fetchOffset > log.logEndOffset) {
    return { ...base, errorCode: ErrorCodes.OFFSET_OUT_OF_RANGE, abortedTransactions: null, records: EMPTY }
  }
  const upTo = isolation === READ_COMMITTED ? log.lastStableOffset : log.highWatermark
  const limit = Math.max(0, Math.min(sp.maxBytes, budget.remaining))
  const batches = limit > 0 || budget.minOneBatch ? log.read(sp.fetchOffset, upTo, limit, budget.minOneBatch) : []
  const records = batches.length === 0 ? EMPTY : Buffer.concat(batches.map((b) => b.buffer))
  if (records.length > 0) {
    budget.remaining -= records.length
    budget.minOneBatch = false
  }
  let abortedTransactions: PartitionData['abortedTransactions'] = null
  if (isolation === READ_COMMITTED) {
    const end = batches.length > 0 ? batches[batches.length - 1]!.lastOffset + 1n : sp.fetchOffset
    abortedTransactions = log.abortedIn(sp.fetchOffset, end).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
  }
  return { ...base, errorCode: 0, abortedTransactions, records }
}

/** An incremental response carries a partition only when something changed for it (Kafka's CachedPartition). */
function mustRespond(sp: SessionPartition, data: PartitionData): boolean {
  return data.records.length > 0 || data.errorCode !== 0 || data.highWatermark !== sp.sentHighWatermark ||
    data.lastStableOffset !== sp.sentLastStableOffset || data.logStartOffset !== sp.sentLogStartOffset
}

type Resolved = { session: FetchSession | null; partitions: SessionPartition[]; full: boolean } | { errorCode: number }

function newPartition(cluster: ClusterState, byId: boolean, t: { topic?: string; topicId?: string }, p: FetchRequest['topics'][number]['partitions'][number]): SessionPartition {
  const topic = byId ? cluster.topicsById.get(t.topicId ?? '') : cluster.topics.get(t.topic ?? '')
  return {
    topicName: topic?.name ?? t.topic ?? '',
    topicId: topic?.topicId ?? t.topicId ?? ZERO_UUID,
    partition: p.partition,
    fetchOffset: p.fetchOffset,
    maxBytes: p.partitionMaxBytes,
    currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
    sentHighWatermark: -1n,
    sentLastStableOffset: -1n,
    sentLogStartOffset: -1n,
  }
}

/** Applies the session rules of KIP-227 to a request: which partitions this fetch serves, and whether in full. */
function resolveSession(ctx: RequestContext, request: FetchRequest): Resolved {
  const byId = ctx.apiVersion >= 13
  const keyOf = (t: { topic?: string; topicId?: string }, partition: number) => sessionKey(byId ? t.topicId ?? '' : t.topic ?? '', partition)
  const cache = ctx.services.fetchSessions.get(ctx.broker.id)!
  const sessionId = request.sessionId ?? 0
  const epoch = ctx.apiVersion >= 7 ? request.sessionEpoch ?? -1 : -1
  if (epoch === -1 || epoch === 0) {
    // Epoch 0 replaces the named session with a new one; -1 closes it and fetches without one.
    if (sessionId !== 0) cache.remove(sessionId)
    const partitions = request.topics.flatMap((t) => t.partitions.map((p) => newPartition(ctx.cluster, byId, t, p)))
    if (epoch === -1) return { session: null, partitions, full: true }
    const session = cache.create()
    for (const sp of partitions) session.partitions.set(sessionKey(byId ? sp.topicId : sp.topicName, sp.partition), sp)
    return { session, partitions, full: true }
  }
  if (sessionId === 0) return { errorCode: ErrorCodes.INVALID_FETCH_SESSION_EPOCH }
  const session = cache.get(sessionId)
  if (session === undefined) return { errorCode: ErrorCodes.FETCH_SESSION_ID_NOT_FOUND }
  if (session.epoch !== epoch) return { errorCode: ErrorCodes.INVALID_FETCH_SESSION_EPOCH }
  for (const t of request.topics) {
    for (const p of t.partitions) {
      const key = keyOf(t, p.partition)
      const existing = session.partitions.get(key)
      if (existing === undefined) session.partitions.set(key, newPartition(ctx.cluster, byId, t, p))
      else {
        existing.fetchOffset = p.fetchOffset
        existing.maxBytes = p.partitionMaxBytes
        existing.currentLeaderEpoch = p.currentLeaderEpoch ?? -1
      }
    }
  }
  for (const f of request.forgottenTopicsData ?? []) {
    for (const partition of f.partitions) session.partitions.delete(keyOf(f, partition))
  }
  session.advance()
  return { session, partitions: [...session.partitions.values()], full: false }
}

function buildResponse(ctx: RequestContext, request: FetchRequest, resolved: { session: FetchSession | null; partitions: SessionPartition[]; full: boolean }) {
  const budget: Budget = { remaining: request.maxBytes, minOneBatch: true }
  const results: Array<{ sp: SessionPartition; data: PartitionData }> = []
  let bytes = 0
  let errors = false
  for (const sp of resolved.partitions) {
    const data = readPartition(ctx, sp, request.isolationLevel, budget)
    if (!resolved.full && !mustRespond(sp, data)) continue
    bytes += data.records.length
    if (data.errorCode !== 0) errors = true
    results.push({ sp, data })
  }
  return { results, bytes, errors }
}

function encodeTopics(ctx: RequestContext, results: Array<{ sp: SessionPartition; data: PartitionData }>) {
  const byId = ctx.apiVersion >= 13
  const topics: Array<{ topic?: string; topicId?: string; partitions: PartitionData[] }> = []
  let last: { key: string; entry: (typeof topics)[number] } | null = null
  for (const { sp, data } of results) {
    const key = byId ? sp.topicId : sp.topicName
    if (last === null || last.key !== key) {
      last = { key, entry: byId ? { topicId: sp.topicId, partitions: [] } : { topic: sp.topicName, partitions: [] } }
      topics.push(last.entry)
    }
    last.entry.partitions.push(data)
  }
  return topics
}

async function fetch(ctx: RequestContext, request: FetchRequest) {
  const resolved = resolveSession(ctx, request)
  if ('errorCode' in resolved) return { throttleTimeMs: 0, errorCode: resolved.errorCode, sessionId: 0, responses: [] }
  const deadline = Date.now() + Math.max(0, request.maxWaitMs)
  let built = buildResponse(ctx, request, resolved)
  if (built.bytes < request.minBytes && !built.errors) {
    // Long poll: look again after every change to the cluster until enough bytes, the deadline, or a closed
    // connection. One abort listener for the whole wait, so repeated wake-ups add none.
    let wakeOnAbort: (() => void) | null = null
    const onAbort = (): void => wakeOnAbort?.()
    ctx.signal.addEventListener('abort', onAbort, { once: true })
    try {
      while (built.bytes < request.minBytes && !built.errors && !ctx.signal.aborted) {
        const wait = deadline - Date.now()
        if (wait <= 0) break
        const change = ctx.cluster.nextChange()
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          change.promise,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, wait)
            wakeOnAbort = resolve
          }),
        ])
        clearTimeout(timer)
        change.cancel()
        built = buildResponse(ctx, request, resolved)
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort)
    }
  }
  const byId = ctx.apiVersion >= 13
  for (const { sp, data } of built.results) {
    sp.sentHighWatermark = data.highWatermark
    sp.sentLastStableOffset = data.lastStableOffset
    sp.sentLogStartOffset = data.logStartOffset
    // Like Kafka's incremental context, a partition that got data goes to the back of the session, so one busy
    // partition cannot take every response's byte budget.
    if (resolved.session !== null && !resolved.full && data.records.length > 0) {
      const key = sessionKey(byId ? sp.topicId : sp.topicName, sp.partition)
      resolved.session.partitions.delete(key)
      resolved.session.partitions.set(key, sp)
    }
  }
  const movedLeaders = built.results.some((r) => r.data.currentLeader !== undefined)
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: resolved.session?.id ?? 0,
    responses: encodeTopics(ctx, built.results),
    ...(movedLeaders && ctx.apiVersion >= 16 ? { nodeEndpoints: brokerList(ctx.cluster) } : {}),
  }
}

export const fetchHandlers = [
  defineHandler({
    api: 'Fetch',
    handle: fetch,
    errorResponse(ctx, request, errorCode) {
      const byId = ctx.apiVersion >= 13
      return {
        errorCode,
        sessionId: 0,
        responses: request.topics.map((t) => ({
          ...(byId ? { topicId: t.topicId ?? ZERO_UUID } : { topic: t.topic ?? '' }),
          partitions: t.partitions.map((p) => errorData(p.partition, errorCode)),
        })),
      }
    },
  }),
]
