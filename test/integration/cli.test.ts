/**
 * The `samsa` command line as users run it: the built bin file (dist/cjs/cli/bin.js, built here when stale) as a
 * child process against the real broker. Records written by `samsa produce` are read back by `samsa consume`, by
 * Kafka's own console consumer and by kcat (when on the PATH), and records written by the Java console producer and
 * kcat are read by `samsa consume` — byte for byte the same lines. `groups describe` lag is checked against the
 * admin client's committed offsets and end offsets; usage errors and an unknown topic against the exit codes and
 * the one-line error format.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka } from '../../src/kafka.js'
import { haveJava, kafkaToolsClasspath } from '../helpers/java-tools.js'
import { testBrokers } from '../helpers/kafka.js'

const root = join(__dirname, '..', '..')
const bin = join(root, 'dist', 'cjs', 'cli', 'bin.js')
const brokers = testBrokers()
const bootstrap = brokers.plaintext.map((b) => `${b.host}:${b.port}`).join(',')
const RUN = `cli-${process.pid}-${Date.now().toString(36)}`
const haveKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0
/** One error line: `samsa: <what failed>: <NAME> — <what to do>`. */
const ERROR_LINE = /^samsa: .+: [A-Z_]+ — .+\n$/

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function samsa(args: string[], options: { input?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<Run> {
  return spawnCollect(process.execPath, [bin, ...args], options.input, { ...process.env, KAFKA_BROKERS: bootstrap, ...options.env }, options.timeoutMs ?? 60_000)
}

function spawnCollect(command: string, args: string[], input: string | undefined, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.end(input ?? '')
  })
}

/** A running `samsa`, for tests that stop it themselves (Ctrl-C). */
function startSamsa(args: string[]): { child: ReturnType<typeof spawn>; stdout: () => string; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, KAFKA_BROKERS: bootstrap }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout: out, stderr: err })))
  return { child, stdout: () => out, done }
}

let kafka: Kafka
let work = ''

beforeAll(() => {
  // The CLI is tested as built: compile dist/ unless it already holds exactly these sources.
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  kafka = new Kafka({ brokers: bootstrap, clientId: 'cli-test', logger: false })
  work = mkdtempSync(join(tmpdir(), 'samsa-cli-'))
}, 300_000)

