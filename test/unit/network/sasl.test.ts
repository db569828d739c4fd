import { ScramMechanism } from '../../../src/network/sasl/scram.js'
import { PlainMechanism } from '../../../src/network/sasl/plain.js'
import { OAuthBearerMechanism } from '../../../src/network/sasl/oauthbearer.js'
import { AuthenticationError } from '../../../src/errors.js'
import type { SaslMechanism } from '../../../src/network/sasl/mechanism.js'
import { inspect } from 'node:util'

// RFC 7677 §3 test vector (SCRAM-SHA-256, user "user", password "pencil").
const clientNonce = 'rOprNGfwEbeRWgbNEkqO'
const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

describe('SCRAM', () => {
  it('produces the RFC 7677 messages and verifies the server signature', async () => {
    const sent: string[] = []
    const scram: SaslMechanism = new ScramMechanism('sha256', 'user', 'pencil', () => clientNonce)
    await scram.authenticate(async (bytes) => {
      sent.push(bytes.toString('utf8'))
      return Buffer.from(sent.length === 1 ? serverFirst : serverFinal)
    }, { host: 'h', port: 1 })
    expect(sent).toEqual([`n,,n=user,r=${clientNonce}`, clientFinal])
  })

  it('rejects a forged server signature', async () => {
    const scram: SaslMechanism = new ScramMechanism('sha256', 'user', 'pencil', () => clientNonce)
    let round = 0
    const run = scram.authenticate(async () => Buffer.from(++round === 1 ? serverFirst : 'v=AAAA'), { host: 'h', port: 1 })
    await expect(run).rejects.toBeInstanceOf(AuthenticationError)
  })

  it('rejects a server nonce that does not extend ours and absurd iteration counts', async () => {
    const scram: SaslMechanism = new ScramMechanism('sha512', 'user', 'pencil', () => clientNonce)
    await expect(scram.authenticate(async () => Buffer.from('r=other,s=AAAA,i=4096'), { host: 'h', port: 1 })).rejects.toThrow(/nonce/)
    await expect(
      scram.authenticate(async () => Buffer.from(`r=${clientNonce}x,s=AAAA,i=100000000`), { host: 'h', port: 1 }),
    ).rejects.toThrow(/iteration/)
  })

  it('escapes = and , in user names', async () => {
    const sent: string[] = []
    const scram: SaslMechanism = new ScramMechanism('sha256', 'a=b,c', 'p', () => 'nonce')
    await scram.authenticate(async (b) => {
      sent.push(b.toString())
      throw new Error('stop')
    }, { host: 'h', port: 1 }).catch(() => undefined)
    expect(sent[0]).toBe('n,,n=a=3Db=2Cc,r=nonce')
  })
})

describe('secrets stay out of dumps', () => {
  it('inspect and JSON never show passwords', () => {
    for (const m of [new PlainMechanism('u', 'hunter2'), new ScramMechanism('sha512', 'u', 'hunter2')]) {
      expect(inspect(m, { depth: 5, showHidden: true })).not.toContain('hunter2')
      expect(JSON.stringify(m)).not.toContain('hunter2')
    }
  })
})

describe('OAUTHBEARER', () => {
  it('sends the RFC 7628 initial response with extensions', async () => {
    const sent: string[] = []
    const m: SaslMechanism = new OAuthBearerMechanism(() => ({ value: 'tok', extensions: { logicalCluster: 'lkc-1' } }))
    await m.authenticate(async (b) => {
      sent.push(b.toString())
      return Buffer.alloc(0)
    }, { host: 'h', port: 1 })
    expect(sent).toEqual(['n,,\u0001auth=Bearer tok\u0001logicalCluster=lkc-1\u0001\u0001'])
  })

  it('answers a server error with a lone separator and fails', async () => {
    const sent: string[] = []
    const m: SaslMechanism = new OAuthBearerMechanism(() => ({ value: 'tok' }))
    const run = m.authenticate(async (b) => {
      sent.push(b.toString())
      return Buffer.from(sent.length === 1 ? '{"status":"invalid_token"}' : '')
    }, { host: 'h', port: 1 })
    await expect(run).rejects.toBeInstanceOf(AuthenticationError)
    expect(sent[1]).toBe('\u0001')
  })
})
