"""`python -m nursery_ops …` — see nursery_ops.cli."""

import sys

from nursery_ops.cli import main

if __name__ == "__main__":
    sys.exit(main())
