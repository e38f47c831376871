"""Helpers shared by the test families (``from support.<family> import ...``; ``tests/`` is on
``sys.path`` through its conftest, and one package avoids pytest's clashes between modules of
the same name in different test folders).

- :mod:`support.clips`: VSD4K-shaped clips, ingested video metadata, a loopback file server;
- :mod:`support.sr`: tiny SR models with a known output, reference PSNRs computed by hand;
- :mod:`support.delivery`: the delivery tests' cell, seeded models, bundles;
- :mod:`support.figures`: score files as the workflow writes them;
- :mod:`support.workflow`: the real Snakefile run in a temporary working directory.
"""
