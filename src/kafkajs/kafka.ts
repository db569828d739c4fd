/**
 * `new Kafka(config)` with KafkaJS's configuration, creating KafkaJS-shaped clients over samsa's. As in KafkaJS,
 * every client owns its connections; each one builds its samsa `Kafka` when it connects, so a `brokers` function is
 * asked again on every connect (KafkaJS's way of following a changing bootstrap list).
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { Kafka as SamsaKafka, type KafkaConfig as SamsaKafkaConfig } from '../kafka.js'
import { type SaslConfig as SamsaSaslConfig, type SaslMechanism as SamsaSaslMechanism, saslMechanismFrom } from '../network/sasl/index.js'
import { AuthenticationError } from '../errors.js'
import type { RetryOptions as SamsaRetryOptions } from '../network/policy.js'
import { logLevel } from './constants.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import { type Logger, type logCreator, createLogger, toSamsaLogger } from './logger.js'
import { Producer, type ProducerConfig } from './producer.js'
import { Consumer, type ConsumerConfig } from './consumer.js'
import { Admin, type AdminConfig } from './admin.js'

export type BrokersFunction = () => string[] | Promise<string[]>

export interface RetryOptions {
  /** Cap of one wait between retries, ms (KafkaJS's name; samsa's `maxBackoffMs`). Default 30 000. */
  maxRetryTime?: number
  /** First wait, ms. Default 300. */
  initialRetryTime?: number
  /** Jitter. samsa always randomises its backoff (KIP-580), so this is accepted and not used. */
  factor?: number
  /** Growth per retry. samsa doubles, as KafkaJS's default does. */
  multiplier?: number
  retries?: number
  /** Consumer only: restart `run()` after a crash when this returns true (default: always). */
  restartOnFailure?: (e: Error) => Promise<boolean>
}

export interface Authenticator {
  authenticate: () => Promise<void>
}

export interface SaslAuthenticationRequest {
  encode: () => Buffer | { buffer: Buffer } | Promise<Buffer | { buffer: Buffer }>
}

export interface SaslAuthenticationResponse<ParseResult> {
  decode: (rawResponse: Buffer) => Buffer | Promise<Buffer>
  parse: (data: Buffer) => ParseResult
}

export interface SaslAuthenticateArgs<ParseResult> {
  request: SaslAuthenticationRequest
  response?: SaslAuthenticationResponse<ParseResult>
}

export type SaslAuthenticate = <ParseResult>(args: SaslAuthenticateArgs<ParseResult>) => Promise<ParseResult | void>

export interface AuthenticationProviderArgs {
  host: string
  port: number
  logger: Logger
  saslAuthenticate: SaslAuthenticate
}

export interface Mechanism {
  mechanism: string
  authenticationProvider: (args: AuthenticationProviderArgs) => Authenticator
}

export interface OauthbearerProviderResponse {
  value: string
}

export interface SASLMechanismOptionsMap {
  plain: { username: string; password: string }
  'scram-sha-256': { username: string; password: string }
  'scram-sha-512': { username: string; password: string }
  aws: { authorizationIdentity: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  oauthbearer: { oauthBearerProvider: () => Promise<OauthbearerProviderResponse> }
}

export type SASLMechanism = keyof SASLMechanismOptionsMap
type SASLMechanismOptions<T> = T extends SASLMechanism ? { mechanism: T } & SASLMechanismOptionsMap[T] : never
export type SASLOptions = SASLMechanismOptions<SASLMechanism>

export interface ISocketFactoryArgs {
  host: string
  port: number
  ssl: TlsConnectionOptions
  onConnect: () => void
}

export type ISocketFactory = (args: ISocketFactoryArgs) => import('node:net').Socket

export interface KafkaConfig {
  brokers: string[] | BrokersFunction
  ssl?: TlsConnectionOptions | boolean
  sasl?: SASLOptions | Mechanism
  clientId?: string
  /** ms for TCP connect plus TLS. Without it samsa's 10 000 applies rather than KafkaJS's 1 000, which fails TLS handshakes on a loaded host. */
  connectionTimeout?: number
  /** Accepted; samsa bounds authentication by `requestTimeout` per SASL round trip. */
  authenticationTimeout?: number
  /** Accepted; samsa re-authenticates before the broker's session lifetime ends (KIP-368) on its own. */
  reauthenticationThreshold?: number
  requestTimeout?: number
  /**
   * Accepted for compatibility. samsa always bounds a request by `requestTimeout`: a silent broker must not hang a
   * call, so `false` does not turn the bound off.
   */
  enforceRequestTimeout?: boolean
  retry?: RetryOptions
  /** Accepted; samsa opens its own sockets (plain TCP or node:tls), so a custom factory is not used. */
  socketFactory?: ISocketFactory
  logLevel?: logLevel
  logCreator?: logCreator
}

/** The samsa SASL settings for KafkaJS's, custom `authenticationProvider`s included. */
export function toSamsaSasl(sasl: SASLOptions | Mechanism, logger: Logger): SamsaSaslConfig {
  if ('authenticationProvider' in sasl && typeof sasl.authenticationProvider === 'function') {
    const provider = sasl.authenticationProvider
    const custom: SamsaSaslMechanism = {
      mechanism: sasl.mechanism.toUpperCase(),
      async authenticate(exchange, { host, port }) {
        const saslAuthenticate: SaslAuthenticate = async ({ request, response }) => {
          const encoded = await request.encode()
          const answer = await exchange(Buffer.isBuffer(encoded) ? encoded : encoded.buffer)
          if (!response) return undefined
          return response.parse(await response.decode(answer))
        }
        await provider({ host, port, logger, saslAuthenticate }).authenticate()
      },
    }
    return custom
  }
  const named = sasl as SASLOptions
  let native: SamsaSaslConfig
  switch (named.mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512':
      native = { mechanism: named.mechanism, username: named.username, password: named.password }
      break
    case 'oauthbearer': {
      const provider = named.oauthBearerProvider
      native = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: (await provider()).value }) }
      break
    }
    default:
      throw new KafkaJSNonRetriableError(`SASL ${String((named as { mechanism: string }).mechanism)} mechanism is not supported`)
  }
  return withKafkaJSFailureMessage(saslMechanismFrom(native), SASL_LABELS[named.mechanism])
}

