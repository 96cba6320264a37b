"""Tuning beside the live sessions: sweeps run in worker processes (or on a Dask cluster) and
are followed from /api/sweeps; the learning-rate finder runs on a session's worker thread (the
``lr_find`` command). See docs/tuning.md."""
