"""What the matcher works out per word, remembered within a budget (see faq_bot.matching).

A value here is anything with a ``size`` (the array entries it holds): the budget counts
entries, not objects, so one long posting list weighs what it costs in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any


class WordMemo:
    """Values worked out per word, least recently used dropped first once they hold ``budget`` array entries.

    Words every question shares ("the", "my", "cannabis") stay; the typo of the day goes.
    ``ahead``: values worked out in advance (the index's own words), never dropped and
    read without the lock.
    """

    def __init__(self, budget: int, ahead: dict[str, Any] | None = None) -> None:
        self.budget = budget
        self.used = 0
        self.ahead = ahead or {}
        self._values: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, key: str, work_out: Any) -> Any:
        """The value for ``key``: worked out ahead, remembered, or worked out now with ``work_out(key)``."""
        found = self.ahead.get(key)
        if found is None:
            found = self.get(key)
            if found is None:
                found = work_out(key)
                self.keep(key, found, found.size)
        return found

    def get(self, key: str) -> Any:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            self._values.move_to_end(key)
            return found[0]

    def keep(self, key: str, value: Any, size: int) -> None:
        with self._lock:
            if key in self._values:  # another thread worked it out meanwhile
                return
            self._values[key] = (value, size)
            self.used += size
            while self.used > self.budget and len(self._values) > 1:
                _, (_, dropped) = self._values.popitem(last=False)
                self.used -= dropped


def work_out_ahead(words: Iterable[str], work_out: Any, budget: int) -> tuple[dict[str, Any], int]:
    """Each word's part, in order, until they hold ``budget`` array entries; and the entries they hold."""
    parts: dict[str, Any] = {}
    used = 0
    for word in words:
        part = work_out(word)
        if used + part.size > budget:
            break
        parts[word] = part
        used += part.size
    return parts, used
