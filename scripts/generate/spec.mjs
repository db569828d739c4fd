// Loads Kafka's message schema JSON files into a small typed model the emitter walks. No code is emitted here.
import { readFileSync } from 'node:fs'

export const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid'])

/** Schema files are JSON with `//` line comments (the Apache licence header and notes). */
export function stripLineComments(text) {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else {
      out += c
    }
  }
  return out
}

/**
 * A version range from the spec syntax: "3+", "1-4", "7", "none". `null` stands for none.
 * @returns {{ lo: number, hi: number } | null}
 */
export function parseVersions(text, what = 'versions') {
  if (text === undefined) return undefined
  const s = String(text).trim()
  if (s === 'none') return null
  let m = /^(\d+)\+$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Infinity }
  m = /^(\d+)-(\d+)$/.exec(s)
  if (m) {
    const lo = Number(m[1])
    const hi = Number(m[2])
    if (hi < lo) throw new Error(`bad ${what} "${s}"`)
    return { lo, hi }
  }
  m = /^(\d+)$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) }
  throw new Error(`bad ${what} "${s}"`)
}

export function inRange(range, v) {
  return range != null && v >= range.lo && v <= range.hi
}

export function formatRange(range) {
  if (range === null || range === undefined) return 'none'
  if (range.hi === Infinity) return `${range.lo}+`
  return range.lo === range.hi ? `${range.lo}` : `${range.lo}-${range.hi}`
}

/** `ThrottleTimeMs` → `throttleTimeMs`: the Java JSON converter's key. */
export function jsName(specName) {
  return specName.charAt(0).toLowerCase() + specName.slice(1)
}

/**
 * Parses a field type: primitive, `[]elem`, or a struct name.
 * @returns {{ kind: 'prim', prim: string } | { kind: 'array', elem: object } | { kind: 'struct', name: string }}
 */
function parseType(type) {
  if (type.startsWith('[]')) return { kind: 'array', elem: parseType(type.slice(2)) }
  if (PRIMITIVES.has(type)) return { kind: 'prim', prim: type }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(type)) throw new Error(`unknown type "${type}"`)
  return { kind: 'struct', name: type }
}

/**
 * Builds the model of one schema file.
 * Structs are keyed by spec name; each field refers to its struct by name (inline structs and commonStructs
 * share one namespace per file, as in the Java generator).
 */
export function loadSpec(path) {
  const json = JSON.parse(stripLineComments(readFileSync(path, 'utf8')))
  const name = json.name
  const validVersions = parseVersions(json.validVersions, 'validVersions')
  const flexibleVersions = json.flexibleVersions === undefined ? null : parseVersions(json.flexibleVersions, 'flexibleVersions')
  const structs = new Map()

  function addStruct(structName, fields, origin) {
    if (structs.has(structName)) throw new Error(`${name}: struct ${structName} defined twice`)
    const struct = { name: structName, origin, fields: [] }
    structs.set(structName, struct)
    struct.fields = fields.map((f) => buildField(f, structName))
    return struct
  }

  function buildField(f, owner) {
    const where = `${name}.${owner}.${f.name}`
    const type = parseType(f.type)
    const inner = type.kind === 'array' ? type.elem : type
    if (f.fields) {
      if (inner.kind !== 'struct') throw new Error(`${where}: has fields but type ${f.type}`)
      addStruct(inner.name, f.fields, 'inline')
    }
    const field = {
      name: f.name,
      js: jsName(f.name),
      type,
      typeText: f.type,
      versions: parseVersions(f.versions, `${where} versions`),
      nullable: f.nullableVersions === undefined ? null : parseVersions(f.nullableVersions, `${where} nullableVersions`),
      tagged: f.taggedVersions === undefined ? null : parseVersions(f.taggedVersions, `${where} taggedVersions`),
      tag: f.tag === undefined ? null : Number(f.tag),
      ignorable: f.ignorable === true,
      defaultRaw: f.default === undefined ? undefined : String(f.default),
      flexibleVersions: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, `${where} flexibleVersions`),
      zeroCopy: f.zeroCopy === true,
      entityType: f.entityType,
      mapKey: f.mapKey === true,
      about: typeof f.about === 'string' ? f.about : undefined,
    }
    if (field.versions === undefined) throw new Error(`${where}: missing versions`)
    if ((field.tagged === null) !== (field.tag === null)) throw new Error(`${where}: tag and taggedVersions go together`)
    return field
  }

  for (const common of json.commonStructs ?? []) addStruct(common.name, common.fields ?? [], 'common')
  const root = { name, origin: 'root', fields: (json.fields ?? []).map((f) => buildField(f, name)) }

  // Every referenced struct must exist.
  const check = (struct) => {
    for (const f of struct.fields) {
      const inner = f.type.kind === 'array' ? f.type.elem : f.type
      if (inner.kind === 'struct' && !structs.has(inner.name)) throw new Error(`${name}: unknown struct ${inner.name}`)
    }
  }
  check(root)
  for (const s of structs.values()) check(s)

  return {
    file: path,
    name,
    type: json.type,
    apiKey: json.apiKey === undefined ? null : Number(json.apiKey),
    validVersions,
    flexibleVersions,
    latestVersionUnstable: json.latestVersionUnstable === true,
    listeners: json.listeners ?? [],
    root,
    structs,
  }
}
