// Emits one TypeScript module per schema file: value types, and straight-line size/write/read functions per
// version. Versions whose code comes out identical share one function (deduplicated by body text), so the
// output grows with the number of distinct layouts, not with the number of versions.
import { formatRange, inRange } from './spec.mjs'

const FIXED_SIZE = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 }
const NUMERIC = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'float64'])
const INT_LIMITS = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
}
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** Struct type names must be unique across all modules because index.ts re-exports every one of them. */
export function structTypeName(spec, structName) {
  return structName.startsWith(spec.name) ? structName : spec.name + structName
}

function parseIntDefault(raw, prim, where) {
  const s = raw.trim()
  const negative = s.startsWith('-')
  const body = negative ? s.slice(1) : s
  let big
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) big = BigInt(body)
  else if (/^\d+$/.test(body)) big = BigInt(body)
  else throw new Error(`${where}: invalid ${prim} default "${raw}"`)
  if (negative) big = -big
  if (prim === 'int64') {
    if (big < -(2n ** 63n) || big >= 2n ** 63n) throw new Error(`${where}: default out of range`)
    return `${big}n`
  }
  const [lo, hi] = INT_LIMITS[prim]
  if (big < BigInt(lo) || big > BigInt(hi)) throw new Error(`${where}: default ${raw} out of ${prim} range`)
  return String(big)
}

export class MessageEmitter {
  constructor(spec) {
    this.spec = spec
    this.functions = [] // emitted function sources, in dependency order
    this.byBody = new Map() // body text → function name
    this.memo = new Map() // `${kind}|${struct}|${v}|${path}` → function name
    this.usedNames = new Set()
    this.templates = new Map() // struct name → template const name (Java defaults, for tagged-struct default checks)
    this.needsImports = new Set()
  }

  isFlexible(v) {
    return inRange(this.spec.flexibleVersions, v)
  }

  struct(name) {
    return this.spec.structs.get(name)
  }

  typeName(structName) {
    return structTypeName(this.spec, structName)
  }

  // ---------------------------------------------------------------- defaults

  /**
   * Source of a field's default value.
   * `javaSemantics`: the Java client's default (spec default or type default; used for tagged fields, whose
   * absence means "default", so decoding must agree with Java). Otherwise the contract's encode default for a
   * missing input field: spec default, else null where nullable in `v`, else the type's empty value.
   * `forWrite`: a shared constant may stand in (arrays, structs), since writers only read it.
   */
  defaultExpr(field, v, { javaSemantics = false, forWrite = false } = {}) {
    const where = `${this.spec.name}.${field.name}`
    const nullableHere = inRange(field.nullable, v)
    const t = field.type
    const raw = field.defaultRaw
    if (raw !== undefined && raw.trim() === 'null') {
      if (nullableHere || (javaSemantics && field.nullable)) return 'null'
      return this.emptyValue(field, v, forWrite)
    }
    if (raw !== undefined && t.kind === 'prim') {
      switch (t.prim) {
        case 'bool':
          if (raw !== 'true' && raw !== 'false') throw new Error(`${where}: bad bool default ${raw}`)
          return raw
        case 'int8':
        case 'int16':
        case 'uint16':
        case 'int32':
        case 'uint32':
        case 'int64':
          return parseIntDefault(raw, t.prim, where)
        case 'float64': {
          const n = Number(raw)
          if (!Number.isFinite(n)) throw new Error(`${where}: bad float64 default ${raw}`)
          return String(n)
        }
        case 'string':
          return JSON.stringify(raw)
        case 'uuid':
          return JSON.stringify(raw)
        default:
          if (raw === '') return this.emptyValue(field, v, forWrite)
          throw new Error(`${where}: unsupported default for ${t.prim}`)
      }
    }
    if (raw !== undefined && raw !== '') throw new Error(`${where}: unsupported default "${raw}" for ${field.typeText}`)
    if (!javaSemantics && nullableHere) return 'null'
    if (javaSemantics && t.kind === 'prim' && t.prim === 'records') return field.nullable ? 'null' : this.emptyValue(field, v, forWrite)
    return this.emptyValue(field, v, forWrite)
  }

