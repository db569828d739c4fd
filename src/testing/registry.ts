/**
 * How an API gets into the fake: a handler module exports `ApiHandler`s (see `defineHandler`), fake-kafka.ts
 * registers them, and only registered APIs are offered in ApiVersions — so a client sees exactly what is
 * implemented and degrades on the rest as against an older broker. Handlers get the decoded request (generated
 * codec types) and return the response input for the same codec; the connection encodes it.
 */
import type { ApiCodec } from '../protocol/codec.js'
import { ApiKeys, apis, type ApiName, type Apis } from '../protocol/generated/index.js'
import type { FetchSessionCache } from './fetch-sessions.js'
import type { GroupCoordinator } from './groups/coordinator.js'
import type { SaslUsers } from './sasl.js'
import type { BrokerState, ClusterState } from './state.js'
import type { TransactionCoordinator } from './transactions.js'

type CodecOf<N extends ApiName> = Apis[(typeof ApiKeys)[N]]
export type RequestOf<N extends ApiName> = CodecOf<N> extends ApiCodec<infer Req, unknown, unknown, unknown> ? Req : never
export type ResponseOf<N extends ApiName> = CodecOf<N> extends ApiCodec<unknown, unknown, unknown, infer ResIn> ? ResIn : never

/** Per-connection state a handler may need (SASL progress, the client's software name). */
export interface ConnectionInfo {
  readonly id: number
  readonly remote: string
  /** False until SASL completes on a SASL listener; always true without SASL. */
  authenticated: boolean
  /** The mechanism a SaslHandshake chose, the exchange in progress, and whether its tokens come unframed (v0). */
  sasl: { mechanism: string | null; step: unknown; raw: boolean }
  /** Set by a handler to close the connection after its response is written (failed authentication). */
  closeAfterResponse: boolean
  clientSoftwareName: string | null
  clientSoftwareVersion: string | null
}

export interface RequestContext {
  readonly cluster: ClusterState
  readonly broker: BrokerState
  readonly connection: ConnectionInfo
  readonly apiVersion: number
  readonly clientId: string | null
  readonly correlationId: number
  /** Aborted when the connection closes or the broker stops: long polls end early on it. */
  readonly signal: AbortSignal
  /** The fake itself, for handlers that need cluster-level services (SASL users, fetch sessions, group and transaction state). */
  readonly services: FakeServices
}

/**
 * Cluster-wide services beyond the state model. Later modules add theirs here (coordinators, transactions) and
 * fake-kafka.ts builds them.
 */
export interface FakeServices {
  readonly registry: HandlerRegistry
  readonly sasl: SaslUsers | null
  /** Fetch sessions (KIP-227), one cache per broker id. */
  readonly fetchSessions: Map<number, FetchSessionCache>
  readonly hooks: FakeHooks
  /** Run by fake.stop() after the listeners close: modules with timers (session timeouts) clear them here. */
  readonly onStop: Array<() => void>
  /** Groups and committed offsets: settings in `groups.config`, a test clock through `groups.useClock`. */
  readonly groups: GroupCoordinator
  /** Transactional ids and their open transactions. */
  readonly transactions: TransactionCoordinator
  /**
   * Cluster features ApiVersions v3+ reports as supported and finalized (at `level`), e.g. group.version or
   * transaction.version once the modules that implement them are registered. Empty: clients assume none.
   */
  readonly features: Array<{ name: string; minVersion: number; maxVersion: number; level: number }>
}

/** Points where the transaction coordinator takes part in the produce and fetch handlers. */
export interface FakeHooks {
  /**
   * Before a transactional batch is appended: 0 to accept, else the error code to answer (e.g. the partition was
   * not added to the transaction). Without the hook transactional batches are accepted as they come.
   */
  checkTransactionalBatch?: (ctx: RequestContext, batch: { transactionalId: string | null; producerId: bigint; producerEpoch: number; topic: string; partition: number }) => number
}

export interface ApiHandler<N extends ApiName> {
  readonly api: N
  /** Versions to offer; default the pinned Kafka's stable range from the generated codec. */
  readonly versions?: { min: number; max: number }
  /** The response, or null to send none (Produce with acks=0). */
  handle(ctx: RequestContext, request: RequestOf<N>): ResponseOf<N> | null | Promise<ResponseOf<N> | null>
  /**
   * The response that answers `request` with `errorCode` in every error field (fault injection, and what a
   * handler returns for a request it refuses as a whole). Null sends nothing (set closeAfterResponse to hang up).
   */
  errorResponse(ctx: RequestContext, request: RequestOf<N>, errorCode: number): ResponseOf<N> | null
}

/** A handler with its types erased, as the registry stores it. */
export interface RegisteredHandler {
  readonly apiKey: number
  readonly apiName: ApiName
  readonly minVersion: number
  readonly maxVersion: number
  handle(ctx: RequestContext, request: unknown): unknown
  errorResponse(ctx: RequestContext, request: unknown, errorCode: number): unknown
}

/** Types a handler against its API's generated codec and erases the types for the registry. */
export function defineHandler<N extends ApiName>(handler: ApiHandler<N>): RegisteredHandler {
  const apiKey = ApiKeys[handler.api]
  const codec = apis[apiKey]
  if (codec === undefined) throw new Error(`no codec for ${handler.api}`)
  return {
    apiKey,
    apiName: handler.api,
    minVersion: handler.versions?.min ?? codec.minVersion,
    maxVersion: handler.versions?.max ?? codec.highestVersion(false),
    handle: (ctx, request) => handler.handle(ctx, request as RequestOf<N>),
    errorResponse: (ctx, request, errorCode) => handler.errorResponse(ctx, request as RequestOf<N>, errorCode),
  }
}

export class HandlerRegistry {
  readonly #handlers = new Map<number, RegisteredHandler>()

  /** Adds handlers; a later registration of the same API replaces the earlier one. */
  register(...handlers: RegisteredHandler[]): void {
    for (const h of handlers) this.#handlers.set(h.apiKey, h)
  }

  get(apiKey: number): RegisteredHandler | undefined {
    return this.#handlers.get(apiKey)
  }

  /** Sorted by API key, for ApiVersions. */
  all(): RegisteredHandler[] {
    return [...this.#handlers.values()].sort((a, b) => a.apiKey - b.apiKey)
  }
}
