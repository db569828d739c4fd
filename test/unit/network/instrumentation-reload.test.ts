/**
 * samsa loaded a second time in one process (jest gives each test file its own module registry; so do some
 * bundlers and hot reloaders) must still reach subscribers that subscribe by channel name.
 *
 * Node 20 has a race in diagnostics_channel's registry (fixed upstream by nodejs/node#59910): when the first copy's
 * channel objects are collected and the second copy creates channels of the same names before the collected
 * ones' finalizers run, those finalizers then delete the second copy's entries, and `subscribe(name)` lands on a
 * fresh channel that samsa never publishes to.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Instrumentation = typeof import('../../../src/network/instrumentation.js')

function loadFreshCopy(): Instrumentation {
  let loaded: Instrumentation | undefined
  jest.isolateModules(() => {
    loaded = jest.requireActual<Instrumentation>('../../../src/network/instrumentation.js')
  })
  return loaded!
}

const afterFinalizers = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20))

it('a reloaded copy publishes to subscribers by name after the first copy is collected', async () => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void

  loadFreshCopy() // dropped at once: only garbage holds its channels now
  await afterFinalizers()
  gc()
  // In the same turn as the collection, before its finalizers run.
  const second = loadFreshCopy()
  await afterFinalizers()

  const produced: unknown[] = []
  const requests: unknown[] = []
  const onProduce = (message: unknown): void => void produced.push(message)
  const onRequestStart = (message: unknown): void => void requests.push(message)
  diagnosticsChannel.subscribe('samsa:produce', onProduce)
  diagnosticsChannel.subscribe('tracing:samsa:request:start', onRequestStart)
  try {
    expect(second.channels.produce.hasSubscribers).toBe(true)
    second.channels.produce.publish({ topic: 't' })
    second.tracingChannels.request.start.publish({ apiName: 'Produce' })
    expect(produced).toEqual([{ topic: 't' }])
    expect(requests).toEqual([{ apiName: 'Produce' }])
  } finally {
    diagnosticsChannel.unsubscribe('samsa:produce', onProduce)
    diagnosticsChannel.unsubscribe('tracing:samsa:request:start', onRequestStart)
  }
})
