/**
 * The cube's highlight comes from the library (outputs that change when one
 * input changes); here it is held to the textbook sets of Wu & He 2018's
 * Figure 2 for every cell, norm and group count, and the normalized set has
 * mean 0 and variance 1 (RMS 1 for RMSNorm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from 'normkit';
import { CUBE, CUBE_GROUPS, CUBE_NORMS, CUBE_S, cellIndex, cellStats, cubeBatch, sharedCells, normalizeCube, describeSet } from '../src/cube/cube.js';

test('sharedCells equals the textbook set for every norm, group count and cell', () => {
  const x = cubeBatch(1);
  for (const norm of CUBE_NORMS) for (const groups of norm === 'groupnorm' ? CUBE_GROUPS : [1]) {
    const per = CUBE.C / groups;
    for (let n0 = 0; n0 < CUBE.N; n0++) for (let c0 = 0; c0 < CUBE.C; c0++) for (let s0 = 0; s0 < CUBE_S; s0++) {
      const want: number[] = [];
      for (let n = 0; n < CUBE.N; n++) for (let c = 0; c < CUBE.C; c++) for (let s = 0; s < CUBE_S; s++) {
        const ok = norm === 'batchnorm' ? c === c0 : norm === 'instancenorm' ? n === n0 && c === c0
          : norm === 'groupnorm' ? n === n0 && Math.floor(c / per) === Math.floor(c0 / per) : n === n0;
        if (ok) want.push(cellIndex(n, c, s));
      }
      const { cells, y } = sharedCells(x, norm, groups, [n0, c0, s0]);
      assert.deepEqual(cells, want, `${norm} G=${groups} at (${n0}, ${c0}, ${s0})`);
      const st = cellStats(y, cells);
      if (norm === 'rmsnorm') assert.ok(Math.abs(st.rms - 1) < 1e-3, `${norm}: rms ${st.rms}`);
      else {
        assert.ok(Math.abs(st.mean) < 1e-4, `${norm}: mean ${st.mean}`);
        assert.ok(Math.abs(st.variance - 1) < 2e-3, `${norm} G=${groups}: variance ${st.variance}`);
      }
    }
  }
});

test('the cube batch has different statistics per set (so the numbers shown differ)', () => {
  const x = cubeBatch(1);
  const means = [0, 1, 2, 3].map((n) => cellStats(x.data, sharedCells(x, 'layernorm', 1, [n, 0, 0]).cells).mean);
  assert.equal(new Set(means.map((m) => m.toFixed(3))).size, 4, `sample means ${means}`);
  assert.ok(nk.getBackend());
});

test('normalizeCube clamps and defaults; describeSet names the set', () => {
  assert.deepEqual(normalizeCube({ groups: 3, cell: [-1, 20, 2] }), { norm: 'groupnorm', groups: 2, cell: [0, 7, 2] });
  assert.match(describeSet('groupnorm', 4, [1, 5, 0]), /sample 2, group 3 of 4 \(channels 5-6\)/);
  assert.match(describeSet('batchnorm', 1, [1, 5, 0]), /channel 6 across all 4 samples/);
});
