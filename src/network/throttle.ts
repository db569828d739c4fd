/**
 * KIP-219 client-side throttling for one connection. A broker over a client's quota answers at once with
 * throttleTimeMs and then mutes its side of the channel for that long. A client that keeps writing only piles
 * requests up in the broker's socket buffer, where their deadlines run while nobody reads them; held in the
 * connection's queue instead they still time out, abort and fail over cleanly. This holds for the request versions
 * Kafka 2.0 introduced; with older ones the broker delayed the response itself and a client that also waited would
 * back off twice. samsa negotiates the highest version both sides know, and every broker it supports (Kafka 3.9,
 * 4.x) knows the 2.0 versions, so each throttleTimeMs the connection reads asks for it.
 *
 * This class only keeps the time: whether writes are held now, the wake-up when they may resume, and the totals.
 * The connection checks `muted` before writing and reads the throttle time from each response.
 */
export class Throttle {
  readonly #onUnmute: () => void
  #mutedUntil = 0
  /** Set while muted; fires at #mutedUntil. */
  #timer: NodeJS.Timeout | null = null
  #totalMs = 0
  #count = 0

  /** `onUnmute` runs when held writes may go out again. */
  constructor(onUnmute: () => void) {
    this.#onUnmute = onUnmute
  }

  /** True while the broker asked for silence: write nothing. */
  get muted(): boolean {
    return this.#timer !== null
  }

  /** Milliseconds of throttling asked for, summed over every response. */
  get totalMs(): number {
    return this.#totalMs
  }

  /** Responses that asked to back off. */
  get count(): number {
    return this.#count
  }

  /** Holds writes for `throttleTimeMs` from now, unless an earlier response already holds them longer. */
  hold(throttleTimeMs: number): void {
    this.#totalMs += throttleTimeMs
    this.#count++
    const until = performance.now() + throttleTimeMs
    if (until <= this.#mutedUntil) return
    this.#mutedUntil = until
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#unmute(), throttleTimeMs)
    this.#timer.unref()
  }

  /** Cancels the wake-up (the connection closed); nothing is written again. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #unmute(): void {
    this.#timer = null
    // A Node timer counts from the loop's cached time and may fire early; never write before the broker's deadline.
    // The deadline is on the monotonic clock: a wall clock stepped back while muted would hold writes for as long
    // as the step, one stepped ahead would let them out early.
    const left = this.#mutedUntil - performance.now()
    if (left > 0) {
      this.#timer = setTimeout(() => this.#unmute(), left)
      this.#timer.unref()
      return
    }
    this.#onUnmute()
  }
}
