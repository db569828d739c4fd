/**
 * Transactions and producers: the producer state of partitions (at their leaders), transactions listed across
 * every broker or described at their coordinators, aborting a hanging transaction (a marker written at the
 * partition leader), and fencing transactional producers (an epoch bump at the coordinator).
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import {
  type AdminCallOptions,
  type AdminContext,
  allBrokerIds,
  byTopic,
  isProtocolError,
  itemError,
  partitionKey,
  send,
  sendToCoordinators,
  sendToLeaders,
  type TopicPartition,
} from './internal.js'

export interface ProducerState {
  producerId: bigint
  producerEpoch: number
  /** -1 when unknown. */
  lastSequence: number
  /** Timestamp (ms) of the producer's last write; -1 when unknown. */
  lastTimestamp: number
  coordinatorEpoch: number
  /** First offset of the producer's open transaction on this partition; -1n when none is open. */
  currentTransactionStartOffset: bigint
}

export interface PartitionProducers extends TopicPartition {
  activeProducers: ProducerState[]
  error: KafkaProtocolError | null
}

export interface ListTransactionsOptions extends AdminCallOptions {
  /** e.g. `['Ongoing', 'PrepareCommit']`. */
  states?: string[]
  producerIds?: bigint[]
  /** Only transactions running longer than this (ListTransactions v1+). */
  durationMs?: number
  /** Only transactional ids matching this Java regular expression (ListTransactions v2+, KIP-1152). */
  transactionalIdPattern?: string
}

export interface TransactionListing {
  transactionalId: string
  producerId: bigint
  state: string
}

export interface TransactionDescription {
  transactionalId: string
  /** e.g. `Empty`, `Ongoing`, `PrepareCommit`, `CompleteAbort`. */
  state: string
  timeoutMs: number
  /** When the open transaction started (ms); -1 when none is open. */
  startTimeMs: number
  producerId: bigint
  producerEpoch: number
  /** Partitions in the open transaction. */
  topicPartitions: TopicPartition[]
  error: KafkaProtocolError | null
}

export interface AbortTransactionSpec extends TopicPartition {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
}

export interface FenceProducersOptions extends AdminCallOptions {
  /** Transaction timeout given with the epoch bump. Default 60 000. */
  transactionTimeoutMs?: number
}

export interface FencedProducer {
  transactionalId: string
  /** The producer id and the new (fencing) epoch; -1n / -1 on error. */
  producerId: bigint
  producerEpoch: number
  error: KafkaProtocolError | null
}

