"""k8slint: a static linter and policy analyzer for Kubernetes manifests."""

__version__ = "0.1.0"
