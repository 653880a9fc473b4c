"""Code fingerprints (``ibrepro.fingerprint``): what a module imports, read from its source."""

import subprocess
import sys

from ibrepro.fingerprint import module_file, module_imports


def test_module_imports_follow_an_edit_of_the_source(tmp_path, monkeypatch):
    """The parsed imports are cached per version of the file: an edit is seen at once."""
    package = tmp_path / "toypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = package / "a.py"
    source.write_text("import json\nfrom os import path\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert module_imports("toypkg.a") == ["json", "os"]
    source.write_text("import json\n\n\ndef f():\n    import collections.abc\n")
    assert module_imports("toypkg.a") == ["json", "collections.abc"]


def test_relative_imports_of_the_package_resolve_to_modules():
    assert module_imports("ibrepro.ib.neuron")[-1] == "ibrepro.ib.joint"  # from .joint import
    assert {"ibrepro.ib.bound", "ibrepro.ib.curve"} <= set(module_imports("ibrepro.ib"))


def test_the_package_modules_are_found_without_importing_their_parents():
    """``ibrepro.train`` imports torch; locating one of its modules must not."""
    code = ("import sys; from ibrepro.fingerprint import module_file, module_imports; "
            "print(module_file('ibrepro.train.experiment').name, "
            "'ibrepro.nets.conv' in module_imports('ibrepro.train.experiment'), "
            "'ibrepro.train' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["experiment.py", "True", "False", "False"]


def test_a_package_resolves_to_its_init():
    assert module_file("ibrepro.estimators").name == "__init__.py"
    assert module_file("ibrepro").name == "__init__.py"
