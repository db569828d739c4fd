/**
 * Golden test of what the network layer relies on beyond message bodies, against the Java client's own classes:
 * - the `apis` table (version ranges, unstable flag, listeners, request/response header versions) against
 *   ApiKeys/ApiMessageType;
 * - `encodeRequestFrame` against a size prefix + the RequestHeader Java builds (`new RequestHeader(apiKey, version,
 *   clientId, correlationId)`) + body, for every API and version;
 * - `decodeResponseFrame` and `peekCorrelationId` on Java's ResponseHeader + body.
 * See docs/testing-golden.md.
 */
import { join } from 'node:path'

import { decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from '../../src/protocol/frame.js'
import { ApiKeys, apis } from '../../src/protocol/generated/index.js'
import { type JsonAnswer, JsonLineJvm, prepareJavaProgram } from './support/java-process.js'
import { JsonNumber, type JsonValue } from './support/lossless-json.js'
import { type MessageSchema, loadMessageSchemas } from './support/protocol-schema.js'
import { SeededRandom, caseSeed, randomInstance } from './support/random-instance.js'
import { firstDifference, firstDifferentByte, hexAround, normalizeStruct, structToJavaJson } from './support/protocol-values.js'

interface JavaApi {
  apiKey: number
  name: string
  hasValidVersion: boolean
  minVersion: number
  maxVersion: number
  latestVersionUnstable: boolean
  listeners: string[]
  requestHeaderVersions: number[]
  responseHeaderVersions: number[]
}

/** The slice of the generated ApiCodec this test drives. */
interface ApiUnderTest {
  name: string
  apiKey: number
  minVersion: number
  maxVersion: number
  latestVersionUnstable: boolean
  listeners: readonly string[]
  requestHeaderVersion(version: number): number
  responseHeaderVersion(version: number): number
}

const apiTable = apis as unknown as Record<number, ApiUnderTest>
const apiKeysByName = ApiKeys as unknown as Record<string, number>
const schemasByName = new Map<string, MessageSchema>(loadMessageSchemas().map((schema) => [schema.name, schema]))
const CLIENT_IDS = [null, '', 'samsa', 'client-ü-😀']

function plain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return value.toNumber()
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

let jvm: JsonLineJvm | undefined
let javaApis: JavaApi[] = []

beforeAll(async () => {
  const program = prepareJavaProgram({
    name: 'golden-protocol-java',
    artifacts: ['org.apache.kafka:kafka-clients:4.4.0'],
    sources: [join(__dirname, 'java/protocol/ProtocolReference.java')],
    mainClass: 'ProtocolReference',
  })
  jvm = JsonLineJvm.start(program)
  const answer = await jvm.request({ op: 'apis' })
  if (answer.ok !== true) throw new Error(`Java could not list its APIs: ${String(answer.error)}`)
  javaApis = plain(answer.apis ?? null) as JavaApi[]
}, 900_000)

afterAll(async () => {
  await jvm?.close()
})

function failOnJava(answer: JsonAnswer, what: string): string {
  if (answer.ok !== true || typeof answer.hex !== 'string') throw new Error(`Java could not build ${what}: ${String(answer.error)}`)
  return answer.hex
}

describe('protocol frames and the apis table against the Java client', () => {
  test('apis matches ApiKeys: every API with versions, version ranges, unstable flag, listeners, header versions', () => {
    const problems: string[] = []
    const javaKeys = new Set<number>()
    for (const java of javaApis.filter((api) => api.hasValidVersion)) {
      javaKeys.add(java.apiKey)
      const ours = apiTable[java.apiKey]
      if (!ours) {
        problems.push(`apis has no entry for ${java.name} (key ${java.apiKey})`)
        continue
      }
      const where = `${java.name} (key ${java.apiKey})`
      if (ours.name !== java.name) problems.push(`${where}: name ${ours.name}`)
      if (apiKeysByName[java.name] !== java.apiKey) problems.push(`${where}: ApiKeys.${java.name} is ${apiKeysByName[java.name]}`)
      if (ours.minVersion !== java.minVersion) problems.push(`${where}: minVersion ${ours.minVersion}, Java ${java.minVersion}`)
      if (ours.maxVersion !== java.maxVersion) problems.push(`${where}: maxVersion ${ours.maxVersion}, Java ${java.maxVersion}`)
      if (ours.latestVersionUnstable !== java.latestVersionUnstable) {
        problems.push(`${where}: latestVersionUnstable ${ours.latestVersionUnstable}, Java ${java.latestVersionUnstable}`)
      }
      const javaListeners = java.listeners.map((listener) => listener.toLowerCase()).sort()
      const ourListeners = [...ours.listeners].map((listener) => listener.toLowerCase()).sort()
      if (javaListeners.join() !== ourListeners.join()) problems.push(`${where}: listeners ${ourListeners}, Java ${javaListeners}`)
      java.requestHeaderVersions.forEach((expected, i) => {
        const version = java.minVersion + i
        const actual = ours.requestHeaderVersion(version)
        if (actual !== expected) problems.push(`${where} v${version}: request header v${actual}, Java v${expected}`)
      })
      java.responseHeaderVersions.forEach((expected, i) => {
        const version = java.minVersion + i
        const actual = ours.responseHeaderVersion(version)
        if (actual !== expected) problems.push(`${where} v${version}: response header v${actual}, Java v${expected}`)
      })
    }
    for (const key of Object.keys(apiTable).map(Number)) {
      if (!javaKeys.has(key)) problems.push(`apis has key ${key} (${apiTable[key]!.name}), which Java does not serve`)
    }
    expect(javaKeys.size).toBeGreaterThan(50)
    expect(problems).toEqual([])
  })

  test('encodeRequestFrame equals Java header + body for every API version', async () => {
    const cases = javaApis
      .filter((api) => api.hasValidVersion)
      .flatMap((api) =>
        Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => {
          const version = api.minVersion + i
          const schema = schemasByName.get(`${api.name}Request`)!
          const seed = caseSeed(`${api.name}Request-frame`, version, 0)
          const random = new SeededRandom(seed)
          return {
            api,
            version,
            schema,
            seed,
            body: randomInstance(schema, version, seed),
            correlationId: random.uint32() | 0,
            clientId: random.pick(CLIENT_IDS),
          }
        }),
      )
    const answers = await jvm!.requestAll(
      cases.map((c) => ({
        op: 'requestFrame',
        message: c.schema.name,
        version: c.version,
        apiKey: c.api.apiKey,
        correlationId: c.correlationId,
        clientId: c.clientId,
        json: structToJavaJson(c.schema.root, c.version, c.body),
      })),
    )
    const problems: string[] = []
    answers.forEach((answer, i) => {
      const c = cases[i]!
      const label = `${c.api.name} v${c.version} seed ${c.seed}`
      const java = Buffer.from(failOnJava(answer, label), 'hex')
      let ours: Buffer
      try {
        ours = encodeRequestFrame(apiTable[c.api.apiKey] as never, c.version, c.correlationId, c.clientId, c.body as never)
      } catch (error) {
        problems.push(`${label}: encodeRequestFrame threw ${String(error)}`)
        return
      }
      if (!ours.equals(java)) {
        const offset = firstDifferentByte(java, ours)
        problems.push(`${label}: frames differ at byte ${offset}: Java ${hexAround(java, offset)} / samsa ${hexAround(ours, offset)}`)
      }
    })
    expect(cases.length).toBeGreaterThan(300)
    expect(problems.slice(0, 30)).toEqual([])
  })

  test('decodeResponseFrame and peekCorrelationId read Java response frames for every API version', async () => {
    const cases = javaApis
      .filter((api) => api.hasValidVersion)
      .flatMap((api) =>
        Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => {
          const version = api.minVersion + i
          const schema = schemasByName.get(`${api.name}Response`)!
          const seed = caseSeed(`${api.name}Response-frame`, version, 0)
          return { api, version, schema, seed, body: randomInstance(schema, version, seed), correlationId: new SeededRandom(seed).uint32() | 0 }
        }),
      )
    const answers = await jvm!.requestAll(
      cases.map((c) => ({
        op: 'responseFrame',
        message: c.schema.name,
        version: c.version,
        apiKey: c.api.apiKey,
        correlationId: c.correlationId,
        json: structToJavaJson(c.schema.root, c.version, c.body),
      })),
    )
    const problems: string[] = []
    answers.forEach((answer, i) => {
      const c = cases[i]!
      const label = `${c.api.name} v${c.version} seed ${c.seed}`
      const frame = Buffer.from(failOnJava(answer, label), 'hex')
      try {
        if (peekCorrelationId(frame) !== c.correlationId) problems.push(`${label}: peekCorrelationId ${peekCorrelationId(frame)}, expected ${c.correlationId}`)
        const decoded = decodeResponseFrame(apiTable[c.api.apiKey] as never, c.version, frame) as { correlationId: number; body: Record<string, unknown> }
        if (decoded.correlationId !== c.correlationId) problems.push(`${label}: correlationId ${decoded.correlationId}, expected ${c.correlationId}`)
        const difference = firstDifference(
          normalizeStruct(c.schema.root, c.version, c.body),
          normalizeStruct(c.schema.root, c.version, decoded.body),
        )
        if (difference) problems.push(`${label}: body differs: ${difference}`)
      } catch (error) {
        problems.push(`${label}: threw ${String(error)}`)
      }
    })
    expect(cases.length).toBeGreaterThan(300)
    expect(problems.slice(0, 30)).toEqual([])
  })
})
