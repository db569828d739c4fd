/**
 * The transaction coordinator: InitProducerId with a
 * transactional id (epoch bumps fence the previous producer and abort what it left open), AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit (offsets pending until the transaction ends), EndTxn (COMMIT/ABORT markers on
 * every partition of the transaction — which moves the last stable offset and the aborted list read_committed
 * fetches get — and the pending offsets committed or dropped), and the transaction timeout.
 *
 * EndTxn v5 bumps the epoch on every commit or abort, as Kafka does for that version (KIP-890 part 2). With the
 * `transaction.version` feature finalized at 2 (Kafka 4.x's default, and the fake's), Produce v12+ adds its
 * partition to the transaction and TxnOffsetCommit v5+ its group, without AddPartitionsToTxn / AddOffsetsToTxn;
 * at level 1 clients must add them first, as against an older cluster.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext } from './registry.js'
import type { TimerHandle } from './groups/clock.js'
import { tpKey, splitTpKey, type GroupCoordinator } from './groups/coordinator.js'
import { topicNameOf, validateCommit } from './groups/offsets.js'

/** transaction.max.timeout.ms */
const MAX_TRANSACTION_TIMEOUT_MS = 900_000
const MAX_EPOCH = 32767

export interface TransactionState {
  readonly transactionalId: string
  producerId: bigint
  producerEpoch: number
  /** The epoch before the last bump: a retry from it is recognised, anything older is fenced. */
  lastProducerEpoch: number
  timeoutMs: number
  state: 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort'
  readonly partitions: Set<string>
  readonly groups: Set<string>
  timer: TimerHandle | null
}

export class TransactionCoordinator {
  readonly transactions = new Map<string, TransactionState>()
  readonly #groups: GroupCoordinator

  constructor(groups: GroupCoordinator) {
    this.#groups = groups
  }

  check(ctx: RequestContext, transactionalId: string): number {
    const { broker } = ctx.cluster.coordinatorFor('transaction', transactionalId)
    if (broker === -1) return ErrorCodes.COORDINATOR_NOT_AVAILABLE
    return broker === ctx.broker.id ? 0 : ErrorCodes.NOT_COORDINATOR
  }

  /** 0, or why this producer id and epoch may not act for the transactional id. */
  validate(transactionalId: string, producerId: bigint, producerEpoch: number, fenced: number): number {
    const txn = this.transactions.get(transactionalId)
    if (txn === undefined || txn.producerId !== producerId) return ErrorCodes.INVALID_PRODUCER_ID_MAPPING
    if (producerEpoch !== txn.producerEpoch) return fenced
    return 0
  }

  /** The transaction has its first partition or group: it is Ongoing and its timeout runs. */
  begin(ctx: RequestContext, txn: TransactionState): void {
    if (txn.state === 'Ongoing') return
    txn.state = 'Ongoing'
    txn.timer?.cancel()
    txn.timer = this.#groups.clock.schedule(txn.timeoutMs, () => {
      txn.timer = null
      // Kafka aborts a transaction that outlives its timeout under a new epoch, fencing the producer that left it.
      if (txn.state === 'Ongoing') this.end(ctx, txn, false, true)
    })
  }

  /** A group's offsets join the transaction, and with them its __consumer_offsets partition, as in Kafka. */
  addGroup(ctx: RequestContext, txn: TransactionState, groupId: string): void {
    txn.groups.add(groupId)
    const { partition } = ctx.cluster.coordinatorFor('group', groupId)
    txn.partitions.add(tpKey(partition.topic.name, partition.index))
    this.begin(ctx, txn)
  }

  /** Writes the markers and settles the offsets; `bump` moves to a new epoch first and writes under it. */
  end(ctx: RequestContext, txn: TransactionState, commit: boolean, bump: boolean): void {
    txn.timer?.cancel()
    txn.timer = null
    if (bump) this.bump(ctx, txn)
    for (const key of txn.partitions) {
      const { topic, partition } = splitTpKey(key)
      const p = ctx.cluster.partition(topic, partition)
      if (p === undefined) continue
      p.log.appendControl({ producerId: txn.producerId, producerEpoch: txn.producerEpoch, type: commit ? 'commit' : 'abort', coordinatorEpoch: 0, leaderEpoch: p.leaderEpoch })
      // The marker carries the epoch; the partition's producer state follows it, fencing older epochs there too.
      const entry = p.log.producers.get(txn.producerId)
      if (entry !== undefined && entry.epoch < txn.producerEpoch) p.log.producers.set(txn.producerId, { epoch: txn.producerEpoch, batches: [] })
    }
    for (const groupId of txn.groups) this.#groups.completeTransaction(groupId, txn.producerId, commit)
    txn.partitions.clear()
    txn.groups.clear()
    txn.state = commit ? 'CompleteCommit' : 'CompleteAbort'
    ctx.cluster.notify()
  }

  bump(ctx: RequestContext, txn: TransactionState): void {
    if (txn.producerEpoch + 1 >= MAX_EPOCH) {
      // An exhausted epoch means a new producer id, as Kafka allocates one.
      txn.producerId = ctx.cluster.allocateProducerId()
      txn.lastProducerEpoch = -1
      txn.producerEpoch = 0
      return
    }
    txn.lastProducerEpoch = txn.producerEpoch
    txn.producerEpoch++
  }

  stop(): void {
    for (const txn of this.transactions.values()) txn.timer?.cancel()
  }
}

