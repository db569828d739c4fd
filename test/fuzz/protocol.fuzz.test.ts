/**
 * Hostile-input test of the generated decoders: for every schema file in protocol-specs/ and a sample of versions
 * (min, max, first flexible, last non-flexible), valid encodings of seeded random instances are truncated, bit-flipped,
 * overwritten with lying lengths and replaced by garbage. Each decode must either return a value or throw
 * ProtocolDecodeError — never another exception type (even wrapped: a TypeError or RangeError underneath means a
 * missing check), never hang (Jest's timeout bounds each message), and never allocate more than the input.
 *
 * Whole response frames (header + body) go through decodeResponseFrame and peekCorrelationId the same way.
 *
 * Allocation is watched two ways: Buffer allocations made during a decode are recorded and compared with the input
 * size, and process memory is sampled around the explicit 2^31-1 length cases.
 */
import { ProtocolDecodeError } from '../../src/errors.js'
import { decodeResponseFrame, peekCorrelationId } from '../../src/protocol/frame.js'
import { apis, messageCodecs } from '../../src/protocol/generated/index.js'
import {
  type FieldSchema,
  type MessageSchema,
  fieldsAt,
  isFlexible,
  isNullableAt,
  loadMessageSchemas,
  versionsOf,
} from '../golden/support/protocol-schema.js'
import { SeededRandom, caseSeed, randomInstance } from '../golden/support/random-instance.js'

interface Codec {
  encode(version: number, value: unknown): Uint8Array
  decode(version: number, bytes: Buffer): unknown
}

const codecs = messageCodecs as unknown as Record<string, Codec>
const schemas = loadMessageSchemas().filter((schema) => versionsOf(schema).length > 0)

// --- allocation watch -------------------------------------------------------------------------------------------

let largestAllocation = 0
let watching = false
type AllocFn = (size: number, ...rest: unknown[]) => Buffer
const originals = {
  alloc: Buffer.alloc,
  allocUnsafe: Buffer.allocUnsafe,
  allocUnsafeSlow: Buffer.allocUnsafeSlow,
}

function watchAllocations(): void {
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = originals[name] as unknown as AllocFn
    ;(Buffer as unknown as Record<string, AllocFn>)[name] = function watchedAllocation(size: number, ...rest: unknown[]): Buffer {
      if (watching && typeof size === 'number' && size > largestAllocation) largestAllocation = size
      return original.call(Buffer, size, ...rest)
    }
  }
}

function restoreAllocations(): void {
  Object.assign(Buffer, originals)
}

beforeAll(watchAllocations)
afterAll(restoreAllocations)

// --- one decode under observation --------------------------------------------------------------------------------

type Outcome = 'value' | 'decode-error'

/** Causes that mean the decoder trusted the input instead of checking it. */
function suspiciousCause(error: ProtocolDecodeError): string | null {
  const cause = (error as { cause?: unknown }).cause
  if (cause === undefined || cause instanceof ProtocolDecodeError) return null
  if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof SyntaxError) {
    return `${cause.constructor.name}: ${cause.message}`
  }
  return null
}

function decodeObserved(codec: Codec, version: number, input: Buffer, what: string, problems: string[]): Outcome | null {
  largestAllocation = 0
  watching = true
  try {
    codec.decode(version, input)
    return 'value'
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) {
      problems.push(`${what}: threw ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)} (input ${hex(input)})`)
      return null
    }
    const suspicious = suspiciousCause(error)
    if (suspicious) {
      problems.push(`${what}: ProtocolDecodeError wraps ${suspicious} (input ${hex(input)})`)
      return null
    }
    return 'decode-error'
  } finally {
    watching = false
    // Output buffers for decoded bytes may equal the input size; anything larger was sized from a lying length.
    if (largestAllocation > input.length) {
      problems.push(`${what}: allocated a ${largestAllocation}-byte Buffer while decoding ${input.length} bytes`)
    }
  }
}

function hex(bytes: Buffer): string {
  return bytes.length > 48 ? `${bytes.subarray(0, 48).toString('hex')}… (${bytes.length} bytes)` : bytes.toString('hex')
}

