/**
 * Moves protocol values between samsa's shape (bigint, Buffer, absent tagged fields) and the JSON that Kafka's
 * generated `*DataJsonConverter` classes read and write, and compares values with a precise report of the first
 * difference.
 *
 * Facts about the Java converters that this file relies on (checked against kafka-clients 4.4.0):
 * - keys are the field names with the first letter lower-cased; fields a version lacks must not appear;
 * - every non-tagged field of the version is mandatory on read and always written; tagged fields may be omitted
 *   on read (default) and are written only when they differ from their default;
 * - int64 must be a bare JSON number, float64 a floating-point literal (NaN/Infinity allowed once the mapper is
 *   told so); bytes are base64; uuid is the 22-char base64url string;
 * - records are read from base64 but written back as an empty string whatever they hold, so record contents are
 *   compared through Java's re-encoding of what it decoded instead of through JSON.
 */
import { type JsonInput, JsonNumber, type JsonValue } from './lossless-json.js'
import {
  type FieldSchema,
  type FieldType,
  type StructSchema,
  ZERO_UUID,
  fieldDefault,
  fieldsAt,
  isNullableAt,
  isTaggedAt,
} from './protocol-schema.js'
import { type SeededRandom } from './random-instance.js'

type Struct = Record<string, unknown>

function isStruct(value: unknown): value is Struct {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
}

function typeToJson(type: FieldType, version: number, value: unknown): JsonInput {
  if (value === null) return null
  switch (type.kind) {
    case 'int64':
      return value as bigint
    case 'float64':
      return JsonNumber.float64(value as number)
    case 'bytes':
    case 'records':
      return (value as Buffer).toString('base64')
    case 'struct':
      return structToJavaJson(type.struct, version, value as Struct)
    case 'array':
      return (value as unknown[]).map((item) => typeToJson(type.element, version, item))
    default:
      return value as JsonInput
  }
}

/** The Java converter's JSON for a samsa value. Absent tagged fields stay absent (Java then uses its default). */
export function structToJavaJson(struct: StructSchema, version: number, value: Struct): { [key: string]: JsonInput } {
  const json: { [key: string]: JsonInput } = {}
  for (const field of fieldsAt(struct, version)) {
    const member = value[field.key]
    if (member === undefined) continue
    json[field.key] = typeToJson(field.type, version, member)
  }
  return json
}

export class JavaJsonShapeError extends Error {}

function typeFromJson(type: FieldType, version: number, json: JsonValue, path: string): unknown {
  if (json === null) return null
  const wrong = (expected: string): never => {
    throw new JavaJsonShapeError(`${path}: expected ${expected} in Java JSON, got ${JSON.stringify(String(json))}`)
  }
  switch (type.kind) {
    case 'bool':
      return typeof json === 'boolean' ? json : wrong('boolean')
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return json instanceof JsonNumber ? json.toNumber() : wrong('number')
    case 'int64':
      return json instanceof JsonNumber ? json.toBigInt() : wrong('number')
    case 'string':
    case 'uuid':
      return typeof json === 'string' ? json : wrong('string')
    case 'bytes':
    case 'records':
      return typeof json === 'string' ? Buffer.from(json, 'base64') : wrong('base64 string')
    case 'struct':
      return structFromJavaJson(type.struct, version, json, path)
    case 'array':
      if (!Array.isArray(json)) return wrong('array')
      return json.map((item, index) => typeFromJson(type.element, version, item, `${path}[${index}]`))
  }
}

/** A samsa value from the Java converter's JSON, with defaults filled for the tagged fields Java left out. */
export function structFromJavaJson(struct: StructSchema, version: number, json: JsonValue, path = ''): Struct {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || json instanceof JsonNumber) {
    throw new JavaJsonShapeError(`${path || '<root>'}: expected an object in Java JSON`)
  }
  const value: Struct = {}
  for (const field of fieldsAt(struct, version)) {
    const fieldPath = path ? `${path}.${field.key}` : field.key
    if (field.key in json) {
      value[field.key] = typeFromJson(field.type, version, json[field.key]!, fieldPath)
    } else if (isTaggedAt(field, version)) {
      value[field.key] = fieldDefault(field, version)
    } else {
      throw new JavaJsonShapeError(`${fieldPath}: missing from Java JSON although mandatory in v${version}`)
    }
  }
  return value
}

