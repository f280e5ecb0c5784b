"""The web dashboard and HTTP API (``transferwatch web``, ``transferwatch run --web``).

One module, one job:

* ``config``   what the server needs (Redis, prefix, feeds file, bind address, token) and the loopback rule;
* ``app``      the application factory: routes, middleware, templates, static files, Redis clients;
* ``security`` token and cookie sign-in, CSRF protection, security headers (Content-Security-Policy);
* ``api``      the JSON routes of the contract (``/api/...``, ``/healthz``) and the OpenAPI description;
* ``sse``      alerts as Server-Sent Events, read from the Stream with the asyncio Redis client;
* ``pages``    the HTML pages (overview, metric, alerts, feeds, subscriptions, sign-in);
* ``views``    the ledger's figures turned into what a page shows (last change, history rows);
* ``charts``   the timeline chart's geometry, drawn as SVG by ``templates/_chart.html``;
* ``server``   uvicorn, in the foreground (``web``) or in a thread beside the service (``run --web``).

Pages and API only read the ledger (through ``worker.commands.figures.read_figures``, what
``figures --json`` prints) and the Stream; edits go through ``worker.feeds`` and
``alerts.subscriptions``, exactly as the command line makes them.
"""
