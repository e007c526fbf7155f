"""Pure analyses of the tidy runs table: DataFrames in, DataFrames out, no formatting."""
