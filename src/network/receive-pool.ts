/**
 * Memory for large response frames that is used again once the caller says nothing views it any more.
 *
 * A frame too large for the shared receive buffer gets memory of its own (frame-reader.ts). Freshly allocated, that
 * memory is new to the process: the first write to each 4 KiB page is a page fault, and a consumer reading 100 MB
 * of Fetch responses took 35 000–40 000 of them until, hundreds of megabytes later, the garbage collector and the C
 * allocator began to hand freed memory back out. The consumer gives a Fetch response's frame back here when its last
 * chunk has been read (and copies the uncompressed batches it hands out, so that no record views the frame); the
 * next large frame is read into it, memory whose pages are already mapped.
 *
 * A frame nobody gives back is an ordinary buffer, freed by the garbage collector. One given back twice, or never
 * handed out here, is ignored.
 */

/** Frames smaller than this are not pooled (the shared receive buffer takes most, see frame-reader.ts). */
export const POOLED_FRAME_MIN_BYTES = 16 * 1024
/**
 * Free memory kept by the process's pool. A consumer that reads behind its fetches has a dozen or more responses out
 * at a time (up to fetchMaxBytes buffered), and gives them back in bursts: a cap of four buffers dropped the rest, the
 * next responses got new memory, and the garbage they became (40+ MB per million 100-byte records) set off
 * mark-compact pauses while consuming. Capped by bytes instead, the free list holds what the responses needed at
 * their peak, which is memory the process had in use anyway.
 */
export const MAX_FREE_BYTES = 64 * 1024 * 1024

export class ReceivePool {
  /** Backing memory given back and not yet taken again, smallest first. */
  readonly #free: ArrayBuffer[] = []
  #freeBytes = 0
  /** Backing memory handed out and not yet given back: only these are accepted by give(). */
  readonly #out = new WeakSet<ArrayBuffer>()

  /** `size` bytes to read a frame into: given-back memory when some is large enough, else new. */
  take(size: number): Buffer {
    const free = this.#free
    for (let i = 0; i < free.length; i++) {
      const memory = free[i]!
      if (memory.byteLength >= size) {
        free.splice(i, 1)
        this.#freeBytes -= memory.byteLength
        this.#out.add(memory)
        return Buffer.from(memory, 0, size)
      }
    }
    // Rounded up, so that the next frame of about the same size fits too; pages past `size` are never touched here.
    const memory = Buffer.allocUnsafeSlow(roundUp(size)).buffer as ArrayBuffer
    this.#out.add(memory)
    return Buffer.from(memory, 0, size)
  }

  /** The frame's memory may be written again: nothing reads `frame` or any view of it from now on. */
  give(frame: Buffer): void {
    const memory = frame.buffer as ArrayBuffer
    if (!this.#out.delete(memory)) return
    const free = this.#free
    let at = 0
    while (at < free.length && free[at]!.byteLength < memory.byteLength) at++
    free.splice(at, 0, memory)
    this.#freeBytes += memory.byteLength
    // Past the cap the smallest go: a larger one takes any frame the smaller would have.
    while (this.#freeBytes > MAX_FREE_BYTES) this.#freeBytes -= free.shift()!.byteLength
  }
}

/** Whole 64 KiB up to 1 MiB, whole MiB past it: a frame a little larger than the last still fits its memory. */
function roundUp(size: number): number {
  const step = size > 1024 * 1024 ? 1024 * 1024 : 64 * 1024
  return Math.ceil(size / step) * step
}

/**
 * The pool every connection reads large frames into. One for the process rather than one per connection: a
 * connection opened later (another consumer, a reconnect after a broker restart) reads into memory that earlier ones
 * gave back instead of memory new to the process, and the free memory kept is bounded once, not per connection.
 */
export const processReceivePool = new ReceivePool()
