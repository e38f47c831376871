"""User-facing errors: raised for bad input, printed without a traceback by the stage CLIs."""


class StdoError(ValueError):
    """Bad input or configuration; the message says what was wrong and what to do."""
