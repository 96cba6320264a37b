import struct

import numpy as np

from app import frames


def test_encode_decode_round_trip_keeps_every_array_and_aligns_data():
    arrays = {"W0": np.arange(6, dtype=np.float32).reshape(2, 3),
              "frozen": np.array([1, 0, 1], np.uint8),
              "confusion": np.eye(3, dtype=np.int32)}
    msg = frames.encode({"kind": "frame", "seq": 3}, arrays)
    (n,) = struct.unpack_from("<I", msg)
    data_start = 4 + n + (-(4 + n) % 8)
    assert data_start % 8 == 0
    header, out = frames.decode(msg)
    assert header["seq"] == 3
    for entry in header["arrays"]:
        assert entry["offset"] % 8 == 0
    for name, a in arrays.items():
        assert out[name].dtype == a.dtype
        np.testing.assert_array_equal(out[name], a)


def test_quantize_maps_range_onto_uint8_and_back_within_one_step():
    a = np.linspace(-2, 3, 100, dtype=np.float32).reshape(10, 10)
    q, r = frames.quantize(a)
    assert q.dtype == np.uint8 and q.min() == 0 and q.max() == 255
    assert r == [-2.0, 3.0]
    back = frames.dequantize(q, r)
    assert np.abs(back - a).max() <= (r[1] - r[0]) / 255


def test_quantize_snapshot_uses_probability_range_for_classifier_output():
    arrays = {"grid_output": np.full((4, 4), 0.5, np.float32),
              "grid_hidden0": np.zeros((2, 4, 4), np.float32), "W0": np.ones((2, 2), np.float32)}
    out, ranges = frames.quantize_snapshot(arrays, "sigmoid")
    assert ranges["grid_output"] == [0.0, 1.0]
    assert out["grid_output"].dtype == np.uint8 and out["W0"].dtype == np.float32
    assert "W0" not in ranges


def test_clean_turns_nan_into_null():
    assert frames.dumps({"a": float("nan"), "b": np.float32(1.5)}) == '{"a":null,"b":1.5}'
