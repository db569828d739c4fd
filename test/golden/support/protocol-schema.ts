/**
 * Reads Kafka's message schema files (`protocol-specs/*.json`) into a small typed model for the test side. It is
 * deliberately independent of the generator in scripts/generate: the golden and fuzz tests judge the generated
 * code, so they must not share its understanding of the specs.
 *
 * Value shape rules (the contract of src/protocol/generated): keys are the spec name with the first letter
 * lower-cased; int64 is bigint, uuid a 22-char base64url string, bytes/records a Buffer.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const REPO_ROOT = resolve(__dirname, '../../..')
export const SPEC_DIR = join(REPO_ROOT, 'protocol-specs')

export interface VersionRange {
  min: number
  /** Infinity for open ranges such as "3+". */
  max: number
}

export type PrimitiveKind =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records'

export type FieldType =
  | { kind: PrimitiveKind }
  | { kind: 'array'; element: FieldType }
  | { kind: 'struct'; struct: StructSchema }

export interface FieldSchema {
  /** Spec spelling, e.g. `ThrottleTimeMs`. */
  name: string
  /** Value key, e.g. `throttleTimeMs`. */
  key: string
  type: FieldType
  versions: VersionRange | null
  nullableVersions: VersionRange | null
  taggedVersions: VersionRange | null
  tag: number | undefined
  /** The spec's `default` text, when it has one. */
  defaultText: string | undefined
  ignorable: boolean
}

export interface StructSchema {
  name: string
  fields: FieldSchema[]
}

export type MessageKind = 'request' | 'response' | 'header' | 'data'

export interface MessageSchema {
  /** Spec file name without `.json`, e.g. `MetadataRequest`; the key of `messageCodecs`. */
  name: string
  type: MessageKind
  apiKey: number | undefined
  validVersions: VersionRange | null
  flexibleVersions: VersionRange | null
  latestVersionUnstable: boolean
  root: StructSchema
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export function parseVersionRange(text: string | undefined): VersionRange | null {
  if (text === undefined || text === 'none') return null
  const trimmed = text.trim()
  let match = /^(\d+)\+$/.exec(trimmed)
  if (match) return { min: Number(match[1]), max: Infinity }
  match = /^(\d+)-(\d+)$/.exec(trimmed)
  if (match) return { min: Number(match[1]), max: Number(match[2]) }
  match = /^(\d+)$/.exec(trimmed)
  if (match) return { min: Number(match[1]), max: Number(match[1]) }
  throw new Error(`unparseable version range ${JSON.stringify(text)}`)
}

export function inRange(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max
}

/** Removes `//` line comments (the spec files carry licence headers and notes), leaving string contents alone. */
export function stripJsonComments(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (inString) {
      out += char
      if (char === '\\') {
        out += text[++i] ?? ''
      } else if (char === '"') {
        inString = false
      }
    } else if (char === '"') {
      inString = true
      out += char
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else {
      out += char
    }
  }
  return out
}

interface RawField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  ignorable?: boolean
  fields?: RawField[]
}

interface RawSchema {
  name: string
  type: MessageKind
  apiKey?: number
  validVersions: string
  flexibleVersions?: string
  latestVersionUnstable?: boolean
  fields: RawField[]
  commonStructs?: Array<{ name: string; versions?: string; fields: RawField[] }>
}

