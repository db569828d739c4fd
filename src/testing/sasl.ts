/**
 * The server side of SASL: SaslHandshake picks a mechanism, SaslAuthenticate carries its exchange. PLAIN checks a
 * password; SCRAM-SHA-256/512 is RFC 5802/7677 as Kafka runs it (no channel binding, 4096 iterations): the server
 * stores only the salted keys and proves it knows them in its final message. A failed authentication is answered
 * with SASL_AUTHENTICATION_FAILED and the connection closed, like a broker.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import type { SeededRandom } from './random.js'
import { defineHandler, type ConnectionInfo } from './registry.js'
import type { FakeSaslMechanism, FakeSaslUser } from './types.js'

const ITERATIONS = 4096
type Algorithm = 'sha256' | 'sha512'
const ALGORITHMS: Record<string, Algorithm> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' }

interface ScramCredential {
  salt: Buffer
  storedKey: Buffer
  serverKey: Buffer
}

/** The users of a SASL cluster, with SCRAM credentials derived once (as a broker stores them). */
export class SaslUsers {
  readonly #plain = new Map<string, string>()
  readonly #scram = new Map<string, ScramCredential>()
  readonly mechanisms: FakeSaslMechanism[]
  readonly random: SeededRandom

  constructor(users: FakeSaslUser[], random: SeededRandom) {
    this.random = random
    const mechanisms = new Set<FakeSaslMechanism>()
    for (const user of users) {
      mechanisms.add(user.mechanism)
      if (user.mechanism === 'PLAIN') {
        this.#plain.set(user.username, user.password)
        continue
      }
      const algorithm = ALGORITHMS[user.mechanism]!
      const salt = random.bytes(16)
      const salted = pbkdf2Sync(user.password, salt, ITERATIONS, algorithm === 'sha256' ? 32 : 64, algorithm)
      const clientKey = hmac(algorithm, salted, 'Client Key')
      this.#scram.set(`${user.mechanism}\0${user.username}`, {
        salt,
        storedKey: createHash(algorithm).update(clientKey).digest(),
        serverKey: hmac(algorithm, salted, 'Server Key'),
      })
    }
    this.mechanisms = [...mechanisms]
  }

  checkPlain(username: string, password: string): boolean {
    const expected = this.#plain.get(username)
    return expected !== undefined && expected.length === password.length && timingSafeEqual(Buffer.from(expected), Buffer.from(password))
  }

  scram(mechanism: string, username: string): ScramCredential | undefined {
    return this.#scram.get(`${mechanism}\0${username}`)
  }
}

function hmac(algorithm: Algorithm, key: Buffer, data: string): Buffer {
  return createHmac(algorithm, key).update(data, 'utf8').digest()
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) if (part.length >= 2 && part[1] === '=') out.set(part[0]!, part.slice(2))
  return out
}

