import { KafkaError, ProtocolDecodeError } from '../errors.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

/** The kinds of schema file Kafka ships. */
export type MessageType = 'request' | 'response' | 'header' | 'data'

export type SizeFn<I> = (w: Writer, value: I) => number
export type WriteFn<I> = (w: Writer, value: I) => void
export type ReadFn<T> = (r: Reader) => T

/** Per-version functions emitted by the generator for one schema file (index = version - minVersion). */
export interface MessageCodecTables<T, I> {
  name: string
  type: MessageType
  apiKey: number | null
  minVersion: number
  maxVersion: number
  /** First flexible version, or null when no version is flexible. */
  flexibleFromVersion: number | null
  size: ReadonlyArray<SizeFn<I>>
  write: ReadonlyArray<WriteFn<I>>
  read: ReadonlyArray<ReadFn<T>>
}

/**
 * Encoder/decoder of one schema file's message body (no size prefix, no header). `T` is the decoded shape,
 * `I` the accepted input (every field optional: missing fields are written as their defaults).
 */
export class MessageCodec<T, I = T> {
  readonly name: string
  readonly type: MessageType
  readonly apiKey: number | null
  readonly minVersion: number
  readonly maxVersion: number
  readonly flexibleFromVersion: number | null
  // Stored with erased input types so that any codec is assignable to AnyMessageCodec (function-typed fields
  // would otherwise be checked contravariantly); the constructor's parameter keeps them honest.
  private readonly sizeFns: ReadonlyArray<SizeFn<never>>
  private readonly writeFns: ReadonlyArray<WriteFn<never>>
  private readonly readFns: ReadonlyArray<ReadFn<T>>

  constructor(tables: MessageCodecTables<T, I>) {
    this.name = tables.name
    this.type = tables.type
    this.apiKey = tables.apiKey
    this.minVersion = tables.minVersion
    this.maxVersion = tables.maxVersion
    this.flexibleFromVersion = tables.flexibleFromVersion
    this.sizeFns = tables.size
    this.writeFns = tables.write
    this.readFns = tables.read
  }

  hasVersion(version: number): boolean {
    return Number.isInteger(version) && version >= this.minVersion && version <= this.maxVersion
  }

  isFlexible(version: number): boolean {
    return this.flexibleFromVersion !== null && version >= this.flexibleFromVersion
  }

  private unsupported(version: number): KafkaError {
    return new KafkaError(`${this.name} has no version ${version} (supported ${this.minVersion}-${this.maxVersion})`)
  }

  /** Size pass: the body's byte size at `version`; queues string lengths in `w` for `write`. */
  size(w: Writer, version: number, value: I): number {
    const fn = this.sizeFns[version - this.minVersion]
    if (fn === undefined || !this.hasVersion(version)) throw this.unsupported(version)
    w.version = version
    return (fn as SizeFn<I>)(w, value)
  }

  /** Write pass: writes the body at `w.pos`; must follow `size` on the same writer with the same value. */
  write(w: Writer, version: number, value: I): void {
    const fn = this.writeFns[version - this.minVersion]
    if (fn === undefined || !this.hasVersion(version)) throw this.unsupported(version)
    w.version = version
    ;(fn as WriteFn<I>)(w, value)
  }

  /** Reads a body at `r.pos`. Errors are always `ProtocolDecodeError`. */
  read(r: Reader, version: number): T {
    const fn = this.readFns[version - this.minVersion]
    if (fn === undefined || !this.hasVersion(version)) {
      throw new ProtocolDecodeError(`${this.name} has no version ${version}`, { apiName: this.name, version, offset: r.pos })
    }
    const previousName = r.messageName
    const previousVersion = r.version
    r.messageName = this.name
    r.version = version
    try {
      return fn(r)
    } catch (err) {
      throw asDecodeError(err, r)
    } finally {
      r.messageName = previousName
      r.version = previousVersion
    }
  }

  /** Encodes a body into a new buffer of exactly its size. */
  encode(version: number, value: I): Buffer {
    const w = new Writer(version)
    const n = this.size(w, version, value)
    w.allocate(n)
    this.write(w, version, value)
    if (w.pos !== n) throw new KafkaError(`${this.name} v${version}: wrote ${w.pos} bytes but sized ${n} (generator bug)`)
    return w.buf
  }

  /** Decodes a whole body. Trailing bytes after the message are ignored, as the Java client does. */
  decode(version: number, bytes: Buffer): T {
    return this.read(new Reader(bytes, 0, bytes.length, this.name, version), version)
  }
}

