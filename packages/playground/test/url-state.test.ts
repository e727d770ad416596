/** The URL state: round trips, defaults stay out of the URL, bad values are fixed and reported. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseState, serializeState } from '../src/url-state.js';
import { DEFAULT_CONFIG } from '../src/race/config.js';

test('defaults give a short URL and parse back to the defaults', () => {
  const s = parseState('');
  assert.deepEqual(s.race, DEFAULT_CONFIG);
  assert.equal(s.view, 'race');
  assert.equal(serializeState(s), '?seed=1&norms=none,batchnorm,layernorm');
  assert.deepEqual(parseState(serializeState(s)).race, DEFAULT_CONFIG);
});

test('every setting round-trips', () => {
  const q = '?view=cube&task=copy&model=transformer&depth=6&place=post&lr=0.003&batch=32&steps=500&opt=sgd&warmup=1&seed=9&norms=layernorm,dyt&backend=js&cnorm=batchnorm&groups=4&cell=1.2.3&workers=0';
  const s = parseState(q);
  assert.deepEqual(s.fixed, []);
  assert.deepEqual(s.race, { task: 'copy', model: 'transformer', depth: 6, placement: 'post', lr: 0.003, batch: 32, steps: 500, optimizer: 'sgd', warmup: true, seed: 9, norms: ['layernorm', 'dyt'], backend: 'js' });
  assert.deepEqual(s.cube, { norm: 'batchnorm', groups: 4, cell: [1, 2, 3] });
  assert.equal(s.useWorkers, false);
  assert.deepEqual(parseState(serializeState(s)), s);
});

test('bad values are fixed, and said', () => {
  const s = parseState('?task=spiral&model=transformer&depth=99&norms=none,bogus,weightnorm&lr=-1&cnorm=nope&cell=9.9.9');
  assert.equal(s.race.model, 'mlp');
  assert.equal(s.race.depth, 20);
  assert.deepEqual(s.race.norms, ['none', 'weightnorm']);
  assert.equal(s.race.lr, DEFAULT_CONFIG.lr);
  assert.deepEqual(s.cube.cell, [3, 7, 3]);
  for (const word of ['Transformer', 'depth 99', "'bogus'", 'learning rate', "cube norm 'nope'"]) assert.ok(s.fixed.some((f) => f.includes(word)), `${word} in ${s.fixed.join(' | ')}`);
  // a CNN cannot run DyT: dropped, the rest kept
  assert.deepEqual(parseState('?task=digits&model=cnn&norms=dyt,groupnorm').race.norms, ['groupnorm']);
});
