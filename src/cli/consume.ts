/**
 * `samsa consume <topic…>`: as a group member (`-G`), or from chosen partitions and offsets without a group.
 * Records are written in batches with backpressure, so a slow reader of stdout slows the fetching instead of
 * filling memory.
 *
 * `--exit` stops at the end of the partitions as they were when the command started (the high watermark, or the
 * last stable offset under read_committed, looked up at start): records arriving later are not waited for. A
 * partition counts as finished when the consumer's position reaches that offset — checked on the position rather
 * than the last record's offset, because transaction markers and compaction leave offsets no record carries.
 */
import type { ConsumerMessage, IsolationLevel, Kafka, ListOffsetsRequestItem } from '../index.js'
import { type CommandContext, connect, fail } from './context.js'
import { EXIT, type ExitCode, UsageError } from './errors.js'
import { compileFormat, jsonLine } from './format.js'
import { intOption, listOption, type OptionSpec, stringOption } from './options.js'
import { OutputClosed, Progress } from './output.js'
import { checkTopics } from './produce.js'

export const CONSUME_OPTIONS = {
  group: { type: 'string', short: 'G' },
  pattern: { type: 'string' },
  offset: { type: 'string', short: 'o' },
  partition: { type: 'string', short: 'p', multiple: true },
  exit: { type: 'boolean', short: 'e' },
  count: { type: 'string', short: 'c' },
  format: { type: 'string', short: 'f' },
  'key-separator': { type: 'string', short: 'K' },
  json: { type: 'boolean' },
  isolation: { type: 'string' },
} as const satisfies OptionSpec

type Message = ConsumerMessage<Buffer | null, Buffer | null>
type StartSpec = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: bigint } | { kind: 'relative'; back: bigint } | { kind: 'timestamp'; ms: number }

