// Hand-checked encodings and the contract rules of the generated codecs (value shape, defaults, tagged fields,
// version checks). Exhaustive byte equality with Java lives in test/golden; these pin down specific behaviours.
import { KafkaError, KafkaProtocolError, ProtocolDecodeError } from '../../../src/errors.js'
import {
  ApiKeys,
  apis,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  errorFromCode,
  errorName,
  isRetriableCode,
  messageCodecs,
  peekCorrelationId,
  removedMessages,
  Writer,
} from '../../../src/protocol/index.js'

const hex = (b: Buffer) => b.toString('hex')

describe('hand-checked encodings', () => {
  it('MetadataRequest v0: int32 count, int16-length names', () => {
    const bytes = messageCodecs.MetadataRequest.encode(0, { topics: [{ name: 'ab' }] })
    expect(hex(bytes)).toBe('00000001' + '0002' + '6162')
  })

  it('MetadataRequest v1 null topics is -1; missing topics encodes as null where nullable', () => {
    expect(hex(messageCodecs.MetadataRequest.encode(1, { topics: null }))).toBe('ffffffff')
    expect(hex(messageCodecs.MetadataRequest.encode(1, {}))).toBe('ffffffff')
  })

  it('MetadataRequest v12 (flexible): compact array, topic id, compact nullable name, tag sections', () => {
    const bytes = messageCodecs.MetadataRequest.encode(12, {
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'ab' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: true,
    })
    // topics: count+1=2 | uuid 16 zero bytes | name len+1=3 'ab' | topic tags 0 | allowAuto 0 | includeTopicAuth 1 | tags 0
    expect(hex(bytes)).toBe('02' + '00'.repeat(16) + '03' + '6162' + '00' + '00' + '01' + '00')
  })

  it('ApiVersionsRequest v3: compact strings for client software name and version', () => {
    const bytes = messageCodecs.ApiVersionsRequest.encode(3, { clientSoftwareName: 'samsa', clientSoftwareVersion: '1' })
    expect(hex(bytes)).toBe('06' + Buffer.from('samsa').toString('hex') + '02' + '31' + '00')
  })

  it('RequestHeader v2 keeps ClientId as a non-compact nullable string (field-level flexibleVersions "none")', () => {
    const bytes = messageCodecs.RequestHeader.encode(2, { requestApiKey: 3, requestApiVersion: 12, correlationId: 7, clientId: 'c' })
    expect(hex(bytes)).toBe('0003' + '000c' + '00000007' + '0001' + '63' + '00')
    const nullId = messageCodecs.RequestHeader.encode(2, { requestApiKey: 3, requestApiVersion: 12, correlationId: 7, clientId: null })
    expect(hex(nullId)).toBe('0003000c00000007ffff00')
  })

  it('a nullable struct is written with a -1/1 marker byte', () => {
    const codec = messageCodecs.ConsumerGroupHeartbeatResponse
    const v = codec.maxVersion
    const withNull = codec.decode(v, codec.encode(v, { assignment: null }))
    expect(withNull.assignment).toBeNull()
    const withValue = codec.decode(v, codec.encode(v, { assignment: { topicPartitions: [] } }))
    expect(withValue.assignment).toEqual({ topicPartitions: [] })
  })
})

