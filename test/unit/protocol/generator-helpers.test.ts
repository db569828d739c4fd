// The generator is plain Node ESM (scripts/generate/*.mjs); jest here runs CommonJS, so its helpers are exercised
// in a child Node process and the results compared.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

const specModule = join(__dirname, '..', '..', '..', 'scripts', 'generate', 'spec.mjs')
const emitModule = join(__dirname, '..', '..', '..', 'scripts', 'generate', 'emit-message.mjs')

function run(expression: string): unknown {
  const program = `
    const spec = await import(${JSON.stringify(specModule)})
    const emit = await import(${JSON.stringify(emitModule)})
    const result = await (async () => (${expression}))()
    process.stdout.write(JSON.stringify(result, (_k, v) => (v === Infinity ? 'Infinity' : v)))
  `
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
}

describe('generator helpers', () => {
  it('parses every version-range form of the specs', () => {
    expect(run(`['0+', '3-7', '5', 'none'].map((s) => spec.parseVersions(s))`)).toEqual([
      { lo: 0, hi: 'Infinity' },
      { lo: 3, hi: 7 },
      { lo: 5, hi: 5 },
      null,
    ])
    expect(() => run(`spec.parseVersions('7-3')`)).toThrow()
    expect(() => run(`spec.parseVersions('x')`)).toThrow()
  })

  it('strips // comments but not // inside strings', () => {
    expect(run(`JSON.parse(spec.stripLineComments('// licence\\n{ "about": "see http://x", // note\\n "a": 1 }'))`)).toEqual({
      about: 'see http://x',
      a: 1,
    })
  })

  it('lower-cases only the first letter of field names, like the Java JSON converter', () => {
    expect(run(`['ThrottleTimeMs', 'ISR', 'ProducerId'].map(spec.jsName)`)).toEqual(['throttleTimeMs', 'iSR', 'producerId'])
  })

  it('parses defaults: hex, negative, int64, bool, "null"', () => {
    const result = run(`(() => {
      const e = new emit.MessageEmitter({ name: 'T', flexibleVersions: null, structs: new Map() })
      const f = (type, def, nullable) => ({ name: 'F', js: 'f', type: { kind: 'prim', prim: type }, typeText: type,
        versions: { lo: 0, hi: Infinity }, nullable: nullable ? { lo: 0, hi: Infinity } : null, tagged: null, defaultRaw: def })
      return [
        e.defaultExpr(f('int32', '0x7fffffff'), 0),
        e.defaultExpr(f('int32', '-2147483648'), 0),
        e.defaultExpr(f('int64', '9223372036854775807'), 0),
        e.defaultExpr(f('bool', 'true'), 0),
        e.defaultExpr(f('string', 'null', true), 0),
        e.defaultExpr(f('string', undefined, true), 0),
        e.defaultExpr(f('string', undefined, true), 0, { javaSemantics: true }),
        e.defaultExpr(f('uuid', undefined), 0),
      ]
    })()`)
    expect(result).toEqual(['2147483647', '-2147483648', '9223372036854775807n', 'true', 'null', 'null', "''", "'AAAAAAAAAAAAAAAAAAAAAA'"])
    expect(() => run(`new emit.MessageEmitter({ name: 'T', structs: new Map() }).defaultExpr({ name: 'F', type: { kind: 'prim', prim: 'int8' }, versions: { lo: 0, hi: 1 }, nullable: null, defaultRaw: '300' }, 0)`)).toThrow()
  })
})
