"""ferry's benchmark harness: families of rows measured across client x server combinations.

`bench/run.py` is the command; `bench/worker.py` measures inside one (pinned or scheduled)
process. A family is one module in `benchkit/families/`; a client or server kind is one entry in
`benchkit/clients.py` or `benchkit/servers.py`.
"""
