/**
 * KafkaJS's admin over samsa's native `Admin`. Every method checks its arguments as KafkaJS does, sends through the
 * native client (which routes, retries what is retriable and bounds the call), and answers in KafkaJS's shapes;
 * failures come out as the KafkaJS error classes KafkaJS would throw. Like KafkaJS's, the admin connects on first
 * use when `connect()` was not called.
 */
import type { Admin as NativeAdmin } from '../admin/admin.js'
import type { KafkaProtocolError } from '../errors.js'
import type { Kafka as SamsaKafka } from '../kafka.js'
import { aclBinding, aclFilter, acl as toAcl, aclResource, configEntry, configResourceCode, configResourceType, matchingAcl } from './admin-convert.js'
import { throwFirstError } from './admin-errors.js'
import { GroupOperations } from './admin-groups.js'
import { OffsetOperations } from './admin-offsets.js'
import type {
  AclEntry,
  AclFilter,
  AdminEvents,
  AlterConfigsResponse,
  DeleteAclResponse,
  DeleteGroupsResult,
  DescribeAclResource,
  DescribeAclResponse,
  DescribeConfigResponse,
  FetchOffsetsPartition,
  GroupDescriptions,
  GroupOverview,
  IResourceConfig,
  ITopicConfig,
  ITopicMetadata,
  ITopicPartitionConfig,
  ListPartitionReassignmentsResponse,
  OngoingTopicReassignment,
  PartitionReassignment,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  ResourceConfigQuery,
  SeekEntry,
  TopicPartitions,
} from './admin-types.js'
import * as validate from './admin-validate.js'
import { KafkaJSAggregateError, KafkaJSAlterPartitionReassignmentsError, KafkaJSCreateTopicError, protocolError, toKafkaJSError } from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './instrumentation.js'
import type { FacadeContext, RetryOptions } from './kafka.js'
import type { Logger } from './logger.js'
import { networkEvents } from './network-events.js'

export interface AdminConfig {
  retry?: RetryOptions
}

const ADMIN_EVENTS: AdminEvents = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
}

type AdminEventName = AdminEvents[keyof AdminEvents]

/** The native client of one connection; `Admin` makes one per connect and drops it on disconnect. */
interface Connected {
  kafka: SamsaKafka
  admin: NativeAdmin
}

export class Admin {
  readonly events: AdminEvents = ADMIN_EVENTS
  readonly #context: FacadeContext
  readonly #config: AdminConfig
  readonly #logger: Logger
  readonly #emitter = new InstrumentationEmitter(ADMIN_EVENTS, 'admin')
  #connection: Promise<Connected> | null = null
  readonly #groups: GroupOperations
  readonly #offsets: OffsetOperations

  constructor(context: FacadeContext, config: AdminConfig) {
    this.#context = context
    this.#config = config
    this.#logger = context.logger.namespace('Admin')
    const call = <T>(fn: (admin: NativeAdmin) => Promise<T>) => this.#call(fn)
    this.#offsets = new OffsetOperations(call, this.#logger)
    this.#groups = new GroupOperations(call, this.#offsets)
  }

  async connect(): Promise<void> {
    await this.#connected()
    this.#emitter.emit(ADMIN_EVENTS.CONNECT, null)
  }

  async disconnect(): Promise<void> {
    const connection = this.#connection
    this.#connection = null
    if (connection) {
      // A connect that failed has nothing left to close.
      const connected = await connection.catch(() => null)
      if (connected) {
        await connected.admin.close()
        await connected.kafka.close()
      }
    }
    this.#emitter.emit(ADMIN_EVENTS.DISCONNECT, null)
  }

  /** The native client, connecting first when needed; a failed connect is forgotten so the next call tries again. */
  #connected(): Promise<Connected> {
    if (!this.#connection) {
      const connection = this.#open()
      this.#connection = connection
      connection.catch(() => {
        if (this.#connection === connection) this.#connection = null
      })
    }
    return this.#connection
  }

