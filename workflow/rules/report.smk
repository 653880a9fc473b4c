rule reproduction:
    """The reproduction report: every registered claim, the paper's value against ours with a
    verdict where the config builds its inputs, a summary per paper, and one file per paper."""
    input:
        unpack(report_inputs),
    output:
        md=report(str(reproduction.report_file(RESULTS)), caption="../report/reproduction.rst",
                  category="0. reproduction"),
        csv=report(str(reproduction.report_file(RESULTS).with_suffix(".csv")),
                   caption="../report/reproduction.rst", category="0. reproduction"),
        summary=str(reproduction.report_file(RESULTS).with_suffix(".txt")),
        papers=[str(reproduction.paper_file(RESULTS, p)) for p in reproduction.PAPERS],
    params:
        claims=" ".join(CLAIMS),
        unbuilt=report_options(),
        fingerprint=reproduction.fingerprint(),
        results=report_root,
    log:
        f"{RESULTS}/logs/report/reproduction.log",
    conda:
        ENV
    shell:
        "python -m ibrepro report --results {params.results} {params.claims} {params.unbuilt}"
        " > {log} 2>&1"
