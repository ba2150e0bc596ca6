// The compute interface every backend implements: tensors that live on the backend, and the ops that
// adapters and models are written in. Adapter and model code is written once against this interface and
// runs unchanged on `reference` (plain TypeScript, the oracle), `wasm` (AssemblyScript SIMD) and `webgpu`.
//
// Letters used in shape comments across the project:
//   N = tokens (batch * sequence), I = in_features, O = out_features, R = block size r,
//   M = mini_r (or any column count being tiled), K = inner dimension of a matmul, Bt = batch count.
//
// Ops write into tensors the caller passes (no hidden allocation, no hidden readback); reading back to the
// CPU is only ever the explicit, asynchronous `read`. Ops never alias: an output is never also an input
// unless the op says so.

export type BackendName = 'reference' | 'wasm' | 'webgpu';

export interface Tensor {
  /** Row-major shape. Values are float32 to every op and to read/write. */
  readonly shape: readonly number[];
  /** Number of elements (product of the shape). */
  readonly size: number;
  readonly label: string;
  /** How the backend stores the values: float32 unless made by `weight` in half precision (float16), which
   *  only the ops that document it accept (the others throw naming the tensor). Absent means float32. */
  readonly dtype?: 'float32' | 'float16';
}

export interface MatmulOptions {
  /** A is stored transposed: [Bt, K, M] instead of [Bt, M, K]. */
  transA?: boolean;
  /** B is stored transposed: [Bt, N, K] instead of [Bt, K, N]. */
  transB?: boolean;
  /** Scale on the product (default 1). */
  alpha?: number;
  /** C += alpha op(A) op(B) instead of C = alpha op(A) op(B). */
  accumulate?: boolean;
  /** Number of independent matrices stored back to back in A, B and C (default 1). */
  batch?: number;
}

export interface BackendInfo {
  name: BackendName;
  /** Human-readable device: adapter vendor/architecture, or the CPU features used. */
  device: string;
  /** Limits and features worth reporting (`osteon doctor`). */
  details: Record<string, string | number | boolean>;
}

export interface Backend {
  readonly name: BackendName;
  readonly info: BackendInfo;

  /** A new tensor; zero-filled unless `data` is given (its length must equal the shape's size). */
  tensor(shape: readonly number[], data?: Float32Array, label?: string): Tensor;
  /** A frozen weight: stored in half precision where the backend computes with it in float32 at half the
   *  memory (WebGPU with shader-f16), else exactly `tensor(shape, data, label)`. Backends without it store
   *  weights as float32. */
  weight?(shape: readonly number[], data: Float32Array, label?: string): Tensor;
  /** Copy the tensor's contents back to the CPU. Waits for all queued work that writes it. */
  read(t: Tensor): Promise<Float32Array>;
  /** Overwrite the tensor's contents from the CPU. */
  write(t: Tensor, data: Float32Array): void;
  /** dst = src (same size); between a float16 and a float32 tensor it converts (to float16 rounding to
   *  nearest). */
  copy(src: Tensor, dst: Tensor): void;
  /** Release the tensor's memory; using it afterwards is an error. */
  dispose(t: Tensor): void;
  /** Wait until all queued work has finished and surface any error it raised. */
  sync(): Promise<void>;
  /** Release the device. */
  destroy(): void;

  // ---- dense algebra ------------------------------------------------------------------------------
  /** C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N]; shapes given by the stored tensors. */
  matmul(a: Tensor, b: Tensor, c: Tensor, options?: MatmulOptions): void;
  /** y[n, o] += bias[o].  y [N, O], bias [O]. */
  addBias(y: Tensor, bias: Tensor): void;

  // ---- Bone / mini block indexing -------------------------------------------------------------------
  /** s[n, j] = sum_k x[n, k R + j], x zero-padded to whole chunks.  x [N, I], s [N, R] (overwritten). */
  chunkSum(x: Tensor, s: Tensor): void;
  /** dx[n, c] += ds[n, c mod R].  ds [N, R], dx [N, I]. */
  chunkScatterAdd(ds: Tensor, dx: Tensor): void;
  /** y[n, o] += p[n, o mod M].  p [N, M], y [N, O]; O % M == 0. */
  tileAdd(p: Tensor, y: Tensor): void;
  /** g~[n, m] = sum_t g[n, t M + m].  g [N, O], g~ [N, M] (overwritten); O % M == 0. */
  foldSum(g: Tensor, folded: Tensor): void;
  /** w[o, c] += sign * b[c mod R, o mod M].  b [R, M], w [O, I]. Bone (M = O) and mini merge. */
  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void;

  // ---- Bat block-affine ---------------------------------------------------------------------------------
  /** dst_ik = w_ik (I + m_i) + c_i for every R x R block (i output block, k input block).
   *  w, dst [O, I]; m, c [O/R, R, R]. dst must not alias w. */
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void;
  /** db_i = sum_k (w_ik + I)^T (g_i^T x_k), never forming the whole [O, I] product g^T x.
   *  w [O, I], g [N, O], x [N, I], db [O/R, R, R] (overwritten). */
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void;
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`[tensor] bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** The matrix dimensions of a matmul call, checked once so every backend reports shape errors alike. */
export interface MatmulDims { batch: number; m: number; n: number; k: number }

export function matmulDims(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): MatmulDims {
  const batch = o.batch ?? 1;
  const two = (t: Tensor, name: string): [number, number] => {
    if (t.shape.length < 2) throw new Error(`[matmul] ${name} must be at least 2-D, got [${t.shape.join(', ')}]`);
    const cols = t.shape[t.shape.length - 1];
    const rows = t.size / cols / batch;
    if (!Number.isInteger(rows)) throw new Error(`[matmul] ${name} [${t.shape.join(', ')}] does not split into batch=${batch}`);
    return [rows, cols];
  };
  const [ar, ac] = two(a, 'A');
  const [br, bc] = two(b, 'B');
  const [cr, cc] = two(c, 'C');
  const [m, k] = o.transA ? [ac, ar] : [ar, ac];
  const [kb, n] = o.transB ? [bc, br] : [br, bc];
  if (k !== kb || cr !== m || cc !== n) {
    throw new Error(`[matmul] shapes do not agree: op(A) ${m}x${k}, op(B) ${kb}x${n}, C ${cr}x${cc} ` +
      `(transA=${!!o.transA}, transB=${!!o.transB}, batch=${batch})`);
  }
  return { batch, m, n, k };
}
