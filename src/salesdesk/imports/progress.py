"""A one-line progress display per sheet, for a terminal only.

The command creates it when standard error is a terminal; otherwise the runner gets
None and prints nothing extra, so logs and pipes stay clean.
"""

import time
from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO, interval: float = 0.2):
        self._stream = stream
        self._interval = interval
        self._last = 0.0

    def update(self, sheet: str, done: int, total: int | None, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < self._interval:
            return
        self._last = now
        line = f"{sheet}: {done:,} rows"
        if total and not final:
            # The total is an estimate (an xlsx dimension, a line count): never show 100%
            # before the end, nor more than 100%.
            line += f" ({min(99, done * 100 // total)}%)"
        elif final:
            line += " (100%)"
        # \r returns to the line start; \033[K clears what a longer line left behind.
        self._stream.write("\r" + line + "\033[K" + ("\n" if final else ""))
        self._stream.flush()
