import { ManualClock } from '../../../src/network/clock.js'
import { Budget, DEFAULT_RETRY } from '../../../src/network/policy.js'
import { sleep } from '../../../src/network/abort.js'
import { TimeoutError } from '../../../src/errors.js'

describe('ManualClock', () => {
  it('fires timers in due order, each at its own time, including timers they set', async () => {
    const clock = new ManualClock(1000)
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 50)
    clock.setTimeout(() => {
      fired.push(['a', clock.now()])
      clock.setTimeout(() => fired.push(['a+20', clock.now()]), 20)
    }, 10)
    const cancelled = clock.setTimeout(() => fired.push(['never', clock.now()]), 30)
    clock.clearTimeout(cancelled)
    await clock.advance(40)
    expect(fired).toEqual([
      ['a', 1010],
      ['a+20', 1030],
    ])
    expect(clock.now()).toBe(1040)
    await clock.advance(100)
    expect(fired.map(([name]) => name)).toEqual(['a', 'a+20', 'b'])
    expect(clock.pendingTimers).toBe(0)
  })

  it('repeats intervals until cleared', async () => {
    const clock = new ManualClock(0)
    const at: number[] = []
    const timer = clock.setInterval(() => at.push(clock.now()), 100)
    await clock.advance(350)
    clock.clearInterval(timer)
    await clock.advance(1000)
    expect(at).toEqual([100, 200, 300])
  })

  it('lets promise work started by a timer run before the next timer fires', async () => {
    const clock = new ManualClock(0)
    const order: string[] = []
    void (async () => {
      await sleep(10, undefined, clock)
      order.push('slept 10')
      await Promise.resolve()
      await sleep(10, undefined, clock)
      order.push('slept 20')
    })()
    clock.setTimeout(() => order.push('timer 15'), 15)
    await clock.advance(25)
    expect(order).toEqual(['slept 10', 'timer 15', 'slept 20'])
  })

  it('drives a Budget deadline and its backoff without real waiting', async () => {
    const clock = new ManualClock(0)
    const budget = new Budget({ timeoutMs: 1000, bound: 'defaultApiTimeoutMs', retry: { ...DEFAULT_RETRY, retries: 100, initialBackoffMs: 100, maxBackoffMs: 100 }, clock })
    let attempts = 0
    const started = Date.now()
    const outcome = budget
      .run(async () => {
        attempts++
        throw new TimeoutError('no answer')
      })
      .catch((error: unknown) => error)
    await clock.advance(2000)
    const error = await outcome
    budget.end()
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toMatch(/defaultApiTimeoutMs \(1000 ms\)/)
    // ~100 ms (±20% jitter) between attempts within 1000 virtual ms.
    expect(attempts).toBeGreaterThanOrEqual(8)
    expect(attempts).toBeLessThanOrEqual(13)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
