#!/usr/bin/env python3
"""dirgen.py: generate the gateway's compact EDIFACT directory files (.edd).

Usage:
    python3 formats/edifact/gen/dirgen.py SOURCES_DIR OUT_DIR

SOURCES_DIR is the shared folder `edifact-directories/` (with SOURCES.md); OUT_DIR is
`formats/edifact`. The output is deterministic: running twice gives identical bytes.

What comes from where (formats/edifact/PROVENANCE.md has the details and the licences):
  * message structures, segment, composite and element definitions, code lists:
    the MIT-licensed BizTalk schemas (EDIFACT/D96A, EDIFACT/D01B, EANCOM/EAN97,
    EANCOM/EAN02_Syntax-3) for ORDERS, ORDRSP, DESADV, INVOIC and APERAK;
  * the representation (a/n/an and length) of *coded* simple data elements: BizTalk types
    those as bare code lists without a length, so that one fact per data element is read
    from the UNECE element directory (TRED.96A / EDED.01B); no UNECE text is written out;
  * service segments UNB UNG UNH UNT UNE UNZ (syntax 3 and 4) and CONTRL v4: the
    Apache-2.0 StAEDI schemas; CONTRL v3 (CONTRL:D:3:UN) is derived from StAEDI's v4 CONTRL
    with the syntax-3 differences listed in CONTRL_V3_RULES below.
  * Where a source lacks a fact or is wrong, CORRECTIONS below says what we use and why.

The .edd format is documented in formats/edifact/PROVENANCE.md ("File format").
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

FORMAT_VERSION = 1
MESSAGES = ("ORDERS", "ORDRSP", "DESADV", "INVOIC", "APERAK")
XS = "{http://www.w3.org/2001/XMLSchema}"
BTS = "{http://schemas.microsoft.com/BizTalk/2003}"
STAEDI = "{http://xlate.io/EDISchema/v4}"

# (output folder, BizTalk folder, directory, UNECE element directory, association prefix)
BIZTALK_SETS = (
    ("D96A", "EDIFACT/D96A", "96A", "D96A/TRED.96A", "-"),
    ("D01B", "EDIFACT/D01B", "01B", "D01B/EDED.01B", "-"),
    ("EAN97", "EANCOM/EAN97", "96A", "D96A/TRED.96A", "EAN"),
    ("EAN02", "EANCOM/EAN02_Syntax-3", "01B", "D01B/EDED.01B", "EAN"),
)
# An EANCOM subset keeps the UN segment group numbers of its directory; this names the
# UN set whose structure the subset is aligned against.
EANCOM_BASE = {"EAN97": "D96A", "EAN02": "D01B"}

# Facts our sources lack, with the reason. Keys: (set or "service-vN", what, where).
CORRECTIONS = {
    # StAEDI types these service elements as bare "decimal"/"identifier" without a length;
    # ISO 9735 gives them a fixed length of one character (UNB S001 0002, 0029, 0031, 0035,
    # UNH S010 0073).
    ("service", "format", "0002"): "n1",
    ("service", "format", "0029"): "a1",
    ("service", "format", "0031"): "n1",
    ("service", "format", "0035"): "n1",
    ("service", "format", "0073"): "a1",
}

# CONTRL:D:3:UN differs from StAEDI's v4 CONTRL as follows (ISO 9735 v3 CONTRL as published
# by the JSWG, gefeg.com/jswg/v3/data/v3-contrl.htm; summarised in the shared reference
# edifact.md section 2.1): composites S002 S003 S006 S007 S009 are those of the syntax-3
# UNB/UNG/UNH (S002/S003 without 0042/0046, S009 without 0110/0113); the service
# segment tag is data element 0013 (v4: 0135); S011 has no occurrence 0136; UCI/UCF/UCM end
# after S011 (no 0534/0138/0800/S020); UCM 0062 and S009 are mandatory; groups SG1, SG3, SG4
# repeat up to 999999 and SG2, SG5 up to 999; 0083 keeps the 1995 codes 1, 2, 3, 5, 6 next
# to 4, 7, 8 (to be accepted inbound, never emitted); 0085 keeps the syntax-3 codes 1..43.
CONTRL_V3_RULES = {
    "drop_elements": {"0534", "0138", "0800", "S020", "0136", "0042", "0046"},
    "rename": {"0135": "0013"},
    "mandatory": {("UCM", "0062"), ("UCM", "S009")},
    "group_repeats": {"SG1": 999999, "SG2": 999, "SG3": 999999, "SG4": 999999, "SG5": 999},
    "extra_codes": {"0083": ["1", "2", "3", "5", "6"],
                    "0085": [str(i) for i in range(1, 44)]},
}

# Names of service data elements and segments (StAEDI carries none); short ISO 9735 names.
SERVICE_NAMES = {
    "UNB": "Interchange header", "UNG": "Functional group header", "UNH": "Message header",
    "UNT": "Message trailer", "UNE": "Functional group trailer", "UNZ": "Interchange trailer",
    "UCI": "Interchange response", "UCF": "Functional group response",
    "UCM": "Message/package response", "UCS": "Segment error indication",
    "UCD": "Data element error indication",
    "S001": "Syntax identifier", "S002": "Interchange sender", "S003": "Interchange recipient",
    "S004": "Date and time of preparation", "S005": "Recipient reference/password details",
    "S006": "Application sender identification", "S007": "Application recipient identification",
    "S008": "Message version", "S009": "Message identifier", "S010": "Status of the transfer",
    "S011": "Data element identification", "S016": "Message subset identification",
    "S017": "Message implementation guideline identification",
    "S018": "Scenario identification", "S020": "Reference identification",
    "0001": "Syntax identifier", "0002": "Syntax version number",
    "0004": "Interchange sender identification", "0007": "Identification code qualifier",
    "0008": "Interchange sender internal identification",
    "0010": "Interchange recipient identification",
    "0013": "Service segment tag", "0014": "Interchange recipient internal identification",
    "0017": "Date", "0019": "Time", "0020": "Interchange control reference",
    "0022": "Recipient reference/password", "0025": "Recipient reference/password qualifier",
    "0026": "Application reference", "0029": "Processing priority code",
    "0031": "Acknowledgement request", "0032": "Interchange agreement identifier",
    "0035": "Test indicator", "0036": "Interchange control count",
    "0038": "Message group identification", "0040": "Application sender identification",
    "0042": "Interchange sender internal sub-identification",
    "0044": "Application recipient identification",
    "0046": "Interchange recipient internal sub-identification",
    "0048": "Group reference number", "0051": "Controlling agency",
    "0052": "Message version number", "0054": "Message release number",
    "0057": "Association assigned code", "0058": "Application password",
    "0060": "Group control count", "0062": "Message reference number",
    "0065": "Message type", "0068": "Common access reference",
    "0070": "Sequence of transfers", "0073": "First and last transfer",
    "0074": "Number of segments in the message", "0076": "Syntax release number",
    "0080": "Service code list directory version number", "0083": "Action",
    "0085": "Syntax error", "0096": "Segment position in message body",
    "0098": "Erroneous data element position in segment",
    "0104": "Erroneous component data element position",
    "0110": "Code list directory version number", "0113": "Message type sub-function identification",
    "0115": "Message subset identification", "0116": "Message subset version number",
    "0118": "Message subset release number", "0121": "Message implementation guideline identification",
    "0122": "Message implementation guideline version number",
    "0124": "Message implementation guideline release number",
    "0127": "Scenario identification", "0128": "Scenario version number",
    "0130": "Scenario release number", "0133": "Character encoding",
    "0135": "Service segment tag", "0136": "Erroneous data element occurrence",
    "0138": "Security segment position", "0534": "Security reference number",
    "0800": "Package reference number", "0802": "Reference identification",
    "0813": "Reference qualifier",
}
SERVICE_TAGS = ("UNB", "UNG", "UNH", "UNT", "UNE", "UNZ")
CONTRL_TAGS = ("UCI", "UCF", "UCM", "UCS", "UCD")


class GenError(Exception):
    pass


# ---------------------------------------------------------------- model

class Field:
    """A simple data element or a component: position, id, status, format, codes, name."""

    def __init__(self, pos, de_id, status, fmt, codes, name, repeat=1):
        self.pos, self.id, self.status, self.fmt = pos, de_id, status, fmt
        self.codes, self.name, self.repeat = codes, name, repeat

    def key(self):
        return (self.pos, self.id, self.status, self.fmt, self.codes, self.repeat)


class Composite:
    def __init__(self, pos, c_id, status, name, comps, repeat=1):
        self.pos, self.id, self.status, self.name = pos, c_id, status, name
        self.comps, self.repeat = comps, repeat

    def key(self):
        return (self.pos, self.id, self.status, self.repeat, tuple(c.key() for c in self.comps))


class SegDef:
    def __init__(self, tag, name, elems):
        self.tag, self.name, self.elems = tag, name, elems

    def key(self):
        return (self.tag, tuple(e.key() for e in self.elems))


class SegEntry:
    def __init__(self, tag, status, maxrep, segdef):
        self.tag, self.status, self.maxrep, self.segdef = tag, status, maxrep, segdef


class Group:
    def __init__(self, name, status, maxrep, children):
        self.name, self.status, self.maxrep, self.children = name, status, maxrep, children


class MessageDef:
    def __init__(self, mtype, version, release, agency, association, structure, segdefs=None):
        self.type, self.version, self.release = mtype, version, release
        self.agency, self.association = agency, association
        self.structure = structure
        self.extra_segdefs = segdefs or []   # defs not referenced by the structure


# ---------------------------------------------------------------- sources

def read_sources_table(src_dir):
    """folder -> (upstream, commit, licence) from SOURCES.md's provenance table."""
    table = {}
    with open(os.path.join(src_dir, "SOURCES.md"), encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 5 and cells[0].startswith("`") and cells[0].endswith("/`"):
                folder = cells[0].strip("`").rstrip("/")
                licence = re.sub(r"\s*\(.*", "", cells[4])
                table[folder] = (cells[1].split()[0], cells[3], licence)
    for need in ("microsoft-integration-biztalk", "staedi", "unece-untdid"):
        if need not in table:
            raise GenError("SOURCES.md has no row for %s" % need)
    return table


def read_unece_representations(path):
    """Data element id -> representation (e.g. 'an..3') from TRED/EDED (cp437 text)."""
    reps, current = {}, None
    with open(path, encoding="cp437") as f:
        for line in f:
            m = re.match(r"^[ +*#|X-]{1,8}(\d{4})  ", line)
            if m:
                current = m.group(1)
                continue
            m = re.match(r"^\s+Repr:\s+(\S+)", line)
            if m and current:
                reps[current] = m.group(1)
                current = None
    if len(reps) < 100:
        raise GenError("%s: only %d data element representations found" % (path, len(reps)))
    return reps


def normalise_format(fmt):
    """'an..35', 'n3', 'a1' are kept; a length of one is written without '..'."""
    m = re.fullmatch(r"(an|a|n)(\.\.)?(\d+)", fmt)
    if not m:
        raise GenError("unknown representation %r" % fmt)
    if m.group(3) == "1":
        return m.group(1) + "1"
    return fmt


# ---------------------------------------------------------------- BizTalk

def bts_notes(el):
    for tag in (BTS + "fieldInfo", BTS + "recordInfo"):
        for info in el.iter(tag):
            return info.get("notes", "")
    return ""


def bts_name_and_id(notes):
    m = re.match(r"(.*)_(\d{4})$", notes)
    if not m:
        raise GenError("cannot find a data element id in notes %r" % notes)
    return m.group(1).strip(), m.group(2)


def clean_name(name):
    """BizTalk names are in mixed case styles; keep them readable and on one line."""
    name = re.sub(r"\s+", " ", name).strip()
    if name.isupper():
        name = name.capitalize()
    return name


class BizTalkSchema:
    def __init__(self, path, reps, eancom):
        self.path = path
        self.reps = reps
        self.eancom = eancom
        root = ET.parse(path).getroot()
        self.tops = {e.get("name"): e for e in root.findall(XS + "element")}
        self.types = {t.get("name"): t for t in root.findall(XS + "simpleType")}
        self.segdef_cache = {}

    def codes_of(self, type_name, de):
        t = self.types.get(type_name)
        if t is None:
            raise GenError("%s: simpleType %s missing" % (self.path, type_name))
        variants = [t]
        if self.eancom:
            # The EANCOM schemas define one list per position (ID2005_2, ID2005_3, ...) but
            # every position refers to the first one (EDIFACT_ID_2005), so a position's own
            # list is unknown. We use the union of the file's lists for the data element; a
            # variant without codes means some position takes any value, so then no list.
            pattern = re.compile(r"(EDIFACT_ID_|ID)%s(_\d+)?$" % de)
            variants += [v for n, v in sorted(self.types.items()) if pattern.match(n) and n != type_name]
        union = set()
        for v in variants:
            vals = [e.get("value") for e in v.iter(XS + "enumeration")]
            if not vals:
                return ()
            union.update(vals)
        return tuple(sorted(union, key=lambda v: v.encode()))

    def field(self, el, pos, status):
        notes = bts_notes(el)
        name, de_id = bts_name_and_id(notes)
        type_name = el.get("type")
        if type_name:
            if de_id not in self.reps:
                raise GenError("%s: no UNECE representation for coded element %s" % (self.path, de_id))
            fmt = normalise_format(self.reps[de_id])
            codes = self.codes_of(type_name, de_id)
            # An empty enumeration means "any value" in the schema, not "no value".
            return Field(pos, de_id, status, fmt, codes if codes else None, clean_name(name))
        restr = el.find(XS + "simpleType/" + XS + "restriction")
        if restr is None:
            raise GenError("%s: element %s has neither type nor restriction" % (self.path, el.get("name")))
        cls = {"EDIFACT_AN": "an", "EDIFACT_N": "n", "EDIFACT_A": "a"}[restr.get("base")]
        facets = {c.tag[len(XS):]: int(c.get("value")) for c in restr}
        if "length" in facets:
            fmt = "%s%d" % (cls, facets["length"])
        elif facets.get("minLength", 1) > 1 and facets["minLength"] == facets.get("maxLength"):
            fmt = "%s%d" % (cls, facets["maxLength"])
        else:
            fmt = "%s..%d" % (cls, facets["maxLength"])
        return Field(pos, de_id, status, normalise_format(fmt), None, clean_name(name))

    def segment(self, ref):
        if ref in self.segdef_cache:
            return self.segdef_cache[ref]
        el = self.tops[ref]
        info = el.find(XS + "annotation/" + XS + "appinfo/" + BTS + "recordInfo")
        tag = info.get("tag_name").split("_")[0]
        elems = []
        seq = el.find(XS + "complexType/" + XS + "sequence")
        for pos, sub in enumerate(seq.findall(XS + "element"), start=1):
            status = "C" if sub.get("minOccurs") == "0" else "M"
            repeat = int(sub.get("maxOccurs", "1"))
            if sub.get("ref"):
                cref = sub.get("ref")
                cinfo = sub.find(XS + "annotation/" + XS + "appinfo/" + BTS + "recordInfo")
                if cinfo is not None and cinfo.get("Used") == "No":
                    status = "N"
                cel = self.tops[cref]
                comps = []
                cseq = cel.find(XS + "complexType/" + XS + "sequence")
                for cpos, csub in enumerate(cseq.findall(XS + "element"), start=1):
                    cstatus = "C" if csub.get("minOccurs") == "0" else "M"
                    comps.append(self.field(csub, cpos, cstatus))
                crec = cel.find(XS + "annotation/" + XS + "appinfo/" + BTS + "recordInfo")
                cname = clean_name(crec.get("notes") if crec is not None else cref)
                elems.append(Composite(pos, cref.split("_")[0], status, cname, comps, repeat))
            else:
                f = self.field(sub, pos, status)
                f.repeat = repeat
                elems.append(f)
        sd = SegDef(tag, clean_name(info.get("notes", tag)), elems)
        self.segdef_cache[ref] = sd
        return sd

    def sequence(self, el):
        out = []
        for sub in el.find(XS + "complexType/" + XS + "sequence").findall(XS + "element"):
            ref = sub.get("ref")
            if ref is None:
                if sub.get("name") in ("UNH", "UNT"):
                    continue   # the envelope's business, defined in service/vN.edd
                raise GenError("%s: unexpected inline element %s" % (self.path, sub.get("name")))
            status = "C" if sub.get("minOccurs") == "0" else "M"
            maxrep = int(sub.get("maxOccurs", "1"))
            if re.fullmatch(r"[A-Z]{3}Loop\d+", ref):
                out.append(Group(None, status, maxrep, self.sequence(self.tops[ref])))
            else:
                sd = self.segment(ref)
                out.append(SegEntry(sd.tag, status, maxrep, sd))
        return out


def number_groups(seq, counter=None):
    """UN segment groups are numbered in the order they appear (depth first)."""
    counter = counter if counter is not None else [0]
    for node in seq:
        if isinstance(node, Group):
            counter[0] += 1
            node.name = "SG%d" % counter[0]
            number_groups(node.children, counter)


def trigger(node):
    return node.tag if isinstance(node, SegEntry) else node.children[0].tag


def align_subset(sub, base, where):
    """Give an EANCOM subset's groups the names of the UN groups they are a subset of.

    Both sequences are in directory order and the subset only leaves entries out, so a
    forward scan matches each subset entry to the next UN entry of the same kind and tag."""
    i = 0
    for node in sub:
        while i < len(base) and (type(base[i]) is not type(node) or trigger(base[i]) != trigger(node)):
            i += 1
        if i == len(base):
            raise GenError("%s: subset entry %s not found in the UN structure" % (where, trigger(node)))
        if isinstance(node, Group):
            node.name = base[i].name
            align_subset(node.children, base[i].children, where + "/" + node.name)
        i += 1


def biztalk_message(src_dir, folder, mtype, release, reps, association, base=None):
    path = os.path.join(src_dir, "microsoft-integration-biztalk", folder,
                        "EFACT_D%s_%s.xsd" % (release, mtype))
    schema = BizTalkSchema(path, reps, base is not None)
    root = schema.tops["EFACT_D%s_%s" % (release, mtype)]
    structure = schema.sequence(root)
    if base is None:
        number_groups(structure)
    else:
        align_subset(structure, base.structure, path)
    return MessageDef(mtype, "D", release, "UN", association, structure), path


# ---------------------------------------------------------------- StAEDI

class StaediSchema:
    def __init__(self, path):
        self.path = path
        root = ET.parse(path).getroot()
        self.etypes = {e.get("name"): e for e in root.findall(STAEDI + "elementType")}
        self.ctypes = {e.get("name"): e for e in root.findall(STAEDI + "compositeType")}
        self.stypes = {e.get("name"): e for e in root.findall(STAEDI + "segmentType")}
        self.root = root

    @staticmethod
    def de_id(etype):
        return etype.get("name")[2:]

    def field(self, ref, pos, status, repeat=1):
        et = self.etypes[ref.get("type")]
        de = self.de_id(et)
        fix = CORRECTIONS.get(("service", "format", de))
        base = et.get("base")
        cls = {"string": "an", "identifier": "an", "decimal": "n"}[base]
        mn, mx = et.get("minLength"), et.get("maxLength")
        if fix:
            fmt = fix
        elif mx is None:
            raise GenError("%s: %s has no length and no correction" % (self.path, et.get("name")))
        elif mn is not None and mn == mx:
            fmt = "%s%s" % (cls, mx)
        else:
            fmt = "%s..%s" % (cls, mx)
        vals = [v.text.strip() for v in et.iter(STAEDI + "value")]
        codes = tuple(sorted(set(vals), key=lambda v: v.encode())) if vals else None
        return Field(pos, de, status, normalise_format(fmt), codes, SERVICE_NAMES.get(de, "-"), repeat)

    def segment(self, tag):
        st = self.stypes[tag]
        elems = []
        for pos, ref in enumerate(st.find(STAEDI + "sequence"), start=1):
            status = "M" if ref.get("minOccurs") == "1" else "C"
            repeat = int(ref.get("maxOccurs", "1"))
            kind = ref.tag[len(STAEDI):]
            if kind == "element":
                elems.append(self.field(ref, pos, status, repeat))
            elif kind == "composite":
                ct = self.ctypes[ref.get("type")]
                cid = "S" + ct.get("name")[3:]
                comps = []
                for cpos, cref in enumerate(ct.find(STAEDI + "sequence"), start=1):
                    cstatus = "M" if cref.get("minOccurs") == "1" else "C"
                    comps.append(self.field(cref, cpos, cstatus))
                elems.append(Composite(pos, cid, status, SERVICE_NAMES.get(cid, "-"), comps, repeat))
            else:
                raise GenError("%s: %s: unexpected <%s>" % (self.path, tag, kind))
        return SegDef(tag, SERVICE_NAMES[tag], elems)

    def transaction(self):
        def seq(node):
            out = []
            for child in node.find(STAEDI + "sequence"):
                kind = child.tag[len(STAEDI):]
                status = "M" if child.get("minOccurs") == "1" else "C"
                maxrep = int(child.get("maxOccurs", "1"))
                if kind == "segment":
                    sd = self.segment(child.get("type"))
                    out.append(SegEntry(sd.tag, status, maxrep, sd))
                elif kind == "loop":
                    out.append(Group(child.get("code"), status, maxrep, seq(child)))
            return out
        return seq(self.root.find(STAEDI + "transaction"))


def service_definition(src_dir, syntax):
    name = {3: "v3.xml", 4: "v4r02.xml"}[syntax]
    path = os.path.join(src_dir, "staedi", name)
    s = StaediSchema(path)
    defs = [s.segment(tag) for tag in SERVICE_TAGS]
    return MessageDef("-", "-", "-", "-", "-", [], defs), path


def contrl_v3_transform(msg, s3):
    """Apply CONTRL_V3_RULES to a structure read from StAEDI's v4 CONTRL."""
    rules = CONTRL_V3_RULES
    v3_composites = {}
    for tag in ("UNB", "UNG", "UNH"):
        for e in s3.segment(tag).elems:
            if isinstance(e, Composite):
                v3_composites.setdefault(e.id, e)
    seen = {}

    def fix_field(f):
        f.id = rules["rename"].get(f.id, f.id)
        f.name = SERVICE_NAMES.get(f.id, f.name)
        if f.id in rules["extra_codes"] and f.codes:
            f.codes = tuple(sorted(set(f.codes) | set(rules["extra_codes"][f.id]), key=lambda v: v.encode()))

    def fix_segdef(sd):
        if id(sd) in seen:
            return
        seen[id(sd)] = True
        elems = []
        for e in sd.elems:
            if e.id in rules["drop_elements"]:
                continue
            if isinstance(e, Composite):
                if e.id in v3_composites:
                    src = v3_composites[e.id]
                    e.comps = [Field(c.pos, c.id, c.status, c.fmt, c.codes, c.name) for c in src.comps]
                e.comps = [c for c in e.comps if c.id not in rules["drop_elements"]]
                for c in e.comps:
                    fix_field(c)
            else:
                fix_field(e)
            if (sd.tag, e.id) in rules["mandatory"]:
                e.status = "M"
            elems.append(e)
        for pos, e in enumerate(elems, start=1):
            e.pos = pos
        sd.elems = elems

    def walk(seq):
        for node in seq:
            if isinstance(node, Group):
                node.maxrep = rules["group_repeats"][node.name]
                walk(node.children)
            else:
                fix_segdef(node.segdef)
    walk(msg.structure)


def contrl_definition(src_dir, syntax):
    path = os.path.join(src_dir, "staedi", "CONTRL-v4r02.xml")
    s4 = StaediSchema(path)
    # StAEDI's CONTRL schema holds only the CONTRL segments; UNH/UNT are in service/vN.edd.
    structure = s4.transaction()
    if syntax == 4:
        return MessageDef("CONTRL", "4", "1", "UN", "-", structure), path
    s3 = StaediSchema(os.path.join(src_dir, "staedi", "v3.xml"))
    msg = MessageDef("CONTRL", "D", "3", "UN", "-", structure)
    contrl_v3_transform(msg, s3)
    return msg, path


# ---------------------------------------------------------------- writer

def collect_segdefs(msg):
    """Segment definitions in order of first use, identical ones shared."""
    order, by_key = [], {}

    def walk(seq):
        for node in seq:
            if isinstance(node, Group):
                walk(node.children)
            else:
                add(node.segdef)

    def add(sd):
        k = sd.key()
        if k not in by_key:
            by_key[k] = sd
            order.append(sd)

    walk(msg.structure)
    for sd in msg.extra_segdefs:
        add(sd)
    # Name variants of one tag TAG, TAG_2, TAG_3 ... in order of first use.
    count, ids = {}, {}
    for sd in order:
        count[sd.tag] = count.get(sd.tag, 0) + 1
        ids[sd.key()] = sd.tag if count[sd.tag] == 1 else "%s_%d" % (sd.tag, count[sd.tag])
    return order, ids


def collect_lists(segdefs):
    """Code lists in order of first use; variants of one element named ID, ID_2 ..."""
    order, ids, count = [], {}, {}
    for sd in segdefs:
        for e in sd.elems:
            fields = e.comps if isinstance(e, Composite) else [e]
            for f in fields:
                if f.codes is None:
                    continue
                k = (f.id, f.codes)
                if k in ids:
                    continue
                count[f.id] = count.get(f.id, 0) + 1
                ids[k] = f.id if count[f.id] == 1 else "%s_%d" % (f.id, count[f.id])
                order.append(k)
    return order, ids


def render(msg, header_lines, kind):
    out = ["# %s" % line for line in header_lines]
    if kind == "service":
        out.append("H service %s" % msg.version)
    else:
        out.append("H message %s %s %s %s %s" % (msg.type, msg.version, msg.release, msg.agency,
                                                  msg.association))
    segdefs, seg_ids = collect_segdefs(msg)
    lists, list_ids = collect_lists(segdefs)

    def walk(seq, depth):
        for node in seq:
            ind = "  " * depth
            if isinstance(node, Group):
                out.append("%sG %s %s %d" % (ind, node.name, node.status, node.maxrep))
                walk(node.children, depth + 1)
            else:
                out.append("%sS %s %s %d %s" % (ind, node.tag, node.status, node.maxrep,
                                                seg_ids[node.segdef.key()]))
    walk(msg.structure, 0)

    def codes_ref(f):
        return list_ids[(f.id, f.codes)] if f.codes is not None else "-"

    for sd in segdefs:
        out.append("D %s %s %s" % (seg_ids[sd.key()], sd.tag, sd.name))
        for e in sd.elems:
            if isinstance(e, Composite):
                out.append("C %d %s %s %d %s" % (e.pos, e.id, e.status, e.repeat, e.name))
                for c in e.comps:
                    out.append("c %d %s %s %s %s %s" % (c.pos, c.id, c.status, c.fmt, codes_ref(c), c.name))
            else:
                out.append("E %d %s %s %d %s %s %s" % (e.pos, e.id, e.status, e.repeat, e.fmt,
                                                       codes_ref(e), e.name))
    for k in lists:
        out.append("L %s %d %s" % (list_ids[k], len(k[1]), " ".join(k[1])))
    text = "\n".join(out) + "\n"
    for line in out:
        if "\t" in line or "\r" in line:
            raise GenError("control character in output line %r" % line)
    return text


# Where the shared copies lie in their upstream repositories (SOURCES.md, "upstream path").
UPSTREAM_PATHS = {
    "microsoft-integration-biztalk": lambda rel: "BizTalk Server/Schema/" + rel,
    "staedi": lambda rel: ("src/test/resources/EDIFACT/" if rel.startswith("CONTRL")
                           else "src/main/resources/EDIFACT/") + rel,
}


def header(sources, folder, path, src_dir, extra=()):
    upstream, commit, licence = sources[folder]
    rel = UPSTREAM_PATHS[folder](os.path.relpath(path, os.path.join(src_dir, folder)))
    lines = ["EDIFACT directory definition (.edd format %d), generated by formats/edifact/gen/dirgen.py;"
             " do not edit, regenerate." % FORMAT_VERSION,
             "source: %s@%s \"%s\" (%s licence)" % (upstream, commit, rel, licence)]
    lines.extend(extra)
    return lines


def write(out_dir, rel, text):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def generate(src_dir, out_dir):
    sources = read_sources_table(src_dir)
    unece_up, unece_commit, _ = sources["unece-untdid"]
    written = []
    built = {}
    for out_sub, folder, release, rep_file, assoc in BIZTALK_SETS:
        reps = read_unece_representations(os.path.join(src_dir, "unece-untdid", rep_file))
        for mtype in MESSAGES:
            base = built.get((EANCOM_BASE.get(out_sub), mtype))
            msg, path = biztalk_message(src_dir, folder, mtype, release, reps, assoc, base)
            built[(out_sub, mtype)] = msg
            extra = ["representation of coded data elements: UNECE directory D.%s %s (facts only; %s@%s)"
                     % (release, os.path.basename(rep_file), unece_up, unece_commit)]
            if assoc != "-":
                extra.append("EANCOM subset: segment groups keep the numbers of the UN D.%s message" % release)
                extra.append("EANCOM code lists: per data element, the union of the file's position lists"
                             " (see dirgen.py BizTalkSchema.codes_of)")
            text = render(msg, header(sources, "microsoft-integration-biztalk", path, src_dir, extra), "message")
            written.append(write(out_dir, "%s/%s.edd" % (out_sub, mtype), text))
    for syntax in (3, 4):
        msg, path = service_definition(src_dir, syntax)
        msg.version = str(syntax)
        extra = ["lengths of 0002 0029 0031 0035 0073: ISO 9735 (StAEDI gives none)"]
        text = render(msg, header(sources, "staedi", path, src_dir, extra), "service")
        written.append(write(out_dir, "service/v%d.edd" % syntax, text))
        msg, path = contrl_definition(src_dir, syntax)
        extra = []
        if syntax == 3:
            extra = ["CONTRL:D:3:UN derived from the v4 CONTRL with the syntax-3 differences in dirgen.py"
                     " CONTRL_V3_RULES (JSWG v3 CONTRL D:3)"]
        text = render(msg, header(sources, "staedi", path, src_dir, extra), "message")
        written.append(write(out_dir, "service/CONTRL-v%d.edd" % syntax, text))
    return written


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: dirgen.py SOURCES_DIR OUT_DIR\n")
        return 2
    try:
        written = generate(argv[1], argv[2])
    except (GenError, OSError, ET.ParseError, KeyError) as e:
        sys.stderr.write("dirgen: %s\n" % e)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
