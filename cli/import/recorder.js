'use strict';
/* pandora-gen --import's recorder: runs a Pandora.js procfile.js against an object that implements
 * Pandora.js's procfile API (ProcfileReconcilerAccessor and the process and service chain modifiers of
 * packages/pandora/src/application/) but only records the calls, then prints the equivalent pandora
 * procfile (pandora.procfile(5)). What has no counterpart is named in a '#' comment where it was.
 *
 *   node recorder.js /abs/path/procfile.js [FD]
 *
 * Exit 0: the procfile text on FD (default 1). Exit 1: one line "FILE[:LINE]: message" on FD. The
 * procfile's own output (console.log at its top level, say) goes to stderr, never into the result.
 * pandora-gen (cli/import.c) runs it and loads the result before printing it; convert.js, beside it,
 * writes the procfile. */

const fs = require('fs');
const path = require('path');

const procfilePath = path.resolve(process.argv[2] || '');
const outFd = process.argv[3] ? Number(process.argv[3]) : 1;
const appDir = path.dirname(procfilePath);
const { ConversionError, convert, findLive, isGroup, show } = require('./convert.js');

/* ---- the model: what the calls recorded ---------------------------------------------------- */

function newModel(dev) {
        return {
                dev, devRead: false, notes: [], processes: [], services: [], clusterCount: 0,
                defaultCategory: 'worker',
        };
}

/* Pandora.js's defineProcess(): env {}, no args, scale 1; `set` remembers what procfile.js gave. */
function defineProcess(m, name, builtin) {
        const p = { name, builtin, scale: 1, env: {}, args: [], nodeArgs: [], order: undefined,
                    entry: undefined, set: new Set(), notes: [], dropped: false };
        m.processes.push(p);
        return p;
}

function defineService(m, name, entry, builtin) {
        const s = { name, builtin, entry, category: m.defaultCategory, config: undefined, configFn: false,
                    dependencies: [], cluster: undefined, set: new Set(), notes: [], dropped: false };
        m.services.push(s);
        return s;
}

/* Pandora.js's own default procfile (packages/pandora/src/default.ts), run before the app's. */
function addBuiltins(m) {
        const builtin = (name, scale, env) => Object.assign(defineProcess(m, name, true), { scale, env });

        builtin('agent', 1, { agent: 'true' });
        builtin('worker', m.dev ? 1 : 'auto', { worker: 'true' });
        builtin('background', 1, { background: 'true' });
        defineService(m, 'logger', undefined, true).category = 'weak-all';
}

/* Calls the API does not have are recorded, and the chain goes on as if they had worked. */
function recording(target, notes, what) {
        const proxy = new Proxy(target, {
                get(t, prop) {
                        if (prop in t || typeof prop === 'symbol' || prop === 'then')
                                return t[prop];
                        return (...args) => {
                                notes.push(`${what}.${prop}(${args.map(show).join(', ')}) is not part of ` +
                                           `Pandora.js's procfile API; ignored`);
                                return proxy;
                        };
                },
        });
        return proxy;
}

/* A Pandora.js setter with no (or a falsy) argument is its getter, as in the chain modifiers. */
function processChain(m, p) {
        let chain;
        const setter = (field, f) => (v) => {
                if (!v)
                        return p[field];
                p[field] = f ? f(v) : v;
                p.set.add(field);
                return chain;
        };
        const api = {
                name: (v) => {
                        if (!v)
                                return p.name;
                        p.name = String(v);
                        return chain;
                },
                entry: setter('entry', String),
                scale: setter('scale'),
                env: setter('env', (v) => {
                        if (isGroup(v))
                                return v;
                        p.notes.push(`.env(${show(v)}) is not an object of variables; ignored`);
                        return p.env;
                }),
                args: setter('args'),
                nodeArgs: setter('nodeArgs'),
                argv: (v) => api.nodeArgs(v),   /* deprecated alias of nodeArgs() */
                order: setter('order'),
                drop: () => {
                        p.dropped = true;
                },
        };
        chain = recording(api, p.notes, `process('${p.name}')`);
        return chain;
}

function serviceChain(m, s) {
        let chain;
        const api = {
                name: (v) => {
                        if (!v)
                                return s.name;
                        s.name = String(v);
                        s.set.add('name');
                        return chain;
                },
                process: (v) => {
                        if (!v)
                                return s.category;
                        s.category = String(v);
                        s.set.add('process');
                        return chain;
                },
                config: (v) => {
                        if (!v)
                                return s.config;
                        s.set.add('config');
                        if (typeof v === 'function')
                                s.configFn = true;
                        else
                                s.config = v;
                        return chain;
                },
                dependency: (v) => {
                        if (!v)
                                return s.dependencies;
                        s.dependencies.push(...(Array.isArray(v) ? v : [v]).map(String));
                        s.set.add('dependencies');
                        return chain;
                },
                publish: (enable = true) => {
                        s.set.add('publish');
                        if (enable)
                                s.notes.push('.publish(): Pandora.js\'s IPC-Hub has no counterpart in pandora; ' +
                                             'other processes can\'t call this service');
                        return chain;
                },
                drop: () => {
                        s.dropped = true;
                },
        };
        chain = recording(api, s.notes, `service('${s.name}')`);
        return chain;
}

