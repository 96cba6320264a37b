"""Tests for engine/data/: generators, features, standardization, splits, digits, CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data import (
    CSV_NAME,
    DATASETS,
    DIGITS_PATH,
    FEATURES,
    MAX_SAMPLES,
    MIN_SAMPLES,
    DataError,
    Dataset,
    DatasetInfo,
    Standardizer,
    generate,
    load_dataset,
    load_digits,
    make_features,
    parse_csv,
)

TWO_D = [name for name, info in DATASETS.items() if info.dims == 2]
CLASSIFICATION_2D = [n for n in TWO_D if DATASETS[n].task == "classification"]
REGRESSION_2D = [n for n in TWO_D if DATASETS[n].task == "regression"]
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


# --- registry ------------------------------------------------------------------------


def test_registry_lists_every_set_with_its_task_and_dims():
    assert set(CLASSIFICATION_2D) == {
        "circle",
        "xor",
        "gaussians",
        "spiral",
        "moons",
        "checkerboard",
        "blobs",
    }
    assert set(REGRESSION_2D) == {"plane", "bumps"}
    assert DATASETS["digits"] == DatasetInfo(
        "digits", "classification", 10, 64, DATASETS["digits"].title, DATASETS["digits"].description
    )
    assert DATASETS["blobs"].n_classes == 3
    for name, info in DATASETS.items():
        assert info.name == name
        assert info.title and info.description.endswith(".")
        assert (info.n_classes == 0) == (info.task == "regression")
    assert CSV_NAME not in DATASETS


# --- generators ------------------------------------------------------------------------


@pytest.mark.parametrize("name", TWO_D)
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_generate_shapes_dtypes_and_domain(name, noise):
    X, y = generate(name, 301, noise, seed=4)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,)
    assert np.all(np.isfinite(X)) and np.all(np.abs(X) <= 6.0)
    if DATASETS[name].task == "classification":
        assert y.dtype == np.int64
    else:
        assert y.dtype == np.float64
        assert np.all(np.abs(y) <= 1.0 + 5 * 0.3 * noise)


@pytest.mark.parametrize("name", CLASSIFICATION_2D)
def test_generate_classes_are_balanced(name):
    n_classes = DATASETS[name].n_classes
    counts = np.bincount(generate(name, 301, 0.3, seed=1)[1], minlength=n_classes)
    assert len(counts) == n_classes
    assert counts.max() - counts.min() <= 1 and counts.sum() == 301


@pytest.mark.parametrize("classes", [3, 4, 5])
def test_blobs_has_the_requested_number_of_classes(classes):
    _, y = generate("blobs", 100, 0.0, seed=0, classes=classes)
    assert sorted(set(y.tolist())) == list(range(classes))
    assert np.bincount(y).tolist() == [100 // classes + (c < 100 % classes) for c in range(classes)]


@pytest.mark.parametrize("name", TWO_D)
def test_generate_is_deterministic_for_a_seed_and_differs_across_seeds(name):
    X1, y1 = generate(name, 200, 0.2, seed=7)
    X2, y2 = generate(name, 200, 0.2, seed=7)
    X3, _ = generate(name, 200, 0.2, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", TWO_D)
def test_noise_zero_differs_from_noise_one(name):
    X0, y0 = generate(name, 200, 0.0, seed=3)
    X1, y1 = generate(name, 200, 1.0, seed=3)
    assert not (np.array_equal(X0, X1) and np.array_equal(y0, y1))


def test_clean_sets_follow_their_rules():
    X, y = generate("xor", 400, 0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))

    X, y = generate("circle", 400, 0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 0].max() <= 2.5 and r[y == 1].min() >= 3.5

    X, y = generate("checkerboard", 400, 0.0, seed=0)
    cell = np.clip(np.floor((X + 6) / 3), 0, 3).astype(int)
    np.testing.assert_array_equal(y, (cell[:, 0] + cell[:, 1]) % 2)

    X, y = generate("plane", 400, 0.0, seed=0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 12)
    assert np.all(np.abs(y) <= 1.0)

    X, y = generate("bumps", 400, 0.0, seed=0)
    assert np.all(np.abs(y) <= 1.0) and y.min() < -0.5 and y.max() > 0.5


def test_gaussians_are_separable_when_clean_and_overlap_when_noisy():
    def overlap(noise: float) -> float:
        X, y = generate("gaussians", 1000, noise, seed=0)
        predicted = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
        return float(np.mean(predicted != y))

    assert overlap(0.0) < 0.01
    assert overlap(1.0) > 0.05


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "nope"}, "data"),
        ({"name": "digits"}, "data"),
        ({"samples": MIN_SAMPLES - 1}, "samples"),
        ({"samples": MAX_SAMPLES + 1}, "samples"),
        ({"samples": 10.5}, "samples"),
        ({"noise": -0.1}, "noise"),
        ({"noise": 1.5}, "noise"),
        ({"seed": -1}, "seed"),
        ({"name": "blobs", "classes": 2}, "classes"),
        ({"name": "blobs", "classes": 6}, "classes"),
    ],
)
def test_generate_rejects_bad_arguments_naming_the_field(kwargs, field):
    args = {"name": "spiral", "samples": 100, "noise": 0.0, "seed": 0} | kwargs
    with pytest.raises(DataError) as info:
        generate(**args)
    assert info.value.field == field
    assert field in str(info.value) or field == "data"


def test_unknown_name_lists_the_allowed_names():
    with pytest.raises(DataError, match='"spiral".*"digits".*"csv"') as info:
        load_dataset("nope")
    assert info.value.field == "data"


def test_classes_is_ignored_by_sets_other_than_blobs():
    np.testing.assert_array_equal(
        generate("spiral", 50, 0.1, 0, classes=3)[0], generate("spiral", 50, 0.1, 0, classes=9)[0]
    )


# --- features ------------------------------------------------------------------------


def test_features_compute_what_their_names_say():
    X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -4.0]])
    F = make_features(X, list(FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = [x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)]
    assert F.shape == (3, 7) and F.dtype == np.float64
    np.testing.assert_allclose(F, np.stack(expected, axis=1))
    np.testing.assert_array_equal(make_features(X, ["x1_x2", "x1"]), np.stack([x1 * x2, x1], 1))
    assert all(label for label, _ in FEATURES.values())


@pytest.mark.parametrize("features", [["x3"], [], ["x1", "x1"], "x1"])
def test_bad_features_are_rejected_with_the_allowed_keys(features):
    with pytest.raises(DataError) as info:
        make_features(np.zeros((2, 2)), features)
    assert info.value.field == "features"
    if features == ["x3"]:
        assert "'x3'" in str(info.value) and '"sin_x2"' in str(info.value)


# --- standardizer --------------------------------------------------------------------


def test_standardizer_fits_mean_and_std_and_handles_constant_columns():
    X = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    s = Standardizer.fit(X)
    np.testing.assert_allclose(s.mean, X.mean(0))
    np.testing.assert_allclose(s.std, [X[:, 0].std(), 1.0, X[:, 2].std()])
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, [0, 2]].std(0), 1)
    np.testing.assert_array_equal(Z[:, 1], 0)


def test_standardizer_round_trips_through_json_and_identity_changes_nothing():
    s = Standardizer.fit(np.random.default_rng(0).normal(3, 2, (50, 4)))
    back = Standardizer.from_dict(json.loads(json.dumps(s.to_dict())))
    np.testing.assert_array_equal(back.mean, s.mean)
    np.testing.assert_array_equal(back.std, s.std)
    X = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(Standardizer.identity(2).transform(X), X)


@pytest.mark.parametrize(
    "d", [{}, {"mean": [0.0], "std": [1.0, 2.0]}, {"mean": [0.0], "std": [0.0]}, {"mean": ["a"]}]
)
def test_standardizer_from_dict_rejects_bad_input(d):
    with pytest.raises(DataError) as info:
        Standardizer.from_dict(d)
    assert info.value.field == "standardizer"


def test_standardizer_rejects_the_wrong_number_of_columns():
    with pytest.raises(DataError, match="fitted on 2 columns"):
        Standardizer.identity(2).transform(np.zeros((4, 3)))


def test_load_dataset_standardizes_with_training_statistics_only():
    ds = load_dataset("gaussians", samples=400, noise=0.5, seed=2, features=["x1", "x1_sq"])
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(ds.X_train.std(0), 1)
    raw_test_inputs = make_features(ds.raw_test, ds.features)
    train_stats = Standardizer.fit(make_features(ds.raw_train, ds.features))
    np.testing.assert_allclose(ds.X_test, train_stats.transform(raw_test_inputs))
    test_stats = Standardizer.fit(raw_test_inputs)
    assert not np.allclose(ds.X_test, test_stats.transform(raw_test_inputs))
    assert not np.allclose(ds.standardizer.mean, test_stats.mean)


def test_standardize_false_gives_raw_features_and_the_identity():
    ds = load_dataset("circle", samples=100, standardize=False, features=["x1", "x2", "x1_x2"])
    np.testing.assert_array_equal(ds.X_train, make_features(ds.raw_train, ["x1", "x2", "x1_x2"]))
    np.testing.assert_array_equal(ds.standardizer.mean, np.zeros(3))
    np.testing.assert_array_equal(ds.standardizer.std, np.ones(3))


# --- load_dataset: splits, names, grid -----------------------------------------------


@pytest.mark.parametrize(
    ("samples", "test_share", "n_test"),
    [(500, 0.5, 250), (100, 0.2, 20), (10, 0.9, 9), (10, 0.01, 1), (10, 0.99, 9), (101, 0.3, 30)],
)
def test_split_sizes_follow_test_share_with_at_least_one_row_each(samples, test_share, n_test):
    ds = load_dataset("spiral", samples=samples, test_share=test_share)
    assert len(ds.y_test) == n_test and len(ds.X_test) == n_test
    assert len(ds.y_train) == samples - n_test
    assert len(ds.raw_train) == samples - n_test and len(ds.raw_test) == n_test


def test_split_is_a_partition_of_the_generated_rows():
    X, y = generate("moons", 200, 0.1, seed=5)
    ds = load_dataset("moons", samples=200, noise=0.1, seed=5)
    rows = np.concatenate([ds.raw_train, ds.raw_test])
    order = np.lexsort(rows.T)
    np.testing.assert_array_equal(rows[order], X[np.lexsort(X.T)])
    labels = np.concatenate([ds.y_train, ds.y_test])
    np.testing.assert_array_equal(np.sort(labels), np.sort(y))


@pytest.mark.parametrize("test_share", [0.0, 1.0, -0.5, 2.0])
def test_test_share_outside_zero_one_is_rejected(test_share):
    with pytest.raises(DataError) as info:
        load_dataset("spiral", test_share=test_share)
    assert info.value.field == "test_share"


def test_load_dataset_describes_a_2d_set():
    ds = load_dataset("blobs", samples=120, classes=4, features=["x1", "x2", "sin_x1"])
    assert isinstance(ds, Dataset)
    assert (ds.name, ds.task, ds.n_classes) == ("blobs", "classification", 4)
    assert ds.input_names == ["x1", "x2", "sin_x1"] == ds.features
    assert ds.class_names == ["0", "1", "2", "3"]
    assert ds.image_shape is None
    assert ds.X_train.shape == (60, 3) and ds.raw_train.shape == (60, 2)
    reg = load_dataset("bumps", samples=50)
    assert reg.task == "regression" and reg.n_classes == 0 and reg.class_names == []
    assert reg.y_train.dtype == np.float64


def test_load_dataset_is_deterministic_for_a_seed():
    a = load_dataset("spiral", samples=100, noise=0.3, seed=11)
    b = load_dataset("spiral", samples=100, noise=0.3, seed=11)
    c = load_dataset("spiral", samples=100, noise=0.3, seed=12)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.raw_train, c.raw_train)


@pytest.mark.parametrize("resolution", [1, 5, 50])
def test_grid_covers_the_square_row_major_and_uses_the_same_inputs(resolution):
    ds = load_dataset("circle", samples=80, features=["x1", "x2", "x1_sq", "x2_sq"])
    points, inputs = ds.grid(resolution)
    assert points.shape == (resolution * resolution, 2)
    assert inputs.shape == (resolution * resolution, 4)
    np.testing.assert_allclose(
        inputs, ds.standardizer.transform(make_features(points, ds.features))
    )
    image = points.reshape(resolution, resolution, 2)
    assert np.all(np.abs(points) < 6.0)
    if resolution > 1:
        assert np.all(np.diff(image[:, :, 0], axis=1) > 0)  # x1 grows along a row
        assert np.all(np.diff(image[:, :, 1], axis=0) < 0)  # x2 falls down the rows
        np.testing.assert_allclose(image[0, 0], [-6 + 6 / resolution, 6 - 6 / resolution])
    else:
        np.testing.assert_allclose(points, [[0.0, 0.0]])


def test_grid_is_only_for_2d_sets():
    with pytest.raises(DataError):
        load_dataset("digits").grid(10)
    with pytest.raises(DataError) as info:
        load_dataset("spiral", samples=20).grid(0)
    assert info.value.field == "resolution"


# --- digits --------------------------------------------------------------------------


def test_digits_file_has_the_uci_test_set():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    assert np.bincount(y).tolist() == DIGIT_COUNTS


def test_load_digits_returns_copies_that_callers_may_change():
    X, _ = load_digits()
    X[:] = -1
    assert load_digits()[0].min() == 0


def test_digits_dataset_uses_pixels_as_inputs():
    ds = load_dataset("digits", samples=5, noise=0.9, features=["x1_sq"], test_share=0.25)
    assert (ds.task, ds.n_classes, ds.image_shape) == ("classification", 10, (8, 8))
    assert ds.class_names == [str(d) for d in range(10)]
    assert ds.input_names == [f"px{i}" for i in range(64)]
    assert ds.features == []
    assert len(ds.y_test) == round(0.25 * 1797) and len(ds.y_train) == 1797 - len(ds.y_test)
    assert ds.X_train.shape == (len(ds.y_train), 64) and ds.raw_test.shape == (len(ds.y_test), 64)
    assert ds.raw_train.min() == 0 and ds.raw_train.max() == 16
    # 64 pixels share one mean and std, so a rarely inked pixel stays in range
    assert np.unique(ds.standardizer.mean).size == 1 and np.unique(ds.standardizer.std).size == 1
    np.testing.assert_allclose(ds.X_train.mean(), 0, atol=1e-10)
    np.testing.assert_allclose(ds.X_train.std(), 1)
    assert np.abs(ds.X_test).max() < 5


@pytest.mark.parametrize("k", [1, 5, 20])
def test_train_per_class_keeps_exactly_k_of_each_class(k):
    full = load_dataset("digits", seed=3)
    few = load_dataset("digits", seed=3, train_per_class=k)
    assert np.bincount(few.y_train, minlength=10).tolist() == [k] * 10
    np.testing.assert_array_equal(few.y_test, full.y_test)  # the test split is unchanged
    train_rows = {row.tobytes() for row in full.raw_train}
    assert all(row.tobytes() in train_rows for row in few.raw_train)
    again = load_dataset("digits", seed=3, train_per_class=k)
    np.testing.assert_array_equal(few.raw_train, again.raw_train)


def test_train_per_class_works_for_2d_classification_and_not_for_regression():
    ds = load_dataset("xor", samples=100, train_per_class=7)
    assert np.bincount(ds.y_train).tolist() == [7, 7]
    with pytest.raises(DataError) as info:
        load_dataset("plane", samples=100, train_per_class=7)
    assert info.value.field == "train_per_class"


@pytest.mark.parametrize("k", [0, 1000])
def test_train_per_class_out_of_range_is_rejected(k):
    with pytest.raises(DataError) as info:
        load_dataset("digits", train_per_class=k)
    assert info.value.field == "train_per_class"


def test_damaged_digits_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "digits.npz"
    np.savez_compressed(bad, pixels=np.zeros((10, 64), np.uint8), labels=np.zeros(10, np.uint8))
    with pytest.raises(DataError, match="damaged.*shapes"):
        load_digits(bad)
    pixels = np.full((1797, 64), 17, np.uint8)
    np.savez_compressed(bad, pixels=pixels, labels=np.zeros(1797, np.uint8))
    with pytest.raises(DataError, match="pixel values"):
        load_digits(bad)
    np.savez_compressed(bad, pixels=pixels * 0, labels=np.full(1797, 10, np.uint8))
    with pytest.raises(DataError, match="labels"):
        load_digits(bad)
    bad.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="damaged"):
        load_digits(bad)
    with pytest.raises(DataError, match="missing"):
        load_digits(tmp_path / "absent.npz")
    assert DIGITS_PATH.name == "digits.npz" and DIGITS_PATH.is_file()


# --- CSV -----------------------------------------------------------------------------

GOOD_CSV = """\
sepal,petal,species
5.1,1.4,setosa
7.0,4.7,versicolor
6.3,6.0,virginica

