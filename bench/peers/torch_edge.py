# PyTorch beside `npm run bench -- edge` (bench/edge.ts): the same LLaMA-family model (RMSNorm, rotate-half
# rotary embeddings, causal grouped-query attention, SwiGLU MLP, tied or untied LM head) and PEFT's Bone (MiSS
# init_weights=True) on every linear layer, written out in plain torch (no transformers), with random frozen
# weights in the given config's exact shapes, float32 on the CPU. One training step = forward, mean
# cross-entropy, backward into the Bone blocks only, AdamW. Reads {config, shape, seq, steps, r} as JSON on
# stdin; writes one result row (bench/edge.ts Row) as JSON on stdout.
import json, os, resource, sys, time

import torch
import torch.nn.functional as F

torch.set_num_threads(len(os.sched_getaffinity(0)))  # the cores this process may use, as osteon's wasm threads
job = json.load(sys.stdin)
c, seq, steps, r = job["config"], job["seq"], job["steps"], job["r"]
D, L, V = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
H, Hk = c["num_attention_heads"], c["num_key_value_heads"]
E = c.get("head_dim") or D // H
inter = c["intermediate_size"]
qkv_bias = c["model_type"] == "qwen2"
torch.manual_seed(0)

def frozen(*shape):
    return (torch.rand(*shape) * 0.07 - 0.035).requires_grad_(False)

class Bone:
    """PEFT MissLinear, init_weights=True: y = x W^T (+ b) + (chunk sum of zero-padded x) @ block."""
    def __init__(self, out_f, in_f, bias=False):
        self.w, self.b = frozen(out_f, in_f), (frozen(out_f) if bias else None)
        self.block = torch.zeros(r, out_f, requires_grad=True)
        self.pad = (-in_f) % r
    def __call__(self, x):
        y = F.linear(x, self.w, self.b)
        xp = F.pad(x, (0, self.pad)) if self.pad else x
        return y + xp.reshape(*x.shape[:-1], -1, r).sum(dim=-2) @ self.block

layers = [dict(q=Bone(H * E, D, qkv_bias), k=Bone(Hk * E, D, qkv_bias), v=Bone(Hk * E, D, qkv_bias), o=Bone(D, H * E),
               gate=Bone(inter, D), up=Bone(inter, D), down=Bone(D, inter), n1=torch.ones(D), n2=torch.ones(D)) for _ in range(L)]
embed = frozen(V, D)
head = embed if c.get("tie_word_embeddings", False) else frozen(V, D)
norm = torch.ones(D)
eps = c["rms_norm_eps"]
inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, E, 2, dtype=torch.float64) / E))
ang = torch.arange(seq, dtype=torch.float64)[:, None] * inv[None, :]
mask = torch.full((seq, seq), float("-inf")).triu(1)
cos, sin = torch.cat([ang.cos()] * 2, -1).float(), torch.cat([ang.sin()] * 2, -1).float()

def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

def rope(x):  # x [T, heads, E]
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos[:, None, :] + rot * sin[:, None, :]

def loss_of(ids):
    x = embed[ids]
    for p in layers:
        h = rms(x, p["n1"])
        q = rope(p["q"](h).view(seq, H, E)).transpose(0, 1)
        k = rope(p["k"](h).view(seq, Hk, E)).transpose(0, 1).repeat_interleave(H // Hk, 0)
        v = p["v"](h).view(seq, Hk, E).transpose(0, 1).repeat_interleave(H // Hk, 0)
        scores = (q @ k.transpose(1, 2)) / E ** 0.5 + mask  # [H, T, T]; torch 1.13 has no fused attention
        a = (scores.softmax(-1) @ v).transpose(0, 1).reshape(seq, H * E)
        x = x + p["o"](a)
        h = rms(x, p["n2"])
        x = x + p["down"](F.silu(p["gate"](h)) * p["up"](h))
    logits = rms(x, norm) @ head.T
    return F.cross_entropy(logits[:-1], ids[1:])

params = [m.block for p in layers for m in p.values() if isinstance(m, Bone)]
opt = torch.optim.AdamW(params, lr=2e-4)
ids = torch.tensor([(i * 7919) % V for i in range(seq)])

def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_of(ids)
    loss.backward()
    opt.step()
    return loss.item()

# No warm-up step: eager PyTorch compiles nothing, and a reference-BLAS build takes minutes per big step.
times = []
for _ in range(steps):
    t0 = time.perf_counter(); loss = step(); times.append(time.perf_counter() - t0)
times.sort()
step_s = times[len(times) // 2]
frozen_count = sum(t.numel() for p in layers for m in p.values() for t in ([m.w] + ([m.b] if m.b is not None else []) if isinstance(m, Bone) else [m])) \
    + embed.numel() + (0 if head is embed else head.numel()) + norm.numel()
print(json.dumps({
    "backend": f"torch {torch.__version__} cpu f32", "shape": job["shape"], "parameters": frozen_count, "seq": seq, "r": r,
    "trainable": sum(p.numel() for p in params), "weightsMiB": frozen_count * 4 / 2**20, "loadS": 0, "rssAfterLoadMiB": 0,
    "stepS": step_s, "tokensPerSecond": seq / step_s, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "loss": loss,
}))
