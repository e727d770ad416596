/**
 * The backward pass: order the graph topologically (iteratively, so long
 * RNN unrolls do not overflow the stack), then run each node's rule in
 * reverse order with recording off, summing gradients where a tensor feeds
 * several ops.
 */
import { Tensor, setBackwardImpl } from '../tensor/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { noGrad } from './grad-mode.js';
import { closeScope, openScope } from '../tensor/scope.js';
import { binarySame } from '../kernels/js/elementwise.js';
import type { BackwardRule, OpName } from './ops.js';

/** The rule of every op, typed so that a missing one does not compile (functional/backward-rules.ts). */
export type RuleTable = { [K in OpName]: BackwardRule<K> };

let rules: RuleTable | null = null;

/**
 * Install the backward rules. functional/backward-rules.ts does it when it
 * is imported (every entry point of the package imports it): the rules call
 * the ops' backward functions, so autograd receives them instead of
 * importing functional/ (which imports autograd to record the ops).
 */
export function registerRules(table: RuleTable): void {
  rules = table;
}

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
  if (rules === null) {
    throw new Error("backward(): the autograd rules are not loaded; import 'normkit' (or 'normkit/functional', 'normkit/nn') before calling backward()");
  }
  const table = rules;
  const order = topoOrder(root);
  const slots = new Map<Tensor, Slot>();
  // Every tensor the rules make lives in this scope: a gradient is disposed as
  // soon as its node has consumed it, and whatever else is left at the end,
  // so backward's temporaries go back to the backend at once (without tidy too).
  const scope = openScope();
  /** How many pending slots hold each gradient tensor, and each array (rules may pass dout on, or reshape it). */
  const inSlots = new Map<Tensor, number>();
  const dataInSlots = new Map<TypedArray, number>();
  const hold = (g: Tensor, k: number): void => {
    const c = (inSlots.get(g) ?? 0) + k;
    if (c > 0) inSlots.set(g, c); else inSlots.delete(g);
    const d = g.data;
    const e = (dataInSlots.get(d) ?? 0) + k;
    if (e > 0) dataInSlots.set(d, e); else dataInSlots.delete(d);
  };
  /** Gradients stored on tensors by this pass, and their arrays. */
  const stored = new Set<Tensor>();
  const storedData = new Set<TypedArray>();
  const store = (g: Tensor): Tensor => {
    g.kept = true;
    engineGrads.add(g);
    stored.add(g);
    storedData.add(g.data);
    return g;
  };
  /** True when `g` is still a pending gradient. */
  const pending = (g: Tensor): boolean => inSlots.has(g);
  /** True when `g` is this pass's own tensor and nothing else (another slot, the seed, a stored gradient) uses its array. */
  const exclusive = (g: Tensor, slotsHolding: number): boolean => scope.tracked.has(g) && !stored.has(g) && g.data !== seed.data
    && !storedData.has(g.data) && (dataInSlots.get(g.data) ?? 0) === slotsHolding;
  /** Add gradient `g` into `t`'s slot: the first is taken as it is, later ones are summed (in place when the slot's tensor is ours alone). */
  const accumulate = (t: Tensor, g: Tensor): void => {
    if (!shapeEq(g.shape, t.shape)) {
      throw new Error(`internal: gradient of shape ${fmtShape(g.shape)} for a tensor of shape ${fmtShape(t.shape)} (op ${t.node?.op ?? 'leaf'})`);
    }
    const s = slots.get(t);
    if (!s) {
      slots.set(t, { g, owned: false });
      hold(g, 1);
      return;
    }
    if (!s.owned) {
      if (s.g === g || !exclusive(s.g, 1)) {
        hold(s.g, -1);
        s.g = s.g.clone();
        hold(s.g, 1);
      }
      s.owned = true;
    }
    binarySame(0, s.g.data, g.data, s.g.data);
    if (scope.tracked.has(g) && !stored.has(g) && !pending(g)) g.dispose(); // consumed
  };
  slots.set(root, { g: seed, owned: false });
  hold(seed, 1);
  try {
    noGrad(() => {
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k]!;
        const slot = slots.get(t);
        if (!slot) continue;
        slots.delete(t);
        const g = slot.g;
        hold(g, -1);
        if (t.node === null || t.retainsGrad) {
          if (t.grad && engineGrads.has(t.grad) && !t.grad.isDisposed) {
            // a later pass (gradient accumulation): add into the gradient an earlier pass made
            binarySame(0, t.grad.data, g.data, t.grad.data);
          } else if (t.grad) {
            t.grad = store(addInto(t.grad, g));
          } else {
            // the first gradient is taken as it is when this pass made it and nothing else shares it
            t.grad = store(exclusive(g, 0) ? g : g.clone());
          }
        }
        const node = t.node;
        if (node === null) continue;
        const needs = node.inputs.map((x) => x !== null && x.requiresGrad);
        const rule = table[node.op] as BackwardRule<OpName>;
        const grads = rule({ dout: g, out: t, inputs: node.inputs, saved: node.saved, needs });
        for (let i = 0; i < node.inputs.length; i++) {
          const x = node.inputs[i];
          const gi = grads[i];
          if (x && needs[i] && gi) accumulate(x, gi);
        }
        // The node has consumed its gradient: free it now unless it was stored or
        // passed on. Storage shared with other tensors (a reshape of the seed, say)
        // is reference-counted and survives until they are gone too.
        if (scope.tracked.has(g) && !stored.has(g) && !pending(g)) g.dispose();
      }
    });
  } finally {
    closeScope(scope, stored);
  }
}

/** Gradients backward() stored on tensors: its own, so later passes may add into them and zeroGrad may free them. */
const engineGrads = new WeakSet<Tensor>();

/**
 * Drop a gradient backward() stored (zeroGrad's set-to-none): its storage is
 * released at once when backward made it, so a training loop does not wait
 * for the garbage collector. A gradient the user assigned is only dropped.
 */
export function releaseGrad(t: Tensor): void {
  const g = t.grad;
  t.grad = null;
  if (g !== null && engineGrads.has(g)) g.dispose();
}

function addInto(a: Tensor, b: Tensor): Tensor {
  const out = a.clone();
  binarySame(0, out.data, b.data, out.data);
  return out;
}

setBackwardImpl(runBackward);
