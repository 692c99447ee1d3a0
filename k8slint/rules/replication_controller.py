"""ReplicationControllers: valid and served (core/v1, not deprecated), but they never roll out a
changed pod template.

The ReplicationController manager (K pkg/controller/replication, a thin adapter over the ReplicaSet
controller in pkg/controller/replicaset) only keeps ``spec.replicas`` pods that match its selector:
it compares counts, never templates, so running pods keep the template they were created from until
they are deleted. ``kubectl rolling-update``, the client-side tool that replaced them one by one, was
removed in kubectl 1.18. A Deployment rolls out template changes and keeps revisions for rollbacks.
"""

from __future__ import annotations

from k8slint.model.objects import ReplicationController
from k8slint.rules import rule

RULE = "replication-controller"


@rule(RULE, kinds=["ReplicationController"])
def check(obj: ReplicationController, ctx):
    ctx.report(
        obj, ("kind",),
        f"ReplicationController {obj.display_name}: changing its pod template does not update "
        f"running pods (there is no rollout, and `kubectl rolling-update` was removed in 1.18); "
        f"a Deployment rolls out template changes and keeps a revision history for rollbacks")