describe('decoded value shape', () => {
  it('has exactly the fields of the version, int64 as bigint, uuid as base64url', () => {
    const codec = messageCodecs.MetadataResponse
    const v0 = codec.decode(0, codec.encode(0, {}))
    expect(Object.keys(v0).sort()).toEqual(['brokers', 'topics'])
    const v12 = codec.decode(12, codec.encode(12, { topics: [{ name: 't', partitions: [{ partitionIndex: 3 }] }] }))
    expect(v12.topics[0]!.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    expect(v12.topics[0]!.partitions[0]!.partitionIndex).toBe(3)
    expect('clusterAuthorizedOperations' in v12).toBe(false) // dropped after v10
    const lo = messageCodecs.ListOffsetsResponse
    const decoded = lo.decode(lo.maxVersion, lo.encode(lo.maxVersion, { topics: [{ name: 't', partitions: [{ offset: 42n }] }] }))
    expect(decoded.topics[0]!.partitions[0]!.offset).toBe(42n)
  })

  it('absent tagged fields decode as their defaults; known tags round-trip; defaults are not written', () => {
    const codec = messageCodecs.ApiVersionsResponse
    const empty = codec.decode(3, codec.encode(3, {}))
    expect(empty.finalizedFeaturesEpoch).toBe(-1n)
    expect(empty.supportedFeatures).toEqual([])
    expect(empty.zkMigrationReady).toBe(false)
    const withEpoch = codec.encode(3, { finalizedFeaturesEpoch: 5n })
    expect(withEpoch.length).toBe(codec.encode(3, {}).length + 1 + 1 + 8) // tag, size, int64
    expect(codec.decode(3, withEpoch).finalizedFeaturesEpoch).toBe(5n)
  })

  it('unknown tagged fields are kept and re-encoded in tag order with the known ones', () => {
    const codec = messageCodecs.ApiVersionsResponse
    const unknown = [
      { tag: 9, data: Buffer.from([1, 2]) },
      { tag: 7, data: Buffer.from([3]) },
    ]
    const bytes = codec.encode(3, { finalizedFeaturesEpoch: 5n, _unknownTaggedFields: unknown })
    const decoded = codec.decode(3, bytes)
    expect(decoded._unknownTaggedFields).toEqual([unknown[1], unknown[0]])
    expect(decoded.finalizedFeaturesEpoch).toBe(5n)
    expect(codec.encode(3, decoded)).toEqual(bytes)
    // tags section: count 3, then tag 1 (epoch), 7 (unknown), 9 (unknown)
    const tail = bytes.subarray(bytes.length - (1 + 10 + 3 + 4))
    expect([...tail.subarray(0, 2)]).toEqual([3, 1])
  })

  it('zero-copy bytes and records are views of the input; other bytes are copies', () => {
    const assignment = messageCodecs.ConsumerProtocolAssignment
    const bytes = assignment.encode(3, { userData: Buffer.from('xyz') })
    const decoded = assignment.decode(3, bytes)
    bytes[bytes.length - 1] = 0x21
    expect(decoded.userData!.toString()).toBe('xy!')
    const sasl = messageCodecs.SaslAuthenticateRequest
    const saslBytes = sasl.encode(2, { authBytes: Buffer.from('secret') })
    const authBytes = sasl.decode(2, saslBytes).authBytes
    saslBytes.fill(0)
    expect(authBytes.toString()).toBe('secret')
  })
})

describe('encode validation', () => {
  it('rejects a non-default value for a field the version lacks, unless ignorable', () => {
    expect(() => messageCodecs.MetadataRequest.encode(3, { allowAutoTopicCreation: false })).toThrow(KafkaError)
    expect(() => messageCodecs.MetadataRequest.encode(3, { allowAutoTopicCreation: true })).not.toThrow()
  })

  it('rejects null for a field that is not nullable in the version', () => {
    expect(() => messageCodecs.MetadataRequest.encode(0, { topics: null })).toThrow(/null is not allowed.*topics, version 0/)
  })

  it('rejects a malformed uuid', () => {
    expect(() => messageCodecs.MetadataRequest.encode(12, { topics: [{ topicId: 'nope', name: 'a' }] })).toThrow(/invalid uuid/)
  })

  it('rejects a version outside the schema', () => {
    expect(() => messageCodecs.MetadataRequest.encode(99, {})).toThrow(/no version 99/)
    expect(() => messageCodecs.MetadataRequest.decode(99, Buffer.alloc(0))).toThrow(ProtocolDecodeError)
  })
})

describe('decode errors carry message, version, field path and offset', () => {
  it('truncated MetadataResponse', () => {
    const codec = messageCodecs.MetadataResponse
    const bytes = codec.encode(12, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 1 }] }] })
    try {
      codec.decode(12, bytes.subarray(0, bytes.length - 12))
      throw new Error('expected failure')
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolDecodeError)
      const e = err as ProtocolDecodeError
      expect(e.apiName).toBe('MetadataResponse')
      expect(e.version).toBe(12)
      expect(e.fieldPath).toMatch(/^topics\[\]\.partitions/) // the partition count no longer fits the bytes left
      expect(e.offset).toBeGreaterThan(0)
    }
  })
})

describe('tables', () => {
  it('apis: request/response codecs, header versions, unstable flag', () => {
    const metadata = apis[ApiKeys.Metadata]
    expect(metadata.name).toBe('Metadata')
    expect(metadata.apiKey).toBe(3)
    expect(metadata.request).toBe(messageCodecs.MetadataRequest)
    expect(metadata.requestHeaderVersion(8)).toBe(1)
    expect(metadata.requestHeaderVersion(9)).toBe(2)
    expect(metadata.responseHeaderVersion(9)).toBe(1)
    expect(metadata.listeners).toContain('broker')
    expect(apis[ApiKeys.ApiVersions].responseHeaderVersion(4)).toBe(0)
    for (const api of Object.values(apis)) {
      if (api === undefined) continue
      expect(api.highestVersion()).toBe(api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion)
      expect(api.response.minVersion).toBe(api.minVersion)
    }
    expect(apis[4]).toBeUndefined() // LeaderAndIsr: removed in Kafka 4.0
    expect(removedMessages).toContain('LeaderAndIsrRequest')
  })

  it('messageCodecs covers headers and data schemas too', () => {
    expect(messageCodecs.ResponseHeader?.type).toBe('header')
    expect(messageCodecs.ConsumerProtocolSubscription?.type).toBe('data')
    expect(messageCodecs['NoSuchMessage']).toBeUndefined()
  })
})

