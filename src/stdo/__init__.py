"""stdo: a reproducibility pipeline for STDO / JSTDO (Li et al., CVPR 2023)."""

__version__ = "0.1.0"
