/**
 * The command line's grammar and the connection it describes. `node:util` parseArgs does the tokenizing; this
 * file adds what it lacks: a command (and sub-command) before the options, options shared by every command, and a
 * `KafkaConfig` built from flags, then environment variables, then a config file in Java's client vocabulary.
 *
 * Precedence, strongest first: flags, KAFKA_BROKERS / SAMSA_SASL_PASSWORD, the `--config` file.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { KafkaConfig, LogLevel, OAuthBearerToken, SaslConfig } from '../index.js'
import { UsageError } from './errors.js'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  brokers: { type: 'string', short: 'b' },
  'client-id': { type: 'string' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password': { type: 'string' },
  'sasl-oauth-token-file': { type: 'string' },
  'sasl-oauth-extension': { type: 'string', multiple: true },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec

export interface CommandLine {
  /** The first positional argument, e.g. `produce`; undefined when there is none. */
  command: string | undefined
  values: Values
  positionals: string[]
}

/** Finds the command (the first positional argument), then parses every argument strictly with its options. */
export function splitCommand(argv: string[]): { command: string | undefined; rest: string[] } {
  // A loose pass that knows only the global options: it tells option values from the command word.
  const { tokens } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true })
  const first = tokens.find((t) => t.kind === 'positional')
  if (!first || first.kind !== 'positional') return { command: undefined, rest: argv }
  return { command: first.value, rest: [...argv.slice(0, first.index), ...argv.slice(first.index + 1)] }
}

/**
 * parseArgs refuses `-o -10` (a value that looks like an option); kcat users write exactly that for "10 before
 * the end". A string option followed by a negative number takes it as its value.
 */
function joinNegativeValues(args: string[], options: OptionSpec): string[] {
  const takesValue = new Set<string>()
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue
    takesValue.add(`--${name}`)
    if (spec.short) takesValue.add(`-${spec.short}`)
  }
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const next = args[i + 1]
    if (arg === '--') {
      out.push(...args.slice(i))
      break
    }
    if (takesValue.has(arg) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

export function parseCommand(args: string[], options: OptionSpec, command: string): { values: Values; positionals: string[] } {
  try {
    const all = { ...GLOBAL_OPTIONS, ...options }
    const parsed = parseArgs({ args: joinNegativeValues(args, all), options: all, strict: true, allowPositionals: true })
    return { values: parsed.values as Values, positionals: parsed.positionals }
  } catch (error) {
    // parseArgs words its errors for programmers ("Unknown option '--x'. To specify a positional argument …"): keep the first sentence.
    const message = error instanceof Error ? error.message.split('. ')[0]!.replace(/\.$/, '') : String(error)
    throw new UsageError(`${command}: ${message}`, `see \`samsa ${command} --help\``)
  }
}

export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function listOption(values: Values, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []
}

export function intOption(values: Values, name: string, command: string, min = 0): number | undefined {
  const raw = stringOption(values, name)
  if (raw === undefined) return undefined
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${command}: --${name} must be an integer ≥ ${min}, got '${raw}'`, `see \`samsa ${command} --help\``)
  }
  return Number(raw)
}

/** What the connection flags resolve to, with the secrets every printed line must leave out. */
export interface Connection {
  config: KafkaConfig
  secrets: string[]
  warnings: string[]
}

/** Java client config keys the `--config` file may use (anything else is refused, so a typo never goes unseen). */
export const CONFIG_KEYS: Record<string, string> = {
  'bootstrap.servers': 'host:port list, like --brokers',
  'client.id': 'like --client-id',
  'security.protocol': 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
  'sasl.mechanism': 'PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER',
  'sasl.jaas.config':
    'read for username="…" and password="…"; for OAUTHBEARER, extension_<name>="…" (or unsecuredLoginExtension_<name>) and the unsecured token options unsecuredLoginStringClaim_<claim>="…" / unsecuredLoginLifetimeSeconds',
  'sasl.oauthbearer.token.endpoint.url': 'file:<path> only: a file holding the token, like --sasl-oauth-token-file',
  'sasl.username': 'librdkafka/kcat name, like --sasl-username',
  'sasl.password': 'librdkafka/kcat name, like --sasl-password',
  'ssl.truststore.type': 'PEM only',
  'ssl.truststore.location': 'a PEM file of CA certificates, like --ca',
  'ssl.truststore.certificates': 'PEM CA certificates inline',
  'ssl.keystore.type': 'PEM only',
  'ssl.keystore.location': 'a PEM file holding the client certificate and its private key',
  'ssl.keystore.certificate.chain': 'PEM client certificate inline',
  'ssl.keystore.key': 'PEM private key inline',
  'ssl.key.password': 'passphrase of an encrypted private key',
  'ssl.ca.location': 'librdkafka/kcat name, like --ca',
  'ssl.certificate.location': 'librdkafka/kcat name, like --cert',
  'ssl.key.location': 'librdkafka/kcat name, like --key',
  'ssl.endpoint.identification.algorithm': "'https' (default) or '' to skip the host name check",
  'request.timeout.ms': 'per-request timeout',
  'default.api.timeout.ms': 'bound of a whole admin call',
}

