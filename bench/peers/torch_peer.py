# The PyTorch side of `SharpLens.Bench peer`: a nanoGPT-style GPT-2 and an HF-style Llama in eager PyTorch, timed on
# batch x seq random tokens, plain forward or forward with forward hooks storing every activation (TransformerLens style,
# per-head results included). Prints one JSON line. Random weights; no checkpoint is read.
# Reference: nanoGPT model.py (GPT-2 blocks), HF modeling_llama.py (eager LlamaDecoderLayer), TransformerLens HookPoint.
# Deviation: the cache run computes LayerNorm/RMSNorm in TransformerLens's decomposed form (hook_scale, hook_normalized)
# and the per-head result (TransformerLens use_attn_result), as a TransformerLens user caching everything gets.
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # GPT-2 small (124M): HF config of "gpt2".
    "gpt2": dict(n_layer=12, d_model=768, n_head=12, d_mlp=3072, vocab=50257, n_pos=1024, eps=1e-5),
    # SmolLM-135M's shape (LlamaForCausalLM): 30 layers, GQA 9 query / 3 kv heads, tied embeddings.
    "llama": dict(n_layer=30, d_model=576, n_head=9, n_kv=3, d_mlp=1536, vocab=49152, eps=1e-5, theta=10000.0),
}


class HookPoint(nn.Identity):
    """A named site, as TransformerLens: an identity module that forward hooks attach to."""


def rss_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class Norm(nn.Module):
    """LayerNorm (GPT-2) or RMSNorm (Llama): fused in a plain forward, TransformerLens's decomposed form when caching."""

    def __init__(self, d, eps, rms, decomposed):
        super().__init__()
        self.rms, self.eps, self.decomposed = rms, eps, decomposed
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = None if rms else nn.Parameter(torch.zeros(d))
        self.hook_scale, self.hook_normalized = HookPoint(), HookPoint()

    def forward(self, x):
        if self.rms:  # HF LlamaRMSNorm: float32 statistics, cast back before the weight
            xf = x.float()
            if self.decomposed:
                scale = self.hook_scale((xf.pow(2).mean(-1, keepdim=True) + self.eps).sqrt())
                return self.hook_normalized(self.weight * (xf / scale).to(x.dtype))
            return self.hook_normalized(self.weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype))
        if self.decomposed:
            xf = x.float()
            xf = xf - xf.mean(-1, keepdim=True)
            scale = self.hook_scale((xf.pow(2).mean(-1, keepdim=True) + self.eps).sqrt())
            return self.hook_normalized((xf / scale).to(x.dtype) * self.weight + self.bias)
        return self.hook_normalized(F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, s, llama, cache):
        super().__init__()
        d, self.nh = s["d_model"], s["n_head"]
        self.nkv = s.get("n_kv", self.nh)
        self.dh = d // self.nh
        self.llama, self.cache = llama, cache
        if llama:
            self.q_proj = nn.Linear(d, self.nh * self.dh, bias=False)
            self.k_proj = nn.Linear(d, self.nkv * self.dh, bias=False)
            self.v_proj = nn.Linear(d, self.nkv * self.dh, bias=False)
            self.o_proj = nn.Linear(self.nh * self.dh, d, bias=False)
        else:
            self.c_attn = nn.Linear(d, 3 * d)
            self.o_proj = nn.Linear(d, d)
        for n in ["hook_q", "hook_k", "hook_v", "hook_rot_q", "hook_rot_k", "hook_attn_scores", "hook_pattern", "hook_z", "hook_result"]:
            setattr(self, n, HookPoint())
        self.flash = hasattr(F, "scaled_dot_product_attention")  # nanoGPT: torch >= 2.0

    def forward(self, x, cos, sin, causal):
        b, p, d = x.shape
        if self.llama:
            q = self.hook_q(self.q_proj(x).view(b, p, self.nh, self.dh))      # [batch, pos, head, d_head]
            k = self.hook_k(self.k_proj(x).view(b, p, self.nkv, self.dh))
            v = self.hook_v(self.v_proj(x).view(b, p, self.nkv, self.dh))
            c, s_ = cos.unsqueeze(2), sin.unsqueeze(2)
            q = self.hook_rot_q(q * c + rotate_half(q) * s_)
            k = self.hook_rot_k(k * c + rotate_half(k) * s_)
            if self.nkv != self.nh:                                            # HF repeat_kv
                k = k.repeat_interleave(self.nh // self.nkv, dim=2)
                v = v.repeat_interleave(self.nh // self.nkv, dim=2)
        else:
            q, k, v = self.c_attn(x).split(d, dim=2)
            q = self.hook_q(q.view(b, p, self.nh, self.dh))
            k = self.hook_k(k.view(b, p, self.nh, self.dh))
            v = self.hook_v(v.view(b, p, self.nh, self.dh))
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)     # [batch, head, pos, d_head]
        if self.flash and not self.cache:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dh))
            att = self.hook_attn_scores(att.masked_fill(~causal, torch.finfo(att.dtype).min))
            pattern = self.hook_pattern(F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype))
            y = pattern @ v
        z = self.hook_z(y.transpose(1, 2))                                     # [batch, pos, head, d_head]
        if not self.cache:
            return self.o_proj(z.reshape(b, p, d))
        w_o = self.o_proj.weight.T.reshape(self.nh, self.dh, d)               # [head, d_head, d_model]
        result = self.hook_result(torch.einsum("bphd,hdm->bphm", z, w_o))      # TransformerLens use_attn_result
        out = result.sum(2)
        return out if self.o_proj.bias is None else out + self.o_proj.bias


