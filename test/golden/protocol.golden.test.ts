/**
 * Golden test of the generated protocol codecs against Kafka's own Java serializer (kafka-clients, pinned in
 * scripts/lib/versions.mjs). For every schema file in protocol-specs/ and every valid version, seeded random
 * instances go through both implementations:
 *   (a) samsa encode bytes == Java encode bytes;
 *   (b) samsa decode(Java bytes) == the instance (absent tagged fields read as their defaults);
 *   (c) Java decode(samsa bytes) == the instance, and Java's re-encoding of what it read == samsa's bytes.
 * Before judging samsa, the harness checks itself: Java must round-trip every instance, otherwise the instance or
 * the JSON conversion is at fault, not the generated code.
 *
 * All Java work runs in one JVM, pipelined. How it works and how to run it alone: docs/testing-golden.md.
 * Each pair also gets one "sparse" case: fields are left out of samsa's input and must be written as the contract's
 * encode defaults (spec default, else null where nullable, else empty), which Java is given explicitly.
 * Knobs: SAMSA_GOLDEN_INSTANCES (random instances per pair, default 6), SAMSA_GOLDEN_ONLY (comma-separated message
 * names).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { type JsonLineJvm as JsonLineJvmType, JsonLineJvm, prepareJavaProgram } from './support/java-process.js'
import { type JsonAnswer } from './support/java-process.js'
import { JsonNumber } from './support/lossless-json.js'
import {
  type MessageSchema,
  SPEC_DIR,
  fieldsAt,
  isFlexible,
  isTaggedAt,
  loadMessageSchemas,
  versionsOf,
} from './support/protocol-schema.js'
import { SeededRandom, caseSeed, randomInstance } from './support/random-instance.js'
import {
  firstDifference,
  firstDifferentByte,
  hexAround,
  normalizeStruct,
  shapeProblems,
  sparsify,
  structFromJavaJson,
  structToJavaJson,
  withInputDefaults,
} from './support/protocol-values.js'

const KAFKA_CLIENTS = 'org.apache.kafka:kafka-clients:4.4.0'
const INSTANCES_PER_PAIR = Number(process.env.SAMSA_GOLDEN_INSTANCES ?? 6)
const ONLY = process.env.SAMSA_GOLDEN_ONLY ? new Set(process.env.SAMSA_GOLDEN_ONLY.split(',')) : null
const MAX_REPORTED = 40

interface MessageCodec {
  encode(version: number, value: unknown): Uint8Array
  decode(version: number, bytes: Buffer): unknown
}

interface Case {
  schema: MessageSchema
  version: number
  seed: number
  /** The value every side must agree on (what Java is given, what decoders must return). */
  instance: Record<string, unknown>
  /** What samsa's encoder is given when it differs from `instance`: fields left out to test encode defaults. */
  input?: Record<string, unknown>
  label: string
  javaBytes?: Buffer
  samsaBytes?: Buffer
}

/**
 * The expected pair count, from the raw spec text and nothing else, so a bug in the schema model or the case
 * generator cannot shrink the target along with the coverage.
 */
function countValidPairsIndependently(): { pairs: number; files: number; skipped: string[] } {
  let pairs = 0
  let files = 0
  const skipped: string[] = []
  for (const file of readdirSync(SPEC_DIR).filter((name) => name.endsWith('.json') && name !== 'manifest.json')) {
    files++
    const text = readFileSync(join(SPEC_DIR, file), 'utf8')
    const match = /"validVersions"\s*:\s*"([^"]*)"/.exec(text)
    if (!match) throw new Error(`${file} has no validVersions`)
    const range = match[1]!
    if (range === 'none') {
      skipped.push(file)
      continue
    }
    const bounds = range.split('-').map(Number)
    if (bounds.some((n) => !Number.isInteger(n))) throw new Error(`${file}: validVersions ${range} is not "N" or "N-M"`)
    pairs += bounds.length === 1 ? 1 : bounds[1]! - bounds[0]! + 1
  }
  return { pairs, files, skipped }
}

