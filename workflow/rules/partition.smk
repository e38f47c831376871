# k equal-size chunks by PSNR quantiles; chunk 0 holds the lowest PSNRs (D0). Held-out frames
# (split: cafm) are assigned by the training partition's thresholds.
rule partition:
    input:
        scores=rules.score.output.scores,
        assign_by=lambda w: PLAN.assign_by(w.video, w.scale, w.k),
    output:
        chunks=paths.PARTITION,
        thresholds=paths.THRESHOLDS,
    log:
        f"{paths.LOGS}/partition/{{video}}_x{{scale}}_k{{k}}.log",
    priority: 10  # on the critical path: every STDO and JSTDO unit waits for it
    conda:
        "../../envs/torch.yaml"
    params:
        assign=input_flag("--assign-by", "assign_by"),
    shell:
        "python -m stdo partition --scores {input.scores} --k {wildcards.k} {params.assign} "
        "--out-map {output.chunks} --out-thresholds {output.thresholds} > {log} 2>&1"
