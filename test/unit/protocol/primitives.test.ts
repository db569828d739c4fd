import { ProtocolDecodeError } from '../../../src/errors.js'
import { Reader } from '../../../src/protocol/reader.js'
import { EncodeError, Writer, uvarintSize, varintSize, varlongSize } from '../../../src/protocol/writer.js'

const reader = (bytes: number[] | Buffer) => new Reader(Buffer.from(bytes), 0, bytes.length, 'Test', 3)

/** Runs a writer pass pair: `size` queues lengths, then `write` fills exactly that many bytes. */
function written(size: (w: Writer) => number, write: (w: Writer) => void): Buffer {
  const w = new Writer()
  const n = size(w)
  w.allocate(n)
  write(w)
  expect(w.pos).toBe(n)
  return w.buf
}

function decodeError(fn: () => unknown): ProtocolDecodeError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolDecodeError)
    return err as ProtocolDecodeError
  }
  throw new Error('expected a ProtocolDecodeError')
}

describe('unsigned varint', () => {
  const cases: Array<[number, number[]]> = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 0x01]],
    [2 ** 28 - 1, [0xff, 0xff, 0xff, 0x7f]],
    [2 ** 28, [0x80, 0x80, 0x80, 0x80, 0x01]],
    [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ]

  it.each(cases)('%d encodes as %j and decodes back', (value, bytes) => {
    const out = written(
      () => uvarintSize(value),
      (w) => w.uvarint(value),
    )
    expect([...out]).toEqual(bytes)
    const r = reader(bytes)
    expect(r.uvarint()).toBe(value)
    expect(r.pos).toBe(bytes.length)
  })

  it('rejects a sixth byte (overlong)', () => {
    const err = decodeError(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).uvarint('f'))
    expect(err.message).toMatch(/overflows 32 bits|longer than 5 bytes/)
    expect(err.fieldPath).toBe('f')
  })

  it('rejects a fifth byte carrying bits above bit 31', () => {
    decodeError(() => reader([0xff, 0xff, 0xff, 0xff, 0x10]).uvarint())
  })

  it('reports truncation with the offset where the varint started', () => {
    const r = new Reader(Buffer.from([0x00, 0x80, 0x80]), 1, 3, 'Test', 3)
    const err = decodeError(() => r.uvarint('x.y'))
    expect(err.offset).toBe(1)
    expect(err.apiName).toBe('Test')
    expect(err.version).toBe(3)
    expect(err.fieldPath).toBe('x.y')
  })
})

describe('zigzag varint / varlong', () => {
  const ints: Array<[number, number[]]> = [
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
    [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ]

  it.each(ints)('varint %d <-> %j', (value, bytes) => {
    const out = written(
      () => varintSize(value),
      (w) => w.varint(value),
    )
    expect([...out]).toEqual(bytes)
    expect(reader(bytes).varint()).toBe(value)
  })

  const longs: Array<[bigint, number]> = [
    [0n, 1],
    [-1n, 1],
    [63n, 1],
    [64n, 2],
    [2n ** 31n, 5],
    [-(2n ** 63n), 10],
    [2n ** 63n - 1n, 10],
  ]

  it.each(longs)('varlong %s round-trips in %d bytes', (value, size) => {
    expect(varlongSize(value)).toBe(size)
    const out = written(
      () => varlongSize(value),
      (w) => w.varlong(value),
    )
    expect(out.length).toBe(size)
    const r = reader(out)
    expect(r.varlong()).toBe(value)
    expect(r.pos).toBe(size)
  })

  it('rejects an 11-byte varlong and a 10th byte above 1', () => {
    decodeError(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).varlong())
    decodeError(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]).varlong())
  })
})

describe('fixed-width integers', () => {
  it('reads big-endian values of every width', () => {
    const r = reader([
      0xff, // int8 -1
      0x80, 0x00, // int16 -32768
      0xff, 0xfe, // uint16 65534
      0x7f, 0xff, 0xff, 0xff, // int32 max
      0xff, 0xff, 0xff, 0xfe, // uint32 2^32-2
      0x80, 0, 0, 0, 0, 0, 0, 0, // int64 min
      0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // float64 1.5
      0x02, // bool: any non-zero byte is true, as in Java
    ])
    expect(r.int8()).toBe(-1)
    expect(r.int16()).toBe(-32768)
    expect(r.uint16()).toBe(65534)
    expect(r.int32()).toBe(2147483647)
    expect(r.uint32()).toBe(4294967294)
    expect(r.int64()).toBe(-(2n ** 63n))
    expect(r.float64()).toBe(1.5)
    expect(r.bool()).toBe(true)
    expect(r.remaining).toBe(0)
  })

  it('throws ProtocolDecodeError, not RangeError, when a field is cut short', () => {
    for (const read of [(r: Reader) => r.int16(), (r: Reader) => r.int32(), (r: Reader) => r.int64(), (r: Reader) => r.uuid()]) {
      const err = decodeError(() => read(reader([0x01])))
      expect(err.message).toMatch(/truncated/)
    }
    decodeError(() => reader([]).int8())
    decodeError(() => reader([]).bool())
  })
})

