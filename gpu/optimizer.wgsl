// The training ops (runtime/backend.ts; reference: runtime/reference/train-ops.ts):
//   adamw:       one invocation per parameter, PyTorch's AdamW with decoupled weight decay. The factors
//                1 - beta1, 1 - beta2, 1 - lr decay and the bias corrections c1 = 1 - beta1^step,
//                c2 = 1 - beta2^step come from the CPU in float64: 1 - f32(0.999) is off by 1e-5 relative.
//                The gradient's factor is scale[0], written on the device by stepStats: a non-finite one
//                (the step's loss or gradient went wrong) leaves param, m and v untouched.
//   sumSquares:  one workgroup walks the whole tensor with stride WG, then one reduction (reduce.wgsl);
//                out[0] (+)= the sum. Tensors are adapter parameters (thousands to a few million), called
//                once per tensor per step, so one workgroup keeps it a single dispatch without a second pass.
// (finite: finite.wgsl, prepended by optimizer.ts.)
// Letters: P parameters of one tensor.

struct Params {
  count: u32, accumulate: u32,
  lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, keep: f32, eps: f32,
  c1: f32, c2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>; // [P]
@group(0) @binding(2) var<storage, read> grad: array<f32>;        // [P]
@group(0) @binding(3) var<storage, read_write> m: array<f32>;     // [P]
@group(0) @binding(4) var<storage, read_write> v: array<f32>;     // [P]
@group(0) @binding(5) var<storage, read> scale: array<f32>;       // [S]: the gradient's factor in scale[0]
// sumSquares
@group(0) @binding(1) var<storage, read> t: array<f32>;           // [P]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // [1]

@compute @workgroup_size(WG)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  let s = scale[0];
  if (e >= p.count || !finite(s)) { return; }
  let g = s * grad[e];
  var w = param[e] * p.keep; // keep = 1 - lr weight_decay
  let mt = p.beta1 * m[e] + p.oneMinusBeta1 * g;
  let vt = p.beta2 * v[e] + p.oneMinusBeta2 * g * g;
  m[e] = mt;
  v[e] = vt;
  w -= (p.lr * (mt / p.c1)) / (sqrt(vt / p.c2) + p.eps);
  param[e] = w;
}

@compute @workgroup_size(WG)
fn sumSquares(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.count; i += WG) { let x = t[i]; s += x * x; }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { out[0] = total + select(0.0, out[0], p.accumulate != 0u); }
}

