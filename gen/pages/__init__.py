"""The page layer: markdown and assets from analysis frames. The only code that touches mkdocs_gen_files."""
