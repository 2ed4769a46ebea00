#!/usr/bin/env python3
"""crosscheck.py: compare the generated .edd files with the UNECE directory originals.

Usage:
    python3 formats/edifact/gen/crosscheck.py SOURCES_DIR FORMATS_DIR

SOURCES_DIR is the shared `edifact-directories/` folder (it has `unece-untdid/`),
FORMATS_DIR is `formats/edifact`. The UNECE files are only read and compared here; nothing
from them is written anywhere (their licence forbids distributing modified copies).

Checks, for the UN sets D96A and D01B:
  * structure: every segment table entry of messages/<MSG>_D.96A|01B (position order, tag,
    segment group number, nesting, M/C, max repeats) against the .edd structure;
  * segments: every segment the .edd defines against the segment directory (TRSD.96A,
    EDSD.01B): element order, ids, composite or simple, M/C, repeats, components, formats;
  * code lists: the codes of every coded element against the code list directory
    (UNCL-1/2.96A, UNCL.01B), both ways.
For the EANCOM subsets EAN97 (D96A) and EAN02 (D01B): every structure entry must exist in
the UN table under the same group, with a repeat no higher and M where UN says M; segment
definitions must have the UN element ids and formats (M/C may be stricter, N = not used);
codes must be UN codes.

Every disagreement is printed. The exit status is 1 when a disagreement is not explained in
ALLOWED below (each entry gives the reason), 0 otherwise.
"""

import os
import re
import sys

SETS = (  # set, UN directory folder, release, segment directory, code list files, UN set
    ("D96A", "D96A", "96A", "TRSD.96A", ("UNCL-1.96A", "UNCL-2.96A"), None),
    ("D01B", "D01B", "01B", "EDSD.01B", ("UNCL.01B",), None),
    ("EAN97", "D96A", "96A", "TRSD.96A", ("UNCL-1.96A", "UNCL-2.96A"), "D96A"),
    ("EAN02", "D01B", "01B", "EDSD.01B", ("UNCL.01B",), "D01B"),
)
MESSAGES = ("ORDERS", "ORDRSP", "DESADV", "INVOIC", "APERAK")

# Disagreements we accept, keyed by (set, kind, subject) where subject may end in '*'.
# Each value is the reason. Keep this list short and specific.
ALLOWED = {
    ("*", "segment", "UNS.missing"):
        "UNS is a service segment of ISO 9735, not part of the segment directory; its one element "
        "(0081 Section identification, a1) is checked in every structure above",
    ("EAN97", "codes-extra", "*"):
        "EANCOM 1997 code lists add GS1 codes (the ones ending in E) and codes from later UN "
        "directories; the subset's list is what EANCOM partners send",
    ("EAN02", "codes-extra", "*"):
        "EANCOM 2002 code lists add GS1 codes (the ones ending in E, X.. and others) and codes "
        "from later UN directories; the subset's list is what EANCOM partners send",
    ("EAN97", "codes", "*"):
        "EANCOM enumerates codes of lists that UNCL leaves to other bodies (ISO 3166 countries, "
        "ISO 4217 currencies, ISO 639 languages, UN/ECE Rec. 20 units) or to the users",
    ("EAN02", "codes", "*"):
        "EANCOM enumerates codes of lists that UNCL leaves to other bodies (ISO 3166 countries, "
        "ISO 4217 currencies, ISO 639 languages, UN/ECE Rec. 20 units) or to the users",
}


def allowed(key):
    for (s, kind, subject), reason in ALLOWED.items():
        if s in (key[0], "*") and kind == key[1] and (
                subject == key[2] or (subject.endswith("*") and key[2].startswith(subject[:-1]))):
            return reason
    return None


# ---------------------------------------------------------------- .edd reader

