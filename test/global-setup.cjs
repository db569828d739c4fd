// Placeholder until the broker harness lands: nothing to start.
module.exports = async () => {}