  emptyValue(field, v, forWrite) {
    const t = field.type
    if (t.kind === 'array') return forWrite ? 'NO_ITEMS' : '[]'
    if (t.kind === 'struct') {
      if (forWrite) return 'NO_FIELDS'
      return `${this.defaultBuilder(t.name, v, '')}()`
    }
    switch (t.prim) {
      case 'bool':
        return 'false'
      case 'int64':
        return '0n'
      case 'string':
        return "''"
      case 'uuid':
        return `'${ZERO_UUID}'`
      case 'bytes':
      case 'records':
        return forWrite ? 'EMPTY_BYTES' : 'Buffer.alloc(0)'
      default:
        return '0'
    }
  }

  /** A function building the default value of a struct at version v (fields present in v, with their defaults). */
  defaultBuilder(structName, v, path) {
    return this.memoized('default', structName, v, path, () => {
      const struct = this.struct(structName)
      const props = struct.fields
        .filter((f) => inRange(f.versions, v))
        .map((f) => `${f.js}: ${this.defaultExpr(f, v, { javaSemantics: true })}`)
      return { signature: `(): ${this.typeName(structName)}`, body: `  return { ${props.join(', ')} }\n` }
    })
  }

  /** A constant holding a struct's Java defaults for every field, used to tell whether a tagged struct is default. */
  template(structName) {
    const existing = this.templates.get(structName)
    if (existing) return existing.constName
    const constName = `TEMPLATE_${this.typeName(structName)}`
    const entry = { constName, source: '' }
    this.templates.set(structName, entry)
    const struct = this.struct(structName)
    const props = struct.fields.map((f) => {
      const t = f.type
      if (t.kind === 'struct' && f.defaultRaw?.trim() !== 'null') return `${f.js}: ${this.template(t.name)}`
      return `${f.js}: ${this.defaultExpr(f, f.versions.lo, { javaSemantics: true, forWrite: true })}`
    })
    entry.source = `const ${constName}: DefaultTemplate = { ${props.join(', ')} }\n`
    return constName
  }

  // ---------------------------------------------------------------- function registry

  memoized(kind, structName, v, path, build) {
    const key = `${kind}|${structName}|${v}|${path}`
    const hit = this.memo.get(key)
    if (hit) return hit
    const { signature, body } = build()
    const dedupeKey = `${kind}|${signature}|${body}`
    let fname = this.byBody.get(dedupeKey)
    if (!fname) {
      const base = `${kind}${this.typeName(structName)}V${v}`
      fname = base
      for (let i = 2; this.usedNames.has(fname); i++) fname = `${base}_${i}`
      this.usedNames.add(fname)
      this.byBody.set(dedupeKey, fname)
      this.functions.push(`function ${fname}${signature} {\n${body}}\n`)
    }
    this.memo.set(key, fname)
    return fname
  }

  // ---------------------------------------------------------------- read

  readFn(structName, v, path) {
    return this.memoized('read', structName, v, path, () => this.readBody(this.structOrRoot(structName), v, path))
  }

  structOrRoot(structName) {
    return structName === this.spec.root.name && !this.spec.structs.has(structName) ? this.spec.root : this.struct(structName)
  }

