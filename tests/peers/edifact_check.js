#!/usr/bin/env node
// edifact_check.js: an independent checker for EDIFACT interchanges, used by our tests as an
// oracle for what the gateway generates (and to compare our parser's output with another
// parser's). It deliberately shares no code with the gateway: the tokenizing and the
// element/component checks are done by npm `edifact` 1.2.12 (Parser + Validator with its
// bundled segment and element definitions); around it we check the envelopes ourselves,
// because the package does not: UNT segment count and reference, UNE count and reference,
// UNZ count and reference, messages and interchanges left open, segments outside messages.
//
// Usage:
//   node edifact_check.js [--strict] [--messages DIR] FILE
//       Prints VALID and exits 0, or one line per problem and exits 1.
//       --strict        also reports trailing empty data elements / components, which a
//                       writer should truncate (ISO 9735 "compression").
//       --messages DIR  also matches every message against a segment table read from
//                       DIR/<type>.xml in php-edifact-mapping form (e.g.
//                       shared/edifact-directories/php-edifact-mapping/D96A/messages),
//                       using the package's Tracker; the first structure error of each
//                       message is reported.
//   node edifact_check.js --segments [--bytes] FILE
//       Prints every segment as one JSON line: ["TAG",[["c1","c2"],["e2"]...]], values with
//       release characters removed, exactly as npm `edifact` tokenizes them (no Validator,
//       so numbers are not normalised). UNA is not printed. Text is decoded per the UNB
//       syntax identifier (UNOA..UNOL as ISO 8859-x, UNOW/UNOY as UTF-8) and printed as
//       UTF-8; with --bytes every value is printed with the file's own bytes instead.
//       The character repertoire is not checked in this mode (every character from space
//       up is data), so files with characters their UNB level does not allow still
//       compare. Problems go to stderr; exit 1 if there were any.
// Exit status 2: usage error or unreadable file.
//
// Known limits of the peer that we work around or live with:
// - npm `edifact` only accepts UNA with a space at position 7 (v3 "reserved"); syntax
//   version 4 puts the repetition separator there. We blank it before feeding, so v4
//   repetitions are not split: a repeated element arrives as one value containing the
//   separator (and a released separator looks the same).
// - It treats a space at UNA position 6 ("no release character" in v3) as a release
//   character; we then configure it with an unused control character instead.
// - It handles one set of service characters per stream, so each interchange (each UNA or
//   UNB) is fed to a fresh Parser.
// - It stops at the first tokenizer error; we note it and resume after that segment.
'use strict';

const fs = require('fs');
const path = require('path');
const { Parser, Validator, Tracker } = require('edifact');
const Configuration = require('edifact/configuration.js');

const MAX_PROBLEMS = 1000; // a broken 25 MB file should not print a million lines

function usage(msg) {
    if (msg) process.stderr.write(`edifact_check: ${msg}\n`);
    process.stderr.write('usage: edifact_check.js [--strict] [--messages DIR] FILE\n' +
        '       edifact_check.js --segments [--bytes] FILE\n');
    process.exit(2);
}

// ---- command line ---------------------------------------------------------------------
const opts = { strict: false, segments: false, bytes: false, messages: null, file: null };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a === '--strict') opts.strict = true;
    else if (a === '--segments') opts.segments = true;
    else if (a === '--bytes') opts.bytes = true;
    else if (a === '--messages') {
        opts.messages = process.argv[++i];
        if (!opts.messages) usage('--messages needs a directory');
    } else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.file === null) opts.file = a;
    else usage('only one FILE');
}
if (opts.file === null) usage('no FILE');
if (opts.bytes && !opts.segments) usage('--bytes only goes with --segments');

let input;
try {
    input = fs.readFileSync(opts.file);
} catch (e) {
    usage(`cannot read ${opts.file}: ${e.message}`);
}

// ---- problems -------------------------------------------------------------------------
const problems = [];
let problemCount = 0;
function problem(text) {
    problemCount++;
    if (problems.length < MAX_PROBLEMS) problems.push(text);
}

// ---- service characters and interchange splitting -------------------------------------
// Interchanges are found with a light scan of our own (segment terminators, honouring the
// release character); everything inside a segment is left to the peer.
const DEFAULT_SC = { cds: ':', des: '+', dm: '.', rc: '?', rep: ' ', st: "'" };

