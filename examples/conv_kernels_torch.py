"""PyTorch's side of `examples/conv_kernels.rs`: the two convolutions of conv_step,
forward and forward + backward, f32, median and range of 50 calls after 5 warm-ups.

Run: ~/.cache/tapegrad-peers-venv/bin/python examples/conv_kernels_torch.py [threads]
"""
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
REPS = 50


def timed(f):
    for _ in range(5):
        f()
    ts = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return ts[REPS // 2], ts[0], ts[-1]


print(f"torch {torch.__version__} threads {torch.get_num_threads()}")
cases = [
    ("conv1 [64,1,28,28]*[16,1,3,3]", (64, 1, 28, 28), (16, 1, 3, 3), False),
    ("conv2 [64,16,14,14]*[32,16,3,3]", (64, 16, 14, 14), (32, 16, 3, 3), True),
]
for name, xs, ws, needs_dx in cases:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(xs, generator=g)
    w = (torch.randn(ws, generator=g) * 0.3).requires_grad_()
    b = (torch.randn(ws[0], generator=g) * 0.3).requires_grad_()
    x.requires_grad_(needs_dx)
    with torch.no_grad():
        m, lo, hi = timed(lambda: F.conv2d(x, w, b, padding=1))
    print(f"{name} forward: {m:.3f} ms (min {lo:.3f}, max {hi:.3f})")
    dy = torch.randn(F.conv2d(x, w, b, padding=1).shape, generator=g)

    def step():
        y = F.conv2d(x, w, b, padding=1)
        inputs = [w, b] + ([x] if needs_dx else [])
        torch.autograd.grad(y, inputs, dy)

    m, lo, hi = timed(step)
    print(f"{name} forward+backward: {m:.3f} ms (min {lo:.3f}, max {hi:.3f})")
