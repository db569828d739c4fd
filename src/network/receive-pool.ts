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
/** Free buffers kept per connection: enough for the responses of a fetch loop that reads as fast as it fetches. */
const MAX_FREE_BUFFERS = 4

export class ReceivePool {
  /** Backing memory given back and not yet taken again, smallest first. */
  readonly #free: ArrayBuffer[] = []
  /** Backing memory handed out and not yet given back: only these are accepted by give(). */
  readonly #out = new WeakSet<ArrayBuffer>()

  /** `size` bytes to read a frame into: given-back memory when some is large enough, else new. */
  take(size: number): Buffer {
    const free = this.#free
    for (let i = 0; i < free.length; i++) {
      const memory = free[i]!
      if (memory.byteLength >= size) {
        free.splice(i, 1)
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
    // Past the cap the smallest goes: a larger one takes any frame the smaller would have.
    if (free.length > MAX_FREE_BUFFERS) free.shift()
  }
}

/** Whole 64 KiB up to 1 MiB, whole MiB past it: a frame a little larger than the last still fits its memory. */
function roundUp(size: number): number {
  const step = size > 1024 * 1024 ? 1024 * 1024 : 64 * 1024
  return Math.ceil(size / step) * step
}
