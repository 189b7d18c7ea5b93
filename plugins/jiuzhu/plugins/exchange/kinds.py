"""What can be imported and exported, apart from how: the command line declares its
commands from these without importing the readers and writers."""

from __future__ import annotations

KINDS = ("persons", "households", "providers", "workers")  # imports
EXPORTS = ("cases", "orders", "deliveries", "statistics", "applications")
FORMATS = ("xlsx", "csv")
