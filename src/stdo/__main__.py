"""``python -m stdo <stage> ...``: the same as the ``stdo`` command."""

from stdo.workflow.cli import main

main()
