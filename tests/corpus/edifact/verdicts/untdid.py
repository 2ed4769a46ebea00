"""untdid.py: read the UNECE directory text (D.96A / D.01B, cp437) and EANCOM .edd subsets
into one small model, for oracle.py. Written for the corpus verdicts, independently of the
gateway's C loader and of formats/edifact/gen/*.py.

Model
  Segment definition: list of elements; an element is a dict
      {id, status 'M'|'C'|'N', repeat, composite: bool, fmt (simple) or comps: [..]}
      a component is {id, status, fmt}; fmt = (cls 'a'|'n'|'an', min, max)
  Message structure: a group node {name, status, repeat, children}; a child is either
      {'kind': 'S', tag, status, repeat, defid} or a group node with 'kind': 'G'.
  Code lists: element id -> set of codes (UN) or a per-definition list id (EANCOM).
"""

import os
import re

CHANGE = r'[+*#|X-]?'


def read_cp437(path):
    with open(path, 'rb') as fh:
        return fh.read().decode('cp437').replace('\r', '')


def parse_fmt(s):
    m = re.fullmatch(r'(an|a|n)(\.\.)?(\d+)', s)
    if not m:
        raise ValueError('bad format ' + s)
    n = int(m.group(3))
    return (m.group(1), 1 if m.group(2) else n, n)


# ---------------------------------------------------------------- segment directories

def load_segments(path, d01b):
    """TRSD.96A or EDSD.01B -> {tag: [element...]}"""
    text = read_cp437(path)
    segs = {}
    blocks = re.split(r'\n─{20,}\n', text)
    for b in blocks:
        lines = b.split('\n')
        # a long name wraps: join an element/component line without a status with the next
        joined = []
        for ln in lines:
            if joined and joined[-1].endswith('\x00'):
                joined[-1] = joined[-1][:-1] + ' ' + ln.strip()
                continue
            if re.match(r'^\s*(?:[+*#|X-]\s*)?(?:\d{3}\s+(?:[+*#|X-]\s+)?)?([A-Z]\d{3}|\d{4})\s+\S', ln) and \
                    not re.search(r'\s[MC](?:\s+\d+)?(?:\s+(?:an?\.\.\d+|an?\d+|n\.\.\d+|n\d+))?\s*$', ln):
                joined.append(ln + '\x00')
                continue
            joined.append(ln)
        lines = [x.rstrip('\x00') for x in joined]
        tag = None
        elems = []
        for ln in lines:
            if tag is None:
                m = re.match(r'^\s*(?:[+*#|X-]\s+)?([A-Z]{3})\s{2,}[A-Z].*$', ln)
                if m and 'Function' not in ln:
                    tag = m.group(1)
                continue
            # element line: pos id NAME status [repeat] [format]
            m = re.match(r'^\s*(?:[+*#|X-]\s*)?(\d{3})\s+(?:[+*#|X-]\s+)?([A-Z]\d{3}|\d{4})\s+(.*?)\s+([MC])'
                         r'(?:\s+(\d+))?(?:\s+(an?\.\.\d+|an?\d+|n\.\.\d+|n\d+))?\s*$', ln)
            if m:
                eid = m.group(2)
                rep = int(m.group(5)) if m.group(5) else 1
                if eid[0] in 'CS':
                    elems.append({'id': eid, 'status': m.group(4), 'repeat': rep,
                                  'composite': True, 'comps': []})
                else:
                    elems.append({'id': eid, 'status': m.group(4), 'repeat': rep,
                                  'composite': False, 'fmt': parse_fmt(m.group(6))})
                continue
            m = re.match(r'^\s*(?:[+*#|X-]\s+)?(\d{4})\s+(.*?)\s+([MC])\s+(an?\.\.\d+|an?\d+|n\.\.\d+|n\d+)\s*$', ln)
            if m and elems and elems[-1]['composite']:
                elems[-1]['comps'].append({'id': m.group(1), 'status': m.group(3),
                                           'fmt': parse_fmt(m.group(4))})
        if tag and elems:
            segs[tag] = elems
    return segs


# ---------------------------------------------------------------- code lists

def load_codes(paths, d01b):
    """UNCL files -> {element id: set(codes)}. Only lists that have codes."""
    codes = {}
    for path in paths:
        text = read_cp437(path)
        blocks = re.split(r'\n─{20,}\n', text)
        for b in blocks:
            lines = b.split('\n')
            eid = None
            got = set()
            in_codes = False
            for ln in lines:
                if eid is None:
                    m = re.match(r'^' + CHANGE + r'\s*(\d{4})\s{2}\S', ln)
                    if m:
                        eid = m.group(1)
                    continue
                if re.match(r'^\s*Repr:', ln):
                    in_codes = True
                    continue
                if not in_codes:
                    continue
                if d01b:
                    # code at column 5, name at column 11, descriptions at 14
                    m = re.match(r'^(.{5})(\S+)\s+(\S.*)$', ln)
                    if m and re.fullmatch(r'[+*#|X -]*', m.group(1)) and ln[11:12].strip() and \
                            len(m.group(2)) <= 6 and ln.find(m.group(3)) == 11:
                        got.add(m.group(2))
                else:
                    # code ends by column 9 (right-aligned numbers, left-aligned letters), name at 10
                    if len(ln) > 10 and ln[9] == ' ' and ln[10] != ' ':
                        head = re.sub(r'^[+*#|X-]{1,3}', lambda m: ' ' * len(m.group(0)), ln[:9])
                        tok = head.strip()
                        if tok and ' ' not in tok:
                            got.add(tok)
            if eid and got:
                codes[eid] = got
    return codes


