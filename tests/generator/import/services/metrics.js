// A Pandora.js service class with static dependencies, which --import carries over.
class MetricsService {
  async start() {}
  async stop() {}
}
MetricsService.dependencies = ['tracing'];
module.exports = MetricsService;
