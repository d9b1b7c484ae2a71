# The same MLPs as bench/gpu.ts in PyTorch fp32 (CUDA when present), Adam, one fixed batch; prints JSON lines.
# FLOPs per step counted as 6 * params * batch, like the tfjs bench.
import argparse, json, time
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--shape", action="append", required=True, help="id:hidden:batch")
parser.add_argument("--seconds", type=float, default=4.0)
args = parser.parse_args()
device = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False  # plain fp32, as tfjs-webgpu computes
torch.backends.cudnn.allow_tf32 = False

def sync():
    if device == "cuda":
        torch.cuda.synchronize()

for spec in args.shape:
    shape_id, hidden, batch = spec.split(":")
    hidden, batch = int(hidden), int(batch)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 784, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    for _ in range(10):
        step()
    sync()
    start = time.perf_counter(); step(); sync(); per_step = time.perf_counter() - start
    steps = max(10, min(20000, int(args.seconds / max(per_step, 1e-5))))
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    elapsed = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    rate = steps / elapsed
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print(json.dumps({"shape": shape_id, "device": f"{device} ({name}, torch {torch.__version__})", "stepsPerSecond": rate,
                      "tflops": 6 * params * batch * rate / 1e12, "steps": steps, "loss": float(loss)}), flush=True)
