/**
 * JSON for talking to Java reference programs without losing numbers. JavaScript's JSON cannot carry an int64
 * (bigint has no JSON form and doubles round above 2^53), cannot mark 1.0 as a floating-point literal (Jackson
 * rejects an integer literal for a Kafka float64 field) and has no NaN/Infinity. Here numbers stay as their
 * source text in both directions; the caller, who knows each field's type, decides what they mean.
 */

/** A number exactly as written in JSON text (also `NaN`, `Infinity`, `-Infinity`, which Jackson is told to accept). */
export class JsonNumber {
  constructor(readonly raw: string) {}

  static float64(value: number): JsonNumber {
    if (Number.isNaN(value)) return new JsonNumber('NaN')
    if (value === Infinity) return new JsonNumber('Infinity')
    if (value === -Infinity) return new JsonNumber('-Infinity')
    if (Object.is(value, -0)) return new JsonNumber('-0.0')
    const text = String(value)
    // Jackson types "5" as an integer node, which Kafka's float64 reader refuses.
    return new JsonNumber(/[.eE]/.test(text) ? text : `${text}.0`)
  }

  toNumber(): number {
    return Number(this.raw)
  }

  toBigInt(): bigint {
    return BigInt(this.raw)
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue }

/** Values accepted by `stringifyJson`: JSON values plus plain numbers and bigints written as-is. */
export type JsonInput = null | boolean | string | number | bigint | JsonNumber | JsonInput[] | { [key: string]: JsonInput | undefined }

export function stringifyJson(value: JsonInput): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'bigint':
      return value.toString()
    case 'number':
      if (!Number.isFinite(value)) return JsonNumber.float64(value).raw
      return JSON.stringify(value)
    default:
      break
  }
  if (value instanceof JsonNumber) return value.raw
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`
  const parts: string[] = []
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue
    parts.push(`${JSON.stringify(key)}:${stringifyJson(member)}`)
  }
  return `{${parts.join(',')}}`
}

const NUMBER_PATTERN = /-?(?:Infinity|(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)|NaN/y

/** Parses JSON text, keeping every number as a `JsonNumber`. Throws SyntaxError on malformed input. */
export function parseJson(text: string): JsonValue {
  let position = 0

  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${position} in ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`)
  }
  const skipSpace = (): void => {
    while (position < text.length && ' \t\r\n'.includes(text[position]!)) position++
  }
  const expect = (literal: string): void => {
    if (!text.startsWith(literal, position)) fail(`expected ${literal}`)
    position += literal.length
  }

  const parseString = (): string => {
    const start = position
    expect('"')
    // The fast path covers strings without escapes; anything else goes through JSON.parse of the exact slice.
    let escaped = false
    while (position < text.length) {
      const char = text[position]!
      if (char === '\\') {
        escaped = true
        position += 2
        continue
      }
      if (char === '"') {
        position++
        const slice = text.slice(start, position)
        return escaped ? (JSON.parse(slice) as string) : slice.slice(1, -1)
      }
      position++
    }
    return fail('unterminated string')
  }

  const parseValue = (): JsonValue => {
    skipSpace()
    const char = text[position]
    if (char === '{') {
      position++
      const object: { [key: string]: JsonValue } = {}
      skipSpace()
      if (text[position] === '}') {
        position++
        return object
      }
      for (;;) {
        skipSpace()
        const key = parseString()
        skipSpace()
        expect(':')
        object[key] = parseValue()
        skipSpace()
        if (text[position] === ',') {
          position++
          continue
        }
        expect('}')
        return object
      }
    }
    if (char === '[') {
      position++
      const array: JsonValue[] = []
      skipSpace()
      if (text[position] === ']') {
        position++
        return array
      }
      for (;;) {
        array.push(parseValue())
        skipSpace()
        if (text[position] === ',') {
          position++
          continue
        }
        expect(']')
        return array
      }
    }
    if (char === '"') return parseString()
    if (text.startsWith('true', position)) {
      position += 4
      return true
    }
    if (text.startsWith('false', position)) {
      position += 5
      return false
    }
    if (text.startsWith('null', position)) {
      position += 4
      return null
    }
    NUMBER_PATTERN.lastIndex = position
    const match = NUMBER_PATTERN.exec(text)
    if (!match) return fail('unexpected character')
    position += match[0].length
    return new JsonNumber(match[0])
  }

  const value = parseValue()
  skipSpace()
  if (position !== text.length) fail('trailing characters')
  return value
}
