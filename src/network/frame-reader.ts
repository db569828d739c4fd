/**
 * Turns the chunks a socket delivers into whole size-prefixed response frames, and refuses a size prefix too small
 * for the correlation id every response starts with or beyond the connection's limit (a corrupt stream or a hostile
 * peer must not make us allocate half a gigabyte). It copies as little as it can: a frame that sits in
 * one chunk is handed on as a view of it, and a large frame is assembled chunk by chunk as the bytes arrive instead
 * of in one long copy at the end. It knows nothing of what a frame holds; the connection matches and decodes them.
 */
import { ConnectionError } from '../errors.js'

const SIZE_PREFIX = 4
/** Frames at least this large are assembled chunk by chunk as they arrive (a Fetch response can be 50 MiB). */
const INCREMENTAL_FRAME_BYTES = 256 * 1024

export class FrameReader {
  readonly #maxFrameBytes: number
  readonly #onFrame: (frame: Buffer) => void
  readonly #broker: string
  // Chunks not yet consumed, without concatenating them until a frame spans several.
  #chunks: Buffer[] = []
  #buffered = 0
  #frameSize = -1
  /** A large frame under assembly (see push), and how much of it has arrived. */
  #partial: Buffer | null = null
  #partialFilled = 0
  #stopped = false

  /**
   * `onFrame` receives each frame without its size prefix, possibly as a view of a socket chunk; it may call `stop`
   * (the connection closing), after which nothing more is delivered. `broker` only labels errors.
   */
  constructor(maxFrameBytes: number, onFrame: (frame: Buffer) => void, broker: string) {
    this.#maxFrameBytes = maxFrameBytes
    this.#onFrame = onFrame
    this.#broker = broker
  }

  /** Takes one socket chunk and delivers every frame it completes. Throws ConnectionError on a bad size prefix. */
  push(chunk: Buffer): void {
    if (this.#partial !== null) {
      // A large frame is being assembled: copy this chunk into it now rather than all chunks at the end, so no
      // single turn copies a multi-megabyte response.
      const partial = this.#partial
      const count = Math.min(partial.length - this.#partialFilled, chunk.length)
      chunk.copy(partial, this.#partialFilled, 0, count)
      this.#partialFilled += count
      if (this.#partialFilled < partial.length) return
      this.#partial = null
      this.#partialFilled = 0
      this.#frameSize = -1
      this.#onFrame(partial)
      if (count === chunk.length || this.#stopped) return
      chunk = chunk.subarray(count)
    }
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    while (!this.#stopped) {
      if (this.#frameSize < 0) {
        if (this.#buffered < SIZE_PREFIX) return
        const size = this.#readSizePrefix()
        if (size < SIZE_PREFIX || size > this.#maxFrameBytes) {
          this.stop()
          throw new ConnectionError(`Broker sent a frame of ${size} bytes (limit ${this.#maxFrameBytes})`, { broker: this.#broker })
        }
        this.#frameSize = size
      }
      if (this.#buffered < this.#frameSize) {
        if (this.#frameSize >= INCREMENTAL_FRAME_BYTES) this.#startPartial()
        return
      }
      const frame = this.#take(this.#frameSize)
      this.#frameSize = -1
      this.#onFrame(frame)
    }
  }

  /** Drops whatever is buffered; the stream behind it can no longer be read in step, so later chunks are ignored. */
  stop(): void {
    this.#stopped = true
    this.#chunks = []
    this.#buffered = 0
    this.#partial = null
  }

  /** Moves the buffered start of a large frame into its own buffer, which later chunks fill as they arrive. */
  #startPartial(): void {
    const partial = Buffer.allocUnsafe(this.#frameSize)
    let filled = 0
    for (const buffered of this.#chunks) {
      buffered.copy(partial, filled)
      filled += buffered.length
    }
    this.#chunks = []
    this.#buffered = 0
    this.#partial = partial
    this.#partialFilled = filled
  }

  #readSizePrefix(): number {
    const first = this.#chunks[0]!
    if (first.length >= SIZE_PREFIX) {
      const size = first.readInt32BE(0)
      this.#consume(SIZE_PREFIX)
      return size
    }
    return this.#take(SIZE_PREFIX).readInt32BE(0)
  }

  /** Removes `n` bytes from the front of the buffered chunks; a view when they sit in one chunk. */
  #take(n: number): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      this.#consume(n)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.#chunks[0]!
      const count = Math.min(chunk.length, n - filled)
      chunk.copy(out, filled, 0, count)
      filled += count
      this.#consume(count)
    }
    return out
  }

  #consume(n: number): void {
    const first = this.#chunks[0]!
    this.#buffered -= n
    if (n === first.length) this.#chunks.shift()
    else this.#chunks[0] = first.subarray(n)
  }
}