function parseUna(una, segNo) {
    // UNA + six characters: component, element, decimal, release, reserved/repetition,
    // terminator. A space as release character means "none" in v3.
    if (una.length < 9) {
        problem(`segment ${segNo} UNA: shorter than UNA plus six service characters`);
        return DEFAULT_SC;
    }
    const c = una.slice(3, 9);
    const sc = { cds: c[0], des: c[1], dm: c[2], rc: c[3] === ' ' ? null : c[3], rep: c[4], st: c[5] };
    const used = [sc.cds, sc.des, sc.dm, sc.rc, sc.rep, sc.st].filter((x) => x && x !== ' ');
    if (new Set(used).size !== used.length) {
        problem(`segment ${segNo} UNA: the same character is used for two service functions (${JSON.stringify(una)})`);
    }
    for (const ch of [sc.cds, sc.des, sc.st]) {
        if (ch === ' ' || ch === undefined) {
            problem(`segment ${segNo} UNA: separator or terminator missing or blank (${JSON.stringify(una)})`);
            break;
        }
    }
    return sc;
}

// Index just after the terminator of the segment that starts at i, or -1 if the text ends
// first. A terminator counts only if preceded by an even number of release characters.
function segmentEnd(text, i, sc) {
    if (text.startsWith('UNA', i)) return i + 9 <= text.length ? i + 9 : -1;
    for (;;) {
        const t = text.indexOf(sc.st, i);
        if (t < 0) return -1;
        let k = t - 1, n = 0;
        if (sc.rc) while (k >= i && text[k] === sc.rc) { n++; k--; }
        if (n % 2 === 0) return t + 1;
        i = t + 1;
    }
}

function skipLineBreaks(text, i) {
    while (i < text.length && (text[i] === '\r' || text[i] === '\n')) i++;
    return i;
}

// Split the file (as a latin1 string: one char per byte) into interchanges. Each starts at
// a UNA, or at a UNB not directly preceded by its UNA; text before the first UNA/UNB stays
// with the first chunk (the peer reports it).
function splitInterchanges(text) {
    const chunks = [];
    let cur = null, i = 0, segNo = 0;
    const open = (start, una) => {
        const sc = una ? parseUna(una, segNo + 1) : DEFAULT_SC;
        cur = { una, sc, start, bodyStart: una ? start + 9 : start, end: text.length, firstSeg: segNo + 1 };
        chunks.push(cur);
    };
    i = skipLineBreaks(text, 0);
    if (i >= text.length) return chunks;
    let afterUna = false;
    while (i < text.length) {
        const isUna = text.startsWith('UNA', i);
        const isUnb = text.startsWith('UNB', i);
        if (cur === null || isUna || (isUnb && !afterUna)) {
            if (cur) cur.end = i;
            open(i, isUna ? text.slice(i, i + 9) : null);
        }
        afterUna = isUna;
        const e = segmentEnd(text, i, cur.sc);
        if (!isUna) segNo++;
        if (e < 0) break;
        i = skipLineBreaks(text, e);
    }
    return chunks;
}

// ---- character sets -------------------------------------------------------------------
// npm `edifact` knows the repertoires UNOA, UNOB, UNOC (8-bit) and UNOY (Unicode). The
// ISO 8859 family is checked byte-wise as UNOC (all of 0xA0-0xFF are graphic characters
// in every part); decoding for --segments uses the real part.
const CHARSETS = {
    UNOA: { level: 'UNOA', decoder: 'latin1' },
    UNOB: { level: 'UNOB', decoder: 'latin1' },
    UNOC: { level: 'UNOC', decoder: 'latin1' },
    UNOD: { level: 'UNOC', decoder: 'iso-8859-2' },
    UNOE: { level: 'UNOC', decoder: 'iso-8859-5' },
    UNOF: { level: 'UNOC', decoder: 'iso-8859-7' },
    UNOG: { level: 'UNOC', decoder: 'iso-8859-3' },
    UNOH: { level: 'UNOC', decoder: 'iso-8859-4' },
    UNOI: { level: 'UNOC', decoder: 'iso-8859-6' },
    UNOJ: { level: 'UNOC', decoder: 'iso-8859-8' },
    UNOK: { level: 'UNOC', decoder: 'iso-8859-9' },
    UNOL: { level: 'UNOC', decoder: 'iso-8859-15' },
    UNOW: { level: 'UNOY', decoder: 'utf-8' },
    UNOY: { level: 'UNOY', decoder: 'utf-8' },
};

