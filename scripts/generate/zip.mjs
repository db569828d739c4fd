// Minimal reader for the entries of a zip (jar) file, so spec extraction needs nothing but Node: no `unzip`.
// Reads the central directory (authoritative sizes/offsets), then each local header, then inflates (method 8)
// or copies (method 0). ZIP64 and encryption are rejected: a Maven jar of this size needs neither.
import { inflateRawSync } from 'node:zlib'

const EOCD_SIGNATURE = 0x06054b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50

function findEndOfCentralDirectory(zip) {
  // The EOCD record is 22 bytes plus a comment of at most 65535 bytes, so it starts in the last 65557 bytes.
  const lowest = Math.max(0, zip.length - 22 - 0xffff)
  for (let at = zip.length - 22; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === EOCD_SIGNATURE) return at
  }
  throw new Error('not a zip file: end of central directory not found')
}

/**
 * Lists entries of a zip buffer. Each entry's `read()` returns its uncompressed bytes.
 * @param {Buffer} zip
 * @returns {Array<{ name: string, size: number, read: () => Buffer }>}
 */
export function listZipEntries(zip) {
  const eocd = findEndOfCentralDirectory(zip)
  const count = zip.readUInt16LE(eocd + 10)
  let at = zip.readUInt32LE(eocd + 16)
  if (count === 0xffff || at === 0xffffffff) throw new Error('ZIP64 archives are not supported')
  const entries = []
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error(`corrupt zip: bad central directory entry ${i}`)
    const flags = zip.readUInt16LE(at + 8)
    const method = zip.readUInt16LE(at + 10)
    const compressedSize = zip.readUInt32LE(at + 20)
    const size = zip.readUInt32LE(at + 24)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    const localOffset = zip.readUInt32LE(at + 42)
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength)
    at += 46 + nameLength + extraLength + commentLength
    entries.push({
      name,
      size,
      read() {
        if (flags & 1) throw new Error(`${name}: encrypted zip entries are not supported`)
        if (zip.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) throw new Error(`${name}: bad local header`)
        const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28)
        const raw = zip.subarray(dataStart, dataStart + compressedSize)
        let data
        if (method === 0) data = Buffer.from(raw)
        else if (method === 8) data = inflateRawSync(raw)
        else throw new Error(`${name}: unsupported compression method ${method}`)
        if (data.length !== size) throw new Error(`${name}: inflated to ${data.length} bytes, expected ${size}`)
        return data
      },
    })
  }
  return entries
}
