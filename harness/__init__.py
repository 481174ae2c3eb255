"""Processes and protocol-faithful servers that the tests and the benchmarks both start."""
