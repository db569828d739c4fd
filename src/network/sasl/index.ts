import { KafkaError } from '../../errors.js'
import type { SaslMechanism } from './mechanism.js'
import { OAuthBearerMechanism, type OAuthBearerTokenProvider } from './oauthbearer.js'
import { PlainMechanism } from './plain.js'
import { ScramMechanism } from './scram.js'

export type { SaslMechanism, SaslExchange, SaslContext } from './mechanism.js'
export type { OAuthBearerToken, OAuthBearerTokenProvider } from './oauthbearer.js'
export { PlainMechanism, ScramMechanism, OAuthBearerMechanism }

/** SASL settings of a client: a built-in mechanism by name, or any object implementing `SaslMechanism`. */
export type SaslConfig =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: OAuthBearerTokenProvider }
  | SaslMechanism

export function saslMechanismFrom(config: SaslConfig): SaslMechanism {
  if (typeof (config as SaslMechanism).authenticate === 'function') return config as SaslMechanism
  const named = config as Exclude<SaslConfig, SaslMechanism>
  switch (named.mechanism) {
    case 'plain':
      return new PlainMechanism(named.username, named.password)
    case 'scram-sha-256':
      return new ScramMechanism('sha256', named.username, named.password)
    case 'scram-sha-512':
      return new ScramMechanism('sha512', named.username, named.password)
    case 'oauthbearer':
      return new OAuthBearerMechanism(named.oauthBearerProvider)
    default:
      throw new KafkaError(`Unknown SASL mechanism ${(named as { mechanism: string }).mechanism}`)
  }
}
