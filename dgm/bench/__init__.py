"""Benchmarks: the Benchmark protocol and its harnesses."""
