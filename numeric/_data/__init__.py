"""Labelled data files read in chunks, streamed moments and the logistic regression fitted to a file."""

from ._files import open_labelled_file as open_labelled_file
from ._files import read_labelled_csv as read_labelled_csv
from ._fit import LogregFit as LogregFit
from ._fit import fit_logreg as fit_logreg
from ._fit import logreg_data_statistics as logreg_data_statistics
from ._streaming import fit_logreg_streaming as fit_logreg_streaming
from ._streaming import load_weights as load_weights
from ._streaming import stream_logreg_moments as stream_logreg_moments

__all__ = ["LogregFit", "fit_logreg", "fit_logreg_streaming", "load_weights", "logreg_data_statistics",
           "open_labelled_file", "read_labelled_csv", "stream_logreg_moments"]
