"""gradproof.numeric.runtime: where and how the numbers are computed.

:func:`resolve_device` is the one device choice (CUDA when present unless told otherwise);
:func:`check_seed` validates the one ``seed`` that threads through everything;
:func:`single_thread` runs a block on one intra-op thread, so that its float reductions happen
in one order whatever the machine's load.
"""

from ._devices import resolve_device as resolve_device
from ._threads import single_thread as single_thread
from ._validation import SEED_MAX as SEED_MAX
from ._validation import check_seed as check_seed

__all__ = ["resolve_device", "check_seed", "SEED_MAX", "single_thread"]
