/**
 * The three ways an application consumes — `for await` over messages, `batches()`, and the KafkaJS-style `run()`
 * with handlers — built on the consumer's next-message and next-batch steps. Each style says when what it handed
 * out is finished: a message when the next is asked for, a batch when the next batch is, a `run()` message when its
 * handler resolves; an `eachBatch` handler resolves offsets itself. Leaving a loop early (break, throw) leaves what
 * is in hand unfinished, so it is never committed.
 */
import { KafkaError } from '../errors.js'
import type { DeliveryBuffer } from './delivery.js'
import type { ConsumerBatch, ConsumerMessage, RunOptions, TopicPartition } from './types.js'

/** What the iteration styles need from the consumer. */
export interface MessageSource<K, V> {
  readonly delivery: Pick<DeliveryBuffer<K, V>, 'forgetInProcess' | 'detachInProcess' | 'restoreInProcess'>
  /** Next message, or null once closed or aborted; the previous one counts as processed. */
  nextMessage(signal: AbortSignal | undefined): Promise<ConsumerMessage<K, V> | null>
  /** The same without a promise when a message is at hand; `undefined` when `nextMessage` must run. */
  nextMessageSync(signal: AbortSignal | undefined): ConsumerMessage<K, V> | null | undefined
  nextBatch(signal: AbortSignal | undefined): Promise<ConsumerBatch<K, V> | null>
}

/** What `run()` handlers can do besides reading. */
export interface RunControls {
  heartbeat(): Promise<void>
  pause(partitions: TopicPartition[]): void
  resume(partitions: TopicPartition[]): void
  commitOffsetsIfNecessary(): Promise<void>
  /** The consumer is open (the signal is checked here). */
  open(): boolean
}

export function messageIterator<K, V>(source: MessageSource<K, V>, signal: AbortSignal | undefined): AsyncIterableIterator<ConsumerMessage<K, V>> {
  const done: IteratorResult<ConsumerMessage<K, V>> = { value: undefined, done: true }
  const iterator: AsyncIterableIterator<ConsumerMessage<K, V>> = {
    next: () => {
      let fast: ConsumerMessage<K, V> | null | undefined
      try {
        fast = source.nextMessageSync(signal)
      } catch (error) {
        return Promise.reject(error)
      }
      if (fast !== undefined) return Promise.resolve(fast === null ? done : { value: fast, done: false })
      return source.nextMessage(signal).then((message) => (message === null ? done : { value: message, done: false }))
    },
    return: async () => {
      // Leaving the loop early (break/throw): the last message is not known to be finished, so it stays uncommitted.
      source.delivery.forgetInProcess()
      return done
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

export function batchIterator<K, V>(source: MessageSource<K, V>, signal: AbortSignal | undefined): AsyncIterableIterator<ConsumerBatch<K, V>> {
  const done: IteratorResult<ConsumerBatch<K, V>> = { value: undefined, done: true }
  const iterator: AsyncIterableIterator<ConsumerBatch<K, V>> = {
    next: async () => {
      const batch = await source.nextBatch(signal)
      return batch === null ? done : { value: batch, done: false }
    },
    return: async () => {
      source.delivery.forgetInProcess()
      return done
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

/** Calls the handler for each message or batch until the consumer closes or the signal fires; a throw ends it. */
export async function runHandlers<K, V>(source: MessageSource<K, V>, options: RunOptions<K, V>, controls: RunControls): Promise<void> {
  const { eachMessage, eachBatch, signal } = options
  if (!eachMessage === !eachBatch) throw new KafkaError('run() takes exactly one of eachMessage or eachBatch')
  const heartbeat = (): Promise<void> => controls.heartbeat()
  if (eachMessage) {
    for (;;) {
      const message = await source.nextMessage(signal)
      if (message === null) return
      await eachMessage({
        topic: message.topic,
        partition: message.partition,
        message,
        heartbeat,
        pause: () => {
          const tp = [{ topic: message.topic, partition: message.partition }]
          controls.pause(tp)
          return () => controls.resume(tp)
        },
      })
    }
  }
  for (;;) {
    const batch = await source.nextBatch(signal)
    if (batch === null) return
    // eachBatch resolves offsets itself: what it was handed is put back only once it returns.
    const resolved = source.delivery.detachInProcess()
    const state = resolved[0]?.state
    const generation = resolved[0]?.generation
    await eachBatch!({
      batch,
      resolveOffset: (offset) => {
        if (state && !state.revoked && state.generation === generation) state.processed = offset + 1n
      },
      heartbeat,
      commitOffsetsIfNecessary: () => controls.commitOffsetsIfNecessary(),
      isRunning: () => controls.open() && !signal?.aborted,
      isStale: () => state === undefined || state.revoked || state.generation !== generation,
    })
    source.delivery.restoreInProcess(resolved)
  }
}