function coordinatorOf(ctx: RequestContext): TransactionCoordinator {
  return ctx.services.transactions
}

/** The finalized transaction.version (FakeServices.features), 0 when none is reported. */
export function transactionVersion(ctx: RequestContext): number {
  return ctx.services.features.find((f) => f.name === 'transaction.version')?.level ?? 0
}

function fencedCode(ctx: RequestContext, fromVersion: number): number {
  return ctx.apiVersion >= fromVersion ? ErrorCodes.PRODUCER_FENCED : ErrorCodes.INVALID_PRODUCER_EPOCH
}

/** The Produce hook: a transactional batch must come from the current epoch, for a partition in the transaction. */
export function checkTransactionalBatch(ctx: RequestContext, batch: { transactionalId: string | null; producerId: bigint; producerEpoch: number; topic: string; partition: number }): number {
  const txn = coordinatorOf(ctx).transactions.get(batch.transactionalId ?? '')
  if (txn === undefined || txn.producerId !== batch.producerId) return ErrorCodes.INVALID_PRODUCER_ID_MAPPING
  if (batch.producerEpoch < txn.producerEpoch) return ErrorCodes.INVALID_PRODUCER_EPOCH
  if (batch.producerEpoch === txn.producerEpoch && ctx.apiVersion >= 12 && transactionVersion(ctx) >= 2) {
    // KIP-890 part 2: the Produce itself adds the partition (and starts the transaction if none is open).
    txn.partitions.add(tpKey(batch.topic, batch.partition))
    coordinatorOf(ctx).begin(ctx, txn)
    return 0
  }
  if (txn.state !== 'Ongoing' || !txn.partitions.has(tpKey(batch.topic, batch.partition))) {
    return ctx.apiVersion >= 11 ? ErrorCodes.TRANSACTION_ABORTABLE : ErrorCodes.INVALID_TXN_STATE
  }
  return 0
}

type AddTopic = { name: string; partitions: number[] }
type AddResult = { name: string; resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }

function addPartitions(ctx: RequestContext, transactionalId: string, producerId: bigint, producerEpoch: number, topics: AddTopic[], verifyOnly: boolean): AddResult[] {
  const tc = coordinatorOf(ctx)
  const all = (code: number): AddResult[] => topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) }))
  const refused = tc.check(ctx, transactionalId) || tc.validate(transactionalId, producerId, producerEpoch, fencedCode(ctx, 2))
  if (refused !== 0) return all(refused)
  const txn = tc.transactions.get(transactionalId)!
  if (verifyOnly) {
    return topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: txn.state === 'Ongoing' && txn.partitions.has(tpKey(t.name, p)) ? 0 : ErrorCodes.INVALID_TXN_STATE })),
    }))
  }
  const unknown = topics.some((t) => t.partitions.some((p) => ctx.cluster.partition(t.name, p) === undefined))
  if (unknown) {
    return topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: ctx.cluster.partition(t.name, p) === undefined ? ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION : ErrorCodes.OPERATION_NOT_ATTEMPTED })),
    }))
  }
  for (const t of topics) for (const p of t.partitions) txn.partitions.add(tpKey(t.name, p))
  tc.begin(ctx, txn)
  return all(0)
}

