// Preloaded into processes under test: any TCP connection to anything but 127.0.0.1 throws, so a test shows
// that nothing it runs leaves the machine (the fakes listen on 127.0.0.1 only).
const net = require("node:net");
const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect() passes its normalized arguments as one array: [options, callback]
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const opts = typeof first === "object" && first !== null ? first : { port: first, host: typeof args[1] === "string" ? args[1] : undefined };
  const host = opts.host ?? "localhost";
  if (opts.path === undefined && host !== "127.0.0.1") {
    throw new Error(`no-egress: a connection to ${host}:${opts.port} was attempted; tests may only reach 127.0.0.1`);
  }
  return original.apply(this, args);
};
