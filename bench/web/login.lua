-- wrk script for bench-web's login flood: wrong passwords for random user names, each request
-- with the session cookie and CSRF token the bench fetched once (args: COOKIE TOKEN SPREAD).
-- SPREAD = "spread" gives every request its own X-Forwarded-For, standing for attackers on many
-- addresses (the portal trusts one proxy in that phase); otherwise all come from one address.
local cookie, token, spread

init = function(args)
  cookie, token, spread = args[1], args[2], args[3] == "spread"
  math.randomseed(os.time() + math.random(100000))
end

request = function()
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
  if spread then
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255),
                                               math.random(1, 254))
  end
  local body = string.format("csrf_token=%s&username=guess%d&password=wrong-password-%d", token,
                             math.random(1, 1000000000), math.random(1, 1000000000))
  return wrk.format("POST", "/admin/login", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d}\n', summary.requests, summary.duration))
end
