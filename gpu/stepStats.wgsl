// An optimizer step's numbers on the device (runtime/backend.ts stepStats; reference:
// runtime/reference/train-ops.ts stepStats), one invocation: stats = [scale, loss, gradNorm], where scale is
// the factor adamw multiplies the summed gradients by (clipping and the mean over micro-batches at once),
// or NaN when the step must change nothing. A NaN already in stats[0] stays, so that steps the trainer
// queued behind a failed one change nothing either.

struct Params { maxNorm: f32, divisor: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> loss: array<f32>;        // [1]
@group(0) @binding(2) var<storage, read> normSq: array<f32>;      // [1]
@group(0) @binding(3) var<storage, read_write> stats: array<u32>; // [3] float32 bits (NAN_BITS: finite.wgsl)

@compute @workgroup_size(1)
fn stepStats() {
  let gradNorm = sqrt(normSq[0]) / p.divisor;
  var factor = 1.0;
  if (p.maxNorm > 0.0 && gradNorm > p.maxNorm) { factor = p.maxNorm / gradNorm; }
  let ok = finite(loss[0]) && finite(normSq[0]) && finite(gradNorm) && finiteBits(stats[0]);
  stats[0] = select(NAN_BITS, bitcast<u32>(factor / p.divisor), ok);
  stats[1] = bitcast<u32>(loss[0]);
  stats[2] = bitcast<u32>(gradNorm);
}
