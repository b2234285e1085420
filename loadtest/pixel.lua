-- wrk script: realistic, varied tracking-pixel requests, with the counts the harness needs for
-- end-to-end accounting.
--
--   wrk -t1 -c64 -d15s --latency -s loadtest/pixel.lua http://127.0.0.1:PORT -- DURATION_S TAIL_MS TAG
--
-- Requests: GET /b.gif?e=..&a=..&... (and some GET /b/{route}.gif), a mix of event types with
-- their own properties, several apps/platforms, percent-encoded page URLs and referrers (UTF-8
-- too), a client time t, a unique counter n=<tag><thread>-<k>, several User-Agents, and for most
-- requests a visitor cookie bid=<32 lowercase hex> from a pool of returning visitors.
--
-- Tail: wrk stops at the end of its duration with requests still in flight; it neither waits for
-- them nor counts them, yet the server may well have received (and recorded) them. So that the
-- records can be compared exactly with the answered pixels, the last TAIL_MS of the run sends
-- GET /healthz (which records nothing) instead of pixels: when wrk stops, no pixel is in flight.
-- done() reports how many pixels were sent but not answered; it should be 0.
--
-- done() prints one machine-readable line the harness parses:
--   pixel-accounting: sent=S answered=A ok=O non2xx=N health=H p0=.. p1=.. p2=.. p3=.. requests=R
--     socket_errors=E timeouts=T sent_by_thread=1:S1,2:S2,...
-- where p0..p3 are the pixels sent per priority of the default route table, and thread i's pixels
-- were numbered n=<tag>i-1 .. n=<tag>i-Si.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } beacon_timeval;
  int gettimeofday(beacon_timeval *tv, void *tz);
]]
local tv = ffi.new("beacon_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + math.floor(tonumber(tv.tv_usec) / 1000)
end

-- ---------------------------------------------------------------- main state: one per thread
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- ---------------------------------------------------------------- data

-- event type, weight, priority (default route table), extra parameters
local events = {
  { "pv",    40, 1 },
  { "click", 20, 1 },
  { "exp",   20, 2 },
  { "perf",  12, 3 },
  { "order",  8, 0 },
}

local apps = {
  { "shop",   "web" }, { "shop", "ios" }, { "shop", "android" },
  { "news",   "web" }, { "news", "h5" }, { "game", "h5" },
}

-- Page URLs as a browser tracker sends them: encodeURIComponent'ed, some with UTF-8 paths/queries.
local pages = {
  "https%3A%2F%2Fshop.example.com%2F",
  "https%3A%2F%2Fshop.example.com%2Fitem%2F12345%3Fref%3Dhome%26pos%3D3",
  "https%3A%2F%2Fshop.example.com%2Fsearch%3Fq%3D%E6%89%8B%E6%9C%BA%20case",
  "https%3A%2F%2Fshop.example.com%2Fcart",
  "https%3A%2F%2Fshop.example.com%2Fcheckout%2Fpay%3Fstep%3D2",
  "https%3A%2F%2Fnews.example.com%2F2024%2F05%2Fcaf%C3%A9-cr%C3%A8me-br%C3%BBl%C3%A9e",
  "https%3A%2F%2Fnews.example.com%2Fsection%2Fworld%23top",
  "https%3A%2F%2Fm.example.com%2Fgame%2Flevel%2F7%3Flang%3Dja%26title%3D%E3%83%86%E3%82%B9%E3%83%88",
}

local referrers = {
  "", "", "",
  "https%3A%2F%2Fwww.google.com%2F",
  "https%3A%2F%2Fwww.bing.com%2Fsearch%3Fq%3Dcheap%2Bshoes",
  "https%3A%2F%2Ft.co%2FaBcD1234",
  "https%3A%2F%2Fshop.example.com%2Fitem%2F999",
}

local user_agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "ShopApp/5.12.0 (iOS 17.4; iPhone15,2) BeaconSDK/1.3",
}

local hex = "0123456789abcdef"
local function random_hex(n)
  local t = {}
  for i = 1, n do
    local k = math.random(16)
    t[i] = hex:sub(k, k)
  end
  return table.concat(t)
end