export const transactionHandlers = [
  defineHandler({
    api: 'InitProducerId',
    handle(ctx, req) {
      const answer = (errorCode: number, producerId = -1n, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch })
      const givenId = req.producerId ?? -1n
      const givenEpoch = req.producerEpoch ?? -1
      if (req.transactionalId === null) {
        // KIP-360: an idempotent producer may ask for a new epoch of its own id.
        if (givenId >= 0n && givenEpoch >= 0 && givenEpoch + 1 < MAX_EPOCH) return answer(0, givenId, givenEpoch + 1)
        return answer(0, ctx.cluster.allocateProducerId(), 0)
      }
      const tc = coordinatorOf(ctx)
      const refused = tc.check(ctx, req.transactionalId)
      if (refused !== 0) return answer(refused)
      if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > MAX_TRANSACTION_TIMEOUT_MS) return answer(ErrorCodes.INVALID_TRANSACTION_TIMEOUT)
      let txn = tc.transactions.get(req.transactionalId)
      if (txn === undefined) {
        txn = { transactionalId: req.transactionalId, producerId: ctx.cluster.allocateProducerId(), producerEpoch: 0, lastProducerEpoch: -1, timeoutMs: req.transactionTimeoutMs, state: 'Empty', partitions: new Set(), groups: new Set(), timer: null }
        tc.transactions.set(req.transactionalId, txn)
        return answer(0, txn.producerId, txn.producerEpoch)
      }
      if (givenId >= 0n && (givenId !== txn.producerId || (givenEpoch !== txn.producerEpoch && givenEpoch !== txn.lastProducerEpoch))) {
        return answer(fencedCode(ctx, 4))
      }
      txn.timeoutMs = req.transactionTimeoutMs
      // A new producer instance takes over: what the previous one left open is aborted under the new epoch.
      if (txn.state === 'Ongoing') tc.end(ctx, txn, false, true)
      else tc.bump(ctx, txn)
      txn.state = 'Empty'
      return answer(0, txn.producerId, txn.producerEpoch)
    },
    errorResponse: (_ctx, _req, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }),
  }),
  defineHandler({
    api: 'AddPartitionsToTxn',
    handle(ctx, req) {
      if (ctx.apiVersion <= 3) {
        const results = addPartitions(ctx, req.v3AndBelowTransactionalId ?? '', req.v3AndBelowProducerId ?? -1n, req.v3AndBelowProducerEpoch ?? -1, req.v3AndBelowTopics ?? [], false)
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results }
      }
      const resultsByTransaction = (req.transactions ?? []).map((t) => ({
        transactionalId: t.transactionalId,
        topicResults: addPartitions(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
      }))
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction }
    },
    errorResponse(ctx, req, errorCode) {
      const all = (topics: AddTopic[]): AddResult[] => topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })) }))
      if (ctx.apiVersion <= 3) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: all(req.v3AndBelowTopics ?? []) }
      return { throttleTimeMs: 0, errorCode, resultsByTransaction: [] }
    },
  }),
  defineHandler({
    api: 'AddOffsetsToTxn',
    handle(ctx, req) {
      const tc = coordinatorOf(ctx)
      const refused = tc.check(ctx, req.transactionalId) || tc.validate(req.transactionalId, req.producerId, req.producerEpoch, fencedCode(ctx, 2))
      if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused }
      tc.addGroup(ctx, tc.transactions.get(req.transactionalId)!, req.groupId)
      return { throttleTimeMs: 0, errorCode: 0 }
    },
    errorResponse: (_ctx, _req, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  }),
  defineHandler({
    api: 'TxnOffsetCommit',
    handle(ctx, req) {
      const coord = ctx.services.groups
      const tc = coordinatorOf(ctx)
      const byId = ctx.apiVersion >= 6
      const txn = tc.transactions.get(req.transactionalId)
      let refused = coord.check(ctx, req.groupId)
      if (refused === 0 && (txn === undefined || txn.producerId !== req.producerId)) refused = ErrorCodes.INVALID_PRODUCER_ID_MAPPING
      else if (refused === 0 && req.producerEpoch !== txn!.producerEpoch) refused = ErrorCodes.INVALID_PRODUCER_EPOCH
      else if (refused === 0 && ctx.apiVersion >= 5 && transactionVersion(ctx) >= 2) {
        // KIP-890 part 2: TxnOffsetCommit v5 does AddOffsetsToTxn's part itself.
        tc.addGroup(ctx, txn!, req.groupId)
      } else if (refused === 0 && (txn!.state !== 'Ongoing' || !txn!.groups.has(req.groupId))) refused = ctx.apiVersion >= 4 ? ErrorCodes.TRANSACTION_ABORTABLE : ErrorCodes.INVALID_TXN_STATE
      if (refused === 0) refused = validateCommit(coord, req.groupId, req.memberId ?? '', req.groupInstanceId ?? null, req.generationIdOrMemberEpoch ?? -1, true)
      const now = coord.clock.now()
      const topics = req.topics.map((t) => {
        const name = topicNameOf(ctx, byId, t)
        return {
          ...(byId ? { topicId: t.topicId } : { name: t.name }),
          partitions: t.partitions.map((p) => {
            if (refused !== 0) return { partitionIndex: p.partitionIndex, errorCode: refused }
            if (name === null) return { partitionIndex: p.partitionIndex, errorCode: ErrorCodes.UNKNOWN_TOPIC_ID }
            let byProducer = coord.pendingTxnOffsets.get(req.groupId)
            if (byProducer === undefined) coord.pendingTxnOffsets.set(req.groupId, (byProducer = new Map()))
            let pending = byProducer.get(req.producerId)
            if (pending === undefined) byProducer.set(req.producerId, (pending = new Map()))
            pending.set(tpKey(name, p.partitionIndex), { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata ?? '', commitTimestamp: now })
            return { partitionIndex: p.partitionIndex, errorCode: 0 }
          }),
        }
      })
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(ctx, req, errorCode) {
      const byId = ctx.apiVersion >= 6
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ ...(byId ? { topicId: t.topicId } : { name: t.name }), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
    },
  }),
  defineHandler({
    api: 'EndTxn',
    handle(ctx, req) {
      const tc = coordinatorOf(ctx)
      const answer = (errorCode: number, producerId = -1n, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch })
      const bumps = ctx.apiVersion >= 5
      const txn = tc.transactions.get(req.transactionalId)
      // With per-transaction bumps, a retried EndTxn comes with the epoch the first one replaced.
      const retry = bumps && txn !== undefined && txn.producerId === req.producerId && req.producerEpoch === txn.lastProducerEpoch && txn.state === (req.committed ? 'CompleteCommit' : 'CompleteAbort')
      if (retry) return answer(0, txn.producerId, txn.producerEpoch)
      const refused = tc.check(ctx, req.transactionalId) || tc.validate(req.transactionalId, req.producerId, req.producerEpoch, fencedCode(ctx, 2))
      if (refused !== 0) return answer(refused)
      const t = txn!
      if (t.state === 'Ongoing') {
        tc.end(ctx, t, req.committed, bumps)
        return bumps ? answer(0, t.producerId, t.producerEpoch) : answer(0)
      }
      // A retry of an EndTxn that already completed is a success; the opposite outcome, or no transaction, is not.
      if (!bumps && t.state === (req.committed ? 'CompleteCommit' : 'CompleteAbort')) return answer(0)
      return answer(ErrorCodes.INVALID_TXN_STATE)
    },
    errorResponse: (_ctx, _req, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }),
  }),
]
