/**
 * Kafka's framing for test code that speaks the protocol over a bare socket (proxies, fake brokers, raw clients):
 * every request and response is an int32 byte count followed by that many bytes.
 */
import type { Socket } from 'node:net'

const SIZE_BYTES = 4

/** Calls `onFrame` with each size-prefixed frame (without its prefix) read from `socket`, in order, uncopied. */
export function onSizePrefixedFrames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let buffered: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    while (buffered.length >= SIZE_BYTES) {
      const size = buffered.readInt32BE(0)
      if (buffered.length < SIZE_BYTES + size) break
      const frame = buffered.subarray(SIZE_BYTES, SIZE_BYTES + size)
      buffered = buffered.subarray(SIZE_BYTES + size)
      onFrame(frame)
    }
  })
}

/** `frame` behind its int32 byte count, ready to write to a socket. */
export function sizePrefixed(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frame.length + SIZE_BYTES)
  out.writeInt32BE(frame.length, 0)
  frame.copy(out, SIZE_BYTES)
  return out
}