// --- mutations ---------------------------------------------------------------------------------------------------

/** Every boundary for short encodings, an even sample plus both ends for long ones. */
function truncationPoints(length: number): number[] {
  if (length <= 192) return Array.from({ length }, (_, i) => i)
  const points = new Set<number>()
  for (let i = 0; i < 48; i++) points.add(i).add(length - 1 - i)
  for (let i = 0; i < 96; i++) points.add(Math.floor((i * length) / 96))
  return [...points].sort((a, b) => a - b)
}

/** Length/count prefixes claiming far more than any frame holds, in every encoding Kafka uses. */
const LYING_PREFIXES: ReadonlyArray<{ name: string; bytes: Buffer }> = [
  { name: 'int32 2^31-1', bytes: Buffer.from('7fffffff', 'hex') },
  { name: 'int32 -2', bytes: Buffer.from('fffffffe', 'hex') },
  { name: 'int16 32767', bytes: Buffer.from('7fff', 'hex') },
  { name: 'uvarint 2^31-1', bytes: Buffer.from('ffffffff07', 'hex') },
  { name: 'uvarint 2^32-1', bytes: Buffer.from('ffffffff0f', 'hex') },
  { name: 'uvarint overlong', bytes: Buffer.from('ffffffffffffffffff01', 'hex') },
]

function overwrite(bytes: Buffer, offset: number, patch: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  patch.copy(copy, offset, 0, Math.min(patch.length, copy.length - offset))
  return copy
}

function sampledVersions(schema: MessageSchema): number[] {
  const versions = versionsOf(schema)
  const picks = new Set<number>([versions[0]!, versions[versions.length - 1]!])
  const firstFlexible = versions.find((version) => isFlexible(schema, version))
  if (firstFlexible !== undefined) {
    picks.add(firstFlexible)
    if (firstFlexible > versions[0]!) picks.add(firstFlexible - 1)
  }
  return [...picks].sort((a, b) => a - b)
}

let totalCases = 0

