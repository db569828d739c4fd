/**
 * A scripted stand-in for the cluster, at the level of decoded requests and responses (as Java's MockClient): for
 * unit tests that drive the producer's accumulator and sender in virtual time (ManualClock) and answer each request
 * with a response or an error chosen by the test, in the order the test chooses. Real brokers cover the wire; this
 * covers timing and fault orderings a broker cannot be made to produce on cue.
 */
import { KafkaError } from '../../src/errors.js'
import { ManualClock } from '../../src/network/clock.js'
import type { BrokerInfo, Target, TopicInfo } from '../../src/network/cluster.js'
import { Budget, DEFAULT_RETRY, type RetryOptions, staleness } from '../../src/network/policy.js'
import { negotiateVersions, type NegotiatedVersions } from '../../src/network/versions.js'
import { ApiKeys, apis, errorFromCode, type AnyApiCodec } from '../../src/protocol/index.js'
import { decodeRecordBatches, type RecordBatch } from '../../src/records/index.js'
import type { ProducerCluster } from '../../src/producer/sender.js'
import type { ProducerContext } from '../../src/producer/producer.js'
import { silentLogger } from '../../src/network/instrumentation.js'

export interface ScriptedRequest {
  nodeId: number
  apiKey: number
  version: number
  // Decoded request bodies are loosely typed here: tests read the fields they script.
  body: Record<string, unknown>
  /** Virtual time when the request was written. */
  at: number
}

/** What a handler returns: the response body, or a promise of it (held until the test settles it). Throw to fail. */
export type Handler = (request: ScriptedRequest) => unknown

/** One produced partition of a Produce request, its record batch decoded. */
export interface ProducedBatch {
  topic: string
  partition: number
  batch: RecordBatch
  request: ScriptedRequest
}

export class ScriptedCluster {
  readonly clock: ManualClock
  readonly requests: ScriptedRequest[] = []
  readonly retriableErrors: KafkaError[] = []
  metadataRefreshes = 0
  readonly #topics = new Map<string, TopicInfo>()
  readonly #brokers = new Map<number, BrokerInfo>()
  readonly #handlers = new Map<number, Handler>()
  readonly #versions: NegotiatedVersions
  readonly #retry: RetryOptions
  #producerId = 1000n

  constructor(options: { brokers?: number; clock?: ManualClock; retry?: Partial<RetryOptions> } = {}) {
    this.clock = options.clock ?? new ManualClock()
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    for (let id = 1; id <= (options.brokers ?? 1); id++) this.#brokers.set(id, { nodeId: id, host: 'scripted', port: 9000 + id, rack: null })
    // Produce up to v11 (topics by name), InitProducerId with epoch bumps.
    this.#versions = negotiateVersions(
      {
        apis: [
          { apiKey: ApiKeys.Produce, minVersion: 3, maxVersion: 11 },
          { apiKey: ApiKeys.InitProducerId, minVersion: 0, maxVersion: 5 },
          { apiKey: ApiKeys.Metadata, minVersion: 0, maxVersion: 12 },
        ],
        finalizedFeatures: new Map(),
        finalizedFeaturesEpoch: -1n,
      },
      { allowUnstable: false },
    )
    // By default InitProducerId hands out an id, bumping the epoch when asked (KIP-360).
    this.on(ApiKeys.InitProducerId, (request) => {
      const body = request.body as { producerId: bigint; producerEpoch: number }
      if (body.producerId >= 0n) return { errorCode: 0, producerId: body.producerId, producerEpoch: body.producerEpoch + 1, throttleTimeMs: 0 }
      return { errorCode: 0, producerId: this.#producerId++, producerEpoch: 0, throttleTimeMs: 0 }
    })
  }

  /** The producer's view of this cluster, typed as production code expects it. */
  get view(): ProducerCluster {
    return this as unknown as ProducerCluster
  }

  /** A producer context on this cluster. */
  context(): ProducerContext {
    return { cluster: this.view, clientId: 'scripted', logger: silentLogger, release: () => undefined }
  }