// --segments is for comparing structure, not for judging the repertoire (check mode does
// that): give the peer a level that accepts every character from space up. It still
// rejects other control characters.
Configuration.charsets.ANY = [[32, 0x110000]];

function syntaxIdentifier(text, start) {
    // "UNB" + element separator + four-letter identifier; the first UNB of the chunk.
    const m = /UNB.([A-Z]{4})/.exec(text.slice(start, start + 64));
    return m ? m[1] : null;
}

// ---- segment tables for --messages ----------------------------------------------------
// php-edifact-mapping message files are flat and regular: <segment id maxrepeat required/>
// and <group id maxrepeat required> ... </group>. The Tracker wants
// [{content: 'TAG' | [...], mandatory, repetition}].
const tables = new Map();
function loadTable(file) {
    const xml = fs.readFileSync(file, 'utf8');
    const attr = (s, name) => {
        const m = new RegExp(`\\b${name}="([^"]*)"`).exec(s);
        return m ? m[1] : null;
    };
    const root = [];
    const stack = [root];
    for (const m of xml.matchAll(/<(\/?)(segment|group)\b([^>]*)>/g)) {
        const [, closing, kind, attrs] = m;
        const top = stack[stack.length - 1];
        if (closing) {
            if (kind === 'group') stack.pop();
            continue;
        }
        const entry = {
            mandatory: attr(attrs, 'required') === 'true',
            repetition: parseInt(attr(attrs, 'maxrepeat') || '1', 10),
        };
        if (kind === 'segment') {
            entry.content = attr(attrs, 'id');
            top.push(entry);
        } else {
            entry.content = [];
            top.push(entry);
            if (!attrs.trim().endsWith('/')) stack.push(entry.content);
        }
    }
    return root;
}
function tableFor(type) {
    if (!tables.has(type)) {
        const file = path.join(opts.messages, `${String(type).toLowerCase()}.xml`);
        let t = null;
        if (fs.existsSync(file)) t = loadTable(file);
        else problem(`no segment table for message type ${type} in ${opts.messages}`);
        tables.set(type, t);
    }
    return tables.get(type);
}

// ---- envelope checks ------------------------------------------------------------------
const SERVICE_OUTSIDE_MESSAGE = new Set(['UNB', 'UNG', 'UNE', 'UNZ']);
let segNo = 0;          // segments closed so far in the file (UNA not counted)
let ichg = null;        // { ref, messages, groups, seg }
let group = null;       // { ref, messages, seg }
let msg = null;         // { ref, type, segs, tracker, seg }

const first = (seg, el, comp = 0) => (seg.els[el] && seg.els[el][comp] !== undefined ? seg.els[el][comp] : '');
// Where a segment is: its number in the file and, inside a message, its position there
// (UNH = 1, as CONTRL counts).
function where(tag, n, inMsg) {
    let s = `segment ${n} ${tag || '?'}`;
    if (msg && inMsg) s += ` (message ${msg.ref}, segment ${inMsg})`;
    return s;
}
// A character for a message: control characters (C0, DEL, C1) as \xNN or U+NNNN, so that
// the line stays readable.
function quoteChar(ch) {
    const c = ch.codePointAt(0);
    if (c === undefined) return '(end of input)';
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return `\\x${c.toString(16).padStart(2, '0')}`;
    if (c > 0xff && ch.trim() === '') return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    return JSON.stringify(ch);
}
function asCount(v) {
    return /^[0-9]+$/.test(v) ? parseInt(v, 10) : NaN;
}

function closeMessage(atWhat) {
    problem(`${atWhat}: message ${msg.ref} (opened at segment ${msg.seg}) was not closed by UNT`);
    msg = null;
}

