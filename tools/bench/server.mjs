// Reference server for the benchmark (tools/bench.sh): the Node.js
// socket.io server doing what build/sio-echo does, so both can be measured
// with the same load generator (build/sio_loadgen).
//
//   node server.mjs [--port N] [--host ADDR] [--path P]
//                   [--ping-interval MS] [--ping-timeout MS] [--eio]
//                   [--chat] [--redis URL]
//
// Socket.IO mode (default), namespaces "/" and "/custom":
//   on connection       emit "auth" with the handshake's auth object
//   "message"           answered with "message-back" and the same arguments
//   "message-with-ack"  acknowledged with the same arguments
//   "broadcast"         "broadcast-back" with the same arguments to every
//                       socket of the namespace
// --eio: a raw Engine.IO echo server (like build/eio-echo) on /engine.io/.
// --chat: sio-server's room chat on "/" instead (chat.mjs).
// --redis URL: joined to other servers through @socket.io/redis-adapter
// (redis.mjs), as build/sio-server --redis URL is.
// maxHttpBufferSize and every other option keep the library's defaults.
import http from 'node:http';
import { Server } from 'socket.io';
import { Server as EngineServer } from 'engine.io';
import { installChat } from './chat.mjs';
import { joinRedis } from './redis.mjs';

function parseArgs(argv) {
  const opts = {
    port: 3000, host: undefined, path: undefined, pingInterval: 25000, pingTimeout: 20000, eio: false, chat: false,
    redis: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    const num = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`bad value for ${a}: ${v}`);
      return n;
    };
    switch (a) {
      case '--port': opts.port = num(next()); break;
      case '--host': opts.host = next(); break;
      case '--path': opts.path = next(); break;
      case '--ping-interval': opts.pingInterval = num(next()); break;
      case '--ping-timeout': opts.pingTimeout = num(next()); break;
      case '--eio': opts.eio = true; break;
      case '--chat': opts.chat = true; break;
      case '--redis': opts.redis = next(); break;
      case '-h':
      case '--help':
        console.log('usage: node server.mjs [--port N] [--host ADDR] [--path P] [--ping-interval MS] [--ping-timeout MS]\n' +
          '                      [--eio] [--chat] [--redis URL]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (opts.eio && (opts.chat || opts.redis)) throw new Error('--eio goes with neither --chat nor --redis');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`server.mjs: ${e.message}`);
  process.exit(2);
}

const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});

if (opts.eio) {
  const engine = new EngineServer({
    pingInterval: opts.pingInterval,
    pingTimeout: opts.pingTimeout,
  });
  engine.attach(httpServer, { path: opts.path ?? '/engine.io/' });
  engine.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(data));
  });
} else {
  const io = new Server(httpServer, {
    path: opts.path ?? '/socket.io/',
    pingInterval: opts.pingInterval,
    pingTimeout: opts.pingTimeout,
    serveClient: false,
  });
  if (opts.redis) await joinRedis(io, opts.redis);
  if (opts.chat) installChat(io);
  for (const name of opts.chat ? [] : ['/', '/custom']) {
    const nsp = io.of(name);
    nsp.on('connection', (socket) => {
      socket.emit('auth', socket.handshake.auth);
      socket.on('message', (...args) => socket.emit('message-back', ...args));
      socket.on('message-with-ack', (...args) => {
        if (typeof args[args.length - 1] !== 'function') return;
        const ack = args.pop();
        ack(...args);
      });
      socket.on('broadcast', (...args) => nsp.emit('broadcast-back', ...args));
    });
  }
}

httpServer.listen(opts.port, opts.host, () => {
  const mode = [opts.eio ? 'engine.io echo' : opts.chat ? 'socket.io chat' : 'socket.io echo',
    ...(opts.redis ? [`redis ${opts.redis}`] : [])].join(', ');
  console.error(`server.mjs (${mode}) listening on port ${httpServer.address().port}`);
});

const stop = () => {
  httpServer.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