  addTopic(name: string, partitions: number, leaderOf: (partition: number) => number = () => 1): void {
    this.#topics.set(name, {
      name,
      topicId: Buffer.from(name.padEnd(16, '_').slice(0, 16)).toString('base64url'),
      isInternal: false,
      partitions: Array.from({ length: partitions }, (_, partition) => ({
        partition,
        leader: leaderOf(partition),
        leaderEpoch: 0,
        replicas: [leaderOf(partition)],
        isr: [leaderOf(partition)],
        offlineReplicas: [],
        errorCode: 0,
      })),
    })
  }

  setLeader(topic: string, partition: number, leader: number): void {
    const info = this.#topics.get(topic)!.partitions[partition]!
    info.leader = leader
    info.leaderEpoch++
  }

  /** Answers requests of `apiKey` with `handler` from now on. */
  on(apiKey: number, handler: Handler): void {
    this.#handlers.set(apiKey, handler)
  }

  requestsOf(apiKey: number): ScriptedRequest[] {
    return this.requests.filter((r) => r.apiKey === apiKey)
  }

  /** Every partition batch written in Produce requests so far, decoded, in the order written. */
  produced(): ProducedBatch[] {
    const out: ProducedBatch[] = []
    for (const request of this.requestsOf(ApiKeys.Produce)) {
      const topicData = request.body.topicData as Array<{ name: string; partitionData: Array<{ index: number; records: Buffer }> }>
      for (const topic of topicData) {
        for (const p of topic.partitionData) {
          for (const batch of decodeRecordBatches(p.records).batches) out.push({ topic: topic.name, partition: p.index, batch, request })
        }
      }
    }
    return out
  }

  // ---- the ProducerCluster surface ----

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name)
  }

  async topics(names: string[]): Promise<TopicInfo[]> {
    return names.map((name) => {
      const info = this.#topics.get(name)
      if (!info) throw errorFromCode(3, name)!
      return info
    })
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.#brokers.get(nodeId)
  }

  topicNameById(topicId: string): string | undefined {
    for (const info of this.#topics.values()) if (info.topicId === topicId) return info.name
    return undefined
  }

  async refreshMetadata(): Promise<void> {
    this.metadataRefreshes++
  }

  applyLeaderHint(topic: string, partition: number, leaderId: number, leaderEpoch: number, endpoint?: BrokerInfo): boolean {
    if (endpoint && !this.#brokers.has(endpoint.nodeId)) this.#brokers.set(endpoint.nodeId, endpoint)
    const info = this.#topics.get(topic)?.partitions[partition]
    if (!info || leaderId < 0 || leaderEpoch <= info.leaderEpoch || !this.#brokers.has(leaderId)) return false
    info.leader = leaderId
    info.leaderEpoch = leaderEpoch
    return true
  }

  handleRetriableError(error: KafkaError): void {
    this.retriableErrors.push(error)
    if (staleness(error) === 'metadata') void this.refreshMetadata()
  }

  async connectionToNode(nodeId: number): Promise<ScriptedConnection> {
    if (!this.#brokers.has(nodeId)) throw new KafkaError(`scripted: no broker ${nodeId}`, { retriable: true })
    return new ScriptedConnection(this, nodeId, this.#versions)
  }

  async connectionFor(target: Target): Promise<ScriptedConnection> {
    const nodeId = target.kind === 'node' ? target.nodeId : target.kind === 'leader' ? this.#topics.get(target.topic)!.partitions[target.partition]!.leader : [...this.#brokers.keys()][0]!
    return this.connectionToNode(nodeId)
  }

  async withBudget<T>(options: { timeoutMs?: number; signal?: AbortSignal; retry?: Partial<RetryOptions>; bound?: string }, call: (budget: Budget) => Promise<T>): Promise<T> {
    const budget = Budget.for(options, { timeoutMs: 60_000, bound: 'defaultApiTimeoutMs', retry: this.#retry, clock: this.clock })
    try {
      return await call(budget)
    } finally {
      budget.end()
    }
  }

  async send(target: Target, api: AnyApiCodec, body: unknown, options: { budget?: Budget; errorCode?: (response: never) => number; version?: number | ((negotiated: number) => number) } = {}): Promise<unknown> {
    const once = async (): Promise<unknown> => {
      const connection = await this.connectionFor(target)
      const negotiated = this.#versions.require(api.apiKey)
      const version = typeof options.version === 'function' ? options.version(negotiated) : (options.version ?? negotiated)
      const request = typeof body === 'function' ? (body as (v: number) => unknown)(version) : body
      const response = await connection.send(api, request, { version })
      const code = options.errorCode ? options.errorCode(response as never) : 0
      if (code !== 0) throw errorFromCode(code, api.name)!
      return response
    }
    if (options.budget?.looping) return once()
    if (options.budget) return options.budget.run(once)
    return this.withBudget({}, (budget) => budget.run(once))
  }

  /** Called by the connections. */
  dispatch(nodeId: number, apiKey: number, version: number, body: Record<string, unknown>): Promise<unknown> {
    const request: ScriptedRequest = { nodeId, apiKey, version, body, at: this.clock.now() }
    this.requests.push(request)
    const handler = this.#handlers.get(apiKey)
    if (!handler) return Promise.reject(new KafkaError(`scripted: no handler for ${apis[apiKey]?.name ?? apiKey}`))
    try {
      return Promise.resolve(handler(request))
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

class ScriptedConnection {
  constructor(
    readonly cluster: ScriptedCluster,
    readonly nodeId: number,
    readonly versions: NegotiatedVersions,
  ) {}

  send(api: AnyApiCodec, body: unknown, options: { version: number; expectResponse?: boolean }): Promise<unknown> {
    const response = this.cluster.dispatch(this.nodeId, api.apiKey, options.version, onTheWire(api.apiKey, body as Record<string, unknown>))
    return options.expectResponse === false ? Promise.resolve(undefined) : response
  }
}

/** The request as it left: record batches copied, since the producer may reseal its buffers for a later attempt. */
function onTheWire(apiKey: number, body: Record<string, unknown>): Record<string, unknown> {
  if (apiKey !== ApiKeys.Produce) return body
  const topicData = body.topicData as Array<{ partitionData: Array<{ records: Buffer }> }>
  return {
    ...body,
    topicData: topicData.map((topic) => ({ ...topic, partitionData: topic.partitionData.map((p) => ({ ...p, records: Buffer.from(p.records) })) })),
  }
}

/** A Produce response answering every partition of `request` with `errorCode` (0: written at `baseOffset`). */
export function produceResponse(
  request: ScriptedRequest,
  answer: (topic: string, partition: number) => { errorCode?: number; baseOffset?: bigint; currentLeader?: { leaderId: number; leaderEpoch: number } },
  nodeEndpoints: Array<{ nodeId: number; host: string; port: number; rack: string | null }> = [],
): unknown {
  const topicData = request.body.topicData as Array<{ name: string; partitionData: Array<{ index: number }> }>
  return {
    responses: topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((p) => {
        const a = answer(topic.name, p.index)
        return {
          index: p.index,
          errorCode: a.errorCode ?? 0,
          baseOffset: a.baseOffset ?? 0n,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
          currentLeader: a.currentLeader ?? { leaderId: -1, leaderEpoch: -1 },
        }
      }),
    })),
    throttleTimeMs: 0,
    nodeEndpoints,
  }
}

/** A deferred answer: the handler returns `promise`; the test calls `resolve`/`reject` when it chooses. */
export function held<T = unknown>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
