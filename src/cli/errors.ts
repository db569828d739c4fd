/**
 * How the command line fails: the exit codes scripts rely on, and the one line on stderr that names what failed,
 * Kafka's error name and what to do about it. Nothing here prints a password: every line goes through `redact`
 * with the secrets the command was given.
 */
import { AuthenticationError, ConnectionError, KafkaError, KafkaProtocolError, TimeoutError } from '../index.js'

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** A Kafka or runtime error: the command did not do what was asked. */
  error: 1,
  /** The command line itself is wrong (unknown flag, missing argument, bad config file): nothing was sent. */
  usage: 2,
  /** Partly done: some records were not delivered. */
  partial: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** The command line is wrong; `hint` says how to write it instead. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint = 'see `samsa --help`',
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/** A failure the command has already put into words: `what` failed with `code` (a Kafka error name or ours). */
export class CliError extends Error {
  constructor(
    readonly what: string,
    readonly code: string,
    readonly hint: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(`${what}: ${code}`)
    this.name = 'CliError'
  }
}

// What to do, for the errors people meet at a terminal. The rest get the broker's own message.
const HINTS: Record<string, string> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'check the name with `samsa topics list`, or create it with `samsa topics create`',
  UNKNOWN_TOPIC_ID: 'the topic was deleted or recreated; list topics with `samsa topics list`',
  TOPIC_ALREADY_EXISTS: 'pick another name, or delete the topic first with `samsa topics delete`',
  INVALID_REPLICATION_FACTOR: 'use a replication factor no larger than the number of brokers (`samsa cluster`)',
  INVALID_PARTITIONS: 'give a partition count above the current one (`samsa topics describe`)',
  INVALID_CONFIG: 'check the config name and value against the Kafka topic configs',
  INVALID_TOPIC_EXCEPTION: 'topic names use letters, digits, ".", "_" and "-", at most 249 characters',
  TOPIC_AUTHORIZATION_FAILED: 'the principal lacks an ACL for this topic; ask the cluster admin (see `samsa acls` in docs/cli.md)',
  GROUP_AUTHORIZATION_FAILED: 'the principal lacks an ACL for this group; ask the cluster admin',
  CLUSTER_AUTHORIZATION_FAILED: 'the principal lacks a cluster ACL for this operation; ask the cluster admin',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'the principal lacks an ACL for this transactional id',
  SASL_AUTHENTICATION_FAILED: 'check --sasl-mechanism, --sasl-username and the password (SAMSA_SASL_PASSWORD)',
  UNSUPPORTED_SASL_MECHANISM: 'the listener does not offer this mechanism; try another --sasl-mechanism',
  ILLEGAL_SASL_STATE: 'the listener may not expect SASL; check the port and --sasl-mechanism',
  GROUP_ID_NOT_FOUND: 'check the group id with `samsa groups list`',
  NON_EMPTY_GROUP: 'stop the group\'s consumers first; `samsa groups describe` lists its members',
  UNKNOWN_MEMBER_ID: 'the group has active members; stop them first',
  POLICY_VIOLATION: 'the broker\'s policy refused this change; ask the cluster admin',
  UNSUPPORTED_VERSION: 'the broker is too old for this operation',
  RECORD_TOO_LARGE: 'the record is larger than the topic\'s max.message.bytes; raise it or send smaller records',
  MESSAGE_TOO_LARGE: 'the record is larger than the topic\'s max.message.bytes; raise it or send smaller records',
  NOT_ENOUGH_REPLICAS: 'fewer in-sync replicas than min.insync.replicas; check the brokers, or use --acks 1',
  OFFSET_OUT_OF_RANGE: 'the offset is outside the partition\'s range; see `samsa offsets <topic>`',
}

/** Our own codes for failures that are not a Kafka error code. */
function classify(error: unknown): { code: string; detail: string } {
  if (error instanceof KafkaProtocolError) return { code: error.errorName, detail: error.brokerMessage ?? '' }
  if (error instanceof AuthenticationError) return { code: 'SASL_AUTHENTICATION_FAILED', detail: error.message }
  if (error instanceof ConnectionError) return { code: 'CONNECTION_FAILED', detail: error.message }
  if (error instanceof TimeoutError) return { code: 'REQUEST_TIMED_OUT', detail: error.message }
  if (error instanceof KafkaError) return { code: error.name, detail: error.message }
  if (error instanceof Error) return { code: (error as NodeJS.ErrnoException).code ?? error.name, detail: error.message }
  return { code: 'ERROR', detail: String(error) }
}

const OAUTH_HINT = 'the broker refused the OAUTHBEARER token (expired, wrong audience or scope?); put a fresh one in SAMSA_SASL_OAUTH_TOKEN or the --sasl-oauth-token-file file'

const CODE_HINTS: Record<string, string> = {
  CONNECTION_FAILED: 'check --brokers (or KAFKA_BROKERS), that the broker is up, and --tls / SASL settings for that listener',
  REQUEST_TIMED_OUT: 'the cluster did not answer in time; check --brokers and that the brokers are healthy',
  ENOENT: 'check the file path',
  EACCES: 'check the file\'s permissions',
}

/** The one stderr line for `error` while doing `what`, and the exit code. */
export function describeFailure(what: string, error: unknown): { line: string; exitCode: ExitCode } {
  if (error instanceof UsageError) return { line: `samsa: ${error.message} — ${error.hint}`, exitCode: EXIT.usage }
  if (error instanceof CliError) return { line: `samsa: ${error.what}: ${error.code} — ${error.hint}`, exitCode: error.exitCode }
  const { code, detail } = classify(error)
  if (code === 'SASL_AUTHENTICATION_FAILED' && detail.startsWith('OAUTHBEARER')) {
    // The password hint would mislead: what failed is the token. The broker's reason (expired, bad scope) stays.
    return { line: `samsa: ${what}: ${code} — ${OAUTH_HINT} (${oneLine(detail)})`, exitCode: EXIT.error }
  }
  const hint = HINTS[code] ?? CODE_HINTS[code] ?? (detail || 'see the broker logs')
  const extra = HINTS[code] || CODE_HINTS[code] ? (detail && !detail.startsWith(code) ? ` (${oneLine(detail)})` : '') : ''
  return { line: `samsa: ${what}: ${code} — ${oneLine(hint)}${extra}`, exitCode: EXIT.error }
}

/** A per-item Kafka error (createTopics and friends) as a CliError about `what`. */
export function itemError(what: string, error: KafkaProtocolError): CliError {
  const hint = HINTS[error.errorName] ?? (error.brokerMessage ? oneLine(error.brokerMessage) : 'see the broker logs')
  return new CliError(what, error.errorName, hint)
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** Replaces every secret in `text` (passwords, key material) so no line we print carries one. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***')
  return out
}
