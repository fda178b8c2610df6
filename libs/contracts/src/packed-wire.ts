// Just enough of the protobuf wire format for the packed codecs (packed-features.ts,
// packed-ranker.ts): their float matrices go to and from the wire as one copy of float32 bytes,
// where the generated code writes and reads (and allocates) float by float.

export const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/**
 * A message type nice-grpc can carry in a service definition, from a hand-written codec (what
 * the generated types offer: \`encode(message).finish()\` and \`decode(bytes)\`).
 */
export function messageType<M>(
  encode: (message: M) => Uint8Array,
  decode: (bytes: Uint8Array) => M,
): { encode(message: M): { finish(): Uint8Array }; decode(bytes: Uint8Array): M } {
  return { encode: (message) => ({ finish: () => encode(message) }), decode };
}

export function tagOf(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Length-delimited fields, varints and packed numbers, gathered as parts and joined once. */
export class Writer {
  private readonly parts: Uint8Array[] = [];
  private length_ = 0;

  get length(): number {
    return this.length_;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.length_ += bytes.length;
  }

  /** An unsigned 32-bit varint (tags, lengths, uint32 and non-negative int32 values). */
  varint(value: number): void {
    let rest = value >>> 0;
    let size = 1;
    for (let v = rest; v > 0x7f; v >>>= 7) size++;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size - 1; i++) {
      bytes[i] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    bytes[size - 1] = rest;
    this.raw(bytes);
  }

  /** An int32 as protobuf writes it: a negative value takes ten bytes (sign-extended). */
  int32(value: number): void {
    if (value >= 0) return this.varint(value);
    const bytes = new Uint8Array(10);
    let low = value | 0;
    for (let i = 0; i < 4; i++) {
      bytes[i] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    // Bits 28-31, then the sign extension of the upper 32 bits.
    bytes[4] = (low & 0x0f) | 0xf0;
    bytes.fill(0xff, 5, 9);
    bytes[9] = 0x01;
    this.raw(bytes);
  }

  varintField(tag: number, value: number): void {
    this.varint(tag);
    this.varint(value);
  }

  /** Proto3 leaves an empty string or bytes field out (`skipEmpty`); a message is always sent. */
  bytesField(tag: number, bytes: Uint8Array, skipEmpty = false): void {
    if (skipEmpty && bytes.length === 0) return;
    this.varint(tag);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  stringField(tag: number, value: string, skipEmpty = false): void {
    this.bytesField(tag, Buffer.from(value, 'utf8'), skipEmpty);
  }

  /** A packed repeated float; left out when empty, as proto3 does. */
  floatsField(tag: number, values: Float32Array): void {
    if (values.length === 0) return;
    this.bytesField(tag, littleEndianBytes(values));
  }

  /** A packed repeated double; left out when empty, as proto3 does. */
  doublesField(tag: number, values: Float64Array): void {
    if (values.length === 0) return;
    this.bytesField(tag, littleEndianBytes(values));
  }

  messageField(tag: number, message: Writer): void {
    this.varint(tag);
    this.varint(message.length_);
    for (const part of message.parts) this.raw(part);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length_);
  }
}

function littleEndianBytes(values: Float32Array | Float64Array): Uint8Array {
  if (isLittleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const size = values.BYTES_PER_ELEMENT;
  const bytes = Buffer.allocUnsafe(values.length * size);
  values.forEach((value, i) =>
    size === 4 ? bytes.writeFloatLE(value, i * 4) : bytes.writeDoubleLE(value, i * 8),
  );
  return bytes;
}

/** Reads one message's bytes; errors name the message (`what`) being decoded. */
export class Reader {
  private constructor(
    /** The whole input, as a Buffer for its string decoding (a view, not a copy). */
    private readonly bytes_: Buffer,
    private pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  static of(bytes: Uint8Array, what: string): Reader {
    const buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new Reader(buffer, 0, buffer.length, what);
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** The low 32 bits of a varint of up to ten bytes, as a signed int32. */
  int32(): number {
    let low = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 70) throw this.error('varint too long');
      if (this.pos >= this.end) throw this.error('truncated varint');
      const byte = this.bytes_[this.pos++]!;
      if (shift < 32) low |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return low;
    }
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  bytes(): Uint8Array {
    const length = this.uint32();
    if (this.pos + length > this.end) throw this.error('truncated field');
    const bytes = this.bytes_.subarray(this.pos, this.pos + length);
    this.pos += length;
    return bytes;
  }

  string(): string {
    const length = this.uint32();
    if (length === 0) return '';
    if (this.pos + length > this.end) throw this.error('truncated field');
    const start = this.pos;
    this.pos += length;
    return this.bytes_.toString('utf8', start, start + length);
  }

  /** A length-delimited submessage, read by a reader of its own. */
  message(what: string): Reader {
    const length = this.uint32();
    if (this.pos + length > this.end) throw this.error('truncated message');
    const start = this.pos;
    this.pos += length;
    return new Reader(this.bytes_, start, start + length, what);
  }

  float(): number {
    const at = this.advance(4);
    return this.bytes_.readFloatLE(at);
  }

  double(): number {
    const at = this.advance(8);
    return this.bytes_.readDoubleLE(at);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.int32();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LENGTH_DELIMITED:
        this.bytes();
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        throw this.error(`unsupported wire type ${wireType}`);
    }
  }

  /** Moves past a fixed-size value; returns where it starts. */
  private advance(size: number): number {
    if (this.pos + size > this.end) throw this.error(`truncated ${size * 8}-bit value`);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  error(problem: string): Error {
    return new Error(`${this.what}: ${problem}`);
  }
}

/**
 * Numbers of one repeated float or double field, from packed chunks (usually one) and single
 * unpacked values, in order: any encoder's output decodes.
 */
export class NumberCollector<A extends Float32Array | Float64Array> {
  private readonly chunks: A[] = [];
  private count = 0;

  constructor(private readonly make: (length: number) => A) {}

  packed(bytes: Uint8Array, reader: Reader): void {
    const size = this.make(0).BYTES_PER_ELEMENT;
    if (bytes.length % size !== 0) throw reader.error(`packed field of ${bytes.length} bytes`);
    const values = this.make(bytes.length / size);
    if (isLittleEndian) {
      // A copy, not a view: the wire bytes need not be aligned for the typed array.
      new Uint8Array(values.buffer).set(bytes);
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < values.length; i++)
        values[i] = size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    }
    this.chunks.push(values);
    this.count += values.length;
  }

  single(value: number): void {
    const one = this.make(1);
    one[0] = value;
    this.chunks.push(one);
    this.count += 1;
  }

  values(): A {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const all = this.make(this.count);
    let at = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }
}

export const floats = (): NumberCollector<Float32Array> =>
  new NumberCollector((length) => new Float32Array(length));
export const doubles = (): NumberCollector<Float64Array> =>
  new NumberCollector((length) => new Float64Array(length));
