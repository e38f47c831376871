# The claims at every training budget of study.budgets (stdo.report.budget): each claim decided on
# each budget's metrics, whether its margin has converged (the rule in the module's docstring),
# and the figure of margins against steps per model beside the paper's. Only with study.budgets.
if PLAN.swept:

    rule budget:
        input:
            metrics=PLAN.budget_metrics_files(),
            regime=rules.regime.output.csv,
        output:
            csv=f"{paths.BUDGET_TABLE}.csv",
            md=f"{paths.BUDGET_TABLE}.md",
            png=report(f"{paths.BUDGET_FIGURE}.png", caption="../report/budget.rst", category="Budget"),
            pdf=f"{paths.BUDGET_FIGURE}.pdf",
            data=f"{paths.BUDGET_FIGURE}.csv",
        log:
            f"{paths.LOGS}/budget/budget.log",
        conda:
            "../../envs/report.yaml"
        params:
            stdo_k=PLAN.stdo_k_arg(),
        shell:
            "python -m stdo budget --metrics {input.metrics} --regime {input.regime} {params.stdo_k} "
            "--out-csv {output.csv} --out-md {output.md} --out-png {output.png} --out-pdf {output.pdf} "
            "--out-data {output.data} > {log} 2>&1"
