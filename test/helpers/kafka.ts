// Test access to real Kafka brokers: where the run's broker is (environment variables set by
// test/global-setup.mjs, or by whoever points the tests at an existing cluster), private clusters started
// through the harness CLI (jest's CommonJS test transpile cannot import the .mjs harness directly), and a
// tiny hand-built wire client so harness tests do not depend on the SDK they are meant to support.
import { execFile } from 'node:child_process'
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { connect as connectTcp, createServer, Socket } from 'node:net'
import { join } from 'node:path'
import { connect as connectTls, ConnectionOptions, TLSSocket } from 'node:tls'

const HARNESS_CLI = join(__dirname, '..', '..', 'scripts', 'kafka', 'cli.mjs')

// ---------------------------------------------------------------------------------------------------------
// Where the brokers are

export interface BrokerAddress {
  host: string
  port: number
}

export function parseBrokers(list: string): BrokerAddress[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const colon = entry.lastIndexOf(':')
      const port = Number(entry.slice(colon + 1))
      if (colon <= 0 || !Number.isInteger(port)) throw new Error(`broker address '${entry}' is not host:port`)
      return { host: entry.slice(0, colon).replace(/^\[|\]$/g, ''), port }
    })
}

export interface TestBrokers {
  /** KAFKA_BROKERS: PLAINTEXT bootstrap addresses. */
  plaintext: BrokerAddress[]
  /** KAFKA_SASL_BROKERS: SASL_PLAINTEXT listener, when there is one. */
  sasl: BrokerAddress[] | null
  /** KAFKA_SSL_BROKERS: SSL listener, when there is one. */
  ssl: BrokerAddress[] | null
  /** KAFKA_SASL_SSL_BROKERS: SASL_SSL listener, when there is one. */
  saslSsl: BrokerAddress[] | null
  /** KAFKA_SSL_CA_FILE: PEM file of the CA that signed the brokers' certificates. */
  caFile: string | null
  /** KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (harness defaults: samsa / samsa-secret). */
  username: string
  password: string
}

/** The brokers of this test run. Throws when KAFKA_BROKERS is missing: broker tests must not pass vacuously. */
export function testBrokers(): TestBrokers {
  const env = process.env
  if (!env.KAFKA_BROKERS) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the tests through jest (test/global-setup.mjs starts a broker) ' +
        'or point KAFKA_BROKERS at a cluster',
    )
  }
  const optional = (value: string | undefined) => (value ? parseBrokers(value) : null)
  return {
    plaintext: parseBrokers(env.KAFKA_BROKERS),
    sasl: optional(env.KAFKA_SASL_BROKERS),
    ssl: optional(env.KAFKA_SSL_BROKERS),
    saslSsl: optional(env.KAFKA_SASL_SSL_BROKERS),
    caFile: env.KAFKA_SSL_CA_FILE || null,
    username: env.KAFKA_SASL_USERNAME || 'samsa',
    password: env.KAFKA_SASL_PASSWORD || 'samsa-secret',
  }
}

/**
 * `describe` when all `variables` are set, otherwise a visibly skipped `describe` whose title says what is
 * missing (e.g. SSL tests against an external cluster without KAFKA_SSL_BROKERS).
 */
export function describeWithEnv(variables: string[], title: string, body: () => void): void {
  const missing = variables.filter((name) => !process.env[name])
  if (missing.length === 0) describe(title, body)
  else describe.skip(`${title} [skipped: ${missing.join(', ')} not set]`, body)
}

// ---------------------------------------------------------------------------------------------------------
// Private clusters through the harness CLI

export interface HarnessNode {
  id: number
  pid: number | null
  port: number
  ports: Record<string, number>
  alive: boolean
  logFile: string
  dataDir: string
  configFile: string
}