function loadMessageCodecs(): { codecs: Record<string, MessageCodec> | null; problem: string | null } {
  try {
    // Loaded lazily so that the Java self-check still runs (and explains itself) before generation exists.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const generated = require('../../src/protocol/generated/index.js') as { messageCodecs?: Record<string, MessageCodec> }
    if (!generated.messageCodecs) return { codecs: null, problem: 'src/protocol/generated/index.ts exports no messageCodecs' }
    return { codecs: generated.messageCodecs, problem: null }
  } catch (error) {
    return { codecs: null, problem: `cannot load src/protocol/generated (run \`npm run generate\`): ${String(error).slice(0, 1500)}` }
  }
}

function answerError(answer: JsonAnswer): string {
  return typeof answer.error === 'string' ? answer.error : JSON.stringify(answer)
}

const schemas = loadMessageSchemas().filter((schema) => ONLY === null || ONLY.has(schema.name))
const cases: Case[] = []
for (const schema of schemas) {
  for (const version of versionsOf(schema)) {
    for (let index = 0; index < INSTANCES_PER_PAIR; index++) {
      const seed = caseSeed(schema.name, version, index)
      cases.push({
        schema,
        version,
        seed,
        instance: randomInstance(schema, version, seed),
        label: `${schema.name} v${version} seed ${seed}`,
      })
    }
    // One more per pair with fields left out of samsa's input, so encode defaults are held to the contract.
    const seed = caseSeed(schema.name, version, INSTANCES_PER_PAIR)
    const input = sparsify(schema.root, version, randomInstance(schema, version, seed), new SeededRandom(seed))
    cases.push({
      schema,
      version,
      seed,
      instance: withInputDefaults(schema.root, version, input),
      input,
      label: `${schema.name} v${version} seed ${seed} (sparse input)`,
    })
  }
}

let jvm: JsonLineJvmType | undefined
const referenceFailures: string[] = []
const encodeFailures: string[] = []
const decodeFailures: string[] = []
const javaReadFailures: string[] = []
const failedPairs = new Set<string>()
let codecProblem: string | null = null
const startedAt = Date.now()

function fail(list: string[], testCase: Case, text: string): void {
  failedPairs.add(`${testCase.schema.name} v${testCase.version}`)
  list.push(`${testCase.label}: ${text}`)
}

function report(list: string[]): string {
  const shown = list.slice(0, MAX_REPORTED).join('\n')
  return list.length > MAX_REPORTED ? `${shown}\n… and ${list.length - MAX_REPORTED} more` : shown
}

beforeAll(async () => {
  // The first run on a machine downloads kafka-clients and Jackson and compiles the reference program.
  const program = prepareJavaProgram({
    name: 'golden-protocol-java',
    artifacts: [KAFKA_CLIENTS],
    sources: [join(__dirname, 'java/protocol/ProtocolReference.java')],
    mainClass: 'ProtocolReference',
  })
  jvm = JsonLineJvm.start(program)

  // 1. Java encodes every instance.
  const encoded = await jvm.requestAll(
    cases.map((testCase) => ({
      op: 'encode',
      message: testCase.schema.name,
      version: testCase.version,
      json: structToJavaJson(testCase.schema.root, testCase.version, testCase.instance),
    })),
  )
  encoded.forEach((answer, i) => {
    const testCase = cases[i]!
    if (answer.ok === true && typeof answer.hex === 'string') testCase.javaBytes = Buffer.from(answer.hex, 'hex')
    else fail(referenceFailures, testCase, `Java could not encode the instance: ${answerError(answer)}`)
  })

  // 2. Self-check: Java must read its own bytes back to the same instance.
  const withJavaBytes = cases.filter((testCase) => testCase.javaBytes)
  const reread = await jvm.requestAll(
    withJavaBytes.map((testCase) => ({
      op: 'decode',
      message: testCase.schema.name,
      version: testCase.version,
      hex: testCase.javaBytes!.toString('hex'),
    })),
  )
  reread.forEach((answer, i) => {
    const testCase = withJavaBytes[i]!
    const problem = compareJavaDecode(testCase, answer, testCase.javaBytes!)
    if (problem) {
      fail(referenceFailures, testCase, `reference self-check: ${problem}`)
      testCase.javaBytes = undefined
    }
  })

  // 3. samsa encodes and decodes.
  const { codecs, problem } = loadMessageCodecs()
  codecProblem = problem
  if (!codecs) return
  for (const testCase of cases) {
    if (!testCase.javaBytes) continue
    const codec = codecs[testCase.schema.name]
    if (!codec) {
      fail(encodeFailures, testCase, 'messageCodecs has no entry for this schema file')
      continue
    }
    checkSamsaEncode(testCase, codec)
    checkSamsaDecode(testCase, codec)
  }

  // 4. Java reads samsa's bytes.
  const withSamsaBytes = cases.filter((testCase) => testCase.samsaBytes)
  const javaRead = await jvm.requestAll(
    withSamsaBytes.map((testCase) => ({
      op: 'decode',
      message: testCase.schema.name,
      version: testCase.version,
      hex: testCase.samsaBytes!.toString('hex'),
    })),
  )
  javaRead.forEach((answer, i) => {
    const testCase = withSamsaBytes[i]!
    const problem = compareJavaDecode(testCase, answer, testCase.samsaBytes!)
    if (problem) fail(javaReadFailures, testCase, problem)
  })

  // 5. Unknown tagged fields on the root struct: Java keeps and re-writes them, so must samsa.
  const unknownCases = buildUnknownTagCases(codecs)
  const javaUnknown = await jvm.requestAll(
    unknownCases.map(({ testCase, bytes }) => ({
      op: 'decode',
      message: testCase.schema.name,
      version: testCase.version,
      hex: bytes.toString('hex'),
    })),
  )
  javaUnknown.forEach((answer, i) => {
    const { testCase, bytes, unknown } = unknownCases[i]!
    unknownTagPairs.add(`${testCase.schema.name} v${testCase.version}`)
    const javaProblem = compareJavaDecode(testCase, answer, bytes)
    if (javaProblem) {
      fail(referenceFailures, testCase, `unknown-tag frame rejected by Java (harness bug): ${javaProblem}`)
      return
    }
    checkUnknownTagsInSamsa(testCase, codecs[testCase.schema.name]!, bytes, unknown)
  })
}, 900_000)

