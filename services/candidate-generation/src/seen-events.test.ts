import assert from 'node:assert/strict';
import { SeenEvents } from './seen-events.js';

describe('SeenEvents', () => {
  it('knows an id only once it is added, and counts a second add as a duplicate', () => {
    const seen = new SeenEvents(4);
    assert.equal(seen.has('e1'), false);
    assert.equal(seen.has('e1'), false, 'asking does not remember');
    assert.equal(seen.add('e1'), true);
    assert.equal(seen.has('e1'), true);
    assert.equal(seen.add('e1'), false);
  });

  it('keeps the last generation of ids and forgets the one before', () => {
    const seen = new SeenEvents(2);
    seen.add('a');
    seen.add('b');
    seen.add('c');
    assert.ok(['a', 'b', 'c'].every((id) => seen.has(id)));
    seen.add('d');
    assert.equal(seen.has('a'), false);
    assert.ok(['c', 'd'].every((id) => seen.has(id)));
  });
});
