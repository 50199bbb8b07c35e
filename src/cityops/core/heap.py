"""Pausing Python's cyclic garbage collector around bulk work.

A bulk path (an import of thousands of reports, a simulator's day) allocates hundreds of thousands of
short-lived dicts and tuples while a large heap is alive, and each allocation burst triggers collector
passes that walk that heap: measured on `cityops bench intake`, a quarter of the time. What those paths
build is freed by reference counting; the collector only resumes afterwards. The switch is process-wide,
so a path that finds it already off leaves it to whoever turned it off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(active: bool = True) -> Iterator[None]:
    if not active or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
