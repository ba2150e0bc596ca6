// Mean cross-entropy over labelled rows and its gradient (runtime/backend.ts crossEntropy; reference:
// runtime/reference/ops.ts crossEntropy), for vocabularies of any size:
//   rows:     one workgroup per row; every invocation keeps an online (max, sum of exp) over its strided
//             share of the row in one read, then one max and one sum reduction (reduce.wgsl) give
//             lse = log sum_j exp(logits[n, j]); rowLoss[n] = lse - logits[n, target] (0 on ignored rows);
//             rowsGrad also writes dlogits[n, j] = (exp(logits[n, j] - lse) - [j = target]) / count.
//   finish:   one workgroup: loss[0] (=|+=) lossWeight sum_n rowLoss[n] / count (runtime/backend.ts LossInto).
// `logits` and `dlogits` are windows of the rows [rowBase, rowBase + rows) when the whole tensors exceed one
// binding (a large vocabulary times many tokens); targets and rowLoss are always indexed by the whole row.
// The reductions run for ignored rows too: a branch on a target read from memory before a barrier would
// not be uniform control flow.
// Letters: N rows, V vocabulary.

struct Params { rows: u32, vocab: u32, rowBase: u32, accumulate: u32, invCount: f32, lossWeight: f32 }

const IGNORE_INDEX = -100;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // [rows, V] window of [N, V]
@group(0) @binding(2) var<storage, read> targets: array<i32>;       // [N]
@group(0) @binding(3) var<storage, read_write> rowLoss: array<f32>; // [N]
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>; // [rows, V] window of [N, V] (rowsGrad)
// finish
@group(0) @binding(1) var<storage, read> rowLossIn: array<f32>;     // [N]
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;    // [1]

// log sum_j exp(logits[base + j]) over the row, computed by the whole workgroup.
fn rowLse(base: u32, lid: u32) -> f32 {
  var m = -3.0e38;
  var s = 0.0;
  for (var j = lid; j < p.vocab; j += WG) {
    let x = logits[base + j];
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  let top = workgroupMax(lid, m);
  return top + log(workgroupSum(lid, s * exp(m - top)));
}

fn rowIndex(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}

// The loss term of window row `row`; written once per row.
fn storeRowLoss(row: u32, base: u32, lse: f32, lid: u32) {
  let label = targets[p.rowBase + row];
  if (lid == 0u) {
    rowLoss[p.rowBase + row] = select(lse - logits[base + u32(max(label, 0))], 0.0, label == IGNORE_INDEX);
  }
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let row = rowIndex(wid, groups);
  if (row >= p.rows) { return; }
  let base = row * p.vocab;
  storeRowLoss(row, base, rowLse(base, lid), lid);
}

@compute @workgroup_size(WG)
fn rowsGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let row = rowIndex(wid, groups);
  if (row >= p.rows) { return; }
  let base = row * p.vocab;
  let lse = rowLse(base, lid);
  storeRowLoss(row, base, lse, lid);
  let label = targets[p.rowBase + row];
  let scale = select(p.invCount, 0.0, label == IGNORE_INDEX);
  for (var j = lid; j < p.vocab; j += WG) {
    let hot = select(0.0, 1.0, i32(j) == label);
    dlogits[base + j] = (exp(logits[base + j] - lse) - hot) * scale;
  }
}

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var n = lid; n < p.rows; n += WG) { s += rowLossIn[n]; }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { loss[0] = total * p.invCount * p.lossWeight + select(0.0, loss[0], p.accumulate != 0u); }
}