function parseOffset(raw: string | undefined): StartSpec {
  if (raw === undefined || raw === 'end') return { kind: 'end' }
  if (raw === 'beginning') return { kind: 'beginning' }
  if (/^\d+$/.test(raw)) return { kind: 'offset', offset: BigInt(raw) }
  if (/^-\d+$/.test(raw)) return { kind: 'relative', back: BigInt(raw.slice(1)) }
  if (/^@\d+$/.test(raw)) return { kind: 'timestamp', ms: Number(raw.slice(1)) }
  throw new UsageError(`consume: -o '${raw}' is not beginning, end, <offset>, -<N> or @<timestamp ms>`, 'e.g. -o beginning, -o 42, -o -10, -o @1767225600000')
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The subscription's one pattern from `--pattern` and kcat-style `^…` topic arguments, or null for plain names.
 * Each regex matches anywhere in the name unless anchored, as in kcat (librdkafka); the `.*(?:…).*` wrapping keeps
 * that meaning where the broker matches whole names (the KIP-848 group coordinator, like Java's subscribe). Plain
 * names given beside a pattern join it as exact matches.
 */
export function subscriptionPattern(topics: string[], pattern: string | undefined): RegExp | null {
  const regexes = [...(pattern !== undefined ? [pattern] : []), ...topics.filter((t) => t.startsWith('^'))]
  if (regexes.length === 0) return null
  const names = topics.filter((t) => !t.startsWith('^'))
  const alternatives = [...regexes.map((r) => `.*(?:${r}).*`), ...names.map(escapeRegExp)]
  const source = alternatives.length === 1 ? alternatives[0]! : alternatives.map((a) => `(?:${a})`).join('|')
  for (const r of regexes) {
    try {
      new RegExp(r)
    } catch (error) {
      throw new UsageError(`consume: '${r}' is not a regular expression (${(error as Error).message})`, "e.g. --pattern 'orders-.*' or the kcat form '^orders-'")
    }
  }
  // Full-name semantics for every path: the classic protocol's local matching tests this same source.
  return new RegExp(`^(?:${source})$`)
}

export async function consume(ctx: CommandContext): Promise<ExitCode> {
  const patternFlag = stringOption(ctx.values, 'pattern')
  const named = ctx.positionals
  if (named.length === 0 && patternFlag === undefined) throw new UsageError('consume: missing the topic', 'see `samsa consume --help`')
  const groupId = stringOption(ctx.values, 'group')
  const pattern = subscriptionPattern(named, patternFlag)
  if (pattern !== null && groupId === undefined) {
    throw new UsageError('consume: a topic pattern needs -G', 'a pattern subscription is a group member\'s (as in kcat): add -G <group>')
  }
  const what = `consume from ${[...(patternFlag !== undefined ? [`/${patternFlag}/`] : []), ...named].join(', ')}`
  const offsetRaw = stringOption(ctx.values, 'offset')
  const start = parseOffset(offsetRaw)
  const partitionFlags = listOption(ctx.values, 'partition').map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`consume: -p '${p}' is not a partition number`)
    return Number(p)
  })
  if (groupId !== undefined && partitionFlags.length > 0) throw new UsageError('consume: -G and -p do not go together', 'a group member gets its partitions from the group; leave out -G to pick them')
  if (groupId !== undefined && start.kind !== 'beginning' && start.kind !== 'end') {
    throw new UsageError('consume: with -G, -o is beginning or end (where to start without a committed offset)', 'leave out -G to start at an offset or a time')
  }
  const count = intOption(ctx.values, 'count', ctx.name, 1)
  const exitAtEnd = ctx.values.exit === true
  const isolation = (stringOption(ctx.values, 'isolation') ?? 'read_uncommitted') as IsolationLevel
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new UsageError(`consume: --isolation '${isolation}' is not read_committed or read_uncommitted`)
  const format = stringOption(ctx.values, 'format')
  const separator = stringOption(ctx.values, 'key-separator')
  const json = ctx.values.json === true
  if ([format !== undefined, separator !== undefined, json].filter(Boolean).length > 1) throw new UsageError('consume: choose one of -f, -K and --json')
  const render: (m: Message) => Buffer | string = json
    ? jsonLine
    : compileFormat(format ?? (separator !== undefined ? `%k${separator.replace(/%/g, '%%')}%s\\n` : '%s\\n'))

  const kafka = connect(ctx)
  const progress = new Progress(ctx.stderr, 'consumed')
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // A reader that went away stops the command like Ctrl-C: what was written is committed, the group is left.
  ctx.out.closedSignal.addEventListener('abort', stop, { once: true })
  let timer: NodeJS.Timeout | null = null
  try {
    // A pattern may match nothing yet (topics created later are picked up): only plain names are checked, and
    // --exit's end offsets are those of the topics matching when the command starts.
    const topics = pattern === null ? named : await matchingTopics(kafka, pattern)
    const counts = topics.length > 0 ? await checkTopics(kafka, topics, what) : new Map<string, number>()
    const partitions = topics.flatMap((topic) => {
      const n = counts.get(topic)!
      const chosen = partitionFlags.length > 0 ? partitionFlags : Array.from({ length: n }, (_, i) => i)
      for (const p of chosen) if (p >= n) throw new UsageError(`consume: partition ${p} of '${topic}' does not exist`, `the topic has partitions 0–${n - 1}`)
      return chosen.map((partition) => ({ topic, partition }))
    })
    // A pattern that matched nothing at start has no end to wait for: with --exit there is nothing to read.
    if (exitAtEnd && partitions.length === 0) return EXIT.ok
    const ends = new Map<string, bigint>()
    const starts = new Map<string, bigint>()
    await lookUpOffsets(kafka, partitions, start, isolation, ends, groupId === undefined ? starts : null, exitAtEnd)

    const consumer = kafka.consumer({
      ...(groupId !== undefined ? { groupId, enableAutoCommit: false } : {}),
      autoOffsetReset: start.kind === 'beginning' ? 'earliest' : 'latest',
      isolationLevel: isolation,
    })
    // What was written, per partition: the offsets a group member commits (only what reached stdout).
    const written = new Map<string, { topic: string; partition: number; offset: bigint }>()
    const finished = new Set<string>()
    let records = 0
    let committing: Promise<void> | null = null
    const commitWritten = async (): Promise<void> => {
      if (groupId === undefined || written.size === 0) return
      const owned = new Set(consumer.assignment().map((tp) => key(tp.topic, tp.partition)))
      const offsets = [...written.entries()].filter(([k]) => owned.has(k)).map(([, v]) => v)
      if (offsets.length > 0) await consumer.commit({ offsets })
    }

    try {
      if (groupId !== undefined) await consumer.subscribe(pattern ?? topics)
      else {
        await consumer.assign(partitions)
        for (const tp of partitions) consumer.seek({ ...tp, offset: starts.get(key(tp.topic, tp.partition))! })
      }
      const allFinished = (): boolean => {
        const owned = consumer.assignment()
        return owned.length > 0 && owned.every((tp) => finished.has(key(tp.topic, tp.partition)) || !ends.has(key(tp.topic, tp.partition)))
      }
      let checking = false
      let lastCommit = Date.now()
      timer = setInterval(() => {
        if (checking) return
        checking = true
        void (async () => {
          if (exitAtEnd) {
            for (const tp of consumer.assignment()) {
              const k = key(tp.topic, tp.partition)
              const end = ends.get(k)
              if (finished.has(k) || end === undefined) continue
              const position = await consumer.position(tp, { timeoutMs: 1000 }).catch(() => null)
              if (position !== null && position >= end) finished.add(k)
            }
            if (allFinished()) controller.abort()
          }
          if (groupId !== undefined && Date.now() - lastCommit >= 5000) {
            lastCommit = Date.now()
            committing = commitWritten().catch(() => undefined)
            await committing
          }
        })().finally(() => (checking = false))
      }, 200)

      batches: for await (const batch of consumer.batches({ signal: controller.signal })) {
        const chunks: Array<Buffer | string> = []
        let bytes = 0
        let last: Message | undefined
        for (const m of batch.messages) {
          const rendered = render(m)
          chunks.push(rendered)
          bytes += rendered.length
          last = m
          records++
          if (count !== undefined && records >= count) break
        }
        if (last) {
          try {
            await ctx.out.write(chunks.length === 1 ? chunks[0]! : typeof chunks[0] === 'string' ? chunks.join('') : Buffer.concat(chunks as Buffer[]))
          } catch (error) {
            // The batch did not reach the reader: it is not counted as written, so it is not committed.
            if (error instanceof OutputClosed) break batches
            throw error
          }
          progress.add(chunks.length, bytes)
          const k = key(last.topic, last.partition)
          written.set(k, { topic: last.topic, partition: last.partition, offset: last.offset + 1n })
          const end = ends.get(k)
          if (exitAtEnd && end !== undefined && last.offset + 1n >= end) finished.add(k)
        }
        if (count !== undefined && records >= count) break batches
        if (exitAtEnd && allFinished()) break batches
      }
      if (timer) clearInterval(timer)
      timer = null
      await committing
      await commitWritten()
    } finally {
      await consumer.close()
    }
  } catch (error) {
    return fail(ctx, what, error)
  } finally {
    if (timer) clearInterval(timer)
    progress.stop()
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
    ctx.out.closedSignal.removeEventListener('abort', stop)
    await kafka.close()
  }
  return EXIT.ok
}

