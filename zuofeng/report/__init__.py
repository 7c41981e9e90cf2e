"""Rendered reports: papermill notebooks run in warm kernels, exported to self-contained HTML."""
