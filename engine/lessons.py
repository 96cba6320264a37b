"""Ready lessons for a class: a run configuration, a short explanation, a question to ask and
what to look at, in English and Japanese.

The content lives in engine/lessons.json and is checked when this module is imported: every
configuration (and every variant of it) passes ``engine.config.validate``, every text exists in
every language, and every race has valid runners.

    >>> catalogue("ja")[0]["title"]              # the menu, in one language
    >>> runs("xor-needs-hidden-layer")           # [{"name", "label", "config"}, ...]
    >>> measure("xor-needs-hidden-layer")        # trains each variant and returns its figures

A lesson has one run, several ``variants`` (each a set of changes over the lesson's
configuration, e.g. before and after dropout), or a ``race`` (optimizer settings trained side by
side, see engine/race.py). ``figure`` names the figure of ``measure`` its claim rests on;
docs/lessons.md lists every lesson with its claim and the figure measured.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .config import ConfigError, validate
from .race import Race, check_runners, runner_label
from .trainer import Trainer

LESSONS_FILE = Path(__file__).resolve().parent / "lessons.json"
LANGS = ("en", "ja")
TEXTS = ("title", "explanation", "question", "look_at")
FOCUS = ("surface", "network", "loss", "accuracy", "grad_norm", "confusion", "digits")
"""Views a lesson asks the page to show first (the charts, the surface, ...)."""
FIGURES = {
    "train_loss": "training loss (data loss) after the lesson's steps",
    "test_loss": "test loss after the lesson's steps",
    "train_acc": "training accuracy after the lesson's steps",
    "test_acc": "test accuracy after the lesson's steps",
    "loss_gap": "test loss minus training loss after the lesson's steps",
    "diverged": "whether the run diverged (its loss or update became NaN or infinite)",
    "train_loss_noise": "standard deviation of the step-to-step change of the training loss, "
                        "evaluated on the whole training set after every step",
    "batch_loss_noise": "standard deviation of the step-to-step change of the loss of each "
                        "step's own batch",
    "grad_attenuation": "median over the steps of ‖dL/dW‖ of the last layer divided by that "
                        "of the first layer",
    "unit_spread": "largest difference between the incoming weights of two units of the same "
                   "hidden layer (0: every unit identical)",
    "winner": "the race runner that reached the target loss first",
}
MAX_STEPS = 5000


class LessonError(ValueError):
    """lessons.json breaks a rule; the message names the lesson and the field."""


# ------------------------------------------------------------------ loading
def _check_texts(where: str, d: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        t = d.get(key)
        if not isinstance(t, Mapping):
            raise LessonError(f"{where}: {key} must be an object with the languages "
                              + ", ".join(LANGS))
        for lang in LANGS:
            if not isinstance(t.get(lang), str) or not t[lang].strip():
                raise LessonError(f"{where}: {key}.{lang} is missing or empty")
        extra = set(t) - set(LANGS)
        if extra:
            raise LessonError(f"{where}: {key} has unknown languages {sorted(extra)}; "
                              "allowed: " + ", ".join(LANGS))


def _check_lesson(d: Any, seen: set[str]) -> dict[str, Any]:
    if not isinstance(d, Mapping) or not isinstance(d.get("name"), str) or not d["name"]:
        raise LessonError(f"every lesson needs a name; got {d!r:.80}")
    name = d["name"]
    where = f"lesson {name!r}"
    if name in seen:
        raise LessonError(f"{where}: the name is used twice")
    allowed = {"name", *TEXTS, "focus", "config", "variants", "race", "steps", "figure"}
    unknown = set(d) - allowed
    if unknown:
        raise LessonError(f"{where}: unknown fields {sorted(unknown)}; allowed: "
                          + ", ".join(sorted(allowed)))
    _check_texts(where, d, TEXTS)
    steps = d.get("steps")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise LessonError(f"{where}: steps {steps!r} must be a whole number from 1 to "
                          f"{MAX_STEPS}")
    if d.get("figure") not in FIGURES:
        raise LessonError(f"{where}: figure {d.get('figure')!r} is not allowed; allowed: "
                          + ", ".join(FIGURES))
    focus = d.get("focus", [])
    if not isinstance(focus, list) or any(f not in FOCUS for f in focus):
        raise LessonError(f"{where}: focus {focus!r} must be a list from: " + ", ".join(FOCUS))
    try:
        base = validate(d.get("config", {}))
    except ConfigError as exc:
        raise LessonError(f"{where}: config: {exc}") from None
    if "variants" in d and "race" in d:
        raise LessonError(f"{where}: give variants or a race, not both")
    variants = d.get("variants", [])
    if not isinstance(variants, list) or ("variants" in d and len(variants) < 2):
        raise LessonError(f"{where}: variants must be a list of at least two")
    names = set()
    for v in variants:
        vname = v.get("name") if isinstance(v, Mapping) else None
        if not isinstance(vname, str) or not vname or vname in names:
            raise LessonError(f"{where}: every variant needs a name of its own; got {v!r:.80}")
        names.add(vname)
        _check_texts(f"{where}, variant {vname!r}", v, ("label",))
        try:
            validate(v.get("changes", {}), base=base)
        except ConfigError as exc:
            raise LessonError(f"{where}, variant {vname!r}: {exc}") from None
    if "race" in d:
        race = d["race"]
        if not isinstance(race, Mapping):
            raise LessonError(f"{where}: race must be an object with runners")
        try:
            labels = [runner_label(c) for c in check_runners(race.get("runners"), base)]
        except ConfigError as exc:
            raise LessonError(f"{where}: race: {exc}") from None
        if len(set(labels)) != len(labels):
            raise LessonError(f"{where}: race: two runners have the same settings: {labels}")
        target, every = race.get("target_loss"), race.get("evaluate_every", 1)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not target > 0:
            raise LessonError(f"{where}: race.target_loss {target!r} must be a number > 0")
        if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= steps:
            raise LessonError(f"{where}: race.evaluate_every {every!r} must be a whole number "
                              "from 1 to steps")
        if d["figure"] != "winner":
            raise LessonError(f"{where}: a race lesson's figure is winner")
    elif d["figure"] == "winner":
        raise LessonError(f"{where}: figure winner needs a race")
    seen.add(name)
    return copy.deepcopy(dict(d))


def load(path: Path = LESSONS_FILE) -> dict[str, dict[str, Any]]:
    """Read and check a lessons file: name -> lesson, in the file's order. Raises
    LessonError."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, Mapping) or not isinstance(raw.get("lessons"), list):
        raise LessonError(f"{path.name}: expected an object with a list 'lessons'")
    seen: set[str] = set()
    return {d["name"]: d for d in (_check_lesson(x, seen) for x in raw["lessons"])}


