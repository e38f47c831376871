# k equal-size chunks by PSNR quantiles; chunk 0 holds the lowest PSNRs (D0). Held-out frames
# (split: cafm) are assigned by the training partition's thresholds.
rule partition:
    input:
        scores=SCORES,
        assign_by=partition_assign,
    output:
        chunks=PARTITION,
        thresholds=THRESHOLDS,
    params:
        assign=lambda w, input: f"--assign-by {input.assign_by[0]}" if input.assign_by else "",
    priority: 10  # on the critical path: every STDO and JSTDO unit waits for it
    log:
        f"{LOGS}/partition/{{video}}_x{{scale}}_k{{k}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo partition --scores {input.scores} --k {wildcards.k} {params.assign} "
        "--out-map {output.chunks} --out-thresholds {output.thresholds} > {log} 2>&1"