describe('int64', () => {
  const values = [0n, 1n, -1n, 255n, 256n, -256n, 2n ** 32n, -(2n ** 32n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n]

  it.each(values)('%s is written and read big-endian, as Buffer#writeBigInt64BE does', (value) => {
    const expected = Buffer.alloc(8)
    expected.writeBigInt64BE(value)
    const out = written(
      () => 8,
      (w) => w.int64(value),
    )
    expect(out).toEqual(expected)
    expect(reader(out).int64()).toBe(value)
  })

  it('rejects values outside int64 and non-bigints', () => {
    const w = new Writer()
    w.allocate(8)
    expect(() => w.int64(2n ** 63n)).toThrow(EncodeError)
    expect(() => w.int64(-(2n ** 63n) - 1n)).toThrow(EncodeError)
    expect(() => w.int64(5 as unknown as bigint)).toThrow(EncodeError)
  })
})

describe('uuid', () => {
  it('uses the 22-character URL-safe base64 form, zero uuid = AAAAAAAAAAAAAAAAAAAAAA', () => {
    expect(reader(Buffer.alloc(16)).uuid()).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    const bytes = Buffer.from('fb1f7e3d0c2a4b7e9f6d5c4b3a291807', 'hex')
    const s = reader(bytes).uuid()
    expect(s).toHaveLength(22)
    expect(Buffer.from(s, 'base64url')).toEqual(bytes)
    const out = written(
      () => 16,
      (w) => w.uuid(s),
    )
    expect(out).toEqual(bytes)
  })

  it('decodes ids that share a cache slot, or differ only in their last byte, each to its own string', () => {
    const ids = []
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.alloc(16, i)
      bytes[0] = (i % 3) * 8 // three ids per slot
      bytes[15] = i
      ids.push(bytes)
    }
    const lastByteOnly = Buffer.from(ids[0]!)
    lastByteOnly[15] ^= 1
    ids.push(lastByteOnly)
    for (let round = 0; round < 3; round++) {
      for (const bytes of ids) expect(reader(Buffer.concat([Buffer.from([7]), bytes]).subarray(1)).uuid()).toBe(bytes.toString('base64url'))
    }
  })
})

describe('strings', () => {
  it('writes ASCII and multi-byte UTF-8 with lengths computed once in the size pass', () => {
    const values = ['', 'orders', 'zürich-€-🚀']
    const out = written(
      (w) => values.reduce((n, s) => n + 2 + w.measure(s), 0),
      (w) => values.forEach((s) => w.string(s)),
    )
    const r = reader(out)
    for (const s of values) expect(r.string()).toBe(s)
    expect(r.remaining).toBe(0)
    expect(out.readInt16BE(2 + 0 + 0)).toBe(6)
  })

  it('compact strings store length + 1; 0 is null', () => {
    const out = written(
      (w) => 1 + w.measure('abc') + 1,
      (w) => {
        w.compactString('abc')
        w.compactNullableString(null)
      },
    )
    expect([...out]).toEqual([4, 0x61, 0x62, 0x63, 0])
    const r = reader(out)
    expect(r.compactString()).toBe('abc')
    expect(r.compactNullableString()).toBeNull()
  })

  it('null is an error where the field is not nullable', () => {
    expect(reader([0xff, 0xff]).nullableString()).toBeNull()
    expect(decodeError(() => reader([0xff, 0xff]).string('name')).message).toMatch(/non-nullable/)
    expect(decodeError(() => reader([0x00]).compactString('name')).message).toMatch(/non-nullable/)
  })

  it('a length beyond the input is an error before any allocation', () => {
    const err = decodeError(() => reader([0x7f, 0xff, 0x61]).string('s'))
    expect(err.message).toMatch(/length 32767 exceeds the 1 byte/)
    expect(err.offset).toBe(0)
    decodeError(() => reader([0xff, 0xff, 0xff, 0xff, 0x07]).compactString())
    decodeError(() => reader([0xff, 0xfe]).nullableString())
  })
})

