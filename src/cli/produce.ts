/**
 * `samsa produce <topic>`: one record per input line, sent without waiting for each (the producer batches them),
 * flushed at the end of the input. The exit code says whether every record was acknowledged.
 */
import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Acks, CompressionCodec, Kafka, ProducerMessage } from '../index.js'
import { type CommandContext, connect, fail, requirePositionals } from './context.js'
import { CliError, EXIT, type ExitCode, UsageError } from './errors.js'
import { intOption, listOption, type OptionSpec, stringOption } from './options.js'
import { Progress } from './output.js'

export const PRODUCE_OPTIONS = {
  file: { type: 'string', short: 'l' },
  'key-separator': { type: 'string', short: 'K' },
  header: { type: 'string', short: 'H', multiple: true },
  partition: { type: 'string', short: 'p' },
  compression: { type: 'string', short: 'z' },
  acks: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpec

const CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
/** Sends not yet acknowledged, at most: past it, reading waits, so a huge input never sits in memory. */
const MAX_PENDING = 2_000

type Message = ProducerMessage<string | Buffer, string | Buffer>

/** Checks the topic (and partition) exist, so a typo fails at once instead of after the producer's metadata wait. */
export async function checkTopics(kafka: Kafka, topics: string[], what: string, partition?: number): Promise<Map<string, number>> {
  const admin = kafka.admin()
  try {
    const described = await admin.describeTopics(topics)
    const counts = new Map<string, number>()
    for (const d of described) {
      if (d.error) throw new CliError(`${what}: topic '${d.name}'`, d.error.errorName, d.error.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'check the name with `samsa topics list`, or create it with `samsa topics create`' : (d.error.brokerMessage ?? 'see the broker logs'))
      if (partition !== undefined && partition >= d.partitions.length) {
        throw new CliError(`${what}: partition ${partition} of '${d.name}'`, 'UNKNOWN_TOPIC_OR_PARTITION', `the topic has partitions 0–${d.partitions.length - 1} (\`samsa topics describe ${d.name}\`)`)
      }
      counts.set(d.name, d.partitions.length)
    }
    return counts
  } finally {
    await admin.close()
  }
}

function parseHeaderFlag(raw: string): [string, string] {
  const eq = raw.indexOf('=')
  if (eq <= 0) throw new UsageError(`produce: -H '${raw}' is not name=value`, 'e.g. -H source=cli (repeat -H for more)')
  return [raw.slice(0, eq), raw.slice(eq + 1)]
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function fromBase64(v: unknown, field: string): Buffer {
  // Buffer.from(…, 'base64') skips what it does not understand; a typo must not silently change the bytes.
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) throw new Error(`${field} must be base64 text`)
  return Buffer.from(v, 'base64')
}

/** `key`/`value` as text, or `keyBase64`/`valueBase64` as bytes (what `consume --json` writes for binary). */
function bytesField(o: Record<string, unknown>, field: 'key' | 'value'): string | Buffer | null {
  const b64 = `${field}Base64`
  if (o[b64] !== undefined && o[b64] !== null) {
    if (o[field] !== undefined && o[field] !== null) throw new Error(`${field} and ${b64} do not go together`)
    return fromBase64(o[b64], b64)
  }
  const v = o[field]
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return v
  if (field === 'value') return JSON.stringify(v)
  throw new Error(`${field} must be a string or null`)
}

function headerValue(v: unknown): string | Buffer | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return v
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'base64' in v) return fromBase64((v as { base64: unknown }).base64, 'header base64')
  throw new Error('a header value must be a string, null or {"base64": …}')
}

function jsonMessage(line: string): Message {
  const parsed: unknown = JSON.parse(line)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object')
  const o = parsed as Record<string, unknown>
  const message: Message = { key: bytesField(o, 'key'), value: bytesField(o, 'value') }
  if (o.partition !== undefined && o.partition !== null) {
    if (!Number.isInteger(o.partition) || (o.partition as number) < 0) throw new Error('partition must be a non-negative integer')
    message.partition = o.partition as number
  }
  if (o.headers !== undefined && o.headers !== null) {
    const pairs: Array<[string, string | Buffer | null]> = []
    const entries = Array.isArray(o.headers) ? o.headers : Object.entries(o.headers as object)
    for (const entry of entries as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') throw new Error('headers must be {"name": "value"} or [["name", "value"], …]')
      pairs.push([entry[0], headerValue(entry[1])])
    }
    message.headers = pairs
  }
  return message
}

