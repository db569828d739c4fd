/**
 * Record output formats of `samsa consume`: kcat's `-f` placeholders, JSON lines, and the raw value per line.
 * Keys, values and header values are written as the bytes the broker holds (never re-encoded), so binary payloads
 * come out intact with `%s` / `%k` and the default format.
 */
import { isUtf8 } from 'node:buffer'
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

/**
 * A key, value or header value for JSON: the text when the bytes are valid UTF-8 (so they decode and re-encode to
 * the same bytes), otherwise base64 — a binary payload is never replaced by U+FFFD. Callers put the base64 under
 * a distinct name (`keyBase64`, `valueBase64`, `{"base64": …}` for a header) so a reader can tell them apart.
 */
function jsonBytes(bytes: Buffer | null): { text: string | null } | { base64: string } {
  if (bytes === null) return { text: null }
  return isUtf8(bytes) ? { text: bytes.toString('utf8') } : { base64: bytes.toString('base64') }
}

/**
 * One JSON line, the shape `samsa produce --json` reads back: `key`/`value` as strings (or null), or
 * `keyBase64`/`valueBase64` when the bytes are not valid UTF-8; headers as `[name, value]` pairs whose value is a
 * string, null, or `{"base64": …}`.
 */
export function jsonLine(m: Message): string {
  const key = jsonBytes(m.key)
  const value = jsonBytes(m.value)
  return (
    JSON.stringify({
      topic: m.topic,
      partition: m.partition,
      offset: Number(m.offset),
      timestamp: m.timestamp,
      ...('base64' in key ? { keyBase64: key.base64 } : { key: key.text }),
      ...('base64' in value ? { valueBase64: value.base64 } : { value: value.text }),
      headers: m.headers.map(([name, raw]) => {
        const v = jsonBytes(raw)
        return [name, 'base64' in v ? { base64: v.base64 } : v.text]
      }),
    }) + '\n'
  )
}
