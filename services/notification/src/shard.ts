/**
 * The shard of a user among `shards`: 32-bit FNV-1a over the id's UTF-8, so a user lands in the
 * same shard in every process and version. Shard counts are fixed per deployment.
 */
export function shardOf(userId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(userId, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0) % shards;
}
