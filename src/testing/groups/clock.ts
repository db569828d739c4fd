/**
 * Time for the coordinators (session timeouts, rebalance timeouts, transaction timeouts). Real timers by default,
 * unref'd so a forgotten fake never keeps a test process alive; a ManualClock lets a test expire a session without
 * waiting for it.
 */

export interface TimerHandle {
  cancel(): void
}

export interface FakeClock {
  now(): number
  /** Runs `fn` once after `ms`; cancel() before it fires makes it never fire. */
  schedule(ms: number, fn: () => void): TimerHandle
}

export class RealClock implements FakeClock {
  readonly #timers = new Set<NodeJS.Timeout>()

  now(): number {
    return Date.now()
  }

  schedule(ms: number, fn: () => void): TimerHandle {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, Math.max(0, ms))
    timer.unref()
    this.#timers.add(timer)
    return { cancel: () => (clearTimeout(timer), this.#timers.delete(timer)) }
  }

  /** Clears every pending timer (fake.stop()). */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }
}

/** Virtual time: nothing fires until `advance` moves the clock past it. */
export class ManualClock implements FakeClock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, { at: number; fn: () => void }>()

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  schedule(ms: number, fn: () => void): TimerHandle {
    const id = this.#seq++
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return { cancel: () => this.#timers.delete(id) }
  }

  /** Moves time forward, firing due timers in time order (a timer may schedule another inside the window). */
  advance(ms: number): void {
    const until = this.#now + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const entry of this.#timers) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = next[1].at
      next[1].fn()
    }
    this.#now = until
  }

  clear(): void {
    this.#timers.clear()
  }
}
