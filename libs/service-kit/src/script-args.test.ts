import assert from 'node:assert/strict';
import {
  choiceFlag,
  integerFlag,
  numberFlag,
  parseScriptArgs,
  type ScriptIo,
} from './script-args.js';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Records what a script writes; exiting throws, so a test sees the code. */
function recorder(): ScriptIo & { readonly written: string[]; readonly errors: string[] } {
  const written: string[] = [];
  const errors: string[] = [];
  return {
    written,
    errors,
    out: (text) => void written.push(text),
    err: (text) => void errors.push(text),
    exit: (code) => {
      throw new Exited(code);
    },
  };
}

const USAGE = 'node bench.js [--requests 1000] [--json]';
const OPTIONS = {
  requests: { type: 'string', default: '1000' },
  json: { type: 'boolean', default: false },
} as const;

describe('parseScriptArgs (the command line of a benchmark or evaluation script)', () => {
  it('gives the values, defaults included', () => {
    const values = parseScriptArgs(USAGE, OPTIONS, ['--json'], recorder());
    assert.equal(values.requests, '1000');
    assert.equal(values.json, true);
  });

  it('prints the usage for --help and exits 0', () => {
    const io = recorder();
    assert.throws(() => parseScriptArgs(USAGE, OPTIONS, ['--help'], io), { code: 0 });
    assert.deepEqual(io.written, [`usage: ${USAGE}\n`]);
  });

  it('names an unknown flag, shows the usage and exits 2 instead of throwing', () => {
    const io = recorder();
    assert.throws(() => parseScriptArgs(USAGE, OPTIONS, ['--reqests', '5'], io), { code: 2 });
    assert.match(io.errors.join(''), /--reqests/);
    assert.match(io.errors.join(''), /usage: node bench\.js/);
  });

  it('refuses a flag without its value and a stray argument', () => {
    assert.throws(() => parseScriptArgs(USAGE, OPTIONS, ['--requests'], recorder()), { code: 2 });
    assert.throws(() => parseScriptArgs(USAGE, OPTIONS, ['oops'], recorder()), { code: 2 });
  });
});

describe('integerFlag', () => {
  it('reads an integer, and undefined when the flag was not given', () => {
    assert.equal(integerFlag('requests', '250', 1, recorder()), 250);
    assert.equal(integerFlag('requests', undefined, 1, recorder()), undefined);
  });

  for (const raw of ['abc', '1.5', '0', '', '1e400']) {
    it(`refuses ${JSON.stringify(raw)}, naming the flag`, () => {
      const io = recorder();
      assert.throws(() => integerFlag('requests', raw, 1, io), { code: 2 });
      assert.match(io.errors.join(''), /^--requests: expected an integer of at least 1, got /);
    });
  }
});

describe('numberFlag', () => {
  it('reads a number, fractions included, and undefined when the flag was not given', () => {
    assert.equal(numberFlag('source-depth', '1.5', 1, recorder()), 1.5);
    assert.equal(numberFlag('source-depth', undefined, 1, recorder()), undefined);
  });

  for (const raw of ['abc', '0.5', '', '1e400', 'NaN']) {
    it(`refuses ${JSON.stringify(raw)}, naming the flag`, () => {
      const io = recorder();
      assert.throws(() => numberFlag('source-depth', raw, 1, io), { code: 2 });
      assert.match(io.errors.join(''), /^--source-depth: expected a number of at least 1, got /);
    });
  }
});

describe('choiceFlag', () => {
  const PRESETS = ['small', 'medium'] as const;

  it('reads one of the choices, and undefined when the flag was not given', () => {
    assert.equal(choiceFlag('preset', 'medium', PRESETS, recorder()), 'medium');
    assert.equal(choiceFlag('preset', undefined, PRESETS, recorder()), undefined);
  });

  it('refuses anything else, naming the flag and the choices', () => {
    const io = recorder();
    assert.throws(() => choiceFlag('preset', 'huge', PRESETS, io), { code: 2 });
    assert.equal(io.errors.join(''), '--preset: expected one of small, medium, got "huge"\n');
  });
});
