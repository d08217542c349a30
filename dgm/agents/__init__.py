"""Agents shipped with dgm; `seed/` is copied into every run's root node."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent / "seed"