function envelope(seg) {
    const n = segNo;
    const tag = seg.tag;
    if (msg && tag !== 'UNH') msg.segs++;
    const here = where(tag, n, msg && tag !== 'UNH' ? msg.segs : 0);

    if (opts.strict) {
        const last = seg.els[seg.els.length - 1];
        if (last && last.every((c) => c === '')) {
            problem(`${here}: trailing empty data element (should be truncated)`);
        } else if (seg.els.some((e) => e.length > 1 && e[e.length - 1] === '')) {
            problem(`${here}: trailing empty component (should be truncated)`);
        }
    }
    if (msg && msg.tracker && tag !== 'UNH') msg.tracker.accept(tag);

    switch (tag) {
    case 'UNB':
        if (msg) closeMessage(here);
        if (group) problem(`${here}: group ${group.ref} (opened at segment ${group.seg}) was not closed by UNE`);
        if (ichg) problem(`${here}: interchange ${ichg.ref} (opened at segment ${ichg.seg}) was not closed by UNZ`);
        group = null;
        ichg = { ref: first(seg, 4), messages: 0, groups: 0, seg: n };
        if (!ichg.ref) problem(`${here}: no interchange control reference (0020)`);
        break;
    case 'UNG':
        if (msg) closeMessage(here);
        if (!ichg) problem(`${here}: UNG outside an interchange (no UNB before it)`);
        else if (ichg.messages > 0) problem(`${here}: functional groups and messages mixed in one interchange`);
        if (group) problem(`${here}: group ${group.ref} (opened at segment ${group.seg}) was not closed by UNE`);
        group = { ref: first(seg, 4), messages: 0, seg: n };
        if (ichg) ichg.groups++;
        break;
    case 'UNE': {
        if (msg) closeMessage(here);
        if (!group) { problem(`${here}: UNE without UNG`); break; }
        const count = asCount(first(seg, 0));
        if (count !== group.messages) {
            problem(`${here}: UNE says ${first(seg, 0)} messages, the group has ${group.messages}`);
        }
        if (first(seg, 1) !== group.ref) {
            problem(`${here}: UNE reference ${JSON.stringify(first(seg, 1))} differs from UNG reference ${JSON.stringify(group.ref)}`);
        }
        group = null;
        break;
    }
    case 'UNH': {
        if (msg) closeMessage(here);
        if (!ichg) problem(`${here}: message outside an interchange (no UNB before it)`);
        else if (!group && ichg.groups > 0) problem(`${here}: functional groups and messages mixed in one interchange`);
        if (group) group.messages++;
        else if (ichg) ichg.messages++;
        msg = { ref: first(seg, 0), type: first(seg, 1), segs: 1, tracker: null, seg: n };
        if (!msg.ref) problem(`${here}: no message reference number (0062)`);
        if (opts.messages && msg.type) {
            const t = tableFor(msg.type);
            if (t) {
                const m = msg;
                m.tracker = new Tracker(t);
                m.tracker.on('error', (e) => {
                    // raised while envelope() handles the segment: segNo and m.segs count it
                    problem(`${where(this_tag(), segNo, m.segs)}: ${m.type} structure: ${e.message}`);
                    m.tracker = null; // the first structure error per message is enough
                });
                m.tracker.accept('UNH');
            }
        }
        break;
    }
    case 'UNT': {
        if (!msg) { problem(`${here}: UNT without UNH`); break; }
        const count = asCount(first(seg, 0));
        if (count !== msg.segs) {
            problem(`${here}: UNT says ${first(seg, 0)} segments, message ${msg.ref} has ${msg.segs} (UNH to UNT)`);
        }
        if (first(seg, 1) !== msg.ref) {
            problem(`${here}: UNT reference ${JSON.stringify(first(seg, 1))} differs from UNH reference ${JSON.stringify(msg.ref)}`);
        }
        msg = null;
        break;
    }
    case 'UNZ': {
        if (msg) closeMessage(here);
        if (group) { problem(`${here}: group ${group.ref} (opened at segment ${group.seg}) was not closed by UNE`); group = null; }
        if (!ichg) { problem(`${here}: UNZ without UNB`); break; }
        const want = ichg.groups > 0 ? ichg.groups : ichg.messages;
        const what = ichg.groups > 0 ? 'functional groups' : 'messages';
        const count = asCount(first(seg, 0));
        if (count !== want) problem(`${here}: UNZ says ${first(seg, 0)} ${what}, the interchange has ${want}`);
        if (first(seg, 1) !== ichg.ref) {
            problem(`${here}: UNZ reference ${JSON.stringify(first(seg, 1))} differs from UNB reference ${JSON.stringify(ichg.ref)}`);
        }
        ichg = null;
        break;
    }
    default:
        if (!msg && !SERVICE_OUTSIDE_MESSAGE.has(tag)) problem(`${here}: segment outside a message`);
    }
}

