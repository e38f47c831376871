"""On-device speed (the paper's Figure 5): export and benchmark stages."""