def read_edd(path):
    """The parts of an .edd file the cross-check needs (see PROVENANCE.md for the format)."""
    structure, segdefs, lists = [], {}, {}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            depth = (len(line) - len(line.lstrip(" "))) // 2
            tok = line.split()
            kind = tok[0]
            if kind == "S":
                structure.append((depth, "S", tok[1], tok[2], int(tok[3]), tok[4]))
            elif kind == "G":
                structure.append((depth, "G", tok[1], tok[2], int(tok[3]), None))
            elif kind == "D":
                current = {"tag": tok[2], "elems": []}
                segdefs[tok[1]] = current
            elif kind == "E":
                current["elems"].append({"pos": int(tok[1]), "id": tok[2], "status": tok[3],
                                         "repeat": int(tok[4]), "fmt": tok[5], "codes": tok[6],
                                         "comps": None})
            elif kind == "C":
                current["elems"].append({"pos": int(tok[1]), "id": tok[2], "status": tok[3],
                                         "repeat": int(tok[4]), "fmt": None, "codes": None,
                                         "comps": []})
            elif kind == "c":
                current["elems"][-1]["comps"].append({"pos": int(tok[1]), "id": tok[2], "status": tok[3],
                                                      "fmt": tok[4], "codes": tok[5]})
            elif kind == "L":
                lists[tok[1]] = tok[3:]
    return structure, segdefs, lists


# ---------------------------------------------------------------- UNECE readers

def lines_cp437(path):
    with open(path, encoding="cp437") as f:
        return [l.rstrip("\r\n") for l in f]


def read_segment_table(path):
    """Section 4.3.1 of a message: [(depth, 'S'|'G', tag or SGn, status, repeat)], no UNH/UNT."""
    lines = lines_cp437(path)
    start = None
    for i, l in enumerate(lines):
        if re.match(r"^Pos\s+Tag\s+Name\s+S\s+R", l):
            start = i + 1
    if start is None:
        raise ValueError("%s: no segment table" % path)
    out, depth = [], 0
    seg_re = re.compile(r"^(\d{4})[ +*#|X-]*\s+([A-Z]{3}) .*?\s([MC])\s+(\d+)(.*)$")
    grp_re = re.compile(r"^(\d{4})[ +*#|X-]*\s+─+ Segment group (\d+)\s*─+ ([MC])\s+(\d+)(.*)$")
    for l in lines[start:]:
        m = grp_re.match(l)
        if m:
            out.append((depth, "G", "SG" + m.group(2), m.group(3), int(m.group(4))))
            depth += 1
            continue
        m = seg_re.match(l)
        if m:
            if m.group(2) == "UNT":
                break
            if m.group(2) != "UNH":
                out.append((depth, "S", m.group(2), m.group(3), int(m.group(4))))
            # "┘" closes the innermost group, each "┴" before it one more enclosing group.
            depth -= m.group(5).count("┘") + m.group(5).count("┴")
    return out


def read_segment_directory(path, with_repeat):
    """Segment tag -> [element], element = dict(id, status, repeat, fmt, comps)."""
    segs, current = {}, None
    head_re = re.compile(r"^[ +*#|X-]{3,8}([A-Z]{3})\s{2,4}[A-Z][A-Z /,&()'-]+$")
    elem_re = re.compile(r"^(\d{3})[ +*#|X-]*\s+([A-Z]\d{3}|\d{4})\s+.*?\s([MC])\s*(\d+)?\s*((?:an|a|n)(?:\.\.)?\d+)?\s*$")
    comp_re = re.compile(r"^[ +*#|X-]\s{3,8}(\d{4})\s+.*?\s([MC])\s+((?:an|a|n)(?:\.\.)?\d+)\s*$")
    start_re = re.compile(r"^((\d{3})[ +*#|X-]*\s+([A-Z]\d{3}|\d{4})|[ +*#|X-]\s{3,8}\d{4})\s")
    done_re = re.compile(r"\s[MC](\s+\d+)?(\s+(an|a|n)(\.\.)?\d+)?\s*$")
    lines, joined = lines_cp437(path), []
    for l in lines:
        # D01B wraps long names: the status and format are on the next line.
        if joined and start_re.match(joined[-1]) and not done_re.search(joined[-1]) \
                and l.strip() and not start_re.match(l):
            joined[-1] = joined[-1] + " " + l.strip()
        else:
            joined.append(l)
    for l in joined:
        m = head_re.match(l)
        if m:
            current = []
            segs[m.group(1)] = current
            continue
        if current is None:
            continue
        m = elem_re.match(l)
        if m:
            repeat = int(m.group(4)) if (with_repeat and m.group(4)) else 1
            current.append({"id": m.group(2), "status": m.group(3), "repeat": repeat,
                            "fmt": m.group(5), "comps": [] if m.group(2)[0].isalpha() else None})
            continue
        m = comp_re.match(l)
        if m and current and current[-1]["comps"] is not None:
            current[-1]["comps"].append({"id": m.group(1), "status": m.group(2), "fmt": m.group(3)})
    return segs


