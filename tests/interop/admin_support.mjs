// The admin UI's side of a connection, for the admin tests: a socket.io
// client 4.x connected to the admin namespace as @socket.io/admin-ui 0.5's
// UI connects, io(url + "/admin", {auth}), that keeps every event it
// receives.
//
//   const a = adminClient(server.url, { username, password });
//   const [sockets] = await a.next('all_sockets');
import { io } from 'socket.io-client';

/**
 * Every event the connection receives is kept (in order) in socket.events,
 * and socket.next(name, pred, ms) resolves with the arguments of the first
 * one not yet taken that matches (rejects after ms).
 */
export function adminClient(url, auth, opts = {}) {
  const socket = io(`${url}${opts.nsp ?? '/admin'}`, {
    forceNew: true, reconnection: false, withCredentials: true, path: '/socket.io',
    transports: opts.transports ?? ['polling', 'websocket'], auth,
  });
  socket.events = [];
  const waiters = new Set();
  socket.onAny((event, ...args) => {
    socket.events.push({ event, args });
    for (const w of [...waiters]) w();
  });
  socket.next = (event, pred = () => true, ms = 5000) => new Promise((resolve, reject) => {
    const check = () => {
      const i = socket.events.findIndex((e) => e.event === event && pred(...e.args));
      if (i < 0) return false;
      const [e] = socket.events.splice(i, 1);
      clearTimeout(timer);
      waiters.delete(check);
      resolve(e.args);
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'; got: ` +
        socket.events.map((e) => e.event).join(', ')));
    }, ms);
    if (!check()) waiters.add(check);
  });
  return socket;
}