afterAll(async () => {
  await kafka?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await samsa(['topics', 'create', name, '--partitions', String(partitions), '--replication-factor', '1'])
  expect(r).toMatchObject({ code: 0, stderr: '' })
}

const keyed = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}-key-${i}:${prefix} value ${i} with: colon`)

describe('usage errors and failures', () => {
  it('exits 2 with one line for a bad command line, and prints help with exit 0', async () => {
    for (const args of [[], ['frobnicate'], ['produce'], ['produce', 't', '--bogus'], ['consume', 't', '-G', 'g', '-p', '0'], ['consume', 't', '-o', 'yesterday'], ['topics', 'explode'], ['produce', 't', '--acks', '2']]) {
      const r = await samsa(args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      if (args.length > 0) expect({ args, stderr: r.stderr }).toEqual({ args, stderr: expect.stringMatching(/^samsa: .+ — .+\n$/) })
      expect(r.stdout).toBe('')
    }
    for (const command of ['produce', 'consume', 'topics', 'groups', 'offsets', 'cluster', 'acls', 'quotas', 'users']) {
      const r = await samsa([command, '--help'])
      expect({ command, code: r.code }).toEqual({ command, code: 0 })
      expect(r.stdout).toContain(`Usage: samsa ${command}`)
      expect(r.stdout).toContain('Examples:')
    }
  })

  it('refuses a config file with a key it does not understand, naming the key and the ones it knows', async () => {
    const file = join(work, 'bad.properties')
    writeFileSync(file, `bootstrap.servers=${bootstrap}\nacks=all\n`)
    const r = await samsa(['topics', 'list', '--config', file], { env: { KAFKA_BROKERS: undefined } })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^samsa: --config .*bad\.properties: unknown key 'acks' — understood: bootstrap\.servers, .*\n$/)
  })

  it('reads the brokers from a .properties or .json config file', async () => {
    const props = join(work, 'good.properties')
    writeFileSync(props, `# a Java client config\nbootstrap.servers = ${bootstrap}\nclient.id=cli-props\n`)
    const json = join(work, 'good.json')
    writeFileSync(json, JSON.stringify({ 'bootstrap.servers': bootstrap }))
    for (const file of [props, json]) {
      const r = await samsa(['cluster', '--json', '--config', file], { env: { KAFKA_BROKERS: undefined } })
      expect({ file, code: r.code, stderr: r.stderr }).toEqual({ file, code: 0, stderr: '' })
      expect((JSON.parse(r.stdout) as { brokers: unknown[] }).brokers.length).toBeGreaterThan(0)
    }
  })

  it('an unknown topic is one clear line and exit 1, for produce, consume, describe and offsets', async () => {
    const missing = `${RUN}-missing`
    for (const args of [['produce', missing], ['consume', missing, '-e'], ['topics', 'describe', missing], ['offsets', missing]]) {
      const r = await samsa(args, { input: 'x\n' })
      expect({ args, code: r.code }).toEqual({ args, code: 1 })
      expect({ args, stderr: r.stderr }).toEqual({ args, stderr: expect.stringMatching(ERROR_LINE) })
      expect(r.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION — ')
    }
  })

  it('an unreachable cluster is one line and exit 1 within --timeout', async () => {
    const started = Date.now()
    const refused = await samsa(['topics', 'list', '-b', '127.0.0.1:1', '--timeout', '3000'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^samsa: list topics: (CONNECTION_FAILED|REQUEST_TIMED_OUT) — .*check --brokers.+\n$/)
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('a wrong SASL password fails with the Kafka error name and never prints the password', async () => {
    if (!brokers.sasl) return console.warn('KAFKA_SASL_BROKERS is not set: SASL part skipped')
    const sasl = brokers.sasl.map((b) => `${b.host}:${b.port}`).join(',')
    const secret = 'not-the-password-4711'
    const bad = await samsa(['topics', 'list', '-b', sasl, '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', brokers.username], { env: { SAMSA_SASL_PASSWORD: secret } })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(ERROR_LINE)
    expect(bad.stderr).toContain('SASL_AUTHENTICATION_FAILED')
    expect(bad.stderr).not.toContain(secret)
    const file = join(work, 'sasl.properties')
    writeFileSync(file, [`bootstrap.servers=${sasl}`, 'security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${brokers.username}" password="${brokers.password}";`, ''].join('\n'))
    const good = await samsa(['cluster', '--config', file], { env: { KAFKA_BROKERS: undefined } })
    expect({ code: good.code, stderr: good.stderr }).toEqual({ code: 0, stderr: '' })
  })

  it('OAUTHBEARER: a valid token works (env, rotated file, config file), an expired one is one line and exit 1; the token is never printed', async () => {
    if (!brokers.sasl) return console.warn('KAFKA_SASL_BROKERS is not set: OAUTHBEARER part skipped')
    const sasl = brokers.sasl.map((b) => `${b.host}:${b.port}`).join(',')
    // The harness broker runs Kafka's unsecured validator: unsigned JWTs whose `exp` is ahead are accepted.
    const jwt = (subject: string, expiresInS: number): string => {
      const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
      const now = Math.floor(Date.now() / 1000)
      return `${part({ alg: 'none' })}.${part({ sub: subject, iat: now, exp: now + expiresInS })}.`
    }
    const valid = jwt(brokers.username, 3600)
    const expired = jwt(brokers.username, -60)
    const flags = ['-b', sasl, '--sasl-mechanism', 'oauthbearer', '--log-level', 'debug']
    const fromEnv = await samsa(['cluster', '--json', ...flags, '--sasl-oauth-extension', 'traceId=cli'], { env: { SAMSA_SASL_OAUTH_TOKEN: valid } })
    expect({ code: fromEnv.code }).toEqual({ code: 0 })
    expect((JSON.parse(fromEnv.stdout) as { brokers: unknown[] }).brokers.length).toBeGreaterThan(0)
    expect(fromEnv.stdout + fromEnv.stderr).not.toContain(valid)

    const bad = await samsa(['topics', 'list', '-b', sasl, '--sasl-mechanism', 'OAUTHBEARER'], { env: { SAMSA_SASL_OAUTH_TOKEN: expired } })
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 1, stdout: '' })
    expect(bad.stderr).toMatch(ERROR_LINE)
    expect(bad.stderr).toMatch(/^samsa: list topics: SASL_AUTHENTICATION_FAILED — the broker refused the OAUTHBEARER token/)
    expect(bad.stderr).not.toContain(expired)

    // A token file is read per authentication: the expired token fails, the same file with a fresh token works.
    const tokenFile = join(work, 'oauth-token')
    writeFileSync(tokenFile, `${expired}\n`)
    const before = await samsa(['cluster', ...flags, '--sasl-oauth-token-file', tokenFile])
    expect(before.code).toBe(1)
    expect(before.stdout + before.stderr).not.toContain(expired)
    writeFileSync(tokenFile, `${valid}\n`)
    const after = await samsa(['cluster', ...flags, '--sasl-oauth-token-file', tokenFile])
    expect({ code: after.code }).toEqual({ code: 0 })
    expect(after.stdout + after.stderr).not.toContain(valid)

    // Java client config: the file: token endpoint, and the unsecured login module's own token.
    const props = join(work, 'oauth.properties')
    writeFileSync(props, [`bootstrap.servers=${sasl}`, 'security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=OAUTHBEARER', `sasl.oauthbearer.token.endpoint.url=file://${tokenFile}`, 'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required extension_traceId="cfg";', ''].join('\n'))
    expect(await samsa(['cluster', '--config', props], { env: { KAFKA_BROKERS: undefined } })).toMatchObject({ code: 0, stderr: '' })
    const unsecured = join(work, 'oauth-unsecured.properties')
    writeFileSync(unsecured, [`bootstrap.servers=${sasl}`, 'sasl.mechanism=OAUTHBEARER', `sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="${brokers.username}";`, ''].join('\n'))
    expect(await samsa(['cluster', '--config', unsecured], { env: { KAFKA_BROKERS: undefined } })).toMatchObject({ code: 0, stderr: '' })
  })

  it('connects over TLS with --ca', async () => {
    if (!brokers.ssl || !brokers.caFile) return console.warn('KAFKA_SSL_BROKERS / KAFKA_SSL_CA_FILE are not set: TLS part skipped')
    const ssl = brokers.ssl.map((b) => `${b.host}:${b.port}`).join(',')
    const r = await samsa(['cluster', '--json', '-b', ssl, '--ca', brokers.caFile])
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
    const insecure = await samsa(['cluster', '--json', '-b', ssl, '--insecure'])
    expect(insecure.code).toBe(0)
    expect(insecure.stderr).toMatch(/^samsa: warning: --insecure: .*\n$/)
  })
})

describe('produce and consume', () => {
  it('produce -K then consume -f: keys, values, headers, partitions and offsets round trip', async () => {
    const topic = `${RUN}-roundtrip`
    await createTopic(topic, 2)
    const lines = keyed(40, 'rt')
    const produced = await samsa(['produce', topic, '-K', ':', '-H', 'source=cli', '-H', 'run=1', '-p', '1', '--verbose'], { input: lines.join('\n') + '\n' })
    expect({ code: produced.code, stderr: produced.stderr }).toEqual({ code: 0, stderr: '' })
    expect(produced.stdout.trimEnd().split('\n')).toEqual(lines.map((_, i) => `${topic}/1@${i}`))
    const consumed = await samsa(['consume', topic, '-o', 'beginning', '-e', '-f', '%t|%p|%o|%k|%s|%h|%K|%S\\n'])
    expect({ code: consumed.code, stderr: consumed.stderr }).toEqual({ code: 0, stderr: '' })
    expect(consumed.stdout.trimEnd().split('\n')).toEqual(
      lines.map((line, i) => {
        const [key, value] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]
        return `${topic}|1|${i}|${key}|${value}|source=cli,run=1|${key.length}|${value.length}`
      }),
    )
    // -o -N, -o <offset>, -c, -p, --json and the default value-per-line format.
    const last = await samsa(['consume', topic, '-p', '1', '-o', '-3', '-e'])
    expect(last.stdout).toBe(lines.slice(-3).map((l) => l.slice(l.indexOf(':') + 1) + '\n').join(''))
    const some = await samsa(['consume', topic, '-p', '1', '-o', '10', '-c', '2', '--json'])
    expect(some.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string; headers: unknown })).toEqual([
      expect.objectContaining({ offset: 10, key: 'rt-key-10', headers: [['source', 'cli'], ['run', '1']] }),
      expect.objectContaining({ offset: 11, key: 'rt-key-11' }),
    ])
    const empty = await samsa(['consume', topic, '-p', '0', '-o', 'beginning', '-e'])
    expect(empty).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('produce --json and consume --json carry null keys, null values, headers and partitions', async () => {
    const topic = `${RUN}-json`
    await createTopic(topic, 3)
    const input = [
      { key: 'a', value: 'first', headers: { h: 'x' }, partition: 2 },
      { key: null, value: { nested: [1, 2] }, partition: 2 },
      { key: 'tomb', value: null, headers: [['n', null], ['n', 'twice']], partition: 2 },
    ]
    const produced = await samsa(['produce', topic, '--json', '--acks', '1', '-z', 'lz4'], { input: input.map((o) => JSON.stringify(o)).join('\n') + '\n' })
    expect({ code: produced.code, stderr: produced.stderr }).toEqual({ code: 0, stderr: '' })
    const consumed = await samsa(['consume', topic, '-o', 'beginning', '-e', '--json'])
    const records = consumed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.map(({ partition, offset, key, value, headers }) => ({ partition, offset, key, value, headers }))).toEqual([
      { partition: 2, offset: 0, key: 'a', value: 'first', headers: [['h', 'x']] },
      { partition: 2, offset: 1, key: null, value: '{"nested":[1,2]}', headers: [] },
      { partition: 2, offset: 2, key: 'tomb', value: null, headers: [['n', null], ['n', 'twice']] },
    ])
    // A line that is not JSON: the others are still sent, the exit code says "partly delivered".
    const partial = await samsa(['produce', topic, '--json'], { input: '{"value":"ok"}\nnot json\n' })
    expect(partial.code).toBe(3)
    expect(partial.stderr).toMatch(/^samsa: produce to .+: 1 of 2 records not delivered: INVALID_INPUT — .+\n$/)
  })

  it('--json is binary-safe: random bytes round trip produce→consume→produce→consume byte for byte, as kcat reads them', async () => {
    const [first, second] = [`${RUN}-bin1`, `${RUN}-bin2`]
    await createTopic(first, 1)
    await createTopic(second, 1)
    type Rec = { key: Buffer | null; value: Buffer | null; headers: Array<[string, Buffer | null]> }
    const random = (n: number): Buffer => randomBytes(n)
    const records: Rec[] = [
      { key: Buffer.from([0xff, 0xfe, 0x00, 0x0a]), value: Buffer.from([0xc3, 0x28]), headers: [['bin', Buffer.from([0x80])], ['text', Buffer.from('ü ✓ 🐞')]] },
      { key: null, value: Buffer.from('plain text with a\nnewline and ünïcode 🐞'), headers: [['n', null]] },
      { key: Buffer.from('k'), value: null, headers: [] },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [['empty', Buffer.alloc(0)]] },
      // Lone surrogate encoded as UTF-8 (ED A0 80): not valid UTF-8, must not come back as U+FFFD.
      { key: Buffer.from([0xed, 0xa0, 0x80]), value: Buffer.from([0xf4, 0x90, 0x80, 0x80]), headers: [] },
      ...Array.from({ length: 40 }, (_, i): Rec => ({ key: i % 7 === 0 ? null : random(i % 13), value: i % 11 === 0 ? null : random(1 + i * 17), headers: i % 3 === 0 ? [['r', random(i % 5)]] : [] })),
    ]
    const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'))
    // The first produce uses only the base64 forms, for text too: both forms are accepted.
    const input = records.map((r) => JSON.stringify({ keyBase64: b64(r.key), valueBase64: b64(r.value), headers: r.headers.map(([n, v]) => [n, v === null ? null : { base64: b64(v) }]) })).join('\n') + '\n'
    expect(await samsa(['produce', first, '--json'], { input })).toMatchObject({ code: 0, stderr: '' })

    type Out = { key?: string | null; keyBase64?: string; value?: string | null; valueBase64?: string; headers: Array<[string, string | null | { base64: string }]> }
    const decode = (line: Out): Rec => ({
      key: line.keyBase64 !== undefined ? Buffer.from(line.keyBase64, 'base64') : line.key == null ? null : Buffer.from(line.key, 'utf8'),
      value: line.valueBase64 !== undefined ? Buffer.from(line.valueBase64, 'base64') : line.value == null ? null : Buffer.from(line.value, 'utf8'),
      headers: line.headers.map(([n, v]) => [n, v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.base64, 'base64')]),
    })
    const once = await samsa(['consume', first, '-o', 'beginning', '-e', '--json'])
    expect({ code: once.code, stderr: once.stderr }).toEqual({ code: 0, stderr: '' })
    const lines = once.stdout.trimEnd().split('\n')
    const parsed = lines.map((l) => JSON.parse(l) as Out)
    expect(parsed.map(decode)).toEqual(records)
    // Text stays readable: valid UTF-8 is a string, the rest base64 under its own name.
    expect(parsed[0]).toMatchObject({ keyBase64: '//4ACg==', valueBase64: 'wyg=', headers: [['bin', { base64: 'gA==' }], ['text', 'ü ✓ 🐞']] })
    expect(parsed[1]).toMatchObject({ key: null, value: 'plain text with a\nnewline and ünïcode 🐞', headers: [['n', null]] })
    expect(parsed[1]).not.toHaveProperty('valueBase64')
    expect(parsed[4]).toMatchObject({ keyBase64: '7aCA', valueBase64: '9JCAgA==' })

    // What consume wrote is what produce reads: the second topic gets the same bytes.
    expect(await samsa(['produce', second, '--json'], { input: once.stdout })).toMatchObject({ code: 0, stderr: '' })
    const twice = await samsa(['consume', second, '-o', 'beginning', '-e', '--json'])
    expect(twice.stdout.trimEnd().split('\n').map((l) => decode(JSON.parse(l) as Out))).toEqual(records)
    const strip = (l: string): string => l.replace(/"topic":"[^"]+","partition":0,"offset":\d+,"timestamp":\d+,/, '')
    expect(twice.stdout.trimEnd().split('\n').map(strip)).toEqual(lines.map(strip))

    if (!haveKcat) return console.warn('kcat is not on the PATH: the raw-bytes comparison was skipped')
    // kcat's raw %k%s, with lengths to delimit the records: the bytes the broker holds are the originals.
    const raw = spawnSync('kcat', ['-b', bootstrap, '-C', '-t', second, '-o', 'beginning', '-e', '-q', '-f', '%K %S %k%s|'], { maxBuffer: 1 << 24 })
    expect(raw.status).toBe(0)
    const expected = Buffer.concat(records.map((r) => Buffer.concat([Buffer.from(`${r.key?.length ?? -1} ${r.value?.length ?? -1} `), r.key ?? Buffer.alloc(0), r.value ?? Buffer.alloc(0), Buffer.from('|')])))
    expect(raw.stdout.equals(expected)).toBe(true)
  }, 60_000)

  it('consume -G reads what produce wrote, and groups describe reports the lag the admin client computes', async () => {
    const topic = `${RUN}-group`
    const group = `${RUN}-group`
    await createTopic(topic, 3)
    const lines = keyed(60, 'g')
    expect((await samsa(['produce', topic, '-K', ':'], { input: lines.join('\n') + '\n' })).code).toBe(0)
    const consumed = await samsa(['consume', topic, '-G', group, '-o', 'beginning', '-e', '-f', '%k:%s\\n'])
    expect({ code: consumed.code, stderr: consumed.stderr }).toEqual({ code: 0, stderr: '' })
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual([...lines].sort())

    expect((await samsa(['produce', topic, '-K', ':'], { input: keyed(7, 'more').join('\n') + '\n' })).code).toBe(0)
    const described = await samsa(['groups', 'describe', group, '--json'])
    expect({ code: described.code, stderr: described.stderr }).toEqual({ code: 0, stderr: '' })
    const report = JSON.parse(described.stdout) as { state: string; partitions: Array<{ topic: string; partition: number; committed: number; end: number; lag: number }> }

    const admin = kafka.admin()
    try {
      const [committed] = await admin.listConsumerGroupOffsets([group])
      const ends = await admin.listOffsets(committed!.offsets.map((o) => ({ topic: o.topic, partition: o.partition, spec: 'latest' as const })))
      const expected = committed!.offsets
        .map((o, i) => ({ topic: o.topic, partition: o.partition, committed: Number(o.offset), end: Number(ends[i]!.offset), lag: Number(ends[i]!.offset - o.offset) }))
        .sort((a, b) => a.partition - b.partition)
      expect(report.partitions.map(({ topic, partition, committed, end, lag }) => ({ topic, partition, committed, end, lag }))).toEqual(expected)
      expect(expected.reduce((s, p) => s + p.lag, 0)).toBe(7)
    } finally {
      await admin.close()
    }
    const table = await samsa(['groups', 'describe', group])
    expect(table.stdout).toMatch(/^group .+: (consumer|classic), Empty, 0 member\(s\), total lag 7\nTOPIC +PARTITION +COMMITTED +END +LAG/)
    const listed = await samsa(['groups', 'list', '--json'])
    expect((JSON.parse(listed.stdout) as Array<{ groupId: string }>).map((g) => g.groupId)).toContain(group)
    expect(await samsa(['groups', 'delete', group])).toEqual({ code: 0, stdout: `deleted ${group}\n`, stderr: '' })
    const gone = await samsa(['groups', 'describe', group])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(ERROR_LINE)
  })

  it('a terminal gets a live progress line on stderr, cleared at the end; a pipe gets nothing', async () => {
    if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) return console.warn('script(1) is not installed: the TTY part was skipped')
    const topic = `${RUN}-tty`
    await createTopic(topic, 1)
    // script(1) gives the command a terminal; the input arrives over 1.3 s, past the first 500 ms redraw.
    const command = `(echo a; sleep 1.3; echo b) | "${process.execPath}" "${bin}" produce ${topic}`
    const r = await spawnCollect('script', ['-qec', command, '/dev/null'], undefined, { ...process.env, KAFKA_BROKERS: bootstrap }, 30_000)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^(\r\x1b\[Kproduced \d+ records, \d+\.\d MB, \d+ records\/s)+\r\x1b\[K$/)
    const piped = await samsa(['produce', topic], { input: 'c\n' })
    expect(piped).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('consume -o @timestamp starts at the first record at or after it', async () => {
    const topic = `${RUN}-time`
    await createTopic(topic, 1)
    const input = [0, 1, 2, 3].map((i) => JSON.stringify({ value: `t${i}` }))
    expect((await samsa(['produce', topic, '--json'], { input: input.slice(0, 2).join('\n') + '\n' })).code).toBe(0)
    await new Promise((r) => setTimeout(r, 50))
    const between = Date.now()
    await new Promise((r) => setTimeout(r, 50))
    expect((await samsa(['produce', topic, '--json'], { input: input.slice(2).join('\n') + '\n' })).code).toBe(0)
    const r = await samsa(['consume', topic, '-o', `@${between}`, '-e'])
    expect(r.stdout).toBe('t2\nt3\n')
    const offsets = await samsa(['offsets', topic, '--time', String(between), '--json'])
    expect(JSON.parse(offsets.stdout)).toEqual([expect.objectContaining({ partition: 0, offset: 2 })])
  })
})

