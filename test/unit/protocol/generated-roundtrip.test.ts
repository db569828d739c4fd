import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { messageCodecs, removedMessages, type AnyMessageCodec } from '../../../src/protocol/index.js'

const codecs = Object.entries(messageCodecs).filter((e): e is [string, AnyMessageCodec] => e[1] !== undefined)

/** Schema files in protocol-specs/ and whether each has versions, read from the JSON text directly. */
function specFiles(): Array<{ name: string; hasVersions: boolean }> {
  const dir = join(__dirname, '..', '..', '..', 'protocol-specs')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8')
      const validVersions = /"validVersions"\s*:\s*"([^"]*)"/.exec(text)?.[1]
      return { name: f.replace(/\.json$/, ''), hasVersions: validVersions !== undefined && validVersions !== 'none' }
    })
}

describe('generated codecs: every schema, every version', () => {
  it('has a codec for every schema file with versions, and lists the others as removed', () => {
    const files = specFiles()
    expect(files.length).toBeGreaterThan(150)
    expect(codecs.map(([name]) => name).sort()).toEqual(files.filter((f) => f.hasVersions).map((f) => f.name).sort())
    expect([...removedMessages].sort()).toEqual(files.filter((f) => !f.hasVersions).map((f) => f.name).sort())
  })

  it.each(codecs)('%s: defaults encode, decode and re-encode to the same bytes', (_name, codec) => {
    for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
      const bytes = codec.encode(v, {})
      const decoded = codec.decode(v, bytes) as Record<string, unknown>
      expect(codec.encode(v, decoded)).toEqual(bytes)
    }
  })
})