export interface HarnessInstance {
  name: string
  kafkaVersion: string
  cluster: 'single' | 'three'
  bootstrap: string
  listeners: { plaintext: string; sasl: string | null; ssl: string | null; saslSsl: string | null }
  caFile: string | null
  users: Record<string, { password: string; mechanisms: string[] }> | null
  nodes: HarnessNode[]
  logFile: string
  instanceDir: string
  running: boolean
  startMs: number | null
  /** Whether the jars came from the cache, without running Maven, when the instance was started. */
  cacheHit: boolean
}

let instanceCounter = 0

/** A name no other test file or run uses at the same time. */
export function uniqueInstanceName(prefix: string): string {
  instanceCounter += 1
  return `${prefix}-${process.pid}-${instanceCounter}`
}

interface HarnessRun {
  code: number
  stdout: string
  stderr: string
}

function runHarness(args: string[], timeoutMs: number): Promise<HarnessRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [HARNESS_CLI, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      if (error && code === -1) reject(new Error(`kafka harness ${args.join(' ')} did not finish: ${error.message}\n${stderr}`))
      else resolve({ code, stdout, stderr })
    })
  })
}

// The CLI prints the JSON document on its own, starting at a line that begins with '{' or '['.
function parseJsonOutput<T>(run: HarnessRun, args: string[]): T {
  const start = run.stdout.search(/^[{[]/m)
  if (start < 0) throw new Error(`kafka harness ${args.join(' ')} failed (exit ${run.code}):\n${run.stderr}${run.stdout}`)
  return JSON.parse(run.stdout.slice(start)) as T
}

async function harnessJson<T>(args: string[], timeoutMs: number, { allowNonZeroExit = false } = {}): Promise<T> {
  const run = await runHarness([...args, '--json'], timeoutMs)
  if (run.code !== 0 && !allowNonZeroExit) {
    throw new Error(`kafka harness ${args.join(' ')} failed (exit ${run.code}):\n${run.stderr}`)
  }
  return parseJsonOutput<T>(run, args)
}

export interface StartKafkaOptions {
  name?: string
  cluster?: 'single' | 'three'
  kafkaVersion?: string
  timeoutMs?: number
  /** Extra server.properties settings for every node (e.g. `metric.reporters`). */
  brokerConfig?: Record<string, string>
  /** Extra entries on the brokers' classpath (a plugin's classes folder). */
  classpath?: string[]
}

/**
 * Starts a private instance owned by this test process: if the process dies before stopKafka(), the
 * harness watchdog stops the brokers.
 */
export function startKafka(options: StartKafkaOptions = {}): Promise<HarnessInstance> {
  const timeoutMs = options.timeoutMs ?? 180_000
  const args = ['start', '--owner-pid', String(process.pid), '--timeout', String(Math.ceil(timeoutMs / 1000))]
  args.push('--name', options.name ?? uniqueInstanceName(options.cluster ?? 'single'))
  if (options.cluster) args.push('--cluster', options.cluster)
  if (options.kafkaVersion) args.push('--kafka-version', options.kafkaVersion)
  for (const [key, value] of Object.entries(options.brokerConfig ?? {})) args.push('--broker-config', `${key}=${value}`)
  for (const entry of options.classpath ?? []) args.push('--classpath', entry)
  return harnessJson<HarnessInstance>(args, timeoutMs + 30_000)
}

export async function stopKafka(name: string): Promise<void> {
  await harnessJson<{ stopped: boolean }>(['stop', '--name', name], 60_000)
}

/** The instance as it is now (`running` is false while any node is down). */
export function kafkaStatus(name: string): Promise<HarnessInstance> {
  // status exits 1 when a node is down: that is an answer, not a failure.
  return harnessJson<HarnessInstance>(['status', '--name', name], 30_000, { allowNonZeroExit: true })
}

/** SIGKILL one node. */
/** A loopback port nothing listens on (taken from the OS, then released): for "nothing is there" cases. */
export async function unusedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export async function killKafkaNode(name: string, nodeId: number): Promise<void> {
  const { killed } = await harnessJson<{ killed: boolean }>(['kill', '--name', name, '--node', String(nodeId)], 30_000)
  // A kill that found no process would let a fault test pass without any fault.
  if (!killed) throw new Error(`harness: node ${nodeId} of '${name}' had no process to kill`)
}

/** Starts a node again with its old config, ports and data; resolves once it answers requests. */
export function restartKafkaNode(name: string, nodeId: number, timeoutMs = 180_000): Promise<HarnessInstance> {
  const args = ['restart', '--name', name, '--node', String(nodeId), '--timeout', String(Math.ceil(timeoutMs / 1000))]
  return harnessJson<HarnessInstance>(args, timeoutMs + 30_000)
}

// ---------------------------------------------------------------------------------------------------------
// A hand-built wire client: enough for ApiVersions and SASL, nothing more

export const API_KEY = { Produce: 0, Fetch: 1, Metadata: 3, SaslHandshake: 17, ApiVersions: 18, SaslAuthenticate: 36 } as const
const MAX_FRAME = 16 << 20

function uvarint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value >>> 0
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

function int16(value: number): Buffer {
  const out = Buffer.alloc(2)
  out.writeInt16BE(value, 0)
  return out
}

function int32(value: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeInt32BE(value, 0)
  return out
}

export function legacyString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([int16(bytes.length), bytes])
}

export function compactString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([uvarint(bytes.length + 1), bytes])
}

