/**
 * Issue #13, "every call ends on time": each public entry point, pointed at a server that misbehaves (see
 * test/helpers/hostile-server.ts), must settle with a typed KafkaError within its deadline + 2 s, and closing the
 * clients must leave no socket or timer behind. Not a timing test (the slack is generous): a no-hang test.
 *
 * Per behaviour, every entry point runs at once, each with its own `Kafka` (no shared metadata or pool), and each
 * `it` only reads the outcome of its own call, observed for at most deadline + 2 s + a little; a call that hangs
 * fails its test and is closed with the others in the behaviour's cleanup test. Real timers throughout.
 */
import { createHook } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { Kafka, KafkaError, type KafkaConfig } from '../../src/index.js'
import { HostileServer, advertisedApiVersions, type HostileBehaviour } from '../helpers/hostile-server.js'
import { unusedPort } from '../helpers/kafka.js'

/** Error classes that say what went wrong. A bare KafkaError or an AbortedError nobody asked for do not. */
const TYPED_ERRORS = ['TimeoutError', 'ConnectionError', 'KafkaProtocolError', 'ProtocolDecodeError', 'AuthenticationError']
const SLACK_MS = 2000
/** How much longer than the bound a call is watched, so the report can tell "late" from "hung". */
const OBSERVE_EXTRA_MS = 1500
/** A client's close() that takes longer than this is reported and abandoned (kafka.close() then cleans up). */
const CLOSE_BOUND_MS = 3000

const DEFAULT_API_TIMEOUT_MS = 4000
const MAX_BLOCK_MS = 3000
const COMMITTED_TIMEOUT_MS = 3000

function clientConfig(address: string, clientId: string, extra: Partial<KafkaConfig> = {}): KafkaConfig {
  return {
    brokers: [address],
    clientId,
    requestTimeoutMs: 1500,
    connectTimeoutMs: 1500,
    retry: { retries: 1 },
    logger: false,
    defaultApiTimeoutMs: DEFAULT_API_TIMEOUT_MS,
    ...extra,
  } as KafkaConfig
}

// ---- outcomes ----

interface Outcome {
  status: 'pending' | 'resolved' | 'rejected'
  /** From the call to its settlement. */
  ms: number | null
  value?: unknown
  error?: unknown
}

interface Tracked {
  startedAt: number
  outcome: Outcome
  done: Promise<void>
}

function track(startedAt: number, promise: Promise<unknown>): Tracked {
  const outcome: Outcome = { status: 'pending', ms: null }
  const done = promise.then(
    (value) => {
      outcome.status = 'resolved'
      outcome.value = value
      outcome.ms = performance.now() - startedAt
    },
    (error: unknown) => {
      outcome.status = 'rejected'
      outcome.error = error
      outcome.ms = performance.now() - startedAt
    },
  )
  return { startedAt, outcome, done }
}

/** Waits until the call settles or `windowMs` after it started, whichever is first. */
async function observe(tracked: Tracked, windowMs: number): Promise<Outcome> {
  const left = Math.max(0, tracked.startedAt + windowMs - performance.now())
  let timer: NodeJS.Timeout | undefined
  await Promise.race([tracked.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))])
  clearTimeout(timer)
  return { ...tracked.outcome }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 160)
  return String(error)
}

/** Every reason `outcome` is not "a typed KafkaError within boundMs + SLACK_MS"; empty when it is. */
function deadlineProblems(outcome: Outcome, boundMs: number): string[] {
  const limit = boundMs + SLACK_MS
  if (outcome.status === 'pending') return [`still pending after ${limit + OBSERVE_EXTRA_MS} ms (limit ${limit} ms)`]
  const problems: string[] = []
  if (outcome.status === 'resolved') {
    problems.push(`resolved (${JSON.stringify(outcome.value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 120)}) instead of rejecting`)
  } else {
    if (!(outcome.error instanceof KafkaError)) problems.push(`rejected with a non-KafkaError: ${describeError(outcome.error)}`)
    else if (!TYPED_ERRORS.includes(outcome.error.name)) problems.push(`rejected with an untyped ${describeError(outcome.error)}`)
  }
  if (outcome.ms! > limit) problems.push(`settled after ${Math.round(outcome.ms!)} ms (limit ${limit} ms)`)
  return problems
}

