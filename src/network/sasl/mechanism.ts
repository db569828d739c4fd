/**
 * The contract between the connection and a SASL mechanism. The connection does SaslHandshake and wraps each
 * round trip in a SaslAuthenticate request; a mechanism only produces and checks the mechanism's own bytes.
 * Custom mechanisms (AWS IAM, Kerberos bridges, …) implement this interface; nothing else is needed.
 */
export interface SaslContext {
  host: string
  port: number
}

/** Sends the mechanism's bytes to the broker in a SaslAuthenticate request and returns the broker's bytes. */
export type SaslExchange = (clientBytes: Buffer) => Promise<Buffer>

export interface SaslMechanism {
  /** The mechanism name as the broker knows it, e.g. `SCRAM-SHA-512`. */
  readonly mechanism: string
  /** Runs the whole exchange; resolves when authenticated, rejects (AuthenticationError) otherwise. */
  authenticate(exchange: SaslExchange, context: SaslContext): Promise<void>
}