# ---------------------------------------------------------------- message structures

def load_message(path):
    """messages/<MSG>_D.96A|01B section 4.3.1 -> root group node."""
    text = read_cp437(path)
    i = text.rfind('Segment table')
    body = text[i:]
    root = {'kind': 'G', 'name': '', 'status': 'M', 'repeat': 1, 'children': []}
    stack = [root]
    for ln in body.split('\n')[1:]:
        m = re.match(r'^(\d{4})\s+(?:[+*#|X-]\s+)?(.*)$', ln)
        if not m:
            continue
        rest = m.group(2)
        g = re.match(r'^─+\s*Segment group (\d+)\s*─+\s*([MC])\s+(\d+)', rest)
        if g:
            node = {'kind': 'G', 'name': 'SG' + g.group(1), 'status': g.group(2),
                    'repeat': int(g.group(3)), 'children': []}
            stack[-1]['children'].append(node)
            stack.append(node)
            continue
        s = re.match(r'^([A-Z]{3}) .*?\s{2,}([MC])\s+(\d+)(.*)$', rest)
        if not s:
            continue
        tag = s.group(1)
        closes = s.group(4).count('┘') + s.group(4).count('┴')
        if tag not in ('UNH', 'UNT'):
            stack[-1]['children'].append({'kind': 'S', 'tag': tag, 'status': s.group(2),
                                          'repeat': int(s.group(3)), 'defid': tag})
        for _ in range(closes):
            stack.pop()
    return root


UNS_DEF = [{'id': '0081', 'status': 'M', 'repeat': 1, 'composite': False, 'fmt': ('a', 1, 1)}]
UNS_CODES = {'0081': {'D', 'S'}}   # UNSL 0081 (D422 annex B: D header/detail, S detail/summary)


class Directory:
    """One message definition with its segment definitions and code lists."""

    def __init__(self, label, root, segdefs, codes, codelist_of):
        self.label = label
        self.root = root
        self.segdefs = segdefs        # defid -> elements
        self.codes = codes            # list id -> set
        self.codelist_of = codelist_of  # function(defid, element dict or component dict) -> list id or None


def un_directory(untdid_dir, version, msg):
    sub = 'D96A' if version == '96A' else 'D01B'
    base = os.path.join(untdid_dir, sub)
    if version == '96A':
        segs = load_segments(os.path.join(base, 'TRSD.96A'), False)
        codes = load_codes([os.path.join(base, 'UNCL-1.96A'), os.path.join(base, 'UNCL-2.96A')], False)
    else:
        segs = load_segments(os.path.join(base, 'EDSD.01B'), True)
        codes = load_codes([os.path.join(base, 'UNCL.01B')], True)
    segs['UNS'] = UNS_DEF
    codes = dict(codes)
    codes.update(UNS_CODES)
    root = load_message(os.path.join(base, 'messages', '%s_D.%s' % (msg, version)))

    def codelist_of(defid, e):
        return e['id'] if e['id'] in codes else None
    label = 'UN %s D.%s: %s_D.%s, %s, %s' % (msg, version, msg, version,
                                               'TRSD.96A' if version == '96A' else 'EDSD.01B',
                                               'UNCL.96A' if version == '96A' else 'UNCL.01B')
    return Directory(label, root, segs, codes, codelist_of)


def edd_directory(path, label):
    """Read an .edd file (format: formats/edifact/PROVENANCE.md)."""
    root = {'kind': 'G', 'name': '', 'status': 'M', 'repeat': 1, 'children': []}
    stack = [(-1, root)]
    segdefs = {}
    codes = {}
    cur = None
    with open(path, encoding='utf-8') as fh:
        for raw in fh:
            ln = raw.rstrip('\n').rstrip('\r')
            if not ln.strip() or ln.lstrip().startswith('#'):
                continue
            indent = (len(ln) - len(ln.lstrip(' '))) // 2
            f = ln.split()
            k = f[0]
            if k in ('S', 'G'):
                while stack[-1][0] >= indent:
                    stack.pop()
                parent = stack[-1][1]
                if k == 'S':
                    parent['children'].append({'kind': 'S', 'tag': f[1], 'status': f[2],
                                               'repeat': int(f[3]), 'defid': f[4]})
                else:
                    node = {'kind': 'G', 'name': f[1], 'status': f[2], 'repeat': int(f[3]),
                            'children': []}
                    parent['children'].append(node)
                    stack.append((indent, node))
            elif k == 'D':
                cur = []
                segdefs[f[1]] = cur
            elif k == 'E':
                cur.append({'id': f[2], 'status': f[3], 'repeat': int(f[4]), 'composite': False,
                            'fmt': parse_fmt(f[5]), 'list': None if f[6] == '-' else f[6]})
            elif k == 'C':
                cur.append({'id': f[2], 'status': f[3], 'repeat': int(f[4]), 'composite': True,
                            'comps': []})
            elif k == 'c':
                cur[-1]['comps'].append({'id': f[2], 'status': f[3], 'fmt': parse_fmt(f[4]),
                                         'list': None if f[5] == '-' else f[5]})
            elif k == 'L':
                codes[f[1]] = set(f[3:])
                assert len(codes[f[1]]) == int(f[2])

    def codelist_of(defid, e):
        return e.get('list')
    return Directory(label, root, segdefs, codes, codelist_of)
