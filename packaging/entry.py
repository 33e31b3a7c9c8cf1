"""PyInstaller entry point: the `nodeloom` console script.

`freeze_support` lets the processes backend's worker processes start from the frozen binary (they
re-run this executable, which must then act as a worker instead of parsing the command line).
"""

import multiprocessing
import sys

from nodeloom.core.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