describe('frames', () => {
  it('encodeRequestFrame writes size prefix, header and body in one buffer', () => {
    const api = apis[ApiKeys.Metadata]
    const frame = encodeRequestFrame(api, 12, 99, 'cli', { topics: null })
    expect(frame.readInt32BE(0)).toBe(frame.length - 4)
    const body = api.request.encode(12, { topics: null })
    const header = messageCodecs.RequestHeader.encode(2, { requestApiKey: 3, requestApiVersion: 12, correlationId: 99, clientId: 'cli' })
    expect(frame.subarray(4)).toEqual(Buffer.concat([header, body]))
  })

  it('decodeResponseFrame reads the header version the API uses (ApiVersions: always v0)', () => {
    const api = apis[ApiKeys.ApiVersions]
    const body = api.response.encode(3, { errorCode: 0, apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 13 }] })
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 42]), body])
    expect(peekCorrelationId(frame)).toBe(42)
    const decoded = decodeResponseFrame(api, 3, frame)
    expect(decoded.correlationId).toBe(42)
    expect(decoded.body.apiKeys[0]!.maxVersion).toBe(13)
    // A flexible Metadata response has a tag section after the correlation id.
    const md = apis[ApiKeys.Metadata]
    const mdFrame = Buffer.concat([Buffer.from([0, 0, 0, 7, 0]), md.response.encode(12, {})])
    expect(decodeResponseFrame(md, 12, mdFrame).correlationId).toBe(7)
    expect(() => peekCorrelationId(Buffer.from([1]))).toThrow(ProtocolDecodeError)
    expect(() => decodeResponseFrame(md, 12, Buffer.from([0, 0]))).toThrow(ProtocolDecodeError)
  })

  it('the broker side: decodeRequestFrame and encodeResponseFrame mirror the client side', () => {
    const api = apis[ApiKeys.Metadata]
    const request = encodeRequestFrame(api, 12, 5, 'cli', { topics: [{ name: 'orders' }] })
    const decoded = decodeRequestFrame(request.subarray(4))
    expect(decoded.apiKey).toBe(3)
    expect(decoded.apiVersion).toBe(12)
    expect(decoded.correlationId).toBe(5)
    expect(decoded.clientId).toBe('cli')
    expect(decoded.api).toBe(api)
    expect((decoded.body as { topics: Array<{ name: string }> }).topics[0]!.name).toBe('orders')
    const response = encodeResponseFrame(api, 12, 5, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] })
    expect(response.readInt32BE(0)).toBe(response.length - 4)
    const back = decodeResponseFrame(api, 12, response.subarray(4))
    expect(back.correlationId).toBe(5)
    expect(back.body.topics[0]!.partitions[0]!.partitionIndex).toBe(0)
    // ApiVersions answers with header v0 even at flexible versions: no tag section after the correlation id.
    const av = apis[ApiKeys.ApiVersions]
    const avFrame = encodeResponseFrame(av, 3, 9, {})
    expect(avFrame.subarray(4, 8).readInt32BE(0)).toBe(9)
    expect(avFrame.length).toBe(4 + 4 + av.response.encode(3, {}).length)
    expect(() => decodeRequestFrame(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1]))).toThrow(/unknown API key/)
    expect(() => decodeRequestFrame(Buffer.from([0, 3, 0x7f, 0, 0, 0, 0, 1]))).toThrow(ProtocolDecodeError)
    expect(() => decodeRequestFrame(Buffer.from([0, 3]))).toThrow(ProtocolDecodeError)
  })

  it('one Writer can size and write several messages back to back', () => {
    const w = new Writer()
    const a = messageCodecs.MetadataRequest
    const n = a.size(w, 12, { topics: [{ name: 'x' }] }) + a.size(w, 12, { topics: [{ name: 'yy' }] })
    w.allocate(n)
    a.write(w, 12, { topics: [{ name: 'x' }] })
    a.write(w, 12, { topics: [{ name: 'yy' }] })
    expect(w.pos).toBe(n)
  })
})

describe('error table', () => {
  it('maps codes to names, retriability and errors', () => {
    expect(errorFromCode(0)).toBeNull()
    const e = errorFromCode(6, 'orders-0', 'moved')
    expect(e).toBeInstanceOf(KafkaProtocolError)
    expect(e!.errorName).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(e!.retriable).toBe(true)
    expect(e!.brokerMessage).toBe('moved')
    expect(isRetriableCode(6)).toBe(true)
    expect(isRetriableCode(29)).toBe(false) // TOPIC_AUTHORIZATION_FAILED
    expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR')
    const unknown = errorFromCode(31000)
    expect(unknown!.errorName).toBe('UNKNOWN_CODE_31000')
    expect(unknown!.retriable).toBe(false)
  })
})