;(haveJava ? describe : describe.skip)('against the Java console tools and kcat', () => {
  let classpath = ''
  beforeAll(() => {
    classpath = kafkaToolsClasspath()
  })
  const java = (mainClass: string, args: string[], input?: string): Promise<Run> =>
    spawnCollect('java', ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath, mainClass, ...args], input, process.env, 90_000)

  it('the Java console consumer reads what samsa produce -K wrote, line for line', async () => {
    const topic = `${RUN}-to-java`
    await createTopic(topic, 1)
    const lines = keyed(25, 'j')
    expect((await samsa(['produce', topic, '-K', ':'], { input: lines.join('\n') + '\n' })).code).toBe(0)
    const r = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--max-messages', '25', '--timeout-ms', '30000',
      '--formatter-property', 'print.key=true', '--formatter-property', 'key.separator=:',
    ])
    expect(r.stdout.trimEnd().split('\n')).toEqual(lines)
    const ours = await samsa(['consume', topic, '-o', 'beginning', '-e', '-f', '%k:%s\\n'])
    expect(ours.stdout.trimEnd().split('\n')).toEqual(lines)
  }, 120_000)

  it('samsa consume reads what the Java console producer wrote with parse.key=true, line for line', async () => {
    const topic = `${RUN}-from-java`
    await createTopic(topic, 1)
    const lines = keyed(25, 'p')
    const r = await java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', bootstrap, '--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'], lines.join('\n') + '\n')
    expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /ERROR|Exception/.test(l)) }).toEqual({ code: 0, stderr: [] })
    const ours = await samsa(['consume', topic, '-o', 'beginning', '-e', '-f', '%k:%s\\n'])
    expect(ours.stdout.trimEnd().split('\n')).toEqual(lines)
  }, 120_000)

  it('kcat and samsa read each other\'s records identically (skipped when kcat is not on the PATH)', async () => {
    if (!haveKcat) return console.warn('kcat is not on the PATH: the kcat comparison was skipped')
    const topic = `${RUN}-kcat`
    await createTopic(topic, 1)
    const ours = keyed(20, 'ours')
    const theirs = keyed(20, 'kcat')
    expect((await samsa(['produce', topic, '-K', ':', '-H', 'from=samsa'], { input: ours.join('\n') + '\n' })).code).toBe(0)
    const kcatProduce = await spawnCollect('kcat', ['-b', bootstrap, '-P', '-t', topic, '-K', ':', '-H', 'from=kcat'], theirs.join('\n') + '\n', process.env, 30_000)
    expect(kcatProduce.code).toBe(0)
    const format = '%t %p %o %k %s %h %K %S\\n'
    const bySamsa = await samsa(['consume', topic, '-o', 'beginning', '-e', '-f', format])
    const byKcat = await spawnCollect('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format.replace('\\\\n', '\\n')], undefined, process.env, 30_000)
    expect(bySamsa.stdout.split('\n')).toHaveLength(41)
    expect(bySamsa.stdout).toBe(byKcat.stdout)
    expect(bySamsa.stdout).toContain(`${topic} 0 20 kcat-key-0 kcat value 0 with: colon from=kcat`)
  }, 60_000)
})

