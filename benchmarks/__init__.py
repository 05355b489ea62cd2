"""mpsim's benchmark suite (issue 13): ``python -m benchmarks [NAME…] [--quick] [--json FILE]``.

Each benchmark is a workload of one script here, run against a baseline
measured in the same run (the machine may be shared: the ratio is the figure,
not the wall). Every benchmark runs in a process of its own, so its peak RSS is
its own.

=================  ==========================================  ======================================
name               workload (script)                           ratio (baseline)
=================  ==========================================  ======================================
``tree_lossless``  multicast down a binary router tree, loss 0  heapq loop wall / mpsim wall: the same
``tree_lossy``     the same, loss 0.001 (``bench_net.py``)      packets on the same links, checked
                                                                (``same_work``); also ``simpy_ratio``
                                                                (heapq / naive SimPy, process per hop)
``joins_invite``   atm leaves joining one root (``bench_joins``) heapq floor wall / mpsim wall: a
``joins_request``                                               plain loop doing as many events
``storm``          IGMP join storm (``bench_igmp_storm.py``)    (``floor.py`` says why)
``quickstart``     ``mpsim run`` of the quickstart, fresh       command wall / wall of ``python -c
                   process (``bench_quickstart.py``)            "import matplotlib.pyplot, pandas,
                                                                pyarrow"``, medians (lower is better)
``sweep``          igmp_loss's sweep (``bench_sweep.py``)       runs/s with --jobs 2 / with --jobs 1
``memory``         ~10^7 events with packet records on, the     peak RSS / that of the same run with
                   trace to events.parquet (``bench_memory``)   packet tracing off (goal: < 2 GB)
=================  ==========================================  ======================================

NAME is a benchmark or a group (``tree``, ``joins``); none means all. ``--quick``
runs each on small sizes in seconds (what CI runs, through
``tests/test_benchmarks.py``). The table goes to stdout (to stderr with
``--json -``), a progress line per benchmark to stderr.

The JSON contract, kept stable: ``--json FILE`` writes one JSON object per
benchmark per line (JSON Lines; ``-`` is stdout) with at least

- ``name`` (str), ``ratio`` (float > 0, see ``ratio_of``), ``wall_s`` (the
  measured side's wall), ``peak_rss_mb`` (that benchmark's process; for
  ``quickstart`` the command's process, for ``memory`` the traced run's);

and also ``workload``, ``events_per_s`` (null where there are no events),
``ratio_of``, ``baseline``, ``baseline_wall_s``, ``goal`` (issue 13's, or null),
``quick``, ``same_work`` (tree), ``simpy_ratio``/``mpsim_vs_simpy`` (tree) and
a free-form ``detail``. Keys may be added, never renamed or removed. Every run
also appends its objects, each with ``machine`` and ``run`` (start, argv), to
the JSON list in ``benchmarks/results/<YYYY-MM-DD>.json`` (ignored by git).
"""
