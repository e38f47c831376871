# stdo: Spatial-Temporal Data Overfitting (CVPR 2023), reproduced as a Snakemake DAG.
#
#   snakemake --cores 8 tables                               # the embedded demo
#   snakemake --cores 8 --configfile config/paper.yaml tables   # the paper's settings
#
# Stages (one rule file each in workflow/rules/): demo video -> ingest -> degrade -> patches
# -> pretrain f0 -> score -> partition -> train -> evaluate -> tables and figures -> export and
# device benchmarks -> report (snakemake all: everything, results/report.html).
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from stdo.core.errors import StdoError  # noqa: E402
from stdo.workflow import paths  # noqa: E402
from stdo.workflow.configcheck import check_config  # noqa: E402


configfile: str(Path(workflow.basedir) / paths.CONFIG)


try:  # one line naming the key, its file and line, before Snakemake's validate dumps the schema
    check_config(
        config,
        Path(workflow.basedir) / paths.SCHEMA,
        [Path(workflow.basedir) / paths.CONFIG, *workflow.overwrite_configfiles],
    )
except StdoError as e:
    print(f"stdo: config error: {e}", file=sys.stderr)
    sys.exit(1)

validate(config, paths.SCHEMA)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


shell.prefix(job_prefix())


onstart:
    write_config_snapshot()
    remove_orphan_sidecars()


onerror:
    remove_orphan_sidecars()


wildcard_constraints:
    video=r"[A-Za-z0-9_]+",
    scale=r"\d+",
    backbone=r"[a-z0-9]+",
    unit=r"[a-z0-9-]+",
    method=r"[a-z0-9-]+",
    k=r"\d+",
    seed=r"\d+",
    budget=r"\d+",
    clip=r"[A-Za-z0-9_]+",
    item=r"[A-Za-z0-9_]+",


include: "workflow/rules/demo.smk"
include: "workflow/rules/packaged.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/degrade.smk"
include: "workflow/rules/patches.smk"
include: "workflow/rules/pretrain.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/partition.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/regime.smk"
include: "workflow/rules/budget.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/ablations.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/bench.smk"
include: "workflow/rules/delivery.smk"
include: "workflow/rules/report.smk"


# Everything: tables, figures, device benchmarks and the report (results/report.html).
rule all:
    default_target: True
    input:
        rules.tables.input,
        rules.figures.input,
        rules.bench.input,
        rules.report.output,