LESSONS: dict[str, dict[str, Any]] = load()
"""Every lesson, by name, as written in lessons.json (texts in every language)."""


# ------------------------------------------------------------------ reading
def lesson(name: str) -> dict[str, Any]:
    """A copy of lesson ``name`` as written (texts in every language). Raises LessonError."""
    if name not in LESSONS:
        raise LessonError(f"lesson {name!r} is unknown; allowed: " + ", ".join(LESSONS))
    return copy.deepcopy(LESSONS[name])


def runs(name: str) -> list[dict[str, Any]]:
    """The runs of a lesson: [{"name", "label" ({lang: text} or None), "config" (complete,
    validated)}]. One run named "lesson" when it has no variants; a race lesson gives its
    shared configuration here and its runners in ``lesson(name)["race"]``."""
    d = lesson(name)
    base = validate(d["config"])
    if not d.get("variants"):
        return [{"name": "lesson", "label": None, "config": base}]
    return [{"name": v["name"], "label": v["label"],
             "config": validate(v.get("changes", {}), base=base)} for v in d["variants"]]


def catalogue(lang: str = "en") -> list[dict[str, Any]]:
    """The menu in one language: per lesson its name, texts, focus, steps, figure, runs (name,
    label, complete config) and race (runners, target_loss, evaluate_every) or None."""
    if lang not in LANGS:
        raise LessonError(f"language {lang!r} is not available; allowed: " + ", ".join(LANGS))
    out = []
    for name, d in LESSONS.items():
        item: dict[str, Any] = {"name": name, **{k: d[k][lang] for k in TEXTS},
                                "focus": list(d.get("focus", [])), "steps": d["steps"],
                                "figure": d["figure"], "race": copy.deepcopy(d.get("race"))}
        item["runs"] = [{**r, "label": r["label"][lang] if r["label"] else None}
                        for r in runs(name)]
        out.append(item)
    return out


