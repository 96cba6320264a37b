"""Every code a server event can carry: one table, the page's words are keyed by it.

Each ``error``, ``notice`` and ``diverged`` event (and each refused websocket handshake, in its
JSON body) carries ``code``, a stable lower_snake_case name from ``CODES``, plus the numbers the
page needs as fields of the event (listed in ``FIELDS``). ``message`` stays English text for
clients that do not translate. A code, once here, keeps its name and meaning.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # ---- a message that is not a command (websocket)
    "binary_message": "a binary websocket message; commands are JSON text",
    "message_too_large": "the message is over the server's size limit for a command",
    "rate_limited": "too many commands a second; this one was dropped",
    "bad_json": "the message is not JSON",
    "too_deep": "the message nests arrays and objects too deeply",
    "not_an_object": "a command must be a JSON object with a \"type\"",
    "unknown_command": "\"type\" is not a command",
    "read_only": "a viewer sent a command only the controller may send",
    "message_failed": "the server could not handle this message; it was dropped",
    # ---- a field of a command
    "missing_field": "a command lacks a field it needs",
    "wrong_type": "a field of a command has the wrong type",
    "out_of_range": "a field of a command is outside what is allowed",
    "too_large": "a field of a command is too large (too many rows, too many bytes)",
    "invalid_config": "a configuration field is not allowed (engine's validation)",
    "invalid_data": "the data cannot be made or read as asked",
    # ---- limits of the server
    "too_many_params": "the network has more parameters than this server allows",
    "too_much_work_step": "a training step (batch rows × parameters) is over the limit",
    "too_much_work_eval": "an evaluation ((train + test) rows × parameters) is over the limit",
    "server_full": "the server already runs as many sessions as it may",
    "too_many_clients": "the session already has as many clients as it may",
    "session_not_found": "the session does not exist (it may have ended)",
    # ---- HTTP refusals (each entry of an answer's detail carries its code)
    "unknown_preset": "the preset does not exist",
    "not_utf8": "the uploaded CSV file is not UTF-8 text",
    "empty_file": "the uploaded file is empty",
    "wrong_token": "the control token is wrong for this session",
    # ---- a command the run cannot take now
    "refused_diverged": "the run diverged and stopped; reset it first",
    "refused_after_error": "training stopped after an error; reset the run first",
    "until_not_ahead": "play's until is not ahead of the run's step",
    "pause_to_edit": "a weight can be edited only while the run is paused",
    "no_such_layer": "the layer index does not exist in this network",
    "no_such_row": "the row index does not exist in this layer",
    "no_such_col": "the column index does not exist in this layer",
    "last_trainable_layer": "freezing this layer would leave no layer to train",
    "no_such_runner": "the runner index does not exist in this session",
    "not_in_race": "the command is not available in a race session",
    "not_a_race": "the command needs a race session",
    "runner_field": "in a race, a field the runners set themselves cannot be set for all",
    "unknown_lesson": "the lesson does not exist",
    "unknown_variant": "the variant is not one of the lesson's",
    "lesson_no_variants": "the lesson has no variants; send null",
    "command_failed": "the command failed inside the server",
    "training_crashed": "training stopped after an error inside the server",
    # ---- notices
    "rebuilt": "a change rebuilt the run: a new network (or new data), from step 0",
    "race_rebuilt": "a change rebuilt the race: every runner starts again from step 0",
    "csv_loaded": "the run now trains on the uploaded CSV file",
    "model_loaded": "the run now starts from the uploaded model",
    "runner_diverged": "one runner of a race diverged and stopped; the others go on",
    "idle_paused": "training paused: no client was connected for a while",
    "until_reached": "training paused at the step play was asked to stop at",
    "lesson_until_reached": "training paused at the step count a lesson's figures are measured at",
    # ---- classes (HTTP refusals of /api/classes and the notices a class sends)
    "class_not_found": "no class has this join code",
    "class_ended": "the class has ended; its code no longer admits anyone",
    "wrong_class_token": "the teacher's class token is missing or wrong",
    "wrong_student_token": "the student token is missing or wrong for this student",
    "no_such_student": "the class has no student with this id",
    "join_limited": "too many join attempts from this address; wait before trying again",
    "class_full": "the class already has as many students as it may",
    "too_many_classes": "the server already runs as many classes as it may",
    "bad_display_name": "the display name is empty or too long",
    "teacher_session_gone": "the teacher's session has ended",
    "fork_limited": "a student asked for forks too quickly; wait a moment",
    "session_in_class": "the session already runs a class",
    "class_fork": "the teacher asks every student to try it themselves (fork the run)",
    # ---- the run store (app/store, docs/runs.md)
    "recording_paused": "the run store does not answer: recording paused (training goes on)",
    "recording_resumed": "the run store answers again: recording goes on",
    "run_saved": "the run was checkpointed in the run store",
    "not_recorded": "this server records no runs (no --data-dir or --database-url)",
    # ---- tuning (the learning-rate finder and sweeps, docs/tuning.md)
    "tuning_unavailable": "sweeps need Optuna, which is not installed on this server",
    "invalid_sweep": "the sweep is refused (a key, a field or a range is not allowed)",
    "too_many_sweeps": "too many sweeps run at once (on the server or from this address)",
    "sweep_not_found": "the sweep does not exist (or was forgotten)",
    "dask_unreachable": "the Dask scheduler the server was given cannot be reached",
    "sweep_failed": "the sweep stopped: its workers could not run",
    # ---- diverged events
    "diverged": "the run diverged (NaN or infinity) and stopped",
    "race_diverged": "every runner of the race diverged; the race stopped",
}

FIELDS: dict[str, tuple[str, ...]] = {
    "message_too_large": ("size", "limit"),
    "rate_limited": ("limit",),
    "bad_json": ("position",),
    "too_deep": ("limit",),
    "unknown_command": ("field", "value", "allowed"),
    "read_only": ("command",),
    "missing_field": ("field", "command"),
    "wrong_type": ("field", "value"),
    "out_of_range": ("field", "value"),
    "too_large": ("field", "size", "limit"),
    "invalid_config": ("field", "value", "errors"),
    "invalid_data": ("field",),
    "too_many_params": ("field", "value", "params", "limit"),
    "too_much_work_step": ("field", "value", "rows", "params", "limit"),
    "too_much_work_eval": ("field", "value", "rows", "params", "limit"),
    "server_full": ("field", "value", "limit"),
    "too_many_clients": ("limit",),
    "unknown_preset": ("field", "value", "allowed"),
    "not_utf8": ("field", "byte"),
    "empty_file": ("field",),
    "until_not_ahead": ("field", "value", "step"),
    "no_such_layer": ("field", "value", "limit"),
    "no_such_row": ("field", "value", "layer", "limit"),
    "no_such_col": ("field", "value", "layer", "limit"),
    "no_such_runner": ("field", "value", "limit"),
    "last_trainable_layer": ("field", "value"),
    "not_in_race": ("command", "allowed"),
    "runner_field": ("field", "value"),
    "unknown_lesson": ("field", "value", "allowed"),
    "unknown_variant": ("field", "value", "allowed"),
    "lesson_no_variants": ("field", "value"),
    "rebuilt": ("changed", "rebuilt"),
    "race_rebuilt": ("changed",),
    "csv_loaded": ("rows", "columns"),
    "model_loaded": ("sizes", "replaced"),
    "runner_diverged": ("runner", "label", "step"),
    "idle_paused": ("step", "seconds"),
    "until_reached": ("step",),
    "lesson_until_reached": ("step",),
    "class_not_found": ("field", "value"),
    "class_ended": ("field", "value"),
    "no_such_student": ("field", "value"),
    "join_limited": ("limit", "seconds"),
    "class_full": ("limit",),
    "too_many_classes": ("limit",),
    "bad_display_name": ("field", "value", "limit"),
    "class_fork": ("class_code", "note"),
    "fork_limited": ("seconds",),
    "recording_paused": ("reason",),
    "run_saved": ("step",),
    "tuning_unavailable": ("install",),
    "invalid_sweep": ("field", "value", "errors"),
    "too_many_sweeps": ("limit",),
    "sweep_not_found": ("field", "value"),
    "diverged": ("step", "quantity"),
    "race_diverged": ("step", "quantity"),
}
"""The fields (beyond ``type``, ``code`` and ``message``) an event with the code carries;
codes not listed carry none. Errors of a command also carry ``command`` and ``id``."""


def table() -> dict[str, dict[str, object]]:
    """{code: {"description", "fields"}}, as ``GET /api/codes`` serves it."""
    return {code: {"description": text, "fields": list(FIELDS.get(code, ()))}
            for code, text in CODES.items()}