// ---- resources ----

const WATCHED_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'] as const
type ResourceCounts = Record<(typeof WATCHED_RESOURCES)[number], number>

function sampleResources(): ResourceCounts {
  const counts: ResourceCounts = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 }
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind as keyof ResourceCounts]++
  return counts
}

/**
 * Active sockets, servers and (referenced) timers of the process, each the least of four samples 60 ms apart:
 * under `-i` jest's own reporter shares the process and keeps a 100 ms debounce timer alive now and then; a leaked
 * SDK handle is there in every sample.
 */
async function resourceCounts(): Promise<ResourceCounts> {
  const least = sampleResources()
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 60))
    const sample = sampleResources()
    for (const kind of WATCHED_RESOURCES) least[kind] = Math.min(least[kind], sample[kind])
  }
  return least
}

/**
 * DEADLINES_TRACE=1: remembers where every timer was created, so a leaked Timeout is reported with the SDK frames
 * that created it. Off by default (async hooks slow everything down a little).
 */
const traceTimers = process.env.DEADLINES_TRACE === '1'
const liveTimers = new Map<number, { seq: number; resource: { hasRef?: () => boolean }; stack: string }>()
let timerSeq = 0
if (traceTimers) {
  createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'Timeout') return
      const lines = (new Error().stack ?? '').split('\n').slice(1)
      const sdk = lines.filter((line) => line.includes('/src/'))
      const frames = (sdk.length > 0 ? sdk : lines.filter((line) => !line.includes('node:internal') && !line.includes('deadlines.test'))).slice(0, 4)
      liveTimers.set(asyncId, { seq: ++timerSeq, resource: resource as { hasRef?: () => boolean }, stack: frames.map((f) => f.trim().replace(/^at /, '')).join(' <- ') })
    },
    destroy(asyncId) {
      liveTimers.delete(asyncId)
    },
  }).enable()
}

/** With DEADLINES_TRACE=1: referenced timers created after `sinceSeq`, still alive, not jest's own. */
function leakedTimerOrigins(sinceSeq: number): string[] {
  if (!traceTimers) return []
  return [...liveTimers.values()]
    .filter((t) => t.seq > sinceSeq && t.resource.hasRef?.() !== false && !t.stack.includes('/node_modules/'))
    .map((t) => `timer from ${t.stack || '(no caller outside node internals)'}`)
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

function resourceLeaks(before: ResourceCounts, after: ResourceCounts): string[] {
  return WATCHED_RESOURCES.filter((kind) => after[kind] > before[kind]).map((kind) => `${after[kind] - before[kind]} more ${kind} than before (${before[kind]} → ${after[kind]})`)
}

/** Resolves with how long `close` took, or 'timeout' after `boundMs` (the close is then abandoned, not awaited). */
async function boundedClose(close: () => Promise<unknown>, boundMs = CLOSE_BOUND_MS): Promise<number | 'timeout' | { error: string }> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const result = await Promise.race([
    close().then(
      () => performance.now() - started,
      (error: unknown) => ({ error: describeError(error) }),
    ),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), boundMs))),
  ])
  clearTimeout(timer)
  return result
}

// ---- entry points ----

interface Running {
  result: Promise<unknown>
  close(): Promise<unknown>
  /** Errors the client emitted on its own (consumer 'error' events). */
  emitted: string[]
}

interface EntryPoint {
  name: string
  /** The call's own deadline; it must settle within this + SLACK_MS. */
  boundMs: number
  start(kafka: Kafka, names: { topic: string; groupId: string }): Running
}