// The Tracker reports while the segment is being accepted; `current` is the one at hand.
let current = null;
function this_tag() { return current ? current.tag : '?'; }

// ---- feeding the peer -----------------------------------------------------------------
// The package's Validator throws on the first bad element; this wrapper records the error
// and switches validation off for the rest of that segment (it resumes at the next one),
// so that one run lists every problem.
function tolerant(validator) {
    const w = {};
    for (const hook of ['onopensegment', 'onelement', 'onopencomponent', 'onclosecomponent', 'onclosesegment']) {
        w[hook] = (arg) => {
            try {
                validator[hook](arg);
            } catch (e) {
                const n = segNo + 1;
                problem(`${where(current ? current.tag : '?', n, msg ? msg.segs + 1 : 0)}: ${e.message}`);
                validator._state = Validator.states.segments;
                // a component hook may have left the tokenizer in numeric/alpha mode
                if (arg && typeof arg.alphanumeric === 'function') arg.alphanumeric();
            }
        };
    }
    return w;
}

function newValidator() {
    const v = new Validator();
    v.define(require('edifact/segments.js'));
    v.define(require('edifact/elements.js'));
    return tolerant(v);
}

const out = [];          // --segments output, written in pieces
let outLen = 0;
function emit(line) {
    out.push(line);
    outLen += line.length;
    if (outLen > (1 << 20)) flush();
}
function flush() {
    if (out.length === 0) return;
    const s = out.join('');
    out.length = 0;
    outLen = 0;
    process.stdout.write(opts.bytes ? Buffer.from(s, 'latin1') : s);
}