/** Java's .properties format: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` continues a line. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '')
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '')
    const sep = /^((?:[^\\=:\s]|\\.)*)\s*[=:\s]\s*/.exec(line)
    const key = sep ? sep[1]! : line
    const value = sep ? line.slice(sep[0].length) : ''
    out[unescapeProperty(key)] = unescapeProperty(value)
  }
  return out
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16))
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c
  })
}

function readConfigFile(path: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`--config ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'check the path')
  }
  let entries: Record<string, string>
  if (path.endsWith('.json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new UsageError(`--config ${path}: not valid JSON (${(error as Error).message})`, 'the file must hold one object of Java client config keys')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`--config ${path}: not a JSON object`, 'the file must hold one object of Java client config keys')
    }
    entries = {}
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new UsageError(`--config ${path}: '${k}' must be a string, number or boolean`)
      entries[k] = String(v)
    }
  } else {
    entries = parseProperties(text)
  }
  const unknown = Object.keys(entries).filter((k) => !(k in CONFIG_KEYS))
  if (unknown.length > 0) {
    throw new UsageError(
      `--config ${path}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
      `understood: ${Object.keys(CONFIG_KEYS).join(', ')} (docs/cli.md)`,
    )
  }
  return entries
}

function readPem(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`${what} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'check the path')
  }
}

function jaasField(jaas: string, field: string): string | undefined {
  const m = new RegExp(`\\b${field}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined
}

const SASL_MECHANISMS = { plain: 'plain', 'scram-sha-256': 'scram-sha-256', 'scram-sha-512': 'scram-sha-512', oauthbearer: 'oauthbearer' } as const

