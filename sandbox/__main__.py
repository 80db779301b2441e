"""`python -m sandbox [--port 8787] [--state FILE] ...`: the same as `tendlc sandbox`."""

import argparse
import sys

from sandbox.cli import configure, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the fake Bird 10DLC API.")
    configure(parser)
    sys.exit(run(parser.parse_args()))
