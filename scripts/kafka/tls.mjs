// A throwaway certificate authority and a broker certificate for the SSL listeners, made with the openssl CLI
// (present on the Debian/Ubuntu images the project targets; keytool would need ~6 JVM starts, seconds each).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const stderr = error.stderr ? String(error.stderr) : ''
    throw new Error(`openssl ${args[0]} failed: ${stderr || error.message}`)
  }
}

/**
 * Writes ca.pem/ca.key (the CA clients trust), broker.p12 (PKCS12 keystore: broker key + chain) into `dir`.
 * The broker certificate names both `localhost` and 127.0.0.1 so clients can verify either host name.
 * @returns {{ caFile: string, caKeyFile: string, keystoreFile: string, keystorePassword: string }}
 */
export function generateBrokerTls(dir) {
  mkdirSync(dir, { recursive: true })
  const keystorePassword = randomBytes(12).toString('hex')
  const days = '825'
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days,
      '-subj', '/CN=samsa test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  )
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'], dir)
  writeFileSync(
    join(dir, 'broker.ext'),
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  )
  openssl(
    ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', days, '-sha256', '-extfile', 'broker.ext', '-out', 'broker.pem'],
    dir,
  )
  openssl(
    ['pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-name', 'broker',
      '-out', 'broker.p12', '-passout', `pass:${keystorePassword}`],
    dir,
  )
  return {
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca.key'),
    keystoreFile: join(dir, 'broker.p12'),
    keystorePassword,
  }
}
