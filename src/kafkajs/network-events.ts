/**
 * KafkaJS's network instrumentation events (REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE) for any facade client:
 * `networkEvents(emitter, events, clientId)` gives the `requestObserver` to build the client's samsa `Kafka` with
 * (`context.connect(retry, { requestObserver })`), and the client's emitter then reports that client's requests
 * with KafkaJS's payloads. While nobody listens to an event, the observer returns before building anything.
 */
import { TimeoutError } from '../errors.js'
import type { RequestObserver } from '../network/instrumentation.js'
import type { InstrumentationEmitter, InstrumentationEvent } from './instrumentation.js'

/** The event names of one client kind, e.g. `producer.network.request`. */
export interface NetworkEventNames {
  REQUEST: string
  REQUEST_TIMEOUT: string
  REQUEST_QUEUE_SIZE: string
}

export function networkEvents(emitter: InstrumentationEmitter, events: NetworkEventNames, clientId: string): RequestObserver {
  return {
    requestEnd(event) {
      const { error } = event
      if (error === undefined) {
        if (!emitter.listening(events.REQUEST)) return
        emitter.emit(events.REQUEST, {
          broker: event.broker,
          clientId,
          correlationId: event.correlationId,
          size: event.bytesIn,
          createdAt: event.createdAt,
          sentAt: event.sentAt,
          pendingDuration: event.sentAt - event.createdAt,
          duration: Math.round(event.durationMs),
          apiName: event.apiName,
          apiKey: event.apiKey,
          apiVersion: event.apiVersion,
        })
        return
      }
      // Only a request that waited out its deadline is a timeout to KafkaJS; other failures (a closed connection) emit nothing.
      if (!(error instanceof TimeoutError) || !emitter.listening(events.REQUEST_TIMEOUT)) return
      emitter.emit(events.REQUEST_TIMEOUT, {
        broker: event.broker,
        clientId,
        correlationId: event.correlationId,
        createdAt: event.createdAt,
        sentAt: event.sentAt,
        pendingDuration: event.sentAt - event.createdAt,
        apiName: event.apiName,
        apiKey: event.apiKey,
        apiVersion: event.apiVersion,
      })
    },
    queueSize(broker, size) {
      if (emitter.listening(events.REQUEST_QUEUE_SIZE)) emitter.emit(events.REQUEST_QUEUE_SIZE, { broker, clientId, queueSize: size })
    },
  }
}

export type ConnectEvent = InstrumentationEvent<null>
export type DisconnectEvent = InstrumentationEvent<null>
export type RequestEvent = InstrumentationEvent<{
  apiKey: number
  apiName: string
  apiVersion: number
  broker: string
  clientId: string
  correlationId: number
  createdAt: number
  duration: number
  pendingDuration: number
  sentAt: number
  size: number
}>
export type RequestTimeoutEvent = InstrumentationEvent<{
  apiKey: number
  apiName: string
  apiVersion: number
  broker: string
  clientId: string
  correlationId: number
  createdAt: number
  pendingDuration: number
  sentAt: number
}>
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string
  clientId: string
  queueSize: number
}>