  readBody(struct, v, path) {
    const flexible = this.isFlexible(v)
    const lines = []
    const props = []
    const tagged = []
    let tmp = 0
    const fresh = () => `t${tmp++}`
    // Runs of consecutive fixed-width fields are bounds-checked once and read straight from the buffer.
    let run = []
    const flushRun = () => {
      if (run.length === 0) return
      const total = run.reduce((n, f) => n + FIXED_SIZE[f.type.prim], 0)
      if (run.length === 1) {
        const f = run[0]
        lines.push(`  const f_${f.js} = r.${f.type.prim}('${path}${f.js}')`)
      } else {
        const buf = fresh()
        const at = fresh()
        lines.push(`  r.need(${total}, '${path}${run[0].js}')`)
        lines.push(`  const ${buf} = r.buf`)
        lines.push(`  const ${at} = r.pos`)
        let offset = 0
        for (const f of run) {
          lines.push(`  const f_${f.js} = ${directRead(f.type.prim, at, offset, buf)}`)
          offset += FIXED_SIZE[f.type.prim]
        }
        lines.push(`  r.pos = ${at} + ${total}`)
      }
      run = []
    }
    for (const f of struct.fields) {
      if (!inRange(f.versions, v)) continue
      const local = `f_${f.js}`
      props.push(`${f.js}: ${local}`)
      if (flexible && inRange(f.tagged, v)) {
        tagged.push(f)
        lines.push(`  let ${local}: ${this.valueType(f, v, false)} = ${this.defaultExpr(f, v, { javaSemantics: true })}`)
        continue
      }
      if (f.type.kind === 'prim' && FIXED_SIZE[f.type.prim] !== undefined) {
        run.push(f)
        continue
      }
      flushRun()
      this.emitRead(lines, '  ', `const ${local}`, f, f.type, v, this.fieldFlexible(f, v), `${path}${f.js}`, fresh)
    }
    flushRun()
    if (flexible) {
      this.needsImports.add('UnknownTaggedField')
      lines.push(`  let unknownTags: UnknownTaggedField[] | undefined`)
      lines.push(`  const tagCount = r.uvarint('${path}<tags>')`)
      lines.push(`  for (let i = 0; i < tagCount; i++) {`)
      lines.push(`    const tag = r.uvarint('${path}<tag>')`)
      lines.push(`    const end = r.taggedFieldEnd('${path}<tag>')`)
      if (tagged.length > 0) {
        lines.push(`    switch (tag) {`)
        for (const f of [...tagged].sort((a, b) => a.tag - b.tag)) {
          lines.push(`      case ${f.tag}: {`)
          this.emitRead(lines, '        ', `f_${f.js}`, f, f.type, v, true, `${path}${f.js}`, fresh)
          lines.push(`        r.expectTaggedEnd(end, '${path}${f.js}')`)
          lines.push(`        break`)
          lines.push(`      }`)
        }
        lines.push(`      default:`)
        lines.push(`        ;(unknownTags ??= []).push({ tag, data: r.raw(end - r.pos, false) })`)
        lines.push(`    }`)
      } else {
        lines.push(`    ;(unknownTags ??= []).push({ tag, data: r.raw(end - r.pos, false) })`)
      }
      lines.push(`  }`)
    }
    const typeName = struct.origin === 'root' ? this.spec.name : this.typeName(struct.name)
    lines.push(`  const o: ${typeName} = { ${props.join(', ')} }`)
    if (flexible) lines.push(`  if (unknownTags !== undefined) o._unknownTaggedFields = unknownTags`)
    lines.push(`  return o`)
    return { signature: `(r: Reader): ${typeName}`, body: lines.join('\n') + '\n' }
  }

  fieldFlexible(f, v) {
    return this.isFlexible(v) && (f.flexibleVersions === undefined || inRange(f.flexibleVersions, v))
  }

