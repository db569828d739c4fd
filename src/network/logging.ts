/**
 * Logging: levels, child loggers with the client's identity, and fields a JSON logger can write as they are.
 *
 * Field conventions, so that one parser reads every line: `err` holds an Error (pino's name for it, serialized by
 * its standard serializer: type, message, stack and the error's own properties such as `code` and `errorName`);
 * `errorCode` holds a bare Kafka error code; bindings are `clientId`, `client` (producer, consumer, share-consumer,
 * admin), `transactionalId`, `groupId`, `memberId`, `broker` (host:port) and `nodeId`. No field ever holds a config
 * object, so credentials cannot reach a log line.
 */

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * A pino-compatible logger: `logger.warn({ broker }, 'message')`. `trace`, `child` and `isLevelEnabled` are used
 * when present (pino, bunyan-style loggers have them); a logger without `child` gets the bindings merged into each
 * line's fields instead.
 */
export interface Logger {
  error(fields: object, message: string): void
  warn(fields: object, message: string): void
  info(fields: object, message: string): void
  debug(fields: object, message: string): void
  trace?(fields: object, message: string): void
  child?(bindings: Record<string, unknown>): Logger
  isLevelEnabled?(level: string): boolean
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value)
}

type Method = 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * What the clients log through: a level threshold in front of the application's logger, and `child()` that always
 * works. Checking `enabled('trace')` before building a line's fields keeps disabled levels free on hot paths.
 */
export class ClientLogger implements Logger {
  readonly #target: Logger
  readonly #rank: number
  /** Merged into each line's fields when the target has no `child` of its own. */
  readonly #bindings: Record<string, unknown> | null

  constructor(target: Logger, level: LogLevel, bindings: Record<string, unknown> | null = null) {
    this.#target = target
    this.#rank = RANK[level]
    this.#bindings = bindings
  }

  get level(): LogLevel {
    return (Object.keys(RANK) as LogLevel[])[this.#rank]!
  }

  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    if (RANK[level] > this.#rank) return false
    if (level === 'trace' && this.#target.trace === undefined) return false
    return this.#target.isLevelEnabled?.(level) ?? true
  }

  child(bindings: Record<string, unknown>): ClientLogger {
    if (this.#target.child) return new ClientLogger(this.#target.child(bindings), this.level)
    return new ClientLogger(this.#target, this.level, { ...this.#bindings, ...bindings })
  }

  error(fields: object, message: string): void {
    this.#write('error', fields, message)
  }

  warn(fields: object, message: string): void {
    this.#write('warn', fields, message)
  }

  info(fields: object, message: string): void {
    this.#write('info', fields, message)
  }

  debug(fields: object, message: string): void {
    this.#write('debug', fields, message)
  }

  trace(fields: object, message: string): void {
    this.#write('trace', fields, message)
  }

  #write(method: Method, fields: object, message: string): void {
    if (RANK[method] > this.#rank) return
    const write = this.#target[method]
    if (write === undefined) return
    write.call(this.#target, this.#bindings === null ? fields : { ...this.#bindings, ...fields }, message)
  }
}

/** An Error as plain JSON-able fields (for the console logger; pino does this itself for `err`). */
function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message }
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || typeof value === 'function') continue
    out[key] = value instanceof Error ? serializeError(value) : value
  }
  if (error.cause instanceof Error) out.cause = serializeError(error.cause)
  return out
}

function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value)
  if (typeof value === 'bigint') return value.toString()
  return value
}

/**
 * The default logger: one line per entry on stderr (a library must not write to stdout, which the application
 * may be using for its own output), `<ISO time> <LEVEL> samsa: <message> <fields as JSON>`.
 */
export const consoleLogger: Logger = (() => {
  const line = (level: string) => (fields: object, message: string) => {
    let json: string
    try {
      json = JSON.stringify(fields, jsonValue)
    } catch {
      json = '{}'
    }
    process.stderr.write(`${new Date().toISOString()} ${level} samsa: ${message}${json === '{}' ? '' : ` ${json}`}\n`)
  }
  return { error: line('ERROR'), warn: line('WARN'), info: line('INFO'), debug: line('DEBUG'), trace: line('TRACE') }
})()

const noop = (): void => {}
export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop, trace: noop }

/**
 * The logger a `Kafka` instance logs through. `false` is silence. The console logger writes warnings and errors
 * unless `level` says otherwise; an application's logger gets every level unless `level` narrows it (its own level
 * applies as well).
 */
export function resolveLogger(logger: Logger | false | undefined, level?: LogLevel): ClientLogger {
  if (level !== undefined && !isLogLevel(level)) throw new TypeError(`logLevel must be one of ${Object.keys(RANK).join(', ')}; got ${String(level)}`)
  if (logger === false) return new ClientLogger(silentLogger, 'silent')
  if (logger === undefined) return new ClientLogger(consoleLogger, level ?? 'warn')
  return logger instanceof ClientLogger && level === undefined ? logger : new ClientLogger(logger, level ?? 'trace')
}

/** A context's logger as a ClientLogger (contexts built by hand in tests may hold a plain one). */
export function clientLogger(logger: Logger): ClientLogger {
  return logger instanceof ClientLogger ? logger : new ClientLogger(logger, 'trace')
}
