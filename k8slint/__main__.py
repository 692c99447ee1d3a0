from k8slint.cli import entry

entry()
