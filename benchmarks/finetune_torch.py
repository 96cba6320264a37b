"""The fine-tuning lesson measured in PyTorch and in the engine, side by side, on the same data.

    .venv/bin/python benchmarks/finetune_torch.py        # needs torch (pip install torch==2.13.0)

Set-up (docs/fine-tuning.md): a 64-64-32 ReLU network pretrained on all ten digits of half a
(3,000 Adam steps, batch 32, lr 0.003), its head replaced and its hidden layers frozen, then
trained for 300 full-batch Adam steps (lr 0.01) on 10 examples per class of a new task on half
b, against the same architecture trained from scratch on the same examples; test accuracy on
the held-out rows of half b, mean of three seeds. The data, split, few-shot choice and input
scaling are the engine's, so only the training differs.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import zoo  # noqa: E402
from engine.trainer import Trainer  # noqa: E402

TASKS = [("even_odd", "digits-all", "even / odd"), ("ge5", "digits-all", "digit ≥ 5"),
         ("5-9", "digits-0to4", "5–9 from a 0–4 model")]


def task_data(task: str, seed: int, model: str) -> Trainer:
    """The engine's data for the new task, scaled with the pretrained model's standardizer."""
    return Trainer({"data": "digits", "digits_half": "b", "digits_task": task,
                    "train_per_class": 10, "seed": seed, "data_seed": seed, "model": model,
                    "freeze": [0, 1], "optimizer": "adam", "lr": 0.01, "batch_size": 0})


def torch_run(task: str, seed: int, model: str) -> tuple[float, float]:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    # pretraining, in torch, on the recipe's data
    recipe = zoo.recipe(model)
    pre = Trainer(recipe["config"])
    Xa = torch.tensor(pre.X_train, dtype=torch.float32)
    ya = torch.tensor(pre.data.y_train, dtype=torch.long)
    k_pre = pre.n_classes

    def net(k: int) -> nn.Sequential:
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                             nn.Linear(32, k))

    body = net(k_pre)
    opt = torch.optim.Adam(body.parameters(), lr=0.003)
    g = torch.Generator().manual_seed(seed)
    for _ in range(recipe["steps"]):
        idx = torch.randint(0, len(ya), (32,), generator=g)
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(body(Xa[idx]), ya[idx]).backward()
        opt.step()
    # the new task: the pretrained model's scaling of half b (as the engine feeds it)
    tr = task_data(task, seed, model)
    X = torch.tensor(tr.X_train, dtype=torch.float32)
    y = torch.tensor(tr.data.y_train, dtype=torch.long)
    Xt = torch.tensor(tr.X_test, dtype=torch.float32)
    yt = torch.tensor(tr.data.y_test, dtype=torch.long)
    k = tr.n_classes

    def fit(m: nn.Sequential, params: list[torch.nn.Parameter]) -> float:
        o = torch.optim.Adam(params, lr=0.01)
        for _ in range(300):
            o.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(m(X), y).backward()
            o.step()
        with torch.no_grad():
            return float((m(Xt).argmax(1) == yt).float().mean())

    body[4] = nn.Linear(32, k)  # a new head; the hidden layers frozen
    for p in list(body[0].parameters()) + list(body[2].parameters()):
        p.requires_grad_(False)
    tuned = fit(body, list(body[4].parameters()))
    scratch_net = net(k)
    scratch = fit(scratch_net, list(scratch_net.parameters()))
    return tuned, scratch


def engine_run(task: str, seed: int, model: str) -> tuple[float, float]:
    tuned = task_data(task, seed, model)
    tuned.step(300)
    scratch = Trainer({**tuned.config, "model": None, "freeze": [], "layers": [64, 32],
                       "activation": "relu", "init": "he"})
    scratch.step(300)
    return (tuned.evaluate(record=False)["test_acc"], scratch.evaluate(record=False)["test_acc"])


def main() -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: pip install torch==2.13.0", file=sys.stderr)
        return 2
    print("| new task | engine: fine-tuned / scratch | PyTorch: fine-tuned / scratch |")
    print("|---|---|---|")
    for task, model, title in TASKS:
        e = [engine_run(task, s, model) for s in range(3)]
        t = [torch_run(task, s, model) for s in range(3)]
        em = [statistics.mean(x) for x in zip(*e, strict=True)]
        tm = [statistics.mean(x) for x in zip(*t, strict=True)]
        print(f"| {title} | {em[0]:.3f} / {em[1]:.3f} | {tm[0]:.3f} / {tm[1]:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
