// The loop's own rules (when a failure ends it, when it waits, how it stops), apart from any protocol. What the
// protocols do with a real coordinator is covered by the integration group tests.
import { KafkaError, KafkaProtocolError } from '../../../src/errors.js'
import { MembershipLoop, type MembershipLoopHost, type MembershipRounds, type RoundFailure } from '../../../src/consumer/membership-loop.js'
import { systemClock } from '../../../src/network/clock.js'
import { silentLogger } from '../../../src/network/instrumentation.js'

/** Longer than the test timeout: a round or backoff that really waited this long fails the test. */
const FOREVER_MS = 10 * 60_000

function hostRecordingFatal(): { host: MembershipLoopHost; fatal: KafkaError[]; fatalReported: Promise<void> } {
  const fatal: KafkaError[] = []
  let reported: () => void = () => undefined
  const fatalReported = new Promise<void>((resolve) => (reported = resolve))
  return {
    host: {
      clock: systemClock,
      logger: silentLogger,
      fatal: (error) => {
        fatal.push(error)
        reported()
      },
    },
    fatal,
    fatalReported,
  }
}

function rounds(round: () => Promise<void>, failed: (error: KafkaError) => RoundFailure, backoffMs = FOREVER_MS): MembershipRounds {
  return { round, failed, retryBackoffMs: () => backoffMs }
}

/** Loops a test made; halted after each test, so a failing test leaves no timer holding jest open. */
const made: MembershipLoop[] = []
function newLoop(host: MembershipLoopHost, spec: MembershipRounds): MembershipLoop {
  const loop = new MembershipLoop(host, spec)
  made.push(loop)
  return loop
}

describe('MembershipLoop', () => {
  afterEach(async () => {
    await Promise.all(made.splice(0).map((loop) => loop.halt()))
  })

  it('a broker error the protocol leaves to the common rule ends the loop when not retriable and reaches fatal once', async () => {
    const { host, fatal, fatalReported } = hostRecordingFatal()
    const notRetriable = new KafkaProtocolError(87, 'INVALID_RECORD', false)
    let calls = 0
    const loop = newLoop(host, rounds(async () => {
      calls++
      throw notRetriable
    }, () => 'retry'))
    loop.start()
    await fatalReported
    expect(fatal).toEqual([notRetriable])
    expect(calls).toBe(1)
    expect(loop.running).toBe(false)
    await loop.halt()
  })

  it('retries a retriable broker error after the backoff, and a plain Error reaches the protocol as a KafkaError', async () => {
    const { host, fatal, fatalReported } = hostRecordingFatal()
    const seen: KafkaError[] = []
    const plain = new Error('socket hung up')
    const failures: unknown[] = [new KafkaProtocolError(15, 'COORDINATOR_NOT_AVAILABLE', true), plain, new KafkaProtocolError(58, 'SASL_AUTHENTICATION_FAILED', false)]
    const loop = newLoop(host, rounds(async () => {
      throw failures.shift()
    }, (error) => {
      seen.push(error)
      return 'retry'
    }, 0))
    loop.start()
    await fatalReported
    expect(seen.map((e) => e instanceof KafkaError)).toEqual([true, true, true])
    expect(seen[1]!.cause).toBe(plain)
    expect(fatal.map((e) => (e as KafkaProtocolError).code)).toEqual([58])
    await loop.halt()
  })

  it('after a rejoin the next round runs at once, without the retry backoff', async () => {
    const { host } = hostRecordingFatal()
    let calls = 0
    let secondRound: () => void = () => undefined
    const reachedSecond = new Promise<void>((resolve) => (secondRound = resolve))
    const loop = newLoop(host, rounds(async () => {
      calls++
      if (calls === 1) throw new KafkaProtocolError(25, 'UNKNOWN_MEMBER_ID', false)
      secondRound()
      await loop.pause(FOREVER_MS)
    }, () => 'rejoin'))
    loop.start()
    await reachedSecond
    expect(calls).toBe(2)
    await loop.halt()
  })

  it('stop ends the loop without reporting a fatal error', async () => {
    const { host, fatal } = hostRecordingFatal()
    let handedOver: () => void = () => undefined
    const stopped = new Promise<void>((resolve) => (handedOver = resolve))
    const loop = newLoop(host, rounds(async () => {
      throw new KafkaProtocolError(35, 'UNSUPPORTED_VERSION', false)
    }, () => {
      handedOver()
      return 'stop'
    }))
    loop.start()
    await stopped
    await loop.halt()
    expect(fatal).toEqual([])
    expect(loop.running).toBe(false)
  })

  it('a round that finishes after halt does not start another wait', async () => {
    const { host } = hostRecordingFatal()
    let halting: Promise<void> | null = null
    let calls = 0
    const loop = newLoop(host, rounds(async () => {
      calls++
      await Promise.resolve()
      // The heartbeat answered just as stop() began: the round's own wait must not hold stop() up.
      halting = loop.halt()
      await loop.pause(FOREVER_MS)
    }, () => 'retry'))
    loop.start()
    await new Promise((resolve) => setImmediate(resolve))
    expect(halting).not.toBeNull()
    await halting
    expect(calls).toBe(1)
    expect(loop.running).toBe(false)
  })

  it('halt ends a pause at once and aborts the signal the round sends with; start after halt runs again with a fresh one', async () => {
    const { host } = hostRecordingFatal()
    const signals: AbortSignal[] = []
    let roundStarted: () => void = () => undefined
    let started = new Promise<void>((resolve) => (roundStarted = resolve))
    const loop = newLoop(host, rounds(async () => {
      signals.push(loop.signal)
      roundStarted()
      await loop.pause(FOREVER_MS)
    }, () => 'retry'))
    loop.start()
    await started
    await loop.halt()
    expect(signals[0]!.aborted).toBe(true)
    started = new Promise<void>((resolve) => (roundStarted = resolve))
    loop.start()
    await started
    expect(signals[1]!.aborted).toBe(false)
    await loop.halt()
    expect(signals[1]!.aborted).toBe(true)
  })
})
