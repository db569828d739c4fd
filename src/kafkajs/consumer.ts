/**
 * KafkaJS's consumer over samsa's. Every `run()` (and every restart after a crash) is one samsa consumer in the
 * classic group protocol, with KafkaJS's assigners speaking KafkaJS's bytes, so facade members and KafkaJS members
 * can share a group during a migration. The engine that calls the handlers is `consumer-runner.ts`.
 *
 * Kept from samsa underneath: a member commits only offsets whose handlers finished, and never for a partition it
 * no longer owns; processed offsets are committed when partitions are revoked and on stop; stop() waits for a
 * handler at most rebalanceTimeout; what samsa's consumer reports as fatal (an unreachable coordinator, an invalid
 * topic) ends in a CRASH event instead of a member that looks alive and consumes nothing.
 */
import type { Kafka as SamsaKafka } from '../kafka.js'
import type { Consumer as SamsaConsumer } from '../consumer/consumer.js'
import { listTopicNames } from '../consumer/offsets.js'
import { request } from '../consumer/request.js'
import type { GroupEvent, TopicPartition } from '../consumer/types.js'
import { ApiKeys } from '../protocol/index.js'
import { createNativeConsumer, reportIdleFetches } from './consumer-native.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import { InstrumentationEmitter, type RemoveInstrumentationEventListener } from './instrumentation.js'
import type { FacadeContext } from './kafka.js'
import type { Logger } from './logger.js'
import { networkEvents } from './network-events.js'
import { OffsetBook, Runner, type ResolvedRetry } from './consumer-runner.js'
import {
  consumerEvents,
  type ConsumerConfig,
  type ConsumerEventMap,
  type ConsumerEvents,
  type ConsumerGroupState,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopic,
  type ConsumerSubscribeTopics,
  type GroupDescription,
  type IMemberAssignment,
  type Offsets,
  type TopicPartitionOffset,
  type TopicPartitionOffsetAndMetadata,
  type TopicPartitions,
} from './consumer-types.js'

export type { ConsumerConfig } from './consumer-types.js'

const EARLIEST = -2n
const LATEST = -1n

