'use strict';
/* pandora-gen --import's writer: the calls recorder.js recorded (one model per run of procfile.js) →
 * the settings of a pandora procfile (pandora.procfile(5)) → its libconfig text. Pure: no file is
 * read but the service classes procfile.js names by path, for their static dependencies. What has no
 * counterpart is named in a comment where it was; what can't be written at all throws a
 * ConversionError, which recorder.js reports with the file. */

const path = require('path');

const PREFIX = 'pandora-gen --import: ';
/* Where procfile.js is and what the app is called: set by convert() for the functions below. */
let ctx;

class ConversionError extends Error {}

const isGroup = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function show(v) {
        if (typeof v === 'function')
                return v.name ? `class ${v.name}` : 'a function';
        try {
                return JSON.stringify(v) ?? String(v);
        } catch (e) {
                return String(v);
        }
}

function findLive(list, name) {
        return list.find((x) => !x.dropped && x.name === name);
}

/* ---- model → settings tree ----------------------------------------------------------------- */

/* Settings are plain objects in the order they are written; comments sit in `notes` by setting path. */
function addNote(notes, at, text) {
        (notes[at] = notes[at] || []).push(text);
}

function checkName(kind, name) {
        if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
                throw new ConversionError(`${kind} '${name}': a pandora name starts with a letter and holds ` +
                                          'only letters, digits, \'-\' and \'_\'; rename it in procfile.js');
}

function shellWord(w) {
        return /^[A-Za-z0-9_\-.\/:=@%+,]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
}

/* What Pandora.js require()d or forked runs under node: pandora adds node itself only for *.js. */
function nodeCommand(file, nodeArgs) {
        const words = nodeArgs.length || !/\.[cm]?js$/.test(file) ? ['node', ...nodeArgs, file] : [file];

        return words.map((w) => shellWord(String(w))).join(' ');
}

function isBuiltinPandora(name) {
        return name === 'worker' || name === 'background';
}

function processSettings(m, p, notes, at) {
        const out = {};
        const builtinEnv = p.builtin ? { [p.name]: 'true' } : {};

        if (p.set.has('entry'))
                out.entry = nodeCommand(p.entry, p.nodeArgs);
        else if (p.set.has('nodeArgs') && p.nodeArgs.length)
                addNote(notes, at, `.nodeArgs(${show(p.nodeArgs)}): there is no entry; given to the node ` +
                        'of every service on this process instead');
        if (p.set.has('scale') || (p.builtin && !isBuiltinPandora(p.name))) {
                if (p.scale === 'auto') {
                        out.scale = 'auto';
                        addNote(notes, `${at}.scale`, '"auto": one instance per online CPU, or ' +
                                '$DEFAULT_WORKER_COUNT, as in Pandora.js');
                } else if (Number.isInteger(Number(p.scale)) && Number(p.scale) >= 0) {
                        out.scale = Number(p.scale);
                } else {
                        addNote(notes, at, `.scale(${show(p.scale)}) is not a count or 'auto'; left at 1`);
                }
        }
        if (p.set.has('env') || (p.builtin && !isBuiltinPandora(p.name))) {
                out.env = {};
                for (const [k, v] of Object.entries(p.env || {})) {
                        if (v === undefined || v === null || typeof v === 'object' || typeof v === 'function') {
                                addNote(notes, `${at}.env`, `${k}: ${show(v)} is not a string, number or ` +
                                        'boolean; left out (Node.js would not pass it on usefully)');
                                continue;
                        }
                        out.env[k] = String(v);
                }
                for (const k of Object.keys(builtinEnv))
                        if (isBuiltinPandora(p.name) && !(k in out.env))
                                addNote(notes, `${at}.env`, `Pandora.js's .env() replaced the built-in ` +
                                        `${k} = "true"; pandora merges env, so it stays set`);
        }
        if (p.set.has('args') && Array.isArray(p.args))
                out.args = p.args.map(String);
        if (p.set.has('order')) {
                if (Number.isInteger(Number(p.order)))
                        out.order = Number(p.order);
                else
                        addNote(notes, at, `.order(${show(p.order)}) is not an integer; left at 0`);
        }
        for (const n of p.notes)
                addNote(notes, at, n);
        return out;
}

/* Pandora.js merged a service class's static `dependencies` into the procfile's. A class given by
 * path is loaded only to read them: Pandora.js loaded it when the process started. */
