# k equal-size chunks by PSNR quantiles; chunk 0 holds the lowest PSNRs (D0). Held-out frames
# (split: cafm) are assigned by the training partition's thresholds.
rule partition:
    input:
        scores=f"{SCALED}/scores.csv",
        assign_by=partition_assign,
    output:
        chunks=f"{SCALED}/partition/k{{k}}/chunks.npy",
        thresholds=f"{SCALED}/partition/k{{k}}/thresholds.csv",
    params:
        assign=lambda w, input: f"--assign-by {input.assign_by[0]}" if input.assign_by else "",
    priority: 10  # on the critical path: every STDO and JSTDO unit waits for it
    log:
        f"{LOGS}/partition/{{video}}_x{{scale}}_k{{k}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.partition --scores {input.scores} --k {wildcards.k} {params.assign} "
        "--out-map {output.chunks} --out-thresholds {output.thresholds} > {log} 2>&1"
