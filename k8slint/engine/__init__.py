"""One lint run: files -> documents -> objects -> rules -> findings, in one direction.

Per-object rules run while documents stream by; cross-object ("set") rules see an inventory of
compact copies of the objects they care about, filled as the files are read and checked once at
the end. With ``jobs > 1`` files are linted in worker processes and only findings and compact
inventory entries travel back, so output is identical to a single-process run.

One module per concern:

* ``runner``    - the run: inputs, batches of files over ``--jobs`` processes, the cross-object
                  rules (shared out over forked processes), findings in input order;
* ``file_lint`` - one file: its documents and objects, the per-object rules and policies on each;
* ``inventory`` - what cross-object rules see: compact copies and their drop spec, the cluster
                  of the Node objects;
* ``locate``    - line and column of cross-object findings, found by reading their documents again;
* ``context``   - what a rule sees: ``RuleContext`` and the rules a run's options make active;
* ``options``   - what a run is asked to do.
"""

from k8slint.engine.context import INTERNAL_ERROR, RuleContext
from k8slint.engine.inventory import Inventory
from k8slint.engine.options import Options
from k8slint.engine.runner import RunResult, run

__all__ = ["INTERNAL_ERROR", "Inventory", "Options", "RuleContext", "RunResult", "run"]