function unescapeName(name: string): string {
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

type Step = { kind: 'scram-first'; algorithm: Algorithm; clientFirstBare: string; serverFirst: string; nonce: string; credential: ScramCredential }

export type Outcome = { ok: true; bytes: Buffer } | { ok: false; message: string }

/** One step of the connection's SASL exchange (framed in SaslAuthenticate, or raw after SaslHandshake v0). */
export function authenticate(connection: ConnectionInfo, users: SaslUsers, token: Buffer): Outcome {
  const sasl = connection.sasl
  const fail = (message: string): Outcome => ({ ok: false, message })
  if (sasl.mechanism === 'PLAIN') {
    const [, username, password] = token.toString('utf8').split('\0')
    if (username === undefined || password === undefined || !users.checkPlain(username, password)) {
      return fail('Authentication failed: Invalid username or password')
    }
    connection.authenticated = true
    return { ok: true, bytes: Buffer.alloc(0) }
  }
  const algorithm = ALGORITHMS[sasl.mechanism ?? '']
  if (algorithm === undefined) return fail('SaslAuthenticate before SaslHandshake')
  const step = sasl.step as Step | null
  const message = token.toString('utf8')
  if (step === null) {
    // client-first-message: gs2 header "n,," (no channel binding, no authzid), then n=user,r=nonce[,extensions]
    if (!message.startsWith('n,,')) return fail('Authentication failed: unsupported GS2 header')
    const clientFirstBare = message.slice(3)
    const attrs = attributes(clientFirstBare)
    const username = unescapeName(attrs.get('n') ?? '')
    const clientNonce = attrs.get('r') ?? ''
    const credential = users.scram(sasl.mechanism!, username)
    if (credential === undefined || clientNonce === '') return fail('Authentication failed during authentication due to invalid credentials with SASL mechanism ' + sasl.mechanism)
    const nonce = clientNonce + users.random.bytes(18).toString('base64url')
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${ITERATIONS}`
    sasl.step = { kind: 'scram-first', algorithm, clientFirstBare, serverFirst, nonce, credential } satisfies Step
    return { ok: true, bytes: Buffer.from(serverFirst, 'utf8') }
  }
  const attrs = attributes(message)
  const withoutProof = message.slice(0, message.lastIndexOf(',p='))
  if (attrs.get('r') !== step.nonce || attrs.get('c') !== 'biws' || !attrs.has('p')) return fail('Authentication failed: invalid client final message')
  const authMessage = `${step.clientFirstBare},${step.serverFirst},${withoutProof}`
  const clientSignature = createHmac(step.algorithm, step.credential.storedKey).update(authMessage, 'utf8').digest()
  const proof = Buffer.from(attrs.get('p')!, 'base64')
  if (proof.length !== clientSignature.length) return fail('Authentication failed: invalid proof')
  const clientKey = Buffer.alloc(proof.length)
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!
  const storedKey = createHash(step.algorithm).update(clientKey).digest()
  if (!timingSafeEqual(storedKey, step.credential.storedKey)) {
    return fail(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${sasl.mechanism}`)
  }
  const serverSignature = createHmac(step.algorithm, step.credential.serverKey).update(authMessage, 'utf8').digest()
  sasl.step = null
  connection.authenticated = true
  return { ok: true, bytes: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') }
}

export const saslHandlers = [
  defineHandler({
    api: 'SaslHandshake',
    handle(ctx, request) {
      const users = ctx.services.sasl
      const mechanisms = users?.mechanisms ?? []
      if (users === null) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms }
      if (ctx.connection.authenticated || ctx.connection.sasl.mechanism !== null) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms }
      if (!mechanisms.includes(request.mechanism as FakeSaslMechanism)) {
        ctx.connection.closeAfterResponse = true
        return { errorCode: ErrorCodes.UNSUPPORTED_SASL_MECHANISM, mechanisms }
      }
      ctx.connection.sasl.mechanism = request.mechanism
      // v0 (KIP-43): the exchange that follows is raw size-prefixed tokens, not SaslAuthenticate requests.
      ctx.connection.sasl.raw = ctx.apiVersion === 0
      return { errorCode: 0, mechanisms }
    },
    errorResponse(ctx, _request, errorCode) {
      return { errorCode, mechanisms: ctx.services.sasl?.mechanisms ?? [] }
    },
  }),
  defineHandler({
    api: 'SaslAuthenticate',
    handle(ctx, request) {
      const users = ctx.services.sasl
      if (users === null || ctx.connection.authenticated) {
        return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate', authBytes: Buffer.alloc(0) }
      }
      const outcome = authenticate(ctx.connection, users, request.authBytes)
      if (!outcome.ok) {
        ctx.connection.closeAfterResponse = true
        return { errorCode: ErrorCodes.SASL_AUTHENTICATION_FAILED, errorMessage: outcome.message, authBytes: Buffer.alloc(0) }
      }
      return { errorCode: 0, errorMessage: null, authBytes: outcome.bytes, sessionLifetimeMs: 0n }
    },
    errorResponse(_ctx, _request, errorCode) {
      return { errorCode, errorMessage: null, authBytes: Buffer.alloc(0) }
    },
  }),
]
