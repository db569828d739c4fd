// Small constants and helpers the generated code shares, kept out of the generated files so each exists once.

/** Stand-in for a missing array input field: writers only read it. */
export const NO_ITEMS: never[] = Object.freeze([]) as unknown as never[]

/** Stand-in for a missing struct input field: the struct's writer fills in every field's default. */
export const NO_FIELDS: Readonly<Record<never, never>> = Object.freeze({})

/** Stand-in for missing bytes. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0)

/** A struct's Java default for every field (nested structs as nested templates). */
export type DefaultTemplate = { readonly [field: string]: unknown }

/**
 * Whether `value` equals the struct default described by `template`: the rule the Java client uses to decide
 * whether a tagged struct field is written at all. Missing (undefined) fields count as default.
 */
export function isDefaultStruct(value: object | null | undefined, template: DefaultTemplate): boolean {
  if (value === null || value === undefined || value === NO_FIELDS) return true
  const record = value as Record<string, unknown>
  const unknown = record['_unknownTaggedFields']
  if (Array.isArray(unknown) && unknown.length > 0) return false
  for (const key of Object.keys(template)) {
    const actual = record[key]
    if (actual === undefined) continue
    const expected = template[key]
    if (!isDefaultValue(actual, expected)) return false
  }
  return true
}

function isDefaultValue(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true
  if (Buffer.isBuffer(actual)) return Buffer.isBuffer(expected) && actual.equals(expected)
  if (Array.isArray(actual)) return Array.isArray(expected) && actual.length === 0 && expected.length === 0
  if (actual !== null && typeof actual === 'object' && expected !== null && typeof expected === 'object') {
    return isDefaultStruct(actual, expected as DefaultTemplate)
  }
  return false
}

/**
 * An object whose properties are computed by `loaders` the first time each is read, then kept as plain values.
 * The generated tables (`messageCodecs`) use it so each schema module loads only when its codec is first used.
 */
export function lazyTable<T extends { readonly [name: string]: () => unknown }>(loaders: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const table = {}
  for (const name of Object.keys(loaders)) {
    Object.defineProperty(table, name, {
      enumerable: true,
      configurable: true,
      get() {
        const value = loaders[name]!()
        Object.defineProperty(table, name, { value, enumerable: true, writable: false, configurable: false })
        return value
      },
    })
  }
  return table as { readonly [K in keyof T]: ReturnType<T[K]> }
}
