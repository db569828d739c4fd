/**
 * Turns the bytes a socket receives into whole size-prefixed response frames, and refuses a size prefix too small
 * for the correlation id every response starts with or beyond the connection's limit (a corrupt stream or a hostile
 * peer must not make us allocate half a gigabyte). It knows nothing of what a frame holds; the connection matches
 * and decodes them.
 *
 * The socket reads straight into memory the reader hands out (net.Socket's `onread`): `readTarget()` says where the
 * next read goes and `received(n)` that n bytes arrived there. Small frames land in a shared receive buffer and are
 * delivered as views of it; a frame that does not fit there gets a buffer of exactly its size, and the kernel fills
 * it directly. A multi-megabyte Fetch response is therefore never copied by JavaScript and leaves no turn that
 * assembles it; it is read a megabyte per turn of the event loop at most (READ_BYTES_PER_TURN). Delivered frames
 * stay valid: the reader only ever writes to memory it has not handed out, or that its pool got back from the
 * frame's reader.
 */
import { ConnectionError } from '../errors.js'
import { POOLED_FRAME_MIN_BYTES, type ReceivePool } from './receive-pool.js'

const SIZE_PREFIX = 4
/** The shared receive buffer; a retained view of a small frame keeps one of these alive. */
const RECEIVE_BUFFER_BYTES = 64 * 1024
/** Less room than this left in the receive buffer and the next read starts a fresh one (small reads cost calls). */
const MIN_READ_BYTES = 8 * 1024
/** A frame at least this large that does not fit in the receive buffer is read into a buffer of its own. */
const OWN_BUFFER_FRAME_BYTES = POOLED_FRAME_MIN_BYTES
const EMPTY_TARGET = Buffer.alloc(SIZE_PREFIX)
/**
 * Bytes read before the socket pauses until the next turn of the event loop. One read of a multi-megabyte response
 * into memory new to the process takes a page fault per 4 KiB inside the system call, and where a fault costs
 * microseconds (a VM whose host backs memory lazily: 11 µs each on the benchmark machine) 6 MiB held the loop for
 * 17 ms in one I/O callback. Warm memory reads a MiB in a fraction of a millisecond, so the pause costs little there.
 */
export const READ_BYTES_PER_TURN = 1024 * 1024

export class FrameReader {
  readonly #maxFrameBytes: number
  readonly #onFrame: (frame: Buffer) => void
  readonly #broker: string
  readonly #pool: ReceivePool | null
  /** Receive buffer: bytes before `#start` were delivered, `#start`..`#end` await a whole frame, after `#end` free. */
  #buffer: Buffer = EMPTY_TARGET
  #start = 0
  #end = 0
  /** The frame being read into a buffer of its own (see readTarget), and how much of it has arrived. */
  #frame: Buffer | null = null
  #frameFilled = 0
  #stopped = false
  /** Bytes read since the socket last paused (see READ_BYTES_PER_TURN). */
  #readSincePause = 0

  /**
   * `onFrame` receives each frame without its size prefix, as a view of memory the reader will not write again; it
   * may call `stop` (the connection closing), after which nothing more is delivered. `broker` only labels errors.
   * Frames read into buffers of their own come from `pool` when there is one (see receive-pool.ts).
   */
  constructor(maxFrameBytes: number, onFrame: (frame: Buffer) => void, broker: string, pool: ReceivePool | null = null) {
    this.#maxFrameBytes = maxFrameBytes
    this.#onFrame = onFrame
    this.#broker = broker
    this.#pool = pool
  }

