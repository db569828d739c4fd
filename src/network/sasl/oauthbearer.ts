/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255/342). The application supplies tokens; each (re-)authentication asks the
 * provider again, so a provider that refreshes tokens keeps long-lived connections valid across KIP-368
 * re-authentication.
 */
import { AuthenticationError } from '../../errors.js'
import type { SaslExchange, SaslMechanism } from './mechanism.js'

export interface OAuthBearerToken {
  /** The compact-serialised token (e.g. a JWT). */
  value: string
  /** SASL extensions (KIP-342), e.g. `{ logicalCluster: 'lkc-1' }`. */
  extensions?: Record<string, string>
}

export type OAuthBearerTokenProvider = () => OAuthBearerToken | Promise<OAuthBearerToken>

const EXTENSION_KEY = /^[A-Za-z]+$/
const SEPARATOR = '\u0001'

export class OAuthBearerMechanism implements SaslMechanism {
  readonly mechanism = 'OAUTHBEARER'
  readonly #provider: OAuthBearerTokenProvider

  constructor(provider: OAuthBearerTokenProvider) {
    this.#provider = provider
  }

  async authenticate(exchange: SaslExchange): Promise<void> {
    const token = await this.#provider()
    if (!token || typeof token.value !== 'string' || token.value.length === 0) {
      throw new AuthenticationError('OAUTHBEARER: the token provider returned no token')
    }
    let message = `n,,${SEPARATOR}auth=Bearer ${token.value}`
    for (const [key, value] of Object.entries(token.extensions ?? {})) {
      if (!EXTENSION_KEY.test(key) || key === 'auth') throw new AuthenticationError(`OAUTHBEARER: invalid extension name ${key}`)
      message += `${SEPARATOR}${key}=${value}`
    }
    message += SEPARATOR + SEPARATOR
    const reply = await exchange(Buffer.from(message, 'utf8'))
    if (reply.length > 0) {
      // RFC 7628 §3.2.2: the server sent an error; the client must answer with a lone separator before failing.
      await exchange(Buffer.from(SEPARATOR, 'utf8')).catch(() => undefined)
      throw new AuthenticationError(`OAUTHBEARER: token rejected: ${reply.toString('utf8').slice(0, 200)}`)
    }
  }

  toJSON(): object {
    return { mechanism: this.mechanism }
  }
}
