rule figure:
    """One figure of FIGURES.md as PNG and PDF, with its caption text."""
    input:
        unpack(item_inputs),
    output:
        png=report(f"{RESULTS}/figures/{{figure}}.png", caption="../report/item.rst",
                   category=report_category, subcategory="{figure}"),
        pdf=f"{RESULTS}/figures/{{figure}}.pdf",
        caption=f"{RESULTS}/figures/{{figure}}.txt",
    params:
        fingerprint=item_fingerprint,
        results=results_root,
        options=item_options,
    log:
        f"{RESULTS}/logs/figures/{{figure}}.log",
    conda:
        ENV
    shell:
        "python -m ibrepro render {wildcards.figure} --results {params.results} "
        "--options {params.options:q} > {log} 2>&1"


rule table:
    """One table of FIGURES.md as CSV and Markdown, with its caption text."""
    input:
        unpack(item_inputs),
    output:
        csv=report(f"{RESULTS}/tables/{{table}}.csv", caption="../report/item.rst",
                   category=report_category, subcategory="{table}"),
        md=f"{RESULTS}/tables/{{table}}.md",
        caption=f"{RESULTS}/tables/{{table}}.txt",
    params:
        fingerprint=item_fingerprint,
        results=results_root,
        options=item_options,
    log:
        f"{RESULTS}/logs/tables/{{table}}.log",
    conda:
        ENV
    shell:
        "python -m ibrepro render {wildcards.table} --results {params.results} "
        "--options {params.options:q} > {log} 2>&1"