describe('bytes', () => {
  it('copies plain bytes and returns views for zero-copy fields', () => {
    const input = Buffer.from([0, 0, 0, 2, 0xaa, 0xbb])
    const copy = new Reader(input).bytes(false)
    const view = new Reader(input).bytes(true)
    expect(copy).toEqual(Buffer.from([0xaa, 0xbb]))
    expect(view).toEqual(copy)
    input[4] = 0x11
    expect(view[0]).toBe(0x11)
    expect(copy[0]).toBe(0xaa)
  })

  it('huge lengths are rejected without allocating', () => {
    // 2^31-1 bytes announced in a 5-byte input: an allocation would throw RangeError or exhaust memory.
    decodeError(() => reader([0x7f, 0xff, 0xff, 0xff, 0x00]).bytes(false))
    decodeError(() => reader([0xff, 0xff, 0xff, 0xff, 0x07]).compactBytes(false))
    decodeError(() => reader([0xff, 0xff, 0xff, 0xfe]).nullableBytes(false))
    expect(reader([0xff, 0xff, 0xff, 0xff]).nullableBytes(false)).toBeNull()
    expect(reader([0x00]).compactNullableBytes(false)).toBeNull()
  })
})

describe('arrays', () => {
  it('counts are checked against the remaining bytes before the caller allocates', () => {
    const err = decodeError(() => reader([0x7f, 0xff, 0xff, 0xff, 0, 0]).arrayLength(false, 'topics'))
    expect(err.message).toMatch(/array of 2147483647 element\(s\) cannot fit in the 2 byte/)
    expect(err.fieldPath).toBe('topics')
    decodeError(() => reader([0xff, 0xff, 0xff, 0xff, 0x0f]).compactArrayLength(false))
    expect(reader([0xff, 0xff, 0xff, 0xff]).arrayLength(true)).toBe(-1)
    expect(decodeError(() => reader([0xff, 0xff, 0xff, 0xff]).arrayLength(false)).message).toMatch(/non-nullable array/)
    decodeError(() => reader([0xff, 0xff, 0xff, 0xfe]).arrayLength(true))
    expect(reader([0x00]).compactArrayLength(true)).toBe(-1)
    expect(reader([0x03, 1, 2]).compactArrayLength(false)).toBe(2)
  })
})

describe('tagged field sections', () => {
  it('a tagged field size beyond the input is an error', () => {
    decodeError(() => reader([0x05, 0x00]).taggedFieldEnd('t'))
  })

  it('writes unknown tags interleaved in tag order', () => {
    const unknown = [
      { tag: 1, data: Buffer.from([0xaa]) },
      { tag: 5, data: Buffer.from([0xbb, 0xcc]) },
    ]
    const out = written(
      () => 3 + 4,
      (w) => {
        const next = w.unknownTagsBelow(unknown, 0, 3)
        w.unknownTagsBelow(unknown, next, Infinity)
      },
    )
    expect([...out]).toEqual([1, 1, 0xaa, 5, 2, 0xbb, 0xcc])
  })
})

describe('encode-side validation', () => {
  it('fixed-width writes reject values outside the type instead of truncating them', () => {
    const w = new Writer(4)
    w.allocate(16)
    expect(() => w.int8(128)).toThrow(EncodeError)
    expect(() => w.int16(-32769)).toThrow(/not a valid int16/)
    expect(() => w.uint16(-1)).toThrow(EncodeError)
    expect(() => w.int32(2 ** 31)).toThrow(EncodeError)
    expect(() => w.int32(1.5)).toThrow(EncodeError)
    expect(() => w.uint32(2 ** 32)).toThrow(EncodeError)
    expect(w.pos).toBe(0)
    w.int8(-128)
    w.int16(-2)
    w.uint16(65535)
    w.int32(-2147483648)
    w.uint32(4294967295)
    expect(w.buf.subarray(0, w.pos).toString('hex')).toBe('80' + 'fffe' + 'ffff' + '80000000' + 'ffffffff')
  })

  it('EncodeError names the field and version', () => {
    const err = new EncodeError('bad', 'topics[].name', 7)
    expect(err.message).toBe('bad (field topics[].name, version 7)')
  })
})