  /**
   * Where the socket's next read goes: the rest of a large frame (no more than the turn has left, see
   * READ_BYTES_PER_TURN), else the free end of the receive buffer.
   */
  readTarget(): Buffer {
    if (this.#stopped) return EMPTY_TARGET
    const frame = this.#frame
    if (frame !== null) {
      const room = Math.max(MIN_READ_BYTES, READ_BYTES_PER_TURN - this.#readSincePause)
      return frame.subarray(this.#frameFilled, Math.min(frame.length, this.#frameFilled + room))
    }
    if (this.#buffer.length - this.#end < MIN_READ_BYTES && !this.#waitingFrameFits()) this.#renewBuffer(RECEIVE_BUFFER_BYTES)
    return this.#buffer.subarray(this.#end)
  }

  /**
   * `n` bytes were read into the last `readTarget()`; delivers every frame they complete. Throws ConnectionError on
   * a bad size prefix. Returns false when the socket should stop reading until the next turn of the event loop
   * (READ_BYTES_PER_TURN were read since it last did).
   */
  received(n: number): boolean {
    if (this.#stopped) return true
    const frame = this.#frame
    if (frame !== null) {
      this.#frameFilled += n
      if (this.#frameFilled === frame.length) {
        this.#frame = null
        this.#onFrame(frame)
      }
    } else {
      this.#end += n
      this.#deliverBuffered()
    }
    this.#readSincePause += n
    if (this.#readSincePause < READ_BYTES_PER_TURN) return true
    this.#readSincePause = 0
    return false
  }

  /**
   * Takes bytes that arrived as a chunk (how the unit tests feed a stream split anywhere): copies them where
   * `readTarget` says, as the socket would have read them, so they take the same path.
   */
  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length && !this.#stopped) {
      const target = this.readTarget()
      const count = Math.min(target.length, chunk.length - at)
      chunk.copy(target, 0, at, at + count)
      at += count
      this.received(count)
    }
  }

  /** Drops whatever is buffered; the stream behind it can no longer be read in step, so later bytes are ignored. */
  stop(): void {
    this.#stopped = true
    this.#buffer = EMPTY_TARGET
    this.#start = this.#end = 0
    this.#frame = null
  }

  #deliverBuffered(): void {
    while (!this.#stopped) {
      const buffer = this.#buffer
      const available = this.#end - this.#start
      if (available < SIZE_PREFIX) return
      const size = buffer.readInt32BE(this.#start)
      if (size < SIZE_PREFIX || size > this.#maxFrameBytes) {
        this.stop()
        throw new ConnectionError(`Broker sent a frame of ${size} bytes (limit ${this.#maxFrameBytes})`, { broker: this.#broker })
      }
      const frameStart = this.#start + SIZE_PREFIX
      if (available - SIZE_PREFIX >= size) {
        this.#start = frameStart + size
        this.#onFrame(buffer.subarray(frameStart, frameStart + size))
        continue
      }
      if (frameStart + size <= buffer.length) return
      // The frame does not fit in what is left of the receive buffer: a large one gets a buffer of its own, which
      // the socket then fills directly; a small one moves to the start of a fresh receive buffer.
      if (size >= OWN_BUFFER_FRAME_BYTES) {
        const own = this.#pool !== null ? this.#pool.take(size) : Buffer.allocUnsafe(size)
        this.#frameFilled = buffer.copy(own, 0, frameStart, this.#end)
        this.#frame = own
        this.#start = this.#end
      } else {
        this.#renewBuffer(Math.max(RECEIVE_BUFFER_BYTES, SIZE_PREFIX + size))
      }
      return
    }
  }

  /** Whether the frame whose start is buffered will end inside the receive buffer (its size prefix has been checked). */
  #waitingFrameFits(): boolean {
    if (this.#end - this.#start < SIZE_PREFIX) return false
    return this.#start + SIZE_PREFIX + this.#buffer.readInt32BE(this.#start) <= this.#buffer.length
  }

  /** Starts a fresh receive buffer with the bytes still waiting for their frame at its start. */
  #renewBuffer(bytes: number): void {
    const fresh = Buffer.allocUnsafeSlow(bytes)
    const waiting = this.#buffer.copy(fresh, 0, this.#start, this.#end)
    this.#buffer = fresh
    this.#start = 0
    this.#end = waiting
  }
}
