/**
 * One `run()`'s samsa consumer: KafkaJS's settings as samsa's options (classic protocol, KafkaJS's assigners), and
 * samsa's group, commit, fetch and rebalance events as KafkaJS's instrumentation events.
 */
import type { Kafka as SamsaKafka } from '../kafka.js'
import type { Consumer as SamsaConsumer } from '../consumer/consumer.js'
import type { GroupEvent, TopicPartition } from '../consumer/types.js'
import { assignerCluster, PartitionAssigners, toProtocolAssignor } from './assigners.js'
import type { InstrumentationEmitter } from './instrumentation.js'
import type { Logger } from './logger.js'
import type { OffsetBook } from './consumer-runner.js'
import { consumerEvents, type ConsumerConfig, type ConsumerRunConfig, type IMemberAssignment } from './consumer-types.js'

export interface NativeConsumerHost {
  groupId: string
  config: ConsumerConfig
  run: ConsumerRunConfig
  /** Every subscribed topic with its fromBeginning. */
  topics: Map<string, { fromBeginning: boolean }>
  /** The topics this member joins with. */
  subscribed: string[]
  logger: Logger
  emitter: InstrumentationEmitter
  offsets: OffsetBook
  /** Partitions newly assigned (before their positions are looked up). */
  assigned(partitions: TopicPartition[]): void
}

export function createNativeConsumer(kafka: SamsaKafka, host: NativeConsumerHost): SamsaConsumer {
  const { config: c, run, groupId, subscribed, emitter, logger } = host
  const cluster = assignerCluster(kafka.cluster, () => [...host.topics.keys()])
  const subscribedSet = new Set(subscribed)
  // Assigned topics the member did not subscribe to, reported with the join that brought them (as KafkaJS does).
  let unsubscribed: { assignedTopics: string[]; topicsNotSubscribed: string[] } | null = null
  const keepTopics = (assignedTopics: string[]): Set<string> => {
    const topicsNotSubscribed = assignedTopics.filter((t) => !subscribedSet.has(t))
    unsubscribed = topicsNotSubscribed.length > 0 ? { assignedTopics, topicsNotSubscribed } : null
    return subscribedSet
  }
  const assigners = (c.partitionAssigners ?? [PartitionAssigners.roundRobin]).map((create) =>
    toProtocolAssignor(create({ cluster, groupId, logger }), cluster, keepTopics),
  )
  // KafkaJS's fromBeginning is per topic; samsa's reset policy is per consumer: any fromBeginning topic decides.
  const fromBeginning = subscribed.some((t) => host.topics.get(t)?.fromBeginning)
  const native = kafka.consumer({
    groupId,
    groupProtocol: 'classic',
    partitionAssignmentStrategy: assigners,
    sessionTimeoutMs: c.sessionTimeout ?? 30_000,
    heartbeatIntervalMs: c.heartbeatInterval ?? 3_000,
    maxPollIntervalMs: c.rebalanceTimeout ?? 60_000,
    enableAutoCommit: run.autoCommit ?? true,
    autoCommitIntervalMs: run.autoCommitInterval ?? 5_000,
    autoOffsetReset: fromBeginning ? 'earliest' : 'latest',
    isolationLevel: c.readUncommitted ? 'read_uncommitted' : 'read_committed',
    fetchMinBytes: c.minBytes ?? 1,
    // samsa's fetchMaxBytes also bounds what is buffered: KafkaJS's 10 MiB default would stall prefetching, so
    // without an explicit maxBytes samsa's 50 MiB applies.
    fetchMaxBytes: c.maxBytes ?? 52_428_800,
    // One Fetch is in flight per broker: a long poll for partitions at their end holds up those that have data
    // again, so the broker's wait is capped at samsa's 500 ms (idle members just ask a little more often).
    fetchMaxWaitMs: Math.min(c.maxWaitTimeInMs ?? 5_000, 500),
    maxPartitionFetchBytes: c.maxBytesPerPartition ?? 1_048_576,
    clientRack: c.rackId || undefined,
  })

  const onGroup = (event: GroupEvent): void => {
    if (event.type === 'heartbeat') {
      emitter.emit(consumerEvents.HEARTBEAT, { groupId, memberId: event.memberId, groupGenerationId: event.generationId })
      return
    }
    if (event.type === 'rebalancing') {
      logger.warn('The group is rebalancing, re-joining', { groupId, memberId: event.memberId })
      emitter.emit(consumerEvents.REBALANCING, { groupId, memberId: event.memberId })
      return
    }
    const dropped = unsubscribed
    unsubscribed = null
    if (dropped) {
      const payload = { groupId, generationId: event.generationId, memberId: event.memberId, ...dropped, topicsSubscribed: subscribed }
      emitter.emit(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS, payload)
      logger.warn('Consumer group received unsubscribed topics', payload)
    }
    const memberAssignment: IMemberAssignment = {}
    for (const { topic, partition } of event.assigned) (memberAssignment[topic] ??= []).push(partition)
    const payload = {
      groupId,
      memberId: event.memberId,
      leaderId: event.leaderId,
      isLeader: event.leaderId === event.memberId,
      memberAssignment,
      groupProtocol: event.protocol ?? '',
      duration: event.durationMs,
    }
    emitter.emit(consumerEvents.GROUP_JOIN, payload)
    logger.info('Consumer has joined the group', payload)
  }

  native.on('group', onGroup)
  native.on('rebalance', (event) => {
    if (event.type === 'assigned') return host.assigned(event.partitions)
    for (const { topic, partition } of event.partitions) host.offsets.forget(topic, partition)
  })
  native.on('commit', (event) => {
    for (const o of event.offsets) host.offsets.markCommitted(o.topic, o.partition, o.offset)
    if (!emitter.listening(consumerEvents.COMMIT_OFFSETS)) return
    // KafkaJS's runtime shape: the partition as a string (see ConsumerCommitOffsetsEvent).
    const byTopic = new Map<string, Array<{ partition: string; offset: string }>>()
    for (const o of event.offsets) {
      let list = byTopic.get(o.topic)
      if (!list) byTopic.set(o.topic, (list = []))
      list.push({ partition: String(o.partition), offset: String(o.offset) })
    }
    emitter.emit(consumerEvents.COMMIT_OFFSETS, {
      groupId,
      memberId: event.memberId,
      groupGenerationId: event.generationId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    })
  })
  // One event per Fetch, not per message: cheap enough to wire always, so listeners added during run() hear them.
  // nodeId is a string at runtime, as KafkaJS's (see ConsumerFetchEvent).
  native.on('fetch', (event) => {
    if (event.type === 'start') emitter.emit(consumerEvents.FETCH_START, { nodeId: String(event.nodeId) })
    else emitter.emit(consumerEvents.FETCH, { numberOfBatches: event.partitions, duration: Math.round(event.durationMs), nodeId: String(event.nodeId) })
  })
  return native
}

