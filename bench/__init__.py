"""Benchmarks: each figure of the onboarding measured beside its floor in the same run (`python -m bench`)."""
