"""`python -m worker`: the same as `tendlc worker`."""

import sys

from starter.cli import console_main

if __name__ == "__main__":
    console_main(["worker", *sys.argv[1:]])