# ------------------------------------------------------------------ measuring
def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _unit_spread(tr: Trainer) -> float | None:
    """Largest |W[j] - W[0]| over the units j of every hidden layer (incoming weights); None
    without a hidden layer of two units or more."""
    spreads = [float(np.abs(layer.W - layer.W[:1]).max())
               for layer in tr.net.layers[:-1] if layer.n_out > 1]
    return _finite(max(spreads)) if spreads else None


def run_figures(config: Mapping[str, Any], steps: int) -> dict[str, Any]:
    """Train one configuration for ``steps`` steps, evaluating after every step, and return
    the figures of FIGURES (``winner`` aside) plus steps done, diverged_at (step or None) and
    grad_norm (per layer, after the last step). Non-finite numbers become None."""
    tr = Trainer(config)
    ratios, batch_losses = [], []
    # a run on its way to diverging has huge gradients: its figures say so, not warnings
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            if tr.step(1) == 0:
                break
            batch_losses.append(tr.last_loss)
            tr.evaluate()
            g = tr.snapshot(grid=None, neuron_grid=None)["arrays"]["grad_norm"]
            if g[0] > 0:
                ratios.append(float(g[-1]) / float(g[0]))
        m = tr.evaluate(record=False)
        grad_norm = tr.snapshot(grid=None, neuron_grid=None)["arrays"]["grad_norm"]
        curve = np.asarray(tr.history["train_loss"], dtype=np.float64)
        train_noise = float(np.std(np.diff(curve))) if len(curve) > 2 else math.nan
        batch_noise = float(np.std(np.diff(batch_losses))) if len(batch_losses) > 2 else math.nan
    return {
        "steps": tr.step_count,
        "diverged": tr.diverged is not None,
        "diverged_at": tr.diverged["step"] if tr.diverged else None,
        "train_loss": _finite(m["train_loss"]), "test_loss": _finite(m["test_loss"]),
        "train_acc": _finite(m["train_acc"]), "test_acc": _finite(m["test_acc"]),
        "loss_gap": _finite(m["test_loss"] - m["train_loss"]),
        "train_loss_noise": _finite(train_noise), "batch_loss_noise": _finite(batch_noise),
        "grad_attenuation": float(np.median(ratios)) if ratios else None,
        "grad_norm": [_finite(float(x)) for x in grad_norm],
        "unit_spread": _unit_spread(tr),
    }


def race_figures(config: Mapping[str, Any], race: Mapping[str, Any], steps: int
                 ) -> dict[str, Any]:
    """Run a race for ``steps`` steps, evaluating every ``evaluate_every`` steps: the winner's
    label (or None), and per runner label the step it reached the target (or None), its final
    train loss and whether it diverged."""
    every = race.get("evaluate_every", 1)
    r = Race(config, race["runners"], race["target_loss"], check_every=every)
    done = 0
    while done < steps:
        n = min(every, steps - done)
        r.step(n)
        r.evaluate()
        done += n
    win = r.winner()
    snap = r.snapshot(grid=None)
    return {
        "winner": win["label"] if win else None,
        "target_loss": r.target_loss,
        "reached": {x["label"]: x["reached"]["step"] if x["reached"] else None
                    for x in snap["runners"]},
        "train_loss": {x["label"]: _finite(x["metrics"]["train_loss"]) for x in snap["runners"]},
        "diverged": {x["label"]: x["diverged"] is not None for x in snap["runners"]},
    }


def measure(name: str, seed: int | None = None, steps: int | None = None) -> dict[str, Any]:
    """Run lesson ``name`` as stated and return the figures its claim rests on:
    {"lesson", "figure", "steps", "runs": {run name: run_figures}} or, for a race,
    {"lesson", "figure", "steps", "race": race_figures}. ``seed`` replaces both the weight
    seed and the data seed (to check a claim beyond the lesson's own seed); ``steps`` replaces
    the lesson's step count."""
    d = lesson(name)
    n = d["steps"] if steps is None else steps
    override = {} if seed is None else {"seed": seed, "data_seed": seed}
    out: dict[str, Any] = {"lesson": name, "figure": d["figure"], "steps": n}
    if "race" in d:
        out["race"] = race_figures(validate(override, base=validate(d["config"])), d["race"], n)
        return out
    out["runs"] = {r["name"]: run_figures(validate(override, base=r["config"]), n)
                   for r in runs(name)}
    return out
