"""What comes in before an onboarding starts: the request file, its strict validation, the
pre-flight rules, and the workflow input built from it. Nothing here replays, so it may read
files and tighten its validators freely; `workflows/` only ever sees the tolerant input."""
