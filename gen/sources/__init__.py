"""Readers for each kind of result source (gen.sources.load runs them all); each returns runs plus an account of
every file it saw. Nothing is imported here, so light modules (discovery) load without the data libraries."""
