"""The Voilà internals that ``zuofeng.collect.server.voila_patches`` patches are still there, in the versions pyproject allows.

``patch_kernel_manager`` subclasses the class Voilà's kernel-manager factory returns and overrides some of
its methods; ``patch_template_cache`` wraps the exporter's Jinja environment; ``voila_argv`` sets traits of
``VoilaConfiguration``. A Voilà release that renames any of them would leave a patch silently inert (a
subclass method nobody calls): this test fails instead.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement


def test_the_installed_voila_is_one_the_patches_were_written_for():
    import voila

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    spec = next(Requirement(r.split("#")[0]) for r in project["dependencies"] if re.match(r"voila\b", r))
    assert spec.specifier.contains(voila.__version__), (voila.__version__, str(spec.specifier))
    assert not spec.specifier.contains("0.6.0")       # the next minor release must be checked, not assumed


def test_the_kernel_manager_methods_the_patch_overrides_exist_on_voilas_class():
    import voila.app
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    base = voila.app.voila_kernel_manager_factory(AsyncMappingKernelManager, False, 0)
    for name in ("cull_kernels", "cull_kernel_if_idle", "notify_connect", "notify_disconnect"):
        assert callable(getattr(base, name, None)), name
    assert inspect.iscoroutinefunction(base.cull_kernels) and inspect.iscoroutinefunction(base.cull_kernel_if_idle)
    assert list(inspect.signature(base.cull_kernel_if_idle).parameters) == ["self", "kernel_id"]
    assert "context" in base.class_traits()               # the ZeroMQ context whose default the patch sets
    assert callable(getattr(base, "_context_default", None))


def test_the_patched_manager_is_the_one_voila_builds():
    import voila.app
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    from zuofeng.collect.server import voila_patches

    original = voila.app.voila_kernel_manager_factory
    try:
        voila_patches.patch_kernel_manager()
        cls = voila.app.voila_kernel_manager_factory(AsyncMappingKernelManager, False, 0)
        assert cls.__name__ == "SurveyKernelManager"
        own = {n for n, v in vars(cls).items() if callable(v)}
        base = cls.__mro__[1]
        assert own - {"_context_default"} <= {n for n in dir(base) if callable(getattr(base, n))}
    finally:
        voila.app.voila_kernel_manager_factory = original


def test_the_exporter_and_configuration_hooks_exist():
    from voila.configuration import VoilaConfiguration
    from voila.exporter import VoilaExporter

    assert callable(getattr(VoilaExporter, "_create_environment", None))
    traits = VoilaConfiguration.class_traits()
    for name in ("preheat_kernel", "show_tracebacks", "strip_sources", "extension_allowlist"):
        assert name in traits, name