  /** Emits statements assigning the decoded value of `type` to `target` (e.g. `const f_x` or `f_x`). */
  emitRead(lines, ind, target, field, type, v, flexible, path, fresh, nullableOverride) {
    const nullable = nullableOverride ?? inRange(field.nullable, v)
    const P = `'${path}'`
    if (type.kind === 'prim') {
      lines.push(`${ind}${target} = ${this.readPrimExpr(type.prim, field, flexible, nullable, P)}`)
      return
    }
    if (type.kind === 'struct') {
      const fn = this.readFn(type.name, v, `${path}.`)
      if (nullable) lines.push(`${ind}${target} = r.structPresent(${P}) ? ${fn}(r) : null`)
      else lines.push(`${ind}${target} = ${fn}(r)`)
      return
    }
    // array
    const n = fresh()
    const a = fresh()
    const elemType = this.elemTsType(type.elem, false)
    lines.push(`${ind}const ${n} = r.${flexible ? 'compactArrayLength' : 'arrayLength'}(${nullable}, ${P})`)
    if (target.startsWith('const ')) {
      lines.push(`${ind}let ${target.slice(6)}: ${elemType}[]${nullable ? ' | null' : ''}`)
      target = target.slice(6)
    }
    if (nullable) {
      lines.push(`${ind}if (${n} < 0) ${target} = null`)
      lines.push(`${ind}else {`)
    } else {
      lines.push(`${ind}{`)
    }
    // The array is allocated at its final length only after checking that the count times the smallest possible
    // element still fits in the bytes left, so hostile counts cannot make it allocate beyond the input's size.
    const fixedElem = type.elem.kind === 'prim' && FIXED_SIZE[type.elem.prim] !== undefined
    if (fixedElem) {
      const width = FIXED_SIZE[type.elem.prim]
      lines.push(`${ind}  r.need(${n} * ${width}, ${P})`)
      lines.push(`${ind}  const ${a} = new Array<${elemType}>(${n})`)
      lines.push(`${ind}  const buf = r.buf`)
      lines.push(`${ind}  for (let i = 0, at = r.pos; i < ${n}; i++, at += ${width}) ${a}[i] = ${directRead(type.elem.prim, 'at', 0, 'buf')}`)
      lines.push(`${ind}  r.pos += ${n} * ${width}`)
    } else {
      const minimum = this.minWireSize(type.elem, v, flexible)
      if (minimum > 1) lines.push(`${ind}  r.need(${n} * ${minimum}, ${P})`)
      lines.push(`${ind}  const ${a} = new Array<${elemType}>(${n})`)
      const body = []
      const elem = fresh()
      this.emitRead(body, `${ind}  `, `const ${elem}`, field, type.elem, v, flexible, `${path}[]`, fresh, false)
      lines.push(`${ind}  for (let i = 0; i < ${n}; i++) {`)
      for (const l of body) lines.push(`  ${l}`)
      lines.push(`${ind}    ${a}[i] = ${elem}`)
      lines.push(`${ind}  }`)
    }
    lines.push(`${ind}  ${target} = ${a}`)
    lines.push(`${ind}}`)
  }

  /** Fewest bytes a (non-null) value of `type` can take on the wire at version v. */
  minWireSize(type, v, flexible) {
    if (type.kind === 'prim') {
      if (FIXED_SIZE[type.prim] !== undefined) return FIXED_SIZE[type.prim]
      if (type.prim === 'string') return flexible ? 1 : 2
      return flexible ? 1 : 4
    }
    if (type.kind === 'array') return flexible ? 1 : 4
    const struct = this.struct(type.name)
    const structFlexible = this.isFlexible(v)
    let n = structFlexible ? 1 : 0 // tag section count
    for (const f of struct.fields) {
      if (!inRange(f.versions, v) || (structFlexible && inRange(f.tagged, v))) continue
      const fieldFlexible = this.fieldFlexible(f, v)
      if (f.type.kind === 'struct') n += inRange(f.nullable, v) ? 1 : this.minWireSize(f.type, v, fieldFlexible)
      else n += this.minWireSize(f.type, v, fieldFlexible)
    }
    return n
  }

  readPrimExpr(prim, field, flexible, nullable, P) {
    switch (prim) {
      case 'bool':
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'int64':
      case 'float64':
      case 'uuid':
        return `r.${prim}(${P})`
      case 'string':
        if (flexible) return nullable ? `r.compactNullableString(${P})` : `r.compactString(${P})`
        return nullable ? `r.nullableString(${P})` : `r.string(${P})`
      case 'bytes':
      case 'records': {
        const view = prim === 'records' || field.zeroCopy
        if (flexible) return nullable ? `r.compactNullableBytes(${view}, ${P})` : `r.compactBytes(${view}, ${P})`
        return nullable ? `r.nullableBytes(${view}, ${P})` : `r.bytes(${view}, ${P})`
      }
      default:
        throw new Error(`unknown primitive ${prim}`)
    }
  }

  // ---------------------------------------------------------------- size

  sizeFn(structName, v, path) {
    return this.memoized('size', structName, v, path, () => this.sizeBody(this.structOrRoot(structName), v, path))
  }

  writeFn(structName, v, path) {
    return this.memoized('write', structName, v, path, () => this.writeBody(this.structOrRoot(structName), v, path))
  }

