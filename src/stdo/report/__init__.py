"""stdo.report."""
