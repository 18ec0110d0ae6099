"""The county-scale benchmark (`jiceng bench`): a deterministic data generator, one
measurement per section, and a report (table on stdout, JSON file). See docs/benchmarks.md.

Each section needs some part of the platform (point→grid, intake API, worker…); when that
part does not exist yet the section is skipped with a reason instead of failing, so the
benchmark runs on every commit and lights up as the pieces land.
"""