interface UnknownTagCase {
  testCase: Case
  bytes: Buffer
  unknown: Array<{ tag: number; data: Buffer }>
}

const unknownTagPairs = new Set<string>()
const unknownTagFailures: string[] = []

/**
 * For one instance of every flexible (message, version): drop the root's tagged fields, so the body ends with a
 * zero tag count, and replace that count with two tags the schema does not know.
 */
function buildUnknownTagCases(codecs: Record<string, MessageCodec>): UnknownTagCase[] {
  const result: UnknownTagCase[] = []
  const seen = new Set<string>()
  for (const base of cases) {
    const pair = `${base.schema.name} v${base.version}`
    if (seen.has(pair) || !isFlexible(base.schema, base.version) || !base.javaBytes) continue
    seen.add(pair)
    const instance: Record<string, unknown> = {}
    for (const field of fieldsAt(base.schema.root, base.version)) {
      if (!isTaggedAt(field, base.version) && base.instance[field.key] !== undefined) instance[field.key] = base.instance[field.key]
    }
    const testCase: Case = { ...base, instance, label: `${base.label} (+unknown tagged fields)` }
    let plain: Buffer
    try {
      const encoded = codecs[base.schema.name]!.encode(base.version, instance)
      plain = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
    } catch (error) {
      fail(unknownTagFailures, testCase, `samsa encode threw ${String(error)}`)
      continue
    }
    if (plain.length === 0 || plain[plain.length - 1] !== 0) {
      fail(unknownTagFailures, testCase, `encoding without tagged fields does not end with a zero tag count: ${hexAround(plain, plain.length - 1)}`)
      continue
    }
    const knownTags = fieldsAt(base.schema.root, base.version)
      .map((field) => field.tag)
      .filter((tag): tag is number => tag !== undefined)
    const first = Math.max(-1, ...knownTags) + 7
    // The second tag needs a two-byte varint, and its data is long enough for a two-byte size too.
    const unknown = [
      { tag: first, data: Buffer.from('c0ffee', 'hex') },
      { tag: first + 200, data: Buffer.alloc(130, 0x5a) },
    ]
    const section = Buffer.concat([
      uvarint(unknown.length),
      ...unknown.flatMap((field) => [uvarint(field.tag), uvarint(field.data.length), field.data]),
    ])
    result.push({ testCase, bytes: Buffer.concat([plain.subarray(0, plain.length - 1), section]), unknown })
  }
  return result
}