4.9,1.5,setosa
6.4,4.5,versicolor
"""


def test_parse_csv_classification():
    data = parse_csv(GOOD_CSV)
    assert data.task == "classification"
    assert data.feature_names == ["sepal", "petal"]
    assert data.class_names == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(data.y, [0, 1, 2, 0, 1])
    assert data.y.dtype == np.int64 and data.X.dtype == np.float64
    np.testing.assert_array_equal(data.X[1], [7.0, 4.7])


def test_parse_csv_label_column_by_name_or_index_and_numeric_classes_in_number_order():
    text = "label,a,b\n10,1,2\n2,3,4\n10,5,6\n1,7,8\n"
    for label_column in ("label", 0, -3):
        data = parse_csv(text, label_column=label_column)
        assert data.feature_names == ["a", "b"]
        assert data.class_names == ["1", "2", "10"]
        np.testing.assert_array_equal(data.y, [2, 1, 2, 0])


def test_parse_csv_regression_with_quotes_bom_and_spaces():
    text = '\ufeff"x, first",y,target\n1, 2,0.5\n3,4 ,-1e-1\n5,6,2\n7,8,3\n'
    data = parse_csv(text, task="regression")
    assert data.feature_names == ["x, first", "y"]
    assert data.class_names == [] and data.y.dtype == np.float64
    np.testing.assert_allclose(data.y, [0.5, -0.1, 2, 3])
    np.testing.assert_allclose(data.X[:, 1], [2, 4, 6, 8])


def test_load_dataset_from_csv():
    data = parse_csv(GOOD_CSV)
    ds = load_dataset(CSV_NAME, csv=data, test_share=0.4, seed=1)
    assert (ds.name, ds.task, ds.n_classes) == ("csv", "classification", 3)
    assert ds.input_names == ["sepal", "petal"] and ds.features == []
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert len(ds.y_test) == 2 and len(ds.y_train) == 3
    assert ds.raw_train.shape == (3, 2)
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-12)
    with pytest.raises(DataError) as info:
        load_dataset(CSV_NAME)
    assert info.value.field == "csv"


@pytest.mark.parametrize(
    ("text", "kwargs", "field", "words"),
    [
        ("", {}, "csv", ["empty"]),
        (" \n\n", {}, "csv", ["empty"]),
        ("1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {}, "csv: row 1", ["header"]),
        ("a,,c\n1,2,0\n", {}, "csv: row 1", ["column 2", "no name"]),
        ("a,a,c\n1,2,0\n", {}, "csv: row 1", ["unique", "a"]),
        ("label\n1\n2\n1\n2\n", {}, "csv: row 1", ["at least 2 columns"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,6\n7,8,1\n", {}, "csv: row 4", ["row 4", "2 cells", "3 columns"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,6,0,9\n7,8,1\n", {}, "csv: row 4", ["4 cells"]),
        ("a,b,y\n1,2,0\n3,oops,1\n5,6,0\n7,8,1\n", {}, "csv: row 3, column 'b'", ["'oops'"]),
        ("a,b,y\n1,2,0\n3,,1\n5,6,0\n7,8,1\n", {}, "csv: row 3, column 'b'", ["empty"]),
        ("a,b,y\n1,2,0\n3,4,1\nnan,6,0\n7,8,1\n", {}, "csv: row 4, column 'a'", ["finite"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,inf,0\n7,8,1\n", {}, "csv: row 4, column 'b'", ["finite"]),
        ("a,b,y\n1,2,0\n3,4,\n5,6,0\n7,8,1\n", {}, "csv: row 3, column 'y'", ["empty"]),
        (
            "a,b,y\n1,2,0\n3,4,x\n5,6,1\n7,8,1\n",
            {"task": "regression"},
            "csv: row 3, column 'y'",
            ["'x'"],
        ),
        ("a,b,y\n1,2,0\n3,4,1\n", {}, "csv", ["2 data rows", "at least 4"]),
        ("a,b,y\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", {}, "csv", ["one class", "'0'"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {"max_rows": 3}, "csv", ["more than 3"]),
        (
            "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n",
            {"label_column": "z"},
            "label_column",
            ["'z'", "a, b, y"],
        ),
        ("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {"label_column": 3}, "label_column", ["0..2"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {"task": "ranking"}, "task", ["regression"]),
        ("a,y\n" + "".join(f"{i},{i}.5\n" for i in range(101)), {}, "csv", ["101", "regression"]),
        ('a,b,y\n1,2,0\n"3,4,1\n5,6,1\n', {}, "csv: row 3", ["1 cell but"]),
        ("a,b,y\n1,2,0\n3,4,1\n5,6\n", {}, "csv: row 4", ["2 cells"]),
    ],
)
def test_bad_csv_gives_a_data_error_naming_the_place(text, kwargs, field, words):
    with pytest.raises(DataError) as info:
        parse_csv(text, **kwargs)
    assert info.value.field == field
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# --- properties ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from([*TWO_D, "digits"]),
    samples=st.integers(MIN_SAMPLES, 400),
    noise=st.floats(0.0, 1.0),
    test_share=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
    classes=st.integers(3, 5),
    features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True),
    standardize=st.booleans(),
    resolution=st.integers(1, 12),
)
def test_valid_arguments_give_finite_consistent_arrays(
    name, samples, noise, test_share, seed, classes, features, standardize, resolution
):
    ds = load_dataset(name, samples, noise, test_share, seed, classes, features, standardize)
    n_train, n_test = len(ds.y_train), len(ds.y_test)
    assert n_train >= 1 and n_test >= 1
    dims = len(ds.input_names)
    assert ds.X_train.shape == (n_train, dims) and ds.X_test.shape == (n_test, dims)
    assert ds.raw_train.shape[0] == n_train and ds.raw_test.shape[0] == n_test
    assert ds.raw_train.shape[1] == DATASETS[name].dims
    assert ds.standardizer.mean.shape == (dims,)
    for array in (ds.X_train, ds.X_test, ds.y_train, ds.y_test, ds.raw_train, ds.raw_test):
        assert np.all(np.isfinite(array))
        assert array.dtype in (np.float64, np.int64)
    if ds.task == "classification":
        assert ds.y_train.dtype == np.int64 and len(ds.class_names) == ds.n_classes
        assert 0 <= min(ds.y_train.min(), ds.y_test.min())
        assert max(ds.y_train.max(), ds.y_test.max()) < ds.n_classes
    if name != "digits":
        assert n_train + n_test == samples
        points, inputs = ds.grid(resolution)
        assert points.shape == (resolution**2, 2) and inputs.shape == (resolution**2, dims)
        assert np.all(np.isfinite(inputs))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(-1e6, 1e6, allow_nan=False),
            st.floats(-1e6, 1e6, allow_nan=False),
            st.sampled_from(["cat", "dog", "bird"]),
        ),
        min_size=4,
        max_size=30,
    )
)
def test_parse_csv_reads_back_what_was_written(rows):
    labels = {label for *_, label in rows}
    text = "u,v,animal\n" + "".join(f"{a!r},{b!r},{c}\n" for a, b, c in rows)
    if len(labels) < 2:
        with pytest.raises(DataError, match="one class"):
            parse_csv(text)
        return
    data = parse_csv(text)
    np.testing.assert_array_equal(data.X, np.array([[a, b] for a, b, _ in rows]))
    assert data.class_names == sorted(labels)
    assert [data.class_names[i] for i in data.y] == [c for *_, c in rows]


def test_a_csv_of_64_pixel_columns_is_an_8x8_image_set() -> None:
    from engine.data import load_dataset, parse_csv

    rng = np.random.default_rng(0)
    header = ",".join(f"p{i}" for i in range(64)) + ",label"
    rows = [",".join(str(int(v)) for v in rng.integers(0, 17, 64)) + f",{'ab'[k % 2]}"
            for k in range(12)]
    d = load_dataset("csv", csv=parse_csv("\n".join([header, *rows])))
    assert d.image_shape == (8, 8)
    assert np.allclose(d.standardizer.std, d.standardizer.std[0])  # shared, like the digits
    other = "x," + ",".join(f"p{i}" for i in range(63)) + ",label"
    d2 = load_dataset("csv", csv=parse_csv("\n".join([other, *rows])))
    assert d2.image_shape is None