export interface NormalizeOptions {
  /** Replace non-null records by an empty Buffer (Java's JSON drops record contents). */
  blankRecords?: boolean
}

function normalizeType(type: FieldType, version: number, value: unknown, options: NormalizeOptions): unknown {
  if (value === null || value === undefined) return value
  switch (type.kind) {
    case 'records':
      return options.blankRecords ? Buffer.alloc(0) : value
    case 'struct':
      return isStruct(value) ? normalizeStruct(type.struct, version, value, options) : value
    case 'array':
      return Array.isArray(value) ? value.map((item) => normalizeType(type.element, version, item, options)) : value
    default:
      return value
  }
}

/**
 * The value with every field of the version present (absent ones set to their default), recursively. Keys the
 * version lacks are kept, so that a comparison still reports them.
 */
export function normalizeStruct(struct: StructSchema, version: number, value: Struct, options: NormalizeOptions = {}): Struct {
  const out: Struct = { ...value }
  for (const field of fieldsAt(struct, version)) {
    const member = value[field.key]
    out[field.key] = member === undefined ? fieldDefault(field, version) : normalizeType(field.type, version, member, options)
  }
  return out
}

/**
 * Problems with a decoded value's shape that a plain comparison would hide: keys for fields the version lacks,
 * missing non-tagged fields, and a non-empty `_unknownTaggedFields` where the input had none.
 */
export function shapeProblems(struct: StructSchema, version: number, value: unknown, path = ''): string[] {
  const where = (key: string): string => (path ? `${path}.${key}` : key)
  if (!isStruct(value)) return [`${path || '<root>'}: expected an object, got ${describe(value)}`]
  const problems: string[] = []
  const fields = fieldsAt(struct, version)
  const valid = new Map<string, FieldSchema>(fields.map((field) => [field.key, field]))
  for (const key of Object.keys(value)) {
    if (key === '_unknownTaggedFields') {
      const unknown = value[key]
      if (unknown !== undefined && !(Array.isArray(unknown) && unknown.length === 0)) {
        problems.push(`${where(key)}: unexpected unknown tagged fields ${describe(unknown)}`)
      }
      continue
    }
    if (!valid.has(key) && value[key] !== undefined) problems.push(`${where(key)}: present but not a field of v${version}`)
  }
  for (const field of fields) {
    const member = value[field.key]
    if (member === undefined) {
      if (!isTaggedAt(field, version)) problems.push(`${where(field.key)}: missing (non-tagged in v${version})`)
      continue
    }
    problems.push(...typeShapeProblems(field.type, version, member, where(field.key)))
  }
  return problems
}

function typeShapeProblems(type: FieldType, version: number, value: unknown, path: string): string[] {
  if (value === null) return []
  if (type.kind === 'struct') return shapeProblems(type.struct, version, value, path)
  if (type.kind === 'array' && Array.isArray(value)) {
    return value.flatMap((item, index) => typeShapeProblems(type.element, version, item, `${path}[${index}]`))
  }
  return []
}

export function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (Buffer.isBuffer(value)) return `Buffer<${value.toString('hex').slice(0, 64)}${value.length > 32 ? '…' : ''}> (${value.length} bytes)`
  if (value instanceof Uint8Array) return `Uint8Array<${Buffer.from(value).toString('hex').slice(0, 64)}>`
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
  try {
    const text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner))
    return text.length > 200 ? `${text.slice(0, 200)}…` : text
  } catch {
    return String(value)
  }
}