describe('groups reset-offsets, Ctrl-C, acls, quotas, users, completion', () => {
  it('a group member stopped with Ctrl-C commits exactly what it printed and exits 0', async () => {
    const topic = `${RUN}-sigint`
    const group = `${RUN}-sigint`
    await createTopic(topic, 1)
    expect((await samsa(['produce', topic], { input: Array.from({ length: 30 }, (_, i) => `v${i}`).join('\n') + '\n' })).code).toBe(0)
    const running = startSamsa(['consume', topic, '-G', group, '-o', 'beginning'])
    const deadline = Date.now() + 30_000
    while (running.stdout().split('\n').length < 31 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    running.child.kill('SIGINT')
    const r = await running.done
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(30)
    const admin = kafka.admin()
    try {
      const [committed] = await admin.listConsumerGroupOffsets([group])
      expect(committed!.offsets.map((o) => o.offset)).toEqual([30n])
    } finally {
      await admin.close()
    }
  })

  it('consume -G piped into head stops on EPIPE: exit 0, nothing on stderr, commits only what it wrote, leaves the group', async () => {
    const topic = `${RUN}-pipe`
    const group = `${RUN}-pipe`
    await createTopic(topic, 1)
    // 400 KB of records: far more than a pipe holds (64 KB on Linux), so writes must fail once head has gone.
    const total = 20_000
    expect((await samsa(['produce', topic], { input: Array.from({ length: total }, (_, i) => `record ${i} ${'x'.repeat(10)}`).join('\n') + '\n' })).code).toBe(0)
    const script = `"${process.execPath}" "${bin}" consume "${topic}" -G "${group}" -o beginning | head -n 5; echo "exit=\${PIPESTATUS[0]}" >&2`
    const r = await spawnCollect('bash', ['-c', script], undefined, { ...process.env, KAFKA_BROKERS: bootstrap }, 60_000)
    expect(r.stdout.split('\n').slice(0, 5)).toEqual(Array.from({ length: 5 }, (_, i) => `record ${i} ${'x'.repeat(10)}`))
    // No EPIPE stack, no error line: only the shell's report of samsa's exit status.
    expect(r.stderr).toBe('exit=0\n')
    const admin = kafka.admin()
    let committed: bigint
    try {
      const [offsets] = await admin.listConsumerGroupOffsets([group])
      committed = offsets!.offsets[0]!.offset
      // At least what head printed; less than the topic, because what failed to reach the pipe is not committed.
      expect(committed).toBeGreaterThanOrEqual(5n)
      expect(committed).toBeLessThan(BigInt(total))
      // Left the group on the way out (a crashed member would stay until its session timed out).
      const [described] = await admin.describeConsumerGroups([group])
      expect({ state: described!.state, members: described!.members.length }).toEqual({ state: 'Empty', members: 0 })
    } finally {
      await admin.close()
    }
    // The next member resumes exactly after the last record written.
    const rest = await samsa(['consume', topic, '-G', group, '-e'])
    expect({ code: rest.code, stderr: rest.stderr }).toEqual({ code: 0, stderr: '' })
    const lines = rest.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`record ${committed} ${'x'.repeat(10)}`)
    expect(BigInt(lines.length) + committed).toBe(BigInt(total))
  }, 120_000)

  it('consume -G with a kcat-style ^regex reads topics created before and after it started; --pattern with -e', async () => {
    const prefix = `${RUN}-re`
    const group = `${RUN}-re`
    await createTopic(`${prefix}-before`, 1)
    await createTopic(`x${prefix}-other`, 1)
    expect((await samsa(['produce', `${prefix}-before`], { input: 'before 1\nbefore 2\n' })).code).toBe(0)
    expect((await samsa(['produce', `x${prefix}-other`], { input: 'not matched\n' })).code).toBe(0)
    const running = startSamsa(['consume', `^${prefix}-`, '-G', group, '-o', 'beginning'])
    const waitFor = async (n: number): Promise<void> => {
      const deadline = Date.now() + 60_000
      while (running.stdout().split('\n').length < n + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    }
    await waitFor(2)
    await createTopic(`${prefix}-after`, 2)
    expect((await samsa(['produce', `${prefix}-after`, '-p', '1'], { input: 'after 1\n' })).code).toBe(0)
    await waitFor(3)
    running.child.kill('SIGINT')
    const r = await running.done
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual(['after 1', 'before 1', 'before 2'])
    const admin = kafka.admin()
    try {
      const [committed] = await admin.listConsumerGroupOffsets([group])
      expect(committed!.offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).sort()).toEqual([`${prefix}-after/1@1`, `${prefix}-before/0@2`])
    } finally {
      await admin.close()
    }
    // --pattern matches anywhere in the name (as kcat's regexes do), so the x… topic is in; -e stops at the end.
    const both = await samsa(['consume', '--pattern', `${prefix}-(other|before)$`, '-G', `${group}-2`, '-o', 'beginning', '-e'])
    expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 0, stderr: '' })
    expect(both.stdout.trimEnd().split('\n').sort()).toEqual(['before 1', 'before 2', 'not matched'])
    const none = await samsa(['consume', '--pattern', `^${prefix}-nothing-matches`, '-G', `${group}-3`, '-e'])
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' })
    const noGroup = await samsa(['consume', `^${prefix}-`])
    expect(noGroup.code).toBe(2)
    expect(noGroup.stderr).toMatch(/^samsa: consume: a topic pattern needs -G — .+\n$/)
  }, 120_000)

  it('groups reset-offsets prints the plan as a dry run and commits it only with --execute', async () => {
    const topic = `${RUN}-reset`
    const group = `${RUN}-reset`
    await createTopic(topic, 2)
    expect((await samsa(['produce', topic, '-p', '0'], { input: 'a\nb\nc\nd\n' })).code).toBe(0)
    expect((await samsa(['produce', topic, '-p', '1'], { input: 'e\nf\n' })).code).toBe(0)
    expect((await samsa(['consume', topic, '-G', group, '-o', 'beginning', '-e'])).code).toBe(0)
    const dry = await samsa(['groups', 'reset-offsets', group, '--topic', topic, '--shift-by', '-3'])
    expect(dry).toEqual({ code: 0, stdout: expect.stringMatching(/^TOPIC +PARTITION +CURRENT +NEW\n\S+ +0 +4 +1\n\S+ +1 +2 +0\n$/), stderr: 'samsa: dry run, nothing committed; add --execute to commit these offsets\n' })
    const admin = kafka.admin()
    const committed = async (): Promise<bigint[]> => (await admin.listConsumerGroupOffsets([group]))[0]!.offsets.sort((a, b) => a.partition - b.partition).map((o) => o.offset)
    try {
      expect(await committed()).toEqual([4n, 2n])
      const done = await samsa(['groups', 'reset-offsets', group, '--topic', topic, '-p', '0', '--to', '1', '--execute', '--json'])
      expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' })
      expect(JSON.parse(done.stdout)).toEqual({ groupId: group, executed: true, partitions: [{ topic, partition: 0, current: 4, new: 1 }] })
      expect(await committed()).toEqual([1n, 2n])
      expect((await samsa(['groups', 'reset-offsets', group, '--topic', topic, '--to', 'latest', '--execute'])).code).toBe(0)
      expect(await committed()).toEqual([4n, 2n])
    } finally {
      await admin.close()
    }
  })

  it('acls create, list and delete', async () => {
    const name = `${RUN}-acl`
    const principal = `User:${RUN}`
    const created = await samsa(['acls', 'create', '--resource-type', 'topic', '--resource-name', name, '--principal', principal, '--operation', 'read', '--operation', 'DESCRIBE'])
    expect(created).toEqual({ code: 0, stdout: 'created 2 ACL(s)\n', stderr: '' })
    const listed = JSON.parse((await samsa(['acls', 'list', '--resource-type', 'topic', '--resource-name', name, '--json'])).stdout) as Array<{ operation: string; permission: string; principal: string }>
    expect(listed.map((a) => a.operation).sort()).toEqual(['describe', 'read'])
    expect(new Set(listed.map((a) => `${a.principal} ${a.permission}`))).toEqual(new Set([`${principal} allow`]))
    const deleted = await samsa(['acls', 'delete', '--resource-type', 'topic', '--resource-name', name])
    expect(deleted.stdout).toMatch(/^deleted 2 ACL\(s\)\n/)
    expect((await samsa(['acls', 'list', '--resource-type', 'topic', '--resource-name', name, '--json'])).stdout).toBe('[]\n')
    expect((await samsa(['acls', 'delete'])).code).toBe(2)
  })

  it('quotas alter and describe', async () => {
    const user = `${RUN}-quota`
    expect((await samsa(['quotas', 'alter', '--entity', `user=${user}`, '--set', 'producer_byte_rate=1048576'])).code).toBe(0)
    const admin = kafka.admin()
    try {
      const found = await admin.describeClientQuotas([{ entityType: 'user', match: user }])
      expect(found).toEqual([{ entity: { user }, values: { producer_byte_rate: 1048576 } }])
    } finally {
      await admin.close()
    }
    const described = await samsa(['quotas', 'describe', '--entity', `user=${user}`])
    expect(described.stdout).toMatch(new RegExp(`^ENTITY +QUOTA +VALUE\\nuser=${user} +producer_byte_rate +1048576\\n$`))
    expect((await samsa(['quotas', 'alter', '--entity', `user=${user}`, '--delete', 'producer_byte_rate'])).code).toBe(0)
    expect((await samsa(['quotas', 'describe', '--entity', `user=${user}`, '--json'])).stdout).toBe('[]\n')
  })

  it('users upsert sets a SCRAM credential the new user can log in with; the password is never printed', async () => {
    const user = `${RUN}-user`
    const password = `pw-${RUN}`
    const upserted = await samsa(['users', 'upsert', user, '--mechanism', 'SCRAM-SHA-256'], { env: { SAMSA_USER_PASSWORD: password } })
    expect(upserted).toEqual({ code: 0, stdout: `upserted ${user} (SCRAM-SHA-256)\n`, stderr: '' })
    const described = await samsa(['users', 'describe', user])
    expect(described.stdout).toMatch(new RegExp(`\\n${user} +SCRAM-SHA-256 +8192\\n$`))
    if (brokers.sasl) {
      const sasl = brokers.sasl.map((b) => `${b.host}:${b.port}`).join(',')
      const login = await samsa(['cluster', '--json', '-b', sasl, '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', user], { env: { SAMSA_SASL_PASSWORD: password } })
      expect({ code: login.code, stderr: login.stderr }).toEqual({ code: 0, stderr: '' })
    } else console.warn('KAFKA_SASL_BROKERS is not set: the login with the new credential was skipped')
    expect((await samsa(['users', 'delete', user, '--mechanism', 'SCRAM-SHA-256'])).code).toBe(0)
    const gone = await samsa(['users', 'describe', user])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(ERROR_LINE)
    for (const r of [upserted, described, gone]) expect(r.stdout + r.stderr).not.toContain(password)
  })

  it('bash completion offers commands, sub-commands, options and topic names from the cluster (zsh when installed)', async () => {
    const topic = `${RUN}-complete`
    await createTopic(topic, 1)
    const shim = join(work, 'shim')
    execFileSync('mkdir', ['-p', shim])
    writeFileSync(join(shim, 'samsa'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
    const complete = (words: string[]): string[] => {
      const script = `source <(samsa completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _samsa; printf '%s\\n' "\${COMPREPLY[@]}"`
      const out = execFileSync('bash', ['-c', script], { env: { ...process.env, PATH: `${shim}:${process.env.PATH}`, KAFKA_BROKERS: bootstrap }, encoding: 'utf8' })
      return out.split('\n').filter(Boolean)
    }
    expect(complete(['samsa', 'gr'])).toEqual(['groups'])
    expect(complete(['samsa', 'groups', 're'])).toEqual(['reset-offsets'])
    expect(complete(['samsa', 'consume', '--ex'])).toEqual(['--exit'])
    expect(complete(['samsa', 'consume', topic.slice(0, -3)])).toEqual([topic])
    if (spawnSync('zsh', ['--version'], { stdio: 'ignore' }).status !== 0) return console.warn('zsh is not installed: the zsh script was not loaded')
    // zsh runs the same function through bashcompinit (and filters the offered words by the prefix itself).
    const zshScript = 'source <(samsa completion zsh) && print -r -- ${_comps[samsa]} && setopt ksharrays && COMP_WORDS=(samsa groups "") && COMP_CWORD=2 && _samsa && print -r -- ${COMPREPLY[*]}'
    const zsh = execFileSync('zsh', ['-c', zshScript], { env: { ...process.env, PATH: `${shim}:${process.env.PATH}` }, encoding: 'utf8' })
    expect(zsh).toBe('_bash_complete -F _samsa\nlist describe delete reset-offsets\n')
  })
})

