# The paper's claims checked on this run's evaluations (stdo.report.claims): one row per claim and
# cell, held / failed / not run, with the margin in dB and the values it was decided on.
rule claims:
    input:
        metrics=metrics_files(),
        ablations=claim_ablations(),
        bench=[f"{BENCH_TABLE}.csv"] if config["bench"].get("adb") else [],  # phone rows decide Figure 5's claim
    output:
        csv=f"{CLAIMS}.csv",
        md=f"{CLAIMS}.md",
    params:
        ablations=lambda w, input: claim_ablation_args(input.ablations),
        stdo_k=stdo_k_arg(),
        bench=lambda w, input: f"--bench {input.bench[0]}" if input.bench else "",
    log:
        f"{LOGS}/claims/claims.log",
    conda:
        "../../envs/report.yaml"
    shell:
        "python -m stdo claims --metrics {input.metrics} {params.stdo_k} {params.ablations} {params.bench} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