/** Every `name="value"` option of a JAAS line whose name starts with `prefix`, keyed by the rest of the name. */
function jaasFieldsWithPrefix(jaas: string, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of jaas.matchAll(new RegExp(`\\b${prefix}(\\w+)\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'g'))) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1')
  return out
}

/** The extension names RFC 7628 allows (letters only; `auth` is the token itself). */
const EXTENSION_NAME = /^[A-Za-z]+$/

/**
 * Java's unsecured login (OAuthBearerLoginModule with unsecuredLoginStringClaim_sub=…): an unsigned JWT built
 * here, for development clusters that run Kafka's unsecured validator. Rebuilt per authentication, so `exp` is
 * always ahead.
 */
function unsecuredToken(claims: Record<string, string>, lifetimeS: number): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return `${part({ alg: 'none' })}.${part({ ...claims, iat: now, exp: now + lifetimeS })}.`
}

/**
 * Where the OAUTHBEARER token comes from, strongest first: SAMSA_SASL_OAUTH_TOKEN, --sasl-oauth-token-file,
 * sasl.oauthbearer.token.endpoint.url=file:…, the JAAS unsecured claims. A file is read again for each
 * authentication, so a token rotated on disk (by a sidecar, a cron job) is picked up by new connections.
 */
function oauthProvider(values: Values, env: NodeJS.ProcessEnv, file: Record<string, string>, jaas: string, secrets: string[]): () => OAuthBearerToken {
  const extensions: Record<string, string> = { ...jaasFieldsWithPrefix(jaas, 'unsecuredLoginExtension_'), ...jaasFieldsWithPrefix(jaas, 'extension_') }
  for (const raw of listOption(values, 'sasl-oauth-extension')) {
    const eq = raw.indexOf('=')
    if (eq <= 0) throw new UsageError(`--sasl-oauth-extension '${raw}' is not name=value`, 'e.g. --sasl-oauth-extension logicalCluster=lkc-1 (repeat for more)')
    extensions[raw.slice(0, eq)] = raw.slice(eq + 1)
  }
  for (const name of Object.keys(extensions)) {
    if (!EXTENSION_NAME.test(name) || name === 'auth') throw new UsageError(`OAUTHBEARER extension name '${name}' is not allowed`, 'extension names are letters only, and not "auth" (RFC 7628)')
  }
  const withExtensions = (value: string): OAuthBearerToken => {
    // Every token handed out is a secret: no printed line may carry it, however it was obtained.
    if (!secrets.includes(value)) secrets.push(value)
    return Object.keys(extensions).length > 0 ? { value, extensions } : { value }
  }

  const fromEnv = env.SAMSA_SASL_OAUTH_TOKEN?.trim()
  if (fromEnv) {
    withExtensions(fromEnv)
    return () => withExtensions(fromEnv)
  }
  let path = stringOption(values, 'sasl-oauth-token-file')
  let what = '--sasl-oauth-token-file'
  const endpoint = file['sasl.oauthbearer.token.endpoint.url']
  if (path === undefined && endpoint !== undefined) {
    if (!endpoint.startsWith('file:')) {
      throw new UsageError(`--config: sasl.oauthbearer.token.endpoint.url '${endpoint}' is not a file: URL`, 'the command line does not fetch tokens from an identity provider: put a token in a file (or SAMSA_SASL_OAUTH_TOKEN)')
    }
    path = fileURLToPath(endpoint)
    what = 'sasl.oauthbearer.token.endpoint.url'
  }
  if (path !== undefined) {
    const tokenPath = path
    const read = (): string => {
      let token: string
      try {
        token = readFileSync(tokenPath, 'utf8').trim()
      } catch (error) {
        throw new UsageError(`${what} ${tokenPath}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'check the path')
      }
      if (token === '') throw new UsageError(`${what} ${tokenPath}: the file is empty`, 'write the token (a JWT) into it')
      return token
    }
    // Read once now so a wrong path is a usage error before anything is sent, then on every authentication.
    withExtensions(read())
    return () => withExtensions(read())
  }
  const claims = jaasFieldsWithPrefix(jaas, 'unsecuredLoginStringClaim_')
  if (claims.sub !== undefined) {
    const lifetime = jaasField(jaas, 'unsecuredLoginLifetimeSeconds')
    const lifetimeS = lifetime !== undefined && /^\d+$/.test(lifetime) ? Number(lifetime) : 3600
    return () => withExtensions(unsecuredToken(claims, lifetimeS))
  }
  throw new UsageError('OAUTHBEARER needs a token', 'set SAMSA_SASL_OAUTH_TOKEN, or pass --sasl-oauth-token-file <file> (or sasl.oauthbearer.token.endpoint.url=file:… in --config)')
}
const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug', 'trace']

