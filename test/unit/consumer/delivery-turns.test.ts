import { stat } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { DeliveryBuffer } from '../../../src/consumer/delivery.js'
import { FetchedChunk } from '../../../src/consumer/fetched-chunk.js'
import { PartitionState } from '../../../src/consumer/partition-state.js'
import { encodeRecordBatch } from '../../../src/records/index.js'
import { watchTurns } from '../../helpers/event-loop-turns.js'

// Which phase of the event loop delivery runs in is the point here, and a broker cannot choose it: the chunk is pushed
// from an I/O callback by hand, as the fetcher pushes it from a Fetch response's.
describe('DeliveryBuffer and the event loop', () => {
  const host = { closed: () => false, fatal: () => null, released: () => undefined }

  function largeChunk(state: PartitionState): FetchedChunk {
    // Over 64 KiB buffered: delivered from a later turn than the one that queued it.
    const records = encodeRecordBatch({ baseOffset: 0n, records: Array.from({ length: 1_000 }, (_, i) => ({ value: Buffer.alloc(100, i) })) })
    return new FetchedChunk(state, records, null, 1_000n, null)
  }

  it('lets timers that are due run between the turn that handled a large response and its first records', async () => {
    const state = new PartitionState('t', 0)
    const delivery = new DeliveryBuffer<Buffer | null, Buffer | null>(host, { checkCrcs: true, keyDeserializer: null, valueDeserializer: null })
    const first = delivery.next(undefined)
    let timerRan = false
    await new Promise<void>((resolve) => {
      // An I/O callback, where the fetcher handles a response. An immediate queued here runs before the next timers
      // phase; the timer is due by then.
      stat(__filename, () => {
        setTimeout(() => (timerRan = true), 0)
        const until = performance.now() + 2
        while (performance.now() < until);
        delivery.push(largeChunk(state))
        resolve()
      })
    })
    const message = await first
    expect(message?.offset).toBe(0n)
    expect(timerRan).toBe(true)
  })

  it('yields to the next immediate, not past timers, from a turn of its own', async () => {
    // Yields made from delivery's own immediates already come after timers: no extra hop there.
    const state = new PartitionState('t', 0)
    const delivery = new DeliveryBuffer<Buffer | null, Buffer | null>(host, { checkCrcs: true, keyDeserializer: null, valueDeserializer: null })
    delivery.push(largeChunk(state))
    let read = 0
    let yields = 0
    const watch = watchTurns()
    let lastTurns = 0
    try {
      while (read < 1_000) {
        const message = await delivery.next(undefined)
        expect(message?.offset).toBe(BigInt(read))
        if (watch.turns !== lastTurns) {
          yields++
          // One loop iteration per yield: the watcher's immediate ran once, not twice.
          if (yields > 1) expect(watch.turns - lastTurns).toBe(1)
          lastTurns = watch.turns
        }
        watch.work(0.01)
        read++
        delivery.markProcessed()
      }
    } finally {
      watch.stop()
    }
    expect(yields).toBeGreaterThan(1)
  })
})
