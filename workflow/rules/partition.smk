# k equal-size chunks by PSNR quantiles; chunk 0 holds the lowest PSNRs (D0).
rule partition:
    input:
        scores=f"{SCALED}/scores.csv",
    output:
        chunks=f"{SCALED}/partition/k{{k}}/chunks.npy",
        thresholds=f"{SCALED}/partition/k{{k}}/thresholds.csv",
    log:
        f"{LOGS}/partition/{{video}}_x{{scale}}_k{{k}}.log",
    conda:
        "../../envs/torch.yaml"
    shell:
        "python -m stdo.partition --scores {input.scores} --k {wildcards.k} "
        "--out-map {output.chunks} --out-thresholds {output.thresholds} > {log} 2>&1"