  async #open(): Promise<Connected> {
    const requestObserver = networkEvents(this.#emitter, ADMIN_EVENTS, this.#context.clientId)
    const kafka = await this.#context.connect(this.#config.retry, { requestObserver })
    const admin = kafka.admin()
    try {
      // KafkaJS's connect fails when no broker answers; so does this one. Like KafkaJS's (its seed broker's connect,
      // under its retrier) it only opens a connection (ApiVersions, SASL) and sends nothing else: with a tiny
      // requestTimeout every extra request here is one more chance to fail a connect that KafkaJS lets succeed,
      // leaving the timeouts to the calls that follow. The default API timeout bounds the attempts.
      await kafka.cluster.withBudget({}, (budget) => budget.run(() => kafka.cluster.anyConnection('default', budget.signal)))
    } catch (error) {
      await admin.close()
      await kafka.close()
      throw toKafkaJSError(error)
    }
    return { kafka, admin }
  }

  async #call<T>(fn: (admin: NativeAdmin) => Promise<T>): Promise<T> {
    const { admin } = await this.#connected()
    try {
      return await fn(admin)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  logger(): Logger {
    return this.#logger
  }

  on(eventName: AdminEvents['CONNECT'], listener: (event: InstrumentationEvent<null>) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: AdminEvents['DISCONNECT'], listener: (event: InstrumentationEvent<null>) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: AdminEvents['REQUEST'], listener: (event: RequestEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(
    eventName: AdminEvents['REQUEST_QUEUE_SIZE'],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: AdminEvents['REQUEST_TIMEOUT'], listener: (event: RequestTimeoutEvent) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<unknown>) => void): RemoveInstrumentationEventListener<typeof eventName>
  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<typeof eventName> {
    // A listener's rejected promise must not become an unhandled rejection: KafkaJS logs it, so does this.
    return this.#emitter.on(eventName, (event: InstrumentationEvent<never>) => {
      Promise.resolve(listener(event)).catch((e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e))
        this.#logger.error(`Failed to execute listener: ${error.message}`, { eventName, stack: error.stack })
      })
    })
  }

  // ---- topics

  /** Every topic, internal ones included, as KafkaJS's metadata lists them. */
  async listTopics(): Promise<string[]> {
    const topics = await this.#call((admin) => admin.listTopics({ includeInternal: true }))
    return topics.map((t) => t.name)
  }

  /** `true` when created, `false` when every topic already existed; other failures reject with a KafkaJSAggregateError. */
  async createTopics({
    topics,
    validateOnly,
    timeout,
    waitForLeaders = true,
  }: {
    validateOnly?: boolean
    waitForLeaders?: boolean
    timeout?: number
    topics: ITopicConfig[]
  }): Promise<boolean> {
    validate.validateCreateTopics(topics)
    const results = await this.#call((admin) =>
      admin.createTopics(
        topics.map(({ topic, numPartitions, replicationFactor, replicaAssignment, configEntries }) => ({
          name: topic,
          // KafkaJS sends -1 (the broker's default) for what is left out or set to -1.
          numPartitions: numPartitions === undefined || numPartitions === -1 || replicaAssignment?.length ? undefined : numPartitions,
          replicationFactor: replicationFactor === undefined || replicationFactor === -1 || replicaAssignment?.length ? undefined : replicationFactor,
          assignments: replicaAssignment?.length ? Object.fromEntries(replicaAssignment.map(({ partition, replicas }) => [partition, replicas])) : undefined,
          configs: configEntries ? Object.fromEntries(configEntries.map(({ name, value }) => [name, value])) : undefined,
        })),
        { validateOnly, waitForLeaders, timeoutMs: timeout },
      ),
    )
    const failed = results.filter((r): r is typeof r & { error: KafkaProtocolError } => r.error !== null)
    if (failed.length === 0) return true
    if (failed.every((r) => r.error.errorName === 'TOPIC_ALREADY_EXISTS')) return false
    const errors = failed.map(({ name, error }) => {
      const converted = protocolError(error)
      const created = new KafkaJSCreateTopicError({ message: converted.message, type: converted.type, code: converted.code, retriable: converted.retriable }, name)
      created.cause = error
      return created
    })
    throw new KafkaJSAggregateError('Topic creation errors', errors)
  }

  async deleteTopics({ topics, timeout }: { topics: string[]; timeout?: number }): Promise<void> {
    validate.validateDeleteTopics(topics)
    const results = await this.#call((admin) => admin.deleteTopics(topics, { timeoutMs: timeout }))
    throwFirstError(results.slice().sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')))
  }

  /** Resolves `true` (KafkaJS's declared result) once the partitions exist. */
  async createPartitions({
    topicPartitions,
    validateOnly,
    timeout,
  }: {
    validateOnly?: boolean
    timeout?: number
    topicPartitions: ITopicPartitionConfig[]
  }): Promise<boolean> {
    validate.validateCreatePartitions(topicPartitions)
    const results = await this.#call((admin) =>
      admin.createPartitions(
        topicPartitions.map(({ topic, count, assignments }) => ({ name: topic, count, assignments })),
        { validateOnly, timeoutMs: timeout },
      ),
    )
    throwFirstError(results.slice().sort((a, b) => a.name.localeCompare(b.name)))
    return true
  }

  /** Metadata of the given topics, or of every topic (internal ones included) when none is named. */
  async fetchTopicMetadata({ topics = [] }: { topics: string[] } = { topics: [] }): Promise<{ topics: Array<ITopicMetadata> }> {
    if (topics) for (const topic of topics) validate.validateTopic(topic)
    const described = await this.#call(async (admin) => {
      const names = topics && topics.length > 0 ? topics : (await admin.listTopics({ includeInternal: true })).map((t) => t.name)
      return admin.describeTopics(names)
    })
    throwFirstError(described)
    return {
      topics: described.map((t) => ({
        name: t.name,
        partitions: t.partitions
          .slice()
          .sort((a, b) => a.partition - b.partition)
          .map((p) => ({
            partitionErrorCode: p.error?.code ?? 0,
            partitionId: p.partition,
            leader: p.leader ?? -1,
            replicas: p.replicas,
            isr: p.isr,
            offlineReplicas: p.offlineReplicas,
          })),
      })),
    }
  }

  async describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }> {
    const cluster = await this.#call((admin) => admin.describeCluster())
    return {
      brokers: cluster.nodes.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
      controller: cluster.controllerId < 0 ? null : cluster.controllerId,
      clusterId: cluster.clusterId,
    }
  }

  // ---- offsets

  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    return this.#offsets.fetchTopicOffsets(topic)
  }

  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<SeekEntry>> {
    return this.#offsets.fetchTopicOffsetsByTimestamp(topic, timestamp)
  }

  fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    return this.#groups.fetchOffsets(options)
  }

  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    return this.#groups.setOffsets(options)
  }

  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void> {
    return this.#groups.resetOffsets(options)
  }

  deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    return this.#offsets.deleteTopicRecords(options)
  }

  // ---- configs

  async describeConfigs({ resources, includeSynonyms }: { resources: ResourceConfigQuery[]; includeSynonyms: boolean }): Promise<DescribeConfigResponse> {
    validate.validateDescribeConfigs(resources)
    const requested = resources.map(({ type, name, configNames }) => ({
      type: configResourceType(type),
      name,
      keys: configNames && configNames.length > 0 ? configNames : undefined,
    }))
    const described = await this.#call((admin) => admin.describeConfigs(requested, { includeSynonyms: includeSynonyms ?? false }))
    throwFirstError(described)
    return {
      resources: described.map((r) => ({
        errorCode: 0,
        errorMessage: '',
        resourceType: configResourceCode(r.type),
        resourceName: r.name,
        configEntries: r.configs.map(configEntry),
      })),
      throttleTime: 0,
    }
  }

  /** The legacy AlterConfigs KafkaJS sends: each resource's dynamic configs become exactly the entries given. */
  async alterConfigs({ validateOnly, resources }: { validateOnly: boolean; resources: IResourceConfig[] }): Promise<AlterConfigsResponse> {
    validate.validateAlterConfigs(resources)
    const requested = resources.map(({ type, name, configEntries }) => ({
      type: configResourceType(type),
      name,
      configs: Object.fromEntries(configEntries.map(({ name: key, value }) => [key, value])),
    }))
    const altered = await this.#call((admin) => admin.alterConfigs(requested, { validateOnly: !!validateOnly }))
    throwFirstError(altered)
    return {
      resources: altered.map((r) => ({ errorCode: 0, errorMessage: null, resourceType: configResourceCode(r.type), resourceName: r.name })),
      throttleTime: 0,
    }
  }

  // ---- groups

  listGroups(): Promise<{ groups: GroupOverview[] }> {
    return this.#groups.listGroups()
  }

  describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    return this.#groups.describeGroups(groupIds)
  }

  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    return this.#groups.deleteGroups(groupIds)
  }

  // ---- ACLs

  async describeAcls(filter: AclFilter): Promise<DescribeAclResponse> {
    validate.validateDescribeAcls(filter as unknown as Record<string, unknown>)
    const acls = await this.#call((admin) => admin.describeAcls(aclFilter(filter)))
    const resources = new Map<string, DescribeAclResource>()
    for (const described of acls) {
      const resource = aclResource(described)
      const key = JSON.stringify(resource)
      let entry = resources.get(key)
      if (!entry) {
        entry = { ...resource, acls: [] }
        resources.set(key, entry)
      }
      entry.acls.push(toAcl(described))
    }
    return { throttleTime: 0, errorCode: 0, resources: [...resources.values()] }
  }

  async createAcls({ acl }: { acl: AclEntry[] }): Promise<boolean> {
    validate.validateCreateAcls(acl)
    const results = await this.#call((admin) => admin.createAcls(acl.map(aclBinding)))
    throwFirstError(results)
    return true
  }

  async deleteAcls({ filters }: { filters: AclFilter[] }): Promise<DeleteAclResponse> {
    validate.validateDeleteAcls(filters)
    const results = await this.#call((admin) => admin.deleteAcls(filters.map(aclFilter)))
    throwFirstError(results)
    for (const result of results) throwFirstError(result.deleted)
    return {
      throttleTime: 0,
      filterResponses: results.map((r) => ({
        errorCode: 0,
        errorMessage: null as unknown as string | undefined,
        matchingAcls: r.deleted.map((d) => matchingAcl(d.binding, d.error)),
      })),
    }
  }

  // ---- reassignments

  async alterPartitionReassignments({ topics, timeout }: { topics: PartitionReassignment[]; timeout?: number }): Promise<void> {
    validate.validateAlterPartitionReassignments(topics)
    const reassignments = topics.flatMap(({ topic, partitionAssignment }) => partitionAssignment.map(({ partition, replicas }) => ({ topic, partition, replicas })))
    const results = await this.#call((admin) => admin.alterPartitionReassignments(reassignments, { timeoutMs: timeout }))
    const failed = results.filter((r): r is typeof r & { error: KafkaProtocolError } => r.error !== null)
    if (failed.length === 0) return
    const errors = failed.map(({ topic, partition, error }) => {
      const converted = protocolError(error)
      const reassignError = new KafkaJSAlterPartitionReassignmentsError(
        { message: converted.message, type: converted.type, code: converted.code, retriable: converted.retriable },
        topic,
        partition,
      )
      reassignError.cause = error
      return reassignError
    })
    throw new KafkaJSAggregateError('Errors altering partition reassignments', errors)
  }

  async listPartitionReassignments({ topics = null, timeout }: { topics?: TopicPartitions[] | null; timeout?: number } = {}): Promise<ListPartitionReassignmentsResponse> {
    validate.validateListPartitionReassignments(topics)
    const partitions = topics ? topics.flatMap(({ topic, partitions: indexes }) => indexes.map((partition) => ({ topic, partition }))) : undefined
    const ongoing = await this.#call((admin) => admin.listPartitionReassignments(partitions, { timeoutMs: timeout }))
    const byTopic = new Map<string, OngoingTopicReassignment>()
    for (const { topic, partition, replicas, addingReplicas, removingReplicas } of ongoing) {
      let entry = byTopic.get(topic)
      if (!entry) {
        entry = { topic, partitions: [] }
        byTopic.set(topic, entry)
      }
      entry.partitions.push({ partitionIndex: partition, replicas, addingReplicas, removingReplicas })
    }
    return { topics: [...byTopic.values()] }
  }
}
