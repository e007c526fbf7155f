"""MkDocs' theme templates compiled once, not on every build.

MkDocs makes a new Jinja environment for each build, so each build compiles Material's templates again (about a
tenth of a second; under `mkdocs serve`, on every rebuild). Jinja's bytecode cache keeps the compiled code: in this
process for the next rebuild, and in the build cache for the next build. Jinja checks each template's source
against the checksum stored with its code and its own and Python's versions against the stored header, so an
edited template or another Jinja is compiled again; an entry that fails gen.cache's digest is never loaded.
"""

from __future__ import annotations

import hashlib

import jinja2
from jinja2.bccache import Bucket

from gen import cache

# Compiled templates of this process, by key (a build's environment keeps none of them for the next one).
_COMPILED: dict[str, bytes] = {}


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's bytecode cache over this process and the build cache (``env.bytecode_cache``)."""

    def _key(self, bucket: Bucket) -> str:
        # The code a template compiles to depends on the environment's settings, not only on its source.
        environment = bucket.environment
        settings = repr((sorted(environment.extensions), environment.autoescape, environment.optimized))
        return hashlib.sha256(f"{bucket.key}\n{settings}".encode()).hexdigest()[:32]

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` with the code kept for its template, when there is any."""
        key = self._key(bucket)
        body = _COMPILED.get(key)
        if body is None:
            body = cache.read_entry(cache.entry_path("templates", key, ".jinja"))
        if body is not None:
            # A header or checksum that does not match (another Jinja, an edited template) leaves it empty.
            bucket.bytecode_from_string(body)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code Jinja just compiled for ``bucket``'s template."""
        key = self._key(bucket)
        body = bucket.bytecode_to_string()
        _COMPILED[key] = body
        cache.write_entry(cache.entry_path("templates", key, ".jinja"), body)