function classDependencies(s, notes, at) {
        let klass = s.entry;

        if (typeof klass === 'string') {
                try {
                        const mod = require(require.resolve(klass, { paths: [ctx.appDir] }));
                        klass = typeof mod === 'function' ? mod : mod && mod.default;
                } catch (e) {
                        addNote(notes, at, `could not load '${s.entry}' to read its static dependencies ` +
                                `(${String(e.message).split('\n')[0]}); only procfile.js's are carried over`);
                        return [];
                }
        }
        return klass && Array.isArray(klass.dependencies) ? klass.dependencies.map(String) : [];
}

function serviceSettings(m, s, nodeArgsOf, notes, at) {
        const out = {};
        let deps;

        if (s.cluster !== undefined) {
                out.exec = nodeCommand(s.cluster, nodeArgsOf(s.category));
                deps = ['all', ...s.dependencies];
        } else {
                const what = typeof s.entry === 'string' ? `'${s.entry}' holds a Pandora.js service class` :
                        `${show(s.entry)} is a Pandora.js service class given in procfile.js`;
                const file = typeof s.entry === 'string' ? s.entry : `./${s.name}.js`;

                addNote(notes, at, `${what}; pandora runs a program (exec) or a C module (module), not a ` +
                        `class. Placeholder: make ${file} a program that starts the service, stops it on ` +
                        'SIGTERM and reads its config as JSON from $PANDORA_SERVICE_CONFIG');
                out.exec = nodeCommand(file, nodeArgsOf(s.category));
                deps = [...classDependencies(s, notes, at), ...s.dependencies];
        }
        if (s.category !== 'worker')
                out.process = s.category;
        deps = [...new Set(deps)];
        if (deps.length)
                out.dependencies = deps;
        if (s.configFn)
                addNote(notes, at, '.config(function): a config resolver runs when the service starts; ' +
                        'pandora\'s config is fixed, not carried over');
        else if (s.config && typeof s.config === 'object' && Object.keys(s.config).length)
                out.config = s.config;
        for (const n of s.notes)
                addNote(notes, at, n);
        return out;
}

/* An app's clusters can stay `cluster = [...]` when each is as cluster() made it, on worker. */
function clusterSugar(services, nodeArgsOf) {
        const clusters = services.filter((s) => s.cluster !== undefined);

        if (!clusters.length)
                return undefined;
        const plain = clusters.every((s, i) => s.name === `cluster${i}` && !s.dropped && s.category === 'worker' &&
                                     s.set.size === 0 && s.notes.length === 0 && !nodeArgsOf('worker').length);
        return plain && clusters.length === services.filter((s) => /^cluster\d+$/.test(s.name)).length ?
                clusters.map((s) => s.cluster) : undefined;
}

function settings(m) {
        const notes = {};
        const top = {};
        const app = ctx.app;
        const processes = m.processes.filter((p) => !p.dropped);
        const services = m.services.filter((s) => !s.dropped);
        const nodeArgsOf = (name) => {
                const p = findLive(m.processes, name);
                return p && !p.set.has('entry') && p.set.has('nodeArgs') ? p.nodeArgs.map(String) : [];
        };
        const onAll = services.some((s) => !s.builtin && s.category === 'all');

        if (app.fromPackage) {
                top.app = app.name;
                addNote(notes, 'app', 'package.json\'s name, which Pandora.js named the app after');
        }
        for (const p of m.processes)
                if (p.dropped && p.builtin && isBuiltinPandora(p.name))
                        addNote(notes, '', `process('${p.name}').drop(): pandora's built-in '${p.name}' is ` +
                                'still defined, and starts only when something uses it');
        top.processes = {};
        for (const p of processes) {
                const used = p.set.size || p.notes.length ||
                             services.some((s) => !s.builtin && s.category === p.name);
                if (p.builtin && !used && !(p.name === 'agent' && onAll)) {
                        /* Kept, empty (and so not written), so that the dev overlay sees it defined. */
                        if (isBuiltinPandora(p.name))
                                top.processes[p.name] = {};
                        continue;
                }
                checkName('process', p.name);
                if (p.builtin && !isBuiltinPandora(p.name))
                        addNote(notes, `processes.${p.name}`, `Pandora.js's built-in '${p.name}' process, ` +
                                'which pandora does not have');
                top.processes[p.name] = processSettings(m, p, notes, `processes.${p.name}`);
        }
        const sugar = clusterSugar(services, nodeArgsOf);
        top.services = {};
        for (const s of services) {
                if (s.builtin) {
                        if (s.set.size || s.notes.length)
                                addNote(notes, '', `service('${s.name}'): Pandora.js's built-in LoggerService; ` +
                                        'pandora sends every line to the journal instead, not carried over');
                        continue;
                }
                if (sugar && s.cluster !== undefined)
                        continue;
                checkName('service', s.name);
                top.services[s.name] = serviceSettings(m, s, nodeArgsOf, notes, `services.${s.name}`);
        }
        if (sugar)
                top.cluster = sugar;
        for (const n of m.notes)
                addNote(notes, '', n);
        return { top, notes };
}

