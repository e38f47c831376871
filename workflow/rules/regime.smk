# The training regime of every table cell beside the paper's (stdo.workflow.regime, the `stdo plan`
# stage: stdo.workflow.cli MODULES maps plan -> regime): models, optimiser steps per model and LR
# pixels per parameter, computed from the resolved config before anything trains (it builds
# the backbones to count their parameters).
rule regime:
    input:
        paper=str(Path(workflow.basedir) / "config" / "paper.yaml"),
    output:
        csv=f"{REGIME}.csv",
        md=f"{REGIME}.md",
    params:
        config=CONFIG_SNAPSHOT,
    log:
        f"{LOGS}/plan/regime.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo plan --config-json {params.config} --paper-config {input.paper} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
