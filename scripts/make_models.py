"""Retrain every model of the zoo from its recipe with the engine's command line.

    python scripts/make_models.py            # all models
    python scripts/make_models.py spiral     # just one

Each model is trained by ``python -m engine train engine/zoo/NAME.json --steps STEPS --out
engine/zoo/NAME.safetensors``; training is seeded, so the files come out the same on the same
NumPy build (and within float32 rounding elsewhere).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ZOO = Path(__file__).resolve().parent.parent / "engine" / "zoo"


def main(names: list[str]) -> int:
    index = json.loads((ZOO / "index.json").read_text(encoding="utf-8"))
    for name in names or list(index):
        if name not in index:
            print(f"unknown model {name!r}; the zoo has: {', '.join(index)}", file=sys.stderr)
            return 2
        rel = ZOO.relative_to(ZOO.parent.parent)
        cmd = [sys.executable, "-m", "engine", "train", str(rel / f"{name}.json"),
               "--steps", str(index[name]["steps"]), "--out", str(rel / f"{name}.safetensors"),
               "--quiet"]
        print("$", " ".join(cmd[1:]), flush=True)
        result = subprocess.run(cmd, cwd=ZOO.parent.parent)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