const ENTRY_POINTS: EntryPoint[] = [
  {
    name: 'admin.listTopics',
    boundMs: DEFAULT_API_TIMEOUT_MS,
    start(kafka) {
      const admin = kafka.admin()
      return { result: admin.listTopics(), close: () => admin.close(), emitted: [] }
    },
  },
  {
    name: 'admin.describeCluster',
    boundMs: DEFAULT_API_TIMEOUT_MS,
    start(kafka) {
      const admin = kafka.admin()
      return { result: admin.describeCluster(), close: () => admin.close(), emitted: [] }
    },
  },
  {
    name: 'producer.send (idempotent)',
    boundMs: MAX_BLOCK_MS,
    start(kafka, { topic }) {
      const producer = kafka.producer({ maxBlockMs: MAX_BLOCK_MS })
      return { result: producer.send({ topic, messages: [{ value: 'v' }] }), close: () => producer.close({ timeoutMs: 1000 }), emitted: [] }
    },
  },
  {
    name: 'producer.send (idempotent: false)',
    boundMs: MAX_BLOCK_MS,
    start(kafka, { topic }) {
      const producer = kafka.producer({ maxBlockMs: MAX_BLOCK_MS, idempotent: false })
      return { result: producer.send({ topic, messages: [{ value: 'v' }] }), close: () => producer.close({ timeoutMs: 1000 }), emitted: [] }
    },
  },
  {
    name: 'consumer.subscribe + next()',
    boundMs: DEFAULT_API_TIMEOUT_MS,
    start(kafka, { topic, groupId }) {
      const consumer = kafka.consumer({ groupId })
      const emitted: string[] = []
      consumer.on('error', (error) => emitted.push(describeError(error)))
      const result = (async () => {
        await consumer.subscribe([topic])
        return consumer[Symbol.asyncIterator]().next()
      })()
      return { result, close: () => consumer.close({ timeoutMs: 2000 }), emitted }
    },
  },
  {
    name: 'consumer.committed',
    boundMs: COMMITTED_TIMEOUT_MS,
    start(kafka, { topic, groupId }) {
      const consumer = kafka.consumer({ groupId })
      const emitted: string[] = []
      consumer.on('error', (error) => emitted.push(describeError(error)))
      const options = { timeoutMs: COMMITTED_TIMEOUT_MS } as { signal?: AbortSignal }
      return { result: consumer.committed([{ topic, partition: 0 }], options), close: () => consumer.close({ timeoutMs: 2000 }), emitted }
    },
  },
  {
    name: 'shareConsumer.subscribe + next()',
    boundMs: DEFAULT_API_TIMEOUT_MS,
    start(kafka, { topic, groupId }) {
      const consumer = kafka.shareConsumer({ groupId: `${groupId}-share` })
      const result = (async () => {
        await consumer.subscribe([topic])
        return consumer[Symbol.asyncIterator]().next()
      })()
      return { result, close: () => consumer.close(), emitted: [] }
    },
  },
]

// ---- report ----

interface ReportRow {
  behaviour: string
  entry: string
  verdict: 'pass' | 'FAIL'
  observed: string
}
const report: ReportRow[] = []

function observed(outcome: Outcome): string {
  if (outcome.status === 'pending') return 'hang'
  const what = outcome.status === 'rejected' ? (outcome.error instanceof Error ? outcome.error.name : typeof outcome.error) : 'resolved'
  return `${Math.round(outcome.ms!)} ms ${what}`
}

// The table is printed when a case failed (or with DEADLINES_REPORT=1): settle times, error classes, hangs.
afterAll(() => {
  if (!report.some((r) => r.verdict === 'FAIL') && process.env.DEADLINES_REPORT !== '1') return
  const width = Math.max(...report.map((r) => r.behaviour.length), 10)
  const entryWidth = Math.max(...report.map((r) => r.entry.length), 10)
  const lines = report.map((r) => `${r.behaviour.padEnd(width)}  ${r.entry.padEnd(entryWidth)}  ${r.verdict.padEnd(4)}  ${r.observed}`)
  // eslint-disable-next-line no-console
  console.log(`deadline outcomes (limit = deadline + ${SLACK_MS} ms):\n${lines.join('\n')}`)
})

beforeAll(async () => {
  // Asked once, before any resource baseline is taken: its socket is gone by then.
  await advertisedApiVersions()
})

// ---- per behaviour × entry point ----

interface BehaviourCase {
  behaviour: HostileBehaviour
  sasl: boolean
}

