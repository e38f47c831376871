"""PSNR against training budget for awDNN and STDO (k chunks), under the equal-compute rule.

    python benchmarks/budget.py --patches results/videos/demo/x2/patches
                                [--scores DIR/../scores.csv] [--backbone espcn] [--kwargs '{}']
                                [--budgets 5000,20000,80000] [--ks 2,4] [--batch-size 16] [--lr 1e-3]
                                [--schedule cosine] [--init results/pretrain/wdsr/x2/model.pt]
                                [--threads 1] [--seed 0 | --seeds 0,1,2] [--device auto]
                                [--out-csv F] [--out-png F]

For every budget ``B`` (in patch-steps: optimiser steps x batch size) trains awDNN, one model
on all ``N`` patches for ``ceil(B / batch)`` steps, and STDO with each ``k``: the
per-patch f0 PSNRs of ``--scores`` are cut into ``k`` quantile chunks (stdo.sr.partition, chunk 0 =
lowest PSNR) and chunk ``c``'s model trains on its ``n_c`` patches for
``ceil(B n_c / N / batch)`` steps (stdo.sr.train.steps_for), so every method spends the same patch-steps (the
project's equal-compute rule, see stdo.methods). Every model of a seed starts from the same weights
(``build_model(seed=seed)``, or the ``--init`` model file, the same for every seed) and trains
with stdo.sr.train.train_model (L1, Adam, ``--schedule`` over its own steps, batch order from the
seed). Each method is then
evaluated on the whole video as the evaluate stage does: every patch through its chunk's model,
PSNR from the MSE pooled over all patches (stdo.sr.infer.patch_mse, stdo.core.metrics.pooled_psnr).

With ``--seeds`` every budget and method trains once per seed (the train stage's
``train.seeds``), and the margin of each STDO k over awDNN is paired: the same seed for both,
then the mean of the per-seed margins, their standard deviation and the 95 % interval of the
mean (Student's t over the seeds, as stdo.report.claims decides a claim).

Prints one line per training run (steps, wall time, per-chunk PSNR), then per budget the PSNR
(dB) of every method and seed, plus plain bicubic upscaling (stdo.sr.score.Bicubic) for
reference, the paired STDO-minus-awDNN margins (per seed, mean, sd, 95 % interval) and the
training wall time. Writes a CSV (one row per budget, seed and method) and a PNG plot of the
mean PSNR over seeds against patch-steps (log x axis, bars from the lowest to the highest seed,
dashed bicubic line).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from scipy import stats  # noqa: E402

from stdo import methods  # noqa: E402
from stdo.core import io
from stdo.core.errors import StdoError  # noqa: E402
from stdo.core.metrics import pooled_psnr  # noqa: E402
from stdo.core.runtime import resolve_device, set_threads
from stdo.models import build_model  # noqa: E402
from stdo.models.modelfile import load_model  # noqa: E402
from stdo.sr.infer import patch_mse  # noqa: E402
from stdo.sr.partition import partition, scores_of  # noqa: E402
from stdo.sr.score import Bicubic  # noqa: E402
from stdo.sr.train import SCHEDULES, TrainSettings, steps_for, train_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EVAL_BATCH = 64


def int_list(text: str) -> list[int]:
    """``5000,2e4`` to ``[5000, 20000]`` (sorted, without repeats)."""
    return sorted({int(float(x)) for x in text.split(",") if x.strip()})


def paired_margin(margins: np.ndarray) -> tuple[float, float, float]:
    """Mean, standard deviation and 95 % half-interval (Student's t) of per-seed margins (sd
    and interval nan with one seed: noise not measured)."""
    n = len(margins)
    mean = float(np.mean(margins))
    if n < 2:
        return mean, float("nan"), float("nan")
    sd = float(np.std(margins, ddof=1))
    return mean, sd, float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))


def load_scores(path: Path, index: pd.DataFrame) -> pd.DataFrame:
    """The score stage's table (per-patch f0 PSNR), checked against the patches' index."""
    if not path.exists():
        raise StdoError(f"{path}: scores not found; run the score stage or pass --scores")
    scores = pd.read_csv(path)
    if "psnr" not in scores or len(scores) != len(index):
        raise StdoError(f"{path}: needs a psnr column with one row per patch ({len(index)})")
    if "patch" in scores and not np.array_equal(scores["patch"].to_numpy(), index["patch"].to_numpy()):
        raise StdoError(f"{path}: its patch ids do not match the patches' index.csv")
    return scores


def initial_state(
    backbone: str, scale: int, kwargs: dict, seed: int, init: Path | None
) -> dict[str, torch.Tensor]:
    """The weights every model starts from, made as the train stage makes them."""
    model = build_model(backbone, scale=scale, seed=seed, **kwargs)
    if init is not None:
        model.load_state_dict(load_model(init)[0].state_dict())
    return {k: v.clone() for k, v in model.state_dict().items()}


def method_margin_title(n_seeds: int) -> str:
    return (
        f"STDO minus awDNN (dB), paired by seed over {n_seeds} seed(s): mean, sd and 95 % interval "
        "of the mean (Student's t)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the patches stage")
    p.add_argument("--scores", type=Path, default=None, help="per-patch f0 PSNR (default DIR/../scores.csv)")
    p.add_argument("--backbone", default=None, help="default: espcn, or the --init model's backbone")
    p.add_argument("--kwargs", type=json.loads, default=None, help="backbone kwargs, JSON (default: {})")
    p.add_argument("--budgets", type=int_list, default=[5000, 20000, 80000], help="patch-steps, comma list")
    p.add_argument("--ks", type=int_list, default=[2, 4], help="STDO chunk counts, comma list")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--schedule", default="cosine", choices=SCHEDULES)
    p.add_argument("--init", type=Path, default=None, help="stdo model file every model starts from")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all CPUs available)")
    p.add_argument("--seed", type=int, default=0, help="one seed (see --seeds)")
    p.add_argument(
        "--seeds", type=int_list, default=None, help="several seeds, comma list (overrides --seed)"
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--out-csv", type=Path, default=None)
    p.add_argument("--out-png", type=Path, default=None)
    p.add_argument(
        "--mark",
        type=int,
        default=None,
        help="a budget to mark (patch-steps), e.g. the demo's",
    )
    args = p.parse_args()

    patches = args.patches
    grid = json.loads((patches / "grid.json").read_text())
    scale = int(grid["scale"])
    index = pd.read_csv(patches / "index.csv")
    n = len(index)
    lr, hr = io.open_array(patches / "lr.npy"), io.open_array(patches / "hr.npy")
    scores = load_scores(args.scores or patches.parent / "scores.csv", index)

    backbone, kwargs = args.backbone, args.kwargs
    if args.init is not None:
        record = load_model(args.init)[1]
        if record["scale"] != scale:
            raise StdoError(f"{args.init}: a x{record['scale']} model cannot start x{scale} training")
        backbone = backbone or record["backbone"]
        kwargs = record["kwargs"] if kwargs is None else kwargs
        if (backbone, kwargs) != (record["backbone"], record["kwargs"]):
            raise StdoError(
                f"{args.init} is {record['backbone']} with kwargs {json.dumps(record['kwargs'])}; "
                "leave --backbone and --kwargs out or pass those"
            )
    backbone, kwargs = backbone or "espcn", kwargs or {}
    seeds = args.seeds or [args.seed]
    starts = {seed: initial_state(backbone, scale, kwargs, seed, args.init) for seed in seeds}

    dev = resolve_device(args.device)
    threads = set_threads(args.threads or None)
    tag = f"{patches.resolve().parent.parent.name}-{patches.resolve().parent.name}"
    out_csv = args.out_csv or REPO / f"results/benchmarks/budget_{tag}_{backbone}.csv"
    out_png = args.out_png or out_csv.with_suffix(".png")
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {threads} threads"
    print(
        f"{patches}: {n} patches ({grid['frames']} frames, {grid['cols']}x{grid['rows']} grid, x{scale}); "
        f"{backbone} {json.dumps(kwargs)}; init {args.init or 'the seed'}; seeds {seeds}; device: {name}"
    )
    print(
        f"batch {args.batch_size}, lr {args.lr}, schedule {args.schedule}, budgets {args.budgets} patch-steps"
    )

    # Each method's training units (patch ids per model, in routing-group order) and routing.
    plans: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    for method, k in [("awdnn", None)] + [(f"stdo-k{k}", k) for k in args.ks]:
        chunks = None if k is None else partition(scores_of(scores), k)  # as the partition stage
        sels = [methods.unit_selection(u, index=index, chunks=chunks) for u in methods.method_units(method)]
        plans[method] = (methods.route(method, index=index, chunks=chunks), sels)
        if k is not None:
            sizes = "/".join(str(s.size) for s in sels)
            print(f"{method}: chunks of {sizes} patches (chunk 0 = lowest f0 PSNR)")
    if "mse" in scores:
        print(f"f0 of the score stage (scores.csv): {pooled_psnr(scores['mse'].to_numpy()):.2f} dB")

    with torch.inference_mode():
        bic = patch_mse(
            Bicubic(scale), lr, hr, np.arange(n), batch_size=EVAL_BATCH, device=dev, progress=False
        )
        bicubic = pooled_psnr(bic)
        init_psnr = None
        if args.init is not None:
            model = build_model(backbone, scale=scale, **kwargs)
            model.load_state_dict(starts[seeds[0]])
            init_psnr = pooled_psnr(
                patch_mse(
                    model.to(dev), lr, hr, np.arange(n), batch_size=EVAL_BATCH, device=dev, progress=False
                )
            )

    # One throw-away step first, so that the first timed run does not pay for torch's start-up.
    warm = build_model(backbone, scale=scale, **kwargs)
    warm_settings = TrainSettings(steps=1, batch_size=args.batch_size, lr=args.lr, schedule=args.schedule)
    train_model(warm, lr, hr, np.arange(n), warm_settings, device=dev, progress=False)

    rows = []
    for budget in args.budgets:
        for seed in seeds:
            for method, (routing, sels) in plans.items():
                mse = np.full(n, np.nan)
                steps, seconds, chunk_psnr = [], [], []
                for g, sel in enumerate(sels):
                    # the train stage's rule: epochs (budget / n) over the unit's own patches
                    ts = TrainSettings(
                        steps=steps_for(budget / n, sel.size, args.batch_size),
                        batch_size=args.batch_size,
                        lr=args.lr,
                        schedule=args.schedule,
                        seed=seed,
                    )
                    model = build_model(backbone, scale=scale, **kwargs)
                    model.load_state_dict(starts[seed])
                    t0 = time.perf_counter()
                    train_model(model, lr, hr, sel, ts, device=dev, progress=False)
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    seconds.append(time.perf_counter() - t0)
                    steps.append(ts.steps)
                    ids = np.flatnonzero(routing == g)
                    with torch.inference_mode():
                        mse[ids] = patch_mse(
                            model, lr, hr, ids, batch_size=EVAL_BATCH, device=dev, progress=False
                        )
                    chunk_psnr.append(pooled_psnr(mse[ids]))
                psnr = pooled_psnr(mse)
                per_model = " + ".join(f"{s} steps {t:.1f} s" for s, t in zip(steps, seconds, strict=True))
                chunks_text = (
                    "" if len(sels) == 1 else "; chunks " + " / ".join(f"{v:.2f}" for v in chunk_psnr)
                )
                print(
                    f"budget {budget:>8} seed {seed} {method:9} {psnr:7.2f} dB in {sum(seconds):6.1f} s "
                    f"({per_model}){chunks_text}",
                    flush=True,
                )
                rows.append(
                    {
                        "budget": budget,
                        "method": method,
                        "psnr": psnr,
                        "models": len(sels),
                        "steps": "+".join(map(str, steps)),
                        "patch_steps": sum(steps) * args.batch_size,
                        "train_seconds": sum(seconds),
                        "chunk_psnr": "/".join(f"{v:.4f}" for v in chunk_psnr),
                        "bicubic_psnr": bicubic,
                        "init_psnr": init_psnr,
                        "patches": str(patches),
                        "backbone": backbone,
                        "kwargs": json.dumps(kwargs),
                        "batch_size": args.batch_size,
                        "lr": args.lr,
                        "schedule": args.schedule,
                        "init": str(args.init) if args.init else "",
                        "seed": seed,
                        "device": name,
                    }
                )

    df = pd.DataFrame(rows)
    names = list(plans)
    stdos = [m for m in names if m != "awdnn"]
    psnr = df.pivot_table(index=["budget", "seed"], columns="method", values="psnr")[names]
    print(f"\nPSNR (dB) over all {n} patches, per seed; bicubic {bicubic:.2f} dB")
    print(f"{'patch-steps':>11} {'seed':>4} " + " ".join(f"{m:>9}" for m in names))
    for (budget, seed), row in psnr.iterrows():
        print(f"{budget:>11} {seed:>4} " + " ".join(f"{v:9.2f}" for v in row))
    print(
        f"\n{method_margin_title(len(seeds))}\n{'patch-steps':>11} {'epochs':>6} {'method':>9} "
        + " ".join(f"{'s' + str(s):>6}" for s in seeds)
        + f" {'mean':>6} {'sd':>5} {'95% interval':>16}  awdnn mean"
    )
    margins = []
    for budget in args.budgets:
        aw = psnr.loc[budget]["awdnn"]
        for m in stdos:
            d = (psnr.loc[budget][m] - aw).to_numpy()
            mean, sd, half = paired_margin(d)
            margins.append({"budget": budget, "method": m, "mean": mean, "sd": sd, "half95": half})
            interval = f"[{mean - half:+.3f}, {mean + half:+.3f}]" if half == half else "one seed"
            print(
                f"{budget:>11} {budget / n:6.1f} {m:>9} "
                + " ".join(f"{v:+6.3f}" for v in d)
                + f" {mean:+6.3f} {sd:5.3f} {interval:>16}  {aw.mean():.2f}"
            )
    secs = df.pivot_table(index="budget", columns="method", values="train_seconds", aggfunc="mean")[names]
    print("\ntraining wall time (s, all of a method's models together, mean over seeds)")
    print(f"{'patch-steps':>11} " + " ".join(f"{m:>9}" for m in names))
    for budget, row in secs.iterrows():
        print(f"{budget:>11} " + " ".join(f"{v:9.1f}" for v in row))
    if init_psnr is not None:
        print(f"init model before training: {init_psnr:.2f} dB")
    table = psnr.groupby(level="budget").mean()
    low, high = psnr.groupby(level="budget").min(), psnr.groupby(level="budget").max()

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out_csv, index=False)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for m in names:
        ax.errorbar(
            table.index,
            table[m],
            yerr=[table[m] - low[m], high[m] - table[m]],
            marker="o",
            capsize=3,
            label=m,
        )
    ax.axhline(bicubic, color="grey", linestyle="--", label="bicubic")
    if init_psnr is not None:
        ax.axhline(init_psnr, color="black", linestyle=":", label="init")
    if args.mark:
        ax.axvline(args.mark, color="tab:red", linestyle="-.", label=f"marked budget ({args.mark})")
    ax.set_xscale("log")
    ax.set_xticks(list(table.index), [f"{b:g}" for b in table.index])
    ax.minorticks_off()
    ax.set_xlabel("training budget (patch-steps, all models of a method)")
    ax.set_ylabel("PSNR (dB, pooled over all patches)")
    ax.set_title(
        f"{patches}\n{backbone} {json.dumps(kwargs)}, batch {args.batch_size}, lr {args.lr}, "
        f"{args.schedule}, "
        f"seeds {','.join(map(str, seeds))} (bars: lowest to highest)"
        + (f"\ninit {args.init}" if args.init else ""),
        fontsize=9,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    print(f"wrote {out_csv} and {out_png}")


if __name__ == "__main__":
    main()