function toOffset(offset: unknown): bigint {
  try {
    if (typeof offset === 'bigint') return offset
    if (typeof offset === 'number' && Number.isInteger(offset)) return BigInt(offset)
    if (typeof offset === 'string' && /^-?\d+$/.test(offset.trim())) return BigInt(offset.trim())
  } catch {
    // falls through to the error below
  }
  throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`)
}

function checkTopicPartition(topic: unknown, partition: unknown): void {
  if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`)
  if (typeof partition !== 'number' || isNaN(partition)) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${String(partition)}`)
}

function originalCause(error: Error & { cause?: unknown }): Error & { retriable?: boolean } {
  return error.cause instanceof Error ? originalCause(error.cause) : error
}

export class Consumer {
  readonly #context: FacadeContext
  readonly #config: ConsumerConfig
  readonly #groupId: string
  readonly #logger: Logger
  readonly #emitter = new InstrumentationEmitter(consumerEvents, 'consumer')
  readonly #retry: ConsumerConfig['retry'] & ResolvedRetry
  readonly events: ConsumerEvents = consumerEvents
  #kafka: SamsaKafka | null = null
  readonly #topics = new Map<string, { fromBeginning: boolean }>()
  #native: SamsaConsumer | null = null
  #runner: Runner | null = null
  /**
   * Set synchronously by run() (and by a restart), cleared by stop(): as in KafkaJS, whose run() creates the group
   * before its first await, seek() and pause() work right after a run() that is not awaited.
   */
  #runRequested = false
  #runConfig: ConsumerRunConfig | null = null
  #restartTimer: NodeJS.Timeout | null = null
  #stopIdleFetches: (() => void) | null = null
  #stopping: Promise<void> | null = null
  readonly #offsets = new OffsetBook()
  readonly #pausedTopics = new Set<string>()
  readonly #pausedPartitions = new Set<string>()
  readonly #pendingSeeks = new Map<string, { topic: string; partition: number; offset: bigint }>()

  constructor(context: FacadeContext, config: ConsumerConfig) {
    if (!config || !config.groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
    const sessionTimeout = config.sessionTimeout ?? 30_000
    const heartbeatInterval = config.heartbeatInterval ?? 3_000
    if (heartbeatInterval >= sessionTimeout) {
      throw new KafkaJSNonRetriableError(
        `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
      )
    }
    this.#context = context
    this.#config = config
    this.#groupId = config.groupId
    this.#logger = context.logger.namespace('Consumer')
    const retry = context.retry(config.retry)
    this.#retry = {
      ...retry,
      retries: retry.retries ?? 5,
      initialRetryTime: retry.initialRetryTime ?? 300,
      maxRetryTime: retry.maxRetryTime ?? 30_000,
      multiplier: retry.multiplier ?? 2,
      factor: retry.factor ?? 0.2,
    }
  }

  async connect(): Promise<void> {
    await this.#connected()
    this.#emitter.emit(consumerEvents.CONNECT, null)
  }

  async #connected(): Promise<SamsaKafka> {
    if (this.#kafka) return this.#kafka
    const requestObserver = networkEvents(this.#emitter, consumerEvents, this.#context.clientId)
    const kafka = await this.#context.connect(this.#config.retry, { requestObserver })
    try {
      await kafka.cluster.refreshMetadata([])
    } catch (error) {
      await kafka.close()
      throw toKafkaJSError(error)
    }
    this.#kafka = kafka
    return kafka
  }

  async disconnect(): Promise<void> {
    try {
      await this.stop()
      const kafka = this.#kafka
      this.#kafka = null
      if (kafka) await kafka.close()
      this.#emitter.emit(consumerEvents.DISCONNECT, null)
    } catch (error) {
      const err = toKafkaJSError(error)
      this.#logger.error(`Caught error when disconnecting the consumer: ${err.message}`, { stack: err.stack, groupId: this.#groupId })
      throw err
    }
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.#runRequested) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running')
    const { topic, topics, fromBeginning = false } = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>
    if (!topic && !topics) throw new KafkaJSNonRetriableError('Missing required argument "topics"')
    if (topics != null && !Array.isArray(topics)) throw new KafkaJSNonRetriableError('Argument "topics" must be an array')
    const list = topics ?? [topic!]
    for (const item of list) {
      if (typeof item !== 'string' && !(item instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(item)} (${typeof item}), the topic name has to be a String or a RegExp`)
      }
    }
    // As KafkaJS: a RegExp subscribes to the topics that match it now.
    let names: string[] | null = null
    if (list.some((item) => item instanceof RegExp)) {
      const kafka = await this.#connected()
      try {
        names = await listTopicNames(kafka.cluster)
      } catch (error) {
        throw toKafkaJSError(error)
      }
    }
    for (const item of list) {
      const matched = item instanceof RegExp ? names!.filter((name) => item.test(name)) : [item]
      for (const name of matched) this.#topics.set(name, { fromBeginning })
    }
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.#runRequested) {
      this.#logger.warn('consumer#run was called, but the consumer is already running', { groupId: this.#groupId })
      return
    }
    this.#runRequested = true
    this.#runConfig = config
    await this.#start()
  }

  async #start(): Promise<void> {
    this.#restartTimer = null
    this.#runRequested = true
    const config = this.#runConfig!
    this.#logger.info('Starting', { groupId: this.#groupId })
    let kafka: SamsaKafka
    try {
      kafka = await this.#connected()
    } catch (error) {
      return this.#crash(toKafkaJSError(error))
    }
    // stop() while connecting: nothing to start.
    if (!this.#runRequested) return
    this.#emitter.emit(consumerEvents.CONNECT, null)
    const subscribed = [...this.#topics.keys()]
    const native = createNativeConsumer(kafka, {
      groupId: this.#groupId,
      config: this.#config,
      run: config,
      topics: this.#topics,
      subscribed,
      logger: this.#logger,
      emitter: this.#emitter,
      offsets: this.#offsets,
      assigned: (partitions) => this.#assigned(native, partitions),
    })
    const autoCommit = config.autoCommit ?? true
    const runner = new Runner({
      native,
      groupId: this.#groupId,
      clientId: this.#context.clientId,
      logger: this.#logger.namespace('Runner'),
      emitter: this.#emitter,
      retry: this.#retry,
      eachMessage: config.eachMessage ?? null,
      eachBatch: config.eachBatch ?? (config.eachMessage ? null : async () => {}),
      eachBatchAutoResolve: config.eachMessage || config.eachBatch ? (config.eachBatchAutoResolve ?? true) : false,
      autoCommit,
      autoCommitInterval: config.autoCommitInterval ?? null,
      autoCommitThreshold: config.autoCommitThreshold ?? null,
      concurrency: config.partitionsConsumedConcurrently ?? 1,
      offsets: this.#offsets,
      commit: (offsets) => this.#commit(native, offsets),
      heartbeat: async () => {},
      pause: (topic, partition) => {
        this.pause([{ topic, partitions: [partition] }])
        return () => this.resume([{ topic, partitions: [partition] }])
      },
      isPaused: (topic, partition) => this.#isPaused(topic, partition),
    })
    this.#native = native
    this.#runner = runner
    this.#stopIdleFetches = reportIdleFetches(kafka, native, this.#emitter, this.#config.maxWaitTimeInMs ?? 5_000)
    const joined = new Promise<void>((resolve) => {
      const onGroup = (event: GroupEvent): void => {
        if (event.type !== 'joined') return
        native.off('group', onGroup)
        resolve()
      }
      native.on('group', onGroup)
    })
    runner.done.then(
      () => undefined,
      (error: Error) => {
        if (this.#runner === runner) void this.#crash(error)
      },
    )
    // Eager rebalances revoke everything before the member rejoins: samsa commits what is processed after
    // onRevoked, so the messages in process are let finish first (as KafkaJS and Java do), and the next owner does
    // not get them again. Bounded by rebalanceTimeout, the time the group gives members to rejoin.
    const revokeBound = this.#config.rebalanceTimeout ?? 60_000
    native.on('rebalance', (event) => {
      if (event.type !== 'assigned') runner.released(event.partitions)
    })
    try {
      await native.subscribe(subscribed, { onRevoked: (partitions) => runner.finishRevoked(partitions, revokeBound) })
    } catch (error) {
      return this.#crash(toKafkaJSError(error))
    }
    // run() resolves once the member has joined (as KafkaJS's), or once the run has crashed trying.
    await Promise.race([joined, runner.done.catch(() => undefined)])
  }

  /** Newly assigned partitions: pauses and seeks made before they arrived apply now. */
  #assigned(native: SamsaConsumer, partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const key = `${topic}|${partition}`
      if (this.#isPaused(topic, partition)) native.pause([{ topic, partition }])
      const seek = this.#pendingSeeks.get(key)
      if (seek) {
        this.#pendingSeeks.delete(key)
        this.#applySeek(native, seek)
      }
    }
  }

  async #crash(error: Error & { retryCount?: number; retryTime?: number }): Promise<void> {
    this.#logger.error(`Crash: ${error.name}: ${error.message}`, { groupId: this.#groupId, retryCount: error.retryCount, stack: error.stack })
    try {
      await this.disconnect()
    } catch {
      // disconnect() logged it; the crash is what the application hears about
    }
    const retriable = error.name === 'KafkaJSNumberOfRetriesExceeded' || originalCause(error).retriable === true
    const restartOnFailure = this.#retry.restartOnFailure
    const restart =
      retriable &&
      (!restartOnFailure ||
        (await restartOnFailure(error).catch((callbackError: unknown) => {
          this.#logger.error('Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.', {
            error: callbackError instanceof Error ? callbackError.message : String(callbackError),
            cause: error.message,
            groupId: this.#groupId,
          })
          return true
        })))
    this.#emitter.emit(consumerEvents.CRASH, { error, groupId: this.#groupId, restart })
    if (!restart) return
    const wait = error.retryTime ?? this.#retry.initialRetryTime
    this.#logger.error(`Restarting the consumer in ${wait}ms`, { retryCount: error.retryCount, retryTime: wait, groupId: this.#groupId })
    this.#restartTimer = setTimeout(() => void this.#start(), wait)
  }

  /** Stops the run: the message in process finishes, processed offsets are committed, the member leaves the group. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop().finally(() => (this.#stopping = null))
    return this.#stopping
  }

  async #stop(): Promise<void> {
    if (this.#restartTimer) clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    this.#runRequested = false
    this.#stopIdleFetches?.()
    this.#stopIdleFetches = null
    const runner = this.#runner
    const native = this.#native
    if (runner && native) {
      this.#runner = null
      this.#native = null
      // KafkaJS waits for the handler however long it takes; samsa bounds it by the rebalance timeout, after which
      // the group would have moved the partition on anyway.
      const bound = this.#config.rebalanceTimeout ?? 60_000
      if (!(await runner.stop(bound))) {
        this.#logger.warn(`A handler did not finish within ${bound} ms of stop(); its message stays uncommitted`, { groupId: this.#groupId })
      }
      try {
        await native.close()
      } catch (error) {
        const err = toKafkaJSError(error)
        this.#logger.error(`Caught error when stopping the consumer: ${err.message}`, { stack: err.stack, groupId: this.#groupId })
        throw err
      }
      this.#emitter.emit(consumerEvents.STOP, null)
    }
    this.#logger.info('Stopped', { groupId: this.#groupId })
  }

  async #commit(native: SamsaConsumer, offsets?: Offsets): Promise<void> {
    try {
      if (!offsets) return await native.commit()
      // Number(): uncommittedOffsets() hands partitions back as strings, as KafkaJS's does.
      const list = offsets.topics.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: Number(p.partition), offset: toOffset(p.offset) })))
      await native.commit({ offsets: list })
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const offsets = (topicPartitions ?? []).map(({ topic, partition, offset, metadata = null }) => {
      checkTopicPartition(topic, partition)
      const value = toOffset(offset)
      if (value < 0n) throw new KafkaJSNonRetriableError('Offset must not be a negative number')
      if (metadata !== null && typeof metadata !== 'string') throw new KafkaJSNonRetriableError(`Invalid offset metadata, expected string or null, received ${String(metadata)}`)
      return { topic, partition, offset: value, metadata }
    })
    const native = this.#requireRunning()
    try {
      await native.commit({ offsets })
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    checkTopicPartition(topic, partition)
    const value = toOffset(offset)
    if (value < 0n && value !== EARLIEST && value !== LATEST) throw new KafkaJSNonRetriableError('Offset must not be a negative number')
    const native = this.#requireRun()
    const target = { topic, partition, offset: value }
    if (native && native.assignment().some((tp) => tp.topic === topic && tp.partition === partition)) this.#applySeek(native, target)
    else this.#pendingSeeks.set(`${topic}|${partition}`, target)
  }

  /** Moves the partition (special offsets looked up first) and, with autoCommit, commits the new offset as KafkaJS does. */
  #applySeek(native: SamsaConsumer, { topic, partition, offset }: { topic: string; partition: number; offset: bigint }): void {
    const apply = (to: bigint): void => {
      native.seek({ topic, partition, offset: to })
      this.#offsets.forget(topic, partition)
      if (this.#runConfig?.autoCommit ?? true) {
        native.commit({ offsets: [{ topic, partition, offset: to }] }).catch((error: unknown) => this.#logger.warn('Commit after seek failed', { topic, partition, error: toKafkaJSError(error).message }))
      }
    }
    if (offset >= 0n) return apply(offset)
    const lookup = offset === EARLIEST ? native.beginningOffsets([{ topic, partition }]) : native.endOffsets([{ topic, partition }])
    lookup.then(
      ([listed]) => {
        if (listed && this.#native === native) apply(listed.offset)
      },
      (error: unknown) => this.#logger.error('Seek failed', { topic, partition, error: toKafkaJSError(error).message }),
    )
  }

  async describeGroup(): Promise<GroupDescription> {
    const kafka = await this.#connected()
    try {
      const response = await request(
        kafka.cluster,
        { kind: 'coordinator', type: 'group', key: this.#groupId },
        ApiKeys.DescribeGroups,
        { groups: [this.#groupId], includeAuthorizedOperations: false },
        { retry: { retries: this.#retry.retries } },
      )
      const group = response.groups.find((g) => g.groupId === this.#groupId)!
      return {
        errorCode: group.errorCode,
        groupId: group.groupId,
        state: group.groupState as ConsumerGroupState,
        protocolType: group.protocolType,
        protocol: group.protocolData,
        members: group.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
      } as GroupDescription
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  pause(topicPartitions: Array<{ topic: string; partitions?: number[] }> = []): void {
    this.#checkPauseArgs(topicPartitions, 'pause')
    const native = this.#requireRun()
    for (const { topic, partitions } of topicPartitions) {
      if (partitions === undefined) this.#pausedTopics.add(topic)
      else for (const p of partitions) this.#pausedPartitions.add(`${topic}|${p}`)
      native?.pause(native.assignment().filter((tp) => tp.topic === topic && (partitions === undefined || partitions.includes(tp.partition))))
    }
  }

  resume(topicPartitions: Array<{ topic: string; partitions?: number[] }> = []): void {
    this.#checkPauseArgs(topicPartitions, 'resume')
    const native = this.#requireRun()
    for (const { topic, partitions } of topicPartitions) {
      if (partitions === undefined) {
        this.#pausedTopics.delete(topic)
        for (const key of [...this.#pausedPartitions]) if (key.startsWith(`${topic}|`)) this.#pausedPartitions.delete(key)
      } else {
        for (const p of partitions) this.#pausedPartitions.delete(`${topic}|${p}`)
        // Resuming some partitions of a paused topic: the rest stay paused, one by one.
        if (this.#pausedTopics.delete(topic) && native) {
          for (const tp of native.assignment()) if (tp.topic === topic && !partitions.includes(tp.partition)) this.#pausedPartitions.add(`${topic}|${tp.partition}`)
        }
      }
      native?.resume(native.assignment().filter((tp) => tp.topic === topic && !this.#isPaused(tp.topic, tp.partition)))
    }
  }

  paused(): TopicPartitions[] {
    const native = this.#native
    if (!native) return []
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of native.assignment()) {
      if (!this.#isPaused(topic, partition)) continue
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      list.push(partition)
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
  }

  #isPaused(topic: string, partition: number): boolean {
    if (this.#pausedTopics.size === 0 && this.#pausedPartitions.size === 0) return false
    return this.#pausedTopics.has(topic) || this.#pausedPartitions.has(`${topic}|${partition}`)
  }

  #checkPauseArgs(topicPartitions: Array<{ topic: string; partitions?: number[] }>, what: 'pause' | 'resume'): void {
    for (const tp of topicPartitions) {
      if (!tp || !tp.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String((tp && tp.topic) || tp)}`)
      if (tp.partitions !== undefined && (!Array.isArray(tp.partitions) || tp.partitions.some((p) => isNaN(p)))) {
        throw new KafkaJSNonRetriableError(`Array of valid partitions required to ${what} specific partitions instead of ${String(tp.partitions)}`)
      }
    }
  }

  #requireRunning(): SamsaConsumer {
    if (!this.#native) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first')
    return this.#native
  }

  /**
   * For seek, pause and resume: samsa's consumer, or null while run() is still connecting (what they ask for is
   * kept and applied as partitions are assigned); throws before run().
   */
  #requireRun(): SamsaConsumer | null {
    if (!this.#native && !this.#runRequested) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first')
    return this.#native
  }

  on<E extends keyof ConsumerEventMap>(eventName: E, listener: (event: ConsumerEventMap[E]) => void): RemoveInstrumentationEventListener<E> {
    const call = listener as (event: unknown) => unknown
    return this.#emitter.on(eventName, (event: never) => {
      // A listener's failure is logged, never thrown into the consumer (as KafkaJS does).
      const failed = (error: unknown): void => {
        this.#logger.error(`Failed to execute listener: ${error instanceof Error ? error.message : String(error)}`, {
          eventName,
          stack: error instanceof Error ? error.stack : undefined,
        })
      }
      try {
        Promise.resolve(call(event)).catch(failed)
      } catch (error) {
        failed(error)
      }
    })
  }

  logger(): Logger {
    return this.#logger
  }
}
