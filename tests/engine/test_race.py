"""The optimizer race: runners share data, initial weights and batches, differ only in their
optimizer fields, step in lockstep, and the first to reach the target loss wins."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.config import ConfigError, validate
from engine.race import Race, check_runners, runner_label

SPIRAL = {"data": "spiral", "layers": [32, 32], "activation": "relu", "batch_size": 0}
SGD = {"optimizer": "sgd", "lr": 0.1, "momentum": 0}
MOMENTUM = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9}
ADAM = {"optimizer": "adam", "lr": 0.01}


def test_runners_share_data_initial_weights_and_batches() -> None:
    race = Race({"data": "circle", "layers": [8], "batch_size": 10, "dropout": 0.2},
                [SGD, MOMENTUM, ADAM, {"optimizer": "rmsprop", "lr": 0.01}])
    first, *others = race.trainers
    for tr in others:
        np.testing.assert_array_equal(tr.X_train, first.X_train)
        np.testing.assert_array_equal(tr.y_train, first.y_train)
        np.testing.assert_array_equal(tr.X_test, first.X_test)
        np.testing.assert_array_equal(tr.initial_params, first.initial_params)
        np.testing.assert_array_equal(tr.net.params, first.net.params)
    for _ in range(30):  # 30 steps cross an epoch boundary (125 training points, batch 10)
        batches = [tr.step_phase()["layers"][0]["x"].copy() for tr in race.trainers]
        for b in batches[1:]:
            np.testing.assert_array_equal(b, batches[0])
        race.step(1)  # finishes the step begun phase by phase
    assert [tr.step_count for tr in race.trainers] == [30] * 4


def test_only_the_optimizer_differs_between_runners() -> None:
    race = Race({"data": "moons", "dropout": 0.3}, [ADAM, ADAM])
    race.step(50)
    a, b = race.trainers
    np.testing.assert_array_equal(a.net.params, b.net.params)  # same everything, same weights
    race2 = Race({"data": "moons", "dropout": 0.3}, [ADAM, {**ADAM, "lr": 0.02}])
    race2.step(50)
    c, d = race2.trainers
    assert not np.array_equal(c.net.params, d.net.params)
    assert c.config == {**d.config, "lr": 0.01}


def test_runner_fields_override_the_configuration_and_others_keep_it() -> None:
    base = validate({"optimizer": "sgd", "momentum": 0.5, "lr": 0.2})
    cfgs = check_runners([{"lr": 0.05}, {"optimizer": "adam", "betas": [0.8, 0.99]}], base)
    assert (cfgs[0]["optimizer"], cfgs[0]["lr"], cfgs[0]["momentum"]) == ("sgd", 0.05, 0.5)
    assert cfgs[1]["optimizer"] == "adam" and cfgs[1]["betas"] == [0.8, 0.99]
    assert all({k: c[k] for k in c if k not in ("optimizer", "lr", "betas")}
               == {k: base[k] for k in base if k not in ("optimizer", "lr", "betas")}
               for c in cfgs)


@pytest.mark.parametrize("runners, message", [
    ([SGD, {"optimizer": "sgd", "layers": [4]}],
     r"runners\[1\]\.layers: \[4\] is not allowed; a runner may set only optimizer, lr, "
     r"momentum, nesterov, alpha, betas, eps, weight_decay, model, freeze, replace_head, label"),
    ([SGD, {"optimizer": "adam", "momentum": 0.9}],
     r"runners\[1\]\.momentum: 0\.9 is not allowed; adam does not use momentum; it uses lr, "
     r"betas, eps, weight_decay"),
    ([{"optimizer": "sgd", "dropout": 0.5}, ADAM], r"runners\[0\]\.dropout"),
    ([{"optimizer": "sgd", "lr": 0}, ADAM], r"runners\[0\]\.lr: 0 is not allowed; it must be"),
    ([{"optimizer": "lbfgs"}, ADAM], r"runners\[0\]\.optimizer: 'lbfgs' is not allowed; allowed:"),
    ([SGD], r"runners: .* a race takes a list of 2 to 4 runners"),
    ([SGD, SGD, SGD, SGD, SGD], r"a race takes a list of 2 to 4 runners"),
    ([SGD, "adam"], r"runners\[1\]: 'adam' is not allowed; a runner is an object"),
    ([SGD, {**ADAM, "label": ""}], r"runners\[1\]\.label: '' is not allowed; a label is a text"),
    ([SGD, {**ADAM, "label": 7}], r"runners\[1\]\.label"),
    ([SGD, {**ADAM, "model": "imagenet"}], r"runners\[1\]\.model: 'imagenet' is not allowed"),
    ([SGD, {**ADAM, "freeze": "all"}], r"runners\[1\]\.freeze"),
    ([SGD, {**ADAM, "replace_head": "maybe"}], r"runners\[1\]\.replace_head"),
])
def test_bad_runners_are_refused_naming_the_field(runners: list, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Race({"data": "circle"}, runners)


def test_step_advances_every_runner_in_lockstep() -> None:
    race = Race({"data": "circle", "layers": [4]}, [SGD, ADAM, MOMENTUM])
    assert race.step(7) == [7, 7, 7]
    race.step(3)
    assert [tr.step_count for tr in race.trainers] == [10, 10, 10]
    metrics = race.evaluate()
    assert [m["step"] for m in metrics] == [10, 10, 10]
    assert all(tr.history["step"] == [10] for tr in race.trainers)


def test_adam_reaches_the_target_first_on_the_spiral() -> None:
    race = Race(SPIRAL, [SGD, MOMENTUM, ADAM], target_loss=0.1)
    assert race.winner() is None
    for _ in range(50):
        race.step(10)
        race.evaluate()
    w = race.winner()
    assert w is not None and w["runner"] == 2 and w["label"] == "Adam, lr 0.01"
    snap = race.snapshot(grid=None)
    reached = [r["reached"] for r in snap["runners"]]
    assert reached[0] is None  # plain SGD never gets there in 500 steps
    assert reached[2]["step"] == w["step"] < reached[1]["step"]
    assert snap["runners"][2]["metrics"]["train_loss"] <= 0.1


def test_changing_the_target_judges_the_race_again() -> None:
    race = Race(SPIRAL, [SGD, ADAM], target_loss=0.1)
    for _ in range(10):
        race.step(10)
        race.evaluate()
    race.target_loss = 1e-9
    assert race.winner() is None
    race.target_loss = 10.0  # every runner was below it at the first point: a tie on steps
    w = race.winner()
    assert w is not None and w["step"] == 10
    with pytest.raises(ConfigError, match="target_loss: 0 is not allowed; it must be a number"):
        race.target_loss = 0
    with pytest.raises(ConfigError, match="target_loss"):
        Race(SPIRAL, [SGD, ADAM], target_loss=float("nan"))


def test_equal_steps_are_a_tie_whatever_the_seconds() -> None:
    race = Race({"data": "gaussians"}, [ADAM, ADAM], target_loss=10.0, check_every=5)
    race.trainers[0].train_seconds += 100.0  # runner 0 took far longer: time does not count
    race.step(5)
    w = race.winner()
    assert w is not None and w["step"] == 5 and w["tie"] == [0, 1]


def test_the_target_is_judged_on_check_steps_not_when_the_race_is_drawn() -> None:
    """Evaluating (drawing) at odd moments must not change when a runner reached the target."""
    cfg = {"data": "spiral", "layers": [16, 16], "activation": "relu"}
    runners = [{"optimizer": "adam", "lr": 0.01}, {"optimizer": "sgd", "lr": 0.1}]
    a = Race(cfg, runners, target_loss=0.62, check_every=10)
    b = Race(cfg, runners, target_loss=0.62, check_every=10)
    for _ in range(40):
        a.step(10)
    for n in (7, 13, 3, 17, 1, 9) * 20:  # b is driven and drawn at irregular steps
        b.step(n)
        b.evaluate()
        if b.lead.step_count >= 400:
            break
    wa, wb = a.winner(), b.winner()
    assert wa is not None and wb is not None
    assert wa["step"] % 10 == 0
    assert (wa["runner"], wa["step"]) == (wb["runner"], wb["step"])


def test_a_diverged_runner_stops_while_the_others_go_on() -> None:
    race = Race({"data": "plane", "layers": [8], "optimizer": "sgd", "momentum": 0},
                [{"lr": 1.0}, {"lr": 0.1}], target_loss=0.01)
    done = [0, 0]
    for _ in range(10):
        done = [a + b for a, b in zip(done, race.step(10), strict=True)]
        race.evaluate()
    bad, good = race.trainers
    assert bad.diverged is not None and bad.step_count < 100 and done[0] == bad.step_count
    assert good.diverged is None and good.step_count == 100 and done[1] == 100
    w = race.winner()
    assert w is not None and w["runner"] == 1
    snap = race.snapshot(grid=10)
    assert snap["runners"][0]["diverged"]["step"] == bad.step_count + 1
    assert snap["runners"][1]["diverged"] is None


def test_snapshot_has_per_runner_metrics_and_surfaces() -> None:
    race = Race({"data": "blobs", "layers": [8]}, [SGD, ADAM], target_loss=0.5)
    snap = race.snapshot(grid=12)
    assert [r["metrics"] for r in snap["runners"]] == [None, None]
    race.step(20)
    race.evaluate()
    snap = race.snapshot(grid=12)
    assert snap["target_loss"] == 0.5
    for r, label in zip(snap["runners"], ["SGD, lr 0.1", "Adam, lr 0.01"], strict=True):
        assert r["label"] == label and r["step"] == 20
        assert set(r["metrics"]) >= {"train_loss", "test_loss", "train_acc", "test_acc"}
        assert r["arrays"]["grid_output"].shape == (12, 12, 3)
        assert r["arrays"]["grid_output"].dtype == np.float32
    assert snap["runners"][0]["optimizer"] == {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0,
                                               "nesterov": False, "weight_decay": 0.0}
    json.dumps({k: v for k, v in snap.items() if k != "runners"})
    digits = Race({"data": "digits", "layers": [16]}, [SGD, ADAM]).snapshot(grid=12)
    assert all(r["arrays"] == {} for r in digits["runners"])  # no plane to draw


def test_reset_starts_every_runner_again_from_the_shared_weights() -> None:
    race = Race({"data": "circle"}, [SGD, ADAM], target_loss=10.0)
    start = race.trainers[0].net.params.copy()
    race.step(20)
    race.evaluate()
    race.reset()
    assert race.winner() is None
    for tr in race.trainers:
        assert tr.step_count == 0
        np.testing.assert_array_equal(tr.net.params, start)


def test_runner_labels() -> None:
    def label(**kw: object) -> str:
        return runner_label(validate(kw))

    assert label(optimizer="sgd", lr=0.1, momentum=0) == "SGD, lr 0.1"
    assert label(optimizer="sgd", lr=0.1) == "SGD, lr 0.1"  # momentum defaults to 0
    assert label(optimizer="sgd", lr=0.1, momentum=0.9) == "SGD, momentum 0.9, lr 0.1"
    assert label(optimizer="sgd", lr=0.1, momentum=0.9, nesterov=True) == (
        "SGD, Nesterov momentum 0.9, lr 0.1")
    assert label(optimizer="adam", lr=0.01) == "Adam, lr 0.01"
    assert label(optimizer="adamw", lr=0.001, weight_decay=0.01) == (
        "AdamW, lr 0.001, weight decay 0.01")


DIGITS_FT = {"data": "digits", "digits_half": "b", "digits_task": "even_odd",
             "train_per_class": 10, "layers": [64, 32], "activation": "relu",
             "optimizer": "adam", "lr": 0.03, "batch_size": 0}


def test_runners_may_differ_in_model_freeze_and_label() -> None:
    race = Race(DIGITS_FT, [{"model": "digits-all", "freeze": [0, 1], "label": "fine-tuned"},
                            {"model": None, "freeze": [], "label": "from scratch"}],
                target={"metric": "test_acc", "value": 0.6})
    tuned, scratch = race.trainers
    assert race.labels == ["fine-tuned", "from scratch"]
    assert tuned.head is not None and tuned.head["replaced"] is True
    assert scratch.head is None and tuned.net.sizes == scratch.net.sizes == [64, 64, 32, 1]
    assert [la.trainable for la in tuned.net.layers] == [False, False, True]
    assert all(la.trainable for la in scratch.net.layers)
    np.testing.assert_array_equal(tuned.data.raw_train, scratch.data.raw_train)
    frozen = tuned.net.layers[0].W.copy()
    for _ in range(5):
        race.step(10)
        race.evaluate()
    np.testing.assert_array_equal(tuned.net.layers[0].W, frozen)
    snap = race.snapshot(grid=None)
    assert snap["target"] == {"metric": "test_acc", "value": 0.6}
    assert snap["runners"][0]["fields"] == {"model": "digits-all", "freeze": [0, 1]}
    assert snap["runners"][0]["seconds"] == tuned.train_seconds > 0
    w = race.winner()
    assert w is not None  # both pass 60 % on even/odd within 50 steps; the earlier one wins
    hits = [r["reached"] for r in snap["runners"]]
    assert w["step"] == min(h["step"] for h in hits if h is not None)


def test_a_model_runner_on_data_of_another_width_is_refused_naming_the_runner() -> None:
    with pytest.raises(ConfigError, match=r"runners\[0\]\.model: 'digits-all' is not allowed; "
                                          r"the model takes 64 inputs"):
        Race({"data": "circle"}, [{"model": "digits-all"}, ADAM])


@pytest.mark.parametrize("metric, value, lower", [
    ("train_loss", 0.45, True), ("test_loss", 0.5, True),
    ("train_acc", 0.85, False), ("test_acc", 0.8, False)])
def test_targets_on_every_metric_use_its_direction(metric: str, value: float,
                                                   lower: bool) -> None:
    race = Race({"data": "circle", "layers": [8], "noise": 0.1}, [SGD, ADAM],
                target={"metric": metric, "value": value})
    for _ in range(30):
        race.step(10)
        race.evaluate()
    w = race.winner()
    assert w is not None
    tr = race.trainers[w["runner"]]
    h = tr.history
    i = h["step"].index(w["step"])
    assert (h[metric][i] <= value) if lower else (h[metric][i] >= value)
    # no earlier point of any runner met it
    for t in race.trainers:
        for step, v in zip(t.history["step"], t.history[metric], strict=True):
            if step < w["step"]:
                assert (v > value) if lower else (v < value)


@pytest.mark.parametrize("target, message", [
    ({"metric": "accuracy", "value": 0.9}, r"target\.metric: 'accuracy' is not allowed; "
                                           r"allowed: train_loss, test_loss, train_acc, test_acc"),
    ({"metric": "test_acc", "value": 1.5}, r"target\.value: 1\.5 is not allowed; it must be a "
                                           r"number > 0 and ≤ 1"),
    ({"metric": "train_loss", "value": -1}, r"target\.value: -1 is not allowed"),
    ({"metric": "train_loss", "value": "low"}, r"target\.value"),
    ({"metric": "train_loss", "value": 0.1, "when": 3}, r"target\.when"),
    ("fast", r"target: 'fast' is not allowed"),
])
def test_bad_targets_are_refused_naming_the_field(target: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Race({"data": "circle"}, [SGD, ADAM], target=target)  # type: ignore[arg-type]
    race = Race({"data": "circle"}, [SGD, ADAM])
    with pytest.raises(ConfigError, match=message):
        race.target = target  # type: ignore[assignment]
    assert race.target == {"metric": "train_loss", "value": 0.1}


def test_target_loss_is_a_shorthand_for_a_train_loss_target() -> None:
    race = Race({"data": "circle"}, [SGD, ADAM], target_loss=0.25)
    assert race.target == {"metric": "train_loss", "value": 0.25} and race.target_loss == 0.25


def test_train_epoch_runs_every_runner_to_the_end_of_the_epoch() -> None:
    race = Race({"data": "circle", "batch_size": 10}, [SGD, ADAM])  # 250 points: 25 steps
    race.step(3)
    assert race.train_epoch() == 22
    assert [tr.step_count for tr in race.trainers] == [25, 25]
    assert all(tr.epoch == pytest.approx(1.0) for tr in race.trainers)


def test_history_has_the_seconds_of_training() -> None:
    race = Race({"data": "circle"}, [SGD, ADAM])
    race.step(5)
    race.evaluate()
    for tr in race.trainers:
        assert tr.history["seconds"] == [tr.train_seconds] and tr.train_seconds > 0