  /** `const x = <input field with default>` for the size/write passes. */
  inputValue(f, v) {
    const d = this.defaultExpr(f, v, { forWrite: true, javaSemantics: inRange(f.tagged, v) && this.isFlexible(v) })
    const nullableHere = inRange(f.nullable, v)
    if (nullableHere) return `o.${f.js} === undefined ? ${d} : o.${f.js}`
    return `o.${f.js} ?? ${d}`
  }

  isReferenceType(f) {
    return f.type.kind !== 'prim' || ['string', 'bytes', 'records'].includes(f.type.prim)
  }

  /** Source of a condition true when `x` differs from the field's Java default (tagged fields are written only then). */
  nonDefaultCondition(f, v, x) {
    const d = this.defaultExpr(f, v, { javaSemantics: true, forWrite: true })
    const t = f.type
    if (t.kind === 'prim' && !['bytes', 'records'].includes(t.prim)) return `${x} !== ${d}`
    if (d === 'null') return `${x} !== null`
    if (t.kind === 'struct') {
      this.needsImports.add('isDefaultStruct')
      return `!isDefaultStruct(${x}, ${this.template(t.name)})`
    }
    return `(${x} === null || ${x}.length !== 0)`
  }

  /** Condition true when an input field the version lacks carries something other than a default. */
  absentFieldCondition(f) {
    const x = `o.${f.js}`
    const t = f.type
    let cond
    if (t.kind === 'prim' && !['bytes', 'records'].includes(t.prim)) {
      const d = this.defaultExpr(f, f.versions.lo, { javaSemantics: true, forWrite: true })
      const alt = d === 'null' ? '' : ` && ${x} !== null`
      cond = `${x} !== ${d}${alt}`
    } else if (t.kind === 'struct') {
      this.needsImports.add('isDefaultStruct')
      cond = `${x} !== null && !isDefaultStruct(${x}, ${this.template(t.name)})`
    } else {
      cond = `${x} !== null && ${x}.length !== 0`
    }
    return `${x} !== undefined && ${cond}`
  }

  sizeBody(struct, v, path) {
    const flexible = this.isFlexible(v)
    const typeName = struct.origin === 'root' ? this.spec.name : this.typeName(struct.name)
    const lines = []
    let fixed = 0
    let tmp = 0
    const fresh = () => `t${tmp++}`
    const tagged = []
    for (const f of struct.fields) {
      const fpath = `${path}${f.js}`
      if (!inRange(f.versions, v)) {
        const existsIn = this.existence?.get(struct.origin === 'root' ? null : struct.name)
        const everPresent = !existsIn || [...existsIn].some((ev) => inRange(f.versions, ev))
        if (!f.ignorable && everPresent) {
          this.needsImports.add('notInVersion')
          lines.push(`  if (${this.absentFieldCondition(f)}) notInVersion(w, '${fpath}')`)
        }
        continue
      }
      if (flexible && inRange(f.tagged, v)) {
        tagged.push(f)
        continue
      }
      const t = f.type
      if (t.kind === 'prim' && FIXED_SIZE[t.prim] !== undefined) {
        fixed += FIXED_SIZE[t.prim]
        if (t.prim === 'uuid') {
          this.needsImports.add('checkUuid')
          lines.push(`  if (o.${f.js} !== undefined) checkUuid(w, o.${f.js}, '${fpath}')`)
        }
        continue
      }
      const x = fresh()
      if (!inRange(f.nullable, v) && this.isReferenceType(f)) {
        lines.push(`  if (o.${f.js} === null) nullNotAllowed(w, '${fpath}')`)
      }
      lines.push(`  const ${x} = ${this.inputValue(f, v)}`)
      this.emitSize(lines, '  ', 'n', x, f, t, v, this.fieldFlexible(f, v), inRange(f.nullable, v), fpath, fresh)
    }
    if (flexible) {
      this.needsImports.add('prepareUnknownTags')
      this.needsImports.add('unknownTagsSize')
      this.needsImports.add('uvarintSize')
      const known = tagged.map((f) => f.tag).sort((a, b) => a - b)
      lines.push(`  let tags = 0`)
      for (const f of [...tagged].sort((a, b) => a.tag - b.tag)) {
        const x = fresh()
        const s = fresh()
        const fpath = `${path}${f.js}`
        if (!inRange(f.nullable, v) && this.isReferenceType(f)) {
          lines.push(`  if (o.${f.js} === null) nullNotAllowed(w, '${fpath}')`)
        }
        lines.push(`  const ${x} = ${this.inputValue(f, v)}`)
        lines.push(`  if (${this.nonDefaultCondition(f, v, x)}) {`)
        lines.push(`    tags++`)
        lines.push(`    const slot = w.reserve()`)
        lines.push(`    let ${s} = 0`)
        this.emitSize(lines, '    ', s, x, f, f.type, v, true, inRange(f.nullable, v), fpath, fresh)
        lines.push(`    w.fill(slot, ${s})`)
        lines.push(`    n += ${uvarintSizeConst(f.tag)} + uvarintSize(${s}) + ${s}`)
        lines.push(`  }`)
      }
      lines.push(`  const unknownTags = o._unknownTaggedFields === undefined ? undefined : prepareUnknownTags(w, o._unknownTaggedFields, [${known.join(', ')}], '${path}<tags>')`)
      lines.push(`  if (unknownTags !== undefined) {`)
      lines.push(`    tags += unknownTags.length`)
      lines.push(`    n += unknownTagsSize(unknownTags)`)
      lines.push(`  }`)
      lines.push(`  n += uvarintSize(tags)`)
    }
    const usesN = lines.some((l) => /\bn \+=/.test(l))
    const head = usesN ? [`  let n = ${fixed}`] : []
    const tail = usesN ? `  return n` : `  return ${fixed}`
    const usesO = lines.some((l) => /\bo\./.test(l))
    return {
      signature: `(w: Writer, ${usesO ? 'o' : '_o'}: ${typeName}Input): number`,
      body: [...head, ...lines, tail].join('\n') + '\n',
    }
  }

