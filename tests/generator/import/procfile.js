// A Pandora.js procfile as a shop would write it: every part of the procfile API it uses.
'use strict';

class CacheService {
  async start() {}
  async stop() {}
}
CacheService.dependencies = ['db'];

module.exports = function (pandora) {
  // The built-in worker runs the clusters below; Node's GC exposed for them.
  pandora.process('worker').nodeArgs(['--expose-gc']);

  pandora
    .process('web')
    .entry('./server.js')
    .scale(pandora.dev ? 1 : 4)
    .env({ PORT: 8080, NODE_ENV: pandora.dev ? 'development' : 'production', VERBOSE: true })
    .args(['--title', "shop's web"])
    .order(2);

  pandora.fork('scheduler', './bin/scheduler').order(1);

  pandora.process('jobs').entry('./jobs.js').scale('auto').nodeArgs(['--max-old-space-size=512']);

  pandora.cluster('./app.js');
  pandora.cluster('./api.js').dependency('tracing');

  pandora.service('db', './services/db').process('background').config({
    host: 'localhost',
    port: 5432,
    pool: { min: 2, max: 10 },
    replicas: ['db1', 'db2'],
    timeout: 2.5,
  });
  pandora.service('cache', CacheService).process('background').dependency('db').publish();
  pandora.service('tracing', class Tracing {}).process('weak-all');
  pandora.service('metrics', './services/metrics').process('weak-all').config(() => ({ interval: 10 }));

  if (pandora.dev) {
    pandora.process('jobs').scale(1);
    pandora.process('debugger').entry('./tools/inspect.js');
  }

  pandora.environment(class ShopEnvironment {});
  pandora.process('web').retries(3);
};
