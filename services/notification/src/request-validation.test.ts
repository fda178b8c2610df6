import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { decodeCursor, encodeCursor, optionalNotificationId } from './request-validation.js';

describe('request validation', () => {
  it('reads back the id a cursor was made from', () => {
    const id = '1800000000000001';
    const cursor = encodeCursor(id);
    assert.notEqual(cursor, id);
    assert.equal(decodeCursor(cursor, 'cursor'), id);
    assert.equal(decodeCursor('', 'cursor'), undefined);
  });

  it('refuses cursors it did not make, naming the field', () => {
    const forged = Buffer.from('n1:not-an-id').toString('base64url');
    for (const bad of ['abc', forged, encodeCursor('123'), 'x'.repeat(200), '%%%']) {
      assert.throws(
        () => decodeCursor(bad, 'cursor'),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'cursor',
        bad,
      );
    }
  });

  it('accepts an empty or a 16-digit notification id only', () => {
    assert.equal(optionalNotificationId('', 'after_notification_id'), '');
    assert.equal(optionalNotificationId('0000000000000000', 'f'), '0000000000000000');
    for (const bad of ['123', 'abcdefghijklmnop', '18000000000000011']) {
      assert.throws(() => optionalNotificationId(bad, 'f'), InvalidArgumentError);
    }
  });
});
