# PyTorch (and PEFT's MiSS and LoRA when `import peft` works) on the benchmark's matmul and adapter-layer
# workloads, for `osteon bench`: the suite arrives as JSON on stdin, one platform result (bench/schema.ts)
# leaves as JSON on stdout. CPU always; CUDA too when torch sees a GPU (a second platform).
import json, math, os, platform, re, resource, sys, time

import torch

# As many threads as osteon's WebAssembly backend uses: every core.
torch.set_num_threads(os.cpu_count() or 1)

suite = json.load(sys.stdin)

def stat(samples, unit):
    s = sorted(samples)
    return {"median": s[(len(s) - 1) // 2], "min": s[0], "max": s[-1], "n": len(s), "unit": unit}

def repeat(fn, sync):
    fn(); sync()
    times, start = [], time.perf_counter()
    while len(times) < suite["minRuns"] or ((time.perf_counter() - start) * 1000 < suite["minMs"] and len(times) < 50):
        t0 = time.perf_counter(); fn(); sync(); times.append((time.perf_counter() - t0) * 1000)
    return times

def bone_forward(x, w, block, r):
    # PEFT MissLinear (init_weights=True): base output plus the chunk sum of the zero-padded input times the block.
    y = x @ w.T
    n_in = x.shape[-1]
    pad = (-n_in) % r
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    return y + x.reshape(x.shape[0], -1, r).sum(dim=1) @ block

def bat_forward(x, w, block, r):
    # PEFT MissLinear (init_weights="bat"): the block-affine weight W_ik (I + B_i) + B_i, then the linear.
    o, i = w.shape
    wb = w.reshape(o // r, r, i // r, r).permute(0, 2, 1, 3)
    delta = wb @ block.unsqueeze(1) + block.unsqueeze(1)
    w2 = w + delta.permute(0, 2, 1, 3).reshape(o, i)
    return x @ w2.T

def lora_forward(x, w, a, b, scale):
    return x @ w.T + (x @ a.T) @ b.T * scale

def run(device):
    sync = (lambda: torch.cuda.synchronize()) if device == "cuda" else (lambda: None)
    results = []
    for n in suite["matmul"]:
        dtypes = [torch.float32, torch.bfloat16] if device == "cpu" else [torch.float32, torch.float16]
        for dt in dtypes:
            g = torch.Generator().manual_seed(6)
            a = (torch.rand(n, n, generator=g) * 2 - 1).to(device, dt)
            w = (torch.rand(n, n, generator=g) * 2 - 1).to(device, dt)
            c = a @ w.T
            ref = a.double() @ w.double().T
            err = float((c.double() - ref).abs().max() / ref.abs().max())
            tol = 1e-4 if dt == torch.float32 else 2e-2
            if not err <= tol:
                raise SystemExit(f"matmul {n} {dt} differs from float64 by {err}")
            times = repeat(lambda: a @ w.T, sync)
            name = {torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16"}[dt]
            results.append({"workload": "matmul", "case": f"{n}x{n}x{n} {name}", "check": f"passed: vs float64 within {tol} ({err:.1e})",
                            "metrics": {"ms": stat(times, "ms"), "gflops": stat([2 * n ** 3 / (t * 1e6) for t in times], "GFLOP/s")}})
    N = suite["adapterTokens"]
    for o, i in suite["adapterShapes"]:
        r = min(64, o, i)
        lora_r = max(1, round(r * o / (i + o)))
        g = torch.Generator().manual_seed(1)
        w = ((torch.rand(o, i, generator=g) * 2 - 1) * 0.05).to(device)
        x = (torch.rand(N, i, generator=g) * 2 - 1).to(device).requires_grad_()
        dy = (torch.rand(N, o, generator=g) * 2 - 1).to(device)
        cases = [("frozen", lambda: x @ w.T, [])]
        block = ((torch.rand(r, o, generator=g) * 2 - 1) * 0.01).to(device).requires_grad_()
        cases.append((f"bone r={r}", lambda: bone_forward(x, w, block, r), [block]))
        if o % r == 0 and i % r == 0:
            bb = ((torch.rand(o // r, r, r, generator=g) * 2 - 1) * 0.01).to(device).requires_grad_()
            cases.append((f"bat r={r}", lambda: bat_forward(x, w, bb, r), [bb]))
        la = ((torch.rand(lora_r, i, generator=g) * 2 - 1) * 0.01).to(device).requires_grad_()
        lb = ((torch.rand(o, lora_r, generator=g) * 2 - 1) * 0.01).to(device).requires_grad_()
        cases.append((f"lora r={lora_r}", lambda: lora_forward(x, w, la, lb, 2.0), [la, lb]))
        # Check Bone's chunked form against its dense weight change (dW[o, c] = B[c mod r, o]).
        dense = w + block.detach().T.repeat(1, math.ceil(i / r))[:, :i]
        err = float(((bone_forward(x, w, block, r) - x @ dense.T).abs().max() / (x @ dense.T).abs().max()).detach())
        if not err <= 1e-4:
            raise SystemExit(f"bone forward differs from its dense form by {err}")
        for name, fwd, params in cases:
            def step():
                x.grad = None
                for p in params:
                    p.grad = None
                fwd().backward(dy)
            times = repeat(step, sync)
            results.append({"workload": "adapter", "case": f"{name}, {o}x{i}, N={N}", "check": f"passed: Bone's chunked form vs its dense weight ({err:.1e})",
                            "metrics": {"ms": stat(times, "ms")}})
    return results

def run_peft(device):
    """PEFT's own MiSS (Bone, Bat, mini) and LoRA layers on the adapter workload, forward + backward."""
    import peft
    miss_config = getattr(peft, "MissConfig", None) or peft.BoneConfig
    sync = (lambda: torch.cuda.synchronize()) if device == "cuda" else (lambda: None)

    class One(torch.nn.Module):
        def __init__(self, o, i):
            super().__init__()
            self.proj = torch.nn.Linear(i, o, bias=False)

        def forward(self, x):
            return self.proj(x)

    results = []
    N = suite["adapterTokens"]
    for o, i in suite["adapterShapes"]:
        r = min(64, o, i)
        lora_r = max(1, round(r * o / (i + o)))
        g = torch.Generator().manual_seed(1)
        x = (torch.rand(N, i, generator=g) * 2 - 1).to(device).requires_grad_()
        dy = (torch.rand(N, o, generator=g) * 2 - 1).to(device)
        configs = [("frozen", None), (f"bone r={r}", miss_config(r=r, target_modules=["proj"], init_weights=True)),
                   (f"mini r={r} m=16", miss_config(r=r, target_modules=["proj"], init_weights="mini", mini_r=16)),
                   (f"lora r={lora_r}", peft.LoraConfig(r=lora_r, lora_alpha=2 * lora_r, target_modules=["proj"]))]
        if o % r == 0 and i % r == 0:
            configs.insert(2, (f"bat r={r}", miss_config(r=r, target_modules=["proj"], init_weights="bat")))
        for name, config in configs:
            base = One(o, i).to(device)
            model = base if config is None else peft.get_peft_model(base, config)
            check = "passed: PEFT's own layer"
            if name.startswith("bone"):
                # PEFT's Bone against the chunked form above, with a random block.
                block = next(p for n, p in model.named_parameters() if "miss_block" in n or "bone_block" in n)
                with torch.no_grad():
                    block.copy_((torch.rand(block.shape, generator=g) * 2 - 1).to(device) * 0.01)
                want = bone_forward(x, model.base_model.model.proj.base_layer.weight, block, r)
                err = float(((model(x) - want).abs().max() / want.abs().max()).detach())
                if not err <= 1e-4:
                    raise RuntimeError(f"PEFT's Bone differs from the chunked form by {err}")
                check = f"passed: PEFT's Bone equals the chunked form ({err:.1e})"
            params = [p for p in model.parameters() if p.requires_grad]

            def step():
                x.grad = None
                for p in params:
                    p.grad = None
                model(x).backward(dy)
            times = repeat(step, sync)
            results.append({"workload": "adapter", "case": f"{name}, {o}x{i}, N={N}", "check": check, "metrics": {"ms": stat(times, "ms")}})
    return results

# Which BLAS float32 matmul runs on (a "generic" build calls the system libblas, which may be the slow
# reference one); the report shows it beside the figures.
found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
blas = found.group(1) if found else "unknown"

out = []
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
for device in devices:
    t0 = time.perf_counter()
    try:
        import peft  # noqa: F401
        peft_version = peft.__version__
    except Exception:
        peft_version = "not installed"
    name = torch.cuda.get_device_name() if device == "cuda" else (platform.processor() or platform.machine())
    results = run(device)
    out.append({"info": {"platform": f"pytorch-{device}", "backend": f"torch {device}", "device": name,
                         "details": {"torch": torch.__version__, "threads": torch.get_num_threads(), "peft": peft_version, "blas": blas},
                         "runtime": f"Python {platform.python_version()}"},
                "results": results, "memory": {"peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024},
                "seconds": time.perf_counter() - t0})
    if peft_version != "not installed":
        t0 = time.perf_counter()
        entry = {"info": {"platform": f"peft-{device}", "backend": f"PEFT {peft_version} on torch {device}", "device": name,
                          "details": {"torch": torch.__version__, "peft": peft_version}, "runtime": f"Python {platform.python_version()}"},
                 "memory": {}, "results": None}
        try:
            entry["results"] = run_peft(device)
        except Exception as e:  # a PEFT version whose API differs: reported, not fatal to the PyTorch figures
            entry["skipped"] = f"PEFT failed: {type(e).__name__}: {e}"[:300]
        entry["seconds"] = time.perf_counter() - t0
        out.append(entry)
print(json.dumps(out))
