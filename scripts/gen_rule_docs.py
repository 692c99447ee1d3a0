"""Write docs/rules.md from the rule catalogue (rules/*.yaml). Run after changing rule metadata:

    python scripts/gen_rule_docs.py          # rewrite docs/rules.md
    python scripts/gen_rule_docs.py --check  # exit 1 if docs/rules.md is stale (the tests do this)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8slint.catalog import load_catalog, render_markdown  # noqa: E402

OUT = ROOT / "docs" / "rules.md"


def render() -> str:
    catalog = load_catalog()
    lines = ["# k8slint rules", "",
             "Generated from `rules/*.yaml` by `scripts/gen_rule_docs.py`; do not edit by hand.", "",
             "| id | severity | title |", "|---|---|---|"]
    for rule_id, meta in sorted(catalog.items()):
        lines.append(f"| [`{rule_id}`](#{meta['docs_anchor']}) | {meta['severity']} | {meta['title']} |")
    for rule_id, meta in sorted(catalog.items()):
        lines += ["", f'<a id="{meta["docs_anchor"]}"></a>', f"## {rule_id}", "",
                  render_markdown(rule_id, meta).rstrip()]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print("docs/rules.md is stale: run python scripts/gen_rule_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
