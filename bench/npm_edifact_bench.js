#!/usr/bin/env node
// npm_edifact_bench.js: throughput of the npm `edifact` package (1.2.12, installed in
// tests/peers/ by scripts/install-deps.sh) on one EDIFACT file, as the side-by-side
// reference for our C parser in `make bench`.
//
//   node bench/npm_edifact_bench.js FILE [--runs N] [--mode tokenizer|validator|all]
//
// Modes, each timed N times (default 3), best and median reported:
//   tokenizer  Parser with no-op hooks: splitting into segments/elements/components only.
//   validator  Parser + Validator with the package's bundled segment and element
//              definitions (element/component counts, an/n formats, number normalising).
// The file is read once before timing (latin1, or UTF-8 for UNOW/UNOY), so the times are
// parsing only. Prints one JSON object on stdout; MB means 10^6 bytes of the file.
// Peak memory: "max_rss_kb" is this process's own peak RSS (getrusage), which includes
// the file held as a string and every mode run; for one mode alone run with --mode and
// measure from outside, e.g.  /usr/bin/time -f %M node bench/npm_edifact_bench.js F --mode tokenizer
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function usage(msg) {
    if (msg) process.stderr.write(`npm_edifact_bench: ${msg}\n`);
    process.stderr.write('usage: npm_edifact_bench.js FILE [--runs N] [--mode tokenizer|validator|all]\n');
    process.exit(2);
}

let file = null, runs = 3, mode = 'all';
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a === '--runs') runs = parseInt(process.argv[++i], 10);
    else if (a === '--mode') mode = process.argv[++i];
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (file === null) file = a;
    else usage('only one FILE');
}
if (!file) usage('no FILE');
if (!(runs >= 1)) usage('--runs must be a positive number');
if (!['tokenizer', 'validator', 'all'].includes(mode)) usage(`unknown mode ${mode}`);

// The package lives with the other test peers, pinned by their lockfile.
const peers = path.join(__dirname, '..', 'tests', 'peers');
let edifact, version;
try {
    const peerRequire = createRequire(path.join(peers, 'package.json'));
    edifact = peerRequire('edifact');
    version = peerRequire('edifact/package.json').version;
    edifact.segments = peerRequire('edifact/segments.js');
    edifact.elements = peerRequire('edifact/elements.js');
} catch (e) {
    usage(`npm edifact not installed in ${peers} (run scripts/install-deps.sh): ${e.message}`);
}
const { Parser, Validator } = edifact;

const bytes = fs.readFileSync(file);
const head = bytes.subarray(0, 256).toString('latin1');
const utf8 = /UNB.UNO[WY]/.test(head);
let doc = bytes.toString(utf8 ? 'utf8' : 'latin1');
// The package requires a space at UNA position 7, where syntax version 4 has its
// repetition separator: blank it (repetitions are then not split, which costs nothing).
if (doc.startsWith('UNA') && doc[7] !== ' ') doc = doc.slice(0, 7) + ' ' + doc.slice(8);
const level = utf8 ? 'UNOY' : 'UNOC';

function parse(validator, hooks) {
    const p = new Parser(validator);
    p.encoding(level);
    p.onopensegment = hooks.open;
    p.onelement = hooks.element;
    p.oncomponent = hooks.component;
    p.onclosesegment = hooks.close;
    p.write(doc);
    p.end();
}

const noop = () => {};
const NOOP_HOOKS = { open: noop, element: noop, component: noop, close: noop };

// Untimed pass: counts for the rates, and a check that the file parses at all.
let segments = 0, messages = 0;
try {
    parse(undefined, {
        open: (tag) => { segments++; if (tag === 'UNH') messages++; },
        element: noop, component: noop, close: noop,
    });
} catch (e) {
    usage(`npm edifact cannot parse ${file}: ${e.message}`);
}

function newValidator() {
    const v = new Validator();
    v.define(edifact.segments);
    v.define(edifact.elements);
    return v;
}

const MODES = {
    tokenizer: () => parse(undefined, NOOP_HOOKS),
    validator: () => parse(newValidator(), NOOP_HOOKS),
};

const result = {
    tool: `npm edifact ${version}`,
    node: process.version,
    file: path.basename(file),
    bytes: bytes.length,
    messages,
    segments,
    runs,
    modes: {},
};
for (const name of Object.keys(MODES)) {
    if (mode !== 'all' && mode !== name) continue;
    const times = [];
    for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        try {
            MODES[name]();
        } catch (e) {
            result.modes[name] = { error: e.message };
            break;
        }
        times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    if (result.modes[name]) continue;
    times.sort((a, b) => a - b);
    const best = times[0];
    const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
    result.modes[name] = {
        best_s: round(best, 4),
        median_s: round(times[Math.floor(times.length / 2)], 4),
        mb_per_s: round(bytes.length / 1e6 / best, 1),
        messages_per_s: Math.round(messages / best),
        segments_per_s: Math.round(segments / best),
    };
}
result.max_rss_kb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
process.exitCode = Object.values(result.modes).some((m) => m.error) ? 1 : 0;
