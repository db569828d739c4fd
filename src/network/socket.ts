/**
 * The socket under a connection. Opening it: plain TCP or TLS (with SNI set from the host name), bounded by the
 * connect timeout and the opener's signal, deciding what a failure to connect means: a broker certificate that does
 * not verify is an AuthenticationError, because trying again cannot fix it, while anything else (refused,
 * unreachable, timed out) is a retriable ConnectionError. A socket that never connected is destroyed here; once
 * connected it belongs to the connection, which writes each request frame with writeFrame.
 */
import { isIP, type OnReadOpts, type Socket, connect as netConnect } from 'node:net'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { AuthenticationError, ConnectionError, KafkaError } from '../errors.js'
import { abortError } from './abort.js'

export interface DialOptions {
  host: string
  port: number
  /** TLS settings; `true` means TLS with the system's CAs and full verification. */
  tls?: TlsConnectionOptions | boolean | null
  timeoutMs: number
  signal?: AbortSignal | undefined
  /**
   * Where received bytes go (net.Socket's `onread`, also honoured by TLS sockets): the socket reads into
   * `target()` and then calls `received(n)`, so nothing is copied and no 'data' event is emitted. `received`
   * returning false pauses reading until the next turn of the event loop.
   */
  reader: { target(): Buffer; received(n: number): boolean }
}

/**
 * Refuses TLS options the connection cannot honour. A caller's own `socket` (or `path`) would be wrapped as is:
 * Node then ignores `onread`, and a connection would wait for bytes that never reach it. Each broker connection
 * is a fresh socket to that broker's address, so there is nothing such an option could mean here.
 */
export function checkTlsOptions(tls: TlsConnectionOptions | boolean | null | undefined): void {
  if (tls === null || typeof tls !== 'object') return
  for (const option of ['socket', 'path'] as const) {
    if (tls[option] !== undefined) throw new KafkaError(`TLS option \`${option}\` is not supported: connections open their own socket to each broker`)
  }
}

/**
 * Connects and, once the socket is connected (for TLS, once the broker's certificate is verified), hands it to
 * `attach` in the same turn, before the promise resolves, so that no socket event can fall between dial's
 * listeners and the connection's.
 */
export function dial(options: DialOptions, attach: (socket: Socket) => void): Promise<void> {
  const { host, port, tls: tlsOption, timeoutMs, signal, reader } = options
  return new Promise<void>((resolve, reject) => {
    checkTlsOptions(tlsOption)
    const onread: OnReadOpts = {
      buffer: () => reader.target(),
      callback: (n: number) => {
        if (reader.received(n)) return true
        // Enough for one turn (see frame-reader.ts): false pauses the socket, and it reads on after the loop turns.
        setImmediate(resumeReading)
        return false
      },
    }
    const resumeReading = (): void => {
      if (!socket.destroyed) socket.resume()
    }
    let socket: Socket
    if (tlsOption) {
      const tlsOptions: TlsConnectionOptions = tlsOption === true ? {} : { ...tlsOption }
      if (tlsOptions.servername === undefined && !isIP(host)) tlsOptions.servername = host
      // node:tls loads on the first TLS connection: it is the costliest module to load at import (~4 ms).
      // tls.connect documents onread (as net.connect's) but @types/node leaves it out of ConnectionOptions.
      const withOnread: TlsConnectionOptions & { onread: OnReadOpts } = { ...tlsOptions, host, port, onread }
      socket = (require('node:tls') as typeof import('node:tls')).connect(withOnread)
    } else {
      socket = netConnect({ host, port, onread })
    }
    socket.setNoDelay(true)
    const connectedEvent = tlsOption ? 'secureConnect' : 'connect'
    const fail = (error: Error): void => {
      cleanup()
      socket.on('error', () => {}) // errors after giving up have nobody left to tell
      socket.destroy()
      reject(error)
    }
    // Over TLS, a TCP connection that then fails without a certificate error is most often a listener that does
    // not speak TLS (it resets or closes on the ClientHello): the message says so.
    let tcpConnected = false
    if (tlsOption) socket.once('connect', () => void (tcpConnected = true))
    const onError = (error: NodeJS.ErrnoException): void => {
      if (tlsOption && isTlsVerificationError(error)) {
        fail(new AuthenticationError(`TLS handshake with ${host}:${port} failed: ${error.code ?? error.message}`, { cause: error }))
      } else if (tlsOption && tcpConnected) {
        fail(new ConnectionError(`TLS handshake failed: ${error.code ?? error.message} (if the listener does not use TLS, leave ssl unset)`, { broker: `${host}:${port}`, cause: error }))
      } else {
        fail(new ConnectionError(`Cannot connect: ${error.code ?? error.message}`, { broker: `${host}:${port}`, cause: error }))
      }
    }
    const onAbort = (): void => fail(abortError(signal!))
    const timer = setTimeout(() => fail(new ConnectionError(`Connect timed out after ${timeoutMs} ms`, { broker: `${host}:${port}` })), timeoutMs)
    const onConnected = (): void => {
      cleanup()
      attach(socket)
      resolve()
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.removeListener(connectedEvent, onConnected)
      socket.removeListener('error', onError)
      signal?.removeEventListener('abort', onAbort)
    }
    socket.once(connectedEvent, onConnected)
    socket.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Writes a frame or its parts (one writev while the socket is corked); `done` follows the last part. */
export function writeFrame(socket: Socket, frame: Buffer | Buffer[], done?: (error?: Error | null) => void): boolean {
  if (!Array.isArray(frame)) return done ? socket.write(frame, done) : socket.write(frame)
  let ok = true
  for (let i = 0; i < frame.length; i++) {
    const last = i === frame.length - 1
    ok = (last && done ? socket.write(frame[i]!, done) : socket.write(frame[i]!)) && ok
  }
  return ok
}

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
])

function isTlsVerificationError(error: NodeJS.ErrnoException): boolean {
  return error.code !== undefined && (TLS_VERIFY_CODES.has(error.code) || error.code.startsWith('ERR_SSL_'))
}
