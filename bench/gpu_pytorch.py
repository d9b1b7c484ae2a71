# The same MLPs as bench/gpu.ts in PyTorch fp32 (TF32 off), Adam, one fixed batch; prints one JSON line per shape and
# variant. FLOPs per step counted as 6 * params * batch, like the tfjs bench. Variants, each from the same seeded
# initial weights:
#   eager                  torch.optim.Adam defaults (what most code runs; foreach Adam on CUDA)
#   fused Adam             torch.optim.Adam(fused=True), eager forward/backward
#   fused Adam + CUDA graph  the whole step (forward, backward, fused Adam) captured once with torch.cuda.graph and
#                          replayed on static input tensors (PyTorch's "whole-network capture"; Adam(capturable=True))
#   torch.compile reduce-overhead  (--compile) the model compiled with mode="reduce-overhead" (CUDA graphs via
#                          Inductor), fused Adam eager
# Each variant's first --check-steps losses (default 100) are compared with eager's: "lossCheck" in its JSON line.
# CUDA is required unless --device cpu is given (then only eager and fused Adam run, graphs being CUDA-only): a
# machine without CUDA fails with a clear message instead of timing the CPU as if it were the GPU anchor.
import argparse
import json
import sys
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--shape", action="append", required=True, help="id:hidden:batch")
parser.add_argument("--seconds", type=float, default=4.0, help="timed seconds per variant")
parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
parser.add_argument("--check-steps", type=int, default=100, help="losses compared with eager's over this many steps")
parser.add_argument("--compile", action="store_true", help="also torch.compile(mode='reduce-overhead') (compiles for minutes)")
args = parser.parse_args()

if args.device == "cuda" and not torch.cuda.is_available():
    built = torch.version.cuda or "none (a CPU-only build)"
    sys.exit(f"gpu_pytorch.py: CUDA is not available (torch {torch.__version__}, built for CUDA {built}). "
             "The anchor must run on the GPU; pass --device cpu to time eager PyTorch on the CPU instead.")
device = args.device
torch.backends.cuda.matmul.allow_tf32 = False  # plain fp32, as tfjs-webgpu computes
torch.backends.cudnn.allow_tf32 = False


def sync():
    if device == "cuda":
        torch.cuda.synchronize()


def build(hidden):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(784, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10)).to(device)


def eager_step(model, optimizer, loss_fn, x, y):
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def graphed_step(model, optimizer, loss_fn, x, y, losses):
    """Whole-step CUDA graph (torch.cuda.graphs docs, "whole network capture"): warm up on a side stream, capture
    forward + backward + optimizer.step once, replay on the same static x and y. Warm-up losses go into `losses`."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach().clone())
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)  # grads are allocated inside the graph's pool and overwritten each replay
    with torch.cuda.graph(graph):
        static_loss = loss_fn(model(x), y)
        static_loss.backward()
        optimizer.step()

    def step():
        graph.replay()
        return static_loss
    return step


def make_variant(name, hidden, x, y, warm_losses):
    model = build(hidden)
    loss_fn = torch.nn.CrossEntropyLoss()
    if name == "eager":
        return model, eager_step(model, torch.optim.Adam(model.parameters(), lr=1e-3), loss_fn, x, y)
    if name == "fused Adam":
        return model, eager_step(model, torch.optim.Adam(model.parameters(), lr=1e-3, fused=True), loss_fn, x, y)
    if name == "fused Adam + CUDA graph":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True, capturable=True)
        return model, graphed_step(model, optimizer, loss_fn, x, y, warm_losses)
    if name == "torch.compile reduce-overhead":
        compiled = torch.compile(model, mode="reduce-overhead")
        inner = eager_step(compiled, torch.optim.Adam(model.parameters(), lr=1e-3, fused=True), loss_fn, x, y)

        def step():
            # A new iteration for CUDA-graph trees: the previous step's outputs may be overwritten from here on.
            torch.compiler.cudagraph_mark_step_begin()
            return inner()
        return model, step
    raise ValueError(name)


def measure(name, shape_id, hidden, batch):
    torch.manual_seed(1)
    x = torch.randn(batch, 784, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    warm_losses = []
    model, step = make_variant(name, hidden, x, y, warm_losses)
    # The first check-steps losses (the graph's warm-up steps count among them), kept on the device until read.
    losses = warm_losses[:args.check_steps]
    while len(losses) < args.check_steps:
        losses.append(step().detach().clone())
    checked = [float(v) for v in torch.stack(losses).cpu()]
    sync()
    start = time.perf_counter()
    for _ in range(5):
        step()
    sync()
    per_step = (time.perf_counter() - start) / 5
    steps = max(10, min(50000, int(args.seconds / max(per_step, 1e-6))))
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    elapsed = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    rate = steps / elapsed
    name_of_device = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    return {"shape": shape_id, "variant": name, "device": f"{device} ({name_of_device}, torch {torch.__version__})",
            "stepsPerSecond": rate, "tflops": 6 * params * batch * rate / 1e12, "steps": steps,
            "loss": float(loss), "checkedLosses": checked}


variants = ["eager", "fused Adam"]
if device == "cuda":
    variants.append("fused Adam + CUDA graph")
    if args.compile:
        variants.append("torch.compile reduce-overhead")
elif args.compile:
    print("gpu_pytorch.py: --compile skipped: reduce-overhead means CUDA graphs, which need --device cuda", file=sys.stderr)

for spec in args.shape:
    shape_id, hidden, batch = spec.split(":")
    hidden, batch = int(hidden), int(batch)
    reference = None
    for name in variants:
        try:
            result = measure(name, shape_id, hidden, batch)
        except Exception as error:  # one variant failing (e.g. no Triton for torch.compile) must not hide the others
            print(json.dumps({"shape": shape_id, "variant": name, "error": f"{type(error).__name__}: {error}"}), flush=True)
            continue
        if reference is None:
            reference = result["checkedLosses"]
            result["lossCheck"] = f"reference ({len(reference)} steps)"
        else:
            pairs = list(zip(result["checkedLosses"], reference))
            worst = max(abs(a - b) / max(abs(b), 1e-6) for a, b in pairs)
            result["lossCheck"] = f"max relative difference from eager {worst:.1e} over {len(pairs)} steps"
        del result["checkedLosses"]
        print(json.dumps(result), flush=True)
