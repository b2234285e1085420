/*! Beacon tracker | docs/protocol.md §7 */
// Plain modern JavaScript, no dependencies. Built (minified) by tracker/build.mjs into
// Collector/Tracker/beacon.js, which the collector serves at /beacon.js.
((w, d) => {
  'use strict';
  const VERSION = '1.0.0';
  const SDK = 'js/' + VERSION;
  const NAME = w.BeaconObject || 'beacon'; // the global the snippet defined
  const MAX_URL = 2000; // longer pixel URLs are sent as a POST body
  const RETRIES = 3; // a failed send is tried again this many times, with backoff
  const SESSION_IDLE = 30 * 60e3;
  // The default route table (Router/Routing/RouteTableOptions.cs), for rules scoped by route.
  const ROUTES = { pv: 'pageview', click: 'pageview', leave: 'pageview', exp: 'exposure', imp: 'exposure',
    perf: 'perf', err: 'perf', tech: 'perf', order: 'order', pay: 'order', refund: 'order' };

  const store = (kind) => {
    try {
      const s = w[kind];
      s.setItem('_bk', '1');
      s.removeItem('_bk');
      return s;
    } catch {
      return null; // blocked (privacy mode, sandboxed iframe): the tracker still works, without memory
    }
  };
  const local = store('localStorage');
  const tab = store('sessionStorage');
  const load = (s, k) => {
    try {
      return JSON.parse(s.getItem(k));
    } catch {
      return null;
    }
  };
  const save = (s, k, v) => {
    try {
      s.setItem(k, JSON.stringify(v));
    } catch { /* full or blocked: nothing to do */ }
  };
  const hex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => (b + 256).toString(16).slice(1)).join('');
  const now = () => Math.floor(Date.now()); // t and st are integers: guard against patched clocks
  const enc = encodeURIComponent;

  let cfg; // the init options
  let base; // the collector's origin (and path prefix)
  let vid; // first-party visitor id: used when the collector's cookie is blocked, and to seed it
  let conf = { version: 0, rules: [] }; // the last /v1/config answer
  let fetching;
  let ready; // false until the config is known, so the first page view obeys it
  let waiting = [];
  const early = []; // commands given before init
  let page; // the current page view
  let exposures; // IntersectionObserver
  const timers = new Map(); // element → its 1 s exposure timer
  let expTimer;

  // ---- Transport -------------------------------------------------------------------------------

  const bridge = () => {
    const android = w.BeaconBridge;
    const ios = w.webkit && w.webkit.messageHandlers && w.webkit.messageHandlers.beacon;
    return android && android.postMessage ? (p) => android.postMessage(JSON.stringify(p)) : ios ? (p) => ios.postMessage(p) : null;
  };

  const encode = (p) => Object.keys(p).filter((k) => p[k] != null && p[k] !== '').map((k) => enc(k) + '=' + enc(p[k])).join('&');

  const retry = (p, attempt) => {
    if (attempt < RETRIES) {
      setTimeout(() => transmit(p, false, attempt + 1), Math.round(1000 * 2 ** attempt * (1 + Math.random())));
    }
  };

  const learn = (r) => {
    if (+r.headers.get('X-Beacon-Config-Version') > conf.version) {
      refresh();
    }
  };

  function transmit(p, leaving, attempt = 0) {
    p.st = now();
    const body = encode(p);
    if (!leaving && base.length + body.length + 7 <= MAX_URL) {
      const img = new Image();
      img.referrerPolicy = 'no-referrer'; // an empty r must not fall back to the page's own URL
      img.onerror = () => retry(p, attempt);
      img.src = base + '/b.gif?' + body;
    } else if (!(leaving && navigator.sendBeacon && navigator.sendBeacon(base + '/b', body))) {
      fetch(base + '/b', { method: 'POST', body, credentials: 'include', keepalive: leaving && body.length < 6e4, referrerPolicy: 'no-referrer' })
        .then((r) => {
          learn(r);
          if (r.status >= 500 || r.status === 429) {
            retry(p, attempt);
          }
        }, () => retry(p, attempt));
    }
  }

  // ---- Config obedience (the contract in docs/protocol.md §7.6) ----------------------------------

  const deviceId = () => conf.visitor_id || vid;

  const version = (v) => (v || '').split('.').map(Number);
  const older = (a, b) => {
    const x = version(a);
    const y = version(b);
    for (let i = 0; i < 3; i++) {
      if ((x[i] || 0) !== (y[i] || 0)) {
        return (x[i] || 0) < (y[i] || 0);
      }
    }
    return false;
  };
  const among = (list, v) => !list || list.includes(v);

  // The first active rule whose scope matches the event decides its fate.
  const rule = (p) => {
    const t = now();
    for (const r of conf.rules || []) {
      const s = r.scope || {};
      const sdk = s.sdk;
      if ((!r.start || Date.parse(r.start) <= t) && (!r.end || t < Date.parse(r.end))
        && among(s.app, p.a) && among(s.platform, p.p) && among(s.event, p.e) && among(s.route, ROUTES[p.e] || 'default')
        && (!sdk || ((!sdk.name || sdk.name === 'js') && !(sdk.min && older(VERSION, sdk.min)) && !(sdk.max && !older(VERSION, sdk.max))))) {
        return r;
      }
    }
    return null;
  };

  // fnv1a32 of "ruleId:deviceId", the murmur3 finaliser, then keep iff below rate × 2³² (same as the server).
  const sampledIn = (r) => {
    let h = 0x811c9dc5;
    for (const b of new TextEncoder().encode(r.id + ':' + deviceId())) {
      h = Math.imul(h ^ b, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) < r.rate * 4294967296;
  };

  const holdKey = () => '_bk_hold:' + cfg.app;
  const held = () => (load(local, holdKey()) || []).filter((x) => now() - x[0] < (cfg.holdMaxAge || 864e5));

  // Sends, holds or skips one event as the rules say. An event held again keeps the time it was
  // first held at (heldAt), so holdMaxAge bounds how long it waits in all, not since the last look.
  function obey(p, leaving, heldAt) {
    const r = rule(p);
    const action = r && r.action;
    if (action === 'hold') {
      const list = held();
      list.push([heldAt || now(), p]);
      save(local, holdKey(), list.slice(-(cfg.holdMax || 500)));
      schedule();
    } else if (action !== 'drop' && (action !== 'sample' || sampledIn(r))) {
      transmit(p, leaving);
    }
  }

  // Events kept back by a hold rule go out once no hold rule matches them any more.
  function release() {
    const list = held();
    if (list.length) {
      save(local, holdKey(), []);
      list.forEach((x) => obey(x[1], false, x[0]));
    }
  }

  const stale = () => now() - (conf.at || 0) > (conf.max_age || 300) * 1e3;

  // While events are held, look for the rule to be lifted even if the page sends nothing else.
  function schedule() {
    clearTimeout(schedule.t);
    schedule.t = setTimeout(refresh, Math.max(conf.max_age || 30, 5) * 1e3);
  }

  // Revalidated (If-None-Match → 304) rather than read from the HTTP cache: when the tracker asks, it
  // already knows its copy is stale, and a cached answer could keep a lifted hold in force.
  function refresh() {
    if (fetching) {
      return;
    }
    fetching = 1;
    fetch(base + '/v1/config?app=' + enc(cfg.app) + '&platform=' + enc(cfg.platform || 'web') + '&sdk=' + enc(SDK) + '&vid=' + vid, { credentials: 'include', cache: 'no-cache' })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)
      .then((c) => {
        fetching = 0;
        // A failed fetch keeps the rules held so far (a hold must not end because the network did).
        conf = c && c.rules ? c : conf;
        conf.at = now();
        save(local, '_bk_cfg:' + cfg.app, conf);
        go();
        release();
        if (held().length) {
          schedule();
        }
      });
  }

  function go() {
    ready = 1;
    const list = waiting;
    waiting = [];
    list.forEach((x) => obey(x[0], x[1]));
  }

  function dispatch(p, leaving) {
    const native = bridge();
    if (native) {
      native(p); // hybrid app: the app's SDK uploads, with its own device id and rules
    } else if (!ready && !leaving) {
      waiting.push([p, leaving]);
    } else {
      if (stale()) {
        refresh();
      }
      obey(p, leaving);
    }
  }

  // ---- Events -----------------------------------------------------------------------------------

  const session = () => {
    const s = load(local, '_bk_s') || {};
    if (!s.id || now() - s.last > SESSION_IDLE) {
      s.id = hex(8);
    }
    s.last = now();
    save(local, '_bk_s', s);
    return s.id;
  };

  function send(e, props, leaving) {
    const p = { e, a: cfg.app, p: cfg.platform || 'web', u: page ? page.url : location.href, t: now(), sid: session(),
      eid: hex(12), uid: cfg.uid, vid, sdk: SDK, pvid: page && page.id };
    dispatch(Object.assign(p, props), leaving);
  }

  // SPM: the data-spm values from the root down, site.page.block.position; a block's elements
  // without their own position are numbered in document order.
  function spm(el, attr) {
    const parts = [];
    for (let n = el; n && n.getAttribute; n = n.parentElement) {
      const v = n.getAttribute('data-spm');
      if (v) {
        parts.unshift(v);
      }
    }
    if (attr && parts.length === 3 && !el.hasAttribute('data-spm')) {
      const block = el.parentElement.closest('[data-spm]');
      parts.push([...block.querySelectorAll('[' + attr + ']')].indexOf(el) + 1);
    }
    return parts.join('.');
  }

  // data-beacon-prop-color="red" → color=red
  const props = (el) => {
    const out = {};
    for (const k in el.dataset) {
      if (k.startsWith('beaconProp') && k.length > 10) {
        out[k[10].toLowerCase() + k.slice(11)] = el.dataset[k];
      }
    }
    return out;
  };

  function flushExposures(leaving) {
    clearTimeout(expTimer);
    expTimer = 0;
    if (page && page.pending.length) {
      send('exp', { n: page.pending.length, ex: JSON.stringify(page.pending) }, leaving);
      page.pending = [];
    }
  }

  function exposed(el) {
    const id = el.getAttribute('data-beacon-exp');
    const where = spm(el, 'data-beacon-exp');
    const key = id + '@' + where;
    if (page && !page.seen.has(key)) {
      page.seen.add(key);
      page.pending.push([id, where]);
      clearTimeout(expTimer);
      expTimer = page.pending.length >= (cfg.expMax || 50) ? flushExposures() : setTimeout(flushExposures, cfg.expDelay || 3000);
    }
  }

  // Elements at least half visible for a second count once per page view.
  function watch(root) {
    if (!w.IntersectionObserver) {
      return;
    }
    exposures = exposures || new IntersectionObserver((entries) => entries.forEach((en) => {
      const el = en.target;
      if (en.intersectionRatio >= 0.5 && d.visibilityState === 'visible') {
        if (!timers.has(el)) {
          timers.set(el, setTimeout(() => {
            timers.delete(el);
            exposed(el);
          }, 1000));
        }
      } else {
        clearTimeout(timers.get(el));
        timers.delete(el);
      }
    }), { threshold: [0, 0.5] });
    const list = root.matches && root.matches('[data-beacon-exp]') ? [root] : root.querySelectorAll('[data-beacon-exp]');
    list.forEach((el) => {
      exposures.unobserve(el); // observing again reports the element's current visibility afresh
      exposures.observe(el);
    });
  }

  function navType() {
    const entry = performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    return (entry && entry.type) || 'navigate';
  }

  function leave() {
    if (page && !page.left) {
      page.dwell += now() - page.since;
      page.left = 1;
      flushExposures(true);
      send('leave', { dwell: page.dwell }, true);
    }
  }

  function routeOf(url) {
    const i = url.indexOf('#');
    return i < 0 || /^#[!/]/.test(url.slice(i)) ? url : url.slice(0, i);
  }

  function pageview(nav) {
    const url = location.href;
    const history = load(tab, '_bk_h') || {}; // url → how the visitor first came to it, in this tab
    const last = load(tab, '_bk_p'); // the page before this one, in this tab
    const click = load(tab, '_bk_c'); // the last declared click on it
    let from;
    if (page) {
      leave(); // an SPA navigation ends the previous page view
      from = { r: page.url, rr: page.r, src: page.spmTo || page.spm, ssrc: page.src };
    } else {
      const r = d.referrer;
      from = { r };
      if (last && last.u === r) {
        from = { r, rr: last.r, src: click && click.u === r ? click.spm : last.spm, ssrc: last.src };
      }
    }
    // Back/forward keeps the page's original source: a return to a list page is not the detail page's doing.
    if (nav === 'back_forward' && history[url]) {
      from = history[url];
    } else {
      history[url] = from;
      const urls = Object.keys(history);
      if (urls.length > 20) {
        delete history[urls[0]];
      }
      save(tab, '_bk_h', history);
    }
    page = { id: hex(8), url, r: from.r, src: from.src, spm: spm(d.body), dwell: 0, since: now(), seen: new Set(), pending: [] };
    save(tab, '_bk_p', { u: url, r: from.r, src: from.src, spm: page.spm });
    tab && tab.removeItem('_bk_c');
    send('pv', { r: from.r, rr: from.rr, nav, src: from.src, ssrc: from.ssrc, spm: page.spm });
    watch(d);
  }

  // ---- Commands -----------------------------------------------------------------------------------

  function onClick(ev) {
    const el = ev.target.closest && ev.target.closest('[data-beacon-click]');
    if (el && page) {
      const where = spm(el, 'data-beacon-click');
      page.spmTo = where; // an SPA navigation it causes is credited to it
      save(tab, '_bk_c', { u: page.url, spm: where });
      // A link may unload the page before a pixel gets out: send those with sendBeacon.
      send('click', Object.assign({ el: el.getAttribute('data-beacon-click'), spm: where }, props(el)), !!el.closest('a[href]'));
    }
  }

  function init(o) {
    if (cfg || !o || !o.endpoint || !o.app) {
      return;
    }
    cfg = o;
    base = o.endpoint.replace(/\/+$/, '');
    vid = local && local.getItem('_bk_v');
    if (!/^[0-9a-f]{32}$/.test(vid)) {
      vid = hex(16);
      local && local.setItem('_bk_v', vid);
    }
    conf = load(local, '_bk_cfg:' + o.app) || conf;
    if (bridge() || !stale()) {
      go();
    } else {
      refresh();
      setTimeout(go, o.configTimeout || 2000); // a slow config must not lose the page view
    }

    const push = history.pushState;
    history.pushState = function (...args) {
      const result = push.apply(this, args);
      if (page && location.href !== page.url) {
        pageview('spa');
      }
      return result;
    };
    // An in-page anchor (#reviews) is not a page view; a hash route (#/cart, #!/cart) is.
    w.addEventListener('popstate', () => page && routeOf(location.href) !== routeOf(page.url) && pageview('back_forward'));
    w.addEventListener('pageshow', (ev) => ev.persisted && pageview('back_forward')); // restored from the bfcache
    w.addEventListener('pagehide', leave);
    d.addEventListener('visibilitychange', () => {
      if (d.visibilityState === 'hidden') {
        leave();
        timers.forEach(clearTimeout);
        timers.clear();
      } else if (page && page.left) {
        page.left = 0;
        page.since = now();
        watch(d);
      }
    });
    d.addEventListener('click', onClick, true);
    if (w.MutationObserver) {
      new MutationObserver((list) => list.forEach((m) => m.addedNodes.forEach((n) => n.nodeType === 1 && page && watch(n))))
        .observe(d.documentElement, { childList: true, subtree: true });
    }
    if (o.pageview !== false) {
      pageview(navType());
    }
    early.splice(0).forEach((args) => api(...args));
  }

  const commands = {
    init,
    track: (e, p) => e && send(e, p),
    pageview: () => pageview('navigate'),
    user: (uid) => {
      cfg.uid = uid;
    },
  };

  function api(cmd, ...args) {
    if (!cfg && cmd !== 'init') {
      early.push([cmd, ...args]);
    } else if (commands[cmd]) {
      commands[cmd](...args);
    }
  }

  const queued = (w[NAME] && w[NAME].q) || [];
  w[NAME] = api;
  api.version = VERSION;
  // init first, whatever order the page queued commands in
  queued.filter((a) => a[0] === 'init').concat(queued.filter((a) => a[0] !== 'init')).forEach((a) => api(...a));
})(window, document);