  /** Emits statements adding the encoded size of value `x` (already defaulted) to `acc`. */
  emitSize(lines, ind, acc, x, field, type, v, flexible, nullable, path, fresh) {
    if (type.kind === 'prim') {
      const p = type.prim
      if (FIXED_SIZE[p] !== undefined) {
        if (p === 'uuid') {
          this.needsImports.add('checkUuid')
          lines.push(`${ind}checkUuid(w, ${x}, '${path}')`)
        }
        lines.push(`${ind}${acc} += ${FIXED_SIZE[p]}`)
        return
      }
      if (p === 'string') {
        const len = fresh()
        this.needsImports.add('stringTooLong')
        const open = nullable ? `${ind}if (${x} === null) ${acc} += ${flexible ? 1 : 2}\n${ind}else {` : `${ind}{`
        lines.push(open)
        lines.push(`${ind}  const ${len} = w.measure(${x})`)
        lines.push(`${ind}  if (${len} > 0x7fff) stringTooLong(w, '${path}', ${len})`)
        if (flexible) {
          this.needsImports.add('uvarintSize')
          lines.push(`${ind}  ${acc} += uvarintSize(${len} + 1) + ${len}`)
        } else {
          lines.push(`${ind}  ${acc} += 2 + ${len}`)
        }
        lines.push(`${ind}}`)
        return
      }
      // bytes, records
      if (flexible) this.needsImports.add('uvarintSize')
      const sized = flexible ? `uvarintSize(${x}.length + 1) + ${x}.length` : `4 + ${x}.length`
      if (nullable) lines.push(`${ind}${acc} += ${x} === null ? ${flexible ? 1 : 4} : ${sized}`)
      else lines.push(`${ind}${acc} += ${sized}`)
      return
    }
    if (type.kind === 'struct') {
      const fn = this.sizeFn(type.name, v, `${path}.`)
      if (nullable) lines.push(`${ind}${acc} += ${x} === null ? 1 : 1 + ${fn}(w, ${x})`)
      else lines.push(`${ind}${acc} += ${fn}(w, ${x})`)
      return
    }
    // array
    const elem = type.elem
    if (flexible) this.needsImports.add('uvarintSize')
    const header = flexible ? `uvarintSize(${x}.length + 1)` : '4'
    const open = nullable ? `${ind}if (${x} === null) ${acc} += ${flexible ? 1 : 4}\n${ind}else {` : `${ind}{`
    lines.push(open)
    if (elem.kind === 'prim' && FIXED_SIZE[elem.prim] !== undefined && elem.prim !== 'uuid') {
      lines.push(`${ind}  ${acc} += ${header} + ${x}.length * ${FIXED_SIZE[elem.prim]}`)
    } else {
      lines.push(`${ind}  ${acc} += ${header}`)
      const e = fresh()
      lines.push(`${ind}  for (let i = 0; i < ${x}.length; i++) {`)
      lines.push(`${ind}    const ${e} = ${x}[i]!`)
      this.emitSize(lines, `${ind}    `, acc, e, field, elem, v, flexible, false, `${path}[]`, fresh)
      lines.push(`${ind}  }`)
    }
    lines.push(`${ind}}`)
  }

