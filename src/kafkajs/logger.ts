/**
 * KafkaJS's logging contract: `logCreator(level)` returns a function that receives one entry per log line
 * (`{ namespace, level, label, log: { timestamp, logger: 'kafkajs', message, ...extra } }`), and
 * `kafka.logger()` returns a logger with `info/error/warn/debug(message, extra)`, `namespace()` and `setLogLevel()`.
 * `toSamsaLogger` lets samsa's own clients log through it, so a KafkaJS program's log pipeline sees them too.
 */
import type { Logger as SamsaLogger } from '../network/instrumentation.js'
import { logLevel } from './constants.js'

export interface LogEntry {
  namespace: string
  level: logLevel
  label: string
  log: LoggerEntryContent
}

export interface LoggerEntryContent {
  readonly timestamp: string
  readonly message: string
  [key: string]: unknown
}

export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void

export interface Logger {
  info: (message: string, extra?: object) => void
  error: (message: string, extra?: object) => void
  warn: (message: string, extra?: object) => void
  debug: (message: string, extra?: object) => void
  namespace: (namespace: string, logLevel?: logLevel) => Logger
  setLogLevel: (logLevel: logLevel) => void
}

const LABELS: Record<number, string> = { [logLevel.ERROR]: 'ERROR', [logLevel.WARN]: 'WARN', [logLevel.INFO]: 'INFO', [logLevel.DEBUG]: 'DEBUG' }

/** The level `KAFKAJS_LOG_LEVEL` names, if any; KafkaJS lets it override the configured level. */
function fromEnvironment(level: logLevel): logLevel {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase()
  const named = (logLevel as unknown as Record<string, logLevel | undefined>)[name]
  return typeof named === 'number' ? named : level
}

/** KafkaJS's default log creator: one JSON line per entry on the console. */
export const consoleLogCreator: logCreator = () => ({ namespace, level, label, log }) => {
  const prefix = namespace ? `[${namespace}] ` : ''
  const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` })
  if (level === logLevel.ERROR) console.error(line)
  else if (level === logLevel.WARN) console.warn(line)
  else if (level === logLevel.INFO) console.info(line)
  else console.log(line)
}

export function createLogger({ level = logLevel.INFO, logCreator = consoleLogCreator }: { level?: logLevel; logCreator?: logCreator } = {}): Logger {
  const root = { level: fromEnvironment(level) }
  const write = logCreator(root.level)
  const make = (namespace: string, own: logLevel | null): Logger => {
    const current = (): logLevel => own ?? root.level
    const at =
      (level: logLevel) =>
      (message: string, extra: object = {}): void => {
        if (level > current()) return
        write({ namespace, level, label: LABELS[level]!, log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra } })
      }
    return {
      info: at(logLevel.INFO),
      error: at(logLevel.ERROR),
      warn: at(logLevel.WARN),
      debug: at(logLevel.DEBUG),
      namespace: (name, level) => make(name, level === undefined ? null : fromEnvironment(level)),
      setLogLevel: (level) => {
        root.level = level
      },
    }
  }
  return make('', null)
}

/** samsa's logger interface (fields, message) over a KafkaJS logger (message, extra). */
export function toSamsaLogger(logger: Logger): SamsaLogger {
  // KafkaJS log entries carry an error as `error` (its message) and `stack`; samsa's fields carry it as `err`.
  const fields = (extra: object): object => {
    const { err, ...rest } = extra as { err?: unknown }
    if (err === undefined) return extra
    return err instanceof Error ? { ...rest, error: err.message, stack: err.stack } : { ...rest, error: err }
  }
  return {
    debug: (extra, message) => logger.debug(message, fields(extra)),
    info: (extra, message) => logger.info(message, fields(extra)),
    warn: (extra, message) => logger.warn(message, fields(extra)),
    error: (extra, message) => logger.error(message, fields(extra)),
  }
}
