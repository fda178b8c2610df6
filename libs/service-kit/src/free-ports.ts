import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

export interface FreePortOptions {
  /** The interface the ports must be free on. Default 127.0.0.1. */
  readonly host?: string;
  /** Lowest port to hand out. Default 20,000. */
  readonly min?: number;
  /** Highest port to hand out. Default: just below the kernel's ephemeral range. */
  readonly max?: number;
  /**
   * Ports at these distances from each chosen one must be free too, and below the ephemeral
   * range: a Redis Cluster node also listens on its port + 10,000 (the cluster bus).
   */
  readonly offsets?: readonly number[];
}

/** Linux's default ephemeral range starts here; other systems get the same guess. */
const DEFAULT_EPHEMERAL_START = 32_768;
const ATTEMPTS_PER_PORT = 50;

/**
 * `count` distinct ports nothing listens on now, for processes that must be given their port
 * before they start (a mesh whose services know each other's addresses up front, a Redis a
 * test restarts on the same port).
 *
 * The ports are drawn below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`),
 * never from port 0: a port the kernel hands out for a listener is one it also hands out as
 * the source port of outgoing connections, so between picking it and the process binding it,
 * any client on the machine (a service dialling Redis, a poller waiting for another service)
 * can take it, and the process fails with EADDRINUSE. Seen in `bench feed`: the ranker's
 * port, picked that way, was taken while the other services started.
 */
export async function freePorts(count: number, options: FreePortOptions = {}): Promise<number[]> {
  const host = options.host ?? '127.0.0.1';
  const offsets = options.offsets ?? [];
  const ephemeralStart = ephemeralRangeStart();
  const reach = Math.max(0, ...offsets);
  const min = options.min ?? 20_000;
  const max = Math.min(options.max ?? ephemeralStart - 1, ephemeralStart - 1 - reach);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  if (min < 1 || max < min || max - min + 1 < count) {
    throw new RangeError(
      `no room for ${count} ports in ${min}-${max} (the ephemeral range starts at ${ephemeralStart})`,
    );
  }
  const held: Server[] = [];
  const chosen: number[] = [];
  try {
    for (let attempt = 0; chosen.length < count; attempt++) {
      if (attempt === count * ATTEMPTS_PER_PORT) {
        throw new Error(
          `found ${chosen.length} of ${count} free ports in ${min}-${max} on ${host} after ${attempt} tries`,
        );
      }
      const port = min + Math.floor(Math.random() * (max - min + 1));
      if (chosen.includes(port) || offsets.some((o) => chosen.includes(port + o))) continue;
      const servers = await listenAll([port, ...offsets.map((o) => port + o)], host);
      if (servers === undefined) continue;
      // Held until every port is chosen, so none is picked twice.
      held.push(...servers);
      chosen.push(port);
    }
    return chosen;
  } finally {
    await Promise.all(held.map(close));
  }
}

/** Where the kernel's outgoing source ports begin; the Linux default where it cannot be read. */
export function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return start !== undefined && Number.isInteger(start) && start > 1
      ? start
      : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

/** Listens on every port, or on none (undefined) if any is taken. */
async function listenAll(ports: readonly number[], host: string): Promise<Server[] | undefined> {
  const servers: Server[] = [];
  for (const port of ports) {
    const server = await listen(port, host);
    if (server === undefined) {
      await Promise.all(servers.map(close));
      return undefined;
    }
    servers.push(server);
  }
  return servers;
}

function listen(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Why nothing could listen at an address now: the socket error's code and its reading. */
export interface ListenProblem {
  /** EADDRINUSE, ENOTFOUND, ... */
  readonly code: string;
  /** `address in use`, `cannot resolve host x`, ...; the code itself when there is no reading. */
  readonly reason: string;
}

/**
 * Why a server could not listen at `host:port` now, found by resolving the host and listening
 * there for a moment; undefined when it could. For refusing a start in one clear line before
 * a server (grpc-js says "No address added" for every cause) or a child process finds out.
 */
export async function listenProblem(address: string): Promise<ListenProblem | undefined> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(separator + 1));
  try {
    const { address: resolved } = await lookup(host);
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen({ host: resolved, port, exclusive: true }, () => probe.close(() => resolve()));
    });
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') return { code: 'ERROR', reason: (error as Error).message };
    const reasons: Record<string, string> = {
      EADDRINUSE: 'address in use',
      ENOTFOUND: `cannot resolve host ${host}`,
      EAI_AGAIN: `cannot resolve host ${host}`,
      EADDRNOTAVAIL: 'address not available on this machine',
      EACCES: 'permission denied',
    };
    return { code, reason: reasons[code] ?? code };
  }
}
