"""``python -m mfpo`` is the ``mfpo`` command line (:mod:`mfpo.cli`)."""

from mfpo.cli import main

raise SystemExit(main())
