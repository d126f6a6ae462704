// A Pandora.js service class, as the procfile.js of this case names it; --import only reads it.
module.exports = class DbService {
  constructor(context) {
    this.config = context.config;
  }
  async start() {}
  async stop() {}
};
