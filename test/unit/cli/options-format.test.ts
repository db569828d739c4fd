/**
 * The command line's pure parts: the Java .properties reader, connection settings from flags / environment /
 * config file (secrets collected for redaction), kcat-style output formats, and the error line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaProtocolError } from '../../../src/errors.js'
import { describeFailure, redact, UsageError } from '../../../src/cli/errors.js'
import { compileFormat } from '../../../src/cli/format.js'
import { connectionFrom, parseCommand, parseProperties, splitCommand } from '../../../src/cli/options.js'
import { CONSUME_OPTIONS, subscriptionPattern } from '../../../src/cli/consume.js'

describe('parseProperties', () => {
  it('reads the separators, comments, continuations and escapes of Java .properties', () => {
    const text = ['# comment', '! also a comment', 'a=1', 'b : 2', 'c 3', '  d=x\\', '    y', 'e=tab\\there', 'f=\\u0041', 'g=', 'h'].join('\n')
    expect(parseProperties(text)).toEqual({ a: '1', b: '2', c: '3', d: 'xy', e: 'tab\there', f: 'A', g: '', h: '' })
  })
})

describe('connectionFrom', () => {
  let dir = ''
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cli-unit-'))))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('takes flags over the environment over the config file, and reads SASL from sasl.jaas.config', () => {
    const file = join(dir, 'c.properties')
    writeFileSync(file, 'bootstrap.servers=file:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=x.ScramLoginModule required username="u" password="p\\\\"w";\n')
    const fromFile = connectionFrom({ config: file }, {})
    expect(fromFile.config).toMatchObject({ brokers: 'file:1', sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p"w' } })
    expect(fromFile.secrets).toEqual(['p"w'])
    expect(connectionFrom({ config: file }, { KAFKA_BROKERS: 'env:1' }).config.brokers).toBe('env:1')
    expect(connectionFrom({ config: file, brokers: 'flag:1' }, { KAFKA_BROKERS: 'env:1', SAMSA_SASL_PASSWORD: 'envpw' }).config).toMatchObject({ brokers: 'flag:1', sasl: { password: 'envpw' } })
  })

  it('refuses what it cannot honour, with a usage error', () => {
    const jks = join(dir, 'jks.properties')
    writeFileSync(jks, 'bootstrap.servers=h:1\nssl.truststore.type=JKS\n')
    expect(() => connectionFrom({ config: jks }, {})).toThrow(UsageError)
    expect(() => connectionFrom({}, {})).toThrow(/no brokers given/)
    expect(() => connectionFrom({ brokers: 'h:1', 'sasl-username': 'u' }, {})).toThrow(/SASL needs a mechanism/)
    expect(() => connectionFrom({ brokers: 'h:1', 'sasl-mechanism': 'PLAIN', 'sasl-username': 'u' }, {})).toThrow(/SASL needs a password/)
    expect(() => connectionFrom({ brokers: 'h:1', 'sasl-mechanism': 'GSSAPI', 'sasl-username': 'u' }, {})).toThrow(/GSSAPI/)
  })

  it('OAUTHBEARER: the token from the environment, a file re-read per authentication, file: URLs and the JAAS forms', async () => {
    type Provider = () => { value: string; extensions?: Record<string, string> } | Promise<{ value: string; extensions?: Record<string, string> }>
    const provider = (c: ReturnType<typeof connectionFrom>): Provider => (c.config.sasl as { oauthBearerProvider: Provider }).oauthBearerProvider
    const fromEnv = connectionFrom({ brokers: 'b:1', 'sasl-mechanism': 'oauthbearer', 'sasl-oauth-extension': ['traceId=abc', 'logicalCluster=lkc'] }, { SAMSA_SASL_OAUTH_TOKEN: 'env.token.x\n' })
    expect(await provider(fromEnv)()).toEqual({ value: 'env.token.x', extensions: { traceId: 'abc', logicalCluster: 'lkc' } })
    expect(fromEnv.secrets).toContain('env.token.x')

    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, 'first.token\n')
    const fromFile = connectionFrom({ brokers: 'b:1', 'sasl-mechanism': 'OAUTHBEARER', 'sasl-oauth-token-file': tokenFile }, {})
    expect(await provider(fromFile)()).toEqual({ value: 'first.token' })
    // Rotated on disk: the next authentication sends the new token, and it joins the secrets to redact.
    writeFileSync(tokenFile, 'second.token')
    expect(await provider(fromFile)()).toEqual({ value: 'second.token' })
    expect(fromFile.secrets).toEqual(expect.arrayContaining(['first.token', 'second.token']))

    const props = join(dir, 'oauth.properties')
    writeFileSync(props, `bootstrap.servers=b:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\nsasl.oauthbearer.token.endpoint.url=file://${tokenFile}\nsasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required extension_traceId="t1";\n`)
    expect(await provider(connectionFrom({ config: props }, {}))()).toEqual({ value: 'second.token', extensions: { traceId: 't1' } })

    const unsecured = join(dir, 'unsecured.properties')
    writeFileSync(unsecured, 'bootstrap.servers=b:1\nsasl.mechanism=OAUTHBEARER\nsasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="60";\n')
    const built = (await provider(connectionFrom({ config: unsecured }, {}))()).value.split('.')
    expect(JSON.parse(Buffer.from(built[0]!, 'base64url').toString())).toEqual({ alg: 'none' })
    const claims = JSON.parse(Buffer.from(built[1]!, 'base64url').toString()) as { sub: string; iat: number; exp: number }
    expect({ sub: claims.sub, lifetime: claims.exp - claims.iat }).toEqual({ sub: 'alice', lifetime: 60 })
  })

  it('OAUTHBEARER: no token, an unreadable file, an https endpoint or a bad extension is a usage error', () => {
    const base = { brokers: 'b:1', 'sasl-mechanism': 'oauthbearer' }
    expect(() => connectionFrom(base, {})).toThrow(/OAUTHBEARER needs a token/)
    expect(() => connectionFrom({ brokers: 'b:1', 'sasl-oauth-token-file': join(dir, 'token') }, {})).toThrow(/needs --sasl-mechanism OAUTHBEARER/)
    expect(() => connectionFrom({ ...base, 'sasl-oauth-token-file': join(dir, 'nope') }, {})).toThrow(/cannot read it \(ENOENT\)/)
    expect(() => connectionFrom({ ...base, 'sasl-oauth-extension': ['auth=x'] }, { SAMSA_SASL_OAUTH_TOKEN: 't' })).toThrow(UsageError)
    expect(() => connectionFrom({ ...base, 'sasl-oauth-extension': ['no-equals'] }, { SAMSA_SASL_OAUTH_TOKEN: 't' })).toThrow(/not name=value/)
    const props = join(dir, 'https.properties')
    writeFileSync(props, 'bootstrap.servers=b:1\nsasl.mechanism=OAUTHBEARER\nsasl.oauthbearer.token.endpoint.url=https://idp/token\n')
    expect(() => connectionFrom({ config: props }, {})).toThrow(/is not a file: URL/)
  })

  it('warns about --insecure and turns verification off', () => {
    const c = connectionFrom({ brokers: 'h:1', insecure: true }, {})
    expect(c.config.ssl).toEqual({ rejectUnauthorized: false })
    expect(c.warnings).toEqual([expect.stringMatching(/^--insecure: /)])
  })
})

describe('command line', () => {
  it('finds the command after global options and takes -o -10 as a value', () => {
    const { command, rest } = splitCommand(['-b', 'h:1', 'consume', 't', '-o', '-10', '-e'])
    expect(command).toBe('consume')
    expect(parseCommand(rest, CONSUME_OPTIONS, 'consume')).toEqual({ values: expect.objectContaining({ brokers: 'h:1', offset: '-10', exit: true }), positionals: ['t'] })
    expect(() => parseCommand(['t', '--nope'], CONSUME_OPTIONS, 'consume')).toThrow(UsageError)
  })
})

describe('compileFormat', () => {
  const message = { topic: 't', partition: 3, offset: 42n, timestamp: 1700000000000, key: Buffer.from('k'), value: Buffer.from([0xff, 0x00]), headers: [['a', Buffer.from('1')], ['b', null]] as Array<[string, Buffer | null]>, leaderEpoch: 0 }

  it('fills kcat placeholders and keeps values as raw bytes', () => {
    expect(compileFormat('%t/%p@%o %k %K %S %T %h 100%%\\t\\n')(message).toString('latin1')).toBe('t/3@42 k 1 2 1700000000000 a=1,b=NULL 100%\t\n')
    expect([...compileFormat('%s')(message)]).toEqual([0xff, 0x00])
    expect([...compileFormat('%R')({ ...message, value: null })]).toEqual([0xff, 0xff, 0xff, 0xff])
    expect(compileFormat('[%k][%s]')({ ...message, key: null, value: null }).toString()).toBe('[][]')
    expect(() => compileFormat('%x')).toThrow(/unknown placeholder '%x'/)
  })
})

describe('describeFailure', () => {
  it('is one line with the Kafka error name and what to do; secrets are redacted', () => {
    const error = new KafkaProtocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION', false)
    expect(describeFailure('produce to t', error)).toEqual({ line: 'samsa: produce to t: UNKNOWN_TOPIC_OR_PARTITION — check the name with `samsa topics list`, or create it with `samsa topics create`', exitCode: 1 })
    expect(describeFailure('x', new UsageError('bad flag', 'do this'))).toEqual({ line: 'samsa: bad flag — do this', exitCode: 2 })
    expect(redact('pw=s3cret and s3cret', ['s3cret'])).toBe('pw=*** and ***')
  })
})

describe('subscriptionPattern', () => {
  it('reads --pattern and kcat ^-topics as regexes matching anywhere unless anchored; plain names beside them match exactly', () => {
    expect(subscriptionPattern(['orders', 'audit'], undefined)).toBeNull()
    const kcat = subscriptionPattern(['^orders-'], undefined)!
    expect(['orders-eu', 'orders-', 'xorders-eu', 'orders'].map((t) => kcat.test(t))).toEqual([true, true, false, false])
    const flag = subscriptionPattern([], 'orders-(eu|us)$')!
    expect(['orders-eu', 'old-orders-us', 'orders-eu-2'].map((t) => flag.test(t))).toEqual([true, true, false])
    const mixed = subscriptionPattern(['^a\\d', 'b.c'], undefined)!
    expect(['a1', 'a1x', 'b.c', 'bxc', 'xb.c'].map((t) => mixed.test(t))).toEqual([true, true, true, false, false])
    expect(() => subscriptionPattern([], 'orders-(')).toThrow(/is not a regular expression/)
  })
})
