/**
 * The one retry policy every client uses: retriable errors (by the generated error table, plus lost connections
 * and timeouts) are retried with exponential backoff and jitter until the retry count or the overall deadline runs
 * out; everything else, and authentication failures above all, surfaces at once.
 */
import { AuthenticationError, KafkaError, TimeoutError } from '../errors.js'
import { sleep, throwIfAborted } from './abort.js'
import { backoffDelayMs } from './backoff.js'

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  initialBackoffMs: number
  maxBackoffMs: number
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, initialBackoffMs: 100, maxBackoffMs: 1000 }

export interface RetryContext {
  signal?: AbortSignal
  /** Absolute time (Date.now() ms) after which no new attempt starts. */
  deadline?: number
  /** Called before waiting for the next attempt: the place to refresh metadata or drop a cached coordinator. */
  onRetriableError?: (error: KafkaError, attempt: number) => void | Promise<void>
}

export function isRetriable(error: unknown): error is KafkaError {
  return error instanceof KafkaError && error.retriable && !(error instanceof AuthenticationError)
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
  context: RetryContext = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(context.signal)
    try {
      return await operation(attempt)
    } catch (error) {
      if (!isRetriable(error) || attempt >= options.retries) throw error
      const delay = backoffDelayMs(attempt, options)
      if (context.deadline !== undefined && Date.now() + delay >= context.deadline) {
        throw new TimeoutError(`Gave up after ${attempt + 1} attempts: the deadline passed`, { cause: error })
      }
      await context.onRetriableError?.(error, attempt)
      await sleep(delay, context.signal)
    }
  }
}
