/**
 * The affine map of a fully connected layer, fused into one primitive op:
 * `y = x @ W^T + b`, as `torch.nn.functional.linear`.
 *
 * Shapes:  x [*, in] viewed as [rows, in], W [out, in], b [out], y [*, out].
 *
 *   forward:   y = x W^T + b               (one NT gemm, bias pre-filled)
 *   backward:  dx = dy W                    (NN gemm)
 *              dW = dy^T x                  (TN gemm over all rows)
 *              db = sum over rows of dy     (accumulated in float64)
 *
 * Fusing avoids the transpose copy of W and the broadcast add that an
 * unfused `add(matmul(x, transpose(W)), b)` would record.
 */
import { Tensor } from '../tensor/tensor.js';
import { type DType, type TypedArray, allocate, allocateUninit, promote } from '../tensor/dtype.js';
import { colSum } from '../kernels/js/elementwise.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { gemm } from '../kernels/js/gemm.js';

/** View `a` as `dtype` (copying only when the dtypes differ). */
export function asDType(a: TypedArray, dtype: DType): TypedArray {
  if (dtype === 'float64') return a instanceof Float64Array ? a : Float64Array.from(a);
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/**
 * `y = x @ weight^T + bias` over the last dim of `x` (any leading dims).
 * @param x input `[*, in]`
 * @param weight `[out, in]` (PyTorch layout)
 * @param bias `[out]` or null
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim !== 2) throw new RangeError(`linear: expected a 2-D weight [out, in], got ${fmtShape(weight.shape)}`);
  const outF = weight.shape[0]!;
  const inF = weight.shape[1]!;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`linear: expected input with shape [*, ${inF}], got ${fmtShape(x.shape)}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new RangeError(`linear: expected bias with shape [${outF}], got ${fmtShape(bias.shape)}`);
  }
  const rows = inF === 0 ? x.shape.slice(0, -1).reduce((a, b) => a * b, 1) : x.size / inF;
  let dtype = promote(x.dtype, weight.dtype);
  if (bias) dtype = promote(dtype, bias.dtype);
  // the gemm writes every element (it starts each row from the bias, or zero)
  const out = allocateUninit(dtype, rows * outF);
  gemm(asDType(x.data, dtype), 0, asDType(weight.data, dtype), 0, out, 0, rows, outF, inF, false, true, false, bias ? asDType(bias.data, dtype) : null);
  return record(new Tensor(out, [...x.shape.slice(0, -1), outF]), 'linear', [x, weight, bias], null);
}

/** Gradients of `linear` given dy: `[dx, dW, db]` (null where `needs` is false). */
export function linearBackward(
  dout: Tensor, x: Tensor, weight: Tensor, bias: Tensor | null, needs: readonly boolean[],
): (Tensor | null)[] {
  const outF = weight.shape[0]!;
  const inF = weight.shape[1]!;
  const rows = outF === 0 ? 0 : dout.size / outF;
  const dtype = dout.dtype;
  const dy = dout.data;
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    const g = outF > 0 ? allocateUninit(dtype, rows * inF) : allocate(dtype, rows * inF); // the gemm overwrites when K > 0
    gemm(dy, 0, asDType(weight.data, dtype), 0, g, 0, rows, inF, outF, false, false, false, null);
    dx = new Tensor(asDType(g, x.dtype), x.shape);
  }
  if (needs[1]) {
    const g = rows > 0 ? allocateUninit(dtype, outF * inF) : allocate(dtype, outF * inF);
    gemm(dy, 0, asDType(x.data, dtype), 0, g, 0, outF, inF, rows, true, false, false, null);
    dw = new Tensor(asDType(g, weight.dtype), weight.shape);
  }
  if (needs[2] && bias) {
    const acc = new Float64Array(outF);
    colSum(dy, acc, rows, outF); // column sums in row order, float64
    const g = allocate(bias.dtype, outF);
    g.set(acc);
    db = new Tensor(g, bias.shape);
  }
  return [dx, dw, db];
}
