"""Rendered reports (DESIGN §6): papermill notebooks executed in warm kernels, exported to self-contained
HTML without input cells, with an index; see ``render_round``."""

from .audiences import render_audience
from .batch import BatchResult, ReportBatchError, render_round

__all__ = ["BatchResult", "ReportBatchError", "render_audience", "render_round"]
