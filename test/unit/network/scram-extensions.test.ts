// SCRAM client-first-message extensions (RFC 5802 §5.1), which Kafka uses for delegation tokens (tokenauth=true).
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto'
import { AuthenticationError } from '../../../src/errors.js'
import type { SaslMechanism } from '../../../src/network/sasl/mechanism.js'
import { ScramMechanism } from '../../../src/network/sasl/scram.js'

const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest()

// A minimal SCRAM-SHA-256 server: it checks the client proof over the auth message built from what it received,
// so the test fails unless the extensions are part of the signed client-first-message-bare.
function scramServer(password: string) {
  const salt = Buffer.from('salt-of-the-test')
  const iterations = 4096
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256')
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest()
  let clientFirstBare = ''
  let serverFirst = ''
  const received: string[] = []
  const exchange = async (bytes: Buffer): Promise<Buffer> => {
    const message = bytes.toString('utf8')
    received.push(message)
    if (received.length === 1) {
      clientFirstBare = message.slice(message.indexOf(',', message.indexOf(',') + 1) + 1)
      const clientNonce = /(?:^|,)r=([^,]*)/.exec(clientFirstBare)![1]
      serverFirst = `r=${clientNonce}server,s=${salt.toString('base64')},i=${iterations}`
      return Buffer.from(serverFirst)
    }
    const withoutProof = message.slice(0, message.lastIndexOf(',p='))
    const proof = Buffer.from(message.slice(message.lastIndexOf(',p=') + 3), 'base64')
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
    const signature = hmac(storedKey, authMessage)
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!))
    if (!createHash('sha256').update(clientKey).digest().equals(storedKey)) return Buffer.from('e=invalid-proof')
    return Buffer.from(`v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`)
  }
  return { exchange, received }
}

describe('SCRAM extensions', () => {
  it('sends tokenauth=true after the nonce and signs it as part of the first message', async () => {
    const server = scramServer('token-hmac-base64')
    const scram: SaslMechanism = new ScramMechanism('sha256', 'token-id', 'token-hmac-base64', () => 'clientnonce', { tokenauth: 'true' })
    await scram.authenticate(server.exchange, { host: 'h', port: 1 })
    expect(server.received[0]).toBe('n,,n=token-id,r=clientnonce,tokenauth=true')
  })

  it('without extensions the first message is unchanged', async () => {
    const server = scramServer('pw')
    const scram: SaslMechanism = new ScramMechanism('sha256', 'u', 'pw', () => 'n1')
    await scram.authenticate(server.exchange, { host: 'h', port: 1 })
    expect(server.received[0]).toBe('n,,n=u,r=n1')
  })

  it('a wrong password is refused by the server even with extensions', async () => {
    const server = scramServer('right')
    const scram: SaslMechanism = new ScramMechanism('sha256', 'u', 'wrong', () => 'n1', { tokenauth: 'true' })
    await expect(scram.authenticate(server.exchange, { host: 'h', port: 1 })).rejects.toThrow(/invalid-proof/)
  })

  it('refuses extension names and values that would corrupt the message', () => {
    expect(() => new ScramMechanism('sha256', 'u', 'p', undefined, { r: 'x' })).toThrow(AuthenticationError)
    expect(() => new ScramMechanism('sha256', 'u', 'p', undefined, { 'bad=name': 'x' })).toThrow(AuthenticationError)
    expect(() => new ScramMechanism('sha256', 'u', 'p', undefined, { tokenauth: 'a,b' })).toThrow(AuthenticationError)
  })
})
