'use strict'
// Specs make an emitter and hand it to both cluster and client; facade clients own their emitter (reached through
// `client.on`), so this one is only a placeholder that is never emitted on.
module.exports = class PlaceholderInstrumentationEmitter {
  addListener() {
    return () => {}
  }

  emit() {}
}
