// The samsa:consumer:process tracing channel as each consumption style publishes it, on a stub message source:
// where a process operation starts and ends, what its context carries, that handlers run inside the channel's
// bound stores, and that nothing is published (or kept) when nobody subscribes.
import { AsyncLocalStorage } from 'node:async_hooks'
import { batchIterator, type MessageSource, messageIterator, runHandlers, type RunControls } from '../../../src/consumer/iterators.js'
import type { ConsumerBatch, ConsumerMessage } from '../../../src/consumer/types.js'
import { type ConsumerProcessContext, publishSettled, tracingChannels } from '../../../src/network/instrumentation.js'

function message(offset: number): ConsumerMessage {
  return { topic: 't', partition: 3, offset: BigInt(offset), timestamp: 0, key: null, value: Buffer.from(`v${offset}`), headers: [['h', Buffer.from('x')]], leaderEpoch: 0 }
}

/** Hands out `count` messages (alternating the sync and async paths), then null. */
function source(count: number): MessageSource<Buffer | null, Buffer | null> & { handedOut: number } {
  const queue = Array.from({ length: count }, (_, i) => message(i))
  const delivery = { forgetInProcess: () => {}, detachInProcess: () => [], restoreInProcess: () => {} }
  const s = {
    handedOut: 0,
    delivery,
    clientId: 'c1',
    groupId: 'g1',
    nextMessageSync: () => (s.handedOut % 2 === 0 && queue.length > 0 ? (s.handedOut++, queue.shift()!) : undefined),
    nextMessage: async () => {
      const next = queue.shift() ?? null
      if (next !== null) s.handedOut++
      return next
    },
    nextBatch: async (): Promise<ConsumerBatch | null> => {
      if (queue.length === 0) return null
      const messages = queue.splice(0, 2)
      return { topic: 't', partition: 3, messages, highWatermark: 10n, lag: 0n }
    },
  }
  return s as unknown as MessageSource<Buffer | null, Buffer | null> & { handedOut: number }
}

const controls: RunControls = { heartbeat: async () => {}, pause: () => {}, resume: () => {}, commitOffsetsIfNecessary: async () => {}, open: () => true }

type Event = [string, ConsumerProcessContext]

function record(): { events: Event[]; stop: () => void } {
  const events: Event[] = []
  const on = (kind: string) => (m: unknown) => events.push([kind, m as ConsumerProcessContext])
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') }
  tracingChannels.consumerProcess.subscribe(handlers)
  return { events, stop: () => tracingChannels.consumerProcess.unsubscribe(handlers) }
}

