const CHUNK_BYTES = 1 << 22;

/**
 * Short texts (post summaries) as UTF-8 in 4 MiB chunks, addressed by one number: a million
 * summaries would otherwise be a million strings on the heap. Texts are never freed; a
 * replaced one leaves its old bytes behind (posts are rarely re-created).
 */
export class TextPool {
  private readonly chunks: Buffer[] = [Buffer.allocUnsafe(CHUNK_BYTES)];
  private used = 0;

  get bytes(): number {
    return (this.chunks.length - 1) * CHUNK_BYTES + this.used;
  }

  /** Stores `text`; the address packs chunk, offset and length. */
  add(text: string): number {
    const length = Buffer.byteLength(text);
    if (length === 0) return 0;
    if (this.used + length > CHUNK_BYTES) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length)));
      this.used = 0;
    }
    const chunk = this.chunks.length - 1;
    this.chunks[chunk]!.write(text, this.used);
    const address = (chunk * CHUNK_BYTES + this.used) * 4096 + length;
    this.used += length;
    return address;
  }

  get(address: number): string {
    if (address === 0) return '';
    const length = address % 4096;
    const start = Math.floor(address / 4096);
    const chunk = Math.floor(start / CHUNK_BYTES);
    const offset = start % CHUNK_BYTES;
    return this.chunks[chunk]!.toString('utf8', offset, offset + length);
  }
}
