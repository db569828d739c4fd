/**
 * Faults on demand: rules a test adds with `fake.control(...)`, consulted for every request before its handler.
 * The first live rule that matches wins; `times` retires a rule after that many hits, so rules can be stacked
 * ("pass the first two Produce requests, then fail one").
 */
import { ApiKeys } from '../protocol/generated/index.js'
import type { FaultAction, FaultHandle, FaultRule } from './types.js'

interface LiveRule {
  apiKey: number
  broker: number | undefined
  remaining: number
  action: FaultAction
  hits: number
  removed: boolean
}

export class FaultRules {
  readonly #rules: LiveRule[] = []

  add(rule: FaultRule): FaultHandle {
    const apiKey = rule.apiKey ?? (rule.api !== undefined ? ApiKeys[rule.api] : undefined)
    if (apiKey === undefined) throw new TypeError('control(): give apiKey or api')
    const action = rule.action
    if (typeof action === 'object' && 'delayMs' in action && !(action.delayMs >= 0)) throw new TypeError('control(): delayMs must be >= 0')
    const live: LiveRule = { apiKey, broker: rule.broker, remaining: rule.times ?? Infinity, action, hits: 0, removed: false }
    if (!(live.remaining > 0)) throw new TypeError('control(): times must be > 0')
    this.#rules.push(live)
    const rules = this.#rules
    return {
      get hits() {
        return live.hits
      },
      remove() {
        live.removed = true
        const i = rules.indexOf(live)
        if (i >= 0) rules.splice(i, 1)
      },
    }
  }

  /** The action for this request, counting the hit; 'pass' when no rule matches. */
  take(apiKey: number, broker: number): FaultAction {
    for (const rule of this.#rules) {
      if (rule.apiKey !== apiKey || (rule.broker !== undefined && rule.broker !== broker)) continue
      rule.hits++
      if (--rule.remaining <= 0) this.#rules.splice(this.#rules.indexOf(rule), 1)
      return rule.action
    }
    return 'pass'
  }

  clear(): void {
    this.#rules.length = 0
  }
}

/**
 * Sets every `errorCode` field in a response body to `code` — the generic part of "answer with this error in every
 * error field"; handlers build the body's shape (which topics, which partitions) from the request.
 */
export function fillErrorCodes<T>(body: T, code: number): T {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) {
        if (key === 'errorCode' && typeof record[key] === 'number') record[key] = code
        else visit(record[key])
      }
    }
  }
  visit(body)
  return body
}
