/**
 * The backward pass: order the graph topologically (iteratively, so long
 * RNN unrolls do not overflow the stack), then run each node's rule in
 * reverse order with recording off, summing gradients where a tensor feeds
 * several ops.
 */
import { Tensor } from '../tensor/tensor.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { noGrad } from './grad-mode.js';
import { rules } from './rules.js';
import type { BackwardRule, OpName } from './ops.js';

interface Slot {
  g: Tensor;
  /** True when `g` is our own buffer (safe to add into in place). */
  owned: boolean;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const c = inputs[i];
      if (c && c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // children before parents; reverse for backward
}

function accumulate(slots: Map<Tensor, Slot>, t: Tensor, g: Tensor): void {
  if (!shapeEq(g.shape, t.shape)) {
    throw new Error(`internal: gradient of shape ${fmtShape(g.shape)} for a tensor of shape ${fmtShape(t.shape)} (op ${t.node?.op ?? 'leaf'})`);
  }
  const s = slots.get(t);
  if (!s) {
    slots.set(t, { g, owned: false });
    return;
  }
  if (!s.owned) {
    s.g = new Tensor(s.g.data.slice(), s.g.shape);
    s.owned = true;
  }
  const a = s.g.data;
  const b = g.data;
  for (let i = 0; i < a.length; i++) a[i] += b[i]!;
}

/** Run reverse-mode autograd from `root` (see Tensor.backward). */
export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward() called on a tensor that does not require grad (no input had requiresGrad=true, or it was computed inside noGrad)');
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new Error(`backward() without a gradient needs a one-element tensor, got shape ${fmtShape(root.shape)}`);
    }
    seed = new Tensor(root.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), root.shape);
  } else {
    if (!shapeEq(grad.shape, root.shape)) {
      throw new RangeError(`backward(grad): grad shape ${fmtShape(grad.shape)} differs from the tensor's ${fmtShape(root.shape)}`);
    }
    seed = grad;
  }
  const order = topoOrder(root);
  const slots = new Map<Tensor, Slot>();
  slots.set(root, { g: seed, owned: false });
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const slot = slots.get(t);
      if (!slot) continue;
      slots.delete(t);
      if (t.node === null || t.retainsGrad) {
        t.grad = t.grad ? addInto(t.grad, slot.g) : slot.owned ? slot.g : new Tensor(slot.g.data.slice(), slot.g.shape);
      }
      const node = t.node;
      if (node === null) continue;
      const needs = node.inputs.map((x) => x !== null && x.requiresGrad);
      const rule = rules[node.op] as BackwardRule<OpName>;
      const grads = rule({ dout: slot.g, out: t, inputs: node.inputs, saved: node.saved, needs });
      for (let i = 0; i < node.inputs.length; i++) {
        const x = node.inputs[i];
        const g = grads[i];
        if (x && needs[i] && g) accumulate(slots, x, g);
      }
    }
  });
}

function addInto(a: Tensor, b: Tensor): Tensor {
  const out = new Tensor(a.data.slice(), a.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] += b.data[i]!;
  return out;
}
