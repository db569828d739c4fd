/** AbortError follows Node's convention (name, code, cause) while staying a non-retriable KafkaError. */
import { AbortError, AbortedError, KafkaError } from '../../src/errors.js'
import { abortable, anySignal, sleep, throwIfAborted } from '../../src/network/abort.js'
import { isRetriable } from '../../src/network/policy.js'

describe('AbortError', () => {
  it("has Node's shape: name 'AbortError', code 'ABORT_ERR', the reason as cause; a KafkaError that is not retriable", () => {
    const reason = new Error('user gave up')
    const error = new AbortError(reason)
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(KafkaError)
    expect(error.name).toBe('AbortError')
    expect(error.code).toBe('ABORT_ERR')
    expect(error.cause).toBe(reason)
    expect(error.message).toBe('The operation was aborted')
    expect(error.retriable).toBe(false)
    expect(isRetriable(error)).toBe(false)
    expect(String(error)).toBe('AbortError: The operation was aborted')
  })

  it('matches what Node itself throws for an aborted signal, apart from being a KafkaError', async () => {
    const reason = new Error('stop')
    const nodeError = await sleepWithNode(AbortSignal.abort(reason))
    const ours = new AbortError(reason)
    expect({ name: ours.name, code: ours.code, cause: ours.cause }).toEqual({ name: nodeError.name, code: nodeError.code, cause: nodeError.cause })
  })

  it('keeps the signal reason that AbortSignal.abort() and AbortSignal.timeout() give', async () => {
    const plain = AbortSignal.abort()
    expect(new AbortError(plain.reason).cause).toBe(plain.reason)
    expect((plain.reason as Error).name).toBe('AbortError')
    const timeout = AbortSignal.timeout(1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(timeout.aborted).toBe(true)
    expect((new AbortError(timeout.reason).cause as Error).name).toBe('TimeoutError')
  })

  it('AbortedError is a deprecated alias of the same class', () => {
    expect(AbortedError).toBe(AbortError)
    expect(new AbortedError('x')).toBeInstanceOf(AbortError)
    expect(new AbortedError('x').name).toBe('AbortError')
  })

  it('the abort helpers throw it with the reason as cause', async () => {
    const reason = { why: 'test' }
    const signal = AbortSignal.abort(reason)
    expect(() => throwIfAborted(signal)).toThrow(AbortError)
    await expect(sleep(10_000, signal)).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason })

    const controller = new AbortController()
    const never = new Promise<never>(() => undefined)
    const pending = abortable(never, controller.signal)
    controller.abort(reason)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', cause: reason })
    await expect(abortable(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7)
    await expect(abortable(Promise.reject(new Error('own')), new AbortController().signal)).rejects.toThrow('own')
  })

  it('anySignal fires with the reason of whichever signal fired first', () => {
    const a = new AbortController()
    const b = new AbortController()
    const both = anySignal([a.signal, b.signal])
    expect(both.aborted).toBe(false)
    b.abort('b first')
    a.abort('a later')
    expect(both.aborted).toBe(true)
    expect(both.reason).toBe('b first')
    expect(anySignal([new AbortController().signal, AbortSignal.abort('already')]).reason).toBe('already')
  })
})

/** The error Node's own timers/promises setTimeout rejects with for an aborted signal. */
async function sleepWithNode(signal: AbortSignal): Promise<Error & { code?: string }> {
  const { setTimeout: nodeSleep } = await import('node:timers/promises')
  try {
    await nodeSleep(10_000, undefined, { signal })
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('node did not reject')
}