class Mlp(nn.Module):
    def __init__(self, s, llama):
        super().__init__()
        d, m = s["d_model"], s["d_mlp"]
        self.llama = llama
        if llama:
            self.gate_proj, self.up_proj = nn.Linear(d, m, bias=False), nn.Linear(d, m, bias=False)
            self.down_proj = nn.Linear(m, d, bias=False)
        else:
            self.c_fc, self.c_proj = nn.Linear(d, m), nn.Linear(m, d)
        self.hook_pre, self.hook_pre_linear, self.hook_post = HookPoint(), HookPoint(), HookPoint()

    def forward(self, x):
        if self.llama:
            return self.down_proj(self.hook_post(F.silu(self.hook_pre(self.gate_proj(x))) * self.hook_pre_linear(self.up_proj(x))))
        return self.c_proj(self.hook_post(F.gelu(self.hook_pre(self.c_fc(x)), approximate="tanh")))


class Block(nn.Module):
    def __init__(self, s, llama, cache):
        super().__init__()
        rms = llama
        self.ln1 = Norm(s["d_model"], s["eps"], rms, cache)
        self.attn = Attention(s, llama, cache)
        self.ln2 = Norm(s["d_model"], s["eps"], rms, cache)
        self.mlp = Mlp(s, llama)
        for n in ["hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"]:
            setattr(self, n, HookPoint())

    def forward(self, x, cos, sin, causal):
        x = self.hook_resid_pre(x)
        mid = self.hook_resid_mid(x + self.hook_attn_out(self.attn(self.ln1(x), cos, sin, causal)))
        return self.hook_resid_post(mid + self.hook_mlp_out(self.mlp(self.ln2(mid))))


class Model(nn.Module):
    def __init__(self, arch, cache):
        super().__init__()
        s = SHAPES[arch]
        self.s, self.llama = s, arch == "llama"
        self.embed = nn.Embedding(s["vocab"], s["d_model"])
        self.pos_embed = None if self.llama else nn.Embedding(s["n_pos"], s["d_model"])
        self.blocks = nn.ModuleList([Block(s, self.llama, cache) for _ in range(s["n_layer"])])
        self.ln_final = Norm(s["d_model"], s["eps"], self.llama, cache)
        self.hook_embed, self.hook_pos_embed = HookPoint(), HookPoint()

    def forward(self, ids):                                                    # ids: [batch, pos]
        b, p = ids.shape
        x = self.hook_embed(self.embed(ids))
        cos = sin = None
        if self.llama:
            dh = self.s["d_model"] // self.s["n_head"]
            inv = 1.0 / (self.s["theta"] ** (torch.arange(0, dh, 2, dtype=torch.int64).float() / dh))
            f = torch.arange(p).float()[:, None] * inv[None, :]
            emb = torch.cat((f, f), dim=-1)[None]                              # [1, pos, d_head]
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        else:
            x = x + self.hook_pos_embed(self.pos_embed(torch.arange(p)))[None]
        causal = torch.ones(p, p, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, cos, sin, causal)
        return F.linear(self.ln_final(x), self.embed.weight)                   # tied unembedding: [batch, pos, d_vocab]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=sorted(SHAPES), required=True)
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], required=True)
    ap.add_argument("--mode", choices=["forward", "cache"], required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cache_mode = a.mode == "cache"
    with torch.no_grad():
        model = Model(a.arch, cache_mode)
        for n, p in model.named_parameters():
            if "ln" in n or n.endswith(".bias"):
                continue
            p.normal_(0.0, 0.02)
        model = model.to(getattr(torch, a.dtype)).eval()
    params = sum(p.numel() for n, p in model.named_parameters())
    rss_loaded = rss_mib("VmRSS:")
    ids = torch.randint(0, SHAPES[a.arch]["vocab"], (a.batch, a.seq))
    store = {}
    handles = []
    if cache_mode:
        for name, m in model.named_modules():
            if isinstance(m, HookPoint):
                handles.append(m.register_forward_hook(lambda mod, inp, out, name=name: store.__setitem__(name, out.detach())))
    reset_peak()
    times, n_cached, cached_bytes = [], 0, 0
    with torch.inference_mode():
        for i in range(a.warmup + a.reps):
            store.clear()
            if i == a.warmup:
                cpu0 = time.process_time()
            t0 = time.perf_counter()
            logits = model(ids)
            dt = time.perf_counter() - t0
            if i >= a.warmup:
                times.append(dt)
            n_cached = len(store) + 1                                           # + the logits, which SharpLens's cache also owns
            cached_bytes = sum(t.numel() * t.element_size() for t in store.values()) + logits.numel() * logits.element_size()
            del logits
    cpu = time.process_time() - cpu0
    mean = sum(times) / len(times)
    print(json.dumps({
        "side": "pytorch", "version": torch.__version__, "arch": a.arch, "dtype": a.dtype, "mode": a.mode,
        "params": params, "threads": torch.get_num_threads(), "tokens": a.batch * a.seq, "times_s": times,
        "tokens_per_s": a.batch * a.seq / mean, "cpu_s": cpu, "rss_loaded_mib": rss_loaded, "peak_rss_mib": rss_mib("VmHWM:"),
        "cached_tensors": n_cached if cache_mode else 0, "cached_bytes": cached_bytes if cache_mode else 0,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
