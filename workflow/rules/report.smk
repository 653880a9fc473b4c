rule reproduction:
    """The reproduction report: every claim of ibrepro.report whose inputs the config builds,
    the paper's value against ours, with a verdict."""
    input:
        **{name: str(p) for name, p in reproduction.input_paths(CLAIMS, RESULTS).items()},
    output:
        md=report(str(reproduction.report_file(RESULTS)), caption="../report/reproduction.rst",
                  category="0. reproduction"),
        csv=report(str(reproduction.report_file(RESULTS).with_suffix(".csv")),
                   caption="../report/reproduction.rst", category="0. reproduction"),
        summary=str(reproduction.report_file(RESULTS).with_suffix(".txt")),
    params:
        claims=" ".join(CLAIMS),
        fingerprint=reproduction.fingerprint(CLAIMS),
        results=lambda wildcards, output: str(Path(output.md).parents[1]),
    log:
        f"{RESULTS}/logs/report/reproduction.log",
    conda:
        ENV
    shell:
        "python -m ibrepro report --results {params.results} {params.claims} > {log} 2>&1"