/* ---- the dev overlay: what pandora.dev changed ---------------------------------------------- */

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/* Groups merge key by key and other values replace (pandora.procfile(5), DEV OVERLAY); what dev mode
 * leaves out can't be taken away by an overlay, so it is named instead. `absent` gives the value a
 * setting has in dev mode when the file does not set it. */
function overlay(dev, base, at, notes, absent) {
        const out = {};

        for (const [k, v] of Object.entries(dev)) {
                if (!(k in base))
                        out[k] = v;
                else if (isGroup(v) && isGroup(base[k])) {
                        const sub = overlay(v, base[k], `${at}.${k}`, notes, absent);
                        if (Object.keys(sub).length)
                                out[k] = sub;
                } else if (!same(v, base[k]))
                        out[k] = v;
        }
        for (const k of Object.keys(base)) {
                if (k in dev)
                        continue;
                const fallback = absent(`${at}.${k}`.replace(/^\./, ''));
                if (fallback !== undefined) {
                        if (!same(fallback, base[k]))
                                out[k] = fallback;
                        if (isGroup(fallback))
                                addNote(notes, `dev${at}.${k}`, 'not defined in dev mode, so it starts no ' +
                                        'instance there');
                } else {
                        addNote(notes, `dev${at}`, `${k}: set outside dev mode only, and the dev overlay ` +
                                'can\'t unset it');
                }
        }
        return out;
}

/* In dev mode, a process procfile.js does not define starts no instance; an unset scale is 1, an
 * unset order 0, unset args none. */
function devDefault(setting) {
        if (/^processes\.[^.]+$/.test(setting))
                return { scale: 0 };
        if (/^processes\.[^.]+\.scale$/.test(setting))
                return 1;
        if (/^processes\.[^.]+\.order$/.test(setting))
                return 0;
        if (/^processes\.[^.]+\.args$/.test(setting))
                return [];
        return undefined;
}

function devOverlay(prod, dev) {
        const o = overlay(dev.top, prod.top, '', prod.notes, devDefault);

        delete o.app;
        for (const [at, list] of Object.entries(dev.notes))
                for (const n of list)
                        if (!(prod.notes[at] || []).includes(n))
                                addNote(prod.notes, at ? `dev.${at}` : 'dev', n);
        if ('cluster' in o || ('cluster' in prod.top && !('cluster' in dev.top)))
                throw new ConversionError('pandora.cluster() differs in dev mode: write the clusters as ' +
                                          'services in procfile.js, or drop the pandora.dev branch around them');
        return o;
}

/* ---- settings tree → libconfig text -------------------------------------------------------- */

function quote(s) {
        return '"' + String(s).replace(/[\\"\u0000-\u001f]/g, (c) => {
                const named = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f' };
                return named[c] || '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
        }) + '"';
}

function scalar(v) {
        if (typeof v === 'string')
                return quote(v);
        if (typeof v === 'boolean')
                return String(v);
        if (typeof v === 'number' && Number.isInteger(v))
                return Math.abs(v) > 2147483647 ? `${v}L` : String(v);
        if (typeof v === 'number' && Number.isFinite(v)) {
                const s = String(v);
                return /[.e]/.test(s) ? s : `${s}.0`;
        }
        return undefined;
}

/* An array holds scalars of one type; anything else is written as a list. */
function arrayText(a) {
        const kinds = new Set(a.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') :
                                            typeof v)));

        if (kinds.size > 1 || a.some((v) => isGroup(v) || Array.isArray(v) || scalar(v) === undefined))
                return null;
        return a.length ? `[ ${a.map(scalar).join(', ')} ]` : '[ ]';
}

