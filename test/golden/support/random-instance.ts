/**
 * Seeded random message instances in samsa's value shape, built from the schema model alone. The same seed always
 * gives the same instance, so a failure message's seed reproduces the case.
 *
 * Values aim at the places codecs get wrong: boundaries of every integer width, int64 extremes, float64 specials,
 * empty/multi-byte/emoji strings, null wherever the version allows it, tagged fields both present and defaulted,
 * and arrays of 0, 1 and several elements. Nesting is capped so instances stay small.
 */
import {
  type FieldSchema,
  type FieldType,
  type MessageSchema,
  type StructSchema,
  ZERO_UUID,
  fieldDefault,
  fieldsAt,
  isNullableAt,
  isTaggedAt,
} from './protocol-schema.js'

/** xoshiro128** seeded through splitmix32: tiny, fast and identical on every machine. */
export class SeededRandom {
  #s0: number
  #s1: number
  #s2: number
  #s3: number

  constructor(readonly seed: number) {
    // splitmix32 spreads a small seed over the whole state.
    let x = seed >>> 0
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#s0 = next()
    this.#s1 = next()
    this.#s2 = next()
    this.#s3 = next() | 1
  }

  /** Uniform in [0, 2^32). */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0
    const t = this.#s1 << 9
    this.#s2 ^= this.#s0
    this.#s3 ^= this.#s1
    this.#s1 ^= this.#s2
    this.#s0 ^= this.#s3
    this.#s2 ^= t
    this.#s3 = rotl(this.#s3, 11)
    return result
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.uint32() / 0x1_0000_0000) * bound)
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1)
  }

  chance(probability: number): boolean {
    return this.uint32() / 0x1_0000_0000 < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length)
    for (let i = 0; i < length; i++) buffer[i] = this.below(256)
    return buffer
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

export interface InstanceOptions {
  /** Arrays nested deeper than this are left empty. */
  maxDepth?: number
  /** Upper bound for "several" array elements. */
  maxArrayLength?: number
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'
const UNICODE_SAMPLES = [
  'é',
  'Ünïcödé',
  '日本語のトピック',
  '😀🎉',
  'mixed-ascii-и-кириллица-🚀',
  'null\u0000inside',
  '\u{10FFFF}',
  'ß€𝄞',
]

function randomString(random: SeededRandom): string {
  const roll = random.below(100)
  if (roll < 12) return ''
  if (roll < 60) {
    let text = ''
    for (let i = random.between(1, 16); i > 0; i--) text += ASCII[random.below(ASCII.length)]
    return text
  }
  if (roll < 95) return random.pick(UNICODE_SAMPLES) + (random.chance(0.5) ? random.pick(UNICODE_SAMPLES) : '')
  // Long enough to need more than one varint byte as a compact length.
  let text = ''
  for (let i = random.between(128, 400); i > 0; i--) text += ASCII[random.below(ASCII.length)]
  return text
}

const INT_LIMITS: Record<'int8' | 'int16' | 'uint16' | 'int32' | 'uint32', [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
}

function randomInt(random: SeededRandom, kind: keyof typeof INT_LIMITS): number {
  const [min, max] = INT_LIMITS[kind]
  const roll = random.below(10)
  if (roll === 0) return min
  if (roll === 1) return max
  if (roll === 2) return 0
  if (roll === 3 && min < 0) return -1
  if (roll < 6) return random.between(Math.max(min, -2), Math.min(max, 200))
  return min + Math.floor((random.uint32() / 0x1_0000_0000) * (max - min + 1))
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function randomInt64(random: SeededRandom): bigint {
  const roll = random.below(10)
  if (roll === 0) return INT64_MIN
  if (roll === 1) return INT64_MAX
  if (roll === 2) return 0n
  if (roll === 3) return -1n
  if (roll === 4) return BigInt(random.between(-1000, 100000))
  // Beyond 2^53, where a double would silently round.
  return BigInt.asIntN(64, (BigInt(random.uint32()) << 32n) | BigInt(random.uint32()))
}

const FLOAT_SPECIALS = [0, -0, 1, -1.5, 0.1, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** 53 + 2]

function randomFloat64(random: SeededRandom): number {
  if (random.chance(0.5)) return random.pick(FLOAT_SPECIALS)
  const bytes = random.bytes(8)
  const value = bytes.readDoubleBE(0)
  // Java keeps NaN payloads only sometimes; a canonical NaN is enough to test NaN.
  return Number.isNaN(value) ? NaN : value
}

function randomUuid(random: SeededRandom): string {
  if (random.chance(0.1)) return ZERO_UUID
  return random.bytes(16).toString('base64url')
}

function randomOfType(
  type: FieldType,
  version: number,
  random: SeededRandom,
  depth: number,
  options: Required<InstanceOptions>,
): unknown {
  switch (type.kind) {
    case 'bool':
      return random.chance(0.5)
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return randomInt(random, type.kind)
    case 'int64':
      return randomInt64(random)
    case 'float64':
      return randomFloat64(random)
    case 'string':
      return randomString(random)
    case 'uuid':
      return randomUuid(random)
    case 'bytes':
    case 'records':
      return random.bytes(random.pick([0, 1, 3, 8, 17, 40]))
    case 'struct':
      return randomStruct(type.struct, version, random, depth + 1, options)
    case 'array': {
      if (depth >= options.maxDepth) return []
      const roll = random.below(10)
      const length = roll < 2 ? 0 : roll < 5 ? 1 : random.between(2, options.maxArrayLength)
      const items: unknown[] = []
      for (let i = 0; i < length; i++) items.push(randomOfType(type.element, version, random, depth + 1, options))
      return items
    }
  }
}

function randomField(
  field: FieldSchema,
  version: number,
  random: SeededRandom,
  depth: number,
  options: Required<InstanceOptions>,
): unknown {
  if (isNullableAt(field, version) && random.chance(0.15)) return null
  return randomOfType(field.type, version, random, depth, options)
}

export function randomStruct(
  struct: StructSchema,
  version: number,
  random: SeededRandom,
  depth = 0,
  options: Required<InstanceOptions> = { maxDepth: 4, maxArrayLength: 4 },
): Record<string, unknown> {
  const value: Record<string, unknown> = {}
  for (const field of fieldsAt(struct, version)) {
    if (isTaggedAt(field, version)) {
      const roll = random.below(10)
      // Absent (the codec must fill the default and not write the tag) ...
      if (roll < 3) continue
      // ... explicitly equal to the default (still must not be written) ...
      if (roll < 4) {
        value[field.key] = fieldDefault(field, version)
        continue
      }
      // ... or a random value, which is written unless it happens to equal the default.
    }
    value[field.key] = randomField(field, version, random, depth, options)
  }
  return value
}

/** A random value of `schema` at `version`; only fields valid in that version, nulls only where allowed. */
export function randomInstance(
  schema: MessageSchema,
  version: number,
  seed: number,
  options: InstanceOptions = {},
): Record<string, unknown> {
  const random = new SeededRandom(seed)
  return randomStruct(schema.root, version, random, 0, { maxDepth: options.maxDepth ?? 4, maxArrayLength: options.maxArrayLength ?? 4 })
}

/** A stable seed per (message, version, instance index), so each case can be re-run alone. */
export function caseSeed(message: string, version: number, index: number): number {
  let hash = 0x811c9dc5
  const text = `${message}:${version}:${index}`
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0
  return hash
}
