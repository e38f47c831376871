"""Where the source checkout is, for an editable install: the directory that holds
``config/``, ``workflow/`` and the ``Snakefile`` (``src/stdo/core/checkout.py`` is three levels
below it)."""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
