"""stdo.workflow."""
