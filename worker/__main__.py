"""`python -m worker`: the same as `tendlc worker`."""

import sys

from starter.cli import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
