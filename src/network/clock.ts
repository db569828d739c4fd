/**
 * Time as the clients see it. Every client-side timer — linger, batch expiry, delivery and request deadlines, retry
 * backoff, poll interval, heartbeats, metadata age — reads `now()` and schedules through one `Clock`, so that tests
 * can replace real time with a `ManualClock` and drive those timers in virtual time, without sleeping (what Java's
 * `Time`/`MockTime` give its client). Socket-level waits (connecting, TLS, a request on the wire) stay on real time:
 * a virtual clock cannot make a socket answer sooner.
 */

/** A scheduled callback, as returned by `Clock.setTimeout` / `setInterval`. */
export interface ClockTimer {
  /** Lets the process exit while the timer is pending (as Node's `Timeout.unref`). */
  unref(): unknown
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(callback: () => void, delayMs: number): ClockTimer
  clearTimeout(timer: ClockTimer | null | undefined): void
  setInterval(callback: () => void, intervalMs: number): ClockTimer
  clearInterval(timer: ClockTimer | null | undefined): void
}

/** Real time: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback, intervalMs) => setInterval(callback, intervalMs),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
}

class ManualTimer implements ClockTimer {
  cancelled = false
  constructor(
    public at: number,
    readonly sequence: number,
    readonly callback: () => void,
    readonly intervalMs: number,
  ) {}

  unref(): this {
    return this
  }
}

/**
 * Virtual time for tests: nothing happens until `advance`. Timers fire in due-time order (ties in the order they
 * were set), each with `now()` at its own due time, and the promise work each one starts runs before the next fires,
 * so chains of timers and awaits behave as they would in real time, only without waiting.
 */
export class ManualClock implements Clock {
  #now: number
  #sequence = 0
  #timers: ManualTimer[] = []

  constructor(startMs = 1_750_000_000_000) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    return this.#add(callback, delayMs, 0)
  }

  setInterval(callback: () => void, intervalMs: number): ClockTimer {
    return this.#add(callback, intervalMs, Math.max(1, intervalMs))
  }

  clearTimeout(timer: ClockTimer | null | undefined): void {
    if (timer instanceof ManualTimer) timer.cancelled = true
    this.#timers = this.#timers.filter((t) => t !== timer)
  }

  clearInterval(timer: ClockTimer | null | undefined): void {
    this.clearTimeout(timer)
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length
  }

  /** When the next timer fires, or null with none pending. */
  nextTimerAt(): number | null {
    return this.#timers.length === 0 ? null : this.#timers[0]!.at
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers set by those timers),
   * and lets the promise work they start settle after each one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms)
    await settle()
    for (;;) {
      const next = this.#timers[0]
      if (next === undefined || next.at > target) break
      this.#timers.shift()
      this.#now = Math.max(this.#now, next.at)
      if (next.intervalMs > 0) {
        next.at += next.intervalMs
        this.#insert(next)
      }
      next.callback()
      await settle()
    }
    this.#now = target
    await settle()
  }

  /** Advances to the next timer's due time and fires it (and any due with it); false when none is pending. */
  async runNext(): Promise<boolean> {
    const at = this.nextTimerAt()
    if (at === null) return false
    await this.advance(Math.max(0, at - this.#now))
    return true
  }

  #add(callback: () => void, delayMs: number, intervalMs: number): ManualTimer {
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : Number.MAX_SAFE_INTEGER
    const timer = new ManualTimer(this.#now + delay, this.#sequence++, callback, intervalMs)
    this.#insert(timer)
    return timer
  }

  #insert(timer: ManualTimer): void {
    let i = this.#timers.length
    while (i > 0 && (this.#timers[i - 1]!.at > timer.at || (this.#timers[i - 1]!.at === timer.at && this.#timers[i - 1]!.sequence > timer.sequence))) i--
    this.#timers.splice(i, 0, timer)
  }
}

/** Lets pending promise continuations and immediates run (a few rounds: chains of awaits take several). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
