"""Hostile configurations and CSV label columns get a clean ConfigError / DataError naming the
field, whose message and to_dict() are short and safe to send as UTF-8 JSON: never an
OverflowError (huge integers), a RecursionError (deep nesting) or a UnicodeEncodeError (lone
surrogates)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import FIELDS, MAX_ERRORS, ConfigError, FieldError, validate
from engine.data import DataError, parse_csv

NUMERIC = [name for name, f in FIELDS.items()
           if isinstance(getattr(f.check, "meta", None), dict) and "min" in f.check.meta]


def nested(depth: int) -> list[Any]:
    v: list[Any] = []
    for _ in range(depth):
        v = [v]
    return v


def assert_clean(exc: ConfigError, field: str | None = None) -> None:
    """The error names the field, and every way it is sent is short, strict, UTF-8 JSON."""
    if field is not None:
        assert [e.field for e in exc.errors] == [field]
    assert len(str(exc)) < 1000 * len(exc.errors)
    for e in exc.errors:
        d = e.to_dict()
        json.dumps(d, allow_nan=False, ensure_ascii=False).encode("utf-8")
        assert len(json.dumps(d)) < 2000


def refused(raw: dict[str, Any], field: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate(raw)
    assert_clean(info.value, field)
    return info.value


def test_a_400_digit_seed_is_refused_with_its_range() -> None:
    exc = refused({"seed": 10**400}, "seed")
    assert "≤ 2147483647" in str(exc)
    assert "about 401 digits" in str(exc)


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("value", [10**400, -(10**400), 10**5000, 1e308, -1e308],
                         ids=["1e400", "-1e400", "1e5000", "1e308", "-1e308"])
def test_huge_numbers_in_any_numeric_field_are_refused_naming_it(name: str, value: Any) -> None:
    refused({name: value}, name)


@pytest.mark.parametrize("value", [[10**400], [10**5000], [2**63]],
                         ids=["1e400", "1e5000", "2^63"])
def test_huge_layer_widths_and_frozen_indices_are_refused(value: list[int]) -> None:
    refused({"layers": value}, "layers")
    refused({"freeze": value}, "freeze")
    refused({"betas": [*value, 0.5]}, "betas")


def test_a_lone_surrogate_is_refused_and_echoed_safely() -> None:
    exc = refused({"data": "\ud800"}, "data")
    assert "\\ud800" in str(exc)


def test_a_lone_surrogate_or_a_megabyte_as_a_field_name_is_cut_and_escaped() -> None:
    for key in ("\udfff", "x" * 1_000_000):
        with pytest.raises(ConfigError) as info:
            validate({key: 1})
        assert_clean(info.value)
        assert len(info.value.errors[0].to_dict()["field"]) <= 200


def test_a_megabyte_string_value_is_echoed_short() -> None:
    exc = refused({"activation": "r" * 1_000_000}, "activation")
    assert len(exc.errors[0].to_dict()["value"]) <= 200


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_a_value_nested_ten_thousand_deep_is_refused_in_every_field(name: str) -> None:
    refused({name: nested(10_000)}, name)


def test_groups_of_huge_or_nested_digits_are_refused() -> None:
    base = {"data": "digits", "digits_task": "groups"}
    refused({**base, "digit_groups": [[10**5000], [1]]}, "digit_groups")
    refused({**base, "digit_groups": [nested(10_000), [1]]}, "digit_groups")


def test_a_million_unknown_fields_get_a_bounded_answer() -> None:
    with pytest.raises(ConfigError) as info:
        validate({f"f{i}": i for i in range(1_000_000)})
    assert len(info.value.errors) == MAX_ERRORS + 1
    assert info.value.errors[-1].field == "config"


def test_freezing_every_layer_is_refused_in_validation() -> None:
    exc = refused({"layers": [4], "freeze": [0, 1]}, "freeze")
    assert "at least one layer" in str(exc)
    exc = refused({"layers": [4], "freeze": [2]}, "freeze")
    assert "layers 0 to 1" in str(exc)
    assert validate({"layers": [4], "freeze": [0]})["freeze"] == [0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300)
    | st.floats() | st.text(alphabet=st.characters(), max_size=30)
    | st.sampled_from(["\ud800", "x" * 5000, "1e999", "adam", "spiral"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)) | st.text(max_size=8), json_values,
                       max_size=4))
def test_any_json_value_in_any_field_is_accepted_or_cleanly_refused(raw: dict[str, Any]
                                                                    ) -> None:
    try:
        cfg = validate(raw)
    except ConfigError as exc:
        assert_clean(exc)
        assert all(isinstance(e, FieldError) for e in exc.errors)
    else:
        json.dumps(cfg, allow_nan=False, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------- CSV labels
CSV = "a,b,2,label\n" + "\n".join(f"{i},{i % 3},{i * 2},{'xy'[i % 2]}" for i in range(8))


@pytest.mark.parametrize("label", ["--1", "1" * 5000, "-" + "9" * 5000, "1e3", " 1", "x" * 10**6,
                                   "\ud800"], ids=["--1", "5000 digits", "-5000 digits", "1e3",
                                                   "space 1", "a megabyte", "surrogate"])
def test_a_label_that_is_neither_a_column_nor_an_index_is_refused_naming_it(label: str) -> None:
    with pytest.raises(DataError) as info:
        parse_csv(CSV, label)
    assert info.value.field == "label_column"
    assert "label column" in info.value.message and "a, b, 2, label" in info.value.message
    assert len(info.value.message) < 500
    info.value.message.encode("utf-8")


@pytest.mark.parametrize("label", [10**5000, -(10**400), 4, -5],
                         ids=["1e5000", "-1e400", "4", "-5"])
def test_a_label_index_out_of_range_is_refused_naming_it(label: int) -> None:
    with pytest.raises(DataError) as info:
        parse_csv(CSV, label)
    assert info.value.field == "label_column"
    assert "0..3 or -4..-1" in info.value.message
    assert len(info.value.message) < 500


def test_a_label_given_as_text_is_a_name_first_then_an_index() -> None:
    assert parse_csv(CSV, "-1").class_names == ["x", "y"]  # the query string's default
    assert parse_csv(CSV, "label").class_names == ["x", "y"]
    numbers = "a,0,c\n" + "\n".join(f"{i},{i % 2},{i * 3}" for i in range(8))
    assert parse_csv(numbers, "0").feature_names == ["a", "c"]  # the column named "0"
    assert parse_csv(numbers, "2").feature_names == ["a", "0"]  # no column "2": index 2
    assert parse_csv(numbers, "-3").feature_names == ["0", "c"]


def test_a_5000_digit_cell_is_not_a_number() -> None:
    text = "a,label\n" + "\n".join(f"{i},x{i % 2}" for i in range(5)) + "\n" + "9" * 5000 + ",x0\n"
    with pytest.raises(DataError) as info:
        parse_csv(text)
    assert info.value.field.startswith("csv: row 7")
    assert len(info.value.message) < 500
