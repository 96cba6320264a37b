"""Saving and loading models: safetensors files that round-trip, that the reference reader
reads, and clear errors for files that are not ours."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import engine
from engine.serialize import FORMAT, ModelFileError, decode, encode, load_model_full, save_model
from engine.trainer import Trainer


def make_net(dtype: str) -> engine.Network:
    net = engine.Network([3, 7, 5, 4], activation="relu", output="softmax", dropout=0.25,
                         seed=3, dtype=dtype)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 3)), rng.integers(0, 4, 16)
    opt = engine.make_optimizer("adam", lr=0.01)
    for _ in range(5):  # trained weights, biases not zero
        opt.step(net, net.loss_and_gradients(X, y)[1])
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_predicts_identically(tmp_path: Path, dtype: str) -> None:
    net = make_net(dtype)
    path = tmp_path / "m.safetensors"
    engine.save_model(net, path)
    back = engine.load_model(path)
    X = np.random.default_rng(2).normal(size=(50, 3))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.params.dtype == np.dtype(dtype)
    assert back.architecture() == net.architecture()
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_safetensors_library_reads_our_file(tmp_path: Path, dtype: str) -> None:
    net = make_net(dtype)
    path = tmp_path / "m.safetensors"
    engine.save_model(net, path, preprocessing={"features": ["x1"]}, config={"lr": 0.5})
    tensors = load_file(str(path))
    state = net.state_dict()
    assert set(tensors) == set(state)
    for key, value in state.items():
        assert tensors[key].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(tensors[key], value)
    with safe_open(str(path), "np") as f:
        meta = f.metadata()
    assert meta["format"] == FORMAT
    arch = json.loads(meta["architecture"])
    assert arch["sizes"] == [3, 7, 5, 4] and arch["activation"] == "relu"
    assert json.loads(meta["preprocessing"]) == {"features": ["x1"]}
    assert json.loads(meta["config"]) == {"lr": 0.5}


def test_we_read_a_file_the_safetensors_library_wrote(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {"a": rng.normal(size=(3, 4)).astype(np.float32), "b": np.arange(5, dtype=np.int64)}
    path = tmp_path / "other.safetensors"
    save_file(arrays, str(path), metadata={"k": "v"})
    tensors, meta = decode(path.read_bytes())
    assert meta == {"k": "v"}
    for key, value in arrays.items():
        np.testing.assert_array_equal(tensors[key], value)


def test_frozen_flags_survive(tmp_path: Path) -> None:
    net = make_net("float32")
    net.freeze(0)
    net.freeze(1)
    path = tmp_path / "m.safetensors"
    save_model(net, path)
    back = engine.load_model(path)
    assert [layer.trainable for layer in back.layers] == [False, False, True]


def test_full_load_returns_preprocessing_and_config(tmp_path: Path) -> None:
    tr = Trainer({"data": "moons", "layers": [5], "samples": 100})
    tr.step(10)
    path = tmp_path / "run.safetensors"
    path.write_bytes(tr.model_bytes())
    net, pre, cfg = load_model_full(path)
    assert cfg == tr.config
    assert pre["features"] == ["x1", "x2"] and pre["data"] == "moons"
    assert pre["standardizer"] == tr.data.standardizer.to_dict()
    np.testing.assert_array_equal(net.predict(tr.X_test), tr.net.predict(tr.X_test))


# ---------------------------------------------------------------------------- bad files
def expect_error(raw: bytes, phrase: str) -> str:
    with pytest.raises(ModelFileError) as info:
        engine.serialize.model_from_bytes(raw)
    message = str(info.value)
    assert phrase in message, message
    return message


def good_bytes() -> bytes:
    return engine.serialize.model_bytes(make_net("float32"))


def test_a_file_that_is_not_safetensors() -> None:
    expect_error(b"", "not a safetensors file")
    expect_error(b"hello, this is a csv file\n1,2,3\n", "not a safetensors file")
    expect_error(b"\x20\x00\x00\x00\x00\x00\x00\x00" + b"not json at all, sorry!!!!!!!!!!",
                 "not JSON")
    head = b"[1, 2]  "
    expect_error(struct.pack("<Q", len(head)) + head, "not a JSON object")


def test_a_truncated_file() -> None:
    raw = good_bytes()
    expect_error(raw[: len(raw) - 10], "truncated")
    expect_error(raw[:40], "header size does not fit")
    expect_error(raw[:5], "shorter than")


def test_a_safetensors_file_without_our_metadata(tmp_path: Path) -> None:
    state = make_net("float32").state_dict()
    path = tmp_path / "plain.safetensors"
    save_file(state, str(path))
    with pytest.raises(ModelFileError) as info:
        engine.load_model(path)
    assert "no Backprop Lab metadata" in str(info.value)
    assert "engine.save_model" in str(info.value)


def _with_meta(**changes: str) -> bytes:
    net = make_net("float32")
    meta = {"format": FORMAT, "architecture": json.dumps(net.architecture()),
            "preprocessing": "{}", "config": "{}", **changes}
    return encode(net.state_dict(), meta)


def test_metadata_that_does_not_match_the_tensors() -> None:
    arch = make_net("float32").architecture()
    expect_error(_with_meta(architecture=json.dumps({**arch, "sizes": [3, 7, 5, 5]})),
                 "does not match")
    expect_error(_with_meta(architecture=json.dumps({**arch, "sizes": [3, 10**9, 4]})),
                 "does not match")
    expect_error(_with_meta(architecture=json.dumps({**arch, "activation": "nope"})),
                 "does not match")
    expect_error(_with_meta(architecture=json.dumps({**arch, "frozen": [7]})), "does not match")
    expect_error(_with_meta(architecture="[1, 2]"), "does not match")
    expect_error(_with_meta(architecture="{not json"), "does not match")
    expect_error(_with_meta(config="3"), "does not match")


def test_a_tensor_entry_with_a_bad_dtype_or_shape() -> None:
    def raw_with(entry: dict) -> bytes:
        head = json.dumps({"t": entry}).encode()
        return struct.pack("<Q", len(head)) + head + b"\x00" * 16

    expect_error(raw_with({"dtype": "C64", "shape": [2], "data_offsets": [0, 16]}),
                 "unsupported dtype or bad entry")
    expect_error(raw_with({"dtype": "F32", "shape": [-2, -2], "data_offsets": [0, 16]}),
                 "bad entry")
    expect_error(raw_with({"dtype": "F32", "shape": [4], "data_offsets": ["0", "x"]}),
                 "bad entry")
    expect_error(raw_with({"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}),
                 "do not fit")


def test_the_header_is_padded_to_8_bytes() -> None:
    raw = good_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0


# ------------------------------------------------------------ docs/python-api.md examples
DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"


def doc_examples() -> list[str]:
    """The ```python blocks of docs/python-api.md, in order."""
    text = DOC.read_text(encoding="utf-8")
    blocks = text.split("```python\n")[1:]
    return [b.split("```", 1)[0] for b in blocks]