export async function produce(ctx: CommandContext): Promise<ExitCode> {
  const [topic] = requirePositionals(ctx, 1, 'the topic')
  const what = `produce to ${topic}`
  const partition = intOption(ctx.values, 'partition', ctx.name)
  const separator = stringOption(ctx.values, 'key-separator')
  if (separator === '') throw new UsageError('produce: -K needs a non-empty separator')
  const json = ctx.values.json === true
  if (json && separator !== undefined) throw new UsageError('produce: --json and -K do not go together', 'a JSON line carries its own key')
  const headers = listOption(ctx.values, 'header').map(parseHeaderFlag)
  const compression = (stringOption(ctx.values, 'compression') ?? 'none') as CompressionCodec
  if (!CODECS.includes(compression)) throw new UsageError(`produce: --compression '${compression}' is not one of ${CODECS.join(', ')}`)
  const acksRaw = stringOption(ctx.values, 'acks') ?? 'all'
  const acks: Acks | undefined = ({ all: 'all', '-1': 'all', '1': 1, '0': 0 } as const)[acksRaw]
  if (acks === undefined) throw new UsageError(`produce: --acks '${acksRaw}' is not one of all, -1, 1, 0`)
  const file = stringOption(ctx.values, 'file')
  if (file !== undefined) {
    try {
      if (!statSync(file).isFile()) throw new Error('not a file')
    } catch {
      throw new UsageError(`produce: --file ${file}: no such file`, 'check the path')
    }
  }
  const verbose = ctx.values.verbose === true

  const kafka = connect(ctx)
  let delivered = 0
  let failed = 0
  let firstError: unknown = null
  let total = 0
  const progress = new Progress(ctx.stderr, 'produced')
  try {
    await checkTopics(kafka, [topic!], what, partition)
    const producer = kafka.producer({ acks, compression })
    const input = file !== undefined ? createReadStream(file) : ctx.stdin
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
    // Reading pauses while MAX_PENDING sends are unanswered and resumes at half, so memory stays bounded
    // whatever the input's size; 'line' events rather than for-await keep the per-line cost to one call.
    let inFlight = 0
    let ended = false
    let settleAll: () => void = () => undefined
    const allSettled = new Promise<void>((resolve) => (settleAll = resolve))
    const settled = (): void => {
      inFlight--
      if (inFlight === MAX_PENDING / 2) lines.resume()
      if (ended && inFlight === 0) settleAll()
    }
    const onLine = (line: string): void => {
      total++
      let message: Message
      try {
        if (json) message = jsonMessage(line)
        else if (separator !== undefined) {
          const at = line.indexOf(separator)
          message = at < 0 ? { key: null, value: line } : { key: line.slice(0, at), value: line.slice(at + separator.length) }
        } else message = { value: line }
      } catch (error) {
        failed++
        firstError ??= new CliError(`line ${total}`, 'INVALID_INPUT', `line ${total} is not a record (${(error as Error).message})`)
        return
      }
      if (partition !== undefined) message.partition = partition
      if (headers.length > 0) message.headers = [...(Array.isArray(message.headers) ? (message.headers as Array<[string, string | Buffer | null]>) : []), ...headers]
      const bytes = line.length
      inFlight++
      producer.send({ topic: topic!, messages: [message] }).then(
        ([meta]) => {
          delivered++
          progress.add(1, bytes)
          // A reader that went away (`| head`) does not make the record undelivered: the line is dropped.
          if (verbose && meta) ctx.out.line(`${meta.topic}/${meta.partition}@${meta.offset}`).catch(() => undefined)
          settled()
        },
        (error: unknown) => {
          failed++
          firstError ??= error
          settled()
        },
      )
      if (inFlight >= MAX_PENDING) lines.pause()
    }
    try {
      await new Promise<void>((resolve, reject) => {
        lines.on('line', onLine)
        lines.once('close', resolve)
        lines.once('error', reject)
      })
      ended = true
      if (inFlight === 0) settleAll()
      await producer.flush()
      await allSettled
    } finally {
      await producer.close()
    }
  } catch (error) {
    progress.stop()
    return fail(ctx, what, error)
  } finally {
    progress.stop()
    await kafka.close()
  }
  if (failed === 0) return EXIT.ok
  const summary = `${what}: ${failed} of ${total} records not delivered`
  const code = firstError instanceof CliError ? fail(ctx, summary, new CliError(summary, firstError.code, firstError.hint)) : fail(ctx, summary, firstError)
  return delivered > 0 || code === EXIT.ok ? EXIT.partial : code
}
