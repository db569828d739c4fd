/**
 * SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka implements it (no channel binding). The server's
 * signature is verified, so a broker that does not know the password cannot pretend to have authenticated us.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthenticationError } from '../../errors.js'
import type { SaslExchange, SaslMechanism } from './mechanism.js'

export type ScramAlgorithm = 'sha256' | 'sha512'

/** Kafka's ScramMechanism accepts 4096..16384 iterations; anything else is refused before any hashing. */
const MIN_ITERATIONS = 4096
const MAX_ITERATIONS = 16384

const KEY_LENGTH: Record<ScramAlgorithm, number> = { sha256: 32, sha512: 64 }

function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq !== 1) throw new AuthenticationError('SCRAM: malformed server message')
    attributes.set(part[0]!, part.slice(2))
  }
  return attributes
}

function pbkdf2Async(password: string, salt: Buffer, iterations: number, algorithm: ScramAlgorithm): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, KEY_LENGTH[algorithm], algorithm, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

function hmac(algorithm: ScramAlgorithm, key: Buffer, data: string): Buffer {
  return createHmac(algorithm, key).update(data, 'utf8').digest()
}

export class ScramMechanism implements SaslMechanism {
  readonly mechanism: string
  readonly #algorithm: ScramAlgorithm
  readonly #username: string
  readonly #password: string
  readonly #nonce: () => string
  readonly #extensions: string

  /**
   * `extensions` are RFC 5802 client-first-message extensions; Kafka reads `tokenauth=true` as "the username is a
   * delegation token id and the password its HMAC (base64)".
   */
  constructor(algorithm: ScramAlgorithm, username: string, password: string, nonce?: () => string, extensions: Record<string, string> = {}) {
    this.#algorithm = algorithm
    this.mechanism = algorithm === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512'
    this.#username = username
    this.#password = password
    this.#nonce = nonce ?? (() => randomBytes(24).toString('base64url'))
    this.#extensions = Object.entries(extensions)
      .map(([name, value]) => {
        // A name is one attribute-like token and a value may not contain ',' (it would start the next attribute).
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name) || name.length === 1) throw new AuthenticationError(`SCRAM: invalid extension name "${name}"`)
        if (value.includes(',')) throw new AuthenticationError(`SCRAM: extension ${name} has a ',' in its value`)
        return `,${name}=${value}`
      })
      .join('')
  }

  async authenticate(exchange: SaslExchange): Promise<void> {
    const algorithm = this.#algorithm
    const clientNonce = this.#nonce()
    const clientFirstBare = `n=${escapeSaslName(this.#username)},r=${clientNonce}${this.#extensions}`
    const serverFirst = (await exchange(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8')

    const first = parseAttributes(serverFirst)
    if (first.has('e')) throw new AuthenticationError(`SCRAM: server refused: ${first.get('e')}`)
    const nonce = first.get('r')
    const salt = first.get('s')
    const iterations = Number(first.get('i'))
    if (!nonce || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
      throw new AuthenticationError('SCRAM: server nonce does not extend the client nonce')
    }
    if (!salt) throw new AuthenticationError('SCRAM: server sent no salt')
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new AuthenticationError(`SCRAM: iteration count ${first.get('i')} outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`)
    }

    const saltedPassword = await pbkdf2Async(this.#password, Buffer.from(salt, 'base64'), iterations, algorithm)
    const clientFinalWithoutProof = `c=biws,r=${nonce}`
    const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`
    const clientKey = hmac(algorithm, saltedPassword, 'Client Key')
    const storedKey = createHash(algorithm).update(clientKey).digest()
    const clientSignature = hmac(algorithm, storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!

    const serverFinal = (
      await exchange(Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8'))
    ).toString('utf8')
    const final = parseAttributes(serverFinal)
    if (final.has('e')) throw new AuthenticationError(`SCRAM: server refused: ${final.get('e')}`)
    const serverSignature = Buffer.from(final.get('v') ?? '', 'base64')
    const expected = hmac(algorithm, hmac(algorithm, saltedPassword, 'Server Key'), authMessage)
    if (serverSignature.length !== expected.length || !timingSafeEqual(serverSignature, expected)) {
      throw new AuthenticationError('SCRAM: server signature does not match; the broker did not prove it knows the password')
    }
  }

  toJSON(): object {
    return { mechanism: this.mechanism, username: this.#username, password: '[redacted]' }
  }
}