/** The first difference between two values as "path: expected …, got …", or null when they are equal. */
export function firstDifference(expected: unknown, actual: unknown, path = ''): string | null {
  const here = path || '<root>'
  if (expected instanceof Uint8Array || actual instanceof Uint8Array) {
    if (!(expected instanceof Uint8Array) || !(actual instanceof Uint8Array)) {
      return `${here}: expected ${describe(expected)}, got ${describe(actual)}`
    }
    return Buffer.compare(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength), Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)) === 0
      ? null
      : `${here}: expected ${describe(expected)}, got ${describe(actual)}`
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return `${here}: expected ${describe(expected)}, got ${describe(actual)}`
    if (expected.length !== actual.length) return `${here}: expected ${expected.length} elements, got ${actual.length}`
    for (let i = 0; i < expected.length; i++) {
      const difference = firstDifference(expected[i], actual[i], `${path}[${i}]`)
      if (difference) return difference
    }
    return null
  }
  if (isStruct(expected) && isStruct(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)])
    for (const key of keys) {
      if (key === '_unknownTaggedFields') continue
      const difference = firstDifference(expected[key], actual[key], path ? `${path}.${key}` : key)
      if (difference) return difference
    }
    return null
  }
  if (Object.is(expected, actual)) return null
  return `${here}: expected ${describe(expected)}, got ${describe(actual)}`
}

/** Offset of the first differing byte, or -1 when equal. */
export function firstDifferentByte(expected: Uint8Array, actual: Uint8Array): number {
  const length = Math.min(expected.length, actual.length)
  for (let i = 0; i < length; i++) if (expected[i] !== actual[i]) return i
  return expected.length === actual.length ? -1 : length
}

export function hexAround(bytes: Uint8Array, offset: number, radius = 12): string {
  const start = Math.max(0, offset - radius)
  const end = Math.min(bytes.length, offset + radius)
  return `${start > 0 ? '…' : ''}${Buffer.from(bytes.subarray(start, end)).toString('hex')}${end < bytes.length ? '…' : ''}`
}

/**
 * What samsa's encoders write for a non-tagged field missing from their input (the generated-code contract): the
 * spec default, else null where the field is nullable in that version, else the type's empty value. This differs
 * from Java's `new XData()` for nullable fields without a spec default (Java starts those at ""/[]/empty bytes).
 */
export function inputDefault(field: FieldSchema, version: number): unknown {
  const nullable = isNullableAt(field, version)
  const text = field.defaultText
  if (text === 'null') return nullable ? null : emptyValue(field.type, version)
  if (text !== undefined && text !== '') return fieldDefault(field, version)
  if (nullable) return null
  return emptyValue(field.type, version)
}

function emptyValue(type: FieldType, version: number): unknown {
  switch (type.kind) {
    case 'bool':
      return false
    case 'int64':
      return 0n
    case 'string':
      return ''
    case 'uuid':
      return ZERO_UUID
    case 'bytes':
    case 'records':
      return Buffer.alloc(0)
    case 'array':
      return []
    case 'struct':
      return withInputDefaults(type.struct, version, {})
    default:
      return 0
  }
}

/**
 * The value an encoder given `input` must write: missing non-tagged fields become `inputDefault`, missing tagged
 * fields stay absent (they then mean Java's default and are not written), recursively.
 */
export function withInputDefaults(struct: StructSchema, version: number, input: Struct): Struct {
  const out: Struct = {}
  for (const field of fieldsAt(struct, version)) {
    const member = input[field.key]
    if (member === undefined) {
      if (!isTaggedAt(field, version)) out[field.key] = inputDefault(field, version)
      continue
    }
    out[field.key] = fillType(field.type, version, member)
  }
  return out
}

function fillType(type: FieldType, version: number, value: unknown): unknown {
  if (value === null) return null
  if (type.kind === 'struct') return withInputDefaults(type.struct, version, value as Struct)
  if (type.kind === 'array') return (value as unknown[]).map((item) => fillType(type.element, version, item))
  return value
}

/** A copy of `value` with each field removed with probability `dropRate`, at every nesting level. */
export function sparsify(struct: StructSchema, version: number, value: Struct, random: SeededRandom, dropRate = 0.4): Struct {
  const out: Struct = {}
  for (const field of fieldsAt(struct, version)) {
    const member = value[field.key]
    if (member === undefined || random.chance(dropRate)) continue
    out[field.key] = sparsifyType(field.type, version, member, random, dropRate)
  }
  return out
}

function sparsifyType(type: FieldType, version: number, value: unknown, random: SeededRandom, dropRate: number): unknown {
  if (value === null) return null
  if (type.kind === 'struct') return sparsify(type.struct, version, value as Struct, random, dropRate)
  if (type.kind === 'array') return (value as unknown[]).map((item) => sparsifyType(type.element, version, item, random, dropRate))
  return value
}
