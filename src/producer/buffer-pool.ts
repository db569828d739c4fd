/**
 * Batch buffers of exactly one size (batchSize plus header room), kept for reuse as the Java producer's BufferPool
 * keeps its poolable ByteBuffers. A fresh buffer of 16–64 KiB costs 3–16 µs here (malloc, then a page fault per 4 KiB
 * page when the records are written into it), paid per batch: at 1 KiB records, 64 of them share one batch, so that
 * is a large part of a record's cost. A reused buffer is already mapped.
 *
 * A buffer comes back only from a batch the broker acknowledged: by then every byte of the request that carried it
 * was written to the socket (the broker answers only whole requests). Batches that failed, were split or went out
 * with acks=0 leave theirs to the GC, since a write might still hold it.
 */
export class BatchBufferPool {
  readonly #free: Buffer[] = []
  readonly #maxFree: number

  constructor(
    readonly size: number,
    /** The producer's bufferMemory: free buffers never add up to more. */
    bufferMemory: number,
  ) {
    this.#maxFree = Math.floor(bufferMemory / size)
  }

  take(): Buffer | undefined {
    return this.#free.pop()
  }

  /** Keeps `buffer` if it is one of ours (the right size, not grown out of) and the pool has room. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.#maxFree) this.#free.push(buffer)
  }
}