function writable(v) {
        return isGroup(v) || Array.isArray(v) || scalar(v) !== undefined;
}

/* One note as comment lines of at most about 100 columns, continued with "#   ". */
function comment(lines, pad, text) {
        const first = `${pad}# ${PREFIX}`, next = `${pad}#   `;
        let line = first;

        for (const word of text.split(' ')) {
                const fresh = line === first || line === next;

                if (!fresh && line.length + 1 + word.length > 100) {
                        lines.push(line);
                        line = next;
                }
                line += line === first || line === next ? word : ' ' + word;
        }
        lines.push(line);
}

function takeNotes(lines, notes, at, pad) {
        for (const n of notes[at] || [])
                comment(lines, pad, n);
        delete notes[at];
}

function writeSettings(lines, obj, depth, notes, at) {
        const pad = '    '.repeat(depth);

        for (const [k, v] of Object.entries(obj)) {
                const here = at ? `${at}.${k}` : k;

                /* An empty group says nothing: an untouched built-in, an empty env. */
                if (isGroup(v) && !Object.keys(v).length && !notes[here])
                        continue;
                takeNotes(lines, notes, here, pad);
                if (!/^[A-Za-z*][-A-Za-z0-9_*]*$/.test(k))
                        comment(lines, pad, `${here}: '${k}' is not a libconfig setting name; left out`);
                else if (!writable(v))
                        comment(lines, pad, `${here}: ${show(v)} has no libconfig form; left out`);
                else
                        writeValue(lines, `${pad}${k} = `, v, depth, notes, here, ';');
        }
}

function writeValue(lines, head, v, depth, notes, at, end) {
        const pad = '    '.repeat(depth);

        if (isGroup(v) && !Object.keys(v).length) {
                lines.push(`${head}{ }${end}`);
                return;
        }
        if (isGroup(v)) {
                lines.push(`${head}{`);
                writeSettings(lines, v, depth + 1, notes, at);
                lines.push(`${pad}}${end}`);
                return;
        }
        if (!Array.isArray(v)) {
                lines.push(`${head}${scalar(v)}${end}`);
                return;
        }
        const items = v.filter(writable);
        if (items.length < v.length)
                comment(lines, pad, `${at}: ${v.filter((e) => !writable(e)).map(show).join(', ')} has no ` +
                        'libconfig form; left out');
        const text = arrayText(items);
        if (text !== null) {
                lines.push(`${head}${text}${end}`);
                return;
        }
        lines.push(`${head}(`);
        items.forEach((e, i) => writeValue(lines, '    '.repeat(depth + 1), e, depth + 1, notes, at,
                                           i + 1 < items.length ? ',' : ''));
        lines.push(`${pad})${end}`);
}

function render(result, devTop) {
        const { top, notes } = result;
        const body = [];
        const header = [`# Converted from ${path.basename(ctx.procfilePath)} (Pandora.js) by pandora-gen --import.`,
                        `# Lines starting with "# ${PREFIX.trim()}" name what was not carried over.`];

        for (const [k, v] of Object.entries(top)) {
                if (isGroup(v) && !Object.keys(v).some((n) => !isGroup(v[n]) || Object.keys(v[n]).length))
                        continue;
                body.push('');
                writeSettings(body, { [k]: v }, 0, notes, '');
        }
        if (devTop) {
                body.push('', '# What procfile.js does differently when pandora.dev is true (pandora-gen --dev).');
                writeSettings(body, { dev: devTop }, 0, notes, '');
        }
        /* Notes about the whole file, and about what the output has no place for. */
        for (const [at, list] of Object.entries(notes))
                for (const n of list)
                        comment(header, '', `${at ? at + ': ' : ''}${n}`);
        return [...header, ...body].join('\n') + '\n';
}

/* Returns the procfile text for the model of procfile.js's run with pandora.dev false, and that of its
 * run with pandora.dev true (or undefined when it never read pandora.dev). context: { procfilePath,
 * appDir, app: { name, fromPackage } }. Throws a ConversionError for what can't be written. */
function convert(prod, dev, context) {
        ctx = context;
        const result = settings(prod);
        let devTop;

        if (dev) {
                devTop = devOverlay(result, settings(dev));
                if (!Object.keys(devTop).length)
                        devTop = undefined;
        }
        return render(result, devTop);
}

module.exports = { ConversionError, convert, findLive, isGroup, show };
