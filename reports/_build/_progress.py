"""Progress on a terminal while the report builds: one line per stage, with the time taken."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Prints ``[i/n] stage ... (t s)`` lines on stderr when ``enabled`` (a terminal)."""

    def __init__(self, enabled: bool, total: int, stream=None):
        self.enabled, self.total, self.stream = enabled, total, stream or sys.stderr
        self.done, self.ticks, self.start = 0, 0, time.perf_counter()
        self.text = ""

    def _line(self, end: str) -> None:
        elapsed = time.perf_counter() - self.start
        ticks = f" {'.' * self.ticks}" if self.ticks else ""
        print(f"\r[{self.done}/{self.total}] {self.text}{ticks} ({elapsed:.0f} s)", end=end,
              file=self.stream, flush=True)

    def stage(self, text: str) -> None:
        """Start the next stage (the previous one's line stays on the screen)."""
        if not self.enabled:
            return
        if self.text:
            self._line("\n")
        self.done, self.ticks, self.text = min(self.done + 1, self.total), 0, text
        if text == "done":
            return
        self._line("")

    def tick(self) -> None:
        """One step of work inside the current stage: a dot on its line."""
        if self.enabled:
            self.ticks += 1
            self._line("")