export function compactBytes(bytes: Buffer): Buffer {
  return Buffer.concat([uvarint(bytes.length + 1), bytes])
}

export const EMPTY_TAGGED_FIELDS = Buffer.from([0])

/** Bounds-checked reads over a response body. */
export class WireReader {
  offset = 0
  constructor(readonly buffer: Buffer) {}

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.buffer.length) {
      throw new Error(`response truncated: need ${n} bytes at offset ${this.offset} of ${this.buffer.length}`)
    }
  }
  int16(): number {
    this.need(2)
    const value = this.buffer.readInt16BE(this.offset)
    this.offset += 2
    return value
  }
  int32(): number {
    this.need(4)
    const value = this.buffer.readInt32BE(this.offset)
    this.offset += 4
    return value
  }
  int64(): bigint {
    this.need(8)
    const value = this.buffer.readBigInt64BE(this.offset)
    this.offset += 8
    return value
  }
  uvarint(): number {
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      this.need(1)
      const byte = this.buffer[this.offset++]
      value |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return value >>> 0
    }
    throw new Error('varint longer than 5 bytes')
  }
  bytes(n: number): Buffer {
    this.need(n)
    const out = this.buffer.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  legacyString(): string {
    return this.bytes(this.int16()).toString('utf8')
  }
  compactNullableString(): string | null {
    const length = this.uvarint() - 1
    return length < 0 ? null : this.bytes(length).toString('utf8')
  }
  compactBytes(): Buffer {
    const length = this.uvarint() - 1
    if (length < 0) throw new Error('unexpected null bytes')
    return this.bytes(length)
  }
  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.bytes(this.uvarint())
    }
  }
}

export interface RequestSpec {
  apiKey: number
  apiVersion: number
  body: Buffer
  /** Request header v2 (flexible API versions) instead of v1. */
  flexibleHeader: boolean
  /** Response header v1 (with tagged fields). ApiVersions answers with v0 even when flexible. */
  flexibleResponseHeader: boolean
}

/** One TCP/TLS connection speaking size-prefixed Kafka frames, one request at a time. */
export class RawKafkaConnection {
  private buffered = Buffer.alloc(0)
  private waiting: { resolve: (frame: Buffer) => void; reject: (error: Error) => void } | null = null
  private closedWith: Error | null = null
  private correlationId = 0

