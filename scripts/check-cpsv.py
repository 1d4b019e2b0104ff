#!/usr/bin/env python3
"""Checks a CPSV-AP export against the official CPSV-AP 3.2.0 SHACL shapes with pyshacl.

    python3 scripts/check-cpsv.py EXPORT.ttl
    python3 scripts/check-cpsv.py EXPORT.jsonld --same-as EXPORT.ttl
    python3 scripts/check-cpsv.py NO-TITLE.ttl --expect-violation --expect-path http://purl.org/dc/terms/title

EXPORT is Turtle (.ttl) or JSON-LD (.jsonld, .json). The shapes are the official file vendored
at crates/domain/src/cpsv/cpsv-ap-SHACL.ttl (unchanged; a test compares it with the reference copy
when one is beside the repository) unless --shapes names another file. Validation runs without inference, as the official shapes
expect. Every result of severity sh:Violation counts; warnings and infos are printed but do not
fail.

Exit status: 0 when the export has no violation (with --expect-violation: when it has at least
one, and with --expect-path every violation is on that path); 1 when it does not; 2 when a file
cannot be read or parsed, or pyshacl is missing.
"""

import argparse
import sys
from pathlib import Path

SH = "http://www.w3.org/ns/shacl#"
DEFAULT_SHAPES = Path(__file__).resolve().parent.parent / "crates" / "domain" / "src" / "cpsv" / "cpsv-ap-SHACL.ttl"


def rdf_format(path):
    return "json-ld" if path.suffix.lower() in (".jsonld", ".json") else "turtle"


def load(rdflib, path, what):
    try:
        return rdflib.Graph().parse(str(path), format=rdf_format(path))
    except Exception as error:  # any parse or I/O failure ends the check
        print(f"check-cpsv: cannot read the {what} {path}: {error}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="the export, Turtle or JSON-LD")
    parser.add_argument("--shapes", type=Path, default=DEFAULT_SHAPES, help=f"SHACL shapes (default {DEFAULT_SHAPES})")
    parser.add_argument(
        "--expect-violation", action="store_true", help="succeed only if the shapes report a violation"
    )
    parser.add_argument("--expect-path", help="with --expect-violation: every violation must be on this path IRI")
    parser.add_argument("--same-as", type=Path, help="also require the export to be the same graph as this file")
    args = parser.parse_args()

    try:
        import pyshacl
        import rdflib
        from rdflib.compare import graph_diff, to_isomorphic
    except ImportError as error:
        print(f"check-cpsv: {error}; install it with `pip install pyshacl`", file=sys.stderr)
        return 2

    if not args.shapes.is_file():
        print(f"check-cpsv: no shapes at {args.shapes}; name them with --shapes", file=sys.stderr)
        return 2
    shapes = load(rdflib, args.shapes, "shapes")
    data = load(rdflib, args.export, "export")
    print(f"check-cpsv: {args.export}: {len(data)} triples; shapes {args.shapes}")

    if args.same_as is not None:
        other = load(rdflib, args.same_as, "graph to compare with")
        if to_isomorphic(data) != to_isomorphic(other):
            _, only_here, only_there = graph_diff(to_isomorphic(data), to_isomorphic(other))
            print(f"check-cpsv: FAIL: {args.export} and {args.same_as} are not the same graph")
            for triple in sorted(only_here)[:10]:
                print(f"  only in {args.export}: {triple}")
            for triple in sorted(only_there)[:10]:
                print(f"  only in {args.same_as}: {triple}")
            return 1
        print(f"check-cpsv: same graph as {args.same_as}")

    _, report, text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
    )
    print(text)

    sh = rdflib.Namespace(SH)
    counts = {}
    violation_paths = []
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        severity = report.value(result, sh.resultSeverity)
        name = str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"
        counts[name] = counts.get(name, 0) + 1
        if name == "Violation":
            violation_paths.append(str(report.value(result, sh.resultPath)))
    violations = counts.get("Violation", 0)
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "no results"
    print(f"check-cpsv: {args.export}: {summary}")

    if args.expect_violation:
        if violations == 0:
            print("check-cpsv: FAIL: a violation was expected and the shapes found none")
            return 1
        if args.expect_path is not None:
            others = sorted({p for p in violation_paths if p != args.expect_path})
            if others:
                print(f"check-cpsv: FAIL: violations on other paths than {args.expect_path}: {', '.join(others)}")
                return 1
        print(f"check-cpsv: OK: the shapes reject the export ({violations} violations, as expected)")
        return 0
    if violations:
        print(f"check-cpsv: FAIL: {violations} violations")
        return 1
    print("check-cpsv: OK: zero violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
