import { ClientLogger, clientLogger, consoleLogger, type Logger, resolveLogger } from '../../../src/network/logging.js'
import { KafkaProtocolError } from '../../../src/errors.js'

type Line = { level: string; fields: Record<string, unknown>; message: string }

/** A logger without `child` or `trace`, as a hand-written one often is. */
function plainLogger(lines: Line[]): Logger {
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message })
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

describe('ClientLogger', () => {
  it('drops what is below its level and passes the rest', () => {
    const lines: Line[] = []
    const logger = new ClientLogger(plainLogger(lines), 'info')
    logger.debug({ a: 1 }, 'hidden')
    logger.info({ a: 2 }, 'shown')
    logger.error({ a: 3 }, 'shown too')
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'shown'],
      ['error', 'shown too'],
    ])
    expect(logger.enabled('info')).toBe(true)
    expect(logger.enabled('debug')).toBe(false)
    expect(logger.level).toBe('info')
  })

  it('merges bindings into the fields of a logger that has no child(); later bindings and fields win', () => {
    const lines: Line[] = []
    const logger = new ClientLogger(plainLogger(lines), 'trace').child({ clientId: 'c', groupId: 'g' }).child({ memberId: 'm' })
    logger.warn({ groupId: 'from-fields', topic: 't' }, 'hello')
    expect(lines).toEqual([{ level: 'warn', fields: { clientId: 'c', groupId: 'from-fields', memberId: 'm', topic: 't' }, message: 'hello' }])
  })

  it("uses the target's own child() and isLevelEnabled() when it has them", () => {
    const made: Array<Record<string, unknown>> = []
    const lines: Line[] = []
    const target: Logger = {
      ...plainLogger(lines),
      trace: (fields, message) => void lines.push({ level: 'trace', fields: fields as Record<string, unknown>, message }),
      child: (bindings) => {
        made.push(bindings)
        return target
      },
      isLevelEnabled: (level) => level !== 'trace',
    }
    const logger = clientLogger(target).child({ broker: 'b:1', nodeId: 1 })
    logger.info({ x: 1 }, 'no merge')
    expect(made).toEqual([{ broker: 'b:1', nodeId: 1 }])
    expect(lines[0]!.fields).toEqual({ x: 1 })
    expect(logger.enabled('debug')).toBe(true)
    expect(logger.enabled('trace')).toBe(false)
  })

  it('never claims trace is on for a logger without a trace method', () => {
    expect(new ClientLogger(plainLogger([]), 'trace').enabled('trace')).toBe(false)
  })

  it('resolveLogger: false is silent, the default is the console at warn, a given logger gets everything', () => {
    expect(resolveLogger(false).enabled('error')).toBe(false)
    expect(resolveLogger(undefined).level).toBe('warn')
    expect(resolveLogger(undefined, 'debug').level).toBe('debug')
    expect(resolveLogger(plainLogger([])).level).toBe('trace')
    expect(resolveLogger(plainLogger([]), 'error').level).toBe('error')
    expect(() => resolveLogger(undefined, 'verbose' as never)).toThrow(/logLevel must be one of/)
  })
})

describe('consoleLogger', () => {
  it('writes one line to stderr: time, level, message and the fields as JSON, errors and bigints included', () => {
    const written: string[] = []
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    try {
      const error = new KafkaProtocolError(6, 'NOT_LEADER_OR_FOLLOWER', true, { context: 'Produce' })
      consoleLogger.warn({ clientId: 'c', err: error, producerId: 5n }, 'something happened')
      consoleLogger.info({}, 'no fields')
    } finally {
      spy.mockRestore()
    }
    expect(written).toHaveLength(2)
    const match = /^(\S+) WARN samsa: something happened (\{.*\})\n$/.exec(written[0]!)
    expect(match).not.toBeNull()
    expect(Number.isNaN(Date.parse(match![1]!))).toBe(false)
    const fields = JSON.parse(match![2]!) as { clientId: string; producerId: string; err: Record<string, unknown> }
    expect(fields.clientId).toBe('c')
    expect(fields.producerId).toBe('5')
    expect(fields.err).toMatchObject({ type: 'KafkaProtocolError', code: 6, errorName: 'NOT_LEADER_OR_FOLLOWER', retriable: true })
    expect(String(fields.err.message)).toContain('NOT_LEADER_OR_FOLLOWER')
    expect(written[1]).toMatch(/^\S+ INFO samsa: no fields\n$/)
  })
})
