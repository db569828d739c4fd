/**
 * The KIP-219 mute keeps its deadline on the monotonic clock. A wall clock stepped while muted (NTP correcting a fresh
 * VM's clock) must neither end the mute early — a write before the broker's deadline only waits in its socket buffer —
 * nor hold the connection for however far the clock went back.
 */
import { Throttle } from '../../../src/network/throttle.js'

describe('Throttle', () => {
  afterEach(() => jest.restoreAllMocks())

  it('ends the mute on time when the wall clock is stepped back', async () => {
    let unmutedAt: number | null = null
    const throttle = new Throttle(() => (unmutedAt = performance.now()))
    const start = performance.now()
    throttle.hold(60)
    const realNow = Date.now
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 10_000)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(throttle.muted).toBe(true)
    for (let waited = 0; unmutedAt === null && waited < 2_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(unmutedAt).not.toBeNull()
    expect(unmutedAt! - start).toBeGreaterThanOrEqual(60)
    expect(throttle.muted).toBe(false)
    expect(throttle.totalMs).toBe(60)
    expect(throttle.count).toBe(1)
  })

  it('a later, longer throttle extends the mute; a shorter one inside it does not shorten it', async () => {
    let unmutes = 0
    let unmutedAt = 0
    const throttle = new Throttle(() => {
      unmutes++
      unmutedAt = performance.now()
    })
    const start = performance.now()
    throttle.hold(40)
    throttle.hold(10)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(throttle.muted).toBe(true)
    throttle.hold(50) // now ~20 ms in: until ~70 ms
    while (unmutes === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(unmutes).toBe(1)
    expect(unmutedAt - start).toBeGreaterThanOrEqual(69)
    expect(throttle.totalMs).toBe(100)
    expect(throttle.count).toBe(3)
  })

  it('stop() ends the mute without calling back', async () => {
    let unmutes = 0
    const throttle = new Throttle(() => unmutes++)
    throttle.hold(20)
    throttle.stop()
    expect(throttle.muted).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(unmutes).toBe(0)
  })
})
