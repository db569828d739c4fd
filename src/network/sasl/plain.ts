import type { SaslExchange, SaslMechanism } from './mechanism.js'

/** SASL/PLAIN (RFC 4616). Only safe over TLS: the password travels as is. */
export class PlainMechanism implements SaslMechanism {
  readonly mechanism = 'PLAIN'
  readonly #username: string
  readonly #password: string

  constructor(username: string, password: string) {
    this.#username = username
    this.#password = password
  }

  async authenticate(exchange: SaslExchange): Promise<void> {
    await exchange(Buffer.from(`\u0000${this.#username}\u0000${this.#password}`, 'utf8'))
  }

  toJSON(): object {
    return { mechanism: this.mechanism, username: this.#username, password: '[redacted]' }
  }
}
