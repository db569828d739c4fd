/**
 * Exponential backoff with jitter (KIP-580): the n-th retry waits about initial * 2^n, capped at max, spread by
 * ±20% so that many clients failing together do not retry in lockstep.
 */
export interface BackoffOptions {
  initialBackoffMs: number
  maxBackoffMs: number
  /** Fraction of the delay added or removed at random (Kafka uses 0.2). */
  jitter?: number
}

export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { initialBackoffMs, maxBackoffMs } = options
  const jitter = options.jitter ?? 0.2
  if (initialBackoffMs <= 0) return 0
  const exponential = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(attempt, 30))
  const spread = exponential * jitter * (2 * random() - 1)
  return Math.max(0, Math.min(maxBackoffMs * (1 + jitter), Math.round(exponential + spread)))
}
