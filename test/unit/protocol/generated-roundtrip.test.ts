import { messageCodecs, type AnyMessageCodec } from '../../../src/protocol/index.js'

const codecs = Object.entries(messageCodecs).filter((e): e is [string, AnyMessageCodec] => e[1] !== undefined)

describe('generated codecs: every schema, every version', () => {
  it('covers every schema file with versions', () => {
    // 203 schema files in Kafka 4.4.0, 8 of them removed APIs ("none") without codecs.
    expect(codecs.length).toBe(195)
  })

  it.each(codecs)('%s: defaults encode, decode and re-encode to the same bytes', (_name, codec) => {
    for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
      const bytes = codec.encode(v, {})
      const decoded = codec.decode(v, bytes) as Record<string, unknown>
      expect(codec.encode(v, decoded)).toEqual(bytes)
    }
  })
})
