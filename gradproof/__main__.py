"""``python -m gradproof``: the ``gradproof`` command line."""

import sys

from gradproof.reports import main

sys.exit(main())