const CASES: BehaviourCase[] = [
  { behaviour: 'silent', sasl: false },
  { behaviour: 'silent-after-api-versions', sasl: false },
  { behaviour: 'silent-during-sasl', sasl: true },
  { behaviour: 'half-open', sasl: false },
  { behaviour: 'drip', sasl: false },
  { behaviour: 'wrong-correlation-id', sasl: false },
  { behaviour: 'oversized-frame', sasl: false },
  { behaviour: 'negative-frame', sasl: false },
]

describe.each(CASES)('against a $behaviour server', ({ behaviour, sasl }) => {
  let server: HostileServer
  let before: ResourceCounts
  let timersBefore = 0
  const runs = new Map<string, { kafka: Kafka; running: Running; tracked: Tracked }>()

  beforeAll(async () => {
    before = await resourceCounts()
    timersBefore = timerSeq
    server = await HostileServer.start(behaviour)
    const extra: Partial<KafkaConfig> = sasl ? { sasl: { mechanism: 'plain', username: 'u', password: 'p' } } : {}
    for (const entry of ENTRY_POINTS) {
      const kafka = new Kafka(clientConfig(server.address, `deadlines-${behaviour}-${entry.name.replace(/\W+/g, '-')}`, extra))
      const startedAt = performance.now()
      let running: Running
      try {
        running = entry.start(kafka, { topic: `deadlines-${behaviour}`, groupId: `deadlines-${behaviour}` })
      } catch (error) {
        // A synchronous throw is an outcome like any other (and must not take the other entry points down with it).
        running = { result: Promise.reject(error), close: async () => undefined, emitted: [] }
      }
      runs.set(entry.name, { kafka, running, tracked: track(startedAt, running.result) })
    }
  })

  afterAll(async () => {
    // Hygiene whatever the tests found: nothing of this behaviour may run into the next one.
    for (const { kafka } of runs.values()) await kafka.close()
    await server?.close()
  })

  for (const entry of ENTRY_POINTS) {
    it(
      `${entry.name} rejects with a typed KafkaError within ${entry.boundMs} + ${SLACK_MS} ms`,
      async () => {
        const run = runs.get(entry.name)!
        const outcome = await observe(run.tracked, entry.boundMs + SLACK_MS + OBSERVE_EXTRA_MS)
        const problems = deadlineProblems(outcome, entry.boundMs)
        report.push({ behaviour, entry: entry.name, verdict: problems.length === 0 ? 'pass' : 'FAIL', observed: observed(outcome) })
        if (problems.length > 0 && outcome.status === 'rejected') problems.push(`(error: ${describeError(outcome.error)})`)
        if (problems.length > 0 && run.running.emitted.length > 0) problems.push(`(emitted: ${run.running.emitted.slice(0, 3).join(' | ')})`)
        expect(problems).toEqual([])
      },
      entry.boundMs + SLACK_MS + OBSERVE_EXTRA_MS + 5000,
    )
  }

  it(
    'closing the clients ends every connection and leaves no socket or timer behind',
    async () => {
      const problems: string[] = []
      const closingAt = performance.now()
      const closes = await Promise.all(
        [...runs].map(async ([name, run]) => [name, await boundedClose(() => run.running.close())] as const),
      )
      for (const [name, result] of closes) {
        if (result === 'timeout') problems.push(`${name}: close() still pending after ${CLOSE_BOUND_MS} ms`)
        else if (typeof result === 'object') problems.push(`${name}: close() rejected: ${result.error}`)
      }
      // A connection the client still holds is an open socket on the server side too.
      const deadline = performance.now() + 500
      while (server.openConnections().length > 0 && performance.now() < deadline) await settle()
      const open = server.openConnections()
      if (open.length > 0) {
        const which = open.map((c) => {
          const apis = server.requests.filter((r) => r.connection === c.index).map((r) => r.apiName)
          return `#${c.index} accepted ${Math.round(c.acceptedAt - closingAt)} ms after close() began, requests [${apis.join(', ')}]`
        })
        problems.push(`${open.length} of ${server.connections.length} connections still open after the clients closed: ${which.join('; ')}`)
      }
      await server.close()
      await settle()
      const leaks = resourceLeaks(before, await resourceCounts())
      problems.push(...leaks)
      if (leaks.length > 0) problems.push(...leakedTimerOrigins(timersBefore))
      expect(problems).toEqual([])
    },
    20_000,
  )
})

