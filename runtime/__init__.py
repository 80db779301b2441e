"""What every process shares: the settings each one reads from the environment, the Temporal
connection, and the supervision of child processes that runs the whole product on one machine
(the local stack of `tendlc demo`, the end-to-end tests and the benchmarks)."""