function uvarint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

function checkUnknownTagsInSamsa(testCase: Case, codec: MessageCodec, bytes: Buffer, unknown: Array<{ tag: number; data: Buffer }>): void {
  let decoded: Record<string, unknown>
  try {
    decoded = codec.decode(testCase.version, bytes) as Record<string, unknown>
  } catch (error) {
    fail(unknownTagFailures, testCase, `samsa decode threw ${String(error)}`)
    return
  }
  const kept = decoded._unknownTaggedFields
  const difference = firstDifference(unknown, kept, '_unknownTaggedFields')
  if (difference) {
    fail(unknownTagFailures, testCase, `unknown tagged fields not kept: ${difference}`)
    return
  }
  const expected = normalizeStruct(testCase.schema.root, testCase.version, testCase.instance)
  const rest = normalizeStruct(testCase.schema.root, testCase.version, decoded)
  const valueDifference = firstDifference(expected, rest)
  if (valueDifference) {
    fail(unknownTagFailures, testCase, `known fields differ: ${valueDifference}`)
    return
  }
  let again: Buffer
  try {
    const encoded = codec.encode(testCase.version, decoded)
    again = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
  } catch (error) {
    fail(unknownTagFailures, testCase, `samsa re-encode threw ${String(error)}`)
    return
  }
  if (!again.equals(bytes)) {
    const offset = firstDifferentByte(bytes, again)
    fail(unknownTagFailures, testCase, `re-encoding differs at ${offset}: input ${hexAround(bytes, offset)} / samsa ${hexAround(again, offset)}`)
  }
}

afterAll(async () => {
  await jvm?.close()
})

/** Java's reading of `bytes` must be the instance, consume every byte, and re-encode to exactly `bytes`. */
function compareJavaDecode(testCase: Case, answer: JsonAnswer, bytes: Buffer): string | null {
  if (answer.ok !== true) return `Java could not decode: ${answerError(answer)}`
  const remaining = answer.remaining instanceof JsonNumber ? answer.remaining.toNumber() : NaN
  if (remaining !== 0) return `Java left ${remaining} of ${bytes.length} bytes unread`
  let decoded: Record<string, unknown>
  try {
    decoded = structFromJavaJson(testCase.schema.root, testCase.version, answer.json ?? null)
  } catch (error) {
    return String(error)
  }
  const expected = normalizeStruct(testCase.schema.root, testCase.version, testCase.instance, { blankRecords: true })
  const actual = normalizeStruct(testCase.schema.root, testCase.version, decoded, { blankRecords: true })
  const difference = firstDifference(expected, actual)
  if (difference) return `Java read a different value: ${difference}`
  const reencoded = typeof answer.hex === 'string' ? Buffer.from(answer.hex, 'hex') : null
  if (reencoded && !reencoded.equals(bytes)) {
    const offset = firstDifferentByte(bytes, reencoded)
    return `Java re-encoded what it read differently at byte ${offset}: input ${hexAround(bytes, offset)}, Java ${hexAround(reencoded, offset)}`
  }
  return null
}

function checkSamsaEncode(testCase: Case, codec: MessageCodec, failures = encodeFailures): void {
  let bytes: Uint8Array
  try {
    bytes = codec.encode(testCase.version, testCase.input ?? testCase.instance)
  } catch (error) {
    fail(failures, testCase, `samsa encode threw ${String(error)}`)
    return
  }
  const samsa = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  testCase.samsaBytes = samsa
  const java = testCase.javaBytes!
  if (!samsa.equals(java)) {
    const offset = firstDifferentByte(java, samsa)
    fail(
      failures,
      testCase,
      `bytes differ at offset ${offset} (Java ${java.length} bytes, samsa ${samsa.length}): Java ${hexAround(java, offset)} / samsa ${hexAround(samsa, offset)}`,
    )
  }
}

