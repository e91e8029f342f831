"""The user's CSV for the report (reading and checking live in ``numeric._datafiles``)."""

from numeric._datafiles import Table as Table
from numeric._datafiles import read_labelled_csv as read_labelled_csv

__all__ = ["Table", "read_labelled_csv"]
