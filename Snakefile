"""ibrepro: every figure and table of the information-plane debate, from nothing.

    snakemake --cores all                       # paper scale → results/paper/
    snakemake --cores 2 --config scale=quick    # the same DAG, tiny → results/quick/
    snakemake --cores 2 rip                     # one paper (rip, survey, lorenzen, goldfeld,
                                                # chelombiev, compare): its items and report
    snakemake --report results/paper/report.html  # every figure and table, with captions

Stages: data → train (all repetitions batched) → estimate (one MI file per experiment and
estimator) and measure (one file per experiment and measure) → render (one rule per figure or table ID). The package ``ibrepro`` (src/) does
the work; rules name inputs and outputs and call one ``ibrepro`` command each.
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    dataset=alternatives(SPEC.datasets),
    experiment=alternatives(SPEC.experiments),
    estimator=alternatives(SPEC.estimators),
    measure=alternatives(SPEC.measures),
    figure=alternatives(item_ids("figure")),
    table=alternatives(item_ids("table")),
    paper=alternatives(reproduction.PAPERS),


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/estimate.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/prune.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/report.smk"


localrules:
    all,


onstart:
    start_job_server()


onsuccess:
    stop_job_server()


onerror:
    stop_job_server()


rule all:
    """Every configured figure and table, the MI and measure files `estimates` selects, every
    dataset, and the reproduction report."""
    input:
        final_outputs(),


for _paper in reproduction.PAPERS:

    rule:
        """One paper: its configured figures and tables and its reproduction report
        (``snakemake --cores 2 rip``)."""
        name:
            _paper
        localrule: True
        input:
            paper_outputs(_paper),
