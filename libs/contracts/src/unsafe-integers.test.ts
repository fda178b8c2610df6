import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { gatewayv1, unsafeIntegerFields } from './index.js';

const PUBLISH = '/feedmesh.gateway.v1.FeedGatewayService/PublishEvents';

/** An Event with `at_ms` and a like, written field by field so any 64-bit value can be sent. */
function event(id: string, atMs: bigint): Uint8Array {
  const like = new BinaryWriter()
    .uint32((1 << 3) | 2)
    .string('u1')
    .uint32((2 << 3) | 2)
    .string('p1');
  return new BinaryWriter()
    .uint32((1 << 3) | 2)
    .string(id)
    .uint32((2 << 3) | 0)
    .int64(atMs)
    .uint32((12 << 3) | 2)
    .bytes(like.finish())
    .finish();
}

function publish(...events: Uint8Array[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const e of events) writer.uint32((1 << 3) | 2).bytes(e);
  return writer.finish();
}

describe('unsafeIntegerFields', () => {
  it('names the event whose at_ms is in nanoseconds, which the generated decoder refuses unnamed', () => {
    const bytes = publish(event('e0', 1_764_000_000_000n), event('e1', 1_764_000_000_000_000_000n));
    assert.throws(() => gatewayv1.PublishEventsRequest.decode(bytes), /MAX_SAFE_INTEGER/);
    assert.deepEqual(unsafeIntegerFields(PUBLISH, bytes), [
      { field: 'events[1].at_ms', value: '1764000000000000000' },
    ]);
  });

  it('names a value below -(2^53 - 1) too', () => {
    const bytes = publish(event('e0', -(2n ** 60n)));
    assert.deepEqual(unsafeIntegerFields(PUBLISH, bytes), [
      { field: 'events[0].at_ms', value: (-(2n ** 60n)).toString() },
    ]);
  });

  it('finds nothing in a request whose integers all fit', () => {
    assert.deepEqual(unsafeIntegerFields(PUBLISH, publish(event('e0', 2n ** 53n - 1n))), []);
  });

  it('finds nothing for an unknown method or bytes that do not decode', () => {
    const bytes = publish(event('e0', 2n ** 60n));
    assert.deepEqual(
      unsafeIntegerFields('/feedmesh.gateway.v1.NoSuchService/PublishEvents', bytes),
      [],
    );
    assert.deepEqual(unsafeIntegerFields('not a path', bytes), []);
    assert.deepEqual(unsafeIntegerFields(PUBLISH, Uint8Array.of(0x0a, 0x05, 0x01)), []);
  });
});
