/** The public shapes of samsa/testing: options, fault rules and the request record. */
import type { ApiName } from '../protocol/generated/index.js'

export type FakeSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface FakeSaslUser {
  mechanism: FakeSaslMechanism
  username: string
  password: string
}

export interface FakeTopicSpec {
  name: string
  /** Default: the cluster's defaultPartitions. */
  partitions?: number
  /** Default: the cluster's defaultReplicationFactor. */
  replicationFactor?: number
  /** Topic config overrides, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>
}

export interface FakeKafkaOptions {
  /** Number of brokers, ids 0..n-1 (or `brokerIds`). Default 1, or the length of `brokerIds`. */
  brokers?: number
  /** Explicit node ids, e.g. `[1]` to look like a single-node quickstart or test harness broker. */
  brokerIds?: number[]
  topics?: FakeTopicSpec[]
  /** Create unknown topics on Metadata and Produce, as auto.create.topics.enable does. Default true. */
  autoCreateTopics?: boolean
  /** num.partitions. Default 1. */
  defaultPartitions?: number
  /** default.replication.factor. Default min(3, brokers). */
  defaultReplicationFactor?: number
  /** When given, every listener requires SASL with one of these users (SASL_PLAINTEXT). */
  sasl?: FakeSaslUser[]
  /** Seeds everything random: cluster id, topic ids, producer ids, SCRAM salts. */
  seed?: number
  /** Default: derived from the seed. */
  clusterId?: string
  /** Address to listen on and advertise. Default 127.0.0.1. */
  host?: string
  /** Fixed ports, one per broker; 0 or missing entries pick a free port. */
  ports?: number[]
  /**
   * Receives a line whenever the fake hangs up on a client (malformed frame, API or version not offered, request
   * before SASL) or a handler fails: the first place to look when a client reports a closed connection.
   */
  log?: (line: string) => void
}

/** What a fault rule does to a matching request. */
export type FaultAction =
  | 'drop'
  | 'silent'
  | 'pass'
  | { delayMs: number }
  | { errorCode: number }

export interface FaultRule {
  /** The API by key (0 = Produce) … */
  apiKey?: number
  /** … or by name ('Produce'). One of apiKey and api is required. */
  api?: ApiName
  /** Only requests to this broker id. Default: every broker. */
  broker?: number
  /** Apply to this many matching requests, then retire. Default: until removed. */
  times?: number
  action: FaultAction
}

export interface FaultHandle {
  /** Requests this rule has acted on so far. */
  readonly hits: number
  /** Retires the rule; requests already held (delay, silent) are not released. */
  remove(): void
}

/** One request the fake received, in arrival order. */
export interface SeenRequest {
  apiKey: number
  apiName: string
  version: number
  broker: number
  clientId: string | null
  correlationId: number
}
