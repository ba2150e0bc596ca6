# PyTorch + PEFT beside `npm run bench -- train` (bench/train.ts): the same SmolLM-135M-shaped model (30
# layers, hidden 576, 9 heads / 3 key-value heads, intermediate 1536, vocabulary 49152, random weights), one
# sequence of T tokens, adapters on every linear layer of every block, one step = forward + backward (+ AdamW).
# Methods: frozen (no adapter, forward + backward), bone (PEFT MissConfig r=64), lora (r=32, alpha 64).
# CUDA when torch sees a GPU, else CPU. Prints one JSON object: {"device", "rows": [{method, stepMs, ...}]}.
# usage: python3 bench/peers/torch_train.py [--layers 30] [--seq 256] [--steps 3] [--methods frozen,bone,lora]
import argparse, json, time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--layers", type=int, default=30)
ap.add_argument("--seq", type=int, default=256)
ap.add_argument("--steps", type=int, default=3)
ap.add_argument("--methods", default="frozen,bone,lora")
args = ap.parse_args()

device = "cuda" if torch.cuda.is_available() else "cpu"
sync = (lambda: torch.cuda.synchronize()) if device == "cuda" else (lambda: None)

from transformers import LlamaConfig, LlamaForCausalLM

def model():
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=args.layers,
                      num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048, tie_word_embeddings=True,
                      rms_norm_eps=1e-5, rope_theta=10000.0)
    m = LlamaForCausalLM(cfg).to(device=device, dtype=torch.float32)
    for p in m.parameters():
        p.requires_grad_(False)
    return m

def adapted(m, method):
    try:
        import peft
    except ImportError:
        return None, "peft not installed"
    if method == "bone":
        if not hasattr(peft, "MissConfig"):
            return None, f"peft {peft.__version__} has no MissConfig"
        cfg = peft.MissConfig(r=64, target_modules="all-linear")
    else:
        cfg = peft.LoraConfig(r=32, lora_alpha=64, target_modules="all-linear", lora_dropout=0.0)
    return peft.get_peft_model(m, cfg), None

rows = []
ids = (torch.arange(args.seq, device=device) * 7919 % 49152).unsqueeze(0)
for method in args.methods.split(","):
    m = model()
    opt = None
    if method == "frozen":
        # Backward through every layer without trainable weights: ask for the input embeddings' gradient.
        def step():
            emb = m.get_input_embeddings()(ids).detach().requires_grad_(True)
            out = m(inputs_embeds=emb, labels=ids)
            out.loss.backward()
        trainable = 0
    else:
        m, why = adapted(m, method)
        if m is None:
            rows.append({"method": method, "skipped": why})
            continue
        params = [p for p in m.parameters() if p.requires_grad]
        trainable = sum(p.numel() for p in params)
        opt = torch.optim.AdamW(params, lr=1e-4)
        def step():
            out = m(input_ids=ids, labels=ids)
            out.loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    step(); sync()  # warm-up
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter(); step(); sync(); times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    ms = times[len(times) // 2]
    rows.append({"method": method, "trainable": trainable, "stepMs": ms, "tokensPerSecond": args.seq / (ms / 1000)})
    del m, opt
    if device == "cuda":
        torch.cuda.empty_cache()

name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
print(json.dumps({"device": f"{device}: {name}", "torch": torch.__version__, "layers": args.layers, "seq": args.seq, "rows": rows}, indent=2))
