"""What ``zuofeng serve`` changes inside Voilà 0.5 (pinned ``<0.6``; ``tests/test_voila_patches.py`` checks
the internals are still there): the kernel culler and the page templates' compilation.
"""

from __future__ import annotations

from .limits import zmq_sockets

UNCONNECTED_CAP = 600


def unconnected_timeout(idle_timeout: float) -> float:
    """Idle seconds after which a kernel whose page never connected is culled: ``max(T, min(3T, 600))``.

    A page has to load about 5 MB of scripts before it connects to its kernel; on a slow phone or a busy
    server that can take longer than a short idle timeout ``T``.

    >>> unconnected_timeout(600), unconnected_timeout(20), unconnected_timeout(5)
    (600, 60, 15)
    """
    return max(idle_timeout, min(3 * idle_timeout, UNCONNECTED_CAP))


def patch_kernel_manager() -> None:
    """Keep Voilà's culler from killing the kernel of a page that is still loading.

    Voilà culls a kernel that has no connection and no activity for the idle timeout. Two kinds of
    kernel look like that while their page is still on its way, and culling them leaves the respondent
    with a dead page:

    - a preheated kernel that waited in the pool longer than the timeout (the pool protects it) and
      was just handed to a page: its last activity is stamped "now" at the hand-out;
    - any kernel whose page has not connected yet: it gets ``unconnected_timeout`` instead of the
      idle timeout. Once a page has connected, the ordinary timeout applies after it closes.

    It also shuts idle kernels down all at once instead of one after another, and passes over a kernel
    that went away while the culler was busy; and it lifts ZeroMQ's default cap of 1,023 sockets on the
    ZeroMQ context all kernels share (``zmq_sockets``): with that cap, a meeting room of 300 lost 23 pages
    to "Too many open files" (HTTP 500 or a closed WebSocket) once some 170 kernels were running.

    The patch wraps Voilà's kernel-manager factory (Voilà 0.5), in this process only.
    """
    import asyncio

    import voila.app as voila_app
    import zmq
    from jupyter_server._tz import utcnow
    from traitlets import default

    original = voila_app.voila_kernel_manager_factory
    if getattr(original, "zuofeng_wrapped", False):
        return

    def factory(*args, **kwargs):
        base = original(*args, **kwargs)

        class SurveyKernelManager(base):
            @default("context")
            def _context_default(self):
                context = super()._context_default()
                context.set(zmq.MAX_SOCKETS, zmq_sockets())  # before the first socket: it fixes the cap
                return context

            def notify_connect(self, kernel_id):
                self.__dict__.setdefault("_zf_connected", set()).add(kernel_id)
                super().notify_connect(kernel_id)

            async def cull_kernels(self):
                # jupyter_server culls one kernel after another, each shutdown waiting for its kernel to
                # exit (about 1.5 s here): after a burst of 20 pages the last one went 20 s late. All at once:
                ids = list(self._kernels)
                done = await asyncio.gather(*(self.cull_kernel_if_idle(k) for k in ids), return_exceptions=True)
                for kernel_id, result in zip(ids, done):
                    if isinstance(result, Exception):  # one line, no traceback: nothing of a page is in it
                        self.log.warning("could not cull kernel %s: %s", kernel_id, type(result).__name__)

            async def cull_kernel_if_idle(self, kernel_id):
                if kernel_id not in self._kernels:
                    return None  # shut down meanwhile (the culler works on a list taken before it awaited)
                if kernel_id not in self.__dict__.setdefault("_zf_connected", set()):
                    try:
                        idle = (utcnow() - self._kernels[kernel_id].last_activity).total_seconds()
                    except Exception:  # noqa: BLE001 -- not started yet: let Voilà decide
                        idle = None
                    if idle is not None and idle <= unconnected_timeout(self.cull_idle_timeout):
                        return None
                return await super().cull_kernel_if_idle(kernel_id)

            if hasattr(base, "get_rendered_notebook"):
                async def get_rendered_notebook(self, *a, **k):
                    result = await super().get_rendered_notebook(*a, **k)
                    kernel = self._kernels.get(result[2])
                    if kernel is not None:
                        kernel.last_activity = utcnow()
                    return result

        return SurveyKernelManager

    factory.zuofeng_wrapped = True
    voila_app.voila_kernel_manager_factory = factory


def patch_template_cache() -> None:
    """Compile the page's Jinja templates once per server, not once per page.

    Voilà renders every page (every preheated kernel) with a new exporter, hence a new Jinja
    environment that parses and compiles the page template and everything it extends and includes
    again: about 40 % of the server's CPU time in a meeting room. The patch gives every Voilà exporter
    environment one shared in-memory bytecode cache (Jinja's ``BytecodeCache``, keyed by the template's
    name and a checksum of its source), in this process only.
    """
    import jinja2
    from voila.exporter import VoilaExporter

    if getattr(VoilaExporter, "zuofeng_template_cache", None) is not None:
        return

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self):
            self.codes: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            code = self.codes.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket):
            self.codes[bucket.key] = bucket.bytecode_to_string()

    cache = MemoryBytecodeCache()
    create = VoilaExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    VoilaExporter._create_environment = _create_environment
    VoilaExporter.zuofeng_template_cache = cache

