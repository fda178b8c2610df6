import { readFileSync } from 'node:fs';

let descriptorSet: Buffer | undefined;

/** The compiled FileDescriptorSet of every Feedmesh proto (`buf build`), for server reflection. */
export function feedmeshDescriptorSet(): Buffer {
  descriptorSet ??= readFileSync(new URL('../descriptor.binpb', import.meta.url));
  return descriptorSet;
}