def read_code_lists(paths):
    """Data element id -> set of codes, from UNCL files."""
    lists = {}
    for path in paths:
        lines = lines_cp437(path)
        current, codes_started = None, False
        # Change indicators (up to three of + * # | X -) stand in the first columns.
        lines = [re.sub(r"^[+*#|X-]{1,3}", lambda m: " " * len(m.group()), l) for l in lines]
        for i, l in enumerate(lines):
            m = re.match(r"^\s*(\d{4})\s{2}\S", l)
            if m:
                nxt = next((x.strip() for x in lines[i + 1:i + 4] if x.strip()), "")
                if nxt.startswith("Desc:"):
                    current = lists.setdefault(m.group(1), set())
                    codes_started = False
                    continue
            if current is None:
                continue
            if l.strip().startswith("Repr:"):
                codes_started = True   # the description above may wrap like a code line
                continue
            if not codes_started:
                continue
            # A code line: D.96A right-aligns numeric codes to end in column 9 and starts
            # alphabetic ones in column 3, D.01B starts all in column 5; names wrap further
            # right and descriptions are indented deeper.
            m = re.match(r"^(\s*)(\S+)\s+\S", l)
            if m and (m.end(2) == 9 or m.start(2) in (3, 5)) and not m.group(2).endswith(":"):
                current.add(m.group(2))
    return lists


def same_format(a, b):
    """'n1' and 'n..1' say the same."""
    norm = lambda f: re.sub(r"^(an|a|n)\.\.1$", r"\g<1>1", f or "")
    return norm(a) == norm(b)


# ---------------------------------------------------------------- checks

class Report:
    def __init__(self):
        self.checked = {}
        self.problems = []   # (key, text, reason or None)

    def count(self, what, n=1):
        self.checked[what] = self.checked.get(what, 0) + n

    def disagree(self, key, text):
        self.problems.append((key, text, allowed(key)))


def check_structure(rep, setname, msg, ours, theirs, subset):
    our = [(d, k, n, s, r) for d, k, n, s, r, _ in ours]
    rep.count("structure entries", len(our))
    if not subset:
        for i in range(max(len(our), len(theirs))):
            a = our[i] if i < len(our) else None
            b = theirs[i] if i < len(theirs) else None
            if a != b:
                rep.disagree((setname, "structure", "%s#%d" % (msg, i + 1)),
                             "%s %s: entry %d is %s, UNECE has %s" % (setname, msg, i + 1, a, b))
                return
        return
    # A subset: walk both tables keeping the group path; each of ours must be found later on.
    j, path_ours, path_un = 0, [], []
    for d, k, n, s, r in our:
        del path_ours[d:]
        found = None
        while j < len(theirs):
            td, tk, tn, ts, tr = theirs[j]
            del path_un[td:]
            j += 1
            if tk == "G":
                path_un.append(tn)
            if td == d and tk == k and tn == n and path_un[:d] == path_ours[:d]:
                found = (ts, tr)
                break
        if k == "G":
            path_ours.append(n)
        if found is None:
            rep.disagree((setname, "structure", "%s/%s" % (msg, n)),
                         "%s %s: %s %s is not in the UN segment table at this place" % (setname, msg, k, n))
            return
        ts, tr = found
        if r > tr or (ts == "M" and s != "M"):
            rep.disagree((setname, "structure", "%s/%s" % (msg, n)),
                         "%s %s: %s %s is %s%d, UN says %s%d" % (setname, msg, k, n, s, r, ts, tr))


