"""gradproof.numeric.data: labelled data files, read in chunks, and the logistic regression fitted to them.

:func:`open_labelled_file` opens a ``.npy`` (memory-mapped) or a CSV; its ``chunks()`` feed
:func:`stream_logreg_moments` (O(d) extra memory) and :func:`fit_logreg`, whose fit gives the
whole-data statistics of :func:`logreg_data_statistics`.
"""

from ._data import LogregFit as LogregFit
from ._data import fit_logreg as fit_logreg
from ._data import fit_logreg_streaming as fit_logreg_streaming
from ._data import load_weights as load_weights
from ._data import logreg_data_statistics as logreg_data_statistics
from ._data import open_labelled_file as open_labelled_file
from ._data import read_labelled_csv as read_labelled_csv
from ._data import stream_logreg_moments as stream_logreg_moments

__all__ = ["open_labelled_file", "read_labelled_csv", "load_weights", "stream_logreg_moments",
           "fit_logreg", "fit_logreg_streaming", "LogregFit", "logreg_data_statistics"]
