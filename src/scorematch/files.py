"""Writing a file so that its path never holds a partial one."""

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def partial_path(path):
    """Yield a temporary path beside path to write to; on leaving the block it replaces
    path in one step (os.replace), or is removed if the block raised.

    A process killed while writing leaves at most the hidden `.NAME.partial-PID` beside
    path (its name keeps no suffix a glob for results would match), never a partial file
    at path, and an earlier file at path stays as it was until the new one is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
