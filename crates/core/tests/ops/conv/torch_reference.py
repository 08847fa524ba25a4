"""Reference values of the convolution ops, computed by PyTorch in float64.

Writes `torch_reference.txt` next to this file, which `literal.rs` reads. Inputs are
small exact binary fractions from `pattern` (the same formula is in `literal.rs`), so
both sides start from identical numbers. Each case records the output y and the
gradients of sum(y * c) for the cotangent pattern c.

Run: ~/.cache/tapegrad-peers-venv/bin/python crates/core/tests/ops/conv/torch_reference.py
"""
import os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def pattern(shape, a, m, d, s):
    """((i * a) % m - d) / s for i = 0, 1, ... in row-major order."""
    n = 1
    for k in shape:
        n *= k
    return torch.tensor([((i * a) % m - d) / s for i in range(n)]).reshape(shape)


# name, function, x shape, w shape, has bias, keyword arguments
CASES = [
    ("conv2d_groups", F.conv2d, (2, 4, 5, 6), (6, 2, 3, 2), True,
     dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ("conv2d_same", F.conv2d, (1, 2, 5, 5), (3, 2, 4, 3), False,
     dict(padding="same", dilation=(1, 2))),
    ("conv2d_depthwise", F.conv2d, (2, 3, 6, 5), (6, 1, 3, 3), True,
     dict(stride=2, padding=1, groups=3)),
    ("conv_transpose2d_groups", F.conv_transpose2d, (2, 4, 3, 4), (4, 3, 3, 2), True,
     dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2)),
    ("conv_transpose2d_dilated", F.conv_transpose2d, (1, 2, 3, 3), (2, 2, 2, 3), False,
     dict(stride=1, padding=1, output_padding=1, dilation=2)),
    ("conv1d", F.conv1d, (2, 3, 7), (4, 3, 3), True,
     dict(stride=2, padding=1, dilation=2)),
    ("conv_transpose1d", F.conv_transpose1d, (2, 4, 5), (4, 1, 3), True,
     dict(stride=3, padding=1, output_padding=2, groups=2)),
]


def main():
    lines = []
    for name, f, xs, ws, bias, kw in CASES:
        x = pattern(xs, 7, 11, 5, 4).requires_grad_()
        w = pattern(ws, 5, 9, 4, 8).requires_grad_()
        inputs = [x, w]
        b = None
        if bias:
            out_ch = ws[0] if f in (F.conv1d, F.conv2d) else ws[1] * kw.get("groups", 1)
            b = pattern((out_ch,), 3, 5, 2, 2).requires_grad_()
            inputs.append(b)
        y = f(x, w, b, **kw)
        c = pattern(tuple(y.shape), 3, 7, 3, 2)
        grads = torch.autograd.grad((y * c).sum(), inputs)
        lines.append(f"case {name} {list(y.shape)}")
        for label, t in zip(["y", "dx", "dw", "db"], [y.detach(), *grads]):
            lines.append(label + " " + " ".join(repr(v) for v in t.flatten().tolist()))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.txt")
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
