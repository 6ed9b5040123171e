"""Writing result files so that nothing is ever left half-written.

Every file the project writes (results, figures, corpus cases) goes through :func:`write_atomic`: the
bytes go to a temporary file in the same folder, which is then renamed over the target (``os.replace``
is atomic on POSIX). Files get the ordinary ``0o644`` mode less the umask.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically; make parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o644 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """JSON (numpy-aware, indented) written atomically."""
    from normalign.checks import to_jsonable

    return write_atomic(path, json.dumps(to_jsonable(data), indent=2) + "\n")


def write_figure_atomic(path: str | Path, fig: Any, **savefig_kw: Any) -> Path:
    """A matplotlib figure rendered to PNG in memory, then written atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **savefig_kw)
    return write_atomic(path, buf.getvalue())