/** Anything escaping a generated reader becomes a ProtocolDecodeError, so callers only ever see one type. */
export function asDecodeError(err: unknown, r: Reader): ProtocolDecodeError {
  if (err instanceof ProtocolDecodeError) return err
  return new ProtocolDecodeError(err instanceof Error ? err.message : String(err), {
    apiName: r.messageName,
    version: r.version,
    offset: r.pos,
    cause: err,
  })
}

/** Which processes handle a request (from the spec's `listeners`). */
export type ApiListener = 'broker' | 'controller' | 'zkBroker'

/** A message codec, or a function that loads it the first time it is needed. */
export type CodecSource<T, I> = MessageCodec<T, I> | (() => MessageCodec<T, I>)

/**
 * One Kafka API: its request and response codecs plus header and negotiation facts. The generated table (`apis`)
 * passes the version facts and loaders, so negotiating versions loads no codec and each API's codecs load the
 * first time that API is used.
 */
export class ApiCodec<Req, Res, ReqIn = Req, ResIn = Res> {
  /** Name without the Request/Response suffix, e.g. `Metadata`. */
  readonly name: string
  readonly apiKey: number
  readonly minVersion: number
  /** Highest version in the spec, including an unstable latest version. */
  readonly maxVersion: number
  /** The spec marks `maxVersion` unstable: negotiate it only when explicitly enabled. */
  readonly latestVersionUnstable: boolean
  readonly flexibleFromVersion: number | null
  readonly listeners: readonly ApiListener[]
  #request: CodecSource<Req, ReqIn>
  #response: CodecSource<Res, ResIn>

  constructor(options: {
    name: string
    apiKey: number
    latestVersionUnstable: boolean
    listeners: readonly ApiListener[]
    request: CodecSource<Req, ReqIn>
    response: CodecSource<Res, ResIn>
    /** The request's version facts: without them a `request` loader runs at once to read them from the codec. */
    versions?: { minVersion: number; maxVersion: number; flexibleFromVersion: number | null }
  }) {
    this.name = options.name
    this.apiKey = options.apiKey
    this.latestVersionUnstable = options.latestVersionUnstable
    this.listeners = options.listeners
    this.#request = options.request
    this.#response = options.response
    const versions = options.versions ?? this.request
    this.minVersion = versions.minVersion
    this.maxVersion = versions.maxVersion
    this.flexibleFromVersion = versions.flexibleFromVersion
  }

  get request(): MessageCodec<Req, ReqIn> {
    const source = this.#request
    if (typeof source !== 'function') return source
    this.#request = source()
    // The response codec loads with the request's (1.5-4 ms for Fetch's, module compile included), in the turn that
    // writes the first request rather than the one handling its answer: for a consumer that turn also delivers the
    // first records, and its length is what the application's event loop feels.
    void this.response
    return this.#request
  }

  get response(): MessageCodec<Res, ResIn> {
    const source = this.#response
    return typeof source === 'function' ? (this.#response = source()) : source
  }

  /** Highest version to offer: `maxVersion`, or one less when that version is unstable and not enabled. */
  highestVersion(enableUnstable = false): number {
    return this.latestVersionUnstable && !enableUnstable ? this.maxVersion - 1 : this.maxVersion
  }

  /** RequestHeader version: 2 for flexible request versions, else 1. */
  requestHeaderVersion(version: number): number {
    return this.request.isFlexible(version) ? 2 : 1
  }

  /**
   * ResponseHeader version: 1 for flexible versions, else 0. ApiVersions always answers with header v0, because
   * a client that does not yet know the broker's versions must be able to read the answer.
   */
  responseHeaderVersion(version: number): number {
    if (this.apiKey === API_VERSIONS_KEY) return 0
    return this.response.isFlexible(version) ? 1 : 0
  }

  encodeRequest(version: number, value: ReqIn): Buffer {
    return this.request.encode(version, value)
  }

  decodeRequest(version: number, bytes: Buffer): Req {
    return this.request.decode(version, bytes)
  }

  encodeResponse(version: number, value: ResIn): Buffer {
    return this.response.encode(version, value)
  }

  decodeResponse(version: number, bytes: Buffer): Res {
    return this.response.decode(version, bytes)
  }
}

const API_VERSIONS_KEY = 18

/** Any message codec, for code that handles schemas generically (tests, tools). */
export type AnyMessageCodec = MessageCodec<unknown, unknown>

/** Any API codec, for code that dispatches on an API key known only at run time. */
export type AnyApiCodec = ApiCodec<unknown, unknown, unknown, unknown>