/**
 * KafkaJS's fetch loop runs per broker even when the member has nothing to fetch there (an empty assignment, every
 * partition paused): it waits maxWaitTimeInMs and reports an empty fetch, so FETCH_START / FETCH keep coming from
 * an idle member. samsa sends no Fetch then; this reports the same idle rounds for brokers samsa has not fetched
 * from in the last round. Returns the function that stops it.
 */
export function reportIdleFetches(kafka: SamsaKafka, native: SamsaConsumer, emitter: InstrumentationEmitter, maxWaitTimeInMs: number): () => void {
  // A floor keeps a tiny maxWaitTimeInMs from turning into a busy timer.
  const every = Math.max(100, Math.min(maxWaitTimeInMs, 5_000))
  const inFlight = new Set<number>()
  const lastFetch = new Map<number, number>()
  native.on('fetch', (event) => {
    if (event.type === 'start') inFlight.add(event.nodeId)
    else inFlight.delete(event.nodeId)
    lastFetch.set(event.nodeId, Date.now())
  })
  const timer = setInterval(() => {
    if (!emitter.listening(consumerEvents.FETCH) && !emitter.listening(consumerEvents.FETCH_START)) return
    const now = Date.now()
    for (const { nodeId } of kafka.cluster.brokers()) {
      if (inFlight.has(nodeId) || now - (lastFetch.get(nodeId) ?? 0) < every) continue
      emitter.emit(consumerEvents.FETCH_START, { nodeId: String(nodeId) })
      emitter.emit(consumerEvents.FETCH, { numberOfBatches: 0, duration: every, nodeId: String(nodeId) })
    }
  }, every)
  timer.unref()
  return () => clearInterval(timer)
}
