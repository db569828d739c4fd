import { apis, ApiKeys, encodeRequestFrame, encodeRequestFrameParts } from '../../../src/protocol/index.js'

describe('encodeRequestFrameParts', () => {
  it.each([3, 8, 9, 12, 13])('Produce v%i: the parts concatenate to exactly the copied frame, batches not copied', (version) => {
    const batchA = Buffer.alloc(5000, 1)
    const batchB = Buffer.alloc(3000, 2)
    const small = Buffer.from([9, 9, 9])
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'orders',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitionData: [
            { index: 0, records: batchA },
            { index: 1, records: small },
            { index: 2, records: batchB },
          ],
        },
      ],
    }
    const copied = encodeRequestFrame(apis[ApiKeys.Produce], version, 7, 'client', body)
    const parts = encodeRequestFrameParts(apis[ApiKeys.Produce], version, 7, 'client', body, new Set([batchA, batchB]))
    expect(Buffer.concat(parts)).toEqual(copied)
    // The external batches are the very same objects, not copies; the small one was copied into the frame.
    expect(parts).toContain(batchA)
    expect(parts).toContain(batchB)
    expect(parts).not.toContain(small)
    expect(parts.reduce((n, p) => n + (p === batchA || p === batchB ? 0 : p.length), 0)).toBe(copied.length - 8000)
  })

  it('with no external buffer it is one part equal to the copied frame', () => {
    const body = { topics: [] }
    const parts = encodeRequestFrameParts(apis[ApiKeys.Metadata], 12, 1, null, body, new Set())
    expect(parts).toHaveLength(1)
    expect(parts[0]).toEqual(encodeRequestFrame(apis[ApiKeys.Metadata], 12, 1, null, body))
  })
})