  // ---------------------------------------------------------------- write

  writeBody(struct, v, path) {
    const flexible = this.isFlexible(v)
    const typeName = struct.origin === 'root' ? this.spec.name : this.typeName(struct.name)
    const lines = []
    let tmp = 0
    const fresh = () => `t${tmp++}`
    const tagged = []
    for (const f of struct.fields) {
      if (!inRange(f.versions, v)) continue
      if (flexible && inRange(f.tagged, v)) {
        tagged.push(f)
        continue
      }
      const x = fresh()
      lines.push(`  const ${x} = ${this.inputValue(f, v)}`)
      this.emitWrite(lines, '  ', x, f, f.type, v, this.fieldFlexible(f, v), inRange(f.nullable, v), fresh, `${path}${f.js}`)
    }
    if (flexible) {
      const sorted = [...tagged].sort((a, b) => a.tag - b.tag)
      const known = sorted.map((f) => f.tag)
      this.needsImports.add('prepareUnknownTags')
      const vars = []
      for (const f of sorted) {
        const x = fresh()
        vars.push(x)
        lines.push(`  const ${x} = ${this.inputValue(f, v)}`)
      }
      lines.push(`  const unknownTags = o._unknownTaggedFields === undefined ? undefined : prepareUnknownTags(w, o._unknownTaggedFields, [${known.join(', ')}], '${path}<tags>')`)
      const countTerms = sorted.map((f, i) => `(${this.nonDefaultCondition(f, v, vars[i])} ? 1 : 0)`)
      countTerms.push('(unknownTags === undefined ? 0 : unknownTags.length)')
      lines.push(`  w.uvarint(${countTerms.join(' + ')})`)
      if (sorted.length > 0) lines.push(`  let nextUnknown = 0`)
      sorted.forEach((f, i) => {
        const x = vars[i]
        lines.push(`  if (${this.nonDefaultCondition(f, v, x)}) {`)
        lines.push(`    if (unknownTags !== undefined) nextUnknown = w.unknownTagsBelow(unknownTags, nextUnknown, ${f.tag})`)
        lines.push(`    w.uvarint(${f.tag})`)
        lines.push(`    w.uvarint(w.nextLength())`)
        this.emitWrite(lines, '    ', x, f, f.type, v, true, inRange(f.nullable, v), fresh, `${path}${f.js}`)
        lines.push(`  }`)
      })
      lines.push(`  if (unknownTags !== undefined) w.unknownTagsBelow(unknownTags, ${sorted.length > 0 ? 'nextUnknown' : '0'}, Infinity)`)
    }
    const usesO = lines.some((l) => /\bo\./.test(l))
    return {
      signature: `(w: Writer, ${usesO ? 'o' : '_o'}: ${typeName}Input): void`,
      body: lines.join('\n') + (lines.length ? '\n' : ''),
    }
  }