function checkSamsaDecode(testCase: Case, codec: MessageCodec, failures = decodeFailures): void {
  let decoded: unknown
  try {
    decoded = codec.decode(testCase.version, testCase.javaBytes!)
  } catch (error) {
    fail(failures, testCase, `samsa decode of Java bytes threw ${String(error)}`)
    return
  }
  const problems = shapeProblems(testCase.schema.root, testCase.version, decoded)
  if (problems.length > 0) {
    fail(failures, testCase, `decoded shape: ${problems.slice(0, 3).join('; ')}`)
    return
  }
  const expected = normalizeStruct(testCase.schema.root, testCase.version, testCase.instance)
  const actual = normalizeStruct(testCase.schema.root, testCase.version, decoded as Record<string, unknown>)
  const difference = firstDifference(expected, actual)
  if (difference) fail(failures, testCase, `decoded value differs: ${difference}`)
}

describe('generated protocol codecs against the Java serializer', () => {
  test('covers every valid (schema file, version) pair in protocol-specs/', () => {
    const expected = countValidPairsIndependently()
    const covered = new Set(cases.map((testCase) => `${testCase.schema.name} v${testCase.version}`))
    const passing = [...covered].filter((pair) => !failedPairs.has(pair)).length
    // eslint-disable-next-line no-console
    console.log(
      `protocol golden: ${covered.size} (message, version) pairs from ${schemas.filter((s) => versionsOf(s).length > 0).length} schema files, ` +
        `${cases.length} instances; ${passing} pairs pass all checks, ${failedPairs.size} fail; ` +
        `${unknownTagPairs.size} flexible pairs also checked with unknown tagged fields; ` +
        `skipped (validVersions "none"): ${expected.skipped.map((f) => f.replace('.json', '')).join(', ') || 'none'}; ` +
        `${((Date.now() - startedAt) / 1000).toFixed(1)}s`,
    )
    if (ONLY !== null) return
    const withVersions = schemas.filter((schema) => versionsOf(schema).length > 0).length
    expect(withVersions + expected.skipped.length).toBe(expected.files)
    expect(covered.size).toBe(expected.pairs)
  })

  test('the Java reference round-trips every random instance (harness self-check)', () => {
    expect(report(referenceFailures)).toBe('')
  })

  test('the generated messageCodecs table is available', () => {
    expect(codecProblem).toBeNull()
  })

  test('(a) samsa encodes every instance to the same bytes as Java', () => {
    expect(codecProblem === null ? null : 'generated codecs unavailable: see the test above').toBeNull()
    expect(report(encodeFailures)).toBe('')
  })

  test('(b) samsa decodes Java bytes back to the instance', () => {
    expect(codecProblem === null ? null : 'generated codecs unavailable: see the test above').toBeNull()
    expect(report(decodeFailures)).toBe('')
  })

  test('(c) Java decodes samsa bytes to the instance', () => {
    expect(codecProblem === null ? null : 'generated codecs unavailable: see the test above').toBeNull()
    expect(report(javaReadFailures)).toBe('')
  })

  test('(d) unknown tagged fields survive samsa decode and encode, as they do in Java', () => {
    expect(codecProblem === null ? null : 'generated codecs unavailable: see the test above').toBeNull()
    const flexiblePairs = new Set(cases.filter((c) => isFlexible(c.schema, c.version)).map((c) => `${c.schema.name} v${c.version}`))
    expect(report(unknownTagFailures)).toBe('')
    expect(unknownTagPairs.size).toBe(flexiblePairs.size)
  })

  test('the checks are not vacuous: a flipped byte, a changed value and an extra key are all reported', () => {
    const sample = cases.find((c) => c.javaBytes && c.javaBytes.length > 0 && Object.keys(c.instance).length > 0)!
    const firstKey = Object.keys(sample.instance)[0]!
    const flipped = Buffer.from(sample.javaBytes!)
    flipped[flipped.length - 1]! ^= 0x01
    const changedValue = { ...sample.instance, [firstKey]: { unexpected: true } }
    const failures: string[] = []
    checkSamsaEncode({ ...sample }, { encode: () => flipped, decode: () => sample.instance }, failures)
    checkSamsaDecode({ ...sample }, { encode: () => sample.javaBytes!, decode: () => changedValue }, failures)
    checkSamsaDecode({ ...sample }, { encode: () => sample.javaBytes!, decode: () => ({ ...sample.instance, notAField: 1 }) }, failures)
    expect(failures).toHaveLength(3)
    expect(failures[0]).toContain(`bytes differ at offset ${flipped.length - 1}`)
    expect(failures[1]).toContain(firstKey)
    expect(failures[2]).toContain('notAField')
  })

})
