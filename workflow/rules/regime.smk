# The training regime of every table cell beside the paper's (stdo.workflow.regime, the `stdo plan`
# stage: stdo.workflow.cli STAGES maps plan -> regime): models, optimiser steps per model and LR
# pixels per parameter, computed from the resolved config before anything trains (it builds
# the backbones to count their parameters).
rule regime:
    input:
        paper=str(Path(workflow.basedir) / paths.PAPER_CONFIG),
    output:
        csv=f"{paths.REGIME}.csv",
        md=f"{paths.REGIME}.md",
    log:
        f"{paths.LOGS}/plan/regime.log",
    conda:
        "../../envs/torch.yaml"
    params:
        config=CONFIG_SNAPSHOT,
    shell:
        "python -m stdo plan --config-json {params.config} --paper-config {input.paper} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