describe('samsa:consumer:process', () => {
  it('iterator: starts at hand-out, ends when the next message is asked for or the loop is left', async () => {
    const { events, stop } = record()
    try {
      const iterator = messageIterator(source(3), undefined)
      const seen: string[] = []
      for await (const m of iterator) {
        seen.push(events.map((e) => `${e[0]}:${e[1].messages[0]!.offset}`).join(','))
        if (m.offset === 1n) break
      }
      expect(seen).toEqual(['start:0,end:0', 'start:0,end:0,asyncStart:0,asyncEnd:0,start:1,end:1'])
      // break called return(): the message in hand ends too.
      expect(events.map((e) => e[0]).slice(-2)).toEqual(['asyncStart', 'asyncEnd'])
      expect(events[0]![1]).toMatchObject({ clientId: 'c1', groupId: 'g1', style: 'iterator', topic: 't', partition: 3, messages: [expect.objectContaining({ offset: 0n, headers: [['h', Buffer.from('x')]] })] })
    } finally {
      stop()
    }
  })

  it('batches: one operation per batch, ended when the next batch is asked for', async () => {
    const { events, stop } = record()
    try {
      const sizes: number[] = []
      for await (const batch of batchIterator(source(3), undefined)) sizes.push(batch.messages.length)
      expect(sizes).toEqual([2, 1])
      expect(events.map((e) => `${e[0]}:${e[1].style}:${e[1].messages.length}`)).toEqual([
        'start:batches:2', 'end:batches:2', 'asyncStart:batches:2', 'asyncEnd:batches:2',
        'start:batches:1', 'end:batches:1', 'asyncStart:batches:1', 'asyncEnd:batches:1',
      ])
    } finally {
      stop()
    }
  })

  it('eachMessage: the handler runs inside the bound stores; a throw is the operation error', async () => {
    const { events, stop } = record()
    const store = new AsyncLocalStorage<string>()
    tracingChannels.consumerProcess.start.bindStore(store, (m) => `span-${m.messages[0]!.offset}`)
    try {
      const inside: Array<string | undefined> = []
      const failure = new Error('handler failed')
      const run = runHandlers(source(3), {
        eachMessage: async ({ message: m }) => {
          await new Promise((resolve) => setImmediate(resolve))
          inside.push(store.getStore())
          if (m.offset === 1n) throw failure
        },
      }, controls)
      await expect(run).rejects.toBe(failure)
      expect(inside).toEqual(['span-0', 'span-1'])
      expect(events.map((e) => `${e[0]}:${e[1].messages[0]!.offset}`)).toEqual([
        'start:0', 'end:0', 'asyncStart:0', 'asyncEnd:0',
        'start:1', 'end:1', 'error:1', 'asyncStart:1', 'asyncEnd:1',
      ])
      expect(events[6]![1].error).toBe(failure)
      expect(events[0]![1].style).toBe('eachMessage')
    } finally {
      tracingChannels.consumerProcess.start.unbindStore(store)
      stop()
    }
  })

  it('eachMessage: a synchronous throw still ends with error, asyncStart, asyncEnd', async () => {
    const { events, stop } = record()
    try {
      const failure = new Error('sync')
      await expect(runHandlers(source(1), { eachMessage: () => { throw failure } }, controls)).rejects.toBe(failure)
      expect(events.map((e) => e[0])).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
    } finally {
      stop()
    }
  })

  it('eachBatch: one operation per handler call with the batch messages', async () => {
    const { events, stop } = record()
    try {
      await runHandlers(source(3), { eachBatch: async () => {} }, controls)
      expect(events.filter((e) => e[0] === 'start').map((e) => [e[1].style, e[1].messages.map((m) => m.offset)])).toEqual([
        ['eachBatch', [0n, 1n]],
        ['eachBatch', [2n]],
      ])
    } finally {
      stop()
    }
  })

  it('publishes nothing without subscribers', async () => {
    expect(tracingChannels.consumerProcess.hasSubscribers).toBe(false)
    const channel = tracingChannels.consumerProcess
    const spies = [jest.spyOn(channel, 'tracePromise'), jest.spyOn(channel.start, 'publish'), jest.spyOn(channel.asyncEnd, 'publish')]
    try {
      let n = 0
      for await (const _ of messageIterator(source(4), undefined)) n++
      for await (const _ of batchIterator(source(3), undefined)) n++
      await runHandlers(source(2), { eachMessage: async () => {} }, controls)
      await runHandlers(source(2), { eachBatch: async () => {} }, controls)
      expect(n).toBe(6)
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})

describe('publishSettled', () => {
  it('sets the error and publishes error, asyncStart, asyncEnd; without an error only the last two', () => {
    const kinds: string[] = []
    const on = (kind: string) => () => kinds.push(kind)
    const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') }
    tracingChannels.consumerFetch.subscribe(handlers)
    try {
      const context = { clientId: 'c', groupId: null, nodeId: 1, partitions: [] } as Parameters<typeof publishSettled>[1]
      const failure = new Error('x')
      publishSettled(tracingChannels.consumerFetch, context as never, failure)
      expect(context.error).toBe(failure)
      publishSettled(tracingChannels.consumerFetch, { clientId: 'c', groupId: null, nodeId: 1, partitions: [] })
      expect(kinds).toEqual(['error', 'asyncStart', 'asyncEnd', 'asyncStart', 'asyncEnd'])
    } finally {
      tracingChannels.consumerFetch.unsubscribe(handlers)
    }
  })
})
