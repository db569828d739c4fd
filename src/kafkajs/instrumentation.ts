/**
 * KafkaJS's instrumentation events: `client.on(client.events.X, listener)` returns a function that removes the
 * listener; every event is `{ id, type, timestamp, payload }`. A client emits only when someone listens, so the
 * payloads cost nothing otherwise.
 */
import { EventEmitter } from 'node:events'
import { KafkaJSNonRetriableError } from './errors.js'

export interface InstrumentationEvent<T> {
  id: string
  type: string
  timestamp: number
  payload: T
}

export type RemoveInstrumentationEventListener<T> = () => void

let nextId = 0

export class InstrumentationEmitter {
  readonly #emitter = new EventEmitter()
  readonly #known: ReadonlySet<string>
  readonly #names: string

  /** `events`: the client's event names (values of its `events` object); `kind` names the client in errors. */
  constructor(events: Record<string, string>, kind: string) {
    this.#known = new Set(Object.values(events))
    this.#names = Object.keys(events)
      .map((key) => `${kind}.events.${key}`)
      .join(', ')
  }

  listening(type: string): boolean {
    return this.#emitter.listenerCount(type) > 0
  }

  emit(type: string, payload: unknown): void {
    if (this.#emitter.listenerCount(type) === 0) return
    // KafkaJS's ids are numbers typed as strings in its declarations; a number serves both.
    const event = { id: nextId++, type, timestamp: Date.now(), payload }
    this.#emitter.emit(type, event)
  }

  on(type: string, listener: (event: never) => void): RemoveInstrumentationEventListener<string> {
    if (!this.#known.has(type)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${this.#names}`)
    }
    const wrapped = listener as (event: unknown) => void
    this.#emitter.addListener(type, wrapped)
    return () => {
      this.#emitter.removeListener(type, wrapped)
    }
  }
}