// ---- bootstrap with nothing listening ----

describe('a producer whose bootstrap address has nothing listening', () => {
  const maxBlockMs = 1500
  for (const idempotent of [true, false]) {
    it(
      `rejects the first send within maxBlockMs + ${SLACK_MS} ms (idempotent: ${idempotent}) and leaves nothing behind`,
      async () => {
        const before = await resourceCounts()
        const timersBefore = timerSeq
        const port = await unusedPort()
        const kafka = new Kafka(clientConfig(`127.0.0.1:${port}`, `deadlines-refused-${idempotent}`))
        const producer = kafka.producer({ maxBlockMs, idempotent })
        try {
          const tracked = track(performance.now(), producer.send({ topic: 'deadlines-refused', messages: [{ value: 'v' }] }))
          const outcome = await observe(tracked, maxBlockMs + SLACK_MS + OBSERVE_EXTRA_MS)
          const problems = deadlineProblems(outcome, maxBlockMs)
          report.push({ behaviour: 'nothing listening', entry: `producer.send (idempotent: ${idempotent})`, verdict: problems.length === 0 ? 'pass' : 'FAIL', observed: observed(outcome) })
          if (problems.length > 0 && outcome.status === 'rejected') problems.push(`(error: ${describeError(outcome.error)})`)
          const closed = await boundedClose(() => producer.close({ timeoutMs: 1000 }))
          if (closed === 'timeout') problems.push(`close() still pending after ${CLOSE_BOUND_MS} ms`)
          await settle()
          const leaks = resourceLeaks(before, await resourceCounts())
          problems.push(...leaks)
          if (leaks.length > 0) problems.push(...leakedTimerOrigins(timersBefore))
          expect(problems).toEqual([])
        } finally {
          await kafka.close()
        }
      },
      15_000,
    )
  }
})

// ---- retries are counted ----

describe('retries are counted (samsa:request:start)', () => {
  let server: HostileServer
  let kafka: Kafka
  const started: Array<{ apiName: string; broker: string }> = []
  const onStart = (message: unknown): void => {
    const event = message as { apiName: string; broker: string }
    started.push({ apiName: event.apiName, broker: event.broker })
  }
  let outcome: Outcome
  let calls: number

  beforeAll(async () => {
    diagnosticsChannel.subscribe('samsa:request:start', onStart)
    server = await HostileServer.start('silent-after-api-versions')
    kafka = new Kafka(clientConfig(server.address, 'deadlines-retries', { retry: { retries: 2 } }))
    const admin = kafka.admin()
    try {
      const tracked = track(performance.now(), admin.describeCluster())
      outcome = await observe(tracked, DEFAULT_API_TIMEOUT_MS + SLACK_MS + OBSERVE_EXTRA_MS)
      // Attempts made after the call gave up would count too: look a moment longer.
      await new Promise((resolve) => setTimeout(resolve, 200))
      calls = started.filter((e) => e.broker === server.address && e.apiName === 'DescribeCluster').length
    } finally {
      await boundedClose(() => admin.close())
    }
  }, 20_000)

  afterAll(async () => {
    diagnosticsChannel.unsubscribe('samsa:request:start', onStart)
    await kafka?.close()
    await server?.close()
  })

  it('admin.describeCluster() with retries: 2 sends DescribeCluster at most 3 times', () => {
    report.push({ behaviour: 'retries: 2 (silent-after-av)', entry: 'admin.describeCluster', verdict: calls <= 3 ? 'pass' : 'FAIL', observed: `${calls} DescribeCluster sent; ${observed(outcome)}` })
    expect(calls).toBeLessThanOrEqual(3)
  })

  it('control: the channel sees the call’s DescribeCluster requests, as many as the server received', () => {
    expect(calls).toBeGreaterThan(0)
    expect(server.requestsFor('DescribeCluster').length).toBe(calls)
  })
})