  emitWrite(lines, ind, x, field, type, v, flexible, nullable, fresh, path) {
    if (type.kind === 'prim') {
      const p = type.prim
      if (FIXED_SIZE[p] !== undefined) {
        lines.push(`${ind}w.${p}(${x})`)
        return
      }
      const base = p === 'string' ? 'String' : 'Bytes'
      const method = flexible ? (nullable ? `compactNullable${base}` : `compact${base}`) : nullable ? `nullable${base}` : base.toLowerCase()
      lines.push(`${ind}w.${method}(${x})`)
      return
    }
    if (type.kind === 'struct') {
      const fn = this.writeFn(type.name, v, `${path}.`)
      if (nullable) {
        lines.push(`${ind}if (${x} === null) w.int8(-1)`)
        lines.push(`${ind}else {`)
        lines.push(`${ind}  w.int8(1)`)
        lines.push(`${ind}  ${fn}(w, ${x})`)
        lines.push(`${ind}}`)
      } else {
        lines.push(`${ind}${fn}(w, ${x})`)
      }
      return
    }
    const len = flexible ? `w.uvarint(${x}.length + 1)` : `w.int32(${x}.length)`
    if (nullable) {
      lines.push(`${ind}if (${x} === null) ${flexible ? 'w.uvarint(0)' : 'w.int32(-1)'}`)
      lines.push(`${ind}else {`)
    } else {
      lines.push(`${ind}{`)
    }
    lines.push(`${ind}  ${len}`)
    const e = fresh()
    lines.push(`${ind}  for (let i = 0; i < ${x}.length; i++) {`)
    lines.push(`${ind}    const ${e} = ${x}[i]!`)
    this.emitWrite(lines, `${ind}    `, e, field, type.elem, v, flexible, false, fresh, `${path}[]`)
    lines.push(`${ind}  }`)
    lines.push(`${ind}}`)
  }

  // ---------------------------------------------------------------- types

  elemTsType(type, input) {
    if (type.kind === 'struct') return this.typeName(type.name) + (input ? 'Input' : '')
    if (type.kind === 'array') return `${this.elemTsType(type.elem, input)}[]`
    switch (type.prim) {
      case 'bool':
        return 'boolean'
      case 'int64':
        return 'bigint'
      case 'string':
      case 'uuid':
        return 'string'
      case 'bytes':
      case 'records':
        return 'Buffer'
      default:
        return 'number'
    }
  }

  /** TS type of a field's value; `null` is included when the field is nullable in `v` (or any version if v is null). */
  valueType(f, v, input) {
    const base = f.type.kind === 'array' ? `${this.elemTsType(f.type.elem, input)}[]` : this.elemTsType(f.type, input)
    const nullable = v === null ? f.nullable != null : inRange(f.nullable, v)
    return nullable ? `${base} | null` : base
  }
}

/** A read of a fixed-width primitive at offset expression `at` of `buf`, already bounds-checked. */
function directRead(prim, base, offset, buf) {
  const at = offset === 0 ? base : `${base} + ${offset}`
  const b = (k) => (offset + k === 0 ? `${buf}[${base}]` : `${buf}[${base} + ${offset + k}]`)
  switch (prim) {
    case 'bool':
      return `${b(0)} !== 0`
    case 'int8':
      return `(${b(0)} << 24) >> 24`
    case 'int16':
      return `((${b(0)} << 24) >> 16) | ${b(1)}`
    case 'uint16':
      return `(${b(0)} << 8) | ${b(1)}`
    case 'int32':
      return `(${b(0)} << 24) | (${b(1)} << 16) | (${b(2)} << 8) | ${b(3)}`
    case 'uint32':
      return `((${b(0)} << 24) | (${b(1)} << 16) | (${b(2)} << 8) | ${b(3)}) >>> 0`
    case 'int64':
      return `readInt64At(${buf}, ${at})`
    case 'float64':
      return `${buf}.readDoubleBE(${at})`
    case 'uuid':
      return `${buf}.toString('base64url', ${at}, ${at} + ${16})`
    default:
      throw new Error(`no direct read for ${prim}`)
  }
}

export function uvarintSizeConst(v) {
  if (v < 0x80) return 1
  if (v < 0x4000) return 2
  if (v < 0x200000) return 3
  if (v < 0x10000000) return 4
  return 5
}

export { NUMERIC }
