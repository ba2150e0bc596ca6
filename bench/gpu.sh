#!/usr/bin/env bash
# The benchmark on a machine with a real GPU: osteon's doctor (every kernel against PEFT's golden cases on
# the GPU's WebGPU adapter), then the suite on Dawn's Vulkan/Metal/D3D12 adapter and WebAssembly, with
# PyTorch (+PEFT) on CUDA beside it when python3 imports torch. Installs nothing; run from a built checkout
# or an installed package: bench/gpu.sh [quick|full] [out-dir]
set -euo pipefail
suite=${1:-quick}
out=${2:-osteon-bench-gpu}
cli="$(dirname "$0")/../dist/cli.js"
node "$cli" info
node "$cli" doctor
node "$cli" bench --suite "$suite" --platforms node-webgpu,node-wasm --peers pytorch --out "$out"
echo "report: $out/report.html"
