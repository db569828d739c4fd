/**
 * The fake's one source of randomness (cluster id, topic ids, producer ids, SCRAM salts and nonces): seeded, so a
 * test that passes a seed sees the same ids on every run and can assert on them.
 */
import { randomBytes } from 'node:crypto'

export class SeededRandom {
  #state: number

  constructor(seed?: number) {
    this.#state = (seed ?? randomBytes(4).readUInt32BE(0)) >>> 0
  }

  /** mulberry32: small, fast and good enough for ids; not for secrets a real attacker would guess. */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i += 4) {
      const v = this.uint32()
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff
    }
    return out
  }

  /** A Kafka Uuid in the protocol's 22-character base64url form; never the all-zero (unset) nor the metadata id. */
  uuid(): string {
    for (;;) {
      const b = this.bytes(16)
      // Kafka's Uuid.randomUuid rejects ids whose base64 starts with '-', so ids never look like an option flag.
      const id = b.toString('base64url')
      if (!id.startsWith('-') && !b.equals(Buffer.alloc(16)) && id !== 'AAAAAAAAAAAAAAAAAAAAAQ') return id
    }
  }
}
