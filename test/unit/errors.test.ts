import { KafkaProtocolError, KafkaError, ConnectionError } from '../../src/errors.js'

describe('errors', () => {
  it('KafkaProtocolError carries code, name and retriable flag', () => {
    const err = new KafkaProtocolError(6, 'NOT_LEADER_OR_FOLLOWER', true, { context: 'orders-0', message: 'moved' })
    expect(err).toBeInstanceOf(KafkaError)
    expect(err.name).toBe('KafkaProtocolError')
    expect(err.code).toBe(6)
    expect(err.errorName).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(err.retriable).toBe(true)
    expect(err.message).toBe('NOT_LEADER_OR_FOLLOWER [6] (orders-0): moved')
  })

  it('ConnectionError is retriable by default and keeps its cause', () => {
    const cause = new Error('ECONNREFUSED')
    const err = new ConnectionError('connect failed', { broker: 'localhost:9092', cause })
    expect(err.retriable).toBe(true)
    expect(err.cause).toBe(cause)
    expect(err.message).toContain('localhost:9092')
  })
})
