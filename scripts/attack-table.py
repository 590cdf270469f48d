#!/usr/bin/env python3
"""Derive rulecheck's ATT&CK facts tables from a MITRE ATT&CK STIX bundle.

Reads an Enterprise ATT&CK STIX bundle (STIX 2.0 or 2.1, plain `.json` or
gzip-compressed `.json.gz`) and writes two UTF-8 TSV files that the
`rulecheck-attack` crate embeds:

  techniques.tsv  id, name, tactics, parent, revoked_by, deprecated
                  one row per attack-pattern (active, revoked and deprecated),
                  sorted by ATT&CK ID
  tactics.tsv     id, shortname, name
                  the tactics of the Enterprise matrix, in matrix order

Column meanings (techniques.tsv):
  id          ATT&CK ID from the `mitre-attack` external reference (T1059, T1218.003)
  name        display name (tabs and line breaks replaced with spaces)
  tactics     comma-separated tactic shortnames from kill_chain_phases
              (kill_chain_name `mitre-attack`), in matrix order
  parent      parent technique ID for sub-techniques (the part before the dot), else empty
  revoked_by  ID of the direct replacement named by the object's `revoked-by`
              relationship, empty when the object is not revoked; chains of
              revocations are left for the reader of the table to follow
  deprecated  `true` if x_mitre_deprecated is set, else `false`

Both files start with `# ` comment lines naming the ATT&CK version and the
sha256 of the input bundle. The same bundle always gives byte-identical output.

Usage (from the repository root):
  scripts/attack-table.py
  scripts/attack-table.py --attack-data path/to/enterprise-attack.json --out /tmp/attack
  scripts/attack-table.py --check    # fail if the committed tables are out of date
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ATTACK_DATA = REPO_ROOT / ".." / "shared" / "attack" / "enterprise-attack.json.gz"
DEFAULT_OUT = REPO_ROOT / "harness" / "rulecheck-attack" / "data"
DEFAULT_ATTACK_VERSION = "18.1"
MATRIX_EXTERNAL_ID = "enterprise-attack"
SCRIPT_NAME = "scripts/attack-table.py"

TECHNIQUE_ID_RE = re.compile(r"^T\d{4}(\.\d{3})?$")
TACTIC_ID_RE = re.compile(r"^TA\d{4}$")
VERSION_RE = re.compile(r"^\d+(\.\d+)*$")


class BundleError(Exception):
    """The bundle does not have the shape this script relies on."""


def clean_text(value):
    """Single-line text safe for a TSV cell: tabs and line breaks become spaces."""
    return re.sub(r"[\t\r\n]+", " ", value).strip()


def attack_id(obj):
    """The ATT&CK ID (external_id of the `mitre-attack` external reference), or None."""
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"]
    return None


def load_bundle(path):
    """Return (bundle dict, sha256 of the file, sha256 of the JSON text or None)."""
    raw = path.read_bytes()
    file_sha = hashlib.sha256(raw).hexdigest()
    json_sha = None
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
        json_sha = hashlib.sha256(raw).hexdigest()
    bundle = json.loads(raw.decode("utf-8"))
    if bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise BundleError(f"{path}: not a STIX bundle (no type 'bundle' with an objects list)")
    return bundle, file_sha, json_sha


def bundle_version(objects):
    """ATT&CK release version recorded in the bundle, or None.

    STIX 2.1 bundles from mitre-attack/attack-stix-data carry an
    x-mitre-collection object whose x_mitre_version is the release (e.g. "18.1").
    STIX 2.0 bundles from mitre/cti have no such object; the x_mitre_version of
    the matrix and other objects is a per-object version, not the release.
    """
    versions = {
        o["x_mitre_version"]
        for o in objects
        if o.get("type") == "x-mitre-collection" and o.get("x_mitre_version")
    }
    if len(versions) > 1:
        raise BundleError(f"bundle has several x-mitre-collection versions: {sorted(versions)}")
    return versions.pop() if versions else None


def build_tables(objects):
    """Return (tactic rows, technique rows) as lists of tuples of strings."""
    by_stix_id = {}
    for o in objects:
        if "id" in o:
            by_stix_id[o["id"]] = o

    # Tactics, in the order of the Enterprise matrix.
    matrices = [
        o for o in objects
        if o.get("type") == "x-mitre-matrix" and attack_id(o) == MATRIX_EXTERNAL_ID
    ]
    if len(matrices) != 1:
        raise BundleError(
            f"expected exactly one x-mitre-matrix with ID {MATRIX_EXTERNAL_ID!r}, found {len(matrices)}"
        )
    tactic_rows = []
    for ref in matrices[0].get("tactic_refs", []):
        tactic = by_stix_id.get(ref)
        if tactic is None or tactic.get("type") != "x-mitre-tactic":
            raise BundleError(f"matrix tactic_refs names {ref}, which is not an x-mitre-tactic in the bundle")
        tid = attack_id(tactic)
        shortname = tactic.get("x_mitre_shortname", "")
        if not tid or not TACTIC_ID_RE.match(tid) or not shortname:
            raise BundleError(f"tactic {ref} has no usable ATT&CK ID or shortname")
        tactic_rows.append((tid, shortname, clean_text(tactic.get("name", ""))))
    if not tactic_rows:
        raise BundleError("the matrix lists no tactics")
    tactic_order = {row[1]: i for i, row in enumerate(tactic_rows)}
    if len(tactic_order) != len(tactic_rows):
        raise BundleError("duplicate tactic shortnames in the matrix")

    # ATT&CK IDs of all attack-patterns.
    patterns = [o for o in objects if o.get("type") == "attack-pattern"]
    ids = {}
    for p in patterns:
        pid = attack_id(p)
        if not pid or not TECHNIQUE_ID_RE.match(pid):
            raise BundleError(f"attack-pattern {p['id']} has no ATT&CK ID of the form Tnnnn[.nnn] (got {pid!r})")
        ids[p["id"]] = pid
    if len(set(ids.values())) != len(ids):
        dupes = sorted({v for v in ids.values() if list(ids.values()).count(v) > 1})
        raise BundleError(f"ATT&CK IDs used by more than one attack-pattern: {dupes}")

    # Direct replacements from revoked-by relationships.
    revoked_by = {}
    for r in objects:
        if r.get("type") != "relationship" or r.get("relationship_type") != "revoked-by":
            continue
        if r.get("revoked") or r.get("x_mitre_deprecated"):
            continue
        src = r.get("source_ref")
        if src not in ids:
            continue  # revocations of groups, software, ...
        dst = r.get("target_ref")
        if dst not in ids:
            raise BundleError(f"{ids[src]} is revoked by {dst}, which is not an attack-pattern in the bundle")
        if src in revoked_by and revoked_by[src] != ids[dst]:
            raise BundleError(f"{ids[src]} has more than one revoked-by relationship")
        revoked_by[src] = ids[dst]

    technique_rows = []
    for p in patterns:
        pid = ids[p["id"]]
        revoked = bool(p.get("revoked", False))
        deprecated = bool(p.get("x_mitre_deprecated", False))
        replacement = revoked_by.get(p["id"], "")
        if revoked != bool(replacement):
            raise BundleError(
                f"{pid}: revoked={revoked} but {'a' if replacement else 'no'} revoked-by relationship"
            )
        phases = set()
        for kc in p.get("kill_chain_phases", []):
            if kc.get("kill_chain_name") != "mitre-attack":
                continue
            phase = kc.get("phase_name", "")
            if phase not in tactic_order:
                raise BundleError(f"{pid}: kill chain phase {phase!r} is not a tactic of the matrix")
            phases.add(phase)
        tactics = ",".join(sorted(phases, key=tactic_order.__getitem__))
        parent = pid.split(".", 1)[0] if "." in pid else ""
        is_sub = p.get("x_mitre_is_subtechnique")
        if is_sub is not None and bool(is_sub) != bool(parent):
            raise BundleError(f"{pid}: x_mitre_is_subtechnique={is_sub} does not match the ID")
        technique_rows.append((
            pid,
            clean_text(p.get("name", "")),
            tactics,
            parent,
            replacement,
            "true" if deprecated else "false",
        ))
    technique_rows.sort(key=lambda row: row[0])
    return tactic_rows, technique_rows


def marking_statement(objects):
    """MITRE's copyright statement from the bundle's marking-definition, if any."""
    statements = sorted({
        clean_text(o["definition"]["statement"])
        for o in objects
        if o.get("type") == "marking-definition"
        and isinstance(o.get("definition"), dict)
        and o["definition"].get("statement")
    })
    return statements


def render(header, rows, comments):
    lines = [f"# {c}" for c in comments]
    lines.append("\t".join(header))
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell or "\r" in cell:
                raise BundleError(f"cell {cell!r} contains a tab or line break")
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Derive techniques.tsv and tactics.tsv from a MITRE ATT&CK Enterprise STIX bundle.",
    )
    parser.add_argument(
        "--attack-data", type=Path, default=DEFAULT_ATTACK_DATA, metavar="FILE",
        help="STIX bundle, .json or .json.gz (default: ../shared/attack/enterprise-attack.json.gz "
             "relative to the repository root)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
        help="output folder (default: harness/rulecheck-attack/data in the repository)",
    )
    parser.add_argument(
        "--attack-version", default=None, metavar="VERSION",
        help="ATT&CK release version to record in the tables. Used when the bundle does not "
             "name its version (STIX 2.0 bundles from mitre/cti do not); default "
             f"{DEFAULT_ATTACK_VERSION}. If the bundle names a different version, the script stops.",
    )
    parser.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 if the files in --out differ from what would be written",
    )
    args = parser.parse_args(argv)

    try:
        bundle, file_sha, json_sha = load_bundle(args.attack_data)
        objects = bundle["objects"]
        found = bundle_version(objects)
        if found and args.attack_version and found != args.attack_version:
            raise BundleError(
                f"bundle says ATT&CK version {found}, but --attack-version {args.attack_version} was given"
            )
        version = found or args.attack_version or DEFAULT_ATTACK_VERSION
        if not VERSION_RE.match(version):
            raise BundleError(f"ATT&CK version {version!r} does not look like a version number")
        tactic_rows, technique_rows = build_tables(objects)
    except (OSError, ValueError, BundleError) as err:
        print(f"attack-table: error: {err}", file=sys.stderr)
        return 2

    source = f"source: {args.attack_data.name} sha256 {file_sha}"
    if json_sha:
        source += f" (uncompressed JSON sha256 {json_sha})"
    origin = "" if found else " (the bundle does not record its version; taken from --attack-version)"
    comments = [
        f"MITRE ATT&CK Enterprise v{version}{origin}",
        source,
        f"Generated by {SCRIPT_NAME}. Do not edit by hand: rerun the script to regenerate.",
    ]
    comments += marking_statement(objects)
    comments.append("ATT&CK content is used under MITRE's terms of use; see README.md in this folder.")

    outputs = {
        "tactics.tsv": render(("id", "shortname", "name"), tactic_rows, comments),
        "techniques.tsv": render(
            ("id", "name", "tactics", "parent", "revoked_by", "deprecated"), technique_rows, comments
        ),
    }

    if args.check:
        stale = []
        for name, text in outputs.items():
            path = args.out / name
            try:
                current = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                current = None
            if current != text:
                stale.append(str(path))
        if stale:
            print("attack-table: out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        print("attack-table: up to date")
        return 0

    for name, text in outputs.items():
        write_atomic(args.out / name, text)
    revoked = sum(1 for r in technique_rows if r[4])
    deprecated = sum(1 for r in technique_rows if r[5] == "true")
    print(
        f"attack-table: ATT&CK v{version}: {len(technique_rows)} attack-patterns "
        f"({revoked} revoked, {deprecated} deprecated), {len(tactic_rows)} tactics -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
