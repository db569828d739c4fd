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
import { CONSUME_OPTIONS } from '../../../src/cli/consume.js'

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
