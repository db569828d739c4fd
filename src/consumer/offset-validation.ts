/**
 * KIP-320 position validation after a leader change, as the Java consumer does (OffsetsForLeaderEpoch): asks the
 * new leader where the epoch of the last fetched batch ends in its log. An end below the fetch position means the
 * log was truncated under us (an unclean election) and the consumer moves back, or stops with autoOffsetReset
 * 'none'; a leader with no record of the epoch sends the partition to the reset policy; a retriable failure backs
 * the partition off as a failed fetch does. Buffered data is left alone: a move bumps the partition's generation,
 * which discards it.
 */
import { KafkaError } from '../errors.js'
import type { Cluster } from '../network/cluster.js'
import type { Logger } from '../network/instrumentation.js'
import { ApiKeys, errorFromCode } from '../protocol/index.js'
import type { FetcherHost } from './fetcher.js'
import { type PartitionState, partitionKey } from './partition-state.js'
import { request } from './request.js'

const UNDEFINED_EPOCH = -1

/** A partition to validate against `leaderEpoch`, the leader epoch metadata now has for it. */
export interface PendingValidation {
  state: PartitionState
  leaderEpoch: number
}

export interface ValidationHost extends Pick<FetcherHost, 'fatal' | 'resetOffset' | 'truncated'> {
  readonly cluster: Pick<Cluster, 'send' | 'handleRetriableError' | 'refreshMetadata'>
  readonly logger: Logger
  /** A retriable failure: the partition backs off as after a failed fetch. */
  failed(state: PartitionState, error: KafkaError): void
  /** The partition moves: the fetch session with `node` must list it again. */
  forget(node: number, state: PartitionState): void
}

/** One OffsetForLeaderEpoch to `node` for `pending`, and what its answers mean for each partition. */
export async function validatePositions(host: ValidationHost, node: number, pending: PendingValidation[]): Promise<void> {
  const sent = pending.map((p) => ({ ...p, generation: p.state.generation, fetchPosition: p.state.fetchPosition!, fetchEpoch: p.state.fetchEpoch }))
  const byTopic = new Map<string, Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>>()
  for (const p of sent) {
    let list = byTopic.get(p.state.topic)
    if (!list) byTopic.set(p.state.topic, (list = []))
    list.push({ partition: p.state.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.fetchEpoch })
  }
  const retryLater = (p: (typeof sent)[number], error: KafkaError): void => {
    p.state.awaitingValidation = false
    host.failed(p.state, error)
  }
  try {
    const response = await request(
      host.cluster,
      { kind: 'node', nodeId: node },
      ApiKeys.OffsetForLeaderEpoch,
      { replicaId: -1, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) },
      { purpose: 'default', retry: { retries: 0 } },
    )
    const answers = new Map<string, { errorCode: number; leaderEpoch: number; endOffset: bigint }>()
    for (const t of response.topics) for (const p of t.partitions) answers.set(partitionKey(t.topic, p.partition), { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch ?? UNDEFINED_EPOCH, endOffset: p.endOffset })
    for (const p of sent) {
      const state = p.state
      // Moved while the request was out (seek, reset, revoke): the new position needs no check against the old.
      if (state.revoked || state.generation !== p.generation || !state.awaitingValidation) continue
      const answer = answers.get(partitionKey(state.topic, state.partition))
      if (!answer) {
        retryLater(p, new KafkaError(`OffsetForLeaderEpoch: no answer for ${state.topic}-${state.partition}`, { retriable: true }))
        continue
      }
      if (answer.errorCode !== 0) {
        const error = errorFromCode(answer.errorCode, `OffsetForLeaderEpoch ${state.topic}-${state.partition}`)!
        if (!error.retriable) {
          state.awaitingValidation = false
          state.error = error
          host.fatal(error)
          continue
        }
        // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH / NOT_LEADER: our metadata or the broker's is behind.
        host.cluster.handleRetriableError(error, { kind: 'leader', topic: state.topic, partition: state.partition })
        retryLater(p, error)
        continue
      }
      state.awaitingValidation = false
      state.validatedLeaderEpoch = p.leaderEpoch
      state.failingSince = 0
      state.failures = 0
      if (answer.leaderEpoch === UNDEFINED_EPOCH || answer.endOffset < 0n) {
        // The leader has no record of our epoch (older than its log start): where we are cannot be checked.
        host.logger.warn({ topic: state.topic, partition: state.partition, epoch: p.fetchEpoch }, 'leader epoch unknown to the new leader; applying autoOffsetReset')
        host.resetOffset(state)
      } else if (answer.endOffset < p.fetchPosition) {
        host.forget(node, state)
        host.truncated(state, answer.endOffset, answer.leaderEpoch, 'validation')
      }
    }
  } catch (error) {
    const kafkaError = error instanceof KafkaError ? error : new KafkaError(String(error), { cause: error })
    host.logger.debug({ nodeId: node, err: kafkaError }, 'offset validation failed; retrying after a metadata refresh')
    for (const p of sent) if (p.state.generation === p.generation) retryLater(p, kafkaError)
    void host.cluster.refreshMetadata([...byTopic.keys()]).catch(() => undefined)
  }
}
