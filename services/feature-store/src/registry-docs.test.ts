import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { featureTableMarkdown } from './registry-docs.js';

describe('the README', () => {
  it("lists the registry's features as the registry declares them", async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const table = /<!-- registry:start -->\n([\s\S]*?)\n<!-- registry:end -->/.exec(readme)?.[1];
    assert.ok(table, 'the README has a registry table between its markers');
    assert.equal(table, featureTableMarkdown(), 'regenerate it with featureTableMarkdown()');
  });
});