/** How KafkaJS names each mechanism in "SASL … authentication failed" (programs match on it). */
const SASL_LABELS: Record<string, string> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM SHA256',
  'scram-sha-512': 'SCRAM SHA512',
  oauthbearer: 'OAUTHBEARER',
}

/** The mechanism with its failures worded as KafkaJS words them; samsa's error stays the `cause`. */
function withKafkaJSFailureMessage(mechanism: SamsaSaslMechanism, label = mechanism.mechanism): SamsaSaslMechanism {
  return {
    mechanism: mechanism.mechanism,
    async authenticate(exchange, context) {
      try {
        await mechanism.authenticate(exchange, context)
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error
        // samsa says "SASL X authentication with host:port failed: CODE_NAME: broker text"; KafkaJS gives the text.
        const detail = error.message.replace(/^SASL \S+ authentication with \S+ failed: (?:[A-Z_]+: )?/, '')
        throw new AuthenticationError(`SASL ${label} authentication failed: ${detail}`, { cause: error })
      }
    },
  }
}

function toSamsaRetry(retry: RetryOptions | undefined): Partial<SamsaRetryOptions> | undefined {
  if (!retry) return undefined
  const result: Partial<SamsaRetryOptions> = {}
  if (retry.retries !== undefined) result.retries = retry.retries
  if (retry.initialRetryTime !== undefined) result.initialBackoffMs = retry.initialRetryTime
  if (retry.maxRetryTime !== undefined) result.maxBackoffMs = retry.maxRetryTime
  return result
}

/** Settings of samsa's `Kafka` that a facade client chooses for itself (KafkaJS has them per client). */
export type ClientConnectOptions = Pick<SamsaKafkaConfig, 'metadataMaxAgeMs' | 'allowAutoTopicCreation' | 'requestObserver' | 'maxInFlightRequests'>

/** What a facade client needs from the `Kafka` that made it. */
export interface FacadeContext {
  readonly clientId: string
  readonly logger: Logger
  /** KafkaJS's `retry` merged with the client's own. */
  retry(own?: RetryOptions): RetryOptions
  /** A samsa `Kafka` for one client's connections, from the current `brokers`. */
  connect(retry?: RetryOptions, options?: ClientConnectOptions): Promise<SamsaKafka>
}

// Set by Kafka's static block: the facade's modules reach a Kafka's context without a public property.
let contextOf: (kafka: Kafka) => FacadeContext

export class Kafka {
  readonly #config: KafkaConfig
  readonly #logger: Logger
  readonly #context: FacadeContext

  constructor(config: KafkaConfig) {
    this.#config = config
    this.#logger = createLogger({ level: config.logLevel ?? logLevel.INFO, logCreator: config.logCreator })
    const clientId = config.clientId ?? 'kafkajs'
    this.#context = {
      clientId,
      logger: this.#logger,
      retry: (own) => ({ ...this.#config.retry, ...own }),
      connect: (retry, options) => this.#samsaKafka(clientId, retry, options),
    }
  }

  async #samsaKafka(clientId: string, retry: RetryOptions | undefined, options: ClientConnectOptions = {}): Promise<SamsaKafka> {
    const { brokers, ssl, sasl, connectionTimeout, requestTimeout } = this.#config
    let list: string[]
    try {
      list = typeof brokers === 'function' ? await brokers() : brokers
    } catch (error) {
      throw toKafkaJSError(error)
    }
    if (!Array.isArray(list) || list.length === 0) throw new KafkaJSNonRetriableError('Failed to connect: expected brokers array and got nothing')
    const config: SamsaKafkaConfig = {
      brokers: list,
      clientId,
      ssl,
      sasl: sasl ? toSamsaSasl(sasl, this.#logger.namespace('SASL')) : undefined,
      connectTimeoutMs: connectionTimeout,
      requestTimeoutMs: requestTimeout,
      retry: toSamsaRetry({ ...this.#config.retry, ...retry }),
      logger: toSamsaLogger(this.#logger),
      ...options,
    }
    return new SamsaKafka(config)
  }

  static {
    contextOf = (kafka) => kafka.#context
  }

  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this.#context, config)
  }

  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this.#context, config)
  }

  admin(config: AdminConfig = {}): Admin {
    return new Admin(this.#context, config)
  }

  logger(): Logger {
    return this.#logger
  }
}

/** The context a `Kafka` gives its clients (for the facade's own modules and tests; not KafkaJS API). */
export function facadeContext(kafka: Kafka): FacadeContext {
  return contextOf(kafka)
}
