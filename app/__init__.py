"""Backprop Lab's server: training sessions in worker threads, streamed over websockets."""

__version__ = "0.1.0"
