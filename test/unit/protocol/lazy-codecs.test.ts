// The generated tables load each schema module the first time its codec is used, not when the protocol layer is
// imported; ApiCodec answers negotiation questions (versions, flexibility) without loading anything.
import { ApiCodec, ApiKeys, apis, messageCodecs } from '../../../src/protocol/index.js'
import { lazyTable } from '../../../src/protocol/support.js'

describe('lazyTable', () => {
  it('runs each loader once, on first read, and keeps the value', () => {
    const loadA = jest.fn(() => ({ a: 1 }))
    const loadB = jest.fn(() => 'b')
    const table = lazyTable({ A: loadA, B: loadB })
    expect(loadA).not.toHaveBeenCalled()
    expect(Object.keys(table)).toEqual(['A', 'B'])
    expect(loadA).not.toHaveBeenCalled()
    const first = table.A
    expect(table.A).toBe(first)
    expect(loadA).toHaveBeenCalledTimes(1)
    expect(loadB).not.toHaveBeenCalled()
    expect(Object.entries(table)).toEqual([['A', { a: 1 }], ['B', 'b']])
    expect(loadB).toHaveBeenCalledTimes(1)
  })
})

describe('ApiCodec with loaders', () => {
  it('knows its versions without loading, loads each codec once, and the response codec with the request codec', () => {
    const request = messageCodecs.MetadataRequest
    const response = messageCodecs.MetadataResponse
    const loadRequest = jest.fn(() => request)
    const loadResponse = jest.fn(() => response)
    const api = new ApiCodec({
      name: 'Metadata',
      apiKey: 3,
      latestVersionUnstable: false,
      listeners: ['broker'],
      versions: { minVersion: request.minVersion, maxVersion: request.maxVersion, flexibleFromVersion: request.flexibleFromVersion },
      request: loadRequest,
      response: loadResponse,
    })
    expect([api.minVersion, api.maxVersion, api.flexibleFromVersion, api.highestVersion()]).toEqual([
      request.minVersion,
      request.maxVersion,
      request.flexibleFromVersion,
      request.maxVersion,
    ])
    expect(loadRequest).not.toHaveBeenCalled()
    const bytes = api.encodeRequest(12, { topics: null })
    expect(api.decodeRequest(12, bytes)).toMatchObject({ topics: null })
    expect(api.request).toBe(request)
    expect(loadRequest).toHaveBeenCalledTimes(1)
    // Loaded in the turn that writes the first request, not in the one that handles its answer.
    expect(loadResponse).toHaveBeenCalledTimes(1)
    expect(api.responseHeaderVersion(12)).toBe(1)
    expect(api.response).toBe(response)
    expect(loadResponse).toHaveBeenCalledTimes(1)
  })

  it('without version facts, a loader runs at construction to read them', () => {
    const load = jest.fn(() => messageCodecs.HeartbeatRequest)
    const api = new ApiCodec({ name: 'Heartbeat', apiKey: 12, latestVersionUnstable: false, listeners: ['broker'], request: load, response: messageCodecs.HeartbeatResponse })
    expect(load).toHaveBeenCalledTimes(1)
    expect(api.maxVersion).toBe(messageCodecs.HeartbeatRequest.maxVersion)
  })

  it("the generated table's version facts match the codecs they stand for", () => {
    for (const api of Object.values(apis)) {
      expect({ api: api!.name, min: api!.minVersion, max: api!.maxVersion, flexible: api!.flexibleFromVersion }).toEqual({
        api: api!.name,
        min: api!.request.minVersion,
        max: api!.request.maxVersion,
        flexible: api!.request.flexibleFromVersion,
      })
    }
    expect(apis[ApiKeys.Fetch]!.request).toBe(messageCodecs.FetchRequest)
  })
})