export function connectionFrom(values: Values, env: NodeJS.ProcessEnv): Connection {
  const configPath = stringOption(values, 'config')
  const file = configPath ? readConfigFile(configPath) : {}
  const warnings: string[] = []
  const secrets: string[] = []

  const brokers = stringOption(values, 'brokers') ?? env.KAFKA_BROKERS ?? file['bootstrap.servers']
  if (!brokers || brokers.trim() === '') throw new UsageError('no brokers given', 'pass --brokers host:port (or set KAFKA_BROKERS, or bootstrap.servers in --config)')

  const protocol = (file['security.protocol'] ?? 'PLAINTEXT').toUpperCase()
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
    throw new UsageError(`--config: security.protocol '${protocol}' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`)
  }
  for (const type of ['ssl.truststore.type', 'ssl.keystore.type']) {
    if (file[type] !== undefined && file[type].toUpperCase() !== 'PEM') throw new UsageError(`--config: ${type} '${file[type]}' is not supported`, 'convert the store to PEM (openssl pkcs12 / keytool) and set the type to PEM')
  }

  const caPath = stringOption(values, 'ca') ?? file['ssl.ca.location'] ?? file['ssl.truststore.location']
  const certPath = stringOption(values, 'cert') ?? file['ssl.certificate.location'] ?? file['ssl.keystore.location']
  const keyPath = stringOption(values, 'key') ?? file['ssl.key.location'] ?? file['ssl.keystore.location']
  const insecure = values.insecure === true
  const tlsWanted = values.tls === true || protocol === 'SSL' || protocol === 'SASL_SSL' || Boolean(caPath || certPath || keyPath || insecure)
  let ssl: KafkaConfig['ssl']
  if (tlsWanted) {
    const tls: TlsConnectionOptions = {}
    if (caPath) tls.ca = readPem('--ca', caPath)
    else if (file['ssl.truststore.certificates']) tls.ca = file['ssl.truststore.certificates']
    if (certPath) tls.cert = readPem('--cert', certPath)
    else if (file['ssl.keystore.certificate.chain']) tls.cert = file['ssl.keystore.certificate.chain']
    if (keyPath) tls.key = readPem('--key', keyPath)
    else if (file['ssl.keystore.key']) tls.key = file['ssl.keystore.key']
    if (typeof tls.key === 'string') secrets.push(tls.key)
    if (file['ssl.key.password']) {
      tls.passphrase = file['ssl.key.password']
      secrets.push(tls.passphrase)
    }
    if (insecure) {
      tls.rejectUnauthorized = false
      warnings.push("--insecure: the brokers' certificates are not verified; anyone on the path can read and change the traffic")
    } else if (file['ssl.endpoint.identification.algorithm'] === '') {
      tls.checkServerIdentity = () => undefined
    }
    ssl = Object.keys(tls).length === 0 ? true : tls
  }

  const mechanismRaw = stringOption(values, 'sasl-mechanism') ?? file['sasl.mechanism']
  const jaas = file['sasl.jaas.config'] ?? ''
  const username = stringOption(values, 'sasl-username') ?? file['sasl.username'] ?? jaasField(jaas, 'username')
  const password = stringOption(values, 'sasl-password') ?? env.SAMSA_SASL_PASSWORD ?? file['sasl.password'] ?? jaasField(jaas, 'password')
  if (password) secrets.push(password)
  let sasl: SaslConfig | undefined
  const saslWanted = mechanismRaw !== undefined || username !== undefined || protocol.startsWith('SASL_')
  const oauthFlags = ['sasl-oauth-token-file', 'sasl-oauth-extension'].filter((f) => values[f] !== undefined)
  if (oauthFlags.length > 0 && (mechanismRaw ?? '').toLowerCase() !== 'oauthbearer') {
    // Otherwise the token would be silently unused and the command would connect without it.
    throw new UsageError(`--${oauthFlags[0]} needs --sasl-mechanism OAUTHBEARER`, 'add --sasl-mechanism oauthbearer (or sasl.mechanism=OAUTHBEARER in --config)')
  }
  if (saslWanted) {
    const mechanism = SASL_MECHANISMS[(mechanismRaw ?? '').toLowerCase() as keyof typeof SASL_MECHANISMS]
    if (!mechanism) throw new UsageError(mechanismRaw ? `SASL mechanism '${mechanismRaw}' is not supported here` : 'SASL needs a mechanism', 'pass --sasl-mechanism PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER')
    if (mechanism === 'oauthbearer') sasl = { mechanism, oauthBearerProvider: oauthProvider(values, env, file, jaas, secrets) }
    else if (!username) throw new UsageError('SASL needs a user name', 'pass --sasl-username (or username="…" in sasl.jaas.config)')
    else if (!password) throw new UsageError('SASL needs a password', 'set SAMSA_SASL_PASSWORD (or pass --sasl-password, or password="…" in sasl.jaas.config)')
    else sasl = { mechanism, username, password }
  }

  const logLevel = stringOption(values, 'log-level')
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) throw new UsageError(`--log-level '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`)
  const numberKey = (key: string): number | undefined => {
    const raw = file[key]
    if (raw === undefined) return undefined
    if (!/^\d+$/.test(raw)) throw new UsageError(`--config: ${key} must be a number of milliseconds, got '${raw}'`)
    return Number(raw)
  }

  const config: KafkaConfig = {
    brokers,
    clientId: stringOption(values, 'client-id') ?? file['client.id'] ?? 'samsa-cli',
    // The client's own log lines would compete with the one-line errors; --log-level brings them back.
    ...(logLevel && logLevel !== 'silent' ? { logLevel: logLevel as LogLevel } : { logger: false as const }),
  }
  if (ssl !== undefined) config.ssl = ssl
  if (sasl) config.sasl = sasl
  const requestTimeoutMs = numberKey('request.timeout.ms')
  if (requestTimeoutMs !== undefined) config.requestTimeoutMs = requestTimeoutMs
  const timeoutFlag = stringOption(values, 'timeout')
  if (timeoutFlag !== undefined && !/^[1-9]\d*$/.test(timeoutFlag)) throw new UsageError(`--timeout '${timeoutFlag}' is not a number of milliseconds`)
  const defaultApiTimeoutMs = timeoutFlag !== undefined ? Number(timeoutFlag) : numberKey('default.api.timeout.ms')
  if (defaultApiTimeoutMs !== undefined) {
    config.defaultApiTimeoutMs = defaultApiTimeoutMs
    // A connect attempt may not outlast the call it serves, or an unreachable host would hold the whole budget.
    config.connectTimeoutMs = Math.min(10_000, defaultApiTimeoutMs)
  }
  return { config, secrets, warnings }
}
