/**
 * Record output formats of `samsa consume`: kcat's `-f` placeholders, JSON lines, and the raw value per line.
 * Keys, values and header values are written as the bytes the broker holds (never re-encoded), so binary payloads
 * come out intact with `%s` / `%k` and the default format.
 */
import type { ConsumerMessage } from '../index.js'
import { UsageError } from './errors.js'

type Message = ConsumerMessage<Buffer | null, Buffer | null>
type Part = Buffer | ((m: Message) => Buffer | string)

/** The placeholders `-f` understands (kcat's), for the help text and error messages. */
export const FORMAT_PLACEHOLDERS: Record<string, string> = {
  '%t': 'topic',
  '%p': 'partition',
  '%o': 'offset',
  '%k': 'key (nothing for a null key)',
  '%K': 'key length in bytes (-1 for null)',
  '%s': 'value (nothing for a null value)',
  '%S': 'value length in bytes (-1 for null)',
  '%R': 'value length as a 4-byte big-endian integer (binary; -1 for null)',
  '%h': 'headers as name=value pairs, comma-separated (NULL for a null value, as kcat)',
  '%T': 'timestamp in ms since the epoch',
  '%%': 'a literal %',
  '\\n \\r \\t \\\\': 'newline, carriage return, tab, backslash',
}

const EMPTY = Buffer.alloc(0)

function headersText(m: Message): string {
  return m.headers.map(([name, value]) => `${name}=${value === null ? 'NULL' : value.toString('utf8')}`).join(',')
}

const FIELDS: Record<string, (m: Message) => Buffer | string> = {
  t: (m) => m.topic,
  p: (m) => String(m.partition),
  o: (m) => m.offset.toString(),
  k: (m) => m.key ?? EMPTY,
  K: (m) => String(m.key === null ? -1 : m.key.length),
  s: (m) => m.value ?? EMPTY,
  S: (m) => String(m.value === null ? -1 : m.value.length),
  R: (m) => {
    const out = Buffer.alloc(4)
    out.writeInt32BE(m.value === null ? -1 : m.value.length)
    return out
  },
  h: headersText,
  T: (m) => String(m.timestamp),
  '%': () => '%',
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' }

/** Compiles a kcat-style format once; the result turns one message into its bytes. */
export function compileFormat(format: string): (m: Message) => Buffer {
  const parts: Part[] = []
  let literal = ''
  const flush = (): void => {
    if (literal) parts.push(Buffer.from(literal, 'utf8'))
    literal = ''
  }
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!
    const next = format[i + 1]
    if (c === '\\' && next !== undefined && next in ESCAPES) {
      literal += ESCAPES[next]
      i++
    } else if (c === '%') {
      const field = next === undefined ? undefined : FIELDS[next]
      if (!field) throw new UsageError(`consume: -f: unknown placeholder '%${next ?? ''}'`, `use ${Object.keys(FORMAT_PLACEHOLDERS).join(' ')}`)
      if (next === '%') literal += '%'
      else {
        flush()
        parts.push(field)
      }
      i++
    } else {
      literal += c
    }
  }
  flush()
  return (m) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : toBuffer(p(m)))))
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

/** One JSON line: the shape `samsa produce --json` reads back (key, value, headers, partition). */
export function jsonLine(m: Message): string {
  return (
    JSON.stringify({
      topic: m.topic,
      partition: m.partition,
      offset: Number(m.offset),
      timestamp: m.timestamp,
      key: m.key === null ? null : m.key.toString('utf8'),
      value: m.value === null ? null : m.value.toString('utf8'),
      headers: m.headers.map(([name, value]) => [name, value === null ? null : value.toString('utf8')]),
    }) + '\n'
  )
}
