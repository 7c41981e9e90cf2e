"""The HTTP side of ``zuofeng serve``: Voilà serving the survey page behind a light entry page.

``serve`` checks the round and runs the server; ``survey_site`` fills the private folder Voilà serves
and builds its command line; ``voila_app`` is the Voilà application, whose ``handlers`` answer the
entry page and ``start`` (``entry_page``), the ticketed ``survey`` page (``tickets``, in turn through
``opening_queue``) and the service worker (``prefetch``); ``webguard`` limits attempts and sets the pages'
script policy; ``page_template`` is what the survey page runs in the browser around the widgets;
``forkserver`` forks the kernels from a warm process; ``voila_patches`` and ``limits`` tune Voilà's
kernel manager for a meeting room. Nothing here is imported by a survey kernel.
"""
