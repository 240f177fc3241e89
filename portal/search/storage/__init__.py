"""Where the portal reaches into Whoosh's storage, and only here.

Three modules use names Whoosh does not publish (its W3 codec's writer internals, its segment
writer's steps, its leaf matchers' block readers): codec.py writes segments faster, pool.py
replaces the external sort, docsets.py reads postings a block at a time to match, rank and count
facets. The bytes they write and the statistics they read are Whoosh's own, and
tests/search/test_oracle.py checks it: the stock writer and this one give identical postings,
and the ranking agrees with Whoosh's own searcher.

Such names can change in any release, so the version these modules were checked against is
named here and any other refuses to load: an upgrade of whoosh-reloaded is a deliberate change
(update TESTED_WHOOSH after the oracle tests pass), never a silent one.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

TESTED_WHOOSH = ("2.7.5",)


def whoosh_version() -> str:
    try:
        return version("Whoosh-Reloaded")
    except PackageNotFoundError:  # the original Whoosh, or an unpackaged copy
        import whoosh

        return whoosh.versionstring()


def check_whoosh_version(installed: str | None = None) -> None:
    installed = installed or whoosh_version()
    if installed not in TESTED_WHOOSH:
        raise RuntimeError(
            f"Whoosh {installed} is installed, but portal.search.storage uses Whoosh internals checked "
            f"only against {', '.join(TESTED_WHOOSH)}: install the version requirements.txt pins, or run "
            "tests/search/test_oracle.py against the new one and add it to TESTED_WHOOSH"
        )


check_whoosh_version()