export async function describeProducers(ctx: AdminContext, partitions: TopicPartition[], options: AdminCallOptions = {}): Promise<PartitionProducers[]> {
  if (partitions.length === 0) return []
  return sendToLeaders(
    ctx,
    partitions,
    async (nodeId, batch) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.DescribeProducers,
        { topics: byTopic(batch).map(({ topic, items }) => ({ name: topic, partitionIndexes: items.map((i) => i.partition) })) },
        { signal: options.signal },
      )
      const answers = new Map<string, PartitionProducers>()
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answers.set(partitionKey(t.name, p.partitionIndex), {
            topic: t.name,
            partition: p.partitionIndex,
            error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`, p.errorMessage),
            activeProducers: p.activeProducers.map((s) => ({
              producerId: s.producerId,
              producerEpoch: s.producerEpoch,
              lastSequence: s.lastSequence,
              lastTimestamp: Number(s.lastTimestamp),
              coordinatorEpoch: s.coordinatorEpoch,
              currentTransactionStartOffset: s.currentTxnStartOffset,
            })),
          })
        }
      }
      return answers
    },
    (item, error) => ({ topic: item.topic, partition: item.partition, activeProducers: [], error }),
  )
}

/** Transactions known to any coordinator: every broker is asked, the answers merged. */
export async function listTransactions(ctx: AdminContext, options: ListTransactionsOptions = {}): Promise<TransactionListing[]> {
  const nodes = await allBrokerIds(ctx)
  const perNode = await Promise.all(
    nodes.map((nodeId) =>
      send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.ListTransactions,
        {
          stateFilters: options.states ?? [],
          producerIdFilters: options.producerIds ?? [],
          durationFilter: options.durationMs === undefined ? -1n : BigInt(options.durationMs),
          transactionalIdPattern: options.transactionalIdPattern ?? null,
        },
        {
          signal: options.signal,
          errorCode: (r) => r.errorCode,
          version: (negotiated) => {
            if (options.durationMs !== undefined && negotiated < 1) throw new KafkaError('durationMs needs ListTransactions v1 (Kafka 3.8+)')
            if (options.transactionalIdPattern !== undefined && negotiated < 2) throw new KafkaError('transactionalIdPattern needs ListTransactions v2 (Kafka 4.1+)')
            return negotiated
          },
        },
      ),
    ),
  )
  return perNode
    .flatMap((r) => r.transactionStates)
    .map((s) => ({ transactionalId: s.transactionalId, producerId: s.producerId, state: s.transactionState }))
    .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0))
}

export async function describeTransactions(ctx: AdminContext, transactionalIds: string[], options: AdminCallOptions = {}): Promise<TransactionDescription[]> {
  return sendToCoordinators(
    ctx,
    'transaction',
    transactionalIds,
    async (nodeId, batch) => {
      const response = await send(ctx, { kind: 'node', nodeId }, ApiKeys.DescribeTransactions, { transactionalIds: batch }, { signal: options.signal })
      return new Map(
        response.transactionStates.map((s) => [
          s.transactionalId,
          {
            transactionalId: s.transactionalId,
            state: s.transactionState,
            timeoutMs: s.transactionTimeoutMs,
            startTimeMs: Number(s.transactionStartTimeMs),
            producerId: s.producerId,
            producerEpoch: s.producerEpoch,
            topicPartitions: s.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
            error: itemError(s.errorCode, s.transactionalId),
          },
        ]),
      )
    },
    (transactionalId, error) => ({ transactionalId, state: 'Unknown', timeoutMs: -1, startTimeMs: -1, producerId: -1n, producerEpoch: -1, topicPartitions: [], error }),
  )
}

/**
 * Writes an abort marker for a producer's open transaction on one partition: the way out of a "hanging"
 * transaction whose coordinator no longer knows it. The ids and epochs come from `describeProducers`. Throws on error.
 */
export async function abortTransaction(ctx: AdminContext, spec: AbortTransactionSpec, options: AdminCallOptions = {}): Promise<void> {
  const [result] = await sendToLeaders(
    ctx,
    [spec],
    async (nodeId) => {
      const response = await send(
        ctx,
        { kind: 'node', nodeId },
        ApiKeys.WriteTxnMarkers,
        {
          markers: [
            {
              producerId: spec.producerId,
              producerEpoch: spec.producerEpoch,
              transactionResult: false,
              topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
              coordinatorEpoch: spec.coordinatorEpoch,
            },
          ],
        },
        { signal: options.signal },
      )
      const answers = new Map<string, { error: KafkaProtocolError | null }>()
      for (const m of response.markers) {
        for (const t of m.topics) for (const p of t.partitions) answers.set(partitionKey(t.name, p.partitionIndex), { error: itemError(p.errorCode, `${t.name}-${p.partitionIndex}`) })
      }
      return answers
    },
    (_, error) => ({ error }),
  )
  if (result!.error) throw result!.error
}

/**
 * Fences the current producers of these transactional ids: InitProducerId at each id's coordinator bumps the epoch,
 * so the old producer's next request fails with PRODUCER_FENCED, and aborts its open transaction.
 */
export async function fenceProducers(ctx: AdminContext, transactionalIds: string[], options: FenceProducersOptions = {}): Promise<FencedProducer[]> {
  return sendToCoordinators(
    ctx,
    'transaction',
    transactionalIds,
    async (nodeId, batch) => {
      const answers = new Map<string, FencedProducer>()
      await Promise.all(
        batch.map(async (transactionalId) => {
          try {
            const response = await send(
              ctx,
              { kind: 'node', nodeId },
              ApiKeys.InitProducerId,
              { transactionalId, transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000, producerId: -1n, producerEpoch: -1 },
              // CONCURRENT_TRANSACTIONS while the old transaction is aborted is retriable: the request path retries it.
              { signal: options.signal, errorCode: (r) => r.errorCode },
            )
            answers.set(transactionalId, { transactionalId, producerId: response.producerId, producerEpoch: response.producerEpoch, error: null })
          } catch (error) {
            if (!isProtocolError(error)) throw error
            answers.set(transactionalId, { transactionalId, producerId: -1n, producerEpoch: -1, error })
          }
        }),
      )
      return answers
    },
    (transactionalId, error) => ({ transactionalId, producerId: -1n, producerEpoch: -1, error }),
  )
}
