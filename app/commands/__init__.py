"""Websocket commands: the table (table.py), their fields (models.py) and their handlers
(run.py, edit.py, teach.py)."""

from .table import COMMANDS, RACE_COMMANDS, Spec

__all__ = ["COMMANDS", "RACE_COMMANDS", "Spec"]
