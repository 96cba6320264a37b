"""Hostile model files and freezing: a file with a huge shape, a deeply nested header, weights
that are NaN, infinite or absurdly large, frozen layers that do not exist or leave nothing to
train, or a standardizer that would blow the inputs up is refused with the part named; and no
layer can be frozen when it is the last one left to train."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import zoo
from engine.config import ConfigError
from engine.network import MAX_WEIGHT, Network
from engine.serialize import FORMAT, ModelFileError, decode, encode, model_from_bytes
from engine.trainer import Trainer

SPIRAL = {"data": "spiral", "samples": 100, "layers": [4]}


def spiral_model(**changes: Any) -> tuple[bytes, Trainer]:
    tr = Trainer(SPIRAL)
    tr.step(5)
    net = tr.net
    meta = {"format": FORMAT, "architecture": json.dumps(net.architecture()),
            "preprocessing": json.dumps(tr.preprocessing()), "config": json.dumps(tr.config)}
    tensors = dict(net.state_dict())
    for key, value in changes.items():
        if key in tensors:
            tensors[key] = value
        elif key in ("architecture", "preprocessing"):
            meta[key] = json.dumps(value)
    return encode(tensors, meta), tr


def refused(raw: bytes, field: str) -> str:
    with pytest.raises(ModelFileError) as info:
        model_from_bytes(raw)
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"{field}: ") or message.startswith(f"'{field}': "), message
    assert len(message) < 1000
    return message


def raw_header(header: bytes, body: bytes = b"\x00" * 16) -> bytes:
    return struct.pack("<Q", len(header)) + header + body


def test_a_shape_of_ten_to_the_thirty_is_refused_without_overflow() -> None:
    head = json.dumps({"t": {"dtype": "F32", "shape": [10**30],
                             "data_offsets": [0, 16]}}).encode()
    assert "bad entry" in refused(raw_header(head), "t")
    head = json.dumps({"t": {"dtype": "F32", "shape": [16, 16, 16, 16, 16, 16, 16, 16],
                             "data_offsets": [0, 16]}}).encode()
    assert "do not fit" in refused(raw_header(head), "t")


def test_a_deeply_nested_header_is_refused() -> None:
    refused(raw_header(b"[" * 100_000 + b"]" * 100_000), "header")
    refused(raw_header(b"{\"t\": " + b"[" * 100_000 + b"]" * 100_000 + b"}"), "header")


def test_a_deeply_nested_or_huge_architecture_is_refused() -> None:
    raw, _ = spiral_model()
    tensors, meta = decode(raw)
    meta["architecture"] = "[" * 100_000 + "]" * 100_000
    refused(encode(tensors, meta), "architecture")
    for key, value in (("seed", 10**400), ("l1", float("nan")), ("dropout", 5), ("sizes", [2])):
        net_arch = Trainer(SPIRAL).net.architecture()
        raw, _ = spiral_model(architecture={**net_arch, key: value})
        refused(raw, key)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 3e38, -(MAX_WEIGHT * 2)],
                         ids=["nan", "inf", "-inf", "3e38", "-2e6"])
def test_weights_that_are_not_sane_numbers_are_refused_naming_the_tensor(bad: float) -> None:
    W = Trainer(SPIRAL).net.layers[1].W.copy()
    W[0, 0] = bad
    raw, _ = spiral_model(**{"1.weight": W})
    refused(raw, "1.weight")
    with pytest.raises(ConfigError) as info:
        Trainer({**SPIRAL, "model": "upload"}, model_file=raw)
    err = info.value.errors[0]
    assert err.field == "model" and "1.weight" in err.message
    assert "lr" not in err.message and "learning rate" not in err.message


def test_weights_up_to_the_bound_load() -> None:
    W = Trainer(SPIRAL).net.layers[0].W.copy()
    W[0, 0] = MAX_WEIGHT
    raw, _ = spiral_model(**{"0.weight": W})
    assert model_from_bytes(raw)[0].layers[0].W[0, 0] == MAX_WEIGHT


@pytest.mark.parametrize("frozen", [[-1], [2], [0, 0], [0, 1], [True], "0", [10**400]],
                         ids=["-1", "2", "0,0", "all", "true", "string", "huge"])
def test_frozen_layers_that_do_not_exist_or_leave_nothing_to_train_are_refused(frozen: Any
                                                                               ) -> None:
    arch = Trainer(SPIRAL).net.architecture()
    raw, _ = spiral_model(architecture={**arch, "frozen": frozen})
    message = refused(raw, "frozen")
    assert "0 to 1" in message or "at least one layer" in message


@pytest.mark.parametrize(("std", "mean"), [(1e-300, 0.0), (0.0, 0.0), (-1.0, 0.0),
                                           (1e-9, 1e6), (1e20, 0.0), (1.0, 1e20)])
def test_a_standardizer_that_would_blow_inputs_up_is_refused(std: float, mean: float) -> None:
    _, tr = spiral_model()
    pre = tr.preprocessing()
    pre["standardizer"] = {"mean": [mean, 0.0], "std": [std, 1.0]}
    raw, _ = spiral_model(preprocessing=pre)
    refused(raw, "standardizer")


def test_a_fitted_standardizer_always_loads_back() -> None:
    for data in ("spiral", "digits", "plane"):
        tr = Trainer({"data": data, "layers": [3]})
        net, pre, _ = model_from_bytes(tr.model_bytes())
        assert pre["standardizer"] == tr.data.standardizer.to_dict()


def test_the_shipped_models_still_load() -> None:
    for name in zoo.model_names():
        zoo.load(name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_model_file_loads_or_is_refused_cleanly(data: st.DataObject) -> None:
    raw = bytearray(spiral_model()[0])
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)) | st.just(len(raw)))
    try:
        model_from_bytes(bytes(raw[:cut]))
    except ModelFileError as exc:
        assert len(str(exc)) < 1000


hostile = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300) | st.floats()
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["dtype", "shape", "data_offsets"]), hostile,
       st.sampled_from(["sizes", "activation", "frozen", "seed", "dropout", "output"]), hostile)
def test_any_json_in_a_header_entry_or_the_architecture_is_refused_cleanly(
        entry_key: str, entry_value: Any, arch_key: str, arch_value: Any) -> None:
    raw, tr = spiral_model(architecture={**Trainer(SPIRAL).net.architecture(),
                                         arch_key: arch_value})
    try:
        model_from_bytes(raw)
    except ModelFileError:
        pass
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header["0.bias"][entry_key] = entry_value
    try:
        head = json.dumps(header).encode()
    except ValueError:  # a number JSON cannot write
        return
    try:
        model_from_bytes(raw_header(head, raw[8 + n:]))
    except ModelFileError as exc:
        assert len(str(exc)) < 1000


# ------------------------------------------------------------------------------ freezing
def test_the_network_refuses_to_freeze_its_last_trainable_layer() -> None:
    net = Network([2, 3, 1], output="sigmoid")
    net.freeze(0)
    with pytest.raises(ConfigError) as info:
        net.freeze(1)
    assert info.value.errors[0].field == "layer"
    assert "at least one layer must stay trainable" in str(info.value)
    assert net.layers[1].trainable
    net.freeze(0)  # freezing a frozen layer again is fine


def test_trainer_freeze_updates_the_configuration_and_a_saved_model_uploads_back() -> None:
    tr = Trainer({**SPIRAL, "layers": [4, 4]})
    assert tr.freeze(1, True) == [1]
    assert tr.config["freeze"] == [1] and not tr.net.layers[1].trainable
    assert tr.freeze(0, True) == [0, 1]
    with pytest.raises(ConfigError) as info:
        tr.freeze(2, True)
    assert info.value.errors[0].field == "frozen"
    assert tr.config["freeze"] == [0, 1] and tr.net.layers[2].trainable
    back = Trainer({**SPIRAL, "model": "upload"}, model_file=tr.model_bytes())
    assert back.config["freeze"] == [0, 1]
    assert [la.trainable for la in back.net.layers] == [False, False, True]
    assert tr.freeze(0, False) == [1]
    assert tr.net.layers[0].trainable


@pytest.mark.parametrize(("layer", "frozen", "field"), [(3, True, "layer"), (-1, True, "layer"),
                                                        (10**400, True, "layer"),
                                                        (True, True, "layer"),
                                                        (0, "yes", "frozen")],
                         ids=["3", "-1", "1e400", "true", "flag yes"])
def test_trainer_freeze_refuses_a_bad_layer_or_flag(layer: Any, frozen: Any, field: str) -> None:
    tr = Trainer({**SPIRAL, "layers": [4, 4]})
    with pytest.raises(ConfigError) as info:
        tr.freeze(layer, frozen)
    assert info.value.errors[0].field == field
    assert tr.config["freeze"] == []


def test_moving_the_frozen_layers_never_passes_through_all_frozen() -> None:
    tr = Trainer({**SPIRAL, "layers": [4, 4]})
    tr.set({"freeze": [1, 2]})
    tr.set({"freeze": [0]})
    assert [la.trainable for la in tr.net.layers] == [False, True, True]
