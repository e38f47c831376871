"""The paper's figures, each a DAG output: PNG and PDF with the data behind it as CSV.

* :mod:`stdo.report.figures.heatmaps`: per-patch PSNR heatmaps: Figure 1 (f0 on two frames), Figure 3
  (CaFM, STDO and JSTDO on one frame), Figure 6 (JSTDO trained on different shares of D0),
  and an overview per video, scale and backbone (every method on a few frames).
* :mod:`stdo.report.figures.crops`: Figure 4, qualitative crops of one frame, each captioned with its
  PSNR, the crop placed where the methods differ most.
* :mod:`stdo.report.figures.clip`: a side-by-side video, bicubic beside the best method (H.264, PyAV).
* :mod:`stdo.report.figures.paper_vs_run`: the report's page "the paper against this run".

Figure 5 (fps against PSNR) is made by :mod:`stdo.device.report`, Figures 7a and 7b by
:mod:`stdo.report.ablations`. Shared helpers (saving, frame choice, picking the paper's methods of a
cell) live in :mod:`stdo.report.figures.common`.
"""
