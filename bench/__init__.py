"""Benchmarks (`make bench`): a million-task database (`codelink_bench`, seeded once and kept), the task hall and
one-tap apply measured in process against the same SQL run directly, and the import (cold-start) time of every
cloud function. Results go to stdout and to docs/BENCHMARKS.md."""
