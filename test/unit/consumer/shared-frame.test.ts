import { SharedFrame } from '../../../src/consumer/fetched-chunk.js'

describe('SharedFrame', () => {
  it('gives the frame back once sealed and every chunk holding it has dropped it, exactly once', () => {
    const given: Buffer[] = []
    const memory = Buffer.alloc(10)
    const shared = new SharedFrame(memory, (f) => given.push(f))
    shared.hold()
    shared.hold()
    shared.drop()
    shared.seal()
    expect(given).toEqual([])
    shared.drop()
    expect(given).toHaveLength(1)
    expect(given[0]).toBe(memory)
    shared.seal()
    expect(given).toHaveLength(1)
  })

  it('gives a frame no chunk holds back when sealed', () => {
    const given: Buffer[] = []
    const shared = new SharedFrame(Buffer.alloc(10), (f) => given.push(f))
    shared.seal()
    expect(given).toHaveLength(1)
  })
})
