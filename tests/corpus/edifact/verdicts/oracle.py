#!/usr/bin/env python3
"""oracle.py: an independent second reading of EDIFACT files, used to draft the corpus
verdicts in ../EXPECTED.tsv (every line there was then checked by hand; see its header).

    python3 oracle.py [--untdid DIR] [--formats DIR] FILE...

Prints one TSV line per finding in the EXPECTED.tsv layout (file column = the path given).
It shares no code or data files with the gateway except the EANCOM subset definitions
(formats/edifact/EAN97|EAN02/*.edd), which the task names as the statement of what the
subsets allow. UN messages are checked against the UNECE directory text itself (untdid.py),
service segments against ISO 9735 (D422 annex B, syntax 1-3) and StAEDI's v4r02 schema
(syntax 4), service code lists against StAEDI's v3.xml/v4r02.xml enumerations plus UNSL.96A.

Position conventions (the CONTRL ones; see EXPECTED.tsv header): message = 1-based index in
its interchange ("I.M" when the interchange is not the first in the file), 0 outside a
message; segment = position in the message (UNH = 1), outside a message the position in the
interchange (UNB = 1); a missing segment is reported at the last segment before the place
where it should be; element = data element position after the tag; component = position in a
composite, 0 for a simple data element or a whole element.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import untdid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))

# ------------------------------------------------------------------ service segments

A = 'a'
N = 'n'
AN = 'an'


def el(eid, st, cls, lo, hi):
    return {'id': eid, 'status': st, 'repeat': 1, 'composite': False, 'fmt': (cls, lo, hi)}


def comp(eid, st, cls, lo, hi):
    return {'id': eid, 'status': st, 'fmt': (cls, lo, hi)}


def composite(eid, st, comps):
    return {'id': eid, 'status': st, 'repeat': 1, 'composite': True, 'comps': comps}


# ISO 9735 syntax versions 1-3 (D422 annex B; v3 has the same segment layouts)
SVC3 = {
    'UNB': [composite('S001', 'M', [comp('0001', 'M', A, 4, 4), comp('0002', 'M', N, 1, 1)]),
            composite('S002', 'M', [comp('0004', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4),
                                    comp('0008', 'C', AN, 1, 14)]),
            composite('S003', 'M', [comp('0010', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4),
                                    comp('0014', 'C', AN, 1, 14)]),
            composite('S004', 'M', [comp('0017', 'M', N, 6, 6), comp('0019', 'M', N, 4, 4)]),
            el('0020', 'M', AN, 1, 14),
            composite('S005', 'C', [comp('0022', 'M', AN, 1, 14), comp('0025', 'C', AN, 2, 2)]),
            el('0026', 'C', AN, 1, 14), el('0029', 'C', A, 1, 1), el('0031', 'C', N, 1, 1),
            el('0032', 'C', AN, 1, 35), el('0035', 'C', N, 1, 1)],
    'UNZ': [el('0036', 'M', N, 1, 6), el('0020', 'M', AN, 1, 14)],
    'UNG': [el('0038', 'M', AN, 1, 6),
            composite('S006', 'M', [comp('0040', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4)]),
            composite('S007', 'M', [comp('0044', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4)]),
            composite('S004', 'M', [comp('0017', 'M', N, 6, 6), comp('0019', 'M', N, 4, 4)]),
            el('0048', 'M', AN, 1, 14), el('0051', 'M', AN, 1, 2),
            composite('S008', 'M', [comp('0052', 'M', AN, 1, 3), comp('0054', 'M', AN, 1, 3),
                                    comp('0057', 'C', AN, 1, 6)]),
            el('0058', 'C', AN, 1, 14)],
    'UNE': [el('0060', 'M', N, 1, 6), el('0048', 'M', AN, 1, 14)],
    'UNH': [el('0062', 'M', AN, 1, 14),
            composite('S009', 'M', [comp('0065', 'M', AN, 1, 6), comp('0052', 'M', AN, 1, 3),
                                    comp('0054', 'M', AN, 1, 3), comp('0051', 'M', AN, 1, 2),
                                    comp('0057', 'C', AN, 1, 6)]),
            el('0068', 'C', AN, 1, 35),
            composite('S010', 'C', [comp('0070', 'M', N, 1, 2), comp('0073', 'C', A, 1, 1)])],
    'UNT': [el('0074', 'M', N, 1, 6), el('0062', 'M', AN, 1, 14)],
}

# ISO 9735 syntax version 4 (StAEDI v4r02.xml)
SVC4 = {
    'UNB': [composite('S001', 'M', [comp('0001', 'M', A, 4, 4), comp('0002', 'M', AN, 1, 1),
                                    comp('0080', 'C', AN, 1, 6), comp('0133', 'C', AN, 1, 3),
                                    comp('0076', 'C', AN, 2, 2)]),
            composite('S002', 'M', [comp('0004', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4),
                                    comp('0008', 'C', AN, 1, 35), comp('0042', 'C', AN, 1, 35)]),
            composite('S003', 'M', [comp('0010', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4),
                                    comp('0014', 'C', AN, 1, 35), comp('0046', 'C', AN, 1, 35)]),
            composite('S004', 'M', [comp('0017', 'M', N, 8, 8), comp('0019', 'M', N, 4, 4)]),
            el('0020', 'M', AN, 1, 14),
            composite('S005', 'C', [comp('0022', 'M', AN, 1, 14), comp('0025', 'C', AN, 2, 2)]),
            el('0026', 'C', AN, 1, 14), el('0029', 'C', A, 1, 1), el('0031', 'C', N, 1, 1),
            el('0032', 'C', AN, 1, 35), el('0035', 'C', N, 1, 1)],
    'UNZ': [el('0036', 'M', N, 1, 6), el('0020', 'M', AN, 1, 14)],
    'UNG': [el('0038', 'C', AN, 1, 6),
            composite('S006', 'C', [comp('0040', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4)]),
            composite('S007', 'C', [comp('0044', 'M', AN, 1, 35), comp('0007', 'C', AN, 1, 4)]),
            composite('S004', 'C', [comp('0017', 'M', N, 8, 8), comp('0019', 'M', N, 4, 4)]),
            el('0048', 'M', AN, 1, 14), el('0051', 'C', AN, 1, 3),
            composite('S008', 'C', [comp('0052', 'M', AN, 1, 3), comp('0054', 'M', AN, 1, 3),
                                    comp('0057', 'C', AN, 1, 6)]),
            el('0058', 'C', AN, 1, 14)],
    'UNE': [el('0060', 'M', N, 1, 6), el('0048', 'M', AN, 1, 14)],
    'UNH': [el('0062', 'M', AN, 1, 14),
            composite('S009', 'M', [comp('0065', 'M', AN, 1, 6), comp('0052', 'M', AN, 1, 3),
                                    comp('0054', 'M', AN, 1, 3), comp('0051', 'M', AN, 1, 3),
                                    comp('0057', 'C', AN, 1, 6), comp('0110', 'C', AN, 1, 6),
                                    comp('0113', 'C', AN, 1, 6)]),
            el('0068', 'C', AN, 1, 35),
            composite('S010', 'C', [comp('0070', 'M', N, 1, 2), comp('0073', 'C', A, 1, 1)]),
            composite('S016', 'C', [comp('0115', 'M', AN, 1, 14), comp('0116', 'C', AN, 1, 3),
                                    comp('0118', 'C', AN, 1, 3), comp('0051', 'C', AN, 1, 3)]),
            composite('S017', 'C', [comp('0121', 'M', AN, 1, 14), comp('0122', 'C', AN, 1, 3),
                                    comp('0124', 'C', AN, 1, 3), comp('0051', 'C', AN, 1, 3)]),
            composite('S018', 'C', [comp('0127', 'M', AN, 1, 14), comp('0128', 'C', AN, 1, 3),
                                    comp('0130', 'C', AN, 1, 3), comp('0051', 'C', AN, 1, 3)])],
    'UNT': [el('0074', 'M', N, 1, 10), el('0062', 'M', AN, 1, 14)],
}


def staedi_codes(fn):
    path = os.path.join(ARGS.shared, 'staedi', fn)
    t = open(path, encoding='utf-8').read()
    out = {}
    for m in re.finditer(r'<elementType name="DE(\d+)"[^>]*?(?:/>|>(.*?)</elementType>)', t, re.S):
        vals = re.findall(r'<value>([^<]*)</value>', m.group(2) or '')
        if vals:
            out[m.group(1)] = set(vals)
    return out


def unsl_codes():
    """UNSL.96A (service code lists of 1995): 0001 0007 0025 0029 0051 0065 0073 0081."""
    t = untdid.read_cp437(os.path.join(ARGS.shared, 'unece-untdid', 'D96A', 'UNSL.96A'))
    out = {}
    for b in re.split(r'\n─{20,}\n', t):
        m = re.search(r'^[+*#|X -]{0,3}(\d{4})  \S', b, re.M)
        if not m:
            continue
        eid = m.group(1)
        codes = set()
        in_codes = False
        for ln in b.split('\n'):
            if re.match(r'^\s*Repr:', ln):
                in_codes = True
                continue
            if in_codes and len(ln) > 10 and ln[9] == ' ' and ln[10] != ' ':
                head = re.sub(r'^[+*#|X-]{1,3}', lambda mm: ' ' * len(mm.group(0)), ln[:9])
                tok = head.strip()
                if tok and ' ' not in tok:
                    codes.add(tok)
        if codes:
            out[eid] = codes
    return out


SERVICE_CODE_ELEMENTS = ('0001', '0007', '0025', '0029', '0051', '0052', '0054', '0065', '0073',
                         '0113', '0133')


def service_codes(version):
    unsl = unsl_codes()
    st = staedi_codes('v4r02.xml' if version >= 4 else 'v3.xml')
    out = {}
    for e in SERVICE_CODE_ELEMENTS:
        s = set(st.get(e, set()))
        if version < 4 and e != '0001':
            s |= unsl.get(e, set())
        if version < 4 and e == '0001':
            s |= unsl.get(e, set())
        if s:
            out[e] = s
    return out


# ------------------------------------------------------------------ findings

class Findings:
    def __init__(self):
        self.items = []

    def add(self, sev, pos, el_, comp_, code, why):
        ic, msg, seg, tag = pos
        mi = str(msg) if ic <= 1 else '%d.%d' % (ic, msg)
        self.items.append((sev, mi, seg, tag or '-', el_, comp_, code, why))


# ------------------------------------------------------------------ tokenizer

class Seg:
    __slots__ = ('tag', 'elements', 'line', 'raw', 'stray_release')


def is_ws(b):
    return b in (0x0d, 0x0a)


class Tokenizer:
    def __init__(self, data, fnd):
        self.d = data
        self.i = 0
        self.line = 1
        self.f = fnd
        self.set_defaults()

    def set_defaults(self):
        self.comp, self.elem, self.dec, self.rel, self.rep, self.term = b':', b'+', b'.', b'?', None, b"'"
        self.una = False
        self.rep_una = None

    def skip_ws(self):
        while self.i < len(self.d) and self.d[self.i] in b'\r\n \t':
            if self.d[self.i] == 0x0a:
                self.line += 1
            self.i += 1

    def at_header(self):
        return self.d[self.i:self.i + 3] in (b'UNA', b'UNB', b'UNH')

    def start_interchange(self):
        """Skip to UNA/UNB/UNH; returns (junk bytes, found)."""
        self.set_defaults()
        self.skip_ws()
        start = self.i
        while self.i < len(self.d) and not self.at_header():
            if self.d[self.i] == 0x0a:
                self.line += 1
            self.i += 1
        junk = self.d[start:self.i]
        if self.i >= len(self.d):
            return junk, False
        if self.d[self.i:self.i + 3] == b'UNA':
            u = self.d[self.i + 3:self.i + 9]
            self.comp, self.elem, self.dec = u[0:1], u[1:2], u[2:3]
            self.rel = None if u[3:4] == b' ' else u[3:4]
            self.rep_una = None if u[4:5] == b' ' else u[4:5]
            self.term = u[5:6]
            self.una = True
            self.i += 9
            self.skip_ws()
        return junk, True

    def next_segment(self):
        """Returns a Seg, or None at the end of data, or 'TRUNC' when cut off."""
        self.skip_ws()
        if self.i >= len(self.d):
            return None
        d = self.d
        line = self.line
        elements = [[[b'']]]      # element -> repetition -> component
        raw = bytearray()
        stray = False
        i = self.i
        n = len(d)
        done = False
        while i < n:
            c = d[i:i + 1]
            if c in (b'\r', b'\n'):
                if c == b'\n':
                    self.line += 1
                i += 1
                continue
            if self.rel is not None and c == self.rel:
                # the next character (after any line breaks) is taken literally
                j = i + 1
                while j < n and d[j:j + 1] in (b'\r', b'\n'):
                    j += 1
                if j >= n:
                    i = j
                    break
                nc = d[j:j + 1]
                if nc not in (self.comp, self.elem, self.rel, self.term) and nc != (self.rep or b'\x00'):
                    stray = True
                elements[-1][-1][-1] += nc
                raw += nc
                i = j + 1
                continue
            if c == self.term:
                i += 1
                done = True
                break
            if c == self.elem:
                elements.append([[b'']])
            elif c == self.comp:
                elements[-1][-1].append(b'')
            elif self.rep is not None and c == self.rep:
                elements[-1].append([b''])
            else:
                elements[-1][-1][-1] += c
                raw += c
            i += 1
        self.i = i
        if not done:
            return 'TRUNC'
        s = Seg()
        s.tag = elements[0][0][0].decode('latin-1')
        s.elements = elements[1:]
        s.line = line
        s.raw = bytes(raw)
        s.stray_release = stray
        return s


# ------------------------------------------------------------------ element checks

def check_value(fnd, pos, elpos, cpos, fmt, val, codes, decimal, any_decimal, utf8, label):
    """One component value (bytes)."""
    cls, lo, hi = fmt
    if codes is not None:
        if val.decode('latin-1') not in codes:
            fnd.add('error', pos, elpos, cpos, 12, '"%s" is not in the code list of %s'
                    % (val.decode('latin-1'), label))
        return
    if cls == 'n':
        s = val.decode('latin-1')
        body = s[1:] if s.startswith('-') else s
        m = re.fullmatch(r'(\d*)([.,]?)(\d*)', body)
        if not m or not (m.group(1) + m.group(3)):
            fnd.add('error', pos, elpos, cpos, 37, '"%s" is not a number (%s)' % (s, label))
            return
        if m.group(2):
            if not m.group(1) or not m.group(3):
                fnd.add('error', pos, elpos, cpos, 12, '"%s": a digit must stand on each side of the decimal mark' % s)
                return
            if not any_decimal and m.group(2) != decimal:
                fnd.add('error', pos, elpos, cpos, 12, '"%s" uses "%s" but UNA says the decimal mark is "%s"'
                        % (s, m.group(2), decimal))
                return
        length = len(m.group(1)) + len(m.group(3))
    else:
        if utf8:
            length = len(val.decode('utf-8', 'replace'))
        else:
            length = len(val)
        if cls == 'a' and re.search(rb'[0-9]', val):
            fnd.add('error', pos, elpos, cpos, 37, '"%s" has digits but is alphabetic (%s)'
                    % (val.decode('latin-1'), label))
            return
    if length > hi:
        fnd.add('error', pos, elpos, cpos, 39, '"%s" has %d characters, at most %d (%s)'
                % (val.decode('latin-1'), length, hi, label))
    elif length < lo:
        fnd.add('error', pos, elpos, cpos, 40, '"%s" has %d characters, needs %d (%s)'
                % (val.decode('latin-1'), length, lo, label))


def check_elements(fnd, pos, seg, defn, codes_of, ctx, label):
    """defn: list of element dicts; codes_of(e) -> set or None."""
    els = seg.elements
    for p in range(1, max(len(els), len(defn)) + 1):
        reps = els[p - 1] if p <= len(els) else []
        present = any(any(c for c in r) for r in reps)
        if p > len(defn):
            if present:
                fnd.add('error', pos, p, 0, 16, '%s has %d data elements; element %d is one too many'
                        % (seg.tag, len(defn), p))
                return
            continue
        e = defn[p - 1]
        if not present:
            if e['status'] == 'M':
                fnd.add('error', pos, p, 0, 13, 'mandatory data element %s is missing' % e['id'])
            continue
        if e['status'] == 'N':
            fnd.add('error', pos, p, 0, 15, '%s is not used in this subset' % e['id'])
            continue
        for ri, r in enumerate(reps):
            if ri >= e['repeat']:
                fnd.add('error', pos, p, 0, 16, '%s occurs %d times, at most %d' % (e['id'], ri + 1, e['repeat']))
                break
            if not any(r):
                continue
            if not e['composite']:
                for k in range(1, len(r)):
                    if r[k]:
                        fnd.add('error', pos, p, k + 1, 16, '%s is simple but component %d has a value' % (e['id'], k + 1))
                        break
                check_value(fnd, pos, p, 0, e['fmt'], r[0], codes_of(e), *ctx, label='%s (%s)' % (e['id'], label))
                continue
            comps = e['comps']
            for k in range(max(len(r), len(comps))):
                v = r[k] if k < len(r) else b''
                if k >= len(comps):
                    if v:
                        fnd.add('error', pos, p, k + 1, 16, '%s has %d components; component %d is one too many'
                                % (e['id'], len(comps), k + 1))
                        break
                    continue
                cd = comps[k]
                if not v:
                    if cd['status'] == 'M':
                        fnd.add('error', pos, p, k + 1, 13, 'mandatory component %s of %s is missing' % (cd['id'], e['id']))
                    continue
                if cd['status'] == 'N':
                    fnd.add('error', pos, p, k + 1, 15, '%s is not used in this subset' % cd['id'])
                    continue
                check_value(fnd, pos, p, k + 1, cd['fmt'], v, codes_of(cd), *ctx, label='%s (%s)' % (cd['id'], label))


# ------------------------------------------------------------------ structure matcher

class Validator:
    def __init__(self, directory, fnd, ctx):
        self.d = directory
        self.f = fnd
        self.ctx = ctx
        self.stack = [[directory.root, -1, 0]]   # group, position, count at position
        self.last = None

    def codes_of(self, defid):
        def f(e):
            lid = self.d.codelist_of(defid, e)
            return self.d.codes.get(lid) if lid else None
        return f

    def missing(self, frame, frm, to):
        g = frame[0]
        for i in range(frm, to):
            n = g['children'][i]
            if n['status'] != 'M':
                continue
            what = n['tag'] if n['kind'] == 'S' else 'group %s (%s)' % (n['name'], n['children'][0]['tag'])
            self.f.add('error', self.last, 0, 0, 13, 'mandatory segment %s is missing%s (%s)'
                       % (what, ' from ' + g['name'] if g['name'] else '', self.d.label))

    def segment(self, seg, pos):
        tag = seg.tag
        level = -1
        idx = 0
        for L in range(len(self.stack) - 1, -1, -1):
            g, p, _ = self.stack[L]
            i = max(p, 0)
            if L > 0 and i == 0:
                i = 1
            kids = g['children']
            while i < len(kids):
                k = kids[i]
                if (k['kind'] == 'S' and k['tag'] == tag) or (k['kind'] == 'G' and k['children'][0]['tag'] == tag):
                    break
                i += 1
            if i < len(kids):
                level, idx = L, i
                break
        if level < 0:
            self.f.add('error', pos, 0, 0, 15, 'segment %s is not expected here (%s)' % (tag, self.d.label))
            self.last = pos
            return
        for L in range(len(self.stack) - 1, level, -1):
            fr = self.stack[L]
            self.missing(fr, fr[1] + 1, len(fr[0]['children']))
        del self.stack[level + 1:]
        fr = self.stack[level]
        self.missing(fr, fr[1] + 1, idx)
        if fr[1] == idx:
            fr[2] += 1
        else:
            fr[1] = idx
            fr[2] = 1
        node = fr[0]['children'][idx]
        if node['kind'] == 'G':
            if fr[2] == node['repeat'] + 1:
                self.f.add('error', pos, 0, 0, 36, 'group %s occurs %d times, at most %d'
                           % (node['name'], fr[2], node['repeat']))
            self.stack.append([node, 0, 1])
            node = node['children'][0]
        elif fr[2] == node['repeat'] + 1:
            self.f.add('error', pos, 0, 0, 35, 'segment %s occurs %d times, at most %d'
                       % (node['tag'], fr[2], node['repeat']))
        defn = self.d.segdefs[node['defid']]
        check_elements(self.f, pos, seg, defn, self.codes_of(node['defid']), self.ctx, self.d.label)
        self.last = pos

    def end(self):
        for L in range(len(self.stack) - 1, -1, -1):
            fr = self.stack[L]
            self.missing(fr, fr[1] + 1, len(fr[0]['children']))


# ------------------------------------------------------------------ repertoire

UNOA = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/=\'+:?!"%&*;<>')
UNOB = UNOA | set(b'abcdefghijklmnopqrstuvwxyz')


def repertoire_ok(cs, val):
    if cs == 'UNOA':
        return all(b in UNOA for b in val)
    if cs == 'UNOB':
        return all(b in UNOB for b in val)
    if cs in ('UNOC', 'UNOD', 'UNOE', 'UNOF'):
        # ISO 8859-x graphic characters: 0x20-0x7E and 0xA0-0xFF (8859-1; others have holes,
        # not needed for this corpus)
        return all(0x20 <= b <= 0x7e or b >= 0xa0 for b in val)
    return True


# ------------------------------------------------------------------ reader

DIRS = {}


def find_directory(mtype, ver, rel, agency, assoc):
    if (ver, agency) != ('D', 'UN') or rel not in ('96A', '01B'):
        return None
    if mtype not in ('ORDERS', 'ORDRSP', 'DESADV', 'INVOIC', 'APERAK'):
        return None
    ean = assoc.startswith('EAN')
    key = (mtype, rel, ean)
    if key not in DIRS:
        if ean:
            sub = 'EAN97' if rel == '96A' else 'EAN02'
            DIRS[key] = untdid.edd_directory(os.path.join(ARGS.formats, 'edifact', sub, mtype + '.edd'),
                                             'EANCOM %s %s subset, %s/%s.edd' % ('97' if rel == '96A' else '2002',
                                                                                 mtype, sub, mtype))
        else:
            DIRS[key] = untdid.un_directory(os.path.join(ARGS.shared, 'unece-untdid'), rel, mtype)
    return DIRS[key]


def valid_date(d, v):
    if v >= 4:
        if not re.fullmatch(r'\d{8}', d):
            return None
        mo, dd = int(d[4:6]), int(d[6:8])
    else:
        if not re.fullmatch(r'\d{6}', d):
            return None
        mo, dd = int(d[2:4]), int(d[4:6])
    return 1 <= mo <= 12 and 1 <= dd <= 31


def comp_of(seg, e, c):
    if e > len(seg.elements):
        return b''
    r = seg.elements[e - 1][0]
    return r[c - 1] if c <= len(r) else b''


def read_file(path):
    data = open(path, 'rb').read()
    fnd = Findings()
    tk = Tokenizer(data, fnd)
    ic = 0
    while True:
        junk, found = tk.start_interchange()
        if junk.strip():
            fnd.add('warning', (ic + 1, 0, 0, ''), 0, 0, 33, '%d bytes of junk before the header: %r'
                    % (len(junk), junk[:30]))
        if not found:
            if junk.strip() and ic == 0:
                fnd.add('error', (1, 0, 0, ''), 0, 0, 13, 'no interchange header')
            break
        ic += 1
        more = read_interchange(tk, fnd, ic)
        if not more:
            break
    return fnd.items


def read_interchange(tk, fnd, ic):
    """Reads one interchange; returns True if another may follow."""
    version = 3
    cs = None
    has_unb = False
    unb_ref = ''
    ic_seg = 0
    messages = 0
    groups = 0
    saw_group = saw_plain = False
    in_group = False
    group_ref = ''
    group_msgs = 0
    msg = None        # dict while inside a message
    msg_refs = {}     # UNH 0062 -> first message index using it
    svc = SVC3
    svc_codes = None
    while True:
        seg = tk.next_segment()
        if seg is None or seg == 'TRUNC':
            if seg == 'TRUNC':
                where = (ic, msg['index'], msg['seg'] + 1, '') if msg else (ic, 0, ic_seg + 1, '')
                fnd.add('error', where, 0, 0, 13, 'file ends inside a segment')
            if msg:
                if msg['val']:
                    msg['val'].end()
                fnd.add('error', (ic, msg['index'], 0, ''), 0, 0, 13, 'message has no UNT')
            if in_group:
                fnd.add('error', (ic, 0, 0, ''), 0, 0, 13, 'group has no UNE')
            if has_unb:
                fnd.add('error', (ic, 0, 0, ''), 0, 0, 13, 'interchange has no UNZ')
            return False
        tag = seg.tag
        if tag == 'UNB' and (has_unb or ic_seg):
            raise RuntimeError('UNB inside an interchange: not handled by this oracle')
        if tag == 'UNH' and msg:
            raise RuntimeError('UNH inside a message: not handled by this oracle')
        ic_seg += 1
        if msg:
            msg['seg'] += 1
            pos = (ic, msg['index'], msg['seg'], tag)
        elif tag == 'UNH':
            pos = (ic, messages + 1, 1, tag)
        else:
            pos = (ic, 0, ic_seg, tag)

        if not re.fullmatch(r'[A-Z]{3}', tag):
            fnd.add('error', pos, 0, 0, 12, '"%s" is not a segment tag' % tag)
        if seg.stray_release:
            fnd.add('warning', pos, 0, 0, 22, 'release character before a character that needs none')

        if tag == 'UNB':
            has_unb = True
            ver = comp_of(seg, 1, 2).decode('latin-1')
            version = int(ver) if re.fullmatch(r'[1-4]', ver) else 3
            if version >= 4:
                tk.rep = tk.rep_una if tk.una else b'*'
                svc = SVC4
            cs = comp_of(seg, 1, 1).decode('latin-1')
            check_repertoire(fnd, pos, seg, cs)
            svc_codes = service_codes(version)
            unb_ref = comp_of(seg, 5, 1).decode('latin-1')
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            d = comp_of(seg, 4, 1).decode('latin-1')
            t = comp_of(seg, 4, 2).decode('latin-1')
            if valid_date(d, version) is False:
                fnd.add('error', pos, 4, 1, 12, 'date %s has no valid month/day' % d)
            if re.fullmatch(r'\d{4}', t) and (int(t[:2]) > 23 or int(t[2:]) > 59):
                fnd.add('error', pos, 4, 2, 12, 'time %s is not a time of day' % t)
            continue
        if svc_codes is None:
            svc_codes = service_codes(version)
        if cs:
            check_repertoire(fnd, pos, seg, cs)
        if tag == 'UNH':
            if not has_unb and ic_seg == 1:
                fnd.add('warning', pos[:1] + (0, 0, 'UNH'), 0, 0, 13, 'no interchange envelope')
            messages += 1
            if in_group:
                group_msgs += 1
                saw_group = True
            else:
                saw_plain = True
            m = {'index': messages, 'seg': 1, 'ref': comp_of(seg, 1, 1).decode('latin-1'), 'val': None}
            if m['ref'] and m['ref'] in msg_refs:
                fnd.add('error', pos, 1, 0, 26, 'message reference %s already used by message %d of this '
                        'interchange (D422 annex B: 0062 is the sender\'s unique message reference)'
                        % (m['ref'], msg_refs[m['ref']]))
            msg_refs.setdefault(m['ref'], messages)
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            mtype, mver, mrel, mag, assoc = [comp_of(seg, 2, k).decode('latin-1') for k in range(1, 6)]
            dirx = find_directory(mtype, mver, mrel, mag, assoc)
            if dirx is None:
                # the first component of S009 whose value the gateway has no directory for
                if mtype not in ('ORDERS', 'ORDRSP', 'DESADV', 'INVOIC', 'APERAK', 'CONTRL'):
                    c = 1
                elif mver != 'D':
                    c = 2
                elif mrel not in ('96A', '01B'):
                    c = 3
                else:
                    c = 4
                fnd.add('error', pos, 2, c, 14, 'no directory for %s:%s:%s:%s:%s (gateway has D96A/D01B '
                        'ORDERS ORDRSP DESADV INVOIC APERAK, UN and EANCOM)' % (mtype, mver, mrel, mag, assoc))
            else:
                ctx = (tk.dec.decode('latin-1'), version >= 4 or not tk.una, cs in ('UNOW', 'UNOY'))
                m['val'] = Validator(dirx, fnd, ctx)
                m['val'].last = pos
            msg = m
            continue
        if tag == 'UNT':
            if not msg:
                fnd.add('error', pos, 0, 0, 33, 'UNT without UNH')
                continue
            if msg['val']:
                msg['val'].end()
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            cnt = comp_of(seg, 1, 1).decode('latin-1')
            if cnt and cnt != str(msg['seg']):
                fnd.add('error', pos, 1, 0, 29, 'UNT count %s, actual %d' % (cnt, msg['seg']))
            ref = comp_of(seg, 2, 1).decode('latin-1')
            if ref and ref != msg['ref']:
                fnd.add('error', pos, 2, 0, 28, 'UNT reference %s != UNH %s' % (ref, msg['ref']))
            msg = None
            continue
        if msg:
            if msg['val']:
                msg['val'].segment(seg, pos)
            continue
        if tag == 'UNG':
            if saw_plain:
                fnd.add('error', pos, 0, 0, 30, 'groups and messages mixed')
            groups += 1
            in_group = True
            saw_group = True
            group_ref = comp_of(seg, 5, 1).decode('latin-1')
            group_msgs = 0
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            continue
        if tag == 'UNE':
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            cnt = comp_of(seg, 1, 1).decode('latin-1')
            if cnt and cnt != str(group_msgs):
                fnd.add('error', pos, 1, 0, 29, 'UNE count %s, actual %d' % (cnt, group_msgs))
            ref = comp_of(seg, 2, 1).decode('latin-1')
            if ref and ref != group_ref:
                fnd.add('error', pos, 2, 0, 28, 'UNE reference %s != UNG %s' % (ref, group_ref))
            in_group = False
            continue
        if tag == 'UNZ':
            check_service(fnd, pos, seg, svc, svc_codes, tk, version)
            cnt = comp_of(seg, 1, 1).decode('latin-1')
            want = groups if saw_group else messages
            if cnt and cnt != str(want):
                fnd.add('error', pos, 1, 0, 29, 'UNZ count %s, actual %d' % (cnt, want))
            ref = comp_of(seg, 2, 1).decode('latin-1')
            if ref and ref != unb_ref:
                fnd.add('error', pos, 2, 0, 28, 'UNZ reference %s != UNB %s' % (ref, unb_ref))
            return True
        fnd.add('error', pos, 0, 0, 33, 'segment %s outside a message' % tag)


def check_repertoire(fnd, pos, seg, cs):
    """One warning per segment, at the first component with a character outside cs."""
    for ei, reps in enumerate(seg.elements):
        for r in reps:
            for ci, v in enumerate(r):
                if not repertoire_ok(cs, v):
                    fnd.add('warning', pos, ei + 1, ci + 1, 21, '%r outside %s' % (v[:40], cs))
                    return


def check_service(fnd, pos, seg, svc, codes, tk, version):
    defn = svc[seg.tag]

    def codes_of(e):
        return codes.get(e['id'])
    src = 'ISO 9735 v4 / StAEDI v4r02.xml' if version >= 4 else 'ISO 9735 (D422 annex B) / UNSL.96A + StAEDI v3.xml'
    check_elements(fnd, pos, seg, defn, codes_of, (tk.dec.decode('latin-1'), True, False), src)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument('--shared', default='/work/shared/edifact-directories')
    ap.add_argument('--formats', default=os.path.join(ROOT, 'formats'))
    ap.add_argument('files', nargs='+')
    ARGS = ap.parse_args()
    for f in ARGS.files:
        try:
            items = read_file(f)
        except RuntimeError as e:
            print('%s\tORACLE-STOP\t%s' % (f, e))
            continue
        if not any(i[0] == 'error' for i in items):
            print('%s\tvalid' % f)
        for it in items:
            print('%s\t%s' % (f, '\t'.join(str(x) for x in it)))


ARGS = None
if __name__ == '__main__':
    main()
