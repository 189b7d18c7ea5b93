"""Where browser tests put their screenshots for review: $JIUZHU_SCREENS, else
test-artifacts/ at the repository's root (gitignored)."""

from __future__ import annotations

import os
from pathlib import Path


def screens_dir() -> Path:
    default = Path(__file__).resolve().parents[2] / "test-artifacts"
    return Path(os.environ.get("JIUZHU_SCREENS") or default)
