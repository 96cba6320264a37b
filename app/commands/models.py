"""The fields of every websocket command, declared as pydantic models, and the translation of
a refused field into the app's one error type (code, field, value, English message).

A field's ``description`` is what is allowed; the error message is made from it:
``"n: 0 is not allowed; it must be a whole number from 1 to 10000"`` (a wrong type or a value
out of range) or ``"config: set needs "config": an object of ..."`` (a missing field). Values
that depend on the run (a layer index, a configuration value) are checked by the handler.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from ..errors import AppError, short

MAX_STEPS_PER_COMMAND = 10_000
MAX_SPEED = 1_000_000.0
MAX_UNTIL = 10**9
"""Highest step count a ``play`` may stop at."""
MAX_PRESENTER_BYTES = 4096
MAX_PREDICT_ROWS = 64
MAX_RUNNERS = 4


def _whole(v: Any) -> int:
    """A whole number: an int, or a float with no fraction (JSON has one number type)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or (
            isinstance(v, float) and (not math.isfinite(v) or v != int(v))):
        raise PydanticCustomError("wrong_type", "not a whole number")
    return int(v)


Whole = Annotated[int, BeforeValidator(_whole)]


def whole(lo: int, hi: int, default: Any = ..., note: str = "") -> Any:
    """A whole-number field from ``lo`` to ``hi``, its description made from its range."""
    return Field(default, ge=lo, le=hi, description=f"a whole number from {lo} to {hi}{note}")


def _raw_rows(raw: Any) -> Any:
    """predict's rows: 1 to MAX_PREDICT_ROWS lists of finite numbers."""
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) for r in raw):
        raise PydanticCustomError("wrong_type" if not isinstance(raw, list) or raw
                                  else "out_of_range", "not a list of rows")
    if len(raw) > MAX_PREDICT_ROWS:
        raise PydanticCustomError("too_large", "{size} rows is too many; at most {limit} at once",
                                  {"size": len(raw), "limit": MAX_PREDICT_ROWS, "said": 1})
    for i, row in enumerate(raw):
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int | float) or not _finite(v):
                raise PydanticCustomError(
                    "wrong_type", "row {i}, value {j} is {v}; every value must be a finite "
                    "number", {"i": i, "j": j, "v": repr(short(v)), "said": 1})
    return raw


def _finite(v: float) -> bool:
    """A number a float can hold (a whole number of 400 digits cannot)."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _presenter_state(state: Any) -> Any:
    if isinstance(state, dict):
        size = len(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_PRESENTER_BYTES:
            raise PydanticCustomError(
                "too_large", f"{size:,} bytes is too large; a presenter state may be at most "
                f"{MAX_PRESENTER_BYTES:,} bytes of JSON",
                {"size": size, "limit": MAX_PRESENTER_BYTES, "said": 1})
    return state


class CommandModel(BaseModel):
    """Fields of a command (unknown fields, and ``type`` and ``id``, are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    absent_unless_sent: ClassVar[tuple[str, ...]] = ()
    """Fields left out of the checked fields when the client did not send them."""


class NoFields(CommandModel):
    """No fields."""


class Play(CommandModel):
    until: Annotated[Whole, Field(ge=1, le=MAX_UNTIL)] | None = Field(
        None, description=f"a whole number from 1 to {MAX_UNTIL} (the step at which to "
                          "pause), or null for no limit")
    absent_unless_sent = ("until",)


class Step(CommandModel):
    n: Whole = whole(1, MAX_STEPS_PER_COMMAND, 1)


class Set(CommandModel):
    config: dict[str, Any] = Field(
        min_length=1, description="an object of fields to change, e.g. {\"lr\": 0.01}")


class Speed(CommandModel):
    steps_per_second: float | None = Field(
        gt=0, le=MAX_SPEED, allow_inf_nan=False,
        description=f"a number > 0 and ≤ {MAX_SPEED:g}, or null (as fast as it goes)")


class SetWeight(CommandModel):
    layer: Whole = whole(0, 1000)
    row: Whole = whole(0, 1_000_000)
    col: Whole | None = whole(0, 1_000_000, None, " (not with bias)")
    bias: bool = Field(False, description="true or false")
    value: float = Field(ge=-1e6, le=1e6, allow_inf_nan=False,
                         description="a finite number within ±1e6")

    @model_validator(mode="after")
    def _col_unless_bias(self) -> SetWeight:
        if not self.bias and self.col is None:
            raise PydanticCustomError("missing_field", "col")
        return self


class Freeze(CommandModel):
    layer: Whole = whole(0, 1000)
    frozen: bool = Field(description="true or false")


class Predict(CommandModel):
    raw: Annotated[list[list[Any]], BeforeValidator(_raw_rows)] = Field(
        description=f"a list of 1 to {MAX_PREDICT_ROWS} rows, each a list of numbers as the "
                    "data set gives them")
    runner: Whole = whole(0, MAX_RUNNERS - 1, 0, " (race sessions: which runner)")


class Presenter(CommandModel):
    state: Annotated[dict[str, Any], BeforeValidator(_presenter_state)] = Field(
        description=f"a JSON object of at most {MAX_PRESENTER_BYTES:,} bytes (the view state "
                    "to share)")


class Lesson(CommandModel):
    name: str = Field(min_length=1, max_length=100,
                      description="the name of a lesson (GET /api/lessons)")
    variant: str | None = Field(None, max_length=100, description=(
        "the name of one of the lesson's variants, or null"))


class RaceTarget(CommandModel):
    target: dict[str, Any] = Field(description="{\"metric\": ..., \"value\": ...}")


WRONG_TYPE = frozenset({"int_type", "float_type", "bool_type", "dict_type", "list_type",
                        "string_type", "model_type", "none_required", "wrong_type"})


def check(command: str, model: type[CommandModel], data: dict[str, Any]) -> dict[str, Any]:
    """The command's checked fields; AppError (missing_field, wrong_type, out_of_range or
    too_large) naming the first field refused."""
    try:
        m = model.model_validate(data)
    except ValidationError as exc:
        raise field_error(command, model, exc.errors()[0], data) from None
    fields = m.model_dump()
    for name in model.absent_unless_sent:
        if name not in m.model_fields_set:
            del fields[name]
    return fields


def field_error(command: str, model: type[CommandModel], e: ErrorDetails,
                data: dict[str, Any]) -> AppError:
    """One refused field of ``command`` as an AppError."""
    kind = e["type"]
    if kind == "missing_field":  # a field needed only with others (set_weight's col)
        name = e["msg"]
    else:
        name = str(e["loc"][0]) if e["loc"] else "?"
    info = model.model_fields.get(name)
    allowed = info.description if info is not None and info.description else "allowed"
    value = data.get(name)
    if kind in ("missing", "missing_field") and name not in data:
        return AppError("missing_field", f"{name}: {command} needs \"{name}\": {allowed}",
                        name, None, command=command)
    ctx = e.get("ctx") or {}
    if ctx.get("said"):  # a check that says what is wrong in its own words, and its numbers
        numbers = {k: v for k, v in ctx.items() if k in ("size", "limit")}
        return AppError(kind, f"{name}: {e['msg']}", name, short(value), **numbers)
    code = "wrong_type" if kind in WRONG_TYPE or kind == "missing_field" else "out_of_range"
    return AppError(code, f"{name}: {short(value)!r} is not allowed; it must be {allowed}",
                    name, short(value))