function appName() {
        try {
                const pkg = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8'));
                if (typeof pkg.name === 'string' && pkg.name)
                        return { name: pkg.name.replace(/^@[^/]*\//, ''), fromPackage: true };
        } catch (e) {
                /* no package.json, or no name in it: the directory's name, as Pandora.js's calcAppName() */
        }
        return { name: path.basename(appDir), fromPackage: false };
}

/* The `pandora` object handed to procfile.js (ProcfileReconcilerAccessor). */
function accessor(m) {
        const api = {
                get dev() {
                        m.devRead = true;
                        return m.dev;
                },
                get appName() {
                        return appName().name;
                },
                get appDir() {
                        m.notes.push(`pandora.appDir was read as '${appDir}': what procfile.js made of it is ` +
                                     'written out as it was then');
                        return appDir;
                },
                defaultServiceCategory(name) {
                        if (!name)
                                return m.defaultCategory;
                        m.defaultCategory = String(name);
                },
                environment(entry) {
                        if (!entry)
                                return class Environment {};
                        m.notes.push(`pandora.environment(${show(entry)}): Pandora.js environment classes have ` +
                                     'no counterpart in pandora; not carried over');
                },
                process(name) {
                        return processChain(m, findLive(m.processes, name) || defineProcess(m, String(name), false));
                },
                fork(name, entry) {
                        const saved = findLive(m.processes, name);
                        const p = saved || defineProcess(m, String(name), false);

                        /* As Pandora.js: fork() of a defined process is process(), the entry unused. */
                        if (saved && entry)
                                p.notes.push(`fork('${name}', ${show(entry)}): '${name}' was already defined, ` +
                                             'and Pandora.js ignores the entry then');
                        if (!saved && entry) {
                                p.entry = String(entry);
                                p.set.add('entry');
                        }
                        return processChain(m, p);
                },
                service(name, entry) {
                        const s = findLive(m.services, name);

                        if (s && entry)
                                throw new Error(`Service already exist! Use pandora.service('${name}').entry(` +
                                                '\'a new place\') to change the entry.');
                        return serviceChain(m, s || defineService(m, String(name), entry, false));
                },
                cluster(entry) {
                        const s = defineService(m, 'cluster' + m.clusterCount++, undefined, false);

                        s.cluster = String(entry);
                        return serviceChain(m, s);
                },
        };
        return recording(api, m.notes, 'pandora');
}

/* ---- running procfile.js ------------------------------------------------------------------- */

function record(entryFn, dev) {
        const m = newModel(dev);

        addBuiltins(m);
        entryFn(accessor(m));
        return m;
}

function location(err) {
        const stack = String((err && err.stack) || '');
        const escaped = procfilePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const found = new RegExp(escaped + ':(\\d+)').exec(stack);

        return found ? `:${found[1]}` : '';
}

function writeAll(text) {
        const buffer = Buffer.from(text);

        for (let done = 0; done < buffer.length; )
                done += fs.writeSync(outFd, buffer, done);
}

function main() {
        /* procfile.js may print at will: into stderr, so that only the result reaches outFd. */
        const toStderr = process.stderr.write.bind(process.stderr);
        process.stdout.write = toStderr;

        let text;
        try {
                const mod = require(procfilePath);
                const entryFn = typeof mod === 'function' ? mod : mod && mod.default;
                if (typeof entryFn !== 'function')
                        throw new ConversionError('The procfile should export a function (module.exports = ' +
                                                  'function (pandora) { ... })');
                const prod = record(entryFn, false);
                /* What pandora.dev changes becomes the dev overlay: a second run, with it true. */
                const dev = prod.devRead ? record(entryFn, true) : undefined;
                text = convert(prod, dev, { procfilePath, appDir, app: appName() });
        } catch (err) {
                const converting = err instanceof ConversionError;
                const message = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${show(err)}`;

                writeAll(`${procfilePath}${converting ? '' : location(err)}: ` +
                         `${converting ? err.message : 'Node.js: ' + message.split('\n')[0]}\n`);
                process.exit(1);
        }
        writeAll(text);
        process.exit(0);
}

main();
