/**
 * A scripted transport for consumer unit tests, in the spirit of Java's MockClient: a real `Cluster` (metadata cache,
 * coordinator cache, the request path with its budgets and retries, all on a ManualClock) whose connections are
 * fakes that record every request — API, node, connection purpose, virtual time — and answer it from a script.
 * Nothing here opens a socket: routing, coordinator discovery and retries are the production code's own.
 *
 * A request is answered by the first scripted reply queued for its API (`reply`), else by the API's standing
 * handler (`handle`); a reply may be a response object, an Error (the request fails with it), `HOLD` (no answer
 * until the request's signal fires) or a promise (e.g. `later(ms, response)`, answered after virtual time passes).
 */
import { Cluster, type Target } from '../../../src/network/cluster.js'
import { ManualClock } from '../../../src/network/clock.js'
import type { Connection } from '../../../src/network/connection.js'
import { abortable } from '../../../src/network/abort.js'
import { ConnectionError } from '../../../src/errors.js'
import { ApiKeys } from '../../../src/protocol/index.js'
import { silentLogger } from '../../../src/network/instrumentation.js'
import type { RetryOptions } from '../../../src/network/policy.js'

export interface SentRequest {
  apiKey: number
  api: string
  nodeId: number
  purpose: string
  /** Virtual time the request went out. */
  at: number
  body: any
}

/** A reply that never comes: the request waits until its signal (deadline, halt, close) fires. */
export const HOLD = Symbol('hold')

type Reply = unknown
type Handler = (request: SentRequest) => Reply

/** The node bootstrap look-ups (Metadata, FindCoordinator) go to. */
const BOOTSTRAP_NODE = 1

/** Versions the fake brokers speak: the consumer builds and reads requests for these. */
const VERSIONS: Partial<Record<number, number>> = {
  [ApiKeys.Metadata]: 12,
  [ApiKeys.FindCoordinator]: 4,
  [ApiKeys.Fetch]: 12,
  [ApiKeys.ListOffsets]: 7,
  [ApiKeys.OffsetFetch]: 9,
  [ApiKeys.OffsetCommit]: 9,
  [ApiKeys.OffsetForLeaderEpoch]: 4,
  [ApiKeys.JoinGroup]: 9,
  [ApiKeys.SyncGroup]: 5,
  [ApiKeys.Heartbeat]: 4,
  [ApiKeys.LeaveGroup]: 5,
  [ApiKeys.ConsumerGroupHeartbeat]: 1,
}

export interface TopicSpec {
  name: string
  topicId: string
  /** Leader node per partition. */
  leaders: number[]
  leaderEpoch?: number
}

export class ScriptedCluster extends Cluster {
  readonly manualClock: ManualClock
  readonly sent: SentRequest[] = []
  readonly #queued = new Map<number, Reply[]>()
  readonly #handlers = new Map<number, Handler>()
  /** Nodes whose connections fail (as a broker that is down). */
  readonly down = new Set<number>()
  nodes = [1, 2, 3]
  topicSpecs: TopicSpec[] = []
  /** Where FindCoordinator points. */
  coordinatorNode = 1

  constructor(options: { clock?: ManualClock; retry?: Partial<RetryOptions>; defaultApiTimeoutMs?: number } = {}) {
    const clock = options.clock ?? new ManualClock()
    super({ brokers: ['fake:9092'], clientId: 'scripted', clock, logger: silentLogger, retry: options.retry, defaultApiTimeoutMs: options.defaultApiTimeoutMs })
    this.manualClock = clock
    this.handle(ApiKeys.Metadata, () => this.metadataResponse())
    this.handle(ApiKeys.FindCoordinator, (r) => ({
      throttleTimeMs: 0,
      coordinators: r.body.coordinatorKeys.map((key: string) => ({ key, nodeId: this.coordinatorNode, host: 'fake', port: 9092 + this.coordinatorNode, errorCode: 0, errorMessage: null })),
    }))
  }

  /** The standing answer for an API. */
  handle(apiKey: number, handler: Handler): this {
    this.#handlers.set(apiKey, handler)
    return this
  }