function checkChunk(text, chunk) {
    const sc = chunk.sc;
    let id = syntaxIdentifier(text, chunk.bodyStart);
    let cs = id ? CHARSETS[id] : CHARSETS.UNOC;
    if (id && !cs) {
        problem(`segment ${chunk.firstSeg} UNB: unknown syntax identifier ${id}; checked as UNOC`);
        cs = CHARSETS.UNOC;
    }
    let body = text.slice(chunk.bodyStart, chunk.end);
    if (cs.decoder === 'utf-8') {
        const bytes = Buffer.from(body, 'latin1');
        try {
            body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch (e) {
            problem(`segment ${chunk.firstSeg} UNB: says ${id} but the interchange is not valid UTF-8`);
            body = bytes.toString('utf8');
        }
    }
    const decodeOut = (() => {
        if (!opts.segments) return null;
        if (cs.decoder === 'utf-8') {
            // the text is decoded; --bytes wants the UTF-8 bytes back, one char per byte
            return opts.bytes ? (s) => Buffer.from(s, 'utf8').toString('latin1') : null;
        }
        if (opts.bytes || cs.decoder === 'latin1') return null;
        const d = new TextDecoder(cs.decoder);
        return (s) => d.decode(Buffer.from(s, 'latin1'));
    })();

    // The peer's own configuration, used whenever we cannot hand it the UNA itself.
    const config = {
        componentDataSeparator: sc.cds.charCodeAt(0),
        dataElementSeparator: sc.des.charCodeAt(0),
        decimalMark: sc.dm.charCodeAt(0),
        // no release character: give it one that cannot occur in valid data
        releaseCharacter: sc.rc ? sc.rc.charCodeAt(0) : 0x01,
        segmentTerminator: sc.st.charCodeAt(0),
    };

    let pos = 0;            // where in `body` the current parser started
    let closedHere = 0;     // segments the current parser closed
    let p = null;
    const start = (withUna) => {
        p = new Parser(opts.segments ? undefined : newValidator());
        p.encoding(opts.segments ? 'ANY' : cs.level);
        closedHere = 0;
        if (withUna) {
            // Let the peer read the UNA itself, with position 7 blanked (see the top).
            p.write(chunk.una.slice(0, 7) + ' ' + chunk.una.slice(8));
            if (!sc.rc) p.configure(config);
        } else {
            p.configure(config);
        }
        p.onopensegment = (tag) => { current = { tag, els: [] }; };
        p.onelement = () => { current.els.push([]); };
        p.oncomponent = (v) => { current.els[current.els.length - 1].push(v); };
        p.onclosesegment = () => {
            segNo++;
            closedHere++;
            if (opts.segments) {
                const els = decodeOut ? current.els.map((e) => e.map(decodeOut)) : current.els;
                emit(JSON.stringify([current.tag, els]) + '\n');
            } else {
                envelope(current);
            }
            current = null;
        };
    };

    // The peer says "at position N" of the string it was given; say where that is in the file.
    const explain = (message, from) => message.replace(/^Invalid character ([^]*) at position (\d+)$/, (all, ch, idx) => {
        const k = from + parseInt(idx, 10);
        const off = chunk.bodyStart + (cs.decoder === 'utf-8' ? Buffer.byteLength(body.slice(0, k), 'utf8') : k);
        return `invalid character ${quoteChar(ch)} at byte ${off} (not in ${cs.level} or not allowed by the element's format)`;
    });

    start(Boolean(chunk.una));
    for (;;) {
        try {
            p.write(pos === 0 ? body : body.slice(pos));
            p.end();
            return;
        } catch (e) {
            // The segment being read when the peer gave up is number closedHere + 1 from pos.
            const n = segNo + 1;
            let i = pos;
            for (let k = 0; k < closedHere && i >= 0; k++) i = segmentEnd(body, skipLineBreaks(body, i), sc);
            const bad = i >= 0 ? segmentEnd(body, skipLineBreaks(body, i), sc) : -1;
            const tag = i >= 0 ? (/^[A-Za-z0-9]{0,3}/.exec(body.slice(skipLineBreaks(body, i))) || [''])[0] : '?';
            if (e.message === 'Cannot close an incomplete message' || bad < 0) {
                problem(`${where(tag, n, msg ? msg.segs + 1 : 0)}: the input ends inside a segment (no segment terminator)`);
                segNo++;
                current = null;
                return;
            }
            problem(`${where(tag, n, msg ? msg.segs + 1 : 0)}: ${explain(e.message, pos)}`);
            // Count the broken segment for the envelope (it is there, just unreadable).
            segNo++;
            if (msg && !opts.segments) {
                if (tag === 'UNT') { problem(`${where(tag, n, msg.segs + 1)}: unreadable UNT closes message ${msg.ref} unchecked`); msg = null; }
                else msg.segs++;
            }
            current = null;
            pos = bad;
            if (skipLineBreaks(body, pos) >= body.length) return;
            start(false);
        }
    }
}

// A reader that stops early (| head) is not our problem.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode || 0); throw e; });
}

// ---- main -----------------------------------------------------------------------------
let text = input.toString('latin1');
if (text.startsWith('\xEF\xBB\xBF')) {
    problem('the file starts with a UTF-8 byte order mark (not allowed before UNA/UNB)');
    text = text.slice(3);
}
const chunks = splitInterchanges(text);
if (chunks.length === 0) problem('the file is empty');
for (const c of chunks) checkChunk(text, c);

if (!opts.segments) {
    if (msg) problem(`end of input: message ${msg.ref} (opened at segment ${msg.seg}) was not closed by UNT`);
    if (group) problem(`end of input: group ${group.ref} (opened at segment ${group.seg}) was not closed by UNE`);
    if (ichg) problem(`end of input: interchange ${ichg.ref} (opened at segment ${ichg.seg}) was not closed by UNZ`);
}
flush();

const report = opts.segments ? (s) => process.stderr.write(s + '\n') : (s) => process.stdout.write(s + '\n');
for (const p of problems) report(p);
if (problemCount > problems.length) report(`... and ${problemCount - problems.length} more problems`);
if (!opts.segments && problemCount === 0) process.stdout.write('VALID\n');
// exitCode, not exit(): let a piped stdout drain first.
process.exitCode = problemCount === 0 ? 0 : 1;
