import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from 'normkit';
import { sampleRing, scoreRing, ringCenters } from '../../src/data/ring.js';

test('ring: deterministic samples that score as fully covered; a collapsed set covers one mode', () => {
  const a = sampleRing(new Rng(7), 2000);
  assert.deepEqual(Array.from(a.subarray(0, 10)), Array.from(sampleRing(new Rng(7), 2000).subarray(0, 10)));
  const s = scoreRing(a);
  assert.equal(s.modesCovered, 8);
  assert.ok(s.highQualityShare > 0.98, `share ${s.highQualityShare}`);
  const c = ringCenters();
  const collapsed = new Float32Array(2000);
  for (let i = 0; i < 1000; i++) {
    collapsed[2 * i] = c[2]! + 0.01 * Math.sin(i);
    collapsed[2 * i + 1] = c[3]! + 0.01 * Math.cos(i);
  }
  const sc = scoreRing(collapsed);
  assert.equal(sc.modesCovered, 1);
  assert.equal(sc.perMode[1], 1000);
  const far = scoreRing([0, 0, NaN, 1, 10, 10]);
  assert.equal(far.highQualityShare, 0);
  assert.equal(far.modesCovered, 0);
  assert.throws(() => scoreRing([1, 2, 3]), /even length/);
});
