import { Option } from '@commander-js/extra-typings';
import { DEFAULT_GATEWAY_ADDRESS } from '../gateway-client.js';
import { address } from '../option-parsers.js';

/** `--addr`, shared by every command that talks to the gateway; FEEDMESH_ADDR sets a default. */
export function addressOption() {
  return new Option('--addr <host:port>', 'gateway address')
    .env('FEEDMESH_ADDR')
    .argParser(address)
    .default(DEFAULT_GATEWAY_ADDRESS);
}

export function jsonOption() {
  return new Option('--json', 'print the response as JSON (machine output)');
}

/** The address to repeat in suggested commands: only when it is not the default. */
export function explicitAddress(addr: string): string | undefined {
  return addr === DEFAULT_GATEWAY_ADDRESS ? undefined : addr;
}
