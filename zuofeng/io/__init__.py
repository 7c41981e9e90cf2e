"""Data in and out: the ballot template, 问卷星 and LimeSurvey imports, the Excel export, backups.

Imports are all or nothing: a file with any bad row stores nothing and raises
:class:`ImportProblems` listing every problem with its row and column.
"""

from .import_problems import ImportProblems, Problem
from .importer import ImportResult, import_file, parse

__all__ = ["ImportProblems", "ImportResult", "Problem", "import_file", "parse"]
