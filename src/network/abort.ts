/**
 * Waiting that honours an AbortSignal, so every await in a call can be cancelled or cut off at its deadline.
 * A signal fired by samsa itself (a deadline passing, a client closing) carries that error as its reason, and the
 * caller gets it as it is; a caller's own abort becomes an AbortError carrying the caller's reason.
 */
import { AbortError, type KafkaError } from '../errors.js'
import { type Clock, systemClock } from './clock.js'

export { AbortError, AbortedError } from '../errors.js'

/** Errors samsa itself aborts with (a deadline passing, a client closing): they reach the caller as they are. */
const ownReasons = new WeakSet<object>()

/** Marks `error` as the reason of one of samsa's own aborts (see `abortError`). */
export function ownAbortReason<E extends KafkaError>(error: E): E {
  ownReasons.add(error)
  return error
}

/** The error a fired signal stands for: samsa's own reason as it is, a caller's abort as an AbortError. */
export function abortError(signal: AbortSignal): KafkaError {
  const reason: unknown = signal.reason
  return typeof reason === 'object' && reason !== null && ownReasons.has(reason) ? (reason as KafkaError) : new AbortError(reason)
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal)
}

/** Waits `ms`, ending early (rejecting) when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      reject(abortError(signal!))
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * `promise`, or the signal's error as soon as it fires, whichever comes first. The work behind `promise` is not
 * stopped (its outcome is still observed, so a later rejection is not unhandled): for waits shared by several
 * callers (a metadata refresh, a coordinator look-up, a connection attempt), where one caller giving up must leave
 * the work running for the others. Without a signal, `promise` itself.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(abortError(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * A signal that fires when any of `signals` does, with that signal's reason: `AbortSignal.any` (Node ≥ 20.3), or the
 * same made by hand on older Node 20 releases.
 */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals)
  const controller = new AbortController()
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason)
      break
    }
    // Registered with the combined signal, so the listeners go away as soon as it fires.
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true, signal: controller.signal })
  }
  return controller.signal
}
