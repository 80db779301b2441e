"""`python -m worker [--task-queue Q] ...`: the same as `tendlc worker`."""

import argparse

from runtime.processes import exit_without_teardown
from worker.cli import configure, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m worker", description="Run the Temporal worker.")
    configure(parser)
    exit_without_teardown(run(parser.parse_args()))
