/** What every command receives: its parsed arguments, the process's streams, and a way to reach the cluster. */
import { Kafka, type KafkaProtocolError } from '../index.js'
import { describeFailure, EXIT, type ExitCode, itemError, redact, UsageError } from './errors.js'
import { connectionFrom, type Values } from './options.js'
import { Output, OutputClosed } from './output.js'

export interface CommandContext {
  /** `produce`, `topics create` …: how errors and help name the command. */
  name: string
  values: Values
  positionals: string[]
  env: NodeJS.ProcessEnv
  stdin: NodeJS.ReadableStream
  out: Output
  stderr: NodeJS.WriteStream
}

/** Builds the client from the connection flags; warnings (e.g. --insecure) go to stderr once. */
export function connect(ctx: CommandContext): Kafka {
  const connection = connectionFrom(ctx.values, ctx.env)
  for (const warning of connection.warnings) ctx.stderr.write(`samsa: warning: ${warning}\n`)
  // The list itself, not a copy: an OAUTHBEARER token read later (a rotated file) is added to it as it is read.
  secretLists(ctx).push(connection.secrets)
  return new Kafka(connection.config)
}

const secretsOf = new WeakMap<CommandContext, string[][]>()

function secretLists(ctx: CommandContext): string[][] {
  let lists = secretsOf.get(ctx)
  if (!lists) secretsOf.set(ctx, (lists = []))
  return lists
}

/** A value no printed line may contain (e.g. a SCRAM password being set). */
export function addSecret(ctx: CommandContext, secret: string): void {
  secretLists(ctx).push([secret])
}

/** Prints the one line for a failure and returns its exit code. */
export function fail(ctx: CommandContext, what: string, error: unknown): ExitCode {
  if (error instanceof OutputClosed) return EXIT.ok
  const { line, exitCode } = describeFailure(what, error)
  ctx.stderr.write(`${redact(line, secretLists(ctx).flat())}\n`)
  return exitCode
}

/** Runs `body` with an admin client (and its Kafka), closes both, and turns a failure into the one line and its exit code. */
export async function withAdmin(ctx: CommandContext, what: string, body: (admin: ReturnType<Kafka['admin']>, kafka: Kafka) => Promise<void>): Promise<ExitCode> {
  const kafka = connect(ctx)
  const admin = kafka.admin()
  try {
    await body(admin, kafka)
    return EXIT.ok
  } catch (error) {
    return fail(ctx, what, error)
  } finally {
    await admin.close()
    await kafka.close()
  }
}

/** Throws the first per-item error of an admin result list. */
export function throwItemErrors<T extends { error: KafkaProtocolError | null }>(what: (item: T) => string, results: T[]): T[] {
  for (const r of results) if (r.error) throw itemError(what(r), r.error)
  return results
}

export function requirePositionals(ctx: CommandContext, min: number, names: string, max = min): string[] {
  if (ctx.positionals.length < min) throw new UsageError(`${ctx.name}: missing ${names}`, `see \`samsa ${ctx.name} --help\``)
  if (ctx.positionals.length > max) throw new UsageError(`${ctx.name}: unexpected argument '${ctx.positionals[max]}'`, `see \`samsa ${ctx.name} --help\``)
  return ctx.positionals
}
