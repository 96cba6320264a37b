"""Backprop Lab's server: training sessions in worker threads, streamed over websockets."""

from pathlib import Path

__version__ = "0.1.0"


def web_dir(name: str) -> Path:
    """The page's folder ``name`` ("static" or "templates"). An installed package carries it
    as ``app/<name>`` (in the checkout, a link to the top-level folder); a checkout whose
    links were not made (a system without symbolic links) falls back to the top level."""
    here = Path(__file__).resolve().parent
    packaged = here / name
    return packaged if packaged.is_dir() else here.parent / name
