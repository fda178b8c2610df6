/**
 * The binary argument the write scripts read (see redis-scripts.ts): a batch's writes for
 * many entities packed into one string, so a script call with hundreds of entities is a
 * handful of arguments for the client to send, not thousands. Little-endian throughout:
 * u8, u16 and u32 integers, float64 numbers, strings as a u16 byte length then UTF-8, blobs as
 * a u32 byte length then the bytes.
 */
export class ScriptProgram {
  private bytes: Buffer;
  private length = 0;

  constructor(initialBytes = 4_096) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  u8(value: number): this {
    this.reserve(1);
    this.bytes[this.length++] = value;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.bytes.writeUInt16LE(value, this.length);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.bytes.writeUInt32LE(value, this.length);
    this.length += 4;
    return this;
  }

  f64(value: number): this {
    this.reserve(8);
    this.bytes.writeDoubleLE(value, this.length);
    this.length += 8;
    return this;
  }

  /** A string of at most 65,535 UTF-8 bytes (ids are at most 64 characters, tags 64). */
  str(value: string): this {
    const max = value.length * 3;
    this.reserve(2 + max);
    const written = this.bytes.write(value, this.length + 2, 'utf8');
    this.bytes.writeUInt16LE(written, this.length);
    this.length += 2 + written;
    return this;
  }

  /** A length-prefixed blob, written by `write` (which returns how many bytes it wrote). */
  blob(maxBytes: number, write: (into: Buffer, offset: number) => number): this {
    this.reserve(4 + maxBytes);
    const written = write(this.bytes, this.length + 4);
    this.bytes.writeUInt32LE(written, this.length);
    this.length += 4 + written;
    return this;
  }

  toBuffer(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}