local function pick(list) return list[math.random(#list)] end

local function pick_event()
  local total = 0
  for _, e in ipairs(events) do total = total + e[2] end
  local r = math.random(total)
  for _, e in ipairs(events) do
    r = r - e[2]
    if r <= 0 then return e end
  end
  return events[1]
end

local function properties(e)
  if e == "pv" then
    return "&title=" .. pick({ "Home", "Item%2012345", "%E6%89%8B%E6%9C%BA", "Caf%C3%A9%20news" })
      .. "&vw=" .. pick({ "390", "412", "1280", "1920" })
  elseif e == "click" then
    return "&btn=" .. pick({ "buy", "add_to_cart", "share", "nav%2Fmenu" }) .. "&x=" .. math.random(0, 1920)
      .. "&y=" .. math.random(0, 1080)
  elseif e == "exp" then
    return "&items=" .. random_hex(6) .. "%2C" .. random_hex(6) .. "%2C" .. random_hex(6) .. "&slot=" .. pick({ "feed", "banner", "rec" })
  elseif e == "perf" then
    return "&dns=" .. math.random(0, 80) .. "&tcp=" .. math.random(0, 120) .. "&ttfb=" .. math.random(20, 900)
      .. "&lcp=" .. math.random(300, 5000)
  else -- order
    return "&oid=" .. random_hex(12) .. "&amt=" .. math.random(1, 99999) / 100 .. "&cur=" .. pick({ "EUR", "USD", "CNY", "JPY" })
  end
end

-- ---------------------------------------------------------------- per-thread state
local POOL = 2048
local pool_prefix, pool_suffix, pool_priority = {}, {}, {}
local health_request
local tag, thread_id = "", 1
local deadline = math.huge
local k = 0
-- Counters are globals: done() reads them from each thread's state with thread:get(name).
sent, health_sent, answered, ok, non2xx, health = 0, 0, 0, 0, 0, 0
p0, p1, p2, p3 = 0, 0, 0, 0
local clock, clock_refresh = 0, 0
local verifying, in_tail = false, false
local index, stride = 0, 1

function init(args)
  local duration_s = tonumber(args[1] or "0") or 0
  local tail_ms = tonumber(args[2] or "1000") or 1000
  tag = args[3] or ""
  thread_id = wrk.thread:get("id") or 1
  verifying = thread_id == 1
  math.randomseed(now_ms() + thread_id * 7919)
  if duration_s > 0 then
    deadline = now_ms() + duration_s * 1000 - tail_ms
  end

  local host = wrk.host .. ":" .. wrk.port
  health_request = "GET /healthz HTTP/1.1\r\nHost: " .. host .. "\r\nUser-Agent: beacon-loadtest\r\n\r\n"

  -- returning visitors (cookie) and fresh ones (no cookie: the collector issues one)
  local visitors = {}
  for i = 1, 500 do visitors[i] = random_hex(32) end

  for i = 1, POOL do
    local ev = pick_event()
    local e, priority = ev[1], ev[3]
    local app = pick(apps)
    local path = "/b.gif"
    -- early routing: some pixels name their business route in the URL
    if math.random(10) == 1 then
      path = ({ [0] = "/b/order.gif", "/b/pageview.gif", "/b/exposure.gif", "/b/perf.gif" })[priority]
    end

    local q = "?e=" .. e .. "&a=" .. app[1] .. "&p=" .. app[2] .. "&u=" .. pick(pages)
    local r = pick(referrers)
    if r ~= "" then q = q .. "&r=" .. r end
    if math.random(3) == 1 then q = q .. "&uid=u" .. math.random(1, 100000) end
    q = q .. "&sid=" .. random_hex(16) .. "&eid=" .. random_hex(24) .. properties(e)

    local headers = "Host: " .. host .. "\r\nUser-Agent: " .. pick(user_agents)
      .. "\r\nAccept: image/avif,image/webp,image/*,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.9\r\n"
    if math.random(10) <= 7 then
      headers = headers .. "Cookie: _ga=GA1.2.1234567890.1700000000; bid=" .. pick(visitors) .. "\r\n"
    end

    pool_prefix[i] = "GET " .. path .. q .. "&t="
    pool_suffix[i] = " HTTP/1.1\r\n" .. headers .. "\r\n"
    pool_priority[i] = priority
  end
  index = math.random(POOL) - 1
  stride = 2 * math.random(1, POOL / 2) - 1 -- odd, so it visits the whole pool
end

function request()
  if verifying then
    -- wrk calls request() once on the first thread to check the request parses; not sent.
    verifying = false
    return pool_prefix[1] .. "0&n=verify" .. pool_suffix[1]
  end
  if in_tail then
    health_sent = health_sent + 1
    return health_request
  end
  if clock_refresh == 0 then
    clock = now_ms()
    clock_refresh = 64
    if clock >= deadline then
      in_tail = true
      return request()
    end
  end
  clock_refresh = clock_refresh - 1

  index = (index + stride) % POOL
  local i = index + 1
  k = k + 1
  sent = sent + 1
  local p = pool_priority[i]
  if p == 1 then p1 = p1 + 1 elseif p == 2 then p2 = p2 + 1 elseif p == 3 then p3 = p3 + 1 else p0 = p0 + 1 end
  -- the client clock runs a little behind or ahead of the server's
  return pool_prefix[i] .. (clock - (k % 3000)) .. "&n=" .. tag .. thread_id .. "-" .. k .. pool_suffix[i]
end

function response(status, headers, body)
  if status == 200 and body == "ok" then
    health = health + 1
    return
  end
  answered = answered + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local t = { sent = 0, answered = 0, ok = 0, non2xx = 0, health = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do
      t[name] = t[name] + (tonumber(thread:get(name)) or 0)
    end
  end
  -- Each thread's pixels carry n=<tag><thread id>-1 .. -<its sent>: the exact set a consumer must find.
  local by_thread = {}
  for _, thread in ipairs(threads) do
    table.insert(by_thread, string.format("%d:%d", tonumber(thread:get("id")) or 0, tonumber(thread:get("sent")) or 0))
  end
  local e = summary.errors
  io.write(string.format("pixel-accounting: sent=%d answered=%d ok=%d non2xx=%d health=%d p0=%d p1=%d p2=%d p3=%d"
    .. " requests=%d socket_errors=%d timeouts=%d sent_by_thread=%s\n",
    t.sent, t.answered, t.ok, t.non2xx, t.health, t.p0, t.p1, t.p2, t.p3,
    summary.requests, e.connect + e.read + e.write, e.timeout, table.concat(by_thread, ",")))
end
