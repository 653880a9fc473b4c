rule reproduction:
    """The reproduction report: every registered claim, the paper's value against ours with a
    verdict where the config builds its inputs, and a summary per paper."""
    input:
        unpack(report_inputs),
    output:
        md=report(str(reproduction.report_file(RESULTS)), caption="../report/reproduction.rst",
                  category="0. reproduction"),
        csv=report(str(reproduction.report_file(RESULTS).with_suffix(".csv")),
                   caption="../report/reproduction.rst", category="0. reproduction"),
        summary=str(reproduction.report_file(RESULTS).with_suffix(".txt")),
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


rule paper_report:
    """One paper's reproduction report (its claims only: ``snakemake <paper>`` builds its
    inputs and nothing of the other papers)."""
    input:
        unpack(paper_report_inputs),
    output:
        md=f"{RESULTS}/report/{{paper}}.md",
        csv=f"{RESULTS}/report/{{paper}}.csv",
    params:
        claims=lambda wildcards: " ".join(of_paper(CLAIMS, wildcards.paper)),
        unbuilt=lambda wildcards: report_options(wildcards.paper),
        fingerprint=lambda wildcards: reproduction.fingerprint(
            of_paper(papers.CLAIMS, wildcards.paper)),
        results=report_root,
    log:
        f"{RESULTS}/logs/report/{{paper}}.log",
    conda:
        ENV
    shell:
        "python -m ibrepro report --paper {wildcards.paper} --results {params.results}"
        " {params.claims} {params.unbuilt} > {log} 2>&1"
