import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import * as nk from 'normkit';
import { buildModule, registerExport } from '../../src/cli/export.js';
import { relError } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'normkit-export-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  let out = '';
  registerExport(program, (s) => (out += s));
  await program.parseAsync(['node', 'normkit', 'export', ...args]);
  return out;
}

async function ortRun(file: string, x: nk.Tensor): Promise<ArrayLike<number>> {
  const s = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)));
  return (await s.run({ input: new ort.Tensor('float32', x.data, x.shape) })).output!.data as Float32Array;
}

test('normkit export: JSON architecture + safetensors weights -> ONNX that onnxruntime runs like the trained module', async () => {
  const arch = {
    type: 'Sequential', layers: [
      { type: 'Linear', inFeatures: 4, outFeatures: 8 }, { type: 'BatchNorm1d', numFeatures: 8 }, { type: 'GELU' },
      { type: 'Linear', inFeatures: 8, outFeatures: 8 }, { type: 'RMSNorm', normalizedShape: [8], eps: 1e-6 }, { type: 'ReLU' },
      { type: 'Linear', inFeatures: 8, outFeatures: 3 },
    ],
  };
  nk.manualSeed(3);
  const trained = buildModule(arch);
  // a few training-mode passes so the running statistics are not the defaults
  for (let i = 0; i < 3; i++) nk.noGrad(() => trained.forward(nk.randn([16, 4], { rng: new nk.Rng(i) })));
  assert.ok(trained.stateDict()['1.num_batches_tracked']!.item() === 3);
  writeFileSync(join(dir, 'arch.json'), JSON.stringify(arch));
  writeFileSync(join(dir, 'w.safetensors'), nk.io.saveSafetensors(trained.stateDict()));
  const msg = await cli(['--arch', join(dir, 'arch.json'), '--model', join(dir, 'w.safetensors'), '--out', join(dir, 'm.onnx')]);
  assert.match(msg, /input 'input' \[1, 4\], output 'output' \[1, 3\]/);
  assert.match(msg, /12 tensors loaded/);
  const x = nk.randn([5, 4], { rng: new nk.Rng(9) });
  const want = nk.noGrad(() => trained.eval().forward(x));
  const e = relError(await ortRun(join(dir, 'm.onnx'), x), want.data);
  assert.ok(e < 1e-5, `relative error ${e}`);
});

test('normkit export: a TransformerBlock needs --input-shape; errors name the problem', async () => {
  const arch = { type: 'TransformerBlock', dModel: 8, nHeads: 2, dFF: 16, norm: 'rmsnorm', placement: 'pre' };
  writeFileSync(join(dir, 'tb.json'), JSON.stringify(arch));
  await assert.rejects(cli(['--arch', join(dir, 'tb.json'), '--out', join(dir, 'tb.onnx')]), /cannot infer the input shape of a TransformerBlock/);
  assert.equal(existsSync(join(dir, 'tb.onnx')), false);
  nk.manualSeed(4);
  const tb = buildModule(arch);
  writeFileSync(join(dir, 'tb.safetensors'), nk.io.saveSafetensors(tb.stateDict()));
  await cli(['--arch', join(dir, 'tb.json'), '--model', join(dir, 'tb.safetensors'), '--out', join(dir, 'tb.onnx'), '--input-shape', '1,5,8']);
  const x = nk.randn([3, 5, 8], { rng: new nk.Rng(2) });
  const e = relError(await ortRun(join(dir, 'tb.onnx'), x), nk.noGrad(() => tb.eval().forward(x)).data);
  assert.ok(e < 1e-5, `relative error ${e}`);
  // weights of another architecture are refused with the key names
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ type: 'Linear', inFeatures: 8, outFeatures: 8 }));
  await assert.rejects(cli(['--arch', join(dir, 'other.json'), '--model', join(dir, 'tb.safetensors'), '--out', join(dir, 'o.onnx')]), /missing keys: 'weight', 'bias'; unexpected keys: .*'self_attn.in_proj_weight'/);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ type: 'Conv9d' }));
  await assert.rejects(cli(['--arch', join(dir, 'bad.json'), '--out', join(dir, 'o.onnx')]), /unknown module type "Conv9d"/);
  assert.throws(() => buildModule({ type: 'Linear', inFeatures: 3 }), /Linear needs "outFeatures"/);
});
