import { freePorts } from '@feedmesh/service-kit';

/**
 * A port that is free now, below the kernel's ephemeral range (service-kit's `freePorts`). A
 * test that restarts a process on the same port needs one the kernel never hands to an
 * outgoing connection: a client that keeps redialling a dead ephemeral port can connect to
 * itself and hold it.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