  /** One-shot answers for an API, used in order before its standing handler. */
  reply(apiKey: number, ...replies: Reply[]): this {
    let queue = this.#queued.get(apiKey)
    if (!queue) this.#queued.set(apiKey, (queue = []))
    queue.push(...replies)
    return this
  }

  /** `response` after `ms` of virtual time. */
  later(ms: number, response: unknown): Promise<unknown> {
    return new Promise((resolve) => this.manualClock.setTimeout(() => resolve(response), ms))
  }

  requests(apiKey: number): SentRequest[] {
    return this.sent.filter((r) => r.apiKey === apiKey)
  }

  metadataResponse(): unknown {
    return {
      throttleTimeMs: 0,
      brokers: this.nodes.map((nodeId) => ({ nodeId, host: 'fake', port: 9092 + nodeId, rack: null })),
      clusterId: 'scripted',
      controllerId: 1,
      topics: this.topicSpecs.map((t) => ({
        errorCode: 0,
        name: t.name,
        topicId: t.topicId,
        isInternal: false,
        partitions: t.leaders.map((leaderId, partitionIndex) => ({
          errorCode: 0,
          partitionIndex,
          leaderId,
          leaderEpoch: t.leaderEpoch ?? 0,
          replicaNodes: [leaderId],
          isrNodes: [leaderId],
          offlineReplicas: [],
        })),
      })),
    }
  }

  // ---- the transport: every connection is a scripted fake ----

  override async anyConnection(purpose = 'default'): Promise<Connection> {
    return this.#connection(BOOTSTRAP_NODE, purpose)
  }

  override async connectionToNode(nodeId: number, purpose = 'default'): Promise<Connection> {
    return this.#connection(nodeId, purpose)
  }

  override async connectionFor(target: Target, purpose: string, signal?: AbortSignal): Promise<Connection> {
    switch (target.kind) {
      case 'any':
        return this.anyConnection(purpose)
      case 'node':
        return this.connectionToNode(target.nodeId, purpose)
      case 'controller':
        return this.#connection(1, purpose)
      case 'coordinator':
        return this.#connection((await this.coordinator(target.type, target.key, signal)).nodeId ?? BOOTSTRAP_NODE, purpose)
      case 'leader':
        return this.#connection((await this.leaderFor(target.topic, target.partition, signal)).nodeId, purpose)
    }
  }

  #connection(nodeId: number, purpose: string): Connection {
    if (this.down.has(nodeId)) throw new ConnectionError(`node ${nodeId} is down`, { retriable: true })
    const fake = {
      versions: {
        require: (apiKey: number) => {
          const version = VERSIONS[apiKey]
          if (version === undefined) throw new Error(`the scripted cluster speaks no version of API ${apiKey}`)
          return version
        },
      },
      send: (api: { apiKey: number; name: string }, body: unknown, options: { signal?: AbortSignal } = {}) =>
        this.#answer({ apiKey: api.apiKey, api: api.name, nodeId, purpose, at: this.manualClock.now(), body }, options.signal),
    }
    return fake as unknown as Connection
  }

  #answer(request: SentRequest, signal: AbortSignal | undefined): Promise<unknown> {
    this.sent.push(request)
    const queued = this.#queued.get(request.apiKey)
    let reply: Reply
    if (queued && queued.length > 0) reply = queued.shift()
    else {
      const handler = this.#handlers.get(request.apiKey)
      if (!handler) return Promise.reject(new Error(`no scripted answer for ${request.api}`))
      reply = handler(request)
    }
    if (typeof reply === 'function') reply = (reply as Handler)(request)
    const answer = reply === HOLD ? new Promise<never>(() => undefined) : reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply)
    return abortable(answer, signal)
  }
}

/** A Kafka error code as a response's top-level `errorCode`. */
export function topLevel(errorCode: number, rest: Record<string, unknown> = {}): Record<string, unknown> {
  return { throttleTimeMs: 0, errorCode, errorMessage: null, ...rest }
}
