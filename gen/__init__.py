"""Build-time generators: result files in, report pages out (load → validate → runs → analyse → chart → page)."""

__version__ = "0.1.0"
