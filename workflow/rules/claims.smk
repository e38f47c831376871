# The paper's claims checked on this run's evaluations (stdo.report.claims): one row per claim and
# cell, held / failed / not run, with the margin in dB and the values it was decided on; with
# study.budgets, decided at every budget, with each claim's convergence (stdo.report.budget).
rule claims:
    input:
        metrics=PLAN.metrics_files(),
        ablations=PLAN.claim_ablations(),
        bench=PLAN.claim_bench(),  # phone rows decide Figure 5's claim
        budget=PLAN.claim_budget(),  # study.budgets: each claim at every budget (rule budget)
    output:
        csv=f"{paths.CLAIMS}.csv",
        md=f"{paths.CLAIMS}.md",
    log:
        f"{paths.LOGS}/claims/claims.log",
    conda:
        "../../envs/report.yaml"
    params:
        ablations=lambda w, input: PLAN.claim_ablation_args(input.ablations),
        stdo_k=PLAN.stdo_k_arg(),
        bench=input_flag("--bench", "bench"),
        budget=input_flag(" --budget", "budget"),  # its own leading space: no budget, the same line
    shell:
        "python -m stdo claims --metrics {input.metrics} {params.stdo_k} {params.ablations} {params.bench}{params.budget} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
