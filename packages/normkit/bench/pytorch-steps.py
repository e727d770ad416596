"""
The models of bench/steady-steps.ts in PyTorch, timed the same way: one
training step (zero_grad, forward, loss, backward, Adam step) on a fixed
batch, median and fastest over repeated steps after warm-up, on ONE CPU
thread (torch.set_num_threads(1)), float32. Not part of npm test; run with a
Python that has torch (here: a venv with /opt/wheels' torch 2.13 CPU wheel):

    python3 packages/normkit/bench/pytorch-steps.py

Definitions mirror bench/models.ts and bench/train-steps.ts:
- MLP 784-100-100-10, BatchNorm1d before each ReLU, batch 32 (x ~ U[0,1));
- Pre-LN Transformer blocks (4 heads, FFN 4d, GELU, causal, no dropout) over
  an embedding of 64 tokens, final LayerNorm, linear head;
- CNN: 3 x (conv 3x3, 16 channels, no bias, BatchNorm2d, ReLU), 2x2 max-pool
  after the first two, linear 784 -> 10; batch 32 of 1x28x28;
- LayerNorm forward + backward at 4096 x 768 (with weight and bias).
Labels are i * 7 mod k, as there.
"""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)


def labels(n, k):
    return torch.tensor([(i * 7) % k for i in range(n)])


def mlp_bn():
    m = nn.Sequential(nn.Linear(784, 100), nn.BatchNorm1d(100), nn.ReLU(),
                      nn.Linear(100, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 10))
    x, y = torch.rand(32, 784), labels(32, 10)
    return m, lambda: F.cross_entropy(m(x), y)


class PreLn(nn.Module):
    def __init__(self, d, depth, vocab=64):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, activation='gelu',
                                                                batch_first=True, norm_first=True) for _ in range(depth)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens, mask):
        h = self.emb(tokens)
        for b in self.blocks:
            h = b(h, src_mask=mask, is_causal=True)
        return self.head(self.ln(h))


def pre_ln(d, depth, B, T, vocab=64):
    m = PreLn(d, depth, vocab)
    tokens = torch.tensor([(i * 13) % vocab for i in range(B * T)]).reshape(B, T)
    y = labels(B * T, vocab)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    return m, lambda: F.cross_entropy(m(tokens, mask).reshape(B * T, vocab), y)


def cnn_bn():
    layers = []
    for i in range(3):
        layers += [nn.Conv2d(1 if i == 0 else 16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        if i < 2:
            layers.append(nn.MaxPool2d(2))
    m = nn.Sequential(*layers, nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    x, y = torch.rand(32, 1, 28, 28), labels(32, 10)
    return m, lambda: F.cross_entropy(m(x), y)


def time_steps(model, loss, warm, reps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()

    for _ in range(warm):
        step()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms)


print(f'PyTorch {torch.__version__}, {torch.get_num_threads()} thread, float32')
for name, make, warm, reps in [
    ('MLP 784-100-100-10 + BatchNorm, batch 32', mlp_bn, 300, 1500),
    ('Pre-LN d64 x8, batch 16 x 8', lambda: pre_ln(64, 8, 16, 8), 10, 60),
    ('Pre-LN d64 x6, batch 16 x 32', lambda: pre_ln(64, 6, 16, 32), 5, 30),
    ('Pre-LN d128 x4, batch 32 x 64', lambda: pre_ln(128, 4, 32, 64), 3, 10),
    ('CNN 3 x (conv 16 + BatchNorm + ReLU), batch 32', cnn_bn, 10, 60),
]:
    m, l = make()
    med, best = time_steps(m, l, warm, reps)
    print(f'{name}: median {med:.2f} ms, fastest {best:.2f} ms ({reps} steps after {warm})')

# LayerNorm forward + backward at 4096 x 768, against a copy of the same bytes
x = torch.randn(4096, 768, requires_grad=True)
ln = nn.LayerNorm(768)
g = torch.randn(4096, 768)
dst = torch.empty(4096, 768)
src = torch.randn(4096, 768)


def med_ms(f, reps=30):
    for _ in range(3):
        f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def fwd_bwd():
    x.grad = None
    ln.weight.grad = None
    ln.bias.grad = None
    ln(x).backward(g)


copy = med_ms(lambda: dst.copy_(src))
fb = med_ms(fwd_bwd)
print(f'LayerNorm forward+backward 4096x768: {fb:.2f} ms ({fb / copy:.2f}x a copy of {copy:.3f} ms)')
