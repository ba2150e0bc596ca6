#!/usr/bin/env bash
# The GPU check, one command, on a machine with a real GPU: osteon's doctor (every kernel, and every kernel
# variant the adapter may pick, against PEFT's golden cases on the GPU's WebGPU adapter), then the suite on
# Dawn's Vulkan/Metal/D3D12 adapter and WebAssembly with PyTorch (+PEFT) beside it (its matmul sweep and
# adapter layers, on CUDA when torch sees a GPU), then the SmolLM-135M-shaped training step on WebGPU (with
# its per-step device counters) and the same step in PyTorch + PEFT on CUDA. Installs nothing; run from a
# built checkout (`npm run build && node build.mjs --bench`): bench/gpu.sh [quick|full] [out-dir]
set -euo pipefail
suite=${1:-quick}
out=${2:-osteon-bench-gpu}
here="$(cd "$(dirname "$0")" && pwd)"
cli="$here/../dist/cli.js"
mkdir -p "$out"
node "$cli" info | tee "$out/info.txt"
node "$cli" doctor | tee "$out/doctor.txt"
node "$cli" bench --suite "$suite" --platforms node-webgpu,node-wasm --peers pytorch --out "$out"
if [ "$suite" = full ]; then layers=30; seq=256; else layers=4; seq=128; fi
if [ -f "$here/../build/bench/main.mjs" ]; then
  node "$here/../build/bench/main.mjs" train --backends webgpu --methods frozen,bone,lora --layers "$layers" --seq "$seq" --json \
    | tee "$out/train-webgpu.json"
else
  echo "training step on WebGPU: skipped (build the benchmarks first: node build.mjs --bench)"
fi
if python3 -c 'import torch, transformers' 2>/dev/null; then
  python3 "$here/peers/torch_train.py" --layers "$layers" --seq "$seq" --methods frozen,bone,lora | tee "$out/train-pytorch.json"
else
  echo "training step in PyTorch: skipped (python3 cannot import torch and transformers)"
fi
echo "report: $out/report.html; training steps: $out/train-webgpu.json beside $out/train-pytorch.json"
