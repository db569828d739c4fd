/**
 * A KafkaJS program's client configuration, written against `kafkajs` and compiled by types.test.ts twice: as is
 * (a valid KafkaJS program) and with `kafkajs` resolved to samsa/kafkajs (the facade accepts it unchanged).
 */
import { readFileSync } from 'node:fs'
import {
  Kafka,
  logLevel,
  type KafkaConfig,
  type SASLOptions,
  type SASLMechanism,
  type Mechanism,
  type AuthenticationProviderArgs,
  type Authenticator,
  type OauthbearerProviderResponse,
  type RetryOptions,
  type BrokersFunction,
  type ISocketFactory,
  type logCreator,
  type LogEntry,
  type Logger,
  type LoggerEntryContent,
} from 'kafkajs'

const retry: RetryOptions = { maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 }

export const plain: KafkaConfig = {
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
  connectionTimeout: 3000,
  authenticationTimeout: 1000,
  reauthenticationThreshold: 10000,
  requestTimeout: 30000,
  enforceRequestTimeout: true,
  retry,
  logLevel: logLevel.ERROR,
}

const brokersFromDiscovery: BrokersFunction = async () => ['kafka1:9092']
const syncBrokers: BrokersFunction = () => ['kafka1:9092']
export const discovered = new Kafka({ brokers: brokersFromDiscovery })
export const discoveredSync = new Kafka({ brokers: syncBrokers, ssl: true })

export const tls = new Kafka({
  brokers: ['kafka:9093'],
  ssl: { rejectUnauthorized: false, ca: [readFileSync('/my/custom/ca.crt', 'utf-8')], key: 'key', cert: 'cert', servername: 'kafka' },
})

const saslVariants: SASLOptions[] = [
  { mechanism: 'plain', username: 'user', password: 'secret' },
  { mechanism: 'scram-sha-256', username: 'user', password: 'secret' },
  { mechanism: 'scram-sha-512', username: 'user', password: 'secret' },
  { mechanism: 'aws', authorizationIdentity: 'AIDA', accessKeyId: 'key', secretAccessKey: 'secret', sessionToken: 'token' },
  { mechanism: 'oauthbearer', oauthBearerProvider: async (): Promise<OauthbearerProviderResponse> => ({ value: 'jwt' }) },
]
export const saslClients = saslVariants.map((sasl) => new Kafka({ brokers: ['kafka:9094'], ssl: true, sasl }))
export const mechanismNames: SASLMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws', 'oauthbearer']

// A custom SASL mechanism, as KafkaJS documents it: the provider drives the exchange through saslAuthenticate.
const customMechanism: Mechanism = {
  mechanism: 'my-mechanism',
  authenticationProvider: ({ host, port, logger, saslAuthenticate }: AuthenticationProviderArgs): Authenticator => ({
    authenticate: async () => {
      logger.info('authenticating', { host, port })
      const answer = await saslAuthenticate<{ ok: boolean }>({
        request: { encode: () => Buffer.from('token') },
        response: {
          decode: (raw: Buffer) => raw,
          parse: (data: Buffer) => ({ ok: data.length > 0 }),
        },
      })
      if (answer && !answer.ok) throw new Error('rejected')
      await saslAuthenticate({ request: { encode: async () => Buffer.alloc(0) } })
    },
  }),
}
export const custom = new Kafka({ brokers: ['kafka:9094'], sasl: customMechanism })

const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  void host
  void port
  void ssl
  void onConnect
  throw new Error('not used')
}
export const withSocketFactory = new Kafka({ brokers: ['kafka:9092'], socketFactory })

const toConsole: logCreator = (level: logLevel) => (entry: LogEntry) => {
  const { namespace, level: entryLevel, label, log }: LogEntry = entry
  const { message, timestamp, ...extra }: LoggerEntryContent = log
  console.log(level, namespace, entryLevel, label, message, timestamp, extra)
}
export const logged = new Kafka({ brokers: ['kafka:9092'], logLevel: logLevel.DEBUG, logCreator: toConsole })

export function useLogger(kafka: Kafka): Logger {
  const logger: Logger = kafka.logger()
  logger.info('info', { extra: 1 })
  logger.warn('warn')
  logger.error('error', { error: 'x' })
  logger.debug('debug')
  const child: Logger = logger.namespace('MyNamespace', logLevel.WARN)
  child.setLogLevel(logLevel.NOTHING)
  return logger.namespace('Other')
}

export const levels: logLevel[] = [logLevel.NOTHING, logLevel.ERROR, logLevel.WARN, logLevel.INFO, logLevel.DEBUG]