describe('admin commands', () => {
  it('topics create, describe, alter-config, add-partitions, list and delete', async () => {
    const topic = `${RUN}-admin`
    const created = await samsa(['topics', 'create', topic, '--partitions', '2', '--replication-factor', '1', '--set', 'retention.ms=3600000'])
    expect(created).toEqual({ code: 0, stdout: `created ${topic} (2 partitions, replication factor 1)\n`, stderr: '' })
    const again = await samsa(['topics', 'create', topic])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^samsa: create topic '.+': TOPIC_ALREADY_EXISTS — .+\n$/)
    expect((await samsa(['topics', 'alter-config', topic, '--set', 'cleanup.policy=compact', '--delete', 'retention.ms'])).code).toBe(0)
    const admin = kafka.admin()
    try {
      const [cfg] = await admin.describeConfigs([{ type: 'topic', name: topic, keys: ['cleanup.policy', 'retention.ms'] }])
      expect(Object.fromEntries(cfg!.configs.map((c) => [c.name, c.source]))).toEqual({ 'cleanup.policy': 'dynamic-topic', 'retention.ms': 'default' })
    } finally {
      await admin.close()
    }
    expect((await samsa(['topics', 'add-partitions', topic, '--count', '4'])).code).toBe(0)
    const described = await samsa(['topics', 'describe', topic])
    const [partitionTable, configTable] = described.stdout.trimEnd().split('\n\n')
    expect(partitionTable!.split('\n')[0]).toMatch(/^TOPIC +PARTITION +LEADER +REPLICAS +ISR$/)
    expect(partitionTable!.split('\n')).toHaveLength(5)
    // The configs that are not Kafka's defaults: the override set above, and none that was deleted.
    expect(configTable!.split('\n')[0]).toMatch(/^TOPIC +CONFIG +VALUE +SOURCE$/)
    expect(configTable!.split('\n').map((l) => l.split(/ +/))).toContainEqual([topic, 'cleanup.policy', 'compact', 'dynamic-topic'])
    expect(configTable).not.toContain('retention.ms')
    const json = JSON.parse((await samsa(['topics', 'describe', topic, '--json'])).stdout) as Array<{ partitions: unknown[]; configs: Array<{ name: string; value: string | null; source: string; sensitive: boolean }> }>
    expect(json[0]!.partitions).toHaveLength(4)
    const check = kafka.admin()
    try {
      // Exactly what describeConfigs reports as not coming from the default.
      const [all] = await check.describeConfigs([{ type: 'topic', name: topic }])
      const expected = all!.configs.filter((c) => c.source !== 'default').map((c) => ({ name: c.name, value: c.value, source: c.source, sensitive: c.isSensitive }))
      expect(json[0]!.configs).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)))
      expect(json[0]!.configs).toContainEqual({ name: 'cleanup.policy', value: 'compact', source: 'dynamic-topic', sensitive: false })
      expect(configTable!.split('\n')).toHaveLength(expected.length + 1)
    } finally {
      await check.close()
    }
    expect((await samsa(['topics', 'list'])).stdout.split('\n')).toContain(topic)
    expect((await samsa(['offsets', topic, '--json'])).stdout).toBe(JSON.stringify([0, 1, 2, 3].map((partition) => ({ topic, partition, earliest: 0, latest: 0 }))) + '\n')
    expect(await samsa(['topics', 'delete', topic])).toEqual({ code: 0, stdout: `deleted ${topic}\n`, stderr: '' })
  })

  it('cluster shows the brokers, the controller, the features and the API versions', async () => {
    const r = await samsa(['cluster', '--json'])
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
    const c = JSON.parse(r.stdout) as { clusterId: string; controllerId: number; brokers: Array<{ nodeId: number }>; features: Array<{ name: string }>; apiVersions: Array<{ name: string; used: number | null }> }
    const admin = kafka.admin()
    try {
      const described = await admin.describeCluster()
      expect(c.clusterId).toBe(described.clusterId)
      expect(c.brokers.map((b) => b.nodeId).sort()).toEqual(described.nodes.map((n) => n.nodeId).sort())
    } finally {
      await admin.close()
    }
    expect(c.features.map((f) => f.name)).toContain('metadata.version')
    expect(c.apiVersions.find((a) => a.name === 'Fetch')?.used).toBeGreaterThan(12)
    const text = await samsa(['cluster'])
    expect(text.stdout).toMatch(/^cluster \S+, controller \d+\n\nBROKER +HOST +PORT +RACK\n/)
  })
})