def check_segment(rep, setname, defid, ours, theirs, subset):
    tag = ours["tag"]
    where = "%s %s (%s)" % (setname, tag, defid)
    key = lambda what: (setname, "segment", "%s.%s" % (tag, what))
    if theirs is None:
        rep.disagree(key("missing"), "%s: segment not in the UNECE segment directory" % where)
        return
    rep.count("segment definitions")
    if len(ours["elems"]) != len(theirs):
        rep.disagree(key("count"), "%s: %d elements, UNECE has %d" % (where, len(ours["elems"]), len(theirs)))
        return

    def status_ok(our, un):
        return our == un or (subset and ((our == "M" and un == "C") or our == "N"))

    for e, u in zip(ours["elems"], theirs):
        rep.count("elements")
        pos = "%02d0" % e["pos"]
        if e["id"] != u["id"] or (e["comps"] is None) != (u["comps"] is None):
            rep.disagree(key(pos), "%s %s: element %s, UNECE has %s" % (where, pos, e["id"], u["id"]))
            continue
        repeat_ok = e["repeat"] == u["repeat"] or (subset and e["repeat"] < u["repeat"])
        if not status_ok(e["status"], u["status"]) or not repeat_ok:
            rep.disagree(key(pos), "%s %s %s: %s%d, UNECE says %s%d"
                         % (where, pos, e["id"], e["status"], e["repeat"], u["status"], u["repeat"]))
        if e["comps"] is None:
            if not same_format(e["fmt"], u["fmt"]):
                rep.disagree(key(pos), "%s %s %s: format %s, UNECE says %s" % (where, pos, e["id"], e["fmt"], u["fmt"]))
            continue
        if len(e["comps"]) != len(u["comps"]):
            rep.disagree(key(pos), "%s %s %s: %d components, UNECE has %d"
                         % (where, pos, e["id"], len(e["comps"]), len(u["comps"])))
            continue
        for c, uc in zip(e["comps"], u["comps"]):
            rep.count("components")
            if c["id"] != uc["id"] or not status_ok(c["status"], uc["status"]) or not same_format(c["fmt"], uc["fmt"]):
                rep.disagree(key("%s.%d" % (pos, c["pos"])), "%s %s %s component %d: %s %s %s, UNECE has %s %s %s"
                             % (where, pos, e["id"], c["pos"], c["id"], c["status"], c["fmt"],
                                uc["id"], uc["status"], uc["fmt"]))


def check_codes(rep, setname, lists, segdefs, uncl, subset):
    used = {}
    for sd in segdefs.values():
        for e in sd["elems"]:
            for f in (e["comps"] if e["comps"] is not None else [e]):
                if f["codes"] != "-":
                    used[f["codes"]] = f["id"]
    for listid in sorted(used):
        de = used[listid]
        ours = set(lists[listid])
        rep.count("code lists")
        rep.count("codes", len(ours))
        un = uncl.get(de)
        if un is None:
            rep.disagree((setname, "codes", de), "%s list %s: UNECE has no code list for %s" % (setname, listid, de))
            continue
        extra = sorted(ours - un)
        if extra:
            rep.disagree((setname, "codes-extra", de), "%s list %s: %d codes not in UNECE %s: %s"
                         % (setname, listid, len(extra), de, " ".join(extra[:20])))
        missing = sorted(un - ours)
        if missing and not subset:
            rep.disagree((setname, "codes-missing", de), "%s list %s: %d UNECE codes missing: %s"
                         % (setname, listid, len(missing), " ".join(missing[:20])))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: crosscheck.py SOURCES_DIR FORMATS_DIR\n")
        return 2
    unece = os.path.join(argv[1], "unece-untdid")
    rep = Report()
    cache = {}
    for setname, un_dir, release, segdir, uncl_files, base in SETS:
        if un_dir not in cache:
            cache[un_dir] = (
                read_segment_directory(os.path.join(unece, un_dir, segdir), release == "01B"),
                read_code_lists([os.path.join(unece, un_dir, f) for f in uncl_files]))
        segdir_defs, uncl = cache[un_dir]
        for msg in MESSAGES:
            path = os.path.join(argv[2], setname, msg + ".edd")
            structure, segdefs, lists = read_edd(path)
            rep.count("files")
            table = read_segment_table(os.path.join(unece, un_dir, "messages", "%s_D.%s" % (msg, release)))
            check_structure(rep, setname, msg, structure, table, base is not None)
            for defid in sorted(segdefs):
                check_segment(rep, setname, defid, segdefs[defid], segdir_defs.get(segdefs[defid]["tag"]),
                              base is not None)
            check_codes(rep, setname, lists, segdefs, uncl, base is not None)
    unexplained = 0
    for key, text, reason in rep.problems:
        if reason:
            print("allowed:  %s\n          because %s" % (text, reason))
        else:
            unexplained += 1
            print("DISAGREE: %s" % text)
    print("checked: " + ", ".join("%d %s" % (v, k) for k, v in rep.checked.items()))
    print("disagreements: %d (%d allowed, %d unexplained)"
          % (len(rep.problems), len(rep.problems) - unexplained, unexplained))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
