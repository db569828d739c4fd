/**
 * The one request policy. Every call that talks to the cluster runs under one `Budget`: how many attempts it may
 * make, the deadline it must end by, and the signal that cancels it. Whatever the call does on the way (metadata,
 * coordinator look-ups, connecting, each request) draws on that budget: nothing below it retries on its own, so
 * retries never nest and multiply.
 *
 * Errors are classified from Kafka's own error table (generated from the kafka-clients jar): retriable or not, and
 * what they prove stale (metadata or a coordinator), so the caller refreshes exactly that before the next attempt.
 */
import { AuthenticationError, KafkaError, KafkaProtocolError, TimeoutError } from '../errors.js'
import { errorCodes } from '../protocol/index.js'
import { abortError, ownAbortReason, sleep } from './abort.js'
import { backoffDelayMs } from './backoff.js'
import { type Clock, type ClockTimer, systemClock } from './clock.js'

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  initialBackoffMs: number
  maxBackoffMs: number
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, initialBackoffMs: 100, maxBackoffMs: 1000 }

export function isRetriable(error: unknown): error is KafkaError {
  return error instanceof KafkaError && error.retriable && !(error instanceof AuthenticationError)
}

/**
 * What a broker's error code proves stale, by its class in Kafka's error table (null for other errors: a lost
 * connection or a timeout is the caller's to judge, see Cluster.handleRetriableError).
 */
export function staleness(error: unknown): 'metadata' | 'coordinator' | null {
  if (error instanceof KafkaProtocolError) return errorCodes.get(error.code)?.refresh ?? null
  return null
}

export interface BudgetOptions {
  /** How long the whole call may take. */
  timeoutMs: number
  /** The setting that bounds it, named in the TimeoutError (e.g. `defaultApiTimeoutMs`). */
  bound: string
  signal?: AbortSignal
  retry: RetryOptions
  clock?: Clock
}

/**
 * One call's attempts, deadline and cancellation. `signal` fires at the deadline (with a TimeoutError as reason) or
 * when the caller's signal does, so every wait below (connect, request, backoff) passes just this one signal.
 * `end()` releases the timer; a budget ends when its call settles.
 */
export class Budget {
  readonly deadline: number
  readonly signal: AbortSignal
  readonly retry: RetryOptions
  readonly #bound: string
  readonly #timeoutMs: number
  readonly #controller = new AbortController()
  readonly #callerSignal: AbortSignal | undefined
  readonly #clock: Clock
  #timer: ClockTimer | null = null
  #onCallerAbort: (() => void) | null = null
  #lastError: unknown = undefined
  /** Attempts started so far. */
  attempts = 0
  #loops = 0

  constructor(options: BudgetOptions) {
    this.#timeoutMs = Math.max(0, options.timeoutMs)
    this.#clock = options.clock ?? systemClock
    this.deadline = this.#clock.now() + this.#timeoutMs
    this.retry = options.retry
    this.#bound = options.bound
    this.signal = this.#controller.signal
    const caller = (this.#callerSignal = options.signal)
    if (caller?.aborted) {
      this.#controller.abort(caller.reason)
      return
    }
    if (caller) {
      this.#onCallerAbort = () => this.#controller.abort(caller.reason)
      caller.addEventListener('abort', this.#onCallerAbort, { once: true })
    }
    if (Number.isFinite(this.#timeoutMs)) {
      this.#timer = this.#clock.setTimeout(() => this.#controller.abort(ownAbortReason(this.#timeoutError())), this.#timeoutMs)
    }
  }

  static for(
    options: { timeoutMs?: number; signal?: AbortSignal; retry?: Partial<RetryOptions>; bound?: string },
    defaults: { timeoutMs: number; bound: string; retry: RetryOptions; clock?: Clock },
  ): Budget {
    const own = options.timeoutMs !== undefined
    return new Budget({
      timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
      bound: options.bound ?? (own ? 'timeoutMs' : defaults.bound),
      signal: options.signal,
      retry: { ...defaults.retry, ...options.retry },
      clock: defaults.clock,
    })
  }

  /**
   * True while a retry loop (`run`, or a sharded call) owns this budget: a request made inside it is one attempt
   * of that loop, never a loop of its own.
   */
  get looping(): boolean {
    return this.#loops > 0
  }

  /** Runs `body` as the loop that owns this budget (see `looping`). */
  async loop<T>(body: () => Promise<T>): Promise<T> {
    this.#loops++
    try {
      return await body()
    } finally {
      this.#loops--
    }
  }

  remainingMs(now = this.#clock.now()): number {
    return Math.max(0, this.deadline - now)
  }

  /** Throws when the call was cancelled or its deadline passed. */
  check(): void {
    if (this.signal.aborted) throw abortError(this.signal)
  }

  /** A per-request timeout that does not outlive the call. */
  requestTimeout(requestTimeoutMs: number): number {
    return Math.max(1, Math.min(requestTimeoutMs, this.remainingMs()))
  }

  /**
   * After a failed attempt: rethrows when the error is not retriable; otherwise `stale` drops what it proves stale
   * (so that the next call routes afresh even when this one gives up), and unless the attempts are spent, waits the
   * backoff (KIP-580, exponential with jitter). A deadline that passes meanwhile ends the call with a TimeoutError
   * whose cause is the last error.
   */
  async backoff(error: unknown, stale?: (error: KafkaError) => void): Promise<void> {
    this.#lastError = error
    if (!isRetriable(error)) throw error
    this.check()
    stale?.(error)
    if (this.attempts > this.retry.retries) throw error
    await this.pause(error)
  }

  /** Waits the backoff after the current attempt before another (for callers that count attempts themselves). */
  async pause(error: unknown): Promise<void> {
    this.#lastError = error
    this.check()
    const delay = backoffDelayMs(Math.max(0, this.attempts - 1), this.retry)
    if (delay >= this.remainingMs()) throw this.#timeoutError()
    await sleep(delay, this.signal, this.#clock)
  }

  /**
   * Runs `attempt` until it succeeds or the budget says stop. `stale` drops what a retriable error proves stale,
   * before the backoff so that the refresh overlaps it.
   */
  async run<T>(attempt: () => Promise<T>, stale?: (error: KafkaError) => void): Promise<T> {
    return this.loop(() => this.#run(attempt, stale))
  }

  async #run<T>(attempt: () => Promise<T>, stale?: (error: KafkaError) => void): Promise<T> {
    for (;;) {
      this.check()
      this.attempts++
      try {
        return await attempt()
      } catch (error) {
        // An attempt cut short by the deadline or the caller's signal ends the call with that, not its own error.
        await this.backoff(this.signal.aborted && !(error instanceof AuthenticationError) ? abortError(this.signal) : error, stale)
      }
    }
  }

  end(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer)
    this.#timer = null
    if (this.#onCallerAbort) this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort)
    this.#onCallerAbort = null
  }

  #timeoutError(): TimeoutError {
    const last = this.#lastError
    const why = last instanceof Error ? `; last error: ${last.message}` : ''
    return new TimeoutError(`Gave up after ${this.attempts} attempt(s): ${this.#bound} (${this.#timeoutMs} ms) passed${why}`, {
      cause: last,
    })
  }
}