describe('generated decoders on hostile input', () => {
  test('the generated table covers every schema file with versions', () => {
    const missing = schemas.filter((schema) => codecs[schema.name] === undefined).map((schema) => schema.name)
    expect(missing).toEqual([])
  })

  describe.each(schemas.map((schema) => [schema.name, schema] as const))('%s', (_name, schema) => {
    test('truncations, bit flips, lying lengths and garbage only ever give a value or ProtocolDecodeError', () => {
      const codec = codecs[schema.name]
      if (!codec) throw new Error(`messageCodecs has no ${schema.name}`)
      const problems: string[] = []
      let cases = 0
      for (const version of sampledVersions(schema)) {
        const random = new SeededRandom(caseSeed(schema.name, version, 9000))
        const encodings: Buffer[] = []
        for (const instance of [{}, randomInstance(schema, version, caseSeed(schema.name, version, 9001)), randomInstance(schema, version, caseSeed(schema.name, version, 9002))]) {
          try {
            const bytes = codec.encode(version, instance)
            encodings.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
          } catch (error) {
            problems.push(`v${version}: could not encode a fuzz seed instance: ${String(error)}`)
          }
        }
        for (const [index, valid] of encodings.entries()) {
          const label = `v${version} encoding #${index}`
          cases++
          if (decodeObserved(codec, version, valid, `${label} unmodified`, problems) !== 'value') {
            problems.push(`${label}: the unmodified encoding does not decode`)
            continue
          }
          // A strict prefix of a message the decoder reads completely cannot be a whole message: it must fail.
          for (const end of truncationPoints(valid.length)) {
            cases++
            const outcome = decodeObserved(codec, version, valid.subarray(0, end), `${label} truncated to ${end}`, problems)
            if (outcome === 'value') problems.push(`${label} truncated to ${end} of ${valid.length} bytes decoded without error`)
          }
          const flips = Math.min(64, valid.length * 8)
          for (let i = 0; i < flips; i++) {
            cases++
            const mutated = Buffer.from(valid)
            const bit = random.below(valid.length * 8)
            mutated[bit >> 3]! ^= 1 << (bit & 7)
            decodeObserved(codec, version, mutated, `${label} bit ${bit} flipped`, problems)
          }
          for (let i = 0; i < 16 && valid.length > 0; i++) {
            cases++
            const mutated = Buffer.from(valid)
            mutated[random.below(valid.length)] = random.pick([0x00, 0xff, 0x7f, 0x80, random.below(256)])
            decodeObserved(codec, version, mutated, `${label} byte overwritten`, problems)
          }
          const offsets = valid.length <= 96 ? Array.from({ length: valid.length }, (_, i) => i) : Array.from({ length: 96 }, () => random.below(valid.length))
          for (const offset of offsets) {
            for (const prefix of LYING_PREFIXES) {
              cases++
              decodeObserved(codec, version, overwrite(valid, offset, prefix.bytes), `${label} ${prefix.name} at ${offset}`, problems)
            }
          }
        }
        for (let i = 0; i < 24; i++) {
          cases++
          decodeObserved(codec, version, random.bytes(random.below(80)), `v${version} random garbage #${i}`, problems)
        }
      }
      totalCases += cases
      expect(problems.slice(0, 25).join('\n')).toBe('')
    })
  })

  test('the observer is not vacuous: a foreign exception, a wrapped TypeError and an oversized allocation are reported', () => {
    const input = Buffer.from('00010203', 'hex')
    const problems: string[] = []
    const throwsTypeError: Codec = { encode: () => input, decode: () => (undefined as unknown as { x: number }).x }
    const wrapsTypeError: Codec = {
      encode: () => input,
      decode: () => {
        throw new ProtocolDecodeError('wrapped', { offset: 0, cause: new TypeError('x is undefined') })
      },
    }
    const allocatesTooMuch: Codec = { encode: () => input, decode: () => Buffer.alloc(1 << 20) }
    expect(decodeObserved(throwsTypeError, 0, input, 'foreign', problems)).toBeNull()
    expect(decodeObserved(wrapsTypeError, 0, input, 'wrapped', problems)).toBeNull()
    expect(decodeObserved(allocatesTooMuch, 0, input, 'oversized', problems)).toBe('value')
    expect(problems).toHaveLength(3)
    expect(problems[0]).toContain('TypeError')
    expect(problems[1]).toContain('wraps TypeError')
    expect(problems[2]).toContain('allocated a 1048576-byte Buffer')
  })

  test('decodeResponseFrame and peekCorrelationId: truncated, flipped and garbage frames of every API', () => {
    const problems: string[] = []
    let cases = 0
    const headerCodec = codecs.ResponseHeader!
    for (const api of Object.values(apis) as unknown as Array<{ name: string; minVersion: number; maxVersion: number; responseHeaderVersion(v: number): number; response: Codec }>) {
      const responseSchema = schemas.find((schema) => schema.name === `${api.name}Response`)!
      for (const version of [api.minVersion, api.maxVersion]) {
        const random = new SeededRandom(caseSeed(`${api.name}-frame-fuzz`, version, 0))
        const header = Buffer.from(headerCodec.encode(api.responseHeaderVersion(version), { correlationId: random.uint32() | 0 }))
        const body = Buffer.from(codecs[responseSchema.name]!.encode(version, randomInstance(responseSchema, version, random.uint32())))
        const frame = Buffer.concat([header, body])
        const inputs: Array<[string, Buffer]> = []
        for (const end of truncationPoints(frame.length)) inputs.push([`truncated to ${end}`, frame.subarray(0, end)])
        for (let i = 0; i < 32; i++) {
          const mutated = Buffer.from(frame)
          const bit = random.below(frame.length * 8)
          mutated[bit >> 3]! ^= 1 << (bit & 7)
          inputs.push([`bit ${bit} flipped`, mutated])
        }
        for (let i = 0; i < 8; i++) inputs.push([`garbage #${i}`, random.bytes(random.below(40))])
        for (const [what, input] of inputs) {
          cases++
          const label = `${api.name} v${version} response frame ${what}`
          const frameCodec: Codec = { encode: () => input, decode: (v, bytes) => decodeResponseFrame(api as never, v, bytes) }
          const outcome = decodeObserved(frameCodec, version, input, label, problems)
          if (what.startsWith('truncated') && outcome === 'value') problems.push(`${label}: decoded without error`)
          try {
            const id = peekCorrelationId(input)
            if (input.length < 4 || id !== input.readInt32BE(0)) problems.push(`${label}: peekCorrelationId gave ${id}`)
          } catch (error) {
            if (!(error instanceof ProtocolDecodeError) || input.length >= 4) problems.push(`${label}: peekCorrelationId threw ${String(error)}`)
          }
        }
      }
    }
    totalCases += cases
    expect(cases).toBeGreaterThan(1000)
    expect(problems.slice(0, 25).join('\n')).toBe('')
  })

  describe('explicit lying lengths (2^31-1 and friends) in a tiny frame', () => {
    type Kind = 'string' | 'bytes' | 'array'
    interface Target {
      kind: Kind
      compact: boolean
      schema: MessageSchema
      version: number
      field: FieldSchema
    }

    const kindOf = (field: FieldSchema): Kind | null => {
      if (field.type.kind === 'string') return 'string'
      if (field.type.kind === 'bytes' || field.type.kind === 'records') return 'bytes'
      if (field.type.kind === 'array') return 'array'
      return null
    }

    /** The first (message, version) whose first body field is of each kind, so the lie sits at offset 0. */
    const targets = new Map<string, Target>()
    for (const schema of schemas) {
      for (const version of versionsOf(schema)) {
        const first = fieldsAt(schema.root, version)[0]
        if (!first) continue
        const kind = kindOf(first)
        if (!kind) continue
        const compact = isFlexible(schema, version) && !(schema.name === 'RequestHeader' && first.name === 'ClientId')
        const key = `${compact ? 'compact ' : ''}${kind}${isNullableAt(first, version) ? ' (nullable)' : ''}`
        if (!targets.has(key)) targets.set(key, { kind, compact, schema, version, field: first })
      }
    }

    test('there is a frame for every length kind: string, bytes, array, and their compact forms', () => {
      const kinds = new Set([...targets.values()].map((target) => `${target.compact ? 'compact ' : ''}${target.kind}`))
      expect([...kinds].sort()).toEqual(['array', 'bytes', 'compact array', 'compact bytes', 'compact string', 'string'])
    })

    test.each([...targets.entries()].map(([key, target]) => [`${key}: ${target.schema.name} v${target.version} ${target.field.key}`, target] as const))('%s', (_key, target) => {
      const codec = codecs[target.schema.name]!
      const lies = target.compact
        ? [Buffer.from('ffffffff07', 'hex'), Buffer.from('feffffff07', 'hex')]
        : target.kind === 'string'
          ? [Buffer.from('7fff', 'hex')]
          : [Buffer.from('7fffffff', 'hex'), Buffer.from('7ffffffe', 'hex')]
      for (const lie of lies) {
        const frame = Buffer.concat([lie, Buffer.alloc(12, 0x41)])
        const before = process.memoryUsage()
        largestAllocation = 0
        watching = true
        let thrown: unknown
        try {
          codec.decode(target.version, frame)
        } catch (error) {
          thrown = error
        } finally {
          watching = false
        }
        const after = process.memoryUsage()
        const where = `${target.schema.name} v${target.version} field ${target.field.key}, prefix ${lie.toString('hex')}`
        expect({ where, threw: thrown instanceof ProtocolDecodeError ? 'ProtocolDecodeError' : String(thrown) }).toEqual({
          where,
          threw: 'ProtocolDecodeError',
        })
        expect((thrown as ProtocolDecodeError).offset).toBeLessThanOrEqual(frame.length)
        expect(largestAllocation).toBeLessThanOrEqual(frame.length)
        // A 2 GiB array or buffer would show up here even if it were freed again right away.
        expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024)
        expect(after.heapUsed - before.heapUsed).toBeLessThan(256 * 1024 * 1024)
      }
    })
  })

  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`protocol fuzz: ${totalCases} mutated or garbage inputs decoded across ${schemas.length} schema files`)
  })
})
