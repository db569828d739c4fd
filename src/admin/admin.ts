/**
 * The admin client: typed methods over the generated admin APIs, each routed where the Java admin routes it and
 * retried by the shared policy. Methods that name several items answer per item — `{ …item, error }` with
 * `error: KafkaProtocolError | null` — so one bad item does not hide the others; a method throws only when the
 * whole request failed (unreachable cluster, a top-level error code, an unsupported broker).
 */
import type { ClientContext } from '../kafka.js'
import * as configs from './configs.js'
import type { AdminCallOptions, AdminContext } from './internal.js'
import * as topics from './topics.js'

export interface AdminOptions {
  /** Broker-side timeout of topic creation/deletion, elections and the like. Default 30 000 (Java's request.timeout.ms). */
  defaultTimeoutMs?: number
}

export class Admin {
  readonly #client: ClientContext
  readonly #ctx: AdminContext
  #closed = false

  constructor(client: ClientContext, options: AdminOptions = {}) {
    this.#client = client
    this.#ctx = { cluster: client.cluster, defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000 }
  }

  // ---- topics ----

  /** Creates topics; per-topic results (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR… as `error`). */
  createTopics(newTopics: topics.NewTopic[], options?: topics.CreateTopicsOptions): Promise<topics.CreateTopicResult[]> {
    return topics.createTopics(this.#ctx, newTopics, options)
  }

  /** Deletes topics by name or `{ topicId }`. */
  deleteTopics(names: Array<string | { topicId: string }>, options?: AdminCallOptions): Promise<topics.DeleteTopicResult[]> {
    return topics.deleteTopics(this.#ctx, names, options)
  }

  /** Every topic the caller may describe, sorted by name. */
  listTopics(options?: topics.ListTopicsOptions): Promise<topics.TopicListing[]> {
    return topics.listTopics(this.#ctx, options)
  }

  /** Partitions, leaders, ISR, offline and eligible leader replicas, topic ids; one result per name. */
  describeTopics(names: string[], options?: topics.DescribeTopicsOptions): Promise<topics.TopicDescription[]> {
    return topics.describeTopics(this.#ctx, names, options)
  }

  /** Raises topics' partition counts. */
  createPartitions(changes: topics.NewPartitions[], options?: topics.CreateTopicsOptions): Promise<topics.CreatePartitionsResult[]> {
    return topics.createPartitions(this.#ctx, changes, options)
  }

  // ---- configs ----

  describeConfigs(resources: configs.DescribeConfigsRequestItem[], options?: configs.DescribeConfigsOptions): Promise<configs.DescribeConfigsResult[]> {
    return configs.describeConfigs(this.#ctx, resources, options)
  }

  /** Sets, deletes, appends to or subtracts from config keys, per resource. */
  incrementalAlterConfigs(resources: configs.AlterConfigsRequestItem[], options?: configs.AlterConfigsOptions): Promise<configs.AlterConfigsResult[]> {
    return configs.incrementalAlterConfigs(this.#ctx, resources, options)
  }

  /** Releases this client's hold on the shared connections. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#client.release()
  }
}