async function matchingTopics(kafka: Kafka, pattern: RegExp): Promise<string[]> {
  const admin = kafka.admin()
  try {
    return (await admin.listTopics()).map((t) => t.name).filter((name) => pattern.test(name))
  } finally {
    await admin.close()
  }
}

/** End offsets (for --exit) and, without a group, each partition's start offset from -o. */
async function lookUpOffsets(
  kafka: Kafka,
  partitions: Array<{ topic: string; partition: number }>,
  start: StartSpec,
  isolationLevel: IsolationLevel,
  ends: Map<string, bigint>,
  starts: Map<string, bigint> | null,
  needEnds: boolean,
): Promise<void> {
  if (!needEnds && starts === null) return
  const admin = kafka.admin()
  try {
    const requests: ListOffsetsRequestItem[] = partitions.map((tp) => ({ ...tp, spec: 'latest' }))
    if (starts !== null) {
      if (start.kind === 'beginning' || start.kind === 'relative') requests.push(...partitions.map((tp): ListOffsetsRequestItem => ({ ...tp, spec: 'earliest' })))
      if (start.kind === 'timestamp') requests.push(...partitions.map((tp): ListOffsetsRequestItem => ({ ...tp, spec: { timestamp: start.ms } })))
    }
    const results = await admin.listOffsets(requests, { isolationLevel })
    const latest = new Map<string, bigint>()
    const other = new Map<string, bigint>()
    results.forEach((r, i) => {
      if (r.error) throw r.error
      ;(i < partitions.length ? latest : other).set(key(r.topic, r.partition), r.offset)
    })
    for (const [k, v] of latest) ends.set(k, v)
    if (starts === null) return
    for (const tp of partitions) {
      const k = key(tp.topic, tp.partition)
      const end = latest.get(k)!
      switch (start.kind) {
        case 'end':
          starts.set(k, end)
          break
        case 'beginning':
          starts.set(k, other.get(k)!)
          break
        case 'offset':
          starts.set(k, start.offset)
          break
        case 'relative': {
          const from = end - start.back
          const earliest = other.get(k)!
          starts.set(k, from < earliest ? earliest : from)
          break
        }
        case 'timestamp': {
          const found = other.get(k)!
          starts.set(k, found < 0n ? end : found)
          break
        }
      }
    }
  } finally {
    await admin.close()
  }
}