const PRIMITIVES = new Set<string>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'uuid',
  'bytes',
  'records',
])

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function buildSchema(raw: RawSchema, fileName: string): MessageSchema {
  const common = new Map<string, { fields: RawField[] }>()
  for (const struct of raw.commonStructs ?? []) common.set(struct.name, struct)
  const built = new Map<string, StructSchema>()

  const structFor = (typeName: string, inlineFields: RawField[] | undefined): StructSchema => {
    if (inlineFields) return buildStruct(typeName, inlineFields)
    const cached = built.get(typeName)
    if (cached) return cached
    const shared = common.get(typeName)
    if (!shared) throw new Error(`${fileName}: unknown struct type ${typeName}`)
    const struct: StructSchema = { name: typeName, fields: [] }
    built.set(typeName, struct)
    struct.fields.push(...shared.fields.map(buildField))
    return struct
  }

  const typeOf = (typeName: string, inlineFields: RawField[] | undefined): FieldType => {
    const trimmed = typeName.trim()
    if (trimmed.startsWith('[]')) return { kind: 'array', element: typeOf(trimmed.slice(2), inlineFields) }
    if (PRIMITIVES.has(trimmed)) return { kind: trimmed as PrimitiveKind }
    return { kind: 'struct', struct: structFor(trimmed, inlineFields) }
  }

  const buildField = (field: RawField): FieldSchema => ({
    name: field.name,
    key: lowerFirst(field.name),
    type: typeOf(field.type, field.fields),
    versions: parseVersionRange(field.versions),
    nullableVersions: parseVersionRange(field.nullableVersions),
    taggedVersions: parseVersionRange(field.taggedVersions),
    tag: field.tag,
    defaultText: field.default === undefined ? undefined : String(field.default),
    ignorable: field.ignorable === true,
  })

  const buildStruct = (name: string, fields: RawField[]): StructSchema => ({ name, fields: fields.map(buildField) })

  return {
    name: fileName,
    type: raw.type,
    apiKey: raw.apiKey,
    validVersions: parseVersionRange(raw.validVersions),
    flexibleVersions: parseVersionRange(raw.flexibleVersions),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root: buildStruct(fileName, raw.fields ?? []),
  }
}

export function specFileNames(dir: string = SPEC_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && file !== 'manifest.json')
    .sort()
}

export function readRawSpec(file: string, dir: string = SPEC_DIR): RawSchema {
  return JSON.parse(stripJsonComments(readFileSync(join(dir, file), 'utf8'))) as RawSchema
}

export function loadMessageSchemas(dir: string = SPEC_DIR): MessageSchema[] {
  return specFileNames(dir).map((file) => buildSchema(readRawSpec(file, dir), file.slice(0, -'.json'.length)))
}

export function versionsOf(schema: MessageSchema): number[] {
  const range = schema.validVersions
  if (range === null) return []
  const versions: number[] = []
  for (let version = range.min; version <= range.max; version++) versions.push(version)
  return versions
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version)
}

export function fieldsAt(struct: StructSchema, version: number): FieldSchema[] {
  return struct.fields.filter((field) => inRange(field.versions, version))
}

export function isNullableAt(field: FieldSchema, version: number): boolean {
  return inRange(field.nullableVersions, version)
}

export function isTaggedAt(field: FieldSchema, version: number): boolean {
  return inRange(field.taggedVersions, version)
}

/** A field's value when absent, as Kafka's Java classes initialise it (and as the contract asks samsa to). */
export function fieldDefault(field: FieldSchema, version: number): unknown {
  const text = field.defaultText
  const type = field.type
  switch (type.kind) {
    case 'bool':
      return text === 'true'
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return text === undefined || text === '' ? 0 : Number(text)
    case 'int64':
      return text === undefined || text === '' ? 0n : BigInt(text)
    case 'float64':
      return text === undefined || text === '' ? 0 : Number(text)
    case 'string':
      return text === 'null' ? null : text ?? ''
    case 'uuid':
      return ZERO_UUID
    case 'bytes':
      return text === 'null' ? null : Buffer.alloc(0)
    case 'records':
      // Java initialises every records field to null, whatever its nullability.
      return null
    case 'array':
      return text === 'null' ? null : []
    case 'struct':
      return text === 'null' ? null : structDefault(type.struct, version)
  }
}

export function structDefault(struct: StructSchema, version: number): Record<string, unknown> {
  const value: Record<string, unknown> = {}
  for (const field of fieldsAt(struct, version)) value[field.key] = fieldDefault(field, version)
  return value
}
