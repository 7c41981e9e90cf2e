"""zuofeng (作风): anonymous self and peer surveys for a work-style improvement campaign."""

__version__ = "0.1.0"
