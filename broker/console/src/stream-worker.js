// One live stream for every console tab of a browser. Browsers open at most about six HTTP/1.1
// connections to one host, so a stream per tab would leave the seventh tab none for the admin
// API: its views would wait forever. This SharedWorker holds the single EventSource on
// /_wyvern/api/stream and hands each snapshot to every tab (api.js's Live talks to it).
//
// Messages to a tab: { status } and { status, snapshot } (the snapshot as the stream's text).
// Messages from a tab: "close" when it is hidden away (pagehide), "open" when it comes back.

const tabs = new Set();
let source = null;
let status = "connecting";
let latest = null;
let retry = null;

function broadcast(message) {
  for (const port of tabs) port.postMessage(message);
}

function setStatus(next) {
  status = next;
  broadcast({ status });
}

function connect() {
  source = new EventSource(new URL("../api/stream", self.location));
  source.addEventListener("open", () => setStatus("live"));
  source.addEventListener("snapshot", (e) => {
    latest = e.data;
    status = "live";
    broadcast({ status, snapshot: latest });
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      // The broker answered with an error or went away for good: try again after a pause.
      setStatus("offline");
      clearTimeout(retry);
      retry = setTimeout(connect, 2000);
    } else {
      setStatus("reconnecting");
    }
  });
}

self.addEventListener("connect", (event) => {
  const port = event.ports[0];
  const welcome = () => port.postMessage(latest ? { status, snapshot: latest } : { status });
  port.addEventListener("message", (e) => {
    if (e.data === "close") {
      tabs.delete(port);
    } else if (e.data === "open") {
      tabs.add(port);
      welcome();
    }
  });
  port.start();
  tabs.add(port);
  if (!source) connect();
  welcome();
});