  private constructor(private readonly socket: Socket | TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      this.deliver()
    })
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => this.fail(new Error('connection closed by the broker')))
  }

  static connect(address: BrokerAddress, tls?: ConnectionOptions, timeoutMs = 10_000): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls ? connectTls({ host: address.host, port: address.port, ...tls }) : connectTcp(address.port, address.host)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`connect to ${address.host}:${address.port} timed out`))
      }, timeoutMs)
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        socket.removeListener('error', onError)
        resolve(new RawKafkaConnection(socket))
      })
      const onError = (error: Error) => {
        clearTimeout(timer)
        reject(error)
      }
      socket.once('error', onError)
    })
  }

  /** Sends one request and resolves with the response body (header removed, correlation id checked). */
  async request(spec: RequestSpec, timeoutMs = 10_000): Promise<Buffer> {
    if (this.waiting) throw new Error('one request at a time')
    if (this.closedWith) throw this.closedWith
    const correlationId = ++this.correlationId
    const header = [int16(spec.apiKey), int16(spec.apiVersion), int32(correlationId), legacyString('samsa-harness-test')]
    if (spec.flexibleHeader) header.push(EMPTY_TAGGED_FIELDS)
    const payload = Buffer.concat([...header, spec.body])
    const frame = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null
        reject(new Error(`no answer to api ${spec.apiKey} v${spec.apiVersion} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting = {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      this.socket.write(Buffer.concat([int32(payload.length), payload]))
      this.deliver()
    })
    const reader = new WireReader(frame)
    const answeredId = reader.int32()
    if (answeredId !== correlationId) throw new Error(`correlation id ${answeredId}, expected ${correlationId}`)
    if (spec.flexibleResponseHeader) reader.skipTaggedFields()
    return frame.subarray(reader.offset)
  }

  close(): void {
    this.socket.destroy()
  }

  private deliver(): void {
    if (!this.waiting || this.buffered.length < 4) return
    const size = this.buffered.readInt32BE(0)
    if (size < 0 || size > MAX_FRAME) return this.fail(new Error(`implausible frame size ${size}`))
    if (this.buffered.length < 4 + size) return
    const frame = this.buffered.subarray(4, 4 + size)
    this.buffered = this.buffered.subarray(4 + size)
    const waiting = this.waiting
    this.waiting = null
    waiting.resolve(frame)
  }

  private fail(error: Error): void {
    this.closedWith ??= error
    const waiting = this.waiting
    this.waiting = null
    waiting?.reject(error)
  }
}

export interface ApiVersionsAnswer {
  errorCode: number
  apis: Map<number, { minVersion: number; maxVersion: number }>
}

/** ApiVersions v3 (flexible request, response header v0). */
export async function requestApiVersions(connection: RawKafkaConnection): Promise<ApiVersionsAnswer> {
  const body = await connection.request({
    apiKey: API_KEY.ApiVersions,
    apiVersion: 3,
    body: Buffer.concat([compactString('samsa-harness-test'), compactString('0.0.0'), EMPTY_TAGGED_FIELDS]),
    flexibleHeader: true,
    flexibleResponseHeader: false,
  })
  const reader = new WireReader(body)
  const errorCode = reader.int16()
  const count = reader.uvarint() - 1
  if (count < 0 || count * 7 > body.length) throw new Error(`implausible api count ${count}`)
  const apis = new Map<number, { minVersion: number; maxVersion: number }>()
  for (let i = 0; i < count; i++) {
    const apiKey = reader.int16()
    apis.set(apiKey, { minVersion: reader.int16(), maxVersion: reader.int16() })
    reader.skipTaggedFields()
  }
  return { errorCode, apis }
}

/** SaslHandshake v1: returns the error code and the mechanisms the listener enables. */
export async function saslHandshake(connection: RawKafkaConnection, mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }> {
  const body = await connection.request({
    apiKey: API_KEY.SaslHandshake,
    apiVersion: 1,
    body: legacyString(mechanism),
    flexibleHeader: false,
    flexibleResponseHeader: false,
  })
  const reader = new WireReader(body)
  const errorCode = reader.int16()
  const count = reader.int32()
  if (count < 0 || count * 2 > body.length) throw new Error(`implausible mechanism count ${count}`)
  const mechanisms: string[] = []
  for (let i = 0; i < count; i++) mechanisms.push(reader.legacyString())
  return { errorCode, mechanisms }
}

export interface SaslAuthenticateAnswer {
  errorCode: number
  errorMessage: string | null
  authBytes: Buffer
}

/** SaslAuthenticate v2 (flexible). */
export async function saslAuthenticate(connection: RawKafkaConnection, authBytes: Buffer): Promise<SaslAuthenticateAnswer> {
  const body = await connection.request({
    apiKey: API_KEY.SaslAuthenticate,
    apiVersion: 2,
    body: Buffer.concat([compactBytes(authBytes), EMPTY_TAGGED_FIELDS]),
    flexibleHeader: true,
    flexibleResponseHeader: true,
  })
  const reader = new WireReader(body)
  const errorCode = reader.int16()
  const errorMessage = reader.compactNullableString()
  const bytes = reader.compactBytes()
  reader.int64() // session lifetime
  return { errorCode, errorMessage, authBytes: bytes }
}

/** SASL/PLAIN: one SaslAuthenticate round. */
export async function authenticatePlain(connection: RawKafkaConnection, username: string, password: string): Promise<SaslAuthenticateAnswer> {
  const handshake = await saslHandshake(connection, 'PLAIN')
  if (handshake.errorCode !== 0) throw new Error(`SaslHandshake PLAIN failed with error ${handshake.errorCode}`)
  return saslAuthenticate(connection, Buffer.from(`\0${username}\0${password}`, 'utf8'))
}

/**
 * SASL/SCRAM (RFC 5802) in two SaslAuthenticate rounds. Resolves with the final answer; `serverVerified`
 * says whether the broker proved it knows the password too.
 */
export async function authenticateScram(
  connection: RawKafkaConnection,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
  username: string,
  password: string,
): Promise<SaslAuthenticateAnswer & { serverVerified: boolean }> {
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512'
  const handshake = await saslHandshake(connection, mechanism)
  if (handshake.errorCode !== 0) throw new Error(`SaslHandshake ${mechanism} failed with error ${handshake.errorCode}`)
  const clientNonce = randomBytes(18).toString('base64')
  const saslName = username.replace(/=/g, '=3D').replace(/,/g, '=2C')
  const clientFirstBare = `n=${saslName},r=${clientNonce}`
  const first = await saslAuthenticate(connection, Buffer.from(`n,,${clientFirstBare}`, 'utf8'))
  if (first.errorCode !== 0) return { ...first, serverVerified: false }
  const serverFirst = first.authBytes.toString('utf8')
  const fields = new Map(serverFirst.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as [string, string]))
  const nonce = fields.get('r') ?? ''
  const salt = Buffer.from(fields.get('s') ?? '', 'base64')
  const iterations = Number(fields.get('i'))
  if (!nonce.startsWith(clientNonce) || !(iterations > 0)) throw new Error(`bad SCRAM server-first message '${serverFirst}'`)
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text, 'utf8').digest()
  const saltedPassword = pbkdf2Sync(password, salt, iterations, hash === 'sha256' ? 32 : 64, hash)
  const clientKey = hmac(saltedPassword, 'Client Key')
  const storedKey = createHash(hash).update(clientKey).digest()
  const clientFinalWithoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`
  const clientSignature = hmac(storedKey, authMessage)
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ clientSignature[i]))
  const final = await saslAuthenticate(connection, Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8'))
  const expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage).toString('base64')
  return { ...final, serverVerified: final.errorCode === 0 && final.authBytes.toString('utf8') === `v=${expectedServerSignature}` }
}

/** TLS options that trust the harness CA (KAFKA_SSL_CA_FILE) and check the broker's name. */
export function trustingTls(caFile: string): ConnectionOptions {
  return { ca: readFileSync(caFile), servername: 'localhost' }
}