def test_the_doc_has_its_examples() -> None:
    examples = doc_examples()
    assert len(examples) >= 6
    joined = "\n".join(examples)
    for name in ("Network(", "state_dict()", "load_state_dict(", "predict(",
                 "loss_and_gradients(", "make_optimizer(", "opt.step(net, grads)", "freeze(",
                 "replace_output(", "save_model(", "load_model(", "Trainer("):
        assert name in joined, name


@pytest.mark.parametrize("index", range(len(doc_examples())))
def test_python_api_doc_example_runs(index: int, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    code = doc_examples()[index]
    if "import torch" in code:
        pytest.importorskip("torch")  # PyTorch is optional: only this example needs it
    monkeypatch.chdir(tmp_path)  # the examples write model files in the working directory
    exec(compile(code, f"docs/python-api.md example {index + 1}", "exec"), {})


def test_a_loaded_model_is_fed_with_its_own_standardizer_not_a_refitted_one(tmp_path) -> None:
    from engine.serialize import model_from_bytes
    from engine.trainer import Trainer

    small = Trainer({"data": "gaussians", "samples": 40, "noise": 0.5})
    small.step(20)
    net, pre, _ = model_from_bytes(small.model_bytes())
    big = Trainer({"data": "gaussians", "samples": 4000, "noise": 0.5}, model=net,
                  preprocessing=pre)
    np.testing.assert_allclose(big.data.standardizer.mean, pre["standardizer"]["mean"])
    refit = Trainer({"data": "gaussians", "samples": 4000, "noise": 0.5})
    assert not np.allclose(refit.data.standardizer.mean, pre["standardizer"]["mean"])
    # the same points give the same predictions as in the run that trained the model
    X = small.data.raw_test
    np.testing.assert_allclose(big.net.predict(big.data.inputs(X)),
                               small.net.predict(small.data.inputs(X)), rtol=1e-6)
